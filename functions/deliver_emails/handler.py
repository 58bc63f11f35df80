"""Delivery queue worker: each message is a chunk of members to email; each email goes out at most once."""

from __future__ import annotations

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from cerchia import clock
from cerchia.dispatch import deliver
from cerchia.jobs import Delivery

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def deliver_chunk(record: SQSRecord) -> None:
    delivery = Delivery.from_message(record.body)
    counts = deliver(delivery, clock.now())
    logger.info(
        "chunk delivered",
        kind=delivery.kind,
        community_id=delivery.community_id,
        ref=delivery.ref,
        members=len(delivery.member_ids),
        **counts,
    )


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    # A failed chunk goes back to the queue; members already emailed are skipped by the ledger.
    return process_partial_response(event=event, record_handler=deliver_chunk, processor=processor, context=context)

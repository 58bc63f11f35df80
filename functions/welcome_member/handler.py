"""Table stream (filtered to members who just joined): welcome each one, once."""

from __future__ import annotations

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from cerchia import clock
from cerchia.welcome.service import welcome_member

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def welcome(record: DynamoDBRecord) -> None:
    image = record.dynamodb.new_image if record.dynamodb else None
    if not image or "community_id" not in image or "member_id" not in image:
        logger.warning("not a member record; skipped", event_id=record.event_id)
        return
    outcome = welcome_member(image["community_id"], image["member_id"], clock.now())
    logger.info("welcome", community_id=image["community_id"], member_id=image["member_id"], outcome=outcome)


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    # SES unable to send keeps the welcome as a due job (outcome "deferred"); any other failure fails
    # only its record, and the stream retries it.
    return process_partial_response(event=event, record_handler=welcome, processor=processor, context=context)

"""A DynamoDB stream as Lambda's event source mapping drives a function: read through the emulator's
streams API, filtered, batched, with partial batch failures, bisection, retries and an on-failure
destination. Retries happen at once (no backoff): the point locally is that the outcome is the one
AWS reaches.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cerchia_infra.local.clock import iso
from cerchia_infra.local.functions import InvocationError
from cerchia_infra.local.patterns import EventFilter

log = logging.getLogger("cerchia_infra.local.engine")

Invoke = Callable[[str, Any], Any]
Hint = Callable[[], int | None]

# Lambda retries a stream batch until the record expires when MaximumRetryAttempts is -1 or absent;
# locally that would never end, so such batches get this many retries.
UNBOUNDED_RETRIES_LOCALLY = 10


@dataclass(frozen=True)
class FailureDestination:
    """Where a stream consumer sends the record of a batch it gave up on (SQS queue or SNS topic)."""

    kind: str  # "SQS" or "SNS"
    target: str  # queue URL or topic ARN
    client: Any

    def send(self, record: Mapping[str, Any]) -> None:
        document = json.dumps(record)
        if self.kind == "SQS":
            self.client.send_message(QueueUrl=self.target, MessageBody=document)
        else:
            self.client.publish(TopicArn=self.target, Message=document)


# ---------------------------------------------------------------------- DynamoDB streams


class StreamConsumer:
    def __init__(
        self,
        *,
        function_logical_id: str,
        function_arn: str,
        invoke: Invoke,
        client: Any,
        stream_arn: str,
        region: str,
        event_filter: EventFilter,
        batch_size: int = 100,
        report_failures: bool = False,
        bisect: bool = False,
        max_retries: int | None = None,
        on_failure: FailureDestination | None = None,
        offset: Callable[[], timedelta] = lambda: timedelta(0),
        written_count: Hint = lambda: None,
    ) -> None:
        self.function_logical_id = function_logical_id
        self.function_arn = function_arn
        self.invoke = invoke
        self.client = client
        self.stream_arn = stream_arn
        self.region = region
        self.event_filter = event_filter
        self.batch_size = max(1, batch_size)
        self.report_failures = report_failures
        self.bisect = bisect
        self.max_retries = UNBOUNDED_RETRIES_LOCALLY if max_retries is None or max_retries < 0 else max_retries
        self.on_failure = on_failure
        self.offset = offset
        self.written_count = written_count
        self._iterators: dict[str, str] = {}
        self._received = 0
        self.delivered = 0
        self.dropped = 0

    @property
    def name(self) -> str:
        return f"{self.function_logical_id} <- {self.stream_arn}"

    def start(self) -> None:
        description = self.client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            self._iterators[shard_id] = self.client.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]

    def poll(self) -> bool:
        """Read what is new on the stream and deliver it; True if there was anything."""
        hint = self.written_count()
        if hint is not None and hint <= self._received:
            return False
        records = self._read()
        if not records:
            return False
        self._received += len(records)
        chosen = [r for r in records if self.event_filter.matches(r)]
        self.dropped += len(records) - len(chosen)
        for start in range(0, len(chosen), self.batch_size):
            self._deliver(chosen[start : start + self.batch_size], attempt=0)
        return True

    def _read(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            while True:
                page = self.client.get_records(ShardIterator=iterator, Limit=1000)
                iterator = page.get("NextShardIterator") or iterator
                records.extend(self._lambda_record(r) for r in page.get("Records", []))
                if not page.get("Records"):
                    break
            self._iterators[shard_id] = iterator
        return records

    def _lambda_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = int((created + self.offset()).timestamp())
        for key in ("Keys", "NewImage", "OldImage"):
            if key in dynamodb:
                dynamodb[key] = _attribute_values_as_json(dynamodb[key])
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": self.region,
            "dynamodb": dynamodb,
            "eventSourceARN": self.stream_arn,
        }

    def _deliver(self, batch: list[dict[str, Any]], attempt: int) -> None:
        while batch:
            failed_from = self._invoke(batch)
            if failed_from is None:
                self.delivered += len(batch)
                return
            if failed_from == -1:  # the function raised
                if self.bisect and len(batch) > 1:
                    middle = len(batch) // 2
                    self._deliver(batch[:middle], attempt + 1)
                    self._deliver(batch[middle:], attempt + 1)
                    return
                failed_from = 0
            self.delivered += failed_from
            batch = batch[failed_from:]
            attempt += 1
            if attempt > self.max_retries:
                self._give_up(batch, attempt)
                return

    def _invoke(self, batch: list[dict[str, Any]]) -> int | None:
        """None when all succeeded; else the index to retry from (-1 when the function raised)."""
        try:
            result = self.invoke(self.function_logical_id, {"Records": batch})
        except InvocationError as error:
            log.warning("%s: batch of %d failed: %s", self.name, len(batch), error)
            return -1
        if not self.report_failures:
            return None
        return first_failed_index(result, [r["dynamodb"]["SequenceNumber"] for r in batch], self.name)

    def _give_up(self, batch: list[dict[str, Any]], attempts: int) -> None:
        log.error(
            "%s: gave up on %d record(s) after %d attempt(s)%s",
            self.name,
            len(batch),
            attempts,
            "; sent to the on-failure destination" if self.on_failure else "",
        )
        if self.on_failure is None:
            return
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        shard_id = next(iter(self._iterators), "")
        self.on_failure.send(
            {
                "requestContext": {
                    "requestId": str(uuid.uuid4()),
                    "functionArn": self.function_arn,
                    "condition": "RetryAttemptsExhausted",
                    "approximateInvokeCount": attempts,
                },
                "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
                "version": "1.0",
                "timestamp": iso(datetime.now(UTC) + self.offset()),
                "DDBStreamBatchInfo": {
                    "shardId": shard_id,
                    "startSequenceNumber": first["SequenceNumber"],
                    "endSequenceNumber": last["SequenceNumber"],
                    "approximateArrivalOfFirstRecord": _epoch_iso(first.get("ApproximateCreationDateTime")),
                    "approximateArrivalOfLastRecord": _epoch_iso(last.get("ApproximateCreationDateTime")),
                    "batchSize": len(batch),
                    "streamArn": self.stream_arn,
                },
            }
        )


def first_failed_index(result: Any, identifiers: Sequence[str], name: str) -> int | None:
    """Read a `batchItemFailures` answer: the index of the lowest failed item, None if none failed."""
    if result is None:
        return None
    if not isinstance(result, Mapping):
        log.warning("%s: a ReportBatchItemFailures answer must be an object, got %.100r; retrying all", name, result)
        return 0
    failures = result.get("batchItemFailures")
    if failures is None or failures == []:
        return None
    positions = []
    for failure in failures if isinstance(failures, list) else [failures]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if identifier not in identifiers:
            log.warning("%s: batchItemFailures names %r, which is not in the batch; retrying all", name, identifier)
            return 0
        positions.append(identifiers.index(identifier))
    return min(positions)


def _attribute_values_as_json(value: Any) -> Any:
    # boto3 decodes binary attribute values; a Lambda event carries them base64-encoded.
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {k: _attribute_values_as_json(v) for k, v in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_attribute_values_as_json(v) for v in value]
    return value


def _epoch_iso(value: Any) -> str | None:
    if isinstance(value, (int, float)):
        return iso(datetime.fromtimestamp(value, UTC))
    return None


# ---------------------------------------------------------------------- SQS (and SNS through SQS)

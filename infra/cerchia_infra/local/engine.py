"""Event sources, as Lambda's event source mappings and EventBridge would drive the functions.

- `StreamConsumer`: a DynamoDB stream read through the emulator's streams API, filtered, batched,
  with partial batch failures, bisection, retries and an on-failure destination.
- `QueueConsumer`: an SQS queue (also the internal queue an SNS topic delivers to), with partial
  batch failures and the queue's redrive policy.
- `Engine`: fires schedules at their instants on the virtual clock and *settles*: drains every
  stream and queue until nothing moves. One re-entrant lock serializes the background pump, settles
  and clock moves; HTTP requests never wait for it.

Skipping idle time: a schedule whose function says when it next has work (`Schedule.next_work`)
runs only at the instants where a run could find some: the last instant at or before the work is
due, and every instant from then until the work is gone. The instants it passes over are the ones
at which a run would have found nothing, so the outcome is the one firing at every instant gives
(`skip_idle=False` does that, for comparison), and a quiet week takes a handful of runs.

Retries happen at once (no backoff): the point locally is that the outcome is the one AWS reaches.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cerchia_infra.local.clock import ClockMovedBackwards, VirtualClock, iso
from cerchia_infra.local.functions import InvocationError
from cerchia_infra.local.patterns import EventFilter
from cerchia_infra.local.resources import QueueInfo
from cerchia_infra.local.schedules import Schedule, last_tick_between

log = logging.getLogger("cerchia_infra.local.engine")

Invoke = Callable[[str, Any], Any]
Hint = Callable[[], int | None]

# Lambda retries a stream batch until the record expires when MaximumRetryAttempts is -1 or absent;
# locally that would never end, so such batches get this many retries.
UNBOUNDED_RETRIES_LOCALLY = 10
MAX_SETTLE_PASSES = 1000


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
        return _first_failed_index(result, [r["dynamodb"]["SequenceNumber"] for r in batch], self.name)

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


def _first_failed_index(result: Any, identifiers: Sequence[str], name: str) -> int | None:
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


class QueueConsumer:
    def __init__(
        self,
        *,
        function_logical_id: str,
        invoke: Invoke,
        client: Any,
        queue: QueueInfo,
        region: str,
        batch_size: int = 10,
        report_failures: bool = False,
        to_event: Callable[[list[dict[str, Any]]], Any] | None = None,
        offset: Callable[[], timedelta] = lambda: timedelta(0),
        visible_count: Hint = lambda: None,
        label: str = "",
        event_filter: EventFilter | None = None,
    ) -> None:
        self.function_logical_id = function_logical_id
        self.invoke = invoke
        self.client = client
        self.queue = queue
        self.region = region
        self.batch_size = max(1, batch_size)
        self.report_failures = report_failures
        self.to_event = to_event or (lambda records: {"Records": records})
        self.offset = offset
        self.visible_count = visible_count
        self.label = label or queue.name
        self.event_filter = event_filter
        self.delivered = 0
        self.dropped = 0

    @property
    def name(self) -> str:
        return f"{self.function_logical_id} <- {self.label}"

    def poll(self) -> bool:
        """Deliver until the queue has nothing visible; True if anything was received."""
        received_any = False
        while True:
            hint = self.visible_count()
            if hint is not None and hint <= 0:
                return received_any
            messages = self._receive()
            if not messages:
                return received_any
            received_any = True
            chosen = [m for m in messages if self._wanted(m)]
            self._delete([m for m in messages if m not in chosen])
            self.dropped += len(messages) - len(chosen)
            if chosen:
                self._settle_messages(chosen, self._deliver(chosen))

    def _wanted(self, message: Mapping[str, Any]) -> bool:
        if self.event_filter is None or not self.event_filter.patterns:
            return True
        record: dict[str, Any] = self._lambda_record(message)
        try:
            body = json.loads(record["body"])
        except ValueError:
            body = None
        if isinstance(body, dict):  # Lambda filters a JSON body by its fields
            record["body"] = body
        return self.event_filter.matches(record)

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            self.client.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages[start : start + 10])
                ],
            )

    def _receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self.batch_size:
            page = self.client.receive_message(
                QueueUrl=self.queue.url,
                MaxNumberOfMessages=min(10, self.batch_size - len(messages)),
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
                VisibilityTimeout=self.queue.visibility_timeout,
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not page:
                break
            messages.extend(page)
        return messages

    def _deliver(self, messages: list[dict[str, Any]]) -> set[str]:
        """Invoke with the batch; return the ids of the messages that failed."""
        records = [self._lambda_record(m) for m in messages]
        every_id = {m["MessageId"] for m in messages}
        try:
            result = self.invoke(self.function_logical_id, self.to_event(records))
        except InvocationError as error:
            log.warning("%s: batch of %d failed: %s", self.name, len(messages), error)
            return every_id
        if not self.report_failures:
            return set()
        ids = [m["MessageId"] for m in messages]
        first = _first_failed_index(result, ids, self.name)
        if first is None:
            return set()
        failures = result.get("batchItemFailures") if isinstance(result, Mapping) else None
        named = {f.get("itemIdentifier") for f in failures or [] if isinstance(f, Mapping)}
        return {i for i in ids if i in named} or every_id

    def _settle_messages(self, messages: list[dict[str, Any]], failed: set[str]) -> None:
        done = [m for m in messages if m["MessageId"] not in failed]
        self.delivered += len(done)
        self._delete(done)
        retry = [m for m in messages if m["MessageId"] in failed]
        if not retry:
            return
        if self.queue.max_receive_count is None:
            # No dead-letter queue: the message comes back after the queue's visibility timeout (wall time).
            log.warning(
                "%s: %d message(s) failed and the queue has no redrive policy; retrying in %d s",
                self.name,
                len(retry),
                self.queue.visibility_timeout,
            )
            return
        # With a redrive policy: retry at once; the emulator moves a message to the DLQ on the
        # receive after maxReceiveCount.
        for start in range(0, len(retry), 10):
            self.client.change_message_visibility_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(retry[start : start + 10])
                ],
            )
        # The emulator counts a message visible only once its visibility instant is strictly past,
        # to the millisecond: step over that millisecond so the retry happens in this drain.
        time.sleep(0.002)

    def _lambda_record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        attributes = dict(message.get("Attributes") or {})
        shift_ms = int(self.offset().total_seconds() * 1000)
        for key in ("SentTimestamp", "ApproximateFirstReceiveTimestamp"):
            if str(attributes.get(key, "")).isdigit():
                attributes[key] = str(int(attributes[key]) + shift_ms)
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": attributes,
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": (
                        base64.b64encode(value["BinaryValue"]).decode("ascii") if "BinaryValue" in value else None
                    ),
                    "stringListValues": value.get("StringListValues", []),
                    "binaryListValues": [
                        base64.b64encode(v).decode("ascii") for v in value.get("BinaryListValues", [])
                    ],
                    "dataType": value.get("DataType", "String"),
                }
                for name, value in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue.arn,
            "awsRegion": self.region,
        }


def sns_event(subscription_arn: str) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    """Turn SQS records holding SNS envelopes into the event Lambda gets from an SNS subscription."""

    def build(records: list[dict[str, Any]]) -> dict[str, Any]:
        out = []
        for record in records:
            envelope = json.loads(record["body"])
            out.append(
                {
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": subscription_arn,
                    "EventSource": "aws:sns",
                    "Sns": {
                        "SignatureVersion": envelope.get("SignatureVersion", "1"),
                        "Timestamp": envelope.get("Timestamp"),
                        "Signature": envelope.get("Signature", ""),
                        "SigningCertUrl": envelope.get("SigningCertURL", ""),
                        "MessageId": envelope.get("MessageId"),
                        "Message": envelope.get("Message"),
                        "MessageAttributes": envelope.get("MessageAttributes", {}),
                        "Type": envelope.get("Type", "Notification"),
                        "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                        "TopicArn": envelope.get("TopicArn"),
                        "Subject": envelope.get("Subject"),
                    },
                }
            )
        return {"Records": out}

    return build


# ---------------------------------------------------------------------- the engine


class Engine:
    def __init__(
        self,
        *,
        clock: VirtualClock,
        invoke: Invoke,
        streams: Sequence[StreamConsumer] = (),
        queues: Sequence[QueueConsumer] = (),
        schedules: Sequence[Schedule] = (),
        region: str = "eu-west-1",
        account_id: str = "123456789012",
        after_settle: Callable[[], object] = lambda: None,
        pump_interval: float = 0.2,
        skip_idle: bool = True,
    ) -> None:
        self.clock = clock
        self.skip_idle = skip_idle
        self.invoke = invoke
        self.streams = list(streams)
        self.queues = list(queues)
        self.schedules = list(schedules)
        self.region = region
        self.account_id = account_id
        self.after_settle = after_settle
        self.pump_interval = pump_interval
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._pump: threading.Thread | None = None
        start = clock.now()
        for schedule in self.schedules:
            schedule.last = start  # no catching up on instants before the stack started

    # ------------------------------------------------------------------ settling

    def settle(self) -> None:
        """Drain streams and queues until nothing moves, then collect what that produced."""
        with self.lock:
            self._drain()
            self.after_settle()

    def _drain(self) -> None:
        consumers: list[StreamConsumer | QueueConsumer] = [*self.streams, *self.queues]
        for _ in range(MAX_SETTLE_PASSES):
            moved = False
            for consumer in consumers:
                moved = consumer.poll() or moved
            if not moved:
                return
        log.warning(
            "Streams and queues still busy after %d passes; a function may be feeding itself.", MAX_SETTLE_PASSES
        )

    # ------------------------------------------------------------------ time

    def advance_to(self, target: datetime, *, check: bool = True) -> datetime:
        """Move the clock to `target`, stopping at every schedule instant on the way to fire and settle."""
        with self.lock:
            if check:
                self.clock.require_not_past(target)
            self._drain()  # work already pending happens now, not at the first instant ahead
            self._run_due(target)
            self.clock.catch_up(target)
            self._drain()
            self.after_settle()
            return self.clock.now()

    def _run_due(self, until: datetime) -> None:
        while True:
            work: dict[int, datetime | None] = {}
            instant = self._next_instant(until, work)
            if instant is None:
                self._pass_over(until)
                return
            self.clock.catch_up(instant)
            fired = False
            for position, schedule in enumerate(self.schedules):
                tick = schedule.next_tick()
                if tick is None or tick > instant:
                    continue
                if self._skips(schedule):
                    # What ran before it at this instant may have given it work: then ask again.
                    due = work[position] if not fired and position in work else self._next_work(schedule)
                    if self._idle_at(schedule, instant, due):
                        continue
                schedule.last = instant
                self._fire(schedule, instant)
                fired = True
            self._drain()

    def _next_instant(self, until: datetime, work: dict[int, datetime | None]) -> datetime | None:
        """The first instant, by `until`, at which a schedule runs; `work` keeps what was asked."""
        instants = []
        for position, schedule in enumerate(self.schedules):
            tick = schedule.next_tick()
            if tick is None or tick > until:
                continue
            if self._skips(schedule):
                work[position] = self._next_work(schedule)
                if not self._skips(schedule):  # it could not say: it runs at every instant
                    instants.append(tick)
                    continue
                tick = schedule.next_useful_tick(work[position])
                if tick is None or tick > until:
                    continue
            instants.append(tick)
        return min(instants, default=None)

    def _idle_at(self, schedule: Schedule, instant: datetime, due: datetime | None) -> bool:
        """Whether a run at `instant` would find nothing; the instants up to it are passed over then."""
        if not self._skips(schedule):  # asking failed: it runs at every instant
            return False
        useful = schedule.next_useful_tick(due)
        schedule.last = last_tick_between(schedule.ticks, schedule.last, instant) or instant
        return useful is None or useful > instant or schedule.last != instant

    def _pass_over(self, until: datetime) -> None:
        """Nothing runs by `until`: the instants up to it are behind every schedule that skips."""
        for schedule in self.schedules:
            if self._skips(schedule):
                schedule.last = last_tick_between(schedule.ticks, schedule.last, until) or schedule.last

    def _skips(self, schedule: Schedule) -> bool:
        return self.skip_idle and schedule.next_work is not None

    def _next_work(self, schedule: Schedule) -> datetime | None:
        assert schedule.next_work is not None
        try:
            return schedule.next_work()
        except Exception as error:
            # The schedule keeps working, only slower: from now on it runs at every instant.
            log.info("%s cannot say when it next has work (%s); it runs at every instant.", schedule.name, error)
            schedule.next_work = None
            return None

    def _fire(self, schedule: Schedule, instant: datetime) -> None:
        event = schedule.event(instant, self.region, self.account_id)
        for attempt in range(1, schedule.attempts + 1):
            try:
                self.invoke(schedule.function_logical_id, event)
                return
            except InvocationError as error:
                log.warning("Schedule %s at %s, attempt %d failed: %s", schedule.name, iso(instant), attempt, error)
        log.error("Schedule %s at %s: giving up after %d attempt(s).", schedule.name, iso(instant), schedule.attempts)

    def move_clock(self, target: datetime | None = None, advance: float | None = None) -> datetime:
        """`/_local/clock`: to an instant, or forward by seconds (0 only settles)."""
        with self.lock:
            if target is None:
                seconds = advance or 0.0
                if seconds < 0:
                    raise ClockMovedBackwards(
                        f"The clock never moves back: advance by zero or more seconds, not {seconds:g}."
                    )
                # Computed from now, so it cannot be in the past even if the wall moved meanwhile.
                return self.advance_to(self.clock.now() + timedelta(seconds=seconds), check=False)
            return self.advance_to(target)

    # ------------------------------------------------------------------ the pump

    def pump_once(self) -> None:
        with self.lock:
            self._run_due(self.clock.now())
            self._drain()
            self.after_settle()

    def start(self) -> None:
        for consumer in self.streams:
            consumer.start()
        self._stop.clear()
        self._pump = threading.Thread(target=self._pump_loop, name="cerchia-pump", daemon=True)
        self._pump.start()

    def stop(self) -> None:
        self._stop.set()
        if self._pump is not None:
            self._pump.join(timeout=30)
            self._pump = None

    def _pump_loop(self) -> None:
        while not self._stop.wait(self.pump_interval):
            try:
                self.pump_once()
            except Exception:
                log.exception("The local stack's pump failed; it will try again.")

"""Stream batches are retried, split and given up on as Lambda does; the clock walks through schedule instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cerchia_infra.local.clock import ClockMovedBackwards, VirtualClock
from cerchia_infra.local.engine import Engine, FailureDestination, StreamConsumer
from cerchia_infra.local.functions import InvocationError
from cerchia_infra.local.patterns import EventFilter
from cerchia_infra.local.schedules import Schedule, parse_expression

STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2025"
WALL = datetime(2025, 3, 3, 9, 7, tzinfo=UTC)


class FakeStreams:
    """The dynamodbstreams calls a consumer makes, over a list of records."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def put(self, key: str, kind: str = "wanted", event_name: str = "INSERT") -> None:
        sequence = str(100 + len(self.records))
        self.records.append(
            {
                "eventID": f"e{sequence}",
                "eventName": event_name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "Keys": {"pk": {"S": key}},
                    "NewImage": {"pk": {"S": key}, "kind": {"S": kind}, "blob": {"B": b"\x00"}},
                    "SequenceNumber": sequence,
                    "SizeBytes": 10,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                    "ApproximateCreationDateTime": WALL,
                },
            }
        )

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, **_: Any) -> dict[str, Any]:
        return {"ShardIterator": "0"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        start = int(ShardIterator)
        page = self.records[start : start + Limit]
        return {"Records": page, "NextShardIterator": str(start + len(page))}


class Sink:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:
        import json

        self.sent.append(json.loads(MessageBody))


def _consumer(streams: FakeStreams, handler: Any, sink: Sink | None = None, **options: Any) -> StreamConsumer:
    calls: list[list[str]] = []

    def invoke(_logical_id: str, event: dict[str, Any]) -> Any:
        keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]
        calls.append(keys)
        try:
            return handler(event["Records"])
        except Exception as error:
            raise InvocationError("Fn", error) from error

    consumer = StreamConsumer(
        function_logical_id="Fn",
        function_arn="arn:aws:lambda:eu-west-1:1:function:fn",
        invoke=invoke,
        client=streams,
        stream_arn=STREAM,
        region="eu-west-1",
        event_filter=EventFilter.from_criteria(
            {"Filters": [{"Pattern": '{"dynamodb": {"NewImage": {"kind": {"S": ["wanted"]}}}}'}]}
        ),
        on_failure=FailureDestination("SQS", "http://queue", sink) if sink else None,
        offset=lambda: timedelta(days=1),
        **options,
    )
    consumer.start()
    consumer.calls = calls  # type: ignore[attr-defined]
    return consumer


def _failing(*keys: str) -> Any:
    def handler(records: list[dict[str, Any]]) -> Any:
        for record in records:
            if record["dynamodb"]["Keys"]["pk"]["S"] in keys:
                return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
        return {"batchItemFailures": []}

    return handler


def test_records_reach_the_function_in_lambda_shape_with_virtual_times():
    streams = FakeStreams()
    streams.put("a")
    seen: list[dict[str, Any]] = []
    consumer = _consumer(streams, lambda records: seen.extend(records))

    assert consumer.poll() is True
    [record] = seen
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventSourceARN"] == STREAM
    assert record["dynamodb"]["NewImage"]["blob"] == {"B": "AA=="}
    assert record["dynamodb"]["ApproximateCreationDateTime"] == int((WALL + timedelta(days=1)).timestamp())
    assert consumer.poll() is False


def test_records_the_filter_rejects_are_dropped():
    streams = FakeStreams()
    for key, kind in [("a", "wanted"), ("b", "other"), ("c", "wanted")]:
        streams.put(key, kind)
    consumer = _consumer(streams, lambda records: None, batch_size=10)

    consumer.poll()

    assert consumer.calls == [["a", "c"]]  # type: ignore[attr-defined]
    assert consumer.dropped == 1


def test_a_reported_failure_retries_from_that_record_on_only():
    streams = FakeStreams()
    for key in "abcd":
        streams.put(key)
    failed_once: set[str] = set()

    def handler(records: list[dict[str, Any]]) -> Any:
        for record in records:
            key = record["dynamodb"]["Keys"]["pk"]["S"]
            if key == "b" and key not in failed_once:
                failed_once.add(key)
                return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
        return None

    consumer = _consumer(streams, handler, batch_size=10, report_failures=True, max_retries=3)
    consumer.poll()

    assert consumer.calls == [["a", "b", "c", "d"], ["b", "c", "d"]]  # type: ignore[attr-defined]


def test_an_error_bisects_the_batch_until_the_bad_record_is_alone_then_gives_it_up():
    streams = FakeStreams()
    for key in "abcd":
        streams.put(key)
    sink = Sink()

    def handler(records: list[dict[str, Any]]) -> Any:
        if any(r["dynamodb"]["Keys"]["pk"]["S"] == "c" for r in records):
            raise RuntimeError("bad record")
        return None

    consumer = _consumer(streams, handler, sink, batch_size=4, bisect=True, max_retries=2)
    consumer.poll()

    calls = consumer.calls  # type: ignore[attr-defined]
    assert calls[:3] == [["a", "b", "c", "d"], ["a", "b"], ["c", "d"]]
    assert ["d"] in calls
    assert calls.count(["c"]) >= 1
    [failure] = sink.sent
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert failure["DDBStreamBatchInfo"]["startSequenceNumber"] == "102"


def test_after_the_retries_the_batch_goes_to_the_on_failure_destination_and_the_stream_moves_on():
    streams = FakeStreams()
    streams.put("poison")
    streams.put("fine")
    sink = Sink()
    consumer = _consumer(streams, _failing("poison"), sink, batch_size=1, report_failures=True, max_retries=2)

    consumer.poll()

    assert consumer.calls == [["poison"]] * 3 + [["fine"]]  # type: ignore[attr-defined]
    [failure] = sink.sent
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["DDBStreamBatchInfo"]["streamArn"] == STREAM
    assert failure["DDBStreamBatchInfo"]["startSequenceNumber"] == "100"


class StepWall:
    """A wall clock that stands still, so virtual instants are exact."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_advancing_fires_each_instant_in_time_order_with_the_clock_on_that_instant():
    clock = VirtualClock(StepWall(WALL))
    fired: list[tuple[str, datetime, datetime]] = []
    schedules = [
        Schedule(
            name="quarter",
            function_logical_id="Quarter",
            expression="rate(15 minutes)",
            ticks=parse_expression("rate(15 minutes)"),
            arn="arn:q",
        ),
        Schedule(
            name="hourly",
            function_logical_id="Hourly",
            expression="cron(0 * * * ? *)",
            ticks=parse_expression("cron(0 * * * ? *)"),
            arn="arn:h",
        ),
    ]

    def invoke(logical_id: str, event: dict[str, Any]) -> None:
        fired.append((logical_id, datetime.fromisoformat(event["time"].replace("Z", "+00:00")), clock.now()))

    engine = Engine(clock=clock, invoke=invoke, schedules=schedules)
    now = engine.move_clock(advance=3600)

    assert now == WALL + timedelta(hours=1)
    assert [(name, tick.strftime("%H:%M")) for name, tick, _ in fired] == [
        ("Quarter", "09:15"),
        ("Quarter", "09:30"),
        ("Quarter", "09:45"),
        ("Quarter", "10:00"),
        ("Hourly", "10:00"),
    ]
    assert all(tick == seen for _, tick, seen in fired)


def test_the_clock_never_moves_back_and_advance_zero_only_settles():
    clock = VirtualClock(StepWall(WALL))
    settled: list[bool] = []
    engine = Engine(clock=clock, invoke=lambda *_: None, after_settle=lambda: settled.append(True))

    with pytest.raises(ClockMovedBackwards, match="never moves back"):
        engine.move_clock(target=WALL - timedelta(seconds=1))
    with pytest.raises(ClockMovedBackwards, match="never moves back"):
        engine.move_clock(advance=-5)
    assert engine.move_clock(advance=0) == WALL
    assert settled == [True]


def test_a_failing_scheduled_invocation_is_retried_as_its_policy_says():
    clock = VirtualClock(StepWall(WALL))
    attempts: list[str] = []
    schedule = Schedule(
        name="s",
        function_logical_id="Fn",
        expression="rate(1 hour)",
        ticks=parse_expression("rate(1 hour)"),
        arn="arn:s",
        attempts=2,
    )

    def invoke(logical_id: str, _event: Any) -> None:
        attempts.append(logical_id)
        raise InvocationError(logical_id, RuntimeError("down"))

    Engine(clock=clock, invoke=invoke, schedules=[schedule]).move_clock(advance=3600)

    assert attempts == ["Fn", "Fn"]


# ---------------------------------------------------------------------- passing over idle time


class DueWork:
    """Work items due at instants; a run at `now` takes the ones due by then (a due index and its sweep)."""

    def __init__(self, clock: VirtualClock, *due: datetime) -> None:
        self.clock = clock
        self.due = sorted(due)
        self.runs: list[tuple[str, datetime]] = []
        self.done: list[tuple[datetime, datetime]] = []  # (due, when it was taken)

    def next_work(self) -> datetime | None:
        return self.due[0] if self.due else None

    def run(self, name: str) -> None:
        now = self.clock.now()
        self.runs.append((name, now))
        while self.due and self.due[0] <= now:
            self.done.append((self.due.pop(0), now))


def _every(minutes: int, name: str = "Sweep", work: DueWork | None = None) -> Schedule:
    expression = f"rate({minutes} minute{'s' if minutes > 1 else ''})"
    return Schedule(
        name=name,
        function_logical_id=name,
        expression=expression,
        ticks=parse_expression(expression),
        arn=f"arn:{name}",
        next_work=work.next_work if work else None,
    )


def test_a_schedule_whose_function_has_nothing_due_is_passed_over_until_its_work_comes():
    clock = VirtualClock(StepWall(WALL))
    work = DueWork(clock, WALL + timedelta(days=3, minutes=53))
    engine = Engine(clock=clock, invoke=lambda name, _event: work.run(name), schedules=[_every(1, work=work)])

    engine.move_clock(advance=7 * 86400)

    assert work.runs == [("Sweep", WALL + timedelta(days=3, minutes=53))]
    assert work.done == [(WALL + timedelta(days=3, minutes=53), WALL + timedelta(days=3, minutes=53))]
    assert clock.now() == WALL + timedelta(days=7)


def test_work_due_between_two_instants_is_looked_for_at_both_and_taken_at_the_one_after():
    clock = VirtualClock(StepWall(WALL))
    due = WALL + timedelta(hours=2, minutes=7, seconds=30)
    work = DueWork(clock, due)
    engine = Engine(clock=clock, invoke=lambda name, _event: work.run(name), schedules=[_every(15, work=work)])

    engine.move_clock(advance=86400)

    # 09:07 + 2 h 7 min 30 s = 11:14:30: the runs at 11:00 (which would see it, were the clock past
    # it by then) and 11:15 (which takes it)
    assert [when.strftime("%H:%M") for _, when in work.runs] == ["11:00", "11:15"]
    assert work.done == [(due, WALL.replace(hour=11, minute=15))]


def test_work_another_function_gives_at_the_same_instant_is_run_then_only_by_the_schedules_after_it():
    clock = VirtualClock(StepWall(WALL))
    for_later = DueWork(clock)
    for_earlier = DueWork(clock)
    first = WALL.replace(hour=10, minute=0)

    def invoke(name: str, _event: Any) -> None:
        if name == "Maker":  # at 10:00 it makes work due at once for both sweeps
            for_later.due.append(clock.now())
            for_earlier.due.append(clock.now())
        elif name == "Before":
            for_earlier.run(name)
        else:
            for_later.run(name)

    maker = Schedule(
        name="Maker",
        function_logical_id="Maker",
        expression=f"at({first:%Y-%m-%dT%H:%M:%S})",
        ticks=parse_expression(f"at({first:%Y-%m-%dT%H:%M:%S})"),
        arn="arn:maker",
    )
    schedules = [_every(15, "Before", for_earlier), maker, _every(15, "After", for_later)]
    Engine(clock=clock, invoke=invoke, schedules=schedules).move_clock(advance=3 * 3600)

    # As when every instant runs: at 10:00 "Before" ran before the work existed, so it takes it at 10:15.
    assert for_later.done == [(first, first)]
    assert for_earlier.done == [(first, first + timedelta(minutes=15))]


def test_a_function_that_cannot_say_when_it_has_work_runs_at_every_instant():
    clock = VirtualClock(StepWall(WALL))
    runs: list[datetime] = []

    def broken() -> datetime | None:
        raise RuntimeError("table not there yet")

    schedule = _every(15)
    schedule.next_work = broken
    Engine(clock=clock, invoke=lambda *_: runs.append(clock.now()), schedules=[schedule]).move_clock(advance=3600)

    assert [when.strftime("%H:%M") for when in runs] == ["09:15", "09:30", "09:45", "10:00"]


def test_the_runs_that_find_work_are_the_same_when_every_instant_runs():
    def play(skip_idle: bool) -> list[tuple[datetime, datetime]]:
        clock = VirtualClock(StepWall(WALL))
        minute_work = DueWork(clock, *(WALL + timedelta(minutes=m, seconds=s) for m, s in [(3, 0), (90, 12), (91, 59)]))
        quarter_work = DueWork(clock, WALL + timedelta(hours=5, seconds=1), WALL + timedelta(hours=30))

        def invoke(name: str, _event: Any) -> None:
            if name == "Minute":
                minute_work.run(name)
                if clock.now() == WALL.replace(hour=10, minute=38):  # a job that hands work to the other sweep
                    quarter_work.due.insert(0, clock.now() + timedelta(minutes=1))
            else:
                quarter_work.run(name)

        schedules = [_every(1, "Minute", minute_work), _every(15, "Quarter", quarter_work)]
        engine = Engine(clock=clock, invoke=invoke, schedules=schedules, skip_idle=skip_idle)
        engine.move_clock(advance=3600)
        engine.move_clock(advance=2 * 86400)
        return minute_work.done + quarter_work.done

    assert play(skip_idle=True) == play(skip_idle=False)
    assert len(play(skip_idle=True)) == 6

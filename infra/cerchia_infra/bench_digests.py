"""Bench section: one week's digest run for a large community, measured, and what it costs on AWS.

    from cerchia_infra.bench_digests import section
    title, headers, rows = section()            # 10,000 members, 500 posts in the week

Under in-process moto: a Europe/Rome community whose members, posts and week aggregates are written
directly with batch writes (fast), then the real code runs as AWS would run it: the due sweep's
handler opens the week's round (snapshot) and, at each local 09:00, queues the members; the delivery
worker's handler sends each chunk. Every AWS call the code makes is counted with botocore hooks on
the clients it uses; DynamoDB read and write units come from the sizes of the items read and written
(4 KB per read unit, 1 KB per write unit, rounded up per item; a Query rounds its total; eventually
consistent reads cost half; a write costs the larger of the item before and after, once more per
index the item is in). CPU time is time.process_time() around the handlers; memory is tracemalloc's
peak over one worker invocation (five chunks).

Prices (USD): DynamoDB on-demand $1.25 per million write units and $0.25 per million read units
(us-east-1 list prices before AWS halved them in November 2024 to $0.625 and $0.125: conservative);
Lambda arm64 $0.0000133334 per GB-second and $0.20 per million requests; SQS $0.40 per million
requests; SES $0.10 per 1,000 emails. Lambda duration is modelled as the code's own CPU time plus a
typical latency per AWS call (DynamoDB 5 ms, SES 30 ms, SQS 10 ms), at the template's 512 MB.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

MEMBERS = 10_000
POSTS = 500
DIGESTS_PER_MONTH = 4.33
PRICE = {
    "dynamodb_write_unit": 1.25 / 1e6,
    "dynamodb_read_unit": 0.25 / 1e6,
    "dynamodb_write_unit_2024": 0.625 / 1e6,
    "dynamodb_read_unit_2024": 0.125 / 1e6,
    "lambda_gb_second": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "ses_email": 0.10 / 1000,
}
LATENCY_S = {"dynamodb": 0.005, "sesv2": 0.030, "sqs": 0.010}
MEMORY_GB = 0.5
BATCH_SIZE = 5  # DeliverEmailsFunction's SQS BatchSize in template.yaml
INDEX_KEYS = ("due_pk", "timeline_pk", "unanswered_pk")
ROUND_OPENS = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # Monday 00:00 in Rome, after week 2026-W48


# ------------------------------------------------------------------------------ item sizes


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes of one DynamoDB-JSON value, by DynamoDB's published sizing rules."""
    (kind, raw), *_ = value.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        digits = str(raw).lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(item).encode()) for item in raw)
    if kind == "NS":
        return sum(attribute_size({"N": item}) for item in raw)
    if kind == "L":
        return 3 + sum(1 + attribute_size(item) for item in raw)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + attribute_size(item) for name, item in raw.items())
    return len(str(raw).encode())


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in (item or {}).items())


def read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


# ------------------------------------------------------------------------------ counting


@dataclass
class Tally:
    """What one phase cost: calls per service and operation, DynamoDB units, CPU spent inside AWS calls."""

    calls: Counter[str] = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0
    call_cpu: float = 0.0  # inside the code's AWS calls (botocore and the emulator)
    meter_cpu: float = 0.0  # the meter's own look at items: not the code's, left out of every figure

    def add(self, other: Tally) -> None:
        self.calls.update(other.calls)
        self.read_units += other.read_units
        self.write_units += other.write_units
        self.call_cpu += other.call_cpu
        self.meter_cpu += other.meter_cpu

    def service_calls(self, service: str) -> int:
        return sum(count for name, count in self.calls.items() if name.startswith(service + "."))


class Meter:
    """botocore hooks on the code's own clients: calls, and DynamoDB units from the items' sizes."""

    def __init__(self, raw_dynamodb: Any, table_name: str) -> None:
        self.raw = raw_dynamodb  # an unhooked client to look at items before and after writes
        self.table_name = table_name
        self.account, self.region = "123456789012", raw_dynamodb.meta.region_name
        self.tally = Tally()

    def install(self, *clients: Any) -> None:
        for client in clients:
            client.meta.events.register("before-parameter-build", self.before)
            client.meta.events.register("after-call", self.after)

    def take(self) -> Tally:
        taken, self.tally = self.tally, Tally()
        return taken

    def before(self, params: Any = None, model: Any = None, context: Any = None, **_: Any) -> None:
        """Keep the call's own parameters (and, for a write, the size of the item before it) in its context."""
        if context is None:
            return
        started = time.process_time()
        context["bench_params"] = dict(params or {})
        if model is not None and model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            context["bench_before"] = item_size(self._current(params or {}))
        context["bench_started"] = time.process_time()
        self.tally.meter_cpu += context["bench_started"] - started

    def after(self, model: Any = None, parsed: Any = None, context: Any = None, **_: Any) -> None:
        context = context or {}
        ended = time.process_time()
        self.tally.call_cpu += ended - context.get("bench_started", ended)
        service = model.service_model.service_name
        self.tally.calls[f"{service}.{model.name}"] += 1
        if service == "dynamodb":
            self._units(model.name, context.get("bench_params", {}), parsed or {}, context.get("bench_before", 0))
        self.tally.meter_cpu += time.process_time() - ended

    def _current(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """The item as the emulator holds it right now (read from moto's memory: no API call to count)."""
        key = params.get("Key") or {name: params["Item"][name] for name in ("pk", "sk")}
        try:
            from moto.dynamodb.models import dynamodb_backends
            from moto.dynamodb.models.dynamo_type import DynamoType

            backend = dynamodb_backends[self.account][self.region]
            found = backend.get_table(params["TableName"]).get_item(DynamoType(key["pk"]), DynamoType(key["sk"]))
            return found.to_json()["Attributes"] if found is not None else None  # type: ignore[no-any-return]
        except (ImportError, KeyError, AttributeError):
            answer = self.raw.get_item(TableName=params["TableName"], Key=key, ConsistentRead=True)
            return answer.get("Item")  # type: ignore[no-any-return]

    def _units(self, operation: str, params: dict[str, Any], parsed: dict[str, Any], before: int) -> None:
        consistent = bool(params.get("ConsistentRead"))
        if operation == "GetItem":
            self.tally.read_units += read_units(item_size(parsed.get("Item")), consistent)
        elif operation == "Query":
            total = sum(item_size(item) for item in parsed.get("Items", []))
            self.tally.read_units += read_units(total, consistent and "IndexName" not in params)
        elif operation == "BatchGetItem":
            for table, ask in params.get("RequestItems", {}).items():
                found = parsed.get("Responses", {}).get(table, [])
                strong = bool(ask.get("ConsistentRead"))
                self.tally.read_units += sum(read_units(item_size(item), strong) for item in found)
                self.tally.read_units += read_units(0, strong) * max(0, len(ask.get("Keys", [])) - len(found))
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            after = self._current(params)
            units = write_units(max(before, item_size(after)))
            indexes = sum(1 for key in INDEX_KEYS if key in (after or {}))
            self.tally.write_units += units * (1 + indexes)
        elif operation == "TransactWriteItems":
            self.tally.write_units += 2 * len(params.get("TransactItems", []))


# ------------------------------------------------------------------------------ the fixture


def seed(client: Any, table: str, community_id: str, members: int, posts: int) -> dict[str, Any]:
    """Members, the week's posts and its aggregates, written with batch writes (what ingest would have kept)."""
    from boto3.dynamodb.types import TypeSerializer

    from cerchia.store import keys

    serializer = TypeSerializer()
    week, start = "2026-W48", datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    joined = keys.iso(start - timedelta(days=20))

    def item(values: dict[str, Any]) -> dict[str, Any]:
        return {
            name: serializer.serialize(Decimal(str(value)) if isinstance(value, float) else value)
            for name, value in values.items()
            if value is not None
        }

    requests: list[dict[str, Any]] = []
    for number in range(members):
        zone = "America/New_York" if number % 20 == 0 else "Europe/London" if number % 10 == 0 else None
        requests.append(
            item(
                {
                    **keys.member(community_id, f"m{number:05d}"),
                    "entity": "member",
                    "community_id": community_id,
                    "member_id": f"m{number:05d}",
                    "email": f"member{number:05d}@example.org",
                    "name": f"Member {number}",
                    "locale": "it" if number % 3 else "en",
                    **({"timezone": zone} if zone else {}),
                    "role": "member",
                    "status": "active",
                    "joined_at": joined,
                    "membership_started_at": joined,
                    "version": 1,
                }
            )
        )
    from cerchia.domain.digests import first_reply_bucket

    # the week's aggregates as ingest keeps them (store/projection.py): one counter shard, the exact
    # first replies of their bucket, member weeks; per-post points on the posts (the `top` index)
    week_item: dict[str, Any] = {
        **keys.week_shard(community_id, week, 0),
        "entity": "week",
        "week": week,
        "posts": posts,
    }
    bucket = first_reply_bucket(3 * 3600)
    exact: dict[str, Any] = {
        **keys.first_reply_bucket(community_id, week, bucket),
        "entity": "first-replies",
        "week": week,
        "bucket": bucket,
    }
    replies_total, active, posters = 0, set(), set()
    received: Counter[str] = Counter()
    for number in range(posts):
        author = f"m{(number * 37) % members:05d}"
        created = start + timedelta(minutes=number * 7 * 24 * 60 // max(posts, 1))
        replies = (number * 13) % 9
        repliers = {f"m{(number * 7 + r * 101) % members:05d}" for r in range(replies)}
        reactions = (number * 5) % 6
        post_id = f"p{number:04d}"
        requests.append(
            item(
                {
                    **keys.post(community_id, post_id),
                    "entity": "post",
                    "community_id": community_id,
                    "post_id": post_id,
                    "author_id": author,
                    "title": f"Post number {number} about bread, flour and patience",
                    "url": f"https://forum.example.org/t/{number}",
                    "excerpt": "A paragraph of the post that the digest shows under its title. " * 3,
                    "created_at": keys.iso(created),
                    "reply_count": replies,
                    **({"repliers": repliers} if repliers else {}),
                    "reactions": reactions,
                    "placeholder": False,
                    "version": 1 + replies + reactions,
                    "timeline_pk": keys.timeline_posts(community_id),
                    "timeline_at": keys.timeline_at(created, post_id),
                    "top_pk": keys.top_posts(community_id, week),
                    **({"points": replies * 2 + len(repliers) * 3 + reactions} if replies or reactions else {}),
                    **(
                        {"first_reply_at": keys.iso(created + timedelta(hours=3)), "first_reply_seconds": 3 * 3600}
                        if replies
                        else {
                            "due_pk": keys.waiting_posts(community_id),
                            "due_at": keys.timeline_at(created, post_id),
                        }
                    ),
                }
            )
        )
        if replies:
            week_item["answered"] = week_item.get("answered", 0) + 1
            week_item[f"{keys.FIRST_REPLY_BUCKET}{bucket}"] = week_item["answered"]
            exact[f"{keys.FIRST_REPLY_SECONDS}{3 * 3600}"] = week_item["answered"]
            received[author] += replies
        replies_total += replies
        active |= repliers | {author}
        posters.add(author)
    week_item.update({"replies": replies_total, "reactions": 0})
    requests.append(item(week_item))
    requests.append(item(exact))
    for author in sorted(active | set(received)):
        requests.append(
            item(
                {
                    **keys.member_week(community_id, week, author),
                    "entity": "member-week",
                    "week": week,
                    "member_id": author,
                    "activity": 1 if author in active else None,
                    "posts": 1 if author in posters else None,
                    "replies_received": received.get(author) or None,
                }
            )
        )
    for begin in range(0, len(requests), 25):
        chunk = [{"PutRequest": {"Item": entry}} for entry in requests[begin : begin + 25]]
        pending: dict[str, Any] = {table: chunk}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return {"week": week, "week_item_bytes": item_size(item(week_item))}


# ------------------------------------------------------------------------------ the run


@dataclass
class Phase:
    name: str
    tally: Tally
    cpu: float  # process time of the handlers, AWS calls included
    invocations: int


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Powertools prints one metric line per email: keep the bench's own output readable."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def measure(members: int = MEMBERS, posts: int = POSTS) -> dict[str, Any]:
    """Run one week's digests and return the raw measurements."""
    import boto3
    from moto import mock_aws

    from cerchia import aws, runtime
    from cerchia import clock as cerchia_clock
    from cerchia_infra.bench_world import LAMBDA_ENV, TEMPLATE, lambda_environment, load_handler
    from cerchia_infra.template_table import create_table_from_template

    table = LAMBDA_ENV["TABLE_NAME"]
    now = {"instant": datetime(2026, 11, 23, 8, 0, tzinfo=UTC)}
    with lambda_environment(), mock_aws():
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName="bench-delivery")["QueueUrl"]
        os.environ["DELIVERY_QUEUE_URL"] = queue_url
        runtime.reset()
        cerchia_clock.use(lambda: now["instant"])
        try:
            raw = boto3.client("dynamodb")
            create_table_from_template(raw, TEMPLATE, table)
            ses = boto3.client("sesv2")
            ses.create_email_identity(EmailIdentity=LAMBDA_ENV["SENDER_ADDRESS"])
            ses.create_configuration_set(ConfigurationSetName=LAMBDA_ENV["CONFIGURATION_SET"])
            from cerchia.communities import create_community

            community = create_community(
                name="Bench Bakers", timezone="Europe/Rome", locale="it", leader_email="leader@example.org"
            )
            fixture = seed(raw, table, community.community_id, members, posts)
            meter = Meter(raw, table)
            meter.install(aws.dynamodb(), aws.sesv2(), aws.sqs())
            sweep, worker = load_handler("run_due_jobs"), load_handler("deliver_emails")
            phases: list[Phase] = []

            def run_sweep(name: str, at: datetime) -> None:
                now["instant"] = at
                meter.take()
                started = time.process_time()
                with _quiet():
                    sweep.lambda_handler({}, _Context("RunDueJobsFunction"))
                phases.append(Phase(name, meter.take(), time.process_time() - started, 1))

            run_sweep("round (snapshot)", ROUND_OPENS)
            send_instants = _due_instants(raw, table)
            delivery = Phase("delivery", Tally(), 0.0, 0)
            peak_memory, traced = 0, 0
            timing = {"cpu": 0.0, "call_cpu": 0.0, "members": 0}
            for instant in send_instants:
                run_sweep(f"queue at {instant:%H:%M} UTC", instant)
                while records := _receive(sqs, queue_url, BATCH_SIZE):
                    trace = traced < 2  # memory on the first runs only: tracing slows everything down
                    if trace:
                        tracemalloc.start()
                    meter.take()
                    started = time.process_time()
                    with _quiet():
                        answer = worker.lambda_handler({"Records": records}, _Context("DeliverEmailsFunction"))
                    cpu = time.process_time() - started
                    tally = meter.take()
                    if trace:
                        peak_memory = max(peak_memory, tracemalloc.get_traced_memory()[1])
                        tracemalloc.stop()
                        traced += 1
                    else:
                        timing["cpu"] += cpu - tally.meter_cpu
                        timing["call_cpu"] += tally.call_cpu
                        timing["members"] += sum(len(_members_of(record)) for record in records)
                    if answer["batchItemFailures"]:
                        raise RuntimeError(f"the worker failed chunks: {answer['batchItemFailures']}")
                    # the Lambda SQS poller's own requests: one receive per batch, one batch delete
                    tally.calls["sqs.ReceiveMessage (poller)"] += 1
                    tally.calls["sqs.DeleteMessageBatch (poller)"] += 1
                    delivery.tally.add(tally)
                    delivery.invocations += 1
            phases.append(delivery)
            emails = Counter(mail.get("X-Cerchia-Kind", "?") for mail in _sent_kinds())
        finally:
            cerchia_clock.use(None)
            os.environ.pop("DELIVERY_QUEUE_URL", None)
            runtime.reset()
    return {
        "members": members,
        "posts": posts,
        "phases": phases,
        "emails": emails,
        "peak_memory": peak_memory,
        "send_instants": send_instants,
        "week_item_bytes": fixture["week_item_bytes"],
        "timing": timing,
    }


class _Context:
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    aws_request_id = "bench"

    def __init__(self, name: str) -> None:
        self.function_name = name
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{name}"

    def get_remaining_time_in_millis(self) -> int:
        return 120_000


def _due_instants(client: Any, table: str) -> list[datetime]:
    items = client.query(
        TableName=table,
        IndexName="due",
        KeyConditionExpression="due_pk = :due",
        ExpressionAttributeValues={":due": {"S": "DUE"}},
    )["Items"]
    sends = [item for item in items if item["kind"]["S"] == "digest-send"]
    return sorted(datetime.fromisoformat(item["due"]["S"].replace("Z", "+00:00")) for item in sends)


def _receive(sqs: Any, queue_url: str, count: int) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=count).get("Messages", [])
    if messages:
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
        )
    return [
        {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:bench-delivery",
            "awsRegion": "eu-west-1",
        }
        for message in messages
    ]


def _members_of(record: dict[str, Any]) -> list[str]:
    import json

    return list(json.loads(record["body"])["member_ids"])


def _sent_kinds() -> list[Any]:
    import email
    import email.policy

    from moto.ses.models import ses_backends

    sent = ses_backends["123456789012"]["eu-west-1"].sent_messages
    return [
        email.message_from_bytes(
            message.raw_data if isinstance(message.raw_data, bytes) else message.raw_data.encode(),
            policy=email.policy.default,
        )
        for message in sent
    ]


# ------------------------------------------------------------------------------ the table


def section(members: int = MEMBERS, posts: int = POSTS) -> tuple[str, list[str], list[list[str]]]:
    """(title, column headers, rows) for `make bench`: one digest run, its AWS usage and its cost."""
    run = measure(members, posts)
    phases: list[Phase] = run["phases"]
    total = Tally()
    for phase in phases:
        total.add(phase.tally)
    emails: Counter[str] = run["emails"]
    sent = sum(emails.values())
    delivery = phases[-1]
    timing = run["timing"]
    timed_members = timing["members"] or 1
    dynamodb_calls = total.service_calls("dynamodb")
    ses_calls = total.service_calls("sesv2")
    sqs_calls = total.service_calls("sqs")
    invocations = sum(phase.invocations for phase in phases)
    all_cpu_per_member = timing["cpu"] / timed_members
    own_cpu_per_member = (timing["cpu"] - timing["call_cpu"]) / timed_members
    own_cpu_total = sum(phase.cpu - phase.tally.call_cpu - phase.tally.meter_cpu for phase in phases[:-1])
    own_cpu_total += own_cpu_per_member * members
    modelled_seconds = own_cpu_total + sum(
        total.service_calls(service) * latency for service, latency in LATENCY_S.items()
    )

    scale = 1000 / members * DIGESTS_PER_MONTH
    cost = {
        "DynamoDB": (total.read_units * PRICE["dynamodb_read_unit"] + total.write_units * PRICE["dynamodb_write_unit"]),
        "Lambda": modelled_seconds * MEMORY_GB * PRICE["lambda_gb_second"] + invocations * PRICE["lambda_request"],
        "SQS": sqs_calls * PRICE["sqs_request"],
        "SES": sent * PRICE["ses_email"],
    }
    per_month = {name: value * scale for name, value in cost.items()}
    monthly = sum(per_month.values())
    floor = per_month["SES"] or 1e-12
    dynamodb_2024 = (
        total.read_units * PRICE["dynamodb_read_unit_2024"] + total.write_units * PRICE["dynamodb_write_unit_2024"]
    ) * scale
    monthly_2024 = monthly - per_month["DynamoDB"] + dynamodb_2024

    def money(value: float) -> str:
        return f"${value:.5f}"

    def operations(tally: Tally, service: str) -> str:
        parts = [
            f"{name.split('.', 1)[1]} {count}"
            for name, count in sorted(tally.calls.items(), key=lambda kv: -kv[1])
            if name.startswith(service + ".")
        ]
        return ", ".join(parts) or "-"

    rows: list[list[str]] = [
        ["community", f"{members:,} members, {posts} posts in the week", "Europe/Rome; 10% in London, 5% in New York"],
        [
            "emails sent",
            f"{emails.get('digest', 0):,} digests + {emails.get('leader-digest', 0)} leader digest",
            f"sends at {', '.join(f'{i:%H:%M}' for i in run['send_instants'])} UTC (09:00 in each zone)",
        ],
    ]
    for phase in phases:
        rows.append(
            [
                f"DynamoDB: {phase.name}",
                f"{phase.tally.service_calls('dynamodb'):,} requests, {phase.tally.read_units:,.1f} RRU, "
                f"{phase.tally.write_units:,.0f} WRU",
                operations(phase.tally, "dynamodb"),
            ]
        )
    rows += [
        [
            "DynamoDB: total",
            f"{dynamodb_calls:,} requests, {total.read_units:,.1f} RRU, {total.write_units:,.0f} WRU",
            f"{dynamodb_calls / members:.2f} requests, {total.read_units / members:.2f} RRU and "
            f"{total.write_units / members:.2f} WRU per member",
        ],
        ["SES calls", f"{ses_calls:,}", operations(total, "sesv2")],
        ["SQS requests", f"{sqs_calls:,}", operations(total, "sqs")],
        [
            "Lambda invocations",
            f"{invocations:,}",
            f"{len(phases) - 1} due sweeps that ran digest jobs, {delivery.invocations} worker runs",
        ],
        [
            "CPU per member (delivery)",
            f"{own_cpu_per_member * 1000:.2f} ms",
            f"the code's own; {all_cpu_per_member * 1000:.2f} ms with the emulated AWS calls",
        ],
        ["peak memory per worker run", f"{run['peak_memory'] / 1e6:.1f} MB", "tracemalloc peak, 5 chunks of 50"],
        [
            "week counter shard size",
            f"{run['week_item_bytes'] / 1024:.1f} KB",
            f"{posts} posts: no item grows with them (400 KB limit)",
        ],
    ]
    for name in ("DynamoDB", "Lambda", "SQS", "SES"):
        rows.append(
            [f"cost per 1,000 members per month: {name}", money(per_month[name]), f"{DIGESTS_PER_MONTH} digests"]
        )
    rows += [
        [
            "cost per 1,000 members per month: total",
            money(monthly),
            f"{(monthly / floor - 1) * 100:.2f}% above the floor",
        ],
        ["SES-only floor", money(floor), "$0.10 per 1,000 emails"],
        [
            "total at DynamoDB's Nov 2024 prices",
            money(monthly_2024),
            f"{(monthly_2024 / floor - 1) * 100:.2f}% above the floor ($0.625/$0.125 per million units)",
        ],
        ["target", "within 5% of the floor", "met" if monthly <= floor * 1.05 else "NOT met"],
    ]
    return (
        f"Weekly digest run: {members:,} members, {posts} posts (under moto)",
        ["measure", "value", "detail"],
        rows,
    )


if __name__ == "__main__":
    title, headers, rows = section()
    print(f"## {title}\n")
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")

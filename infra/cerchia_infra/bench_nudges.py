"""Bench section (issue 3): what one nudge sweep reads, for tables of very different sizes.

The same 50 unanswered posts sit among 10,000 and then 100,000 posts of one community. The posts are
written straight into moto (batch_write_item) as ingest would have left them: answered ones without
the `unanswered` index key, unanswered ones keyed at the instant their nudge is due. Then one real
sweep (`cerchia.nudges.sweep.sweep`) runs, with a botocore hook on its DynamoDB client counting requests
and the items each read returned. Reads must follow the due posts, not the size of the table.

    python -m cerchia_infra.bench_nudges        (prints the table; `make bench` includes it)
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

TOTALS = (10_000, 100_000)
UNANSWERED = 50
# The unanswered posts' authors, all distinct; ingest stores each author's name on the post (issue 14).
AUTHORS = 50
POSTERS = 200  # everyone who wrote the answered posts
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday morning in Rome: no quiet hours
READS = ("Query", "GetItem", "BatchGetItem", "Scan")
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
HEADERS = ["posts in table", "unanswered", "read requests", "items read", "Scan", "write requests", "nudges sent"]


class Meter:
    """Counts DynamoDB requests by operation and the items the reads returned (botocore hooks)."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.items = 0

    def before(self, model: Any = None, **_: Any) -> None:
        self.requests[getattr(model, "name", "?")] += 1

    def after(self, parsed: Any = None, model: Any = None, **_: Any) -> None:
        if getattr(model, "name", "") not in READS or not isinstance(parsed, dict):
            return
        self.items += len(parsed.get("Items") or [])
        self.items += 1 if parsed.get("Item") else 0
        self.items += sum(len(found) for found in (parsed.get("Responses") or {}).values())

    @contextlib.contextmanager
    def on(self, client: Any) -> Iterator[Meter]:
        client.meta.events.register("before-call.dynamodb", self.before, unique_id="nudge-bench-before")
        client.meta.events.register("after-call.dynamodb", self.after, unique_id="nudge-bench-after")
        try:
            yield self
        finally:
            client.meta.events.unregister("before-call.dynamodb", unique_id="nudge-bench-before")
            client.meta.events.unregister("after-call.dynamodb", unique_id="nudge-bench-after")

    def total(self, operations: tuple[str, ...]) -> int:
        return sum(self.requests[name] for name in operations)


@contextlib.contextmanager
def one_copy_per_transaction() -> Iterator[None]:
    """moto backs up the whole table once per item of a transaction; once per table is enough.

    With 100,000 items and 51 transaction items that is the difference between seconds and an hour.
    Only the emulator's speed changes: the requests Cerchia makes, and their results, do not.
    """
    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        copies: dict[int, Any] = {}

        class _Copy:
            @staticmethod
            def deepcopy(value: Any) -> Any:
                if id(value) not in copies:
                    copies[id(value)] = copy.deepcopy(value)
                return copies[id(value)]

        saved = models.copy
        models.copy = _Copy  # type: ignore[assignment]
        try:
            original(self, transact_items)
        finally:
            models.copy = saved

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        models.DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


def write_posts(
    client: Any,
    table_name: str,
    community_id: str,
    total: int,
    unanswered: int,
    now: datetime,
    threshold_hours: int = 24,
    authors: int = AUTHORS,
) -> None:
    """`total` posts as ingest leaves them; the newest `unanswered` wait for an answer and are due now.

    Also writes the unanswered posts' authors as members (their names appear in the nudge).
    """
    from cerchia.store import keys
    from cerchia.store.codec import to_item

    threshold = timedelta(hours=threshold_hours)
    items: list[dict[str, Any]] = []
    for number in range(authors):
        member_id = f"m_{number:04d}"
        items.append(
            {
                **keys.member(community_id, member_id),
                "entity": "member",
                "community_id": community_id,
                "member_id": member_id,
                "email": f"{member_id}@example.org",
                "name": f"Member {number:04d}",
                "role": "member",
                "status": "active",
                "version": 1,
            }
        )
    for number in range(total):
        post_id = f"p_{number:06d}"
        waiting = number >= total - unanswered
        created = now - threshold - timedelta(minutes=total - number)
        post: dict[str, Any] = {
            **keys.post(community_id, post_id),
            "entity": "post",
            "community_id": community_id,
            "post_id": post_id,
            "author_id": f"m_{number % (authors if waiting else POSTERS):04d}",
            "title": f"Question number {number}",
            "url": f"https://forum.example.org/t/{number}",
            "created_at": keys.iso(created),
            "placeholder": False,
            "timeline_pk": keys.timeline_posts(community_id),
            "timeline_at": keys.timeline_at(created, post_id),
            "version": 1,
        }
        if waiting:
            post["author_name"] = f"Member {number % authors:04d}"
            post["unanswered_pk"] = keys.UNANSWERED
            post["unanswered_at"] = keys.unanswered_at(created + threshold, community_id, post_id)
        else:
            post |= {
                "reply_count": 1,
                "repliers": {"m_9999"},
                "first_reply_at": keys.iso(created + timedelta(hours=1)),
                "first_reply_seconds": 3600,
            }
        items.append(post)
    for start in range(0, len(items), 25):
        pending: dict[str, Any] = {
            table_name: [{"PutRequest": {"Item": to_item(item)}} for item in items[start : start + 25]]
        }
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def measure(total: int, unanswered: int) -> list[str]:
    """One sweep over a community of `total` posts, `unanswered` of them due: its reads and writes."""
    import boto3
    from moto import mock_aws
    from moto.ses.models import ses_backends

    from cerchia import aws, runtime
    from cerchia.communities import create_community
    from cerchia.nudges.sweep import sweep
    from cerchia_infra.bench_world import LAMBDA_ENV, REGION, TEMPLATE, lambda_environment
    from cerchia_infra.template_table import create_table_from_template

    table_name = LAMBDA_ENV["TABLE_NAME"]
    with lambda_environment(), mock_aws(), one_copy_per_transaction():
        runtime.reset()
        client = boto3.client("dynamodb")
        create_table_from_template(client, TEMPLATE, table_name)
        ses = boto3.client("sesv2")
        ses.create_email_identity(EmailIdentity=LAMBDA_ENV["SENDER_ADDRESS"])
        ses.create_configuration_set(ConfigurationSetName=LAMBDA_ENV["CONFIGURATION_SET"])
        community = create_community(
            name="Bench Bakers",
            timezone="Europe/Rome",
            locale="en",
            leader_email="leader@example.org",
            leader_name="Lea Leader",
            now=NOW - timedelta(days=400),
        )
        write_posts(client, table_name, community.community_id, total, unanswered, NOW)
        with Meter().on(aws.dynamodb()) as meter:
            counts = sweep(NOW)
        account = next(iter(ses_backends))
        sent = len(ses_backends[account][REGION].sent_messages)
    runtime.reset()
    if counts.get("posts") != unanswered:
        raise RuntimeError(f"the sweep queued {counts.get('posts')} posts, expected {unanswered}: {counts}")
    return [
        f"{total:,}",
        str(unanswered),
        str(meter.total(READS)),
        str(meter.items),
        str(meter.requests["Scan"]),
        str(meter.total(WRITES)),
        str(sent),
    ]


def section(totals: tuple[int, ...] = TOTALS, unanswered: int = UNANSWERED) -> tuple[str, list[str], list[list[str]]]:
    """(title, headers, rows) for `make bench`: one row per table size, measured for real."""
    rows = [measure(total, unanswered) for total in totals]
    title = (
        f"One nudge sweep: DynamoDB reads with {unanswered} unanswered posts among N "
        f"(one community, 1 leader, {AUTHORS} authors; items = items returned by Query/GetItem/BatchGetItem)"
    )
    return title, HEADERS, rows


def main() -> None:
    started = time.perf_counter()
    title, headers, rows = section()
    print(f"## {title}\n")
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()

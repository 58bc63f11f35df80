"""Bench sections for DynamoDB's real limits (issues 9 and 14), each runnable alone:

    python -m cerchia_infra.bench --section week-volume          (10,000 posts of one week, 128-character ids)
    python -m cerchia_infra.bench --section hot-post             (20 concurrent writers on one post, conflicts injected)
    python -m cerchia_infra.bench --section requests-per-event   (DynamoDB requests per event, cold and warm)

Every event goes through the real ingest handler, signed, under moto. moto's transactions are made to
back up only the items they touch (cerchia_infra.moto_speed): only the emulator's speed changes.
`CERCHIA_BENCH_WEEK_POSTS` changes the number of posts of `week-volume` (default 10,000).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

WEEK_POSTS = 10_000
ANSWERED_EVERY = 10  # one post in ten gets a reply and a reaction (the week's per-post numbers)
HOT_WRITERS = 20
HOT_ROUNDS = 5
CONFLICT_SHARE = 0.3  # of transactions cancelled with TransactionConflict in `hot-post`


@contextlib.contextmanager
def _stack() -> Iterator[Any]:
    """moto with the table from template.yaml, a community, and the ingest handler; yields (community, send)."""
    import boto3
    from moto import mock_aws

    from cerchia import runtime
    from cerchia_infra.bench_world import (
        LAMBDA_ENV,
        TEMPLATE,
        LambdaContext,
        http_api_event,
        lambda_environment,
        load_handler,
    )
    from cerchia_infra.moto_speed import backups_of_touched_items_only
    from cerchia_infra.template_table import create_table_from_template

    with lambda_environment(), mock_aws(), backups_of_touched_items_only():
        runtime.reset()
        create_table_from_template(boto3.client("dynamodb"), TEMPLATE, LAMBDA_ENV["TABLE_NAME"])
        from cerchia.communities import create_community

        community = create_community(
            name="Bench Bakers", timezone="Europe/Rome", locale="en", leader_email="leader@example.com"
        )
        handler = load_handler("ingest_event")

        def send(event_type: str, data: dict[str, Any], webhook_id: str, at: datetime | None = None) -> int:
            at = at or datetime.now(UTC)
            body = json.dumps({"type": event_type, "timestamp": at.isoformat(), "data": data})
            response = handler.lambda_handler(
                http_api_event(community.community_id, community.webhook_secret, body, webhook_id), LambdaContext()
            )
            return int(response["statusCode"])

        try:
            yield community, send
        finally:
            from cerchia.store import table

            table.wrap_client(None)
            runtime.reset()


def _long(prefix: str, number: int) -> str:
    return f"{prefix}{number:06d}".ljust(128, "x")


def week_volume() -> tuple[str, list[str], list[list[str]]]:
    from cerchia.store import digests as digest_store
    from cerchia.store import get_store
    from cerchia_infra.item_size import LIMIT, largest_item

    posts = int(os.environ.get("CERCHIA_BENCH_WEEK_POSTS", WEEK_POSTS))
    statuses: Counter[int] = Counter()
    rows: list[list[str]] = []
    started = time.perf_counter()
    # Last week, Monday noon to Friday noon: all of it in the past whatever today is (ingest refuses
    # instants after the event's arrival, so this week's Friday would be refused on a Wednesday).
    monday = datetime.now(UTC) - timedelta(days=datetime.now(UTC).weekday() + 7)
    start = monday.replace(hour=12, minute=0, second=0, microsecond=0)
    span = 4 * 24 * 3600 / max(1, posts)
    checkpoints = {posts // 10, posts // 2, posts}
    with _stack() as (community, send):
        store = get_store()
        for number in range(posts):
            at = start + timedelta(seconds=number * span)
            post_id = _long("p", number)
            data = {
                "post_id": post_id,
                "author_id": _long("a", number % 500),
                "title": "Q",
                "url": "https://f.example/t",
            }
            statuses[send("post.created", data, f"msg_p{number}", at)] += 1
            if number % ANSWERED_EVERY == 0:
                reply = {"reply_id": _long("r", number), "post_id": post_id, "author_id": _long("b", number % 700)}
                statuses[send("reply.created", reply, f"msg_r{number}", at + timedelta(minutes=20))] += 1
                reaction = {"post_id": post_id, "member_id": _long("c", number % 300)}
                statuses[send("reaction.added", reaction, f"msg_x{number}", at + timedelta(minutes=30))] += 1
            if number + 1 in checkpoints:
                size, key = largest_item(store.client, store.table_name)
                errors = sum(count for status, count in statuses.items() if status >= 300)
                rows.append(
                    [
                        f"{number + 1:,}",
                        f"{sum(statuses.values()):,}",
                        str(errors),
                        f"{size:,}",
                        f"{size / LIMIT:.2%}",
                        key.get("sk", "")[:32],
                        f"{time.perf_counter() - started:.0f}",
                    ]
                )
                print(f"week-volume: {rows[-1]}", file=sys.stderr, flush=True)
        from cerchia.domain.rules import week_of

        week = week_of(start, "Europe/Rome")
        activity = digest_store.week_activities(store, community.community_id, [week])[week]
        top = digest_store.top_post_candidates(store, community.community_id, week)
    title = (
        f"One week of {posts:,} posts with 128-character ids through ingest "
        f"(one in {ANSWERED_EVERY} answered and liked); week counters: {activity.posts:,} posts, "
        f"{activity.answered:,} answered, {len(activity.posters):,} posters; top candidates read: {len(top)}"
    )
    headers = ["posts", "events", "errors", "largest item (bytes)", "of 400 KB", "largest item (sk)", "seconds"]
    return title, headers, rows


def hot_post() -> tuple[str, list[str], list[list[str]]]:
    from cerchia.store import faults, get_store, table

    statuses: Counter[int] = Counter()
    with _stack() as (_community, send):
        send(
            "post.created", {"post_id": "p_hot", "author_id": "m_0", "title": "Hot", "url": "https://f.example/1"}, "p"
        )
        injected: dict[str, Any] = {}
        table.wrap_client(
            lambda client: injected.setdefault("c", faults.TransactionConflicts(client, share=CONFLICT_SHARE, seed=9))
        )
        store = get_store()
        started = time.perf_counter()
        for round_number in range(HOT_ROUNDS):
            jobs = [
                (
                    "reply.created",
                    {"reply_id": f"r_{round_number}_{n}", "post_id": "p_hot", "author_id": f"m_{round_number}_{n}"},
                    f"msg_{round_number}_{n}",
                )
                for n in range(HOT_WRITERS)
            ]
            with ThreadPoolExecutor(max_workers=HOT_WRITERS) as pool:
                for status in pool.map(lambda job: send(*job), jobs):
                    statuses[status] += 1
        elapsed = time.perf_counter() - started
        post = store.get_post(_community.community_id, "p_hot")
        client = injected["c"]
    total = sum(statuses.values())
    busy = statuses.get(503, 0)
    title = (
        f"{HOT_WRITERS} concurrent writers on one post, {HOT_ROUNDS} rounds, "
        f"{CONFLICT_SHARE:.0%} of transactions cancelled with TransactionConflict (injected)"
    )
    headers = ["requests", "202", "503", "share of 503", "conflicts injected", "reply_count stored", "seconds"]
    rows = [
        [
            str(total),
            str(statuses.get(202, 0)),
            str(busy),
            f"{busy / total:.1%}",
            f"{client.cancelled} of {client.attempted}",
            str(post.reply_count if post else 0),
            f"{elapsed:.1f}",
        ]
    ]
    return title, headers, rows


class _Counting:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if not callable(attribute) or name.startswith("_") or name in ("meta", "exceptions"):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return attribute(*args, **kwargs)

        return counted


EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("member.joined", {"member_id": "m_{n}", "email": "m{n}@example.com", "name": "Member {n}"}),
    ("member.updated", {"member_id": "m_{n}", "locale": "it"}),
    ("post.created", {"post_id": "p_{n}", "author_id": "m_{n}", "title": "Q", "url": "https://f.example/t"}),
    ("reply.created", {"reply_id": "r_{n}", "post_id": "p_{n}", "author_id": "m_x{n}"}),
    ("reaction.added", {"post_id": "p_{n}", "member_id": "m_y{n}"}),
    ("post.deleted", {"post_id": "p_{n}"}),
    ("member.left", {"member_id": "m_{n}"}),
]


def _filled(data: dict[str, Any], n: int) -> dict[str, Any]:
    return {key: value.format(n=n) if isinstance(value, str) else value for key, value in data.items()}


def requests_per_event() -> tuple[str, list[str], list[list[str]]]:
    from cerchia.store import table

    rows: list[list[str]] = []
    with _stack() as (_community, send):
        made: dict[str, _Counting] = {}

        def fresh() -> _Counting:
            """A cold execution environment: a new store (nothing cached), counting its requests."""
            made.pop("c", None)
            table.wrap_client(lambda client: made.setdefault("c", _Counting(client)))
            table.get_store()
            return made["c"]

        totals = Counter[str]()
        for event_type, data in EVENTS:
            cold_client = fresh()
            status_cold = send(event_type, _filled(data, 1), f"cold_{event_type}")
            cold = sum(cold_client.calls.values())
            cold_client.calls.clear()
            warm_data = _filled(data, 2)
            if "reply_id" in warm_data or "reaction" in event_type:
                warm_data["post_id"] = "p_1"  # a post this environment has seen: its author is known here
            if event_type == "post.created":
                warm_data["author_id"] = "m_1"  # an author this environment has seen: their name is known here
            status_warm = send(event_type, warm_data, f"warm_{event_type}")
            warm = sum(cold_client.calls.values())
            operations = ", ".join(f"{name} {count}" for name, count in sorted(cold_client.calls.items()))
            rows.append([event_type, f"{status_cold}/{status_warm}", str(cold), str(warm), operations])
            totals["cold"] += cold
            totals["warm"] += warm
        client = made["c"]
        client.calls.clear()
        send("member.joined", _filled(EVENTS[0][1], 2), "warm_member.joined")  # the platform redelivers
        rows.append(["duplicate delivery", "200", "-", str(sum(client.calls.values())), "TransactWriteItems 1"])
    rows.append(["mean", "", f"{totals['cold'] / len(EVENTS):.2f}", f"{totals['warm'] / len(EVENTS):.2f}", "per event"])
    title = (
        "DynamoDB requests per ingested event: cold (a new execution environment) and warm "
        "(same environment, a second event of that type about a post or author it has seen; community cached ≤ 60 s)"
    )
    return title, ["event", "status cold/warm", "cold", "warm", "warm operations"], rows

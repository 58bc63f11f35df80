"""Helpers for the digest tests: a delivery queue under moto, sweeps that drain it, and a week of events."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

import boto3
import pytest

from support import EVENTS, LambdaContext, MovableClock, load_handler, sqs_records

# The `community` fixture is created on Monday 2026-11-23 09:00 in Rome: week 2026-W48.
WEEK = "2026-W48"
MONDAY_AFTER = datetime(2026, 11, 30, tzinfo=UTC)  # the digest Monday (00:00 UTC = 01:00 Rome)


def body(fixture: str, at: datetime, **data: Any) -> dict[str, Any]:
    """A realistic event from tests/events/ happening at `at` (envelope timestamp and created_at)."""
    event = copy.deepcopy(json.loads((EVENTS / f"{fixture}.json").read_text()))
    event["timestamp"] = at.isoformat().replace("+00:00", "Z")
    if "created_at" in event["data"]:
        event["data"]["created_at"] = event["timestamp"]
    event["data"].update(data)
    return event


@dataclass
class Sweeper:
    """Runs the due sweep and the delivery worker the way their schedules and queue would."""

    clock: MovableClock
    queue_url: str
    failures: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sweep = load_handler("run_due_jobs")
        self.worker = load_handler("deliver_emails")

    def once(self) -> None:
        self.sweep.lambda_handler({}, LambdaContext())
        self.drain()

    def drain(self) -> list[dict[str, Any]]:
        records = sqs_records(self.queue_url)
        for start in range(0, len(records), 5):
            answer = self.worker.lambda_handler({"Records": records[start : start + 5]}, LambdaContext())
            self.failures.extend(answer["batchItemFailures"])
        return records

    def until(self, instant: datetime) -> None:
        """Move to `instant`, sweeping at each minute a job falls due on the way, as the every-minute schedule would.

        Minutes with nothing due are skipped: the sweep would find nothing in them.
        """
        while True:
            due = next_due()
            if due is None or due > instant:
                break
            minute = due.replace(second=0, microsecond=0)
            self.clock.current = max(self.clock.now(), minute if minute == due else minute + timedelta(minutes=1))
            self.once()
        self.clock.current = max(self.clock.now(), instant)
        self.once()


def next_due() -> datetime | None:
    """The instant of the earliest job in the due index (what the sweep will find first)."""
    from cerchia.store import get_store, keys
    from cerchia.store.codec import to_value

    store = get_store()
    page = store.call(
        "query",
        TableName=store.table_name,
        IndexName="due",
        KeyConditionExpression="due_pk = :due",
        ExpressionAttributeValues={":due": to_value(keys.DUE)},
        Limit=1,
    )
    items = page.get("Items", [])
    return datetime.fromisoformat(items[0]["due"]["S"].replace("Z", "+00:00")) if items else None


def start_sweeper(clock: MovableClock, monkeypatch: pytest.MonkeyPatch) -> Sweeper:
    """A delivery queue under moto (given to the functions as DELIVERY_QUEUE_URL) and a sweeper driving it."""
    from cerchia import runtime

    url = boto3.client("sqs").create_queue(QueueName="delivery")["QueueUrl"]
    monkeypatch.setenv("DELIVERY_QUEUE_URL", url)
    monkeypatch.setenv("MAX_SEND_RATE", "0")  # no pacing of our own: sending's pacer never waits
    runtime.reset()
    return Sweeper(clock, str(url))


def kind_of(mail: EmailMessage) -> str:
    return str(mail["X-Cerchia-Kind"])


def to(mail: EmailMessage) -> str:
    return str(mail["To"].addresses[0].addr_spec)


def sent_at(mail: EmailMessage) -> datetime:
    return parsedate_to_datetime(str(mail["Date"])).astimezone(UTC)


def html(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # lines end with CRLF on the wire


def text(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # lines end with CRLF on the wire


def of_kind(outbox: Callable[[], list[EmailMessage]], kind: str) -> list[EmailMessage]:
    return [mail for mail in outbox() if kind_of(mail) == kind]


def set_member(community_id: str, member_id: str, **values: Any) -> None:
    """Change a member row directly (what the preference page of issue 6 does)."""
    from cerchia.store import get_store, keys
    from cerchia.store.table import Update

    store = get_store()
    store.call("update_item", **Update(keys.member(community_id, member_id), sets=values).expression(store.table_name))


def set_community(community_id: str, **values: Any) -> None:
    from cerchia.store import get_store, keys
    from cerchia.store.table import Update

    store = get_store()
    store.call("update_item", **Update(keys.community(community_id), sets=values).expression(store.table_name))

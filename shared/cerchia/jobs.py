"""Time-driven work: what each kind of job does when the due sweep finds it, and the email fan-out.

A job runner takes (job, now) and returns when it should run next (None: done). It must be
idempotent: the sweep may run it twice (a crash before the job is rescheduled). Runners that
email many members enqueue chunks on the delivery queue; a deliverer then sends each member's
email through the ledger, so a redelivered chunk sends nothing twice.

Registries name "module:function" so a function imports only what it runs.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from cerchia.store.table import Job

# job kind -> "module:function(job, now) -> datetime | None"
JOB_RUNNERS: dict[str, str] = {
    "newcomer": "cerchia.nudges:run_newcomer_check",  # issue 3: a quiet newcomer, a few days after joining
    "poll": "cerchia.polls:run_poll_job",  # issue 4: send at send_at, remind 24 h before close, close and report
    "digest-week": "cerchia.digests:run_round",  # issue 5: the week's content, once; schedules the sends
    "digest-send": "cerchia.digests:run_send",  # issue 5: one group of readers at their local digest hour
}

# delivery kind -> "module:function(delivery: Delivery, member_id: str, now) -> str" (the outcome)
DELIVERERS: dict[str, str] = {
    "poll": "cerchia.polls:deliver_poll",  # issue 4
    "poll-reminder": "cerchia.polls:deliver_reminder",  # issue 4
    "poll-results": "cerchia.polls:deliver_results",  # issue 4
    "digest": "cerchia.digests:deliver_member_digest",  # issue 5
    "leader-digest": "cerchia.digests:deliver_leader_digest",  # issue 5
}

CHUNK_SIZE = 50  # members per queue message


@dataclass(frozen=True)
class Delivery:
    """One chunk of members who should each get one email of a kind for (community, ref, period)."""

    kind: str
    community_id: str
    ref: str
    period: str
    member_ids: tuple[str, ...]
    payload: dict[str, Any]

    def to_message(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "community_id": self.community_id,
                "ref": self.ref,
                "period": self.period,
                "member_ids": list(self.member_ids),
                "payload": self.payload,
            }
        )

    @classmethod
    def from_message(cls, body: str) -> Delivery:
        raw = json.loads(body)
        return cls(
            kind=raw["kind"],
            community_id=raw["community_id"],
            ref=raw["ref"],
            period=raw["period"],
            member_ids=tuple(raw["member_ids"]),
            payload=raw.get("payload") or {},
        )


@lru_cache(maxsize=64)
def _resolve(path: str) -> Callable[..., Any]:
    module, _, function = path.partition(":")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


def run_job(job: Job, now: datetime) -> datetime | None:
    runner = JOB_RUNNERS.get(job.kind)
    if runner is None:
        raise LookupError(f"No runner for job kind {job.kind!r}; add it to cerchia.jobs.JOB_RUNNERS.")
    return _resolve(runner)(job, now)  # type: ignore[no-any-return]


def run_due_jobs(now: datetime, limit: int = 100) -> dict[str, int]:
    """Run every job due by `now`. A job that fails stays due and is retried by the next sweep."""
    from cerchia.observability import logger
    from cerchia.store import get_store

    store = get_store()
    counts = {"ran": 0, "failed": 0}
    for job in store.due_jobs(now, limit):
        try:
            next_due = run_job(job, now)
        except Exception:
            counts["failed"] += 1
            logger().exception("job failed; it stays due", extra={"job_kind": job.kind, "job_ref": job.ref})
            continue
        store.finish_job(job, next_due)
        counts["ran"] += 1
    return counts


def next_due() -> datetime | None:
    """When the first pending job is due (None: none is pending); the sweep finds nothing before then."""
    from cerchia.store import get_store

    return get_store().next_job_due()


def chunks(member_ids: Iterable[str], size: int = CHUNK_SIZE) -> Iterable[tuple[str, ...]]:
    batch: list[str] = []
    for member_id in member_ids:
        batch.append(member_id)
        if len(batch) == size:
            yield tuple(batch)
            batch = []
    if batch:
        yield tuple(batch)


def enqueue(
    kind: str,
    community_id: str,
    ref: str,
    period: str,
    member_ids: Iterable[str],
    payload: dict[str, Any] | None = None,
) -> int:
    """Put chunks of members on the delivery queue; returns how many chunks. Safe to repeat (the ledger dedupes)."""
    from cerchia import aws
    from cerchia.settings import get_settings

    queue_url = get_settings().delivery_queue_url
    if not queue_url:
        raise RuntimeError("DELIVERY_QUEUE_URL is not set; template.yaml gives it to functions that fan out.")
    messages = [
        Delivery(kind, community_id, ref, period, chunk, payload or {}).to_message() for chunk in chunks(member_ids)
    ]
    for start in range(0, len(messages), 10):
        batch = messages[start : start + 10]
        response = aws.sqs().send_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": str(number), "MessageBody": body} for number, body in enumerate(batch)]
        )
        if response.get("Failed"):
            raise RuntimeError(f"The delivery queue refused {len(response['Failed'])} chunks; the job will retry.")
    return len(messages)


def deliver(delivery: Delivery, now: datetime) -> dict[str, int]:
    """Send one chunk. Raises on the first failure so the message is redelivered; sent ones are skipped then."""
    deliverer = DELIVERERS.get(delivery.kind)
    if deliverer is None:
        raise LookupError(f"No deliverer for {delivery.kind!r}; add it to cerchia.jobs.DELIVERERS.")
    counts: dict[str, int] = {}
    for member_id in delivery.member_ids:
        outcome = _resolve(deliverer)(delivery, member_id, now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts

"""Time-driven work: what each kind of job does when the due sweep finds it, and the email fan-out.

A job runner takes (job, now) and returns when it should run next (None: done). It must be
idempotent: the sweep may run it twice (a crash before the job is rescheduled). Runners that
email many members enqueue chunks on the delivery queue; a deliverer then sends each member's
email through the ledger, so a redelivered chunk sends nothing twice.

Registries name "module:function" so a function imports only what it runs.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from cerchia.store.table import Job

# job kind -> "module:function(job, now) -> datetime | None"
JOB_RUNNERS: dict[str, str] = {
    "newcomer": "cerchia.nudges.newcomers:run_newcomer_check",  # issue 3: a quiet newcomer, a few days after joining
    "poll": "cerchia.polls.jobs:run_poll_job",  # issue 4: send at send_at, remind 24 h before close, close and report
    "digest-week": "cerchia.digests.rounds:run_round",  # issue 5: the week's content, once; schedules the sends
    "digest-send": "cerchia.digests.rounds:run_send",  # issue 5: one group of readers at their local digest hour
    "welcome": "cerchia.welcome.jobs:run_welcome_job",  # a welcome SES could not send yet (issue 9)
    "delivery": "cerchia.jobs:run_delivery_job",  # a chunk SES could not send yet (issue 9)
}

# delivery kind -> "module:function(delivery: Delivery, member_id: str, now) -> str" (the outcome)
DELIVERERS: dict[str, str] = {
    "poll": "cerchia.polls.jobs:deliver_poll",  # issue 4
    "poll-reminder": "cerchia.polls.jobs:deliver_reminder",  # issue 4
    "poll-results": "cerchia.polls.jobs:deliver_results",  # issue 4
    "digest": "cerchia.digests.delivery:deliver_member_digest",  # issue 5
    "leader-digest": "cerchia.digests.delivery:deliver_leader_digest",  # issue 5
}

CHUNK_SIZE = 50  # members per queue message

# The due sweep starts no job after SWEEP_BUDGET (it runs every minute; template.yaml gives it the
# time to finish the last one, a kept chunk of CHUNK_SIZE emails at the slowest MaxSendRate).
SWEEP_BUDGET = timedelta(seconds=40)
JOB_RETRY_BASE = timedelta(minutes=1)
JOB_RETRY_CAP = timedelta(hours=1)
MAX_JOB_ATTEMPTS = 8  # about four hours of failures in a row, then parked
OUTAGE_RETRY = timedelta(minutes=5)  # while SES cannot send for the account


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


def run_due_jobs(
    now: datetime, budget: timedelta = SWEEP_BUDGET, monotonic: Callable[[], float] = time.monotonic
) -> dict[str, int]:
    """Run the jobs due by `now`, oldest first, page after page, until none is left or the budget is spent.

    A job that fails is due again after a backoff that doubles with each failure in a row (capped);
    after MAX_JOB_ATTEMPTS it is parked (`JobsParked`, an alarm; `cerchia jobs parked` lists it,
    `cerchia jobs retry` puts it back). A job held up by SES refusing the whole account is not the
    job's fault: it is retried every OUTAGE_RETRY, however long the outage, and never parked.
    """
    from cerchia.store import get_store

    store = get_store()
    counts = {"ran": 0, "failed": 0}
    deadline = monotonic() + budget.total_seconds()
    for job in store.due_job_pages(now):
        if monotonic() >= deadline:
            counts["left"] = counts.get("left", 0) + 1
            break
        try:
            next_due = run_job(job, now)
        except Exception as error:
            counts["failed"] += 1
            outcome = _after_failure(store, job, error, now)
            counts[outcome] = counts.get(outcome, 0) + 1
            continue
        store.finish_job(job, next_due)
        counts["ran"] += 1
    return counts


def backoff(attempts: int) -> timedelta:
    """How long a job waits after its `attempts`-th failure in a row: 1, 2, 4 ... minutes, capped."""
    return min(JOB_RETRY_CAP, JOB_RETRY_BASE * 2 ** max(0, attempts - 1))


def _after_failure(store: Any, job: Job, error: Exception, now: datetime) -> str:
    """Retry or park a job that raised; returns which ('retried' or 'parked')."""
    from cerchia.mail.sending import SendingUnavailable
    from cerchia.observability import count, logger

    reason = f"{type(error).__name__}: {error}"
    extra = {"job_kind": job.kind, "job_ref": job.ref}
    if isinstance(error, SendingUnavailable):
        logger().warning("job waits for SES to send again", extra={**extra, "code": error.code})
        store.retry_job(job, now + OUTAGE_RETRY, job.attempts, reason)
        return "retried"
    attempts = job.attempts + 1
    if attempts >= MAX_JOB_ATTEMPTS:
        logger().exception("job failed too often; parked", extra={**extra, "attempts": attempts})
        if store.park_job(job, attempts, reason, now):
            count("JobsParked")
        return "parked"
    logger().exception("job failed; it backs off", extra={**extra, "attempts": attempts})
    store.retry_job(job, now + backoff(attempts), attempts, reason)
    return "retried"


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
    """Send one chunk: every member is attempted once, whatever happens to the others.

    A member SES refuses is recorded as refused and the chunk goes on. If the account cannot send
    (SES: not verified, paused, throttled...), the members not yet served are kept as a `delivery`
    job, retried by the due sweep until sending works again, so the queue's retries running out
    never drops them. Any other failure is raised once every member has been attempted, so the
    queue redelivers the chunk; the ledger skips those already sent.
    """
    from cerchia.mail.sending import SendingUnavailable
    from cerchia.observability import logger

    deliverer = DELIVERERS.get(delivery.kind)
    if deliverer is None:
        raise LookupError(f"No deliverer for {delivery.kind!r}; add it to cerchia.jobs.DELIVERERS.")
    counts: dict[str, int] = {}
    failed: list[Exception] = []
    for position, member_id in enumerate(delivery.member_ids):
        try:
            outcome = _resolve(deliverer)(delivery, member_id, now)
        except SendingUnavailable:
            keep_for_later(delivery, delivery.member_ids[position:], now)
            counts["kept"] = len(delivery.member_ids) - position
            break
        except Exception as error:
            logger().exception("one member's email failed; the chunk goes on", extra={"kind": delivery.kind})
            failed.append(error)
            outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
    if failed:
        raise RuntimeError(
            f"{len(failed)} of {len(delivery.member_ids)} emails of this chunk failed; it will be delivered again."
        ) from failed[0]
    return counts


def keep_for_later(delivery: Delivery, member_ids: tuple[str, ...], now: datetime) -> None:
    """Park the rest of a chunk as a `delivery` job while SES cannot send (safe to repeat: same ref)."""
    from cerchia.store import get_store

    rest = Delivery(delivery.kind, delivery.community_id, delivery.ref, delivery.period, member_ids, delivery.payload)
    identity = f"{delivery.kind}|{delivery.community_id}|{delivery.ref}|{delivery.period}|{member_ids[0]}"
    ref = hashlib.sha256(identity.encode()).hexdigest()[:32]
    get_store().schedule_job("delivery", ref, delivery.community_id, now + OUTAGE_RETRY, {"message": rest.to_message()})


def run_delivery_job(job: Job, now: datetime) -> datetime | None:
    """The `delivery` job: a chunk kept while SES could not send, sent from the due sweep once it can.

    SES still refusing the account raises from `deliver` (the job is retried later); members
    already served are skipped by the ledger.
    """
    from cerchia.mail.sending import SendingUnavailable

    delivery = Delivery.from_message(job.payload["message"])
    deliverer = _resolve(DELIVERERS[delivery.kind])
    failed = 0
    for member_id in delivery.member_ids:
        try:
            deliverer(delivery, member_id, now)
        except SendingUnavailable:
            raise
        except Exception:
            failed += 1
    if failed:
        raise RuntimeError(f"{failed} emails of a kept chunk failed; the job will retry them.")
    return None

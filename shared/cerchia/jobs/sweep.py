"""The due sweep: run the jobs whose instant has come, back off the ones that fail, park the hopeless.

A job runner takes (job, now) and returns when it should run next (None: done). It must be
idempotent: the sweep may run it twice (a crash before the job is rescheduled). The runners are
given by the caller (`cerchia.dispatch.JOB_RUNNERS`); this engine knows no feature.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from cerchia.mail.sending import SendingUnavailable
from cerchia.observability import count, logger
from cerchia.store import Store, get_store
from cerchia.store.table import Job

JobRunner = Callable[[Job, datetime], datetime | None]

# The due sweep starts no job after SWEEP_BUDGET (it runs every minute; template.yaml gives it the
# time to finish the last one, a kept chunk of CHUNK_SIZE emails at the slowest MaxSendRate).
SWEEP_BUDGET = timedelta(seconds=40)
JOB_RETRY_BASE = timedelta(minutes=1)
JOB_RETRY_CAP = timedelta(hours=1)
MAX_JOB_ATTEMPTS = 8  # about four hours of failures in a row, then parked
OUTAGE_RETRY = timedelta(minutes=5)  # while SES cannot send for the account


def run_job(job: Job, now: datetime, runners: Mapping[str, JobRunner]) -> datetime | None:
    runner = runners.get(job.kind)
    if runner is None:
        raise LookupError(f"No runner for job kind {job.kind!r}; add it to cerchia.dispatch.JOB_RUNNERS.")
    return runner(job, now)


def run_due_jobs(
    now: datetime,
    runners: Mapping[str, JobRunner],
    budget: timedelta = SWEEP_BUDGET,
    monotonic: Callable[[], float] = time.monotonic,
) -> dict[str, int]:
    """Run the jobs due by `now`, oldest first, page after page, until none is left or the budget is spent.

    A job that fails is due again after a backoff that doubles with each failure in a row (capped);
    after MAX_JOB_ATTEMPTS it is parked (`JobsParked`, an alarm; `cerchia jobs parked` lists it,
    `cerchia jobs retry` puts it back). A job held up by SES refusing the whole account is not the
    job's fault: it is retried every OUTAGE_RETRY, however long the outage, and never parked.
    """
    store = get_store()
    counts = {"ran": 0, "failed": 0}
    deadline = monotonic() + budget.total_seconds()
    for job in store.due_job_pages(now):
        if monotonic() >= deadline:
            counts["left"] = counts.get("left", 0) + 1
            break
        try:
            next_due = run_job(job, now, runners)
        except Exception as error:
            counts["failed"] += 1
            outcome = after_failure(store, job, error, now)
            counts[outcome] = counts.get(outcome, 0) + 1
            continue
        store.finish_job(job, next_due)
        counts["ran"] += 1
    return counts


def backoff(attempts: int) -> timedelta:
    """How long a job waits after its `attempts`-th failure in a row: 1, 2, 4 ... minutes, capped."""
    return min(JOB_RETRY_CAP, JOB_RETRY_BASE * 2 ** max(0, attempts - 1))


def after_failure(store: Store, job: Job, error: Exception, now: datetime) -> str:
    """Retry or park a job that raised; returns which ('retried' or 'parked')."""
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
    return get_store().next_job_due()

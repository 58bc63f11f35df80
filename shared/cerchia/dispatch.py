"""The job and delivery registries: which feature does each kind of due job and of email chunk.

The top layer: it is the one module that knows every feature with time-driven work, so the jobs
engine (`cerchia.jobs`) knows none. The due sweep and the delivery worker call `run_due_jobs` and
`deliver` here. To add a kind, add its function to a registry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from cerchia import jobs
from cerchia.digests import delivery as digest_delivery
from cerchia.digests import rounds
from cerchia.jobs import Deliverer, Delivery, JobRunner
from cerchia.nudges import newcomers
from cerchia.polls import jobs as poll_jobs
from cerchia.store.jobs import Job
from cerchia.welcome import jobs as welcome_jobs

# delivery kind -> deliverer(delivery, member_id, now) -> the outcome for that member
DELIVERERS: dict[str, Deliverer] = {
    "poll": poll_jobs.deliver_poll,  # issue 4
    "poll-reminder": poll_jobs.deliver_reminder,  # issue 4
    "poll-results": poll_jobs.deliver_results,  # issue 4
    "digest": digest_delivery.deliver_member_digest,  # issue 5
    "leader-digest": digest_delivery.deliver_leader_digest,  # issue 5
}


def run_delivery_job(job: Job, now: datetime) -> datetime | None:
    """A chunk SES could not send yet, sent by the deliverer of its kind (issue 9)."""
    return jobs.run_delivery_job(job, now, DELIVERERS)


# job kind -> runner(job, now) -> when it runs next (None: done)
JOB_RUNNERS: dict[str, JobRunner] = {
    "newcomer": newcomers.run_newcomer_check,  # issue 3: a quiet newcomer, a few days after joining
    "poll": poll_jobs.run_poll_job,  # issue 4: send at send_at, remind 24 h before close, close and report
    "digest-week": rounds.run_round,  # issue 5: the week's content, once; schedules the sends
    "digest-send": rounds.run_send,  # issue 5: one group of readers at their local digest hour
    "welcome": welcome_jobs.run_welcome_job,  # a welcome SES could not send yet (issue 9)
    "delivery": run_delivery_job,  # a chunk SES could not send yet (issue 9)
}


def run_due_jobs(
    now: datetime, budget: timedelta = jobs.SWEEP_BUDGET, monotonic: Callable[[], float] = time.monotonic
) -> dict[str, int]:
    """The due sweep over every registered kind of job (see `cerchia.jobs.run_due_jobs`)."""
    return jobs.run_due_jobs(now, JOB_RUNNERS, budget, monotonic)


def deliver(delivery: Delivery, now: datetime) -> dict[str, int]:
    """Send one chunk with the deliverer of its kind (see `cerchia.jobs.deliver`)."""
    return jobs.deliver(delivery, now, DELIVERERS)


next_due = jobs.next_due

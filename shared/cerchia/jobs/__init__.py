"""The jobs engine: due jobs, backoff and parking, chunks on the delivery queue, and sending them.

It knows no feature: the runners and deliverers are registries handed in by `cerchia.dispatch`.
Features import what they need from here (`Delivery`, `enqueue`, `OUTAGE_RETRY`).
"""

from cerchia.jobs.delivery import (
    CHUNK_SIZE,
    Deliverer,
    Delivery,
    chunks,
    deliver,
    enqueue,
    keep_for_later,
    run_delivery_job,
)
from cerchia.jobs.sweep import (
    JOB_RETRY_BASE,
    JOB_RETRY_CAP,
    MAX_JOB_ATTEMPTS,
    OUTAGE_RETRY,
    SWEEP_BUDGET,
    JobRunner,
    backoff,
    next_due,
    run_due_jobs,
    run_job,
)

__all__ = [
    "CHUNK_SIZE",
    "JOB_RETRY_BASE",
    "JOB_RETRY_CAP",
    "MAX_JOB_ATTEMPTS",
    "OUTAGE_RETRY",
    "SWEEP_BUDGET",
    "Deliverer",
    "Delivery",
    "JobRunner",
    "backoff",
    "chunks",
    "deliver",
    "enqueue",
    "keep_for_later",
    "next_due",
    "run_delivery_job",
    "run_due_jobs",
    "run_job",
]

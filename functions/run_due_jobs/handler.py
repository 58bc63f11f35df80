"""Every minute: run the jobs whose instant has come (poll sends, reminders, closes; digests)."""

from __future__ import annotations

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from aws_lambda_powertools import Logger

from cerchia import clock
from cerchia.dispatch import next_due, run_due_jobs

logger = Logger()
# Asked by the local stack, which passes over the minutes before the first job is due.
next_work = next_due


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    counts = run_due_jobs(clock.now())
    logger.info("due jobs", **counts)
    return counts

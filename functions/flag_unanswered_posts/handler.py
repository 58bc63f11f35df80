"""Every 15 minutes: nudge leaders about posts nobody answered (and quiet newcomers), one email each."""

from __future__ import annotations

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from aws_lambda_powertools import Logger

from cerchia import clock
from cerchia.nudges.sweep import next_due, sweep

logger = Logger()
# Asked by the local stack, which passes over the sweeps before a post's nudge or a queue is due.
next_work = next_due


class SweepIncomplete(RuntimeError):
    """Some leaders' nudges could not go out; raising makes the scheduler retry the (idempotent) sweep."""


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    counts = sweep(clock.now())
    logger.info("nudge sweep", **counts)
    if counts.get("failed"):
        raise SweepIncomplete(f"{counts['failed']} leader nudge(s) stay queued; the retry sends them, never twice.")
    return counts

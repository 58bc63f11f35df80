"""The scheduled sweeps say when they next have work (the local stack passes over the instants before)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nudges_support import Sweeper
from support import event

POSTED = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # tests/events/post_created.json


def test_the_due_sweep_next_has_work_at_its_earliest_pending_job(aws):
    from cerchia.jobs import next_due
    from cerchia.store import get_store

    nothing_yet = next_due()
    get_store().schedule_job("poll", "p_later", "c_1", POSTED + timedelta(days=2))
    get_store().schedule_job("poll", "p_sooner", "c_1", POSTED + timedelta(hours=3, seconds=7))

    assert nothing_yet is None
    assert next_due() == POSTED + timedelta(hours=3, seconds=7)


def test_the_nudge_sweep_next_has_work_at_the_threshold_then_the_reminder_then_never(community, ingest, clock):
    from cerchia.nudges.sweep import next_due

    sweep = Sweeper()
    ingest(community, event("member_joined"))
    ingest(community, event("post_created"))  # Giulia asks; nobody answers
    at_threshold = next_due()
    clock.current = POSTED + timedelta(hours=24)
    sweep()  # the first nudge
    at_reminder = next_due()
    clock.current = POSTED + timedelta(hours=48)
    sweep()  # the reminder: after it the post is never due again

    assert at_threshold == POSTED + timedelta(hours=24)
    assert at_reminder == POSTED + timedelta(hours=48)
    assert next_due() is None

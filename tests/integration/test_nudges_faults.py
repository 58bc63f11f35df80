"""A sweep that fails half-way is retried: every leader gets the nudge once, nobody twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nudges_support import Sweeper, kind, text, to
from support import event

FOUNDER = "marco.bianchi@example.com"
ANNA = "anna.verdi@example.com"
POSTED = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
TITLE = "Come conservate il lievito madre d'estate?"


class LambdaTimedOut(BaseException):
    """What the runtime does to a function that runs out of time: nothing after it runs."""


@pytest.fixture
def sweep(aws):
    return Sweeper()


@pytest.fixture
def two_leaders_one_question(community, ingest, clock):
    """Marco (the founder) and Anna lead; Giulia's question has waited 24 hours."""
    ingest(community, event("nudges_leader_joined"))
    ingest(community, event("member_joined"))
    ingest(community, event("post_created"))
    clock.current = POSTED + timedelta(hours=24)
    return community


def nudges_to(outbox, address):
    return to(kind(outbox(), "nudge"), address)


def test_sweep_failing_after_the_first_leaders_email_is_retried_for_the_second_only(
    two_leaders_one_question, clock, sweep, outbox, monkeypatch
):
    from botocore.exceptions import ClientError

    from cerchia import aws

    ses = aws.sesv2()
    real_send = ses.send_email
    sends = {"count": 0}

    def second_send_fails(**request):
        sends["count"] += 1
        if sends["count"] == 2:
            raise ClientError({"Error": {"Code": "InternalFailure", "Message": "SES is down"}}, "SendEmail")
        return real_send(**request)

    monkeypatch.setattr(ses, "send_email", second_send_fails)
    with pytest.raises(RuntimeError, match="stay queued"):
        sweep()
    assert len(nudges_to(outbox, FOUNDER)) == 1 and nudges_to(outbox, ANNA) == []

    monkeypatch.undo()
    clock.advance(minutes=1)  # the scheduler's retry comes a little later
    sweep()

    assert len(nudges_to(outbox, FOUNDER)) == 1
    [anna] = nudges_to(outbox, ANNA)
    assert TITLE in text(anna)


def test_crash_right_after_the_first_leaders_email_is_out_sends_no_duplicate(
    two_leaders_one_question, clock, sweep, outbox, monkeypatch
):
    from cerchia.store import nudges as nudge_store

    real_finish = nudge_store.finish_outgoing

    def time_out(*args, **kwargs):
        raise LambdaTimedOut

    monkeypatch.setattr(nudge_store, "finish_outgoing", time_out)
    with pytest.raises(LambdaTimedOut):
        sweep()
    assert len(nudges_to(outbox, FOUNDER)) == 1 and nudges_to(outbox, ANNA) == []

    monkeypatch.setattr(nudge_store, "finish_outgoing", real_finish)
    clock.advance(minutes=15)  # even the next scheduled sweep, at a later instant
    counts = sweep()

    assert len(nudges_to(outbox, FOUNDER)) == 1
    assert len(nudges_to(outbox, ANNA)) == 1
    assert counts["already-sent"] == 1 and counts["sent"] == 1


def test_a_retry_sends_the_batch_that_was_recorded_and_newer_posts_come_in_the_next_email(
    two_leaders_one_question, ingest, clock, sweep, outbox, monkeypatch
):
    from cerchia.mail import sending

    real_build = sending.build
    calls = {"count": 0}

    def crash_on_the_second_email(outgoing, **kwargs):
        calls["count"] += 1
        if calls["count"] == 2:
            raise LambdaTimedOut
        return real_build(outgoing, **kwargs)

    later = event("post_created", post_id="p_302", title="Forno elettrico o a gas?", created_at="2026-11-23T11:10:00Z")
    ingest(two_leaders_one_question, later)
    clock.current = POSTED + timedelta(hours=24, minutes=10)  # p_301 and p_302 are due
    monkeypatch.setattr(sending, "build", crash_on_the_second_email)
    with pytest.raises(LambdaTimedOut):
        sweep()
    monkeypatch.setattr(sending, "build", real_build)

    newer = event("post_created", post_id="p_303", title="Pane senza glutine?", created_at="2026-11-23T11:14:00Z")
    ingest(two_leaders_one_question, newer)
    clock.current = POSTED + timedelta(hours=24, minutes=15)  # the retry comes when p_303 is due too
    sweep()

    marco = nudges_to(outbox, FOUNDER)
    [anna] = nudges_to(outbox, ANNA)
    assert len(marco) == 2  # the first batch, then p_303 in the next sweep's email
    assert TITLE in text(anna) and "Forno elettrico o a gas?" in text(anna)
    assert "Pane senza glutine?" not in text(anna)
    assert "Pane senza glutine?" in text(marco[1]) and TITLE not in text(marco[1])

    clock.advance(minutes=15)
    sweep()

    assert "Pane senza glutine?" in text(nudges_to(outbox, ANNA)[-1])
    assert len(nudges_to(outbox, FOUNDER)) == 2 and len(nudges_to(outbox, ANNA)) == 2

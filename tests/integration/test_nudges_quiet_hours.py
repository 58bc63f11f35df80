"""Quiet hours: a nudge due at night waits for the leader's morning, in their time zone, across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nudges_support import Sweeper, kind, set_member, text, to
from support import event

FOUNDER = "marco.bianchi@example.com"
ANNA = "anna.verdi@example.com"


@pytest.fixture
def sweep(aws):
    return Sweeper()


def question(post_id, title, created_at):
    body = event(
        "post_created",
        post_id=post_id,
        title=title,
        url=f"https://forum.example.com/t/{post_id}",
        created_at=created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    body["timestamp"] = body["data"]["created_at"]
    return body


def nudges(outbox):
    return kind(outbox(), "nudge")


def sweep_at(clock, sweep, *instants):
    for instant in instants:
        clock.current = instant
        sweep()


def test_a_nudge_due_at_night_waits_for_8_in_rome_after_the_october_dst_change(community, ingest, clock, sweep, outbox):
    # Due Saturday 24 October 2026, 22:30 in Rome (20:30Z). The clocks go back that night (03:00 -> 02:00),
    # so Sunday's 08:00 in Rome is 07:00Z, not 06:00Z as it would have been the day before.
    ingest(community, question("p_1", "Lievito secco o fresco?", datetime(2026, 10, 23, 20, 30, tzinfo=UTC)))

    sweep_at(
        clock,
        sweep,
        datetime(2026, 10, 24, 20, 30, tzinfo=UTC),
        datetime(2026, 10, 24, 23, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 6, 0, tzinfo=UTC),  # 07:00 in Rome (08:00 by yesterday's offset)
        datetime(2026, 10, 25, 6, 45, tzinfo=UTC),
    )
    assert nudges(outbox) == []

    sweep_at(clock, sweep, datetime(2026, 10, 25, 7, 0, tzinfo=UTC))

    [message] = nudges(outbox)
    assert "Lievito secco o fresco?" in text(message)
    assert "in attesa da 34 ore" in text(message)


def test_a_nudge_due_at_night_waits_for_8_in_rome_after_the_march_dst_change(community, ingest, clock, sweep, outbox):
    # Due Saturday 27 March 2027, 22:30 in Rome; that night the clocks go forward (02:00 -> 03:00),
    # so Sunday's 08:00 in Rome is 06:00Z.
    clock.current = datetime(2027, 3, 26, 21, 30, tzinfo=UTC)  # the post arrives when it is written
    ingest(community, question("p_1", "Colomba fatta in casa", datetime(2027, 3, 26, 21, 30, tzinfo=UTC)))

    sweep_at(clock, sweep, datetime(2027, 3, 27, 21, 30, tzinfo=UTC), datetime(2027, 3, 28, 5, 45, tzinfo=UTC))
    assert nudges(outbox) == []

    sweep_at(clock, sweep, datetime(2027, 3, 28, 6, 0, tzinfo=UTC))

    assert len(nudges(outbox)) == 1


def test_each_leader_is_nudged_in_their_own_morning(community, ingest, clock, sweep, outbox):
    ingest(community, event("nudges_leader_joined", timezone="America/New_York"))
    ingest(community, event("post_created"))  # due 24 Nov 11:00Z: noon in Rome, 06:00 in New York

    sweep_at(clock, sweep, datetime(2026, 11, 24, 11, 0, tzinfo=UTC), datetime(2026, 11, 24, 12, 45, tzinfo=UTC))
    assert len(to(nudges(outbox), FOUNDER)) == 1
    assert to(nudges(outbox), ANNA) == []

    sweep_at(clock, sweep, datetime(2026, 11, 24, 13, 0, tzinfo=UTC))  # 08:00 in New York

    assert len(to(nudges(outbox), ANNA)) == 1
    assert len(to(nudges(outbox), FOUNDER)) == 1


def test_a_leaders_own_quiet_hours_win_over_the_communitys(community, ingest, clock, sweep, outbox):
    set_member(community.community_id, "founder", quiet_start_hour=9, quiet_end_hour=14)
    ingest(community, event("post_created"))  # due at 12:00 in Rome

    sweep_at(clock, sweep, datetime(2026, 11, 24, 11, 0, tzinfo=UTC), datetime(2026, 11, 24, 12, 45, tzinfo=UTC))
    assert nudges(outbox) == []

    sweep_at(clock, sweep, datetime(2026, 11, 24, 13, 0, tzinfo=UTC))  # 14:00 in Rome

    assert len(nudges(outbox)) == 1


def test_a_post_answered_during_the_night_is_left_out_of_the_morning_nudge(community, ingest, clock, sweep, outbox):
    evening = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # 22:00 in Rome
    ingest(community, question("p_1", "Pizza in teglia: che idratazione?", evening))
    ingest(community, question("p_2", "Biga o poolish?", evening + timedelta(minutes=5)))
    sweep_at(clock, sweep, evening + timedelta(hours=24, minutes=15))
    assert nudges(outbox) == []

    reply = event("reply_created", post_id="p_2", created_at="2026-11-24T23:30:00Z")
    ingest(community, reply)
    sweep_at(clock, sweep, datetime(2026, 11, 25, 7, 0, tzinfo=UTC))

    [message] = nudges(outbox)
    assert message["Subject"] == "Aspetta una risposta: «Pizza in teglia: che idratazione?»"
    assert "Pizza in teglia" in text(message) and "Biga o poolish?" not in text(message)


def test_nothing_is_sent_in_the_morning_when_every_post_got_its_answer_at_night(
    community, ingest, clock, sweep, outbox
):
    evening = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)
    ingest(community, question("p_1", "Pizza in teglia: che idratazione?", evening))
    sweep_at(clock, sweep, evening + timedelta(hours=24, minutes=15))

    ingest(community, event("reply_created", post_id="p_1", created_at="2026-11-24T23:30:00Z"))
    sweep_at(clock, sweep, datetime(2026, 11, 25, 7, 0, tzinfo=UTC), datetime(2026, 11, 25, 9, 0, tzinfo=UTC))

    assert nudges(outbox) == []

"""Quiet newcomers: one friendly email a few days after joining, and a line in the leaders' next nudge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nudges_support import DueJobs, Sweeper, kind, set_community, text, to
from support import event

FOUNDER = "marco.bianchi@example.com"
GIULIA = "giulia.rossi@example.com"
JOINED = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)  # tests/events/member_joined.json


@pytest.fixture
def sweep(aws):
    return Sweeper()


@pytest.fixture
def due_jobs(aws):
    return DueJobs()


@pytest.fixture
def giulia_joined(community, ingest, welcome):
    """Giulia joins and is welcomed; three others ask questions on Wednesday that nobody answers yet."""
    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")
    for number, title in enumerate(
        ["Cottura in pentola di ghisa", "Farina manitoba: sì o no?", "Pieghe ogni mezz'ora?"]
    ):
        created = (datetime(2026, 11, 25, 10, 0, tzinfo=UTC) + timedelta(minutes=number)).strftime("%Y-%m-%dT%H:%M:%SZ")
        asked = event(
            "post_created",
            post_id=f"p_{number}",
            author_id=f"u_5{number}",
            title=title,
            url=f"https://forum.example.com/t/{number}",
            created_at=created,
        )
        asked["timestamp"] = created
        ingest(community, asked)
    return community


def test_a_quiet_newcomer_gets_one_friendly_email_with_two_open_questions(giulia_joined, clock, due_jobs, outbox):
    clock.current = JOINED + timedelta(days=3)

    due_jobs()

    [message] = kind(outbox(), "newcomer")
    assert message["To"].addresses[0].addr_spec == GIULIA
    assert message["Subject"] == "Giulia, ci farebbe piacere sentirti in Lievito & Co."
    body = text(message)
    assert "Presentati" in body
    assert "Pieghe ogni mezz'ora?" in body and "Farina manitoba: sì o no?" in body
    assert "Cottura in pentola di ghisa" not in body  # two questions at most, the newest
    assert "da qualche giorno fai parte di Lievito & Co." in body
    assert "Te la mandiamo una volta sola." in body
    assert message["List-Unsubscribe"].startswith("<https://cerchia.example/u/")


def test_the_leaders_next_nudge_asks_them_to_say_hello(giulia_joined, clock, due_jobs, sweep, outbox):
    clock.current = JOINED + timedelta(days=3)
    due_jobs()
    clock.advance(minutes=15)

    sweep()

    [nudge] = to(kind(outbox(), "nudge"), FOUNDER)
    assert nudge["Subject"] == "Nuovi volti in Lievito & Co.: è il momento di un saluto"
    assert "Fai un saluto a…" in text(nudge)
    assert "- Giulia Rossi (con noi da 3 giorni)" in text(nudge)


def test_newcomers_and_due_posts_arrive_in_the_same_nudge(giulia_joined, clock, due_jobs, sweep, outbox):
    clock.current = JOINED + timedelta(days=3)
    due_jobs()
    clock.current = datetime(2026, 11, 26, 10, 15, tzinfo=UTC)  # the three questions are due too

    sweep()

    [nudge] = kind(outbox(), "nudge")
    assert nudge["Subject"] == "«Cottura in pentola…» e altri 2 post aspettano una risposta"
    assert "Cottura in pentola di ghisa" in text(nudge) and "Giulia Rossi" in text(nudge)


def test_a_newcomer_who_posted_gets_nothing_and_is_not_listed(giulia_joined, ingest, clock, due_jobs, sweep, outbox):
    hello = event("post_created", post_id="p_hello", title="Ciao a tutti!", created_at="2026-11-24T18:00:00Z")
    ingest(giulia_joined, hello)
    clock.current = JOINED + timedelta(days=3)

    due_jobs()
    sweep()

    assert kind(outbox(), "newcomer") == []
    [nudge] = kind(outbox(), "nudge")  # her hello waits for an answer; she is not a quiet newcomer
    assert "Ciao a tutti!" in text(nudge) and "Fai un saluto a" not in text(nudge)


def test_a_newcomer_who_replied_gets_nothing(giulia_joined, ingest, clock, due_jobs, outbox):
    ingest(giulia_joined, event("reply_created", post_id="p_1", author_id="u_1042", created_at="2026-11-25T12:00:00Z"))
    clock.current = JOINED + timedelta(days=3)

    due_jobs()

    assert kind(outbox(), "newcomer") == []


def test_the_newcomer_check_is_once_per_member_however_often_it_runs(
    giulia_joined, welcome, clock, due_jobs, sweep, outbox
):
    clock.current = JOINED + timedelta(days=3)
    due_jobs()
    sweep()

    welcome(giulia_joined.community_id, "u_1042")  # the stream redelivers the join: the check is scheduled again
    clock.advance(minutes=1)
    due_jobs()
    clock.advance(minutes=15)
    sweep()

    assert len(kind(outbox(), "newcomer")) == 1
    assert len(kind(outbox(), "nudge")) == 1


def test_a_member_who_left_before_the_check_gets_nothing(giulia_joined, ingest, clock, due_jobs, sweep, outbox):
    ingest(giulia_joined, event("member_left", timestamp="2026-11-24T18:00:00Z"))
    clock.current = JOINED + timedelta(days=3)

    due_jobs()
    sweep()

    assert kind(outbox(), "newcomer") == []
    assert kind(outbox(), "nudge") == []


def test_the_community_chooses_how_many_days_make_a_quiet_newcomer(community, ingest, welcome, clock, due_jobs, outbox):
    set_community(community.community_id, newcomer_after_days=5)
    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")

    clock.current = JOINED + timedelta(days=4, hours=23)
    due_jobs()
    assert kind(outbox(), "newcomer") == []

    clock.current = JOINED + timedelta(days=5)
    due_jobs()

    assert len(kind(outbox(), "newcomer")) == 1

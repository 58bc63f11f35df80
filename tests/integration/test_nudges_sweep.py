"""The nudge sweep under moto: which posts leaders hear about, when, how often, and in what email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nudges_support import Sweeper, html, kind, set_community, set_member, text, to, write_posts
from support import event

FOUNDER = "marco.bianchi@example.com"
ANNA = "anna.verdi@example.com"
POSTED = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # tests/events/post_created.json
TITLE = "Come conservate il lievito madre d'estate?"


@pytest.fixture
def sweep(aws):
    return Sweeper()


@pytest.fixture
def giulia_asks(community, ingest):
    """Giulia joins and asks a question nobody answers (Marco, the founder, leads the community)."""
    ingest(community, event("member_joined"))
    ingest(community, event("post_created"))
    return community


def nudges(outbox):
    return kind(outbox(), "nudge")


def post(post_id, title, at, author="u_1042"):
    created = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = event(
        "post_created",
        post_id=post_id,
        title=title,
        url=f"https://forum.example.com/t/{post_id}",
        author_id=author,
        created_at=created,
    )
    body["timestamp"] = created
    return body


def test_a_post_is_not_nudged_before_its_threshold(giulia_asks, clock, sweep, outbox):
    clock.current = POSTED + timedelta(hours=23, minutes=45)

    sweep()

    assert nudges(outbox) == []


def test_an_unanswered_post_gets_one_nudge_at_the_threshold_naming_it(giulia_asks, clock, sweep, outbox):
    clock.current = POSTED + timedelta(hours=24)

    counts = sweep()

    [message] = nudges(outbox)
    assert counts["posts"] == 1 and counts["sent"] == 1
    assert message["To"].addresses[0].addr_spec == FOUNDER
    assert message["Subject"] == "Aspetta una risposta: «Come conservate il lievito madre…»"
    body = text(message)
    assert TITLE in body
    assert "di Giulia Rossi · in attesa da 24 ore" in body
    assert "https://forum.example.com/t/301" in body
    assert "Rispondo io: https://cerchia.example/n/" in body
    assert "Non serve una risposta: https://cerchia.example/n/" in body
    assert "Come conservate il lievito madre d&#39;estate?" in html(message)


def test_the_sweeps_right_after_the_nudge_send_nothing_more(giulia_asks, clock, sweep, outbox):
    clock.current = POSTED + timedelta(hours=24)
    sweep()

    for _ in range(4):
        clock.advance(minutes=15)
        sweep()

    assert len(nudges(outbox)) == 1


def test_a_reminder_comes_at_twice_the_threshold_and_then_never_again(giulia_asks, clock, sweep, outbox):
    clock.current = POSTED + timedelta(hours=24)
    sweep()
    clock.current = POSTED + timedelta(hours=47, minutes=45)
    sweep()
    assert len(nudges(outbox)) == 1

    clock.current = POSTED + timedelta(hours=48)
    sweep()
    for days in (3, 4, 10):
        clock.current = POSTED + timedelta(days=days)
        sweep()

    first, reminder = nudges(outbox)
    assert "Secondo promemoria" not in text(first)
    assert "[Secondo promemoria] " + TITLE in text(reminder)
    assert "in attesa da 2 giorni" in text(reminder)


def test_a_reply_from_another_member_stops_the_reminder(giulia_asks, ingest, clock, sweep, outbox):
    clock.current = POSTED + timedelta(hours=24)
    sweep()

    ingest(giulia_asks, event("nudges_reply_by_other"))
    clock.current = POSTED + timedelta(hours=48)
    sweep()
    clock.current = POSTED + timedelta(days=5)
    sweep()

    assert len(nudges(outbox)) == 1


def test_the_authors_own_reply_does_not_count_as_an_answer(giulia_asks, ingest, clock, sweep, outbox):
    ingest(giulia_asks, event("reply_created", author_id="u_1042"))
    clock.current = POSTED + timedelta(hours=24)

    sweep()

    assert len(nudges(outbox)) == 1


def test_a_post_deleted_before_its_threshold_is_never_nudged(giulia_asks, ingest, clock, sweep, outbox):
    ingest(giulia_asks, event("post_deleted"))
    clock.current = POSTED + timedelta(hours=72)

    sweep()

    assert nudges(outbox) == []


def test_posts_by_leaders_are_left_out_unless_the_community_includes_them(community, ingest, clock, sweep, outbox):
    ingest(community, event("nudges_leader_joined"))
    ingest(community, post("p_1", "Orari del laboratorio di sabato", POSTED, author="u_8"))
    clock.current = POSTED + timedelta(hours=49)
    sweep()
    assert nudges(outbox) == []

    set_community(community.community_id, include_leader_posts=True)
    ingest(community, post("p_2", "Chi porta la farina per il laboratorio?", POSTED + timedelta(hours=1), author="u_8"))
    clock.current = POSTED + timedelta(hours=25)
    sweep()

    [message] = to(nudges(outbox), FOUNDER)
    assert "Chi porta la farina per il laboratorio?" in text(message)
    assert "Orari del laboratorio di sabato" not in text(message)


def test_three_unanswered_posts_arrive_as_one_email_oldest_first(community, ingest, clock, sweep, outbox):
    ingest(community, event("member_joined"))
    for number, title in enumerate(["Primo: idratazione", "Secondo: forno a legna", "Terzo: farina di farro"]):
        ingest(community, post(f"p_{number}", title, POSTED + timedelta(minutes=20 * number)))
    clock.current = POSTED + timedelta(hours=24, minutes=45)

    sweep()

    [message] = nudges(outbox)
    assert message["Subject"] == "«Primo: idratazione» e altri 2 post aspettano una risposta"
    body = text(message)
    positions = [body.index(title) for title in ("Primo", "Secondo", "Terzo")]
    assert positions == sorted(positions)


def test_more_than_twenty_posts_list_the_oldest_twenty_and_count_the_rest(community, clock, sweep, outbox):
    write_posts(community.community_id, total=23, unanswered=23, now=clock.current)

    sweep()

    [message] = nudges(outbox)
    body = text(message)
    assert message["Subject"] == "«Question number 0» e altri 22 post aspettano una risposta"
    assert "Question number 0\n" in body and "Question number 19\n" in body
    assert "Question number 20" not in body
    assert "…e ci sono ancora altri 3 post in attesa." in body


def test_each_leader_gets_their_own_nudge_in_their_own_language(giulia_asks, ingest, clock, sweep, outbox):
    ingest(giulia_asks, event("nudges_leader_joined"))
    clock.current = POSTED + timedelta(hours=24)

    sweep()

    [marco] = to(nudges(outbox), FOUNDER)
    [anna] = to(nudges(outbox), ANNA)
    assert marco["Subject"] == "Aspetta una risposta: «Come conservate il lievito madre…»"
    assert anna["Subject"] == "Waiting for an answer: “Come conservate il lievito madre…”"
    assert "by Giulia Rossi · waiting for 24 hours" in text(anna)
    assert "I'll answer it: https://cerchia.example/n/" in text(anna)
    marco_links = {line for line in text(marco).splitlines() if "/n/" in line}
    anna_links = {line for line in text(anna).splitlines() if "/n/" in line}
    assert not marco_links & anna_links


def test_a_leader_who_turned_nudges_off_gets_none(giulia_asks, ingest, clock, sweep, outbox):
    ingest(giulia_asks, event("nudges_leader_joined"))
    set_member(giulia_asks.community_id, "u_8", nudges=False)
    clock.current = POSTED + timedelta(hours=24)

    sweep()

    assert [m["To"].addresses[0].addr_spec for m in nudges(outbox)] == [FOUNDER]


def test_the_threshold_is_the_communitys_setting_when_the_post_arrives(community, ingest, clock, sweep, outbox):
    set_community(community.community_id, unanswered_after_hours=2)
    ingest(community, event("post_created"))
    clock.current = POSTED + timedelta(hours=1, minutes=45)
    sweep()
    assert nudges(outbox) == []

    clock.current = POSTED + timedelta(hours=2)
    sweep()

    [message] = nudges(outbox)
    assert "in attesa da 2 ore" in text(message)


def test_raising_the_threshold_later_moves_the_nudge_instead_of_sending_it(giulia_asks, clock, sweep, outbox):
    set_community(giulia_asks.community_id, unanswered_after_hours=72)
    clock.current = POSTED + timedelta(hours=24)
    counts = sweep()
    assert nudges(outbox) == [] and counts["rescheduled"] == 1

    clock.current = POSTED + timedelta(hours=72)
    sweep()

    [message] = nudges(outbox)
    assert "in attesa da 3 giorni" in text(message)


def test_a_sweep_reads_only_the_posts_that_are_due(community, clock, sweep, outbox):
    from cerchia import aws
    from cerchia_infra.bench_nudges import Meter

    write_posts(community.community_id, total=400, unanswered=3, now=clock.current)

    with Meter().on(aws.dynamodb()) as meter:
        sweep()

    [message] = nudges(outbox)
    assert "Question number 397" in text(message) and "Question number 396" not in text(message)
    assert meter.requests["Scan"] == 0
    # 3 due posts + the community, its founder and the founder's queue: the authors' names come with the posts
    assert meter.items == 3 + 3
    assert "Member 0001" in text(message)  # the author's name as ingest stored it on the post

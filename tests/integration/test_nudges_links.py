"""The links in a nudge: "I'll answer it" and "No reply needed". A GET only shows; the POST acts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from nudges_support import Sweeper, kind, text, to
from support import LambdaContext, event, http_event, load_handler

FOUNDER = "marco.bianchi@example.com"
ANNA = "anna.verdi@example.com"
POSTED = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
TITLE = "Come conservate il lievito madre d'estate?"


@pytest.fixture
def sweep(aws):
    return Sweeper()


@pytest.fixture
def page(aws):
    module = load_handler("serve_nudge_links")

    def open_link(method: str, url: str, body: bytes = b"", headers: dict | None = None) -> dict:
        path = url.removeprefix("https://cerchia.example")
        token = path.removeprefix("/n/")
        response = module.lambda_handler(
            http_event(method, path, "/n/{token}", {"token": token}, body, headers), LambdaContext()
        )
        return dict(response)

    return open_link


@pytest.fixture
def nudged(community, ingest, clock, sweep, outbox):
    """Marco and Anna lead; both were nudged about Giulia's question at the 24-hour mark."""
    ingest(community, event("nudges_leader_joined"))
    ingest(community, event("member_joined"))
    ingest(community, event("post_created"))
    clock.current = POSTED + timedelta(hours=24)
    sweep()
    return community


def link(outbox, address, label):
    [message] = to(kind(outbox(), "nudge"), address)[:1]
    return re.search(rf"{label}: (https://\S+)", text(message)).group(1)


FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_get_shows_a_form_and_changes_nothing(nudged, page, clock, sweep, outbox):
    answer = link(outbox, FOUNDER, "Rispondo io")

    shown = page("GET", answer)
    again = page("GET", answer)

    assert shown["statusCode"] == 200 and again["statusCode"] == 200
    assert '<form method="post"' in shown["body"]
    assert "Rispondi tu a questo post?" in shown["body"]
    assert "Come conservate il lievito madre d&#39;estate?" in shown["body"]
    assert shown["headers"]["Cache-Control"] == "no-store"
    clock.current = POSTED + timedelta(hours=48)
    sweep()
    assert len(to(kind(outbox(), "nudge"), FOUNDER)) == 2  # the reminder still comes


def test_ill_answer_it_stops_the_reminder_and_tells_the_other_leader_who_took_it(nudged, page, clock, sweep, outbox):
    answered = page("POST", link(outbox, FOUNDER, "Rispondo io"), b"confirm=yes", FORM)
    anna_tries = page("POST", link(outbox, ANNA, "I'll answer it"), b"confirm=yes", FORM)
    clock.current = POSTED + timedelta(hours=48)
    sweep()

    assert answered["statusCode"] == 200 and "Te ne occupi tu, grazie!" in answered["body"]
    assert "Marco Bianchi is on it" in anna_tries["body"]
    assert len(kind(outbox(), "nudge")) == 2  # the two 24-hour nudges, no reminder


def test_no_reply_needed_takes_the_post_out_of_the_nudges(nudged, page, clock, sweep, outbox):
    done = page("POST", link(outbox, ANNA, "No reply needed"), b"confirm=yes", FORM)
    clock.current = POSTED + timedelta(days=4)
    sweep()

    assert "Done: no more nudges about it" in done["body"]
    assert len(kind(outbox(), "nudge")) == 2


def test_posting_the_same_link_twice_gives_the_same_answer(nudged, page, outbox):
    answer = link(outbox, FOUNDER, "Rispondo io")

    first = page("POST", answer, b"confirm=yes", FORM)
    second = page("POST", answer, b"confirm=yes", FORM)

    assert first["statusCode"] == second["statusCode"] == 200
    assert "Te ne occupi tu, grazie!" in second["body"]


def test_a_link_to_a_post_answered_meanwhile_says_so_without_a_form(nudged, ingest, page, outbox):
    ingest(nudged, event("nudges_reply_by_other"))

    shown = page("GET", link(outbox, ANNA, "I'll answer it"))

    assert "Already answered" in shown["body"]
    assert "<form" not in shown["body"]


def test_a_tampered_or_expired_link_is_refused_with_a_clear_page(nudged, page, clock, outbox):
    answer = link(outbox, FOUNDER, "Rispondo io")

    tampered = page("GET", answer[:-3] + ("abc" if not answer.endswith("abc") else "xyz"))
    clock.current = POSTED + timedelta(days=60)
    expired = page("POST", answer, b"confirm=yes", FORM)

    assert tampered["statusCode"] == 403 and "This link doesn&#39;t work" in tampered["body"]
    assert expired["statusCode"] == 403


def test_a_claimed_post_leaves_a_leaders_deferred_morning_nudge(community, ingest, clock, sweep, page, outbox):
    ingest(community, event("nudges_leader_joined", timezone="America/New_York"))
    ingest(community, event("post_created"))
    clock.current = POSTED + timedelta(hours=24)  # Marco is nudged now, Anna (06:00 in New York) at 08:00
    sweep()

    page("POST", link(outbox, FOUNDER, "Rispondo io"), b"confirm=yes", FORM)
    clock.current = POSTED + timedelta(hours=26)
    sweep()

    assert to(kind(outbox(), "nudge"), ANNA) == []


@pytest.mark.parametrize(
    "change",
    [
        {"type": "member.updated", "data": {"member_id": "u_8", "role": "member"}},
        {"type": "member.left", "data": {"member_id": "u_8"}},
    ],
    ids=["stepped-down", "left"],
)
def test_a_nudge_link_acts_only_while_its_leader_still_leads(nudged, ingest, page, clock, sweep, outbox, change):
    from cerchia.store import get_store
    from cerchia.store import nudges as nudge_store

    dismiss = link(outbox, ANNA, "No reply needed")
    ingest(nudged, {**change, "timestamp": "2026-11-24T11:30:00Z"})

    shown = page("GET", dismiss)
    acted = page("POST", dismiss, b"confirm=yes", FORM)
    clock.current = POSTED + timedelta(hours=48)
    sweep()

    assert (shown["statusCode"], acted["statusCode"]) == (403, 403)
    assert "You&#39;re no longer a leader here" in acted["body"] and "nothing was changed" in acted["body"]
    post = nudge_store.get_post(get_store(), nudged.community_id, "p_301")
    assert post is not None and post.get("settled_by") is None
    assert len(to(kind(outbox(), "nudge"), FOUNDER)) == 2  # the reminder still goes to the leader who leads

"""Pure rules of nudges: when a post is due and for which stage, quiet hours across DST, what an email lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cerchia.domain.models import Community, Member
from cerchia.domain.nudges import (
    claimed_but_unanswered,
    is_waiting,
    latest_entries,
    leader_quiet_until,
    plan,
    quiet_until,
    unique_newcomers,
    weeks_between,
)
from cerchia.formatting import how_long
from cerchia.mail.compose import Recipient
from cerchia.nudges.emails import NewcomerLine, NudgeLine
from cerchia.rendering import render

COMMUNITY = Community(community_id="c_1", name="Lievito & Co.", timezone="Europe/Rome", locale="it")
CREATED = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
CATALOGUE = Path(__file__).resolve().parents[2] / "shared" / "cerchia" / "catalogue"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---------------------------------------------------------------------- the stage a due post deserves


def test_a_post_never_nudged_gets_its_threshold_nudge_and_the_reminder_is_set_at_twice_the_threshold():
    decision = plan(COMMUNITY, "u_1", CREATED, None, CREATED + timedelta(hours=24, minutes=5))

    assert (decision.action, decision.stage) == ("nudge", "threshold")
    assert decision.next_due == CREATED + timedelta(hours=48)


def test_after_the_threshold_nudge_comes_the_reminder_and_then_nothing():
    reminder = plan(COMMUNITY, "u_1", CREATED, "threshold", CREATED + timedelta(hours=48))
    after = plan(COMMUNITY, "u_1", CREATED, "reminder", CREATED + timedelta(days=9))

    assert (reminder.action, reminder.stage, reminder.next_due) == ("nudge", "reminder", None)
    assert after.action == "park"


def test_a_late_first_nudge_still_leaves_a_full_threshold_before_the_reminder():
    now = CREATED + timedelta(hours=60)  # the sweep was down for a day and a half

    decision = plan(COMMUNITY, "u_1", CREATED, None, now)

    assert decision.stage == "threshold" and decision.next_due == now + timedelta(hours=24)


def test_a_key_that_came_due_too_early_only_moves_to_the_real_instant():
    slower = COMMUNITY.model_copy(update={"unanswered_after_hours": 72})

    decision = plan(slower, "u_1", CREATED, None, CREATED + timedelta(hours=24))

    assert (decision.action, decision.next_due) == ("wait", CREATED + timedelta(hours=72))


@pytest.mark.parametrize(
    ("leader_ids", "author", "include", "action"),
    [
        (frozenset({"u_7"}), "u_7", False, "park"),
        (frozenset(), "founder", False, "park"),
        (frozenset({"u_7"}), "u_7", True, "nudge"),
        (frozenset({"u_7"}), "u_1", False, "nudge"),
    ],
)
def test_leaders_posts_are_left_out_unless_the_community_includes_them(leader_ids, author, include, action):
    community = COMMUNITY.model_copy(update={"leader_ids": leader_ids, "include_leader_posts": include})

    assert plan(community, author, CREATED, None, CREATED + timedelta(days=1)).action == action


def test_claimed_and_dismissed_posts_are_never_nudged_again():
    for stage in ("claimed", "dismissed"):
        assert plan(COMMUNITY, "u_1", CREATED, stage, CREATED + timedelta(days=2)).action == "park"


@pytest.mark.parametrize(
    ("post", "waiting", "dismissable_after_claim"),
    [
        ({"unanswered_pk": "U#c_1", "nudge_stage": "threshold"}, True, False),
        ({"unanswered_pk": "U#c_1"}, True, False),
        ({"unanswered_pk": "U#c_1", "nudge_stage": "claimed"}, False, True),
        ({"unanswered_pk": "U#c_1", "nudge_stage": "dismissed"}, False, False),
        ({"nudge_stage": "claimed"}, False, False),  # answered since: out of the index
        ({"unanswered_pk": "U#c_1", "nudge_stage": "claimed", "deleted": True}, False, False),
    ],
)
def test_a_post_waits_until_answered_deleted_claimed_or_dismissed_and_a_claim_can_still_be_waved_away(
    post, waiting, dismissable_after_claim
):
    assert is_waiting(post) is waiting
    assert claimed_but_unanswered(post) is dismissable_after_claim


def test_no_post_at_all_is_not_waiting():
    assert is_waiting(None) is False


# ---------------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("now", "until"),
    [
        # Saturday 24 October 2026, 22:30 CEST: quiet until Sunday 08:00, which is CET after the change.
        ("2026-10-24T20:30:00Z", "2026-10-25T07:00:00Z"),
        # Sunday 25 October, 07:00 CET (it would have been 08:00 CEST): still quiet.
        ("2026-10-25T06:00:00Z", "2026-10-25T07:00:00Z"),
        ("2026-10-25T07:00:00Z", None),
        # Saturday 27 March 2027, 22:30 CET: quiet until Sunday 08:00, which is CEST after the change.
        ("2027-03-27T21:30:00Z", "2027-03-28T06:00:00Z"),
        ("2027-03-28T06:00:00Z", None),
        ("2026-11-24T12:00:00Z", None),
        ("2026-11-24T20:00:00Z", "2026-11-25T07:00:00Z"),  # 21:00 in Rome: the start is inclusive
        ("2026-11-24T19:59:00Z", None),
    ],
)
def test_quiet_hours_end_at_local_8_on_both_sides_of_daylight_saving(now, until):
    assert quiet_until(at(now), "Europe/Rome", 21, 8) == (at(until) if until else None)


def test_quiet_hours_that_do_not_cross_midnight_and_equal_hours_that_mean_none():
    assert quiet_until(at("2026-11-24T12:30:00Z"), "UTC", 12, 14) == at("2026-11-24T14:00:00Z")
    assert quiet_until(at("2026-11-24T14:00:00Z"), "UTC", 12, 14) is None
    assert quiet_until(at("2026-11-24T03:00:00Z"), "UTC", 8, 8) is None


def test_a_leaders_time_zone_and_hours_win_over_the_communitys():
    quiet_community = COMMUNITY.model_copy(update={"quiet_start_hour": 22, "quiet_end_hour": 7})
    leader = Member(community_id="c_1", member_id="u_8", role="leader", timezone="America/New_York")
    night_owl = leader.model_copy(update={"quiet_start_hour": 2, "quiet_end_hour": 5})
    now = at("2026-11-24T11:00:00Z")  # 06:00 in New York

    assert leader_quiet_until(leader, quiet_community, now) == at("2026-11-24T12:00:00Z")
    assert leader_quiet_until(night_owl, quiet_community, now) is None
    assert leader_quiet_until(leader.model_copy(update={"timezone": None}), quiet_community, now) is None


# ---------------------------------------------------------------------- what an email lists


def test_one_line_per_post_with_its_latest_stage_oldest_post_first():
    entries = [
        {"post_id": "p_2", "stage": "threshold", "created_at": "2026-11-23T12:00:00.000000Z"},
        {"post_id": "p_1", "stage": "threshold", "created_at": "2026-11-23T11:00:00.000000Z"},
        {"post_id": "p_2", "stage": "reminder", "created_at": "2026-11-23T12:00:00.000000Z"},
        {"post_id": "p_2", "stage": "threshold", "created_at": "2026-11-23T12:00:00.000000Z"},
    ]

    listed = latest_entries(entries)

    assert [(entry["post_id"], entry["stage"]) for entry in listed] == [("p_1", "threshold"), ("p_2", "reminder")]


def test_each_newcomer_is_listed_once():
    entries = [{"member_id": "u_1", "joined_at": "b"}, {"member_id": "u_2", "joined_at": "a"}, {"member_id": "u_1"}]

    assert [entry["member_id"] for entry in unique_newcomers(entries)] == ["u_2", "u_1"]


@pytest.mark.parametrize(
    ("hours", "en", "it"),
    [
        (1, "1 hour", "1 ora"),
        (24, "24 hours", "24 ore"),
        (47, "47 hours", "47 ore"),
        (49, "2 days", "2 giorni"),
        (24 * 9, "9 days", "9 giorni"),
    ],
)
def test_how_long_a_post_waited_reads_naturally(hours, en, it):
    assert how_long(CREATED, CREATED + timedelta(hours=hours), "en") == en
    assert how_long(CREATED, CREATED + timedelta(hours=hours), "it") == it


def test_weeks_between_covers_every_community_week_from_join_to_now():
    assert weeks_between(at("2026-11-29T22:30:00Z"), at("2026-12-02T10:00:00Z"), "Europe/Rome") == [
        "2026-W48",
        "2026-W49",
    ]
    assert weeks_between(at("2026-11-23T09:00:00Z"), at("2026-11-26T09:00:00Z"), "Europe/Rome") == ["2026-W48"]


def test_the_nudge_catalogue_speaks_english_and_italian_with_the_same_keys():
    english = json.loads((CATALOGUE / "en" / "nudges.json").read_text(encoding="utf-8"))
    italian = json.loads((CATALOGUE / "it" / "nudges.json").read_text(encoding="utf-8"))

    assert english.keys() == italian.keys()
    assert all(key.startswith("nudges.") for key in english)
    assert all(value.strip() for value in [*english.values(), *italian.values()])


def _render(template: str, locale: str, **context):
    base = {
        "community": COMMUNITY,
        "recipient": Recipient(email="marco@example.com", name="Marco Bianchi", given_name="Marco <b>"),
        "subject": "s",
        "preheader": "",
        "footer_why": "why",
        "unsubscribe_url": "https://cerchia.example/u/x",
        "preferences_url": None,
        "total": 0,
        "posts": [],
        "more": 0,
        "newcomers": [],
    }
    return render(template, locale, **{**base, **context})


def _line(number: int) -> NudgeLine:
    return NudgeLine(
        title=f"<i>Domanda {number}</i>",
        url=f"https://forum.example.com/t/{number}",
        author="Giulia",
        waited="24 ore",
        reminder=number == 1,
        claim_url=f"https://cerchia.example/n/claim{number}",
        dismiss_url=f"https://cerchia.example/n/dismiss{number}",
    )


def test_the_nudge_email_lists_posts_with_both_links_and_counts_the_rest_escaped_in_html():
    html = _render("email/nudge.html", "it", posts=[_line(0), _line(1)], total=5, more=3)
    text = _render("email/nudge.txt", "en", posts=[_line(0), _line(1)], total=5, more=3)

    assert "&lt;i&gt;Domanda 0&lt;/i&gt;" in html and "<i>Domanda" not in html
    assert "Marco &lt;b&gt;" in html
    assert html.count("https://cerchia.example/n/claim") == 2 and "Secondo promemoria" in html
    assert "…e ci sono ancora altri 3 post in attesa." in html
    assert "[Second reminder] <i>Domanda 1</i>" in text
    assert "Ciao Marco &lt;b&gt;," in html and 'style="display:inline-block;padding' not in html
    assert "I'll answer it: https://cerchia.example/n/claim0" in text
    assert "…and 3 more posts are waiting too." in text
    assert "<svg" not in html and "<script" not in html


def test_a_nudge_with_only_newcomers_says_hello_and_lists_no_posts():
    text = _render("email/nudge.txt", "en", newcomers=[NewcomerLine(name="Giulia Rossi", joined="3 days")])

    assert "Say hello to…" in text
    assert "- Giulia Rossi (joined 3 days ago)" in text
    assert "I'll answer it" not in text

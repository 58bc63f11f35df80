"""The digest's pure rules: when it goes out (daylight saving included), what ranks, how healthy a week was."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cerchia.domain import digest_content as content
from cerchia.domain import digests as d
from cerchia.domain import health as figures
from cerchia.domain.models import Community, Member

ROME = Community(community_id="c_1", name="Lievito & Co.", timezone="Europe/Rome", locale="it")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def member(member_id: str = "u_1", **fields) -> Member:
    values = {"community_id": "c_1", "member_id": member_id, "email": f"{member_id}@example.com", "name": member_id}
    values.update(fields)
    return Member(**values)


# ------------------------------------------------------------------------------ when


def test_a_community_week_runs_from_monday_midnight_to_monday_midnight_local_time():
    assert d.week_bounds("2026-W48", "Europe/Rome") == (utc(2026, 11, 22, 23), utc(2026, 11, 29, 23))


def test_the_week_daylight_saving_ends_lasts_169_hours_in_rome():
    start, end = d.week_bounds("2026-W43", "Europe/Rome")  # clocks go back on Sunday 25 October

    assert (start, end) == (utc(2026, 10, 18, 22), utc(2026, 10, 25, 23))
    assert end - start == timedelta(hours=169)


def test_the_digest_goes_out_at_nine_rome_time_on_monday_in_summer_and_winter_time():
    assert d.send_instant("2026-W42", ROME, None) == utc(2026, 10, 19, 7)  # 09:00 CEST
    assert d.send_instant("2026-W43", ROME, None) == utc(2026, 10, 26, 8)  # 09:00 CET, the day after the change
    assert d.send_instant("2027-W11", ROME, None) == utc(2027, 3, 22, 8)  # CET, a week before spring forward
    assert d.send_instant("2027-W12", ROME, None) == utc(2027, 3, 29, 7)  # CEST: clocks went forward on Sunday 28


def test_members_with_their_own_zone_get_it_at_nine_in_that_zone_never_before_the_week_is_over():
    assert d.send_instant("2026-W48", ROME, "America/New_York") == utc(2026, 11, 30, 14)
    assert d.send_instant("2026-W48", ROME, "Asia/Tokyo") == utc(2026, 11, 30, 0)
    # 09:00 on Monday in Kiritimati is Sunday 20:00 in Rome: it waits for the week to end
    assert d.send_instant("2026-W48", ROME, "Pacific/Kiritimati") == utc(2026, 11, 29, 23)


def test_the_round_opens_when_the_week_ends_or_when_the_earliest_zone_reaches_the_hour():
    assert d.round_opens("2026-W48", ROME) == utc(2026, 11, 29, 23)
    friday_evening = ROME.model_copy(update={"digest_day": 5, "digest_hour": 18})
    assert d.round_opens("2026-W48", friday_evening) == utc(2026, 12, 4, 4)  # 18:00 at UTC+14
    assert d.send_instant("2026-W48", friday_evening, None) == utc(2026, 12, 4, 17)


def test_an_hour_skipped_by_spring_forward_becomes_the_instant_clocks_jump_and_a_repeated_one_its_first():
    rome = ZoneInfo("Europe/Rome")

    assert d.local_instant(date(2026, 3, 29), 2, rome) == utc(2026, 3, 29, 1)  # 02:00 does not exist: 03:00 CEST
    assert d.local_instant(date(2026, 10, 25), 2, rome) == utc(2026, 10, 25, 0)  # 02:00 CEST, the first 02:00
    sunday_two = ROME.model_copy(update={"digest_day": 7, "digest_hour": 2})
    assert d.send_instant("2026-W12", sunday_two, None) == utc(2026, 3, 29, 1)


@pytest.mark.parametrize("digest_day", range(1, 8))
@pytest.mark.parametrize("digest_hour", [0, 2, 9, 23])
def test_a_round_due_at_its_instant_digests_the_week_it_was_scheduled_for(digest_day, digest_hour):
    community = ROME.model_copy(update={"digest_day": digest_day, "digest_hour": digest_hour})
    for week in ("2026-W12", "2026-W13", "2026-W43", "2026-W53", "2027-W01"):
        assert d.round_week(d.round_opens(week, community), community.timezone) == week


def test_the_next_round_is_next_week_or_after_an_outage_the_latest_week_already_over():
    assert d.next_round("2026-W48", ROME, utc(2026, 11, 30, 9)) == ("2026-W49", utc(2026, 12, 6, 23))
    assert d.next_round("2026-W40", ROME, utc(2026, 11, 25, 9)) == ("2026-W47", utc(2026, 11, 22, 23))
    assert d.first_round_week(ROME, utc(2026, 11, 23, 8)) == "2026-W48"


def test_a_member_belongs_to_the_first_scheduled_send_at_or_after_their_instant():
    sends = [utc(2026, 11, 30, 8), utc(2026, 11, 30, 14)]

    assert d.send_group(utc(2026, 11, 30, 8), sends) == utc(2026, 11, 30, 8)
    assert d.send_group(utc(2026, 11, 30, 9), sends) == utc(2026, 11, 30, 14)  # a zone that appeared since
    assert d.send_group(utc(2026, 11, 30, 20), sends) == utc(2026, 11, 30, 14)


# ------------------------------------------------------------------------------ who


def test_who_receives_this_weeks_digest():
    assert d.receives_digest(member(), "2026-W48")
    assert d.receives_digest(member(digest="biweekly"), "2026-W48")  # even week
    assert not d.receives_digest(member(digest="biweekly"), "2026-W49")
    assert not d.receives_digest(member(digest="off"), "2026-W48")
    assert not d.receives_digest(member(unsubscribed=True), "2026-W48")
    assert not d.receives_digest(member(status="left"), "2026-W48")


def test_someone_who_joins_on_digest_morning_starts_with_next_weeks():
    end = utc(2026, 11, 29, 23)

    assert d.was_member_before(member(joined_at=utc(2026, 11, 29, 22)), end)
    assert not d.was_member_before(member(joined_at=utc(2026, 11, 30, 7)), end)


# ------------------------------------------------------------------------------ ranking

START, END = d.week_bounds("2026-W48", "Europe/Rome")


def card(
    post_id: str, created_at: datetime, replies: int = 0, repliers: int = 0, reactions: int = 0
) -> content.PostCard:
    return content.PostCard(
        post_id=post_id,
        title=post_id,
        url=f"https://f.example/{post_id}",
        created_at=created_at,
        replies=replies,
        repliers=repliers,
        reactions=reactions,
        engagement=replies * 2 + repliers * 3 + reactions,  # rules.engagement of the post
    )


def test_engagement_ranks_with_recency_favouring_the_posts_that_had_less_time():
    monday = card("monday", START + timedelta(hours=1), replies=2, repliers=2, reactions=4)  # 14 points
    sunday = card("sunday", END - timedelta(hours=1), replies=2, repliers=2)  # 10 points, weighed ~1.5
    twin = card("twin", START + timedelta(hours=2), replies=2, repliers=2, reactions=4)  # 14 points, later
    ignored = card("ignored", START + timedelta(days=3))

    ranked = content.rank([monday, sunday, twin, ignored], START, END)

    assert [post.post_id for post in ranked] == ["sunday", "twin", "monday"]
    assert ranked[0].score == pytest.approx(10 * (1 + 0.5 * (167 / 168)), abs=0.001)


def test_only_posts_that_could_make_the_top_are_read():
    points = {f"p{number}": 100 - number for number in range(60)}
    points["quiet"] = 0

    candidates = d.ranking_candidates(points, kept=8)

    assert candidates[:8] == [f"p{number}" for number in range(8)]
    assert all(points[post_id] * 1.5 >= 92 for post_id in candidates)
    assert "quiet" not in candidates and len(candidates) <= d.TOP_POST_CANDIDATES


# ------------------------------------------------------------------------------ health


def test_week_health_counts_answers_in_time_median_active_members_and_newcomers():
    threshold = ROME.unanswered_after_hours * 3600
    activity = d.WeekActivity(
        posts=4,
        replies=5,
        active_members=frozenset({"u_1", "u_2", "stranger"}),
        posters=frozenset({"u_1", "u_3"}),
        post_created={
            "fast": int((START + timedelta(hours=1)).timestamp()),
            "slow": int((START + timedelta(hours=2)).timestamp()),
            "waiting": int((START + timedelta(days=1)).timestamp()),
            "fresh": int((END - timedelta(hours=2)).timestamp()),
        },
        first_replies={"fast": 600, "slow": threshold + 1},
    )
    members = [
        member("u_1", joined_at=START - timedelta(days=30)),
        member("u_2", joined_at=START - timedelta(days=30)),
        member("u_3", joined_at=START + timedelta(days=1)),  # a newcomer who posted
        member("u_4", joined_at=START + timedelta(days=2)),  # a newcomer who did not
        member("u_5", joined_at=START - timedelta(days=9), status="left", left_at=START + timedelta(days=1)),
        member("founder", joined_at=START - timedelta(days=90), role="leader"),
    ]

    health = figures.week_health("2026-W48", activity, members, ROME, as_of=END + timedelta(hours=1))

    assert (health.answered_in_time, health.decided) == (1, 3)  # "fresh" still has time
    assert health.answered_share == pytest.approx(1 / 3)
    assert health.median_first_reply_seconds == (600 + threshold + 1) / 2
    # a stranger is not a member; u_5 left; the founder row counts (leaders are part of the population)
    assert (health.active, health.members) == (2, 5)
    assert (health.newcomers, health.newcomers_posted) == (2, 1)
    assert health.poll_participation is None


def test_changes_and_bar_heights_leave_weeks_without_a_value_empty():
    assert figures.change(0.75, 0.5) == pytest.approx(0.25)
    assert figures.change(0.75, None) is None
    assert figures.bar_heights([None, 0.5, 1.0], tallest=40, scale=1.0) == [None, 20, 40]
    assert figures.bar_heights([0.0, 30.0, 60.0], tallest=40) == [2, 20, 40]


# ------------------------------------------------------------------------------ polls and a member's copy


def _snapshot() -> content.Snapshot:
    return content.Snapshot(
        community_id="c_1",
        week="2026-W48",
        start=START,
        end=END,
        activity=True,
        top_posts=[
            card("mine", START + timedelta(days=1), replies=3).model_copy(update={"author_id": "u_1"}),
            card("theirs", START + timedelta(days=2), replies=1).model_copy(update={"author_id": "u_2"}),
        ],
        unanswered=[
            card("my_question", START).model_copy(update={"author_id": "u_1"}),
            card("answered_since", START).model_copy(update={"author_id": "u_2"}),
        ],
        new_members=[content.NewMember(member_id="u_1", name="Uno"), content.NewMember(member_id="u_3", name="Tre")],
        new_member_count=2,
    )


def test_a_members_copy_leaves_out_their_own_posts_and_themselves():
    copy = content.member_digest(_snapshot(), "u_1", {"replies_received": 3}, still_unanswered=["my_question"])

    assert [post.post_id for post in copy.top_posts] == ["theirs"]
    assert copy.unanswered == []  # their own question, and one answered since the snapshot
    assert [person.name for person in copy.new_members] == ["Tre"]
    assert copy.replies_received == 3 and copy.has_something


def test_a_member_whose_only_news_is_their_own_has_nothing_to_show():
    snapshot = _snapshot().model_copy(
        update={"top_posts": _snapshot().top_posts[:1], "unanswered": _snapshot().unanswered[:1], "new_members": []}
    )

    assert not content.member_digest(snapshot, "u_1").has_something
    assert content.member_digest(snapshot, "u_2").has_something

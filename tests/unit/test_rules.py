"""Pure community rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cerchia.domain import rules
from cerchia.domain.models import Member, Post

T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def _member(**fields):
    return Member(community_id="c", member_id="m", email="a@example.com", **fields)


def test_week_is_the_iso_week_in_the_community_zone():
    sunday_late_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # already Monday in Rome

    assert rules.week_of(sunday_late_utc, "UTC") == "2026-W48"
    assert rules.week_of(sunday_late_utc, "Europe/Rome") == "2026-W49"


def test_rejoin_within_grace_keeps_the_membership():
    left = _member(status="left", left_at=T0 + timedelta(days=5), membership_started_at=T0)

    assert rules.membership_start_on_join(left, T0 + timedelta(days=34)) == T0
    assert rules.membership_start_on_join(left, T0 + timedelta(days=36)) == T0 + timedelta(days=36)


def test_first_join_starts_a_membership():
    assert rules.membership_start_on_join(None, T0) == T0


def test_leaders_and_members_without_address_are_not_welcomed():
    assert rules.deserves_welcome(_member(role="member"))
    assert not rules.deserves_welcome(_member(role="leader"))
    assert not rules.deserves_welcome(Member(community_id="c", member_id="m"))
    assert not rules.deserves_welcome(_member(status="left"))


def test_locale_falls_back_to_the_community_then_english():
    assert rules.resolve_locale("it", "en") == "it"
    assert rules.resolve_locale("fr", "it") == "it"
    assert rules.resolve_locale(None, "de") == "en"


def test_posts_worth_reading_prefers_engagement_and_skips_deleted_and_placeholders():
    quiet = Post(community_id="c", post_id="1", title="Quiet", created_at=T0)
    busy = Post(community_id="c", post_id="2", title="Busy", created_at=T0, reply_count=4, repliers=frozenset("ab"))
    deleted = Post(community_id="c", post_id="3", title="Gone", created_at=T0, reply_count=9, deleted=True)
    placeholder = Post(community_id="c", post_id="4", reply_count=9, placeholder=True)
    newer = Post(community_id="c", post_id="5", title="Newer", created_at=T0 + timedelta(hours=1))

    chosen = rules.posts_worth_reading([quiet, busy, deleted, placeholder, newer], limit=2)

    assert [post.post_id for post in chosen] == ["2", "5"]


def test_a_reply_is_worth_two_points_a_new_replier_three_more_and_a_reaction_one():
    assert rules.engagement(replies=1) == 2
    assert rules.engagement(replies=1, repliers=1) == 5
    assert rules.engagement(reactions=1) == 1
    assert rules.engagement(4, 3, 1) == 4 * 2 + 3 * 3 + 1


def test_excerpt_folds_whitespace_and_truncates():
    assert rules.excerpt(None) == ""
    assert rules.excerpt("a\n\n b") == "a b"
    long = rules.excerpt("word " * 200)
    assert len(long) <= rules.EXCERPT_LENGTH and long.endswith("…")

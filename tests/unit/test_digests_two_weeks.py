"""A digest every two weeks covers both weeks, and offers the weekly cadence the reader did not choose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cerchia.digests import emails as digests
from cerchia.domain import digest_content as content
from cerchia.domain import digests as d
from cerchia.domain.models import Community, Member

ROME = Community(community_id="c_1", name="Lievito & Co.", timezone="Europe/Rome", locale="it")
ANNA = Member(community_id="c_1", member_id="u_1", email="anna@example.com", name="Anna Moretti", locale="en")
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    from cerchia import runtime

    for name, value in {
        "TABLE_NAME": "unit",
        "LINK_SECRET": "unit-link-secret-0123456789",
        "PUBLIC_BASE_URL": "https://cerchia.example",
    }.items():
        monkeypatch.setenv(name, value)
    runtime.reset()
    yield
    runtime.reset()


def card(post_id: str, replies: int) -> content.PostCard:
    return content.PostCard(
        post_id=post_id,
        title=f"Post {post_id}",
        url=f"https://forum.example.com/t/{post_id}",
        author_id="u_9",
        author_name="Luca",
        created_at=NOW - timedelta(days=3),
        replies=replies,
        repliers=replies,
        engagement=replies * 2 + replies * 3,  # rules.engagement: a reply 2, a distinct replier 3
    )


def week_digest(
    posts: list[content.PostCard], replies: int, numbers: content.Numbers, url: str = ""
) -> content.MemberDigest:
    return content.MemberDigest(
        top_posts=posts,
        new_members=[content.NewMember(member_id=f"n_{p.post_id}", name=f"New {p.post_id}") for p in posts[:1]],
        more_new_members=0,
        unanswered=[],
        replies_received=replies,
        reactions_received=0,
        closed_polls=[],
        open_polls=[],
        numbers=numbers,
        own_post_url=url,
    )


def test_two_weeks_add_up_what_happened_and_rank_both_weeks_posts_together():
    later = week_digest([card("b", 1)], 2, content.Numbers(posts=3, replies=4, joins=1, active=4))
    earlier = week_digest([card("a", 5)], 1, content.Numbers(posts=2, replies=6, joins=2, active=3), "https://f/t/a")

    both = content.two_weeks(later, earlier)

    assert [post.post_id for post in both.top_posts] == ["a", "b"]  # the busier post of the earlier week leads
    assert (both.numbers.posts, both.numbers.replies, both.numbers.joins) == (5, 10, 3)
    assert both.replies_received == 3 and both.own_post_url == "https://f/t/a"
    assert [person.member_id for person in both.new_members] == ["n_b", "n_a"] and both.weeks == 2


def test_a_two_week_digest_says_so_covers_both_weeks_and_offers_every_week_instead():
    start, end = d.week_bounds("2026-W48", "Europe/Rome")
    earlier_start, _ = d.week_bounds("2026-W47", "Europe/Rome")
    snapshot = content.Snapshot(community_id="c_1", week="2026-W48", start=start, end=end, activity=True, built_at=NOW)
    later = week_digest([card("b", 1)], 2, content.Numbers(posts=3, replies=4, joins=1, active=4))
    earlier = week_digest([card("a", 5)], 1, content.Numbers(posts=2, replies=6, joins=2, active=3))
    reader = ANNA.model_copy(update={"digest": "biweekly"})

    outgoing = digests.compose_member_digest(
        ROME, reader, snapshot, content.two_weeks(later, earlier), NOW, earlier_start
    )

    assert "(16–29 November)" in outgoing.text
    assert "this one covers the last two weeks" in outgoing.text and "== Your two weeks ==" in outgoing.text
    assert "You can have it every week instead, or not at all." in outgoing.text
    assert "== The two weeks in numbers ==\n5 new posts · 10 replies · 3 new members\n" in outgoing.text
    assert "active member" not in outgoing.text  # members active in both weeks would count twice


def test_a_weekly_reader_is_offered_every_two_weeks():
    start, end = d.week_bounds("2026-W48", "Europe/Rome")
    snapshot = content.Snapshot(community_id="c_1", week="2026-W48", start=start, end=end, activity=True, built_at=NOW)
    digest = week_digest([card("b", 1)], 1, content.Numbers(posts=3, replies=4, joins=1, active=4))

    outgoing = digests.compose_member_digest(ROME, ANNA, snapshot, digest, NOW)

    assert "You can have it every two weeks instead, or not at all." in outgoing.text
    assert "Your post got 1 reply." in outgoing.text
    assert "Go to the community: https://forum.example.com/" in outgoing.text

"""What a week's digests show: post cards and their ranking, the stored snapshot, a member's copy.

Pure rules: the snapshot is built from the week's aggregates (cerchia.digests.rounds) and each
member's copy is cut from it here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from cerchia.domain import rules
from cerchia.domain.cards import PollCard
from cerchia.domain.digests import (
    NEW_MEMBERS_SHOWN,
    RECENCY_BOOST,
    TOP_POSTS_KEPT,
    TOP_POSTS_SHOWN,
    UNANSWERED_SHOWN,
    membership_start,
)
from cerchia.domain.health import WeekHealth
from cerchia.domain.models import FOUNDER, Member, Post


def recency_weight(created_at: datetime, start: datetime, end: datetime) -> float:
    """1 for a post from the week's first minute, up to 1 + RECENCY_BOOST for one from its last."""
    span = (end - start).total_seconds() or 1.0
    position = min(1.0, max(0.0, (created_at - start).total_seconds() / span))
    return 1.0 + RECENCY_BOOST * position


class PostCard(BaseModel):
    """A post as the digest shows it."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    post_id: str
    title: str
    url: str
    excerpt: str = ""
    author_id: str = ""
    author_name: str = ""
    created_at: datetime
    replies: int = 0
    repliers: int = 0
    reactions: int = 0
    engagement: float = 0.0  # rules.engagement of the post when the snapshot was built
    score: float = 0.0  # its engagement weighed by recency in the week (`rank`)


def post_card(post: Post, author_name: str) -> PostCard | None:
    """A post as the digest shows it; None for one it never shows (deleted, a placeholder, untitled)."""
    if not post.created_at or not post.title or post.deleted or post.placeholder:
        return None
    return PostCard(
        post_id=post.post_id,
        title=post.title,
        url=post.url,
        excerpt=post.excerpt,
        author_id=post.author_id,
        author_name=author_name,
        created_at=post.created_at,
        replies=post.reply_count,
        repliers=len(post.repliers),
        reactions=post.reactions,
        engagement=rules.engagement(post.reply_count, len(post.repliers), post.reactions),
    )


def rank(cards: Iterable[PostCard], start: datetime, end: datetime, limit: int = TOP_POSTS_KEPT) -> list[PostCard]:
    """The best posts by engagement weighed by recency; newer first among equals; never a post nobody touched."""
    scored = [
        card.model_copy(update={"score": round(card.engagement * recency_weight(card.created_at, start, end), 3)})
        for card in cards
    ]
    scored = [card for card in scored if card.score > 0]
    scored.sort(key=lambda card: (card.score, card.created_at), reverse=True)
    return scored[:limit]


class NewMember(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    member_id: str
    name: str


class Numbers(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    posts: int = 0
    replies: int = 0
    reactions: int = 0
    joins: int = 0
    active: int = 0


class Snapshot(BaseModel):
    """Everything a week's digests show, computed once per community week and stored."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    community_id: str
    week: str
    start: datetime
    end: datetime
    activity: bool
    numbers: Numbers = Numbers()
    top_posts: list[PostCard] = []
    unanswered: list[PostCard] = []
    new_members: list[NewMember] = []
    new_member_count: int = 0
    closed_polls: list[PollCard] = []
    open_polls: int = 0
    health: list[WeekHealth] = []  # TREND_WEEKS weeks, oldest first, this week last
    send_at: list[datetime] = []  # one send per distinct local digest instant of the recipients
    built_at: datetime | None = None


def new_members(members: Iterable[Member], start: datetime, end: datetime) -> list[NewMember]:
    """Members who joined during the week and are still here, earliest first."""
    joined = [
        (started, member)
        for member in members
        if member.status == "active"
        and member.member_id != FOUNDER
        and (started := membership_start(member)) is not None
        and start <= started < end
        and member.imported_membership != started  # brought in by an import: not news to the community
    ]
    joined.sort(key=lambda pair: pair[0])
    return [NewMember(member_id=member.member_id, name=member.name or member.member_id) for _, member in joined]


@dataclass(frozen=True)
class MemberDigest:
    """One member's copy of the week: the shared content minus their own, plus their own week."""

    top_posts: list[PostCard]
    new_members: list[NewMember]
    more_new_members: int
    unanswered: list[PostCard]
    replies_received: int
    reactions_received: int
    closed_polls: list[PollCard]
    open_polls: list[PollCard]
    numbers: Numbers
    # the latest of their posts that drew replies or reactions (the "your week" line links to it)
    own_post_url: str = ""
    # a digest every two weeks covers both: the numbers then add up two weeks (active members do not)
    weeks: int = 1

    @property
    def has_something(self) -> bool:
        """The week's numbers alone are not worth an email."""
        return bool(
            self.top_posts
            or self.new_members
            or self.unanswered
            or self.replies_received
            or self.reactions_received
            or self.closed_polls
            or self.open_polls
        )


def member_digest(
    snapshot: Snapshot,
    member_id: str,
    member_week: Mapping[str, Any] | None = None,
    still_unanswered: Iterable[str] | None = None,
    closed_polls: Sequence[PollCard] | None = None,
    open_polls: Sequence[PollCard] = (),
) -> MemberDigest:
    own = member_id
    waiting = set(still_unanswered) if still_unanswered is not None else None
    others_new = [person for person in snapshot.new_members if person.member_id != own]
    hidden_new = snapshot.new_member_count - len(snapshot.new_members)
    shown_new = others_new[:NEW_MEMBERS_SHOWN]
    week = member_week or {}
    return MemberDigest(
        top_posts=[post for post in snapshot.top_posts if post.author_id != own][:TOP_POSTS_SHOWN],
        new_members=shown_new,
        more_new_members=len(others_new) - len(shown_new) + max(0, hidden_new),
        unanswered=[
            post
            for post in snapshot.unanswered
            if post.author_id != own and (waiting is None or post.post_id in waiting)
        ][:UNANSWERED_SHOWN],
        replies_received=_whole(week.get("replies_received")),
        reactions_received=_whole(week.get("reactions_received")),
        closed_polls=list(snapshot.closed_polls if closed_polls is None else closed_polls),
        open_polls=list(open_polls),
        numbers=snapshot.numbers,
        own_post_url=str(week.get("last_post_url") or ""),
    )


def two_weeks(later: MemberDigest, earlier: MemberDigest) -> MemberDigest:
    """A digest every two weeks: the later week's digest with the earlier week's content folded in.

    Posts of both weeks compete for the top (by engagement), newcomers and closed polls of both are
    listed, what the member's posts received adds up; questions still waiting and open polls are the
    later week's (they are checked as of now). Counted numbers add up, except active members (a
    member active in both weeks would count twice), which the two-week digest does not show.
    """
    seen = {post.post_id for post in later.top_posts}
    pool = [*later.top_posts, *(post for post in earlier.top_posts if post.post_id not in seen)]
    pool.sort(key=lambda post: post.engagement, reverse=True)
    known = {person.member_id for person in later.new_members}
    newcomers = [*later.new_members, *(person for person in earlier.new_members if person.member_id not in known)]
    polls = {poll.poll_id: poll for poll in [*earlier.closed_polls, *later.closed_polls]}
    return MemberDigest(
        top_posts=pool[:TOP_POSTS_SHOWN],
        new_members=newcomers[:NEW_MEMBERS_SHOWN],
        more_new_members=later.more_new_members + earlier.more_new_members + max(0, len(newcomers) - NEW_MEMBERS_SHOWN),
        unanswered=later.unanswered,
        replies_received=later.replies_received + earlier.replies_received,
        reactions_received=later.reactions_received + earlier.reactions_received,
        closed_polls=list(polls.values()),
        open_polls=later.open_polls,
        numbers=Numbers(
            posts=later.numbers.posts + earlier.numbers.posts,
            replies=later.numbers.replies + earlier.numbers.replies,
            reactions=later.numbers.reactions + earlier.numbers.reactions,
            joins=later.numbers.joins + earlier.numbers.joins,
            active=0,
        ),
        own_post_url=later.own_post_url or earlier.own_post_url,
        weeks=2,
    )


def _whole(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0

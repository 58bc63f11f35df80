"""What one platform event changes, as effects the store executes (`cerchia.store.projection`).

Effects name entities (a member, a post, a reply, a week's counters) and their fields, never keys,
index attributes or counter spellings: the store maps each effect to its item. A change of a member
or a post carries what the projection assumed of it (`Expect`); when that does not hold, the store's
transaction fails and the event is projected again from what a read finds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cerchia.domain.models import Post


# ---------------------------------------------------------------------- what was read
@dataclass(frozen=True)
class EarlyReply:
    """A reply kept on a post that has not arrived yet: whether it answers is decided on post.created."""

    author_id: str
    at: datetime | None


@dataclass(frozen=True)
class StoredPost:
    """A post's row as the projection decides with it (a placeholder until post.created arrives)."""

    placeholder: bool = False
    deleted: bool = False
    version: int = 0
    repliers: frozenset[str] = frozenset()
    early_replies: tuple[EarlyReply, ...] = ()


@dataclass(frozen=True)
class PostFacts:
    """What never changes about a post once it exists (or only grows): an environment may keep it."""

    author_id: str
    created_at: datetime
    answered: bool = False
    repliers: frozenset[str] = frozenset()
    url: str = ""  # where the post lives: the author's "your week" line links to it

    @classmethod
    def of(cls, post: Post) -> PostFacts | None:
        """The facts of a created post (None: not created yet); a deleted post counts as answered."""
        if post.placeholder or post.created_at is None:
            return None
        return cls(
            post.author_id,
            post.created_at,
            answered=post.first_reply_at is not None or post.deleted,
            repliers=frozenset(post.repliers),
            url=post.url,
        )


# ---------------------------------------------------------------------- guards
@dataclass(frozen=True)
class Expect:
    """What a change assumes of the item it writes; each is one condition of the transaction."""

    exists: bool | None = None  # True: the item is there; False: not yet (a new member, a new post)
    version: int | None = None  # still the version that was read
    active: bool = False  # the member is active
    new_replier: str | None = None  # this member has not replied to the post yet
    unanswered: bool = False  # no first answer is recorded on the post
    not_deleted: bool = False  # the post is not deleted


def versioned(version: int | None) -> Expect:
    """Optimistic concurrency on what was read: its version, or (None) no item at all."""
    return Expect(exists=False) if version is None else Expect(version=version)


# ---------------------------------------------------------------------- members
@dataclass(frozen=True)
class MemberChanged:
    """Fields of a member's row set (datetimes as instants) and removed; its version goes up by one."""

    member_id: str
    sets: Mapping[str, Any]
    expect: Expect
    removes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeadershipChanged:
    """The member enters (role "leader") or leaves the community's set of leaders."""

    member_id: str
    role: str


@dataclass(frozen=True)
class NameChecked:
    """The transaction holds only while the member's name is still `name` (None: no name, or no member)."""

    member_id: str
    name: str | None


# ---------------------------------------------------------------------- posts, replies, reactions
@dataclass(frozen=True)
class FirstReply:
    """The post's first answer: when, and how many seconds after the post."""

    at: datetime
    seconds: int


@dataclass(frozen=True)
class PostPublished:
    """post.created: the post's row in full, on the timeline and in its week's ranking.

    Answered from the start (`first_reply`: someone replied before it arrived), or waiting for an
    answer, and then, unless already deleted, due for its first nudge at `nudge_at`.
    """

    post_id: str
    author_id: str
    author_name: str | None
    title: str
    url: str
    excerpt: str
    created_at: datetime
    week: str
    first_reply: FirstReply | None
    nudge_at: datetime | None
    clears_early_replies: bool
    expect: Expect


@dataclass(frozen=True)
class PostWithdrawn:
    """post.deleted: the post is marked deleted (a placeholder if unknown) and no longer nudged about."""

    post_id: str
    at: datetime
    expect: Expect


@dataclass(frozen=True)
class PostReplied:
    """A reply counted on its post: one more reply, its author among the repliers, `points` more.

    `early_replies` (the post is not created yet): the post's list of early replies, this one last,
    kept on a placeholder. `first_reply`: this reply is the post's first answer.
    """

    post_id: str
    replier: str
    points: int
    expect: Expect
    first_reply: FirstReply | None = None
    early_replies: tuple[EarlyReply, ...] | None = None


@dataclass(frozen=True)
class PostReacted:
    """A reaction counted on its post (a placeholder if unknown), `points` more."""

    post_id: str
    points: int


@dataclass(frozen=True)
class ReplyKept:
    """The reply's own record, written once: a second delivery of it changes nothing."""

    reply_id: str
    post_id: str
    author_id: str
    at: datetime


@dataclass(frozen=True)
class ReactionKept:
    """The reaction's own record (one per post, member and kind), written once."""

    post_id: str
    member_id: str
    reaction: str
    at: datetime


Change = (
    MemberChanged
    | LeadershipChanged
    | NameChecked
    | PostPublished
    | PostWithdrawn
    | PostReplied
    | PostReacted
    | ReplyKept
    | ReactionKept
)


# ---------------------------------------------------------------------- counters
@dataclass(frozen=True)
class CommunityWeek:
    """The community's counters of one week (the store spreads them over shards)."""

    week: str


@dataclass(frozen=True)
class MemberWeek:
    """One member's activity in one week."""

    week: str
    member_id: str


@dataclass(frozen=True)
class FirstReplies:
    """The exact first-answer times of one bucket of a week's histogram."""

    week: str
    bucket: int


@dataclass(frozen=True)
class AnsweredWithin:
    """Counter of a community week: posts whose first answer fell in this bucket."""

    bucket: int


@dataclass(frozen=True)
class AnsweredAfter:
    """Counter of a first-replies item: posts first answered after exactly this many seconds."""

    seconds: int


CounterItem = CommunityWeek | MemberWeek | FirstReplies
Counter = str | AnsweredWithin | AnsweredAfter


@dataclass
class Tally:
    """The counter increments of one event, merged per item (a transaction may touch an item only once)."""

    counts: dict[CounterItem, dict[Counter, int]] = field(default_factory=dict)
    # a member week's latest post that drew a reply or reaction: the "your week" line links to it
    latest_post: dict[MemberWeek, str] = field(default_factory=dict)

    def add(self, item: CounterItem, adds: Mapping[Counter, int], latest_post: str = "") -> None:
        known = self.counts.setdefault(item, {})
        for name, value in adds.items():
            known[name] = known.get(name, 0) + value
        if latest_post and isinstance(item, MemberWeek):
            self.latest_post[item] = latest_post


# ---------------------------------------------------------------------- the outcome
@dataclass(frozen=True)
class Projected:
    """What one event changes: its changes in transaction order, its counters, and what follows."""

    changes: tuple[Change, ...]
    tally: Tally
    # (post id, facts): what this environment may remember of the post from now on
    learned: tuple[str, PostFacts] | None = None
    # (member id, name): once stored, the new name is written on their posts still waiting for an answer
    renamed: tuple[str, str] | None = None

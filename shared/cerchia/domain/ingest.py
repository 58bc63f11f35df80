"""The ingest projection's rules: what one platform event changes, given what the store read.

Pure: no reads, no writes, no clock (an event's instants are its own). In steady state the store
reads nothing and projects *blind*, assuming the usual case (a new member, a post not answered
yet...) and stating each assumption as an `Expect`; when one fails, it reads the entity and
projects again with `Seen(blind=False, ...)`. Every projection of one event is one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cerchia.domain import rules
from cerchia.domain.digests import first_reply_bucket, recorded_first_reply
from cerchia.domain.events import (
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    PlatformEvent,
    PostCreated,
    PostDeleted,
    ReactionAdded,
    ReplyCreated,
)
from cerchia.domain.ingest_effects import (
    AnsweredAfter,
    AnsweredWithin,
    Change,
    CommunityWeek,
    EarlyReply,
    Expect,
    FirstReplies,
    FirstReply,
    LeadershipChanged,
    MemberChanged,
    MemberWeek,
    NameChecked,
    PostFacts,
    PostPublished,
    PostReacted,
    PostReplied,
    PostWithdrawn,
    Projected,
    ReactionKept,
    ReplyKept,
    StoredPost,
    Tally,
    versioned,
)
from cerchia.domain.models import Community, Member

# What a member.joined may bring that a provisional member (seen only through updates) already has.
PROFILE_FIELDS = {"email", "name", "first_name", "locale", "timezone", "role"}


@dataclass(frozen=True)
class Seen:
    """What the store read for one event; `blind`: nothing was read, the usual case is assumed.

    Even blind, the store passes what this environment already knows: a post's facts, its author's name.
    """

    blind: bool = True
    member: Member | None = None
    post: StoredPost | None = None
    facts: PostFacts | None = None
    author_name: str | None = None


def project(community: Community, event: PlatformEvent, seen: Seen) -> Projected | None:
    """The event's effects; None when it changes nothing (already applied, or older than what is known)."""
    rule: Callable[[Community, PlatformEvent, Seen], Projected | None] = RULES[type(event.data)]
    return rule(community, event, seen)


def publishes(stored: StoredPost | None) -> bool:
    """Whether post.created writes the post: unless it is there already (other than as a placeholder)."""
    return stored is None or stored.placeholder


def leadership(community: Community, member_id: str, role: str) -> tuple[LeadershipChanged, ...]:
    """The community's set of leader ids follows a member's role (nothing when it already does)."""
    if (role == "leader") == (member_id in community.leader_ids):
        return ()
    return (LeadershipChanged(member_id, role),)


# ---------------------------------------------------------------------- members
def member_joined(community: Community, event: PlatformEvent, seen: Seen) -> Projected | None:
    data: MemberJoined = event.data  # type: ignore[assignment]
    at, existing = event.occurred_at, seen.member
    if existing and existing.status == "active":
        return None
    if existing and existing.status == "left" and existing.left_at and at < existing.left_at:
        return None  # a join older than the departure we already know of
    profile = data.model_dump(exclude={"member_id"}, exclude_none=True)
    if existing and existing.status == "provisional":
        # fields from updates that happened after this join win
        newer = existing.model_dump(include=PROFILE_FIELDS, exclude_none=True)
        if existing.joined_at is None or existing.joined_at > at:
            profile.update({k: v for k, v in newer.items() if v})
    change = MemberChanged(
        data.member_id,
        sets={
            **profile,
            "status": "active",
            "joined_at": at,
            "membership_started_at": rules.membership_start_on_join(existing, at),
            "updated_at": at,
        },
        removes=("left_at",),
        # blind: a member never seen; else the version read
        expect=versioned(existing.version if existing else None),
    )
    tally = Tally()
    tally.add(CommunityWeek(rules.week_of(at, community.timezone)), {"joins": 1})
    return Projected((change, *leadership(community, data.member_id, profile.get("role", "member"))), tally)


def member_updated(community: Community, event: PlatformEvent, seen: Seen) -> Projected:
    data: MemberUpdated = event.data  # type: ignore[assignment]
    sets = {**data.changes(), "updated_at": event.occurred_at}
    renamed = (data.member_id, data.name) if data.name else None
    changes: tuple[Change, ...]
    if seen.blind:
        # a member we know; with a role, an active one (only they carry leadership)
        expect = Expect(exists=True, active=data.role is not None)
        changes = (MemberChanged(data.member_id, sets, expect),)
        if data.role is not None:
            changes += leadership(community, data.member_id, data.role)
        return Projected(changes, Tally(), renamed=renamed)
    existing = seen.member
    if existing is None:
        # Kept as provisional so that nothing is lost; member.joined turns it into a member.
        sets |= {"status": "provisional", "joined_at": event.occurred_at}
    changes = (MemberChanged(data.member_id, sets, versioned(existing.version if existing else None)),)
    if data.role is not None and existing is not None and existing.status == "active":
        changes += leadership(community, data.member_id, data.role)
    return Projected(changes, Tally(), renamed=renamed)


def member_left(community: Community, event: PlatformEvent, seen: Seen) -> Projected | None:
    data: MemberLeft = event.data  # type: ignore[assignment]
    at = event.occurred_at
    if seen.blind:
        expect = Expect(active=True)
    else:
        existing = seen.member
        if existing and existing.status == "left":
            return None
        expect = versioned(existing.version if existing else None)
    change = MemberChanged(data.member_id, {"status": "left", "left_at": at, "updated_at": at}, expect)
    tally = Tally()
    tally.add(CommunityWeek(rules.week_of(at, community.timezone)), {"leaves": 1})
    return Projected((change, *leadership(community, data.member_id, "member")), tally)


# ---------------------------------------------------------------------- posts
def post_created(community: Community, event: PlatformEvent, seen: Seen) -> Projected | None:
    data: PostCreated = event.data  # type: ignore[assignment]
    existing = seen.post
    if not publishes(existing):
        return None
    created_at = data.created_at or event.occurred_at
    week = rules.week_of(created_at, community.timezone)
    early = existing.early_replies if existing else ()
    received = [reply for reply in early if reply.author_id != data.author_id]
    answers = sorted(reply.at for reply in received if reply.at is not None)
    tally = Tally()
    first_reply = None
    if answers:
        seconds = max(0, int((answers[0] - created_at).total_seconds()))
        first_reply = FirstReply(answers[0], seconds)
        _first_answer(tally, community, created_at, seconds)
    deleted = existing.deleted if existing else False
    # waiting for an answer (in the week's digest figures even if deleted); nudged about unless deleted
    nudge_at = (
        created_at + timedelta(hours=community.unanswered_after_hours) if first_reply is None and not deleted else None
    )
    published = PostPublished(
        post_id=data.post_id,
        author_id=data.author_id,
        author_name=seen.author_name,
        title=data.title,
        url=str(data.url),
        excerpt=rules.excerpt(data.body),
        created_at=created_at,
        week=week,
        first_reply=first_reply,
        nudge_at=nudge_at,
        clears_early_replies=bool(early),
        expect=versioned(existing.version if existing else None),
    )
    tally.add(CommunityWeek(week), {"posts": 1})
    tally.add(MemberWeek(week, data.author_id), {"posts": 1, "activity": 1})
    if received:
        tally.add(MemberWeek(week, data.author_id), {"replies_received": len(received)}, str(data.url))
    repliers = existing.repliers if existing else frozenset()
    learned = PostFacts(data.author_id, created_at, bool(answers), repliers, str(data.url))
    # the name copied is the member's current one, or the transaction fails and is rebuilt with a read
    return Projected((published, NameChecked(data.author_id, seen.author_name)), tally, learned=(data.post_id, learned))


def post_deleted(community: Community, event: PlatformEvent, seen: Seen) -> Projected | None:
    data: PostDeleted = event.data  # type: ignore[assignment]
    if seen.blind:
        expect = Expect(exists=True, not_deleted=True)
    else:
        existing = seen.post
        if existing and existing.deleted:
            return None
        expect = versioned(existing.version if existing else None)
    return Projected((PostWithdrawn(data.post_id, event.occurred_at, expect),), Tally())


def reply_created(community: Community, event: PlatformEvent, seen: Seen) -> Projected:
    data: ReplyCreated = event.data  # type: ignore[assignment]
    at = data.created_at or event.occurred_at
    week = rules.week_of(at, community.timezone)
    kept = ReplyKept(data.reply_id, data.post_id, data.author_id, at)
    tally = Tally()
    tally.add(CommunityWeek(week), {"replies": 1})
    tally.add(MemberWeek(week, data.author_id), {"activity": 1})
    facts = seen.facts
    if facts is None:
        # The reply came before its post (or the post is unknown here): keep who replied when,
        # decide "answered" on post.created.
        existing = seen.post
        new_replier = data.author_id not in (existing.repliers if existing else frozenset())
        early = PostReplied(
            data.post_id,
            data.author_id,
            points=rules.engagement(replies=1, repliers=int(new_replier)),
            expect=versioned(existing.version if existing else None),
            early_replies=(*(existing.early_replies if existing else ()), EarlyReply(data.author_id, at)),
        )
        return Projected((kept, early), tally)
    new_replier = data.author_id not in facts.repliers
    first_answer = data.author_id != facts.author_id and not facts.answered
    first_reply = None
    if first_answer:
        seconds = max(0, int((at - facts.created_at).total_seconds()))
        first_reply = FirstReply(at, seconds)
        _first_answer(tally, community, facts.created_at, seconds)
    replied = PostReplied(
        data.post_id,
        data.author_id,
        points=rules.engagement(replies=1, repliers=int(new_replier)),
        expect=Expect(
            exists=True,
            new_replier=data.author_id if new_replier else None,
            unanswered=first_answer,
            not_deleted=first_answer,
        ),
        first_reply=first_reply,
    )
    if facts.author_id != data.author_id:
        tally.add(MemberWeek(week, facts.author_id), {"replies_received": 1}, facts.url)
    learned = PostFacts(
        facts.author_id,
        facts.created_at,
        facts.answered or first_answer,
        facts.repliers | {data.author_id},
        facts.url,
    )
    return Projected((kept, replied), tally, learned=(data.post_id, learned))


def reaction_added(community: Community, event: PlatformEvent, seen: Seen) -> Projected:
    data: ReactionAdded = event.data  # type: ignore[assignment]
    at = event.occurred_at
    week = rules.week_of(at, community.timezone)
    tally = Tally()
    tally.add(CommunityWeek(week), {"reactions": 1})
    if seen.facts is not None and seen.facts.author_id != data.member_id:
        tally.add(MemberWeek(week, seen.facts.author_id), {"reactions_received": 1}, seen.facts.url)
    kept = ReactionKept(data.post_id, data.member_id, data.reaction, at)
    return Projected((kept, PostReacted(data.post_id, points=rules.engagement(reactions=1))), tally)


def _first_answer(tally: Tally, community: Community, created_at: datetime, seconds: int) -> None:
    """The post's own week: one more answered post, in its first-reply bucket and at its exact second."""
    bucket = first_reply_bucket(seconds)
    week = rules.week_of(created_at, community.timezone)
    tally.add(CommunityWeek(week), {"answered": 1, AnsweredWithin(bucket): 1})
    tally.add(FirstReplies(week, bucket), {AnsweredAfter(recorded_first_reply(seconds)): 1})


RULES: dict[type, Callable[[Community, PlatformEvent, Seen], Projected | None]] = {
    MemberJoined: member_joined,
    MemberUpdated: member_updated,
    MemberLeft: member_left,
    PostCreated: post_created,
    PostDeleted: post_deleted,
    ReplyCreated: reply_created,
    ReactionAdded: reaction_added,
}

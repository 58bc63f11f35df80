"""Ingest's effects (`cerchia.domain.ingest_effects`) as DynamoDB writes: items, keys, conditions.

The rules name entities and fields; here each effect becomes its transaction item: the keys and
index attributes of `cerchia.store.keys`, the counters' spellings, the `Expect` guards as condition
expressions, instants as sortable text. The guard of each write says what its condition failing
means to `Store.transact` ("once": already applied; "versioned": an assumption failed, rebuild).

`EventStore` is what the ingest projection uses of the `Store`: this module and store/projection.py
name it instead of `cerchia.store.table.Store`, so the Store may build its projection with no cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from cerchia.domain.ingest_effects import (
    AnsweredAfter,
    AnsweredWithin,
    Change,
    CommunityWeek,
    Counter,
    EarlyReply,
    Expect,
    FirstReplies,
    LeadershipChanged,
    MemberChanged,
    MemberWeek,
    NameChecked,
    PostPublished,
    PostReacted,
    PostReplied,
    PostWithdrawn,
    ReactionKept,
    ReplyKept,
    Tally,
)
from cerchia.domain.models import Community, Member
from cerchia.store import keys
from cerchia.store.backoff import Backoff
from cerchia.store.expressions import Guard, Update, Write
from cerchia.store.roster import member_identity

# Index attributes that put a post in the nudge sweep (`UNANSWERED`) and among the waiting posts (`due`).
NUDGED = ["unanswered_pk", "unanswered_at"]
WAITING = ["due_pk", "due_at"]


class EventStore(Protocol):
    """What recording an event uses of the `Store` (cerchia.store.table), which satisfies it."""

    table_name: str
    backoff: Backoff

    @property
    def prefetched(self) -> dict[tuple[str, str], dict[str, Any] | None]: ...

    @prefetched.setter
    def prefetched(self, items: dict[tuple[str, str], dict[str, Any] | None]) -> None: ...

    def get(self, key: dict[str, str], consistent: bool = True) -> dict[str, Any] | None: ...

    def fetch(self, key: dict[str, str]) -> dict[str, Any] | None: ...

    def transact(self, writes: list[Write], on_once_failed: Callable[[], Any] | None = None) -> Any: ...

    def write_update(self, guard: Guard, update: Update) -> Write: ...

    def write_once(self, item: dict[str, Any]) -> Write: ...

    def leadership_writes(self, community: Community, member_id: str, role: str) -> list[Write]: ...

    def name_check(self, community_id: str, member_id: str, name: str | None) -> Write: ...

    def get_member(self, community_id: str, member_id: str) -> Member | None: ...

    def member_name(self, community_id: str, member_id: str) -> str | None: ...

    def refresh_author_name(self, community_id: str, member_id: str, name: str) -> int: ...

    def forget_community(self, community_id: str) -> None: ...


class Effects:
    """Writes one community's effects; week counters go to `shard` (chosen per event by the caller)."""

    def __init__(self, store: EventStore, community: Community, shard: int) -> None:
        self.store = store
        self.community = community
        self.shard = shard
        self._writers: dict[type, Callable[[Any], list[Write]]] = {
            MemberChanged: self._member,
            LeadershipChanged: self._leadership,
            NameChecked: self._name_check,
            PostPublished: self._published,
            PostWithdrawn: self._withdrawn,
            PostReplied: self._replied,
            PostReacted: self._reacted,
            ReplyKept: self._reply,
            ReactionKept: self._reaction,
        }

    def writes(self, changes: tuple[Change, ...], tally: Tally) -> list[Write]:
        """The transaction items of an event's changes, then of its counters."""
        return [write for change in changes for write in self._writers[type(change)](change)] + self._counters(tally)

    # ------------------------------------------------------------------ members
    def _member(self, change: MemberChanged) -> list[Write]:
        cid = self.community.community_id
        update = Update(
            keys.member(cid, change.member_id),
            sets={**member_identity(cid, change.member_id), **_instants(change.sets)},
            removes=list(change.removes),
        )
        return [self.store.write_update("versioned", _guarded(update, change.expect))]

    def _leadership(self, change: LeadershipChanged) -> list[Write]:
        return self.store.leadership_writes(self.community, change.member_id, change.role)

    def _name_check(self, change: NameChecked) -> list[Write]:
        return [self.store.name_check(self.community.community_id, change.member_id, change.name)]

    # ------------------------------------------------------------------ posts
    def _published(self, post: PostPublished) -> list[Write]:
        cid = self.community.community_id
        sets: dict[str, Any] = {
            **_post_identity(cid, post.post_id),
            "author_id": post.author_id,
            "author_name": post.author_name,
            "title": post.title,
            "url": post.url,
            "excerpt": post.excerpt,
            "created_at": keys.iso(post.created_at),
            "placeholder": False,
            "timeline_pk": keys.timeline_posts(cid),
            "timeline_at": keys.timeline_at(post.created_at, post.post_id),
            "top_pk": keys.top_posts(cid, post.week),
        }
        if post.first_reply is not None:
            sets |= {"first_reply_at": keys.iso(post.first_reply.at), "first_reply_seconds": post.first_reply.seconds}
        else:
            # waiting for an answer: in the week's digest figures (kept if the post is deleted)
            sets |= {"due_pk": keys.waiting_posts(cid), "due_at": sets["timeline_at"]}
            if post.nudge_at is not None:
                # the instant the post is due for its first nudge (the sweep reads `<= now`)
                sets |= {
                    "unanswered_pk": keys.UNANSWERED,
                    "unanswered_at": keys.unanswered_at(post.nudge_at, cid, post.post_id),
                }
        update = Update(
            keys.post(cid, post.post_id), sets=sets, removes=["early_replies"] if post.clears_early_replies else []
        )
        return [self.store.write_update("versioned", _guarded(update, post.expect))]

    def _withdrawn(self, change: PostWithdrawn) -> list[Write]:
        cid = self.community.community_id
        update = Update(
            keys.post(cid, change.post_id),
            sets={"deleted": True, "deleted_at": keys.iso(change.at)},
            set_if_absent=_placeholder(cid, change.post_id),
            removes=list(NUDGED),
        )
        return [self.store.write_update("versioned", _guarded(update, change.expect))]

    def _replied(self, change: PostReplied) -> list[Write]:
        cid = self.community.community_id
        update = Update(
            keys.post(cid, change.post_id),
            adds={"reply_count": 1, "repliers": {change.replier}, "version": 1, "points": change.points},
        )
        if change.early_replies is not None:
            update.set_if_absent = _placeholder(cid, change.post_id)
            update.sets["early_replies"] = [_early(reply) for reply in change.early_replies]
        if change.first_reply is not None:
            update.sets |= {
                "first_reply_at": keys.iso(change.first_reply.at),
                "first_reply_seconds": change.first_reply.seconds,
            }
            update.removes = [*NUDGED, *WAITING]
        return [self.store.write_update("versioned", _guarded(update, change.expect))]

    def _reacted(self, change: PostReacted) -> list[Write]:
        cid = self.community.community_id
        update = Update(
            keys.post(cid, change.post_id),
            adds={"reactions": 1, "points": change.points, "version": 1},
            set_if_absent=_placeholder(cid, change.post_id),
        )
        return [self.store.write_update("plain", update)]

    def _reply(self, reply: ReplyKept) -> list[Write]:
        cid = self.community.community_id
        item = {
            **keys.reply(cid, reply.reply_id),
            "entity": "reply",
            "post_id": reply.post_id,
            "author_id": reply.author_id,
            "created_at": keys.iso(reply.at),
        }
        return [self.store.write_once(item)]

    def _reaction(self, reaction: ReactionKept) -> list[Write]:
        cid = self.community.community_id
        item = {
            **keys.reaction(cid, reaction.post_id, reaction.member_id, reaction.reaction),
            "entity": "reaction",
            "post_id": reaction.post_id,
            "member_id": reaction.member_id,
            "created_at": keys.iso(reaction.at),
        }
        return [self.store.write_once(item)]

    # ------------------------------------------------------------------ counters
    def _counters(self, tally: Tally) -> list[Write]:
        cid = self.community.community_id
        writes = []
        for item, counts in tally.counts.items():
            adds = {_counter_name(name): value for name, value in counts.items()}
            if isinstance(item, CommunityWeek):
                key = keys.week_shard(cid, item.week, self.shard)
                sets: dict[str, Any] = {"entity": "week", "week": item.week}
            elif isinstance(item, MemberWeek):
                key = keys.member_week(cid, item.week, item.member_id)
                sets = {"entity": "member-week", "week": item.week, "member_id": item.member_id}
                if item in tally.latest_post:
                    sets["last_post_url"] = tally.latest_post[item]
            else:
                assert isinstance(item, FirstReplies)
                key = keys.first_reply_bucket(cid, item.week, item.bucket)
                sets = {"entity": "first-replies", "week": item.week, "bucket": item.bucket}
            writes.append(self.store.write_update("plain", Update(key, adds=adds, sets=sets)))
        return writes


def _guarded(update: Update, expect: Expect) -> Update:
    """`update` under the conditions `expect` states; its item's version goes up by one."""
    parts: list[str] = []
    values: dict[str, Any] = {}
    if expect.exists is not None:
        parts.append("attribute_exists({pk})" if expect.exists else "attribute_not_exists({pk})")
    if expect.version is not None:
        parts.append("{version} = :expected")
        values[":expected"] = expect.version
    if expect.active:
        parts.append("{status} = :active")
        values[":active"] = "active"
    if expect.new_replier is not None:
        parts.append("NOT contains(repliers, :replier)")
        values[":replier"] = expect.new_replier
    if expect.unanswered:
        parts.append("attribute_not_exists(first_reply_at)")
    if expect.not_deleted:
        parts.append("(attribute_not_exists({deleted}) OR {deleted} = :no)")
        values[":no"] = False
    update.condition, update.condition_values = " AND ".join(parts) or None, values
    update.adds["version"] = 1
    return update


def _counter_name(name: Counter) -> str:
    if isinstance(name, AnsweredWithin):
        return f"{keys.FIRST_REPLY_BUCKET}{name.bucket}"
    if isinstance(name, AnsweredAfter):
        return f"{keys.FIRST_REPLY_SECONDS}{name.seconds}"
    return name


def _post_identity(community_id: str, post_id: str) -> dict[str, Any]:
    return {"entity": "post", "community_id": community_id, "post_id": post_id}


def _placeholder(community_id: str, post_id: str) -> dict[str, Any]:
    """What a post's row holds when a reply, reaction or deletion arrives before post.created."""
    return {**_post_identity(community_id, post_id), "placeholder": True}


def _early(reply: EarlyReply) -> dict[str, str]:
    return {"author_id": reply.author_id, "at": keys.iso(reply.at) if reply.at is not None else ""}


def _instants(values: Mapping[str, Any]) -> dict[str, Any]:
    """Field values as stored: instants as sortable UTC text."""
    return {name: keys.iso(value) if isinstance(value, datetime) else value for name, value in values.items()}

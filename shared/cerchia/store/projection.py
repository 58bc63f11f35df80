"""The ingest projection: how one platform event becomes one DynamoDB transaction.

In steady state an event costs one request: the transaction is written blind, its conditions stating
what the projection assumed (a new member, a post not seen yet, a post already answered...). Only when
a condition fails is the entity read and the transaction rebuilt from what is really there.

No item grows with a community's volume: counters go to one of `keys.WEEK_SHARDS` shards of the week
(concurrent events of one community rarely touch the same item), member activity to member-week items,
per-post numbers to the post item (found through the `top` index and the `WAITING` partition of the
`due` index). `TransactionConflict` cancellations are retried with jittered exponential backoff within
the caller's time budget.
"""

from __future__ import annotations

import random
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

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
from cerchia.domain.models import Community
from cerchia.errors import Conflict, Transient
from cerchia.store import keys
from cerchia.store.codec import to_item
from cerchia.store.table import Contended

__all__ = ["Backoff", "Contended", "PostFacts", "Projection"]

if TYPE_CHECKING:
    from cerchia.store.table import IngestOutcome, Store, Write

WEBHOOK_ID_RETENTION = timedelta(days=7)
# Rebuilds after a failed assumption (each one re-reads the entity): more means the entity keeps changing.
MAX_REBUILDS = 5
# Time kept back from the caller's budget to answer (a 503 the platform retries beats a timeout).
ANSWER_MARGIN = 0.25
DEFAULT_BUDGET = 5.0
POST_FACTS_KEPT = 2048


@dataclass
class Backoff:
    """Jittered exponential backoff ("full jitter"): attempt n waits a random time in [0, base * 2**n], capped."""

    base: float = 0.025
    cap: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random
    monotonic: Callable[[], float] = time.monotonic

    def delay(self, attempt: int) -> float:
        return self.random() * min(self.cap, self.base * (2 ** min(attempt, 30)))


@dataclass(frozen=True)
class PostFacts:
    """What never changes about a post once it exists (or only grows): kept per execution environment."""

    author_id: str
    created_at: datetime
    answered: bool = False
    repliers: frozenset[str] = frozenset()
    url: str = ""  # where the post lives: the author's "your week" line links to it


@dataclass
class _Counters:
    """Counter updates of one event, merged per item (a transaction may touch an item only once)."""

    items: dict[tuple[str, str], tuple[dict[str, str], dict[str, Any], dict[str, Any]]] = field(default_factory=dict)

    def add(self, key: dict[str, str], adds: dict[str, Any], sets: dict[str, Any] | None = None) -> None:
        _, known_adds, known_sets = self.items.setdefault((key["pk"], key["sk"]), (key, {}, {}))
        for name, value in adds.items():
            if isinstance(value, set):
                known_adds[name] = set(known_adds.get(name, set())) | value
            else:
                known_adds[name] = known_adds.get(name, 0) + value
        known_sets.update(sets or {})


class Projection:
    """Builds and writes the transaction of one event (Store.record_event delegates here)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.backoff = Backoff()
        self._post_facts: OrderedDict[tuple[str, str], PostFacts] = OrderedDict()
        # members' names as last seen here; a post copies one under a ConditionCheck that it is current
        self._names: OrderedDict[tuple[str, str], str | None] = OrderedDict()

    # ------------------------------------------------------------------ the loop
    def record(
        self, community: Community, webhook_id: str, event: PlatformEvent, now: datetime, budget: float | None
    ) -> IngestOutcome:
        from cerchia.store.table import Write

        deadline = self.backoff.monotonic() + (DEFAULT_BUDGET if budget is None else budget) - ANSWER_MARGIN
        webhook_record = Write(
            "webhook",
            {
                "Put": {
                    "TableName": self.store.table_name,
                    "Item": to_item(
                        {
                            **keys.webhook(community.community_id, webhook_id),
                            "entity": "webhook",
                            "type": event.type,
                            "received_at": keys.iso(now),
                            "expires_at": int((now + WEBHOOK_ID_RETENTION).timestamp()),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )
        shard = zlib.crc32(webhook_id.encode()) % keys.WEEK_SHARDS
        builders = {
            MemberJoined: self._member_joined,
            MemberUpdated: self._member_updated,
            MemberLeft: self._member_left,
            PostCreated: self._post_created,
            PostDeleted: self._post_deleted,
            ReplyCreated: self._reply_created,
            ReactionAdded: self._reaction_added,
        }
        build = builders[type(event.data)]  # type: ignore[index]

        def only_the_webhook_id() -> IngestOutcome:
            return "duplicate" if self._write([webhook_record], None, deadline) == "duplicate" else "unchanged"

        try:
            return self._rebuilding(community, event, build, webhook_record, only_the_webhook_id, shard, deadline)
        finally:
            self.store.prefetched = {}

    def _rebuilding(
        self,
        community: Community,
        event: PlatformEvent,
        build: Any,
        webhook_record: Write,
        only_the_webhook_id: Any,
        shard: int,
        deadline: float,
    ) -> IngestOutcome:
        blind = True
        for _ in range(MAX_REBUILDS):
            counters = _Counters()
            writes = build(community, event, counters, shard, blind)  # type: ignore[operator]
            if writes is None:
                return only_the_webhook_id()
            try:
                outcome: IngestOutcome = self._write(
                    [webhook_record, *writes, *self._counter_writes(counters)], only_the_webhook_id, deadline
                )
            except Contended:
                break  # out of time while DynamoDB kept cancelling
            except Conflict:
                blind = False  # an assumption did not hold: read, then rebuild
                self.store.prefetched = {}
                continue
            self._after(community, event, writes)
            return outcome
        raise Transient("The same records kept changing under this event; the platform should retry.")

    def _write(self, writes: list[Write], on_once_failed: Any, deadline: float) -> Any:
        """One transaction, retried on TransactionConflict with backoff while the budget lasts."""
        attempt = 0
        while True:
            try:
                return self.store.transact(writes, on_once_failed=on_once_failed)
            except Contended:
                delay = self.backoff.delay(attempt)
                if self.backoff.monotonic() + delay > deadline:
                    raise
                self.backoff.sleep(delay)
                attempt += 1

    def _after(self, community: Community, event: PlatformEvent, writes: list[Write]) -> None:
        """What follows a stored event outside its transaction (both idempotent)."""
        data = event.data
        if isinstance(data, MemberUpdated) and data.name:
            self.store.refresh_author_name(community.community_id, data.member_id, data.name)
        if isinstance(data, (MemberJoined, MemberUpdated)) and data.name:
            self._remember(self._names, (community.community_id, data.member_id), data.name)
        meta = to_item(keys.community(community.community_id))
        if any(write.operation.get("Update", {}).get("Key") == meta for write in writes):
            self.store.forget_community(community.community_id)  # its leader ids changed

    # ------------------------------------------------------------------ counters
    def _counter_writes(self, counters: _Counters) -> list[Write]:
        from cerchia.store.table import Update

        return [
            self.store.write_update("plain", Update(key, adds=adds, sets=sets))
            for key, adds, sets in counters.items.values()
        ]

    @staticmethod
    def _week(counters: _Counters, community: Community, at: datetime, shard: int, adds: dict[str, Any]) -> str:
        week_key = rules.week_of(at, community.timezone)
        counters.add(
            keys.week_shard(community.community_id, week_key, shard), adds, {"entity": "week", "week": week_key}
        )
        return week_key

    @staticmethod
    def _member_week(
        counters: _Counters,
        community: Community,
        at: datetime,
        member_id: str,
        adds: dict[str, Any],
        post_url: str = "",
    ) -> None:
        week_key = rules.week_of(at, community.timezone)
        # the latest of their posts that drew a reply or reaction: the "your week" line links to it
        latest = {"last_post_url": post_url} if post_url else {}
        counters.add(
            keys.member_week(community.community_id, week_key, member_id),
            adds,
            {"entity": "member-week", "week": week_key, "member_id": member_id, **latest},
        )

    def _first_answer(
        self, counters: _Counters, community: Community, created_at: datetime, seconds: int, shard: int
    ) -> None:
        """The post's own week: one more answered post, in its first-reply bucket and at its exact second."""
        bucket = first_reply_bucket(seconds)
        week_key = self._week(
            counters, community, created_at, shard, {"answered": 1, f"{keys.FIRST_REPLY_BUCKET}{bucket}": 1}
        )
        counters.add(
            keys.first_reply_bucket(community.community_id, week_key, bucket),
            {f"{keys.FIRST_REPLY_SECONDS}{recorded_first_reply(seconds)}": 1},
            {"entity": "first-replies", "week": week_key, "bucket": bucket},
        )

    # ------------------------------------------------------------------ members
    def _member_joined(
        self, community: Community, event: PlatformEvent, counters: _Counters, shard: int, blind: bool
    ) -> list[Write] | None:
        from cerchia.store.table import Update, member_identity, versioned

        data: MemberJoined = event.data  # type: ignore[assignment]
        store, cid, at = self.store, community.community_id, event.occurred_at
        existing = None if blind else store.get_member(cid, data.member_id)
        if existing and existing.status == "active":
            return None
        if existing and existing.status == "left" and existing.left_at and at < existing.left_at:
            return None  # a join older than the departure we already know of
        profile = data.model_dump(exclude={"member_id"}, exclude_none=True)
        if existing and existing.status == "provisional":
            # fields from updates that happened after this join win
            newer = existing.model_dump(
                include={"email", "name", "first_name", "locale", "timezone", "role"}, exclude_none=True
            )
            if existing.joined_at is None or existing.joined_at > at:
                profile.update({k: v for k, v in newer.items() if v})
        update = Update(
            keys.member(cid, data.member_id),
            sets={
                **member_identity(cid, data.member_id),
                **profile,
                "status": "active",
                "joined_at": keys.iso(at),
                "membership_started_at": keys.iso(rules.membership_start_on_join(existing, at)),
                "updated_at": keys.iso(at),
            },
            removes=["left_at"],
        )
        self._week(counters, community, at, shard, {"joins": 1})
        # blind: a member never seen (attribute_not_exists); else guarded by the version read
        return [
            store.write_update("versioned", versioned(update, existing.version if existing else None)),
            *store.leadership_writes(community, data.member_id, profile.get("role", "member")),
        ]

    def _member_updated(
        self, community: Community, event: PlatformEvent, counters: _Counters, shard: int, blind: bool
    ) -> list[Write] | None:
        from cerchia.store.table import Update, member_identity, versioned

        data: MemberUpdated = event.data  # type: ignore[assignment]
        store, cid = self.store, community.community_id
        sets: dict[str, Any] = {
            **member_identity(cid, data.member_id),
            **data.changes(),
            "updated_at": keys.iso(event.occurred_at),
        }
        if blind:
            # a member we know; with a role, an active one (only they carry leadership)
            condition = "attribute_exists({pk})" + (" AND {status} = :active" if data.role is not None else "")
            update = Update(
                keys.member(cid, data.member_id),
                sets=sets,
                adds={"version": 1},
                condition=condition,
                condition_values={":active": "active"} if data.role is not None else {},
            )
            writes = [store.write_update("versioned", update)]
            return writes + (
                store.leadership_writes(community, data.member_id, data.role) if data.role is not None else []
            )
        existing = store.get_member(cid, data.member_id)
        if existing is None:
            # Kept as provisional so that nothing is lost; member.joined turns it into a member.
            sets |= {"status": "provisional", "joined_at": keys.iso(event.occurred_at)}
        update = Update(keys.member(cid, data.member_id), sets=sets)
        writes = [store.write_update("versioned", versioned(update, existing.version if existing else None))]
        if data.role is not None and existing is not None and existing.status == "active":
            writes += store.leadership_writes(community, data.member_id, data.role)
        return writes

    def _member_left(
        self, community: Community, event: PlatformEvent, counters: _Counters, shard: int, blind: bool
    ) -> list[Write] | None:
        from cerchia.store.table import Update, member_identity, versioned

        data: MemberLeft = event.data  # type: ignore[assignment]
        store, cid = self.store, community.community_id
        update = Update(
            keys.member(cid, data.member_id),
            sets={
                **member_identity(cid, data.member_id),
                "status": "left",
                "left_at": keys.iso(event.occurred_at),
                "updated_at": keys.iso(event.occurred_at),
            },
        )
        if blind:
            update.condition, update.condition_values = "{status} = :active", {":active": "active"}
            update.adds["version"] = 1
        else:
            existing = store.get_member(cid, data.member_id)
            if existing and existing.status == "left":
                return None
            versioned(update, existing.version if existing else None)
        self._week(counters, community, event.occurred_at, shard, {"leaves": 1})
        return [store.write_update("versioned", update), *store.leadership_writes(community, data.member_id, "member")]

    # ------------------------------------------------------------------ posts
    def _post_created(
        self, community: Community, event: PlatformEvent, counters: _Counters, shard: int, blind: bool
    ) -> list[Write] | None:
        from cerchia.clock import parse_instant as instant
        from cerchia.store.table import Update, post_from_item, versioned

        data: PostCreated = event.data  # type: ignore[assignment]
        store, cid = self.store, community.community_id
        existing = None if blind else store.get(keys.post(cid, data.post_id))
        if existing and not existing.get("placeholder"):
            return None
        created_at = data.created_at or event.occurred_at
        week_key = rules.week_of(created_at, community.timezone)
        early = (existing or {}).get("early_replies", [])
        answers = sorted(
            at for reply in early if reply["author_id"] != data.author_id and (at := instant(reply["at"])) is not None
        )
        deleted = bool((existing or {}).get("deleted"))
        known = (cid, data.author_id)
        author_name = self._names[known] if blind and known in self._names else store.member_name(cid, data.author_id)
        self._remember(self._names, known, author_name)
        sets: dict[str, Any] = {
            "entity": "post",
            "community_id": cid,
            "post_id": data.post_id,
            "author_id": data.author_id,
            "author_name": author_name,
            "title": data.title,
            "url": str(data.url),
            "excerpt": rules.excerpt(data.body),
            "created_at": keys.iso(created_at),
            "placeholder": False,
            "timeline_pk": keys.timeline_posts(cid),
            "timeline_at": keys.timeline_at(created_at, data.post_id),
            "top_pk": keys.top_posts(cid, week_key),
        }
        removes = ["early_replies"] if early else []
        if answers:
            first = answers[0]
            seconds = max(0, int((first - created_at).total_seconds()))
            sets |= {"first_reply_at": keys.iso(first), "first_reply_seconds": seconds}
            self._first_answer(counters, community, created_at, seconds, shard)
        else:
            # waiting for an answer: in the week's digest figures (kept if the post is deleted)
            sets |= {"due_pk": keys.waiting_posts(cid), "due_at": sets["timeline_at"]}
            if not deleted:
                sets |= {
                    "unanswered_pk": keys.UNANSWERED,
                    # the instant the post is due for its first nudge (the sweep reads `<= now`)
                    "unanswered_at": keys.unanswered_at(
                        created_at + timedelta(hours=community.unanswered_after_hours), cid, data.post_id
                    ),
                }
        update = Update(keys.post(cid, data.post_id), sets=sets, removes=removes)
        version = existing.get("version", 0) if existing else None
        self._week(counters, community, created_at, shard, {"posts": 1})
        self._member_week(counters, community, created_at, data.author_id, {"posts": 1, "activity": 1})
        received = [reply for reply in early if reply["author_id"] != data.author_id]
        if received:
            self._member_week(
                counters, community, created_at, data.author_id, {"replies_received": len(received)}, str(data.url)
            )
        repliers = frozenset(post_from_item(existing).repliers) if existing else frozenset()
        self._remember(
            self._post_facts,
            (cid, data.post_id),
            PostFacts(data.author_id, created_at, bool(answers), repliers, str(data.url)),
        )
        # the name copied is the member's current one, or the transaction fails and is rebuilt with a read
        return [
            store.write_update("versioned", versioned(update, version)),
            store.name_check(cid, data.author_id, author_name),
        ]

    def _post_deleted(
        self, community: Community, event: PlatformEvent, counters: _Counters, shard: int, blind: bool
    ) -> list[Write] | None:
        from cerchia.store.table import Update, versioned

        data: PostDeleted = event.data  # type: ignore[assignment]
        store, cid = self.store, community.community_id
        update = Update(
            keys.post(cid, data.post_id),
            sets={"deleted": True, "deleted_at": keys.iso(event.occurred_at)},
            set_if_absent={"entity": "post", "community_id": cid, "post_id": data.post_id, "placeholder": True},
            removes=["unanswered_pk", "unanswered_at"],
        )
        if blind:
            update.condition = "attribute_exists({pk}) AND (attribute_not_exists({deleted}) OR {deleted} = :no)"
            update.condition_values = {":no": False}
            update.adds["version"] = 1
        else:
            existing = store.get_post(cid, data.post_id)
            if existing and existing.deleted:
                return None
            versioned(update, existing.version if existing else None)
        return [store.write_update("versioned", update)]

    def _reply_created(
        self, community: Community, event: PlatformEvent, counters: _Counters, shard: int, blind: bool
    ) -> list[Write] | None:
        from cerchia.store.table import Update, versioned

        data: ReplyCreated = event.data  # type: ignore[assignment]
        store, cid = self.store, community.community_id
        at = data.created_at or event.occurred_at
        reply = {
            **keys.reply(cid, data.reply_id),
            "entity": "reply",
            "post_id": data.post_id,
            "author_id": data.author_id,
            "created_at": keys.iso(at),
        }
        writes = [store.write_once(reply)]
        facts = self._facts(cid, data.post_id, read=not blind)
        self._week(counters, community, at, shard, {"replies": 1})
        self._member_week(counters, community, at, data.author_id, {"activity": 1})
        update = Update(
            keys.post(cid, data.post_id), adds={"reply_count": 1, "repliers": {data.author_id}, "version": 1}
        )
        if facts is None:
            # The reply came before its post (or the post is unknown here): keep who replied when,
            # decide "answered" on post.created.
            existing = store.fetch(keys.post(cid, data.post_id)) or {}
            new_replier = data.author_id not in set(existing.get("repliers", ()))
            update.adds["points"] = 2 + 3 * new_replier
            update.set_if_absent = {"entity": "post", "community_id": cid, "post_id": data.post_id, "placeholder": True}
            update.sets["early_replies"] = [
                *existing.get("early_replies", []),
                {"author_id": data.author_id, "at": keys.iso(at)},
            ]
            writes.append(
                store.write_update("versioned", versioned(update, existing.get("version", 0) if existing else None))
            )
            return writes
        new_replier = data.author_id not in facts.repliers
        update.adds["points"] = 2 + 3 * new_replier
        conditions = ["attribute_exists({pk})"]
        values: dict[str, Any] = {}
        if new_replier:
            conditions.append("NOT contains(repliers, :replier)")
            values[":replier"] = data.author_id
        first_answer = data.author_id != facts.author_id and not facts.answered
        if first_answer:
            seconds = max(0, int((at - facts.created_at).total_seconds()))
            conditions.append(
                "attribute_not_exists(first_reply_at) AND (attribute_not_exists({deleted}) OR {deleted} = :no)"
            )
            values[":no"] = False
            update.sets |= {"first_reply_at": keys.iso(at), "first_reply_seconds": seconds}
            update.removes = ["unanswered_pk", "unanswered_at", "due_pk", "due_at"]
            self._first_answer(counters, community, facts.created_at, seconds, shard)
        update.condition, update.condition_values = " AND ".join(conditions), values
        writes.append(store.write_update("versioned", update))
        if facts.author_id != data.author_id:
            self._member_week(counters, community, at, facts.author_id, {"replies_received": 1}, facts.url)
        self._remember(
            self._post_facts,
            (cid, data.post_id),
            PostFacts(
                facts.author_id,
                facts.created_at,
                facts.answered or first_answer,
                facts.repliers | {data.author_id},
                facts.url,
            ),
        )
        return writes

    def _reaction_added(
        self, community: Community, event: PlatformEvent, counters: _Counters, shard: int, blind: bool
    ) -> list[Write] | None:
        from cerchia.store.table import Update

        data: ReactionAdded = event.data  # type: ignore[assignment]
        store, cid = self.store, community.community_id
        reaction = {
            **keys.reaction(cid, data.post_id, data.member_id, data.reaction),
            "entity": "reaction",
            "post_id": data.post_id,
            "member_id": data.member_id,
            "created_at": keys.iso(event.occurred_at),
        }
        facts = self._facts(cid, data.post_id, read=not blind)
        update = Update(
            keys.post(cid, data.post_id),
            adds={"reactions": 1, "points": 1, "version": 1},
            set_if_absent={"entity": "post", "community_id": cid, "post_id": data.post_id, "placeholder": True},
        )
        self._week(counters, community, event.occurred_at, shard, {"reactions": 1})
        if facts is not None and facts.author_id != data.member_id:
            self._member_week(
                counters, community, event.occurred_at, facts.author_id, {"reactions_received": 1}, facts.url
            )
        return [store.write_once(reaction), store.write_update("plain", update)]

    # ------------------------------------------------------------------ what is known of posts
    def _facts(self, community_id: str, post_id: str, read: bool) -> PostFacts | None:
        """The post's author and creation (None: a placeholder or unknown), from this environment or a read."""
        from cerchia.store.table import post_from_item

        known = self._post_facts.get((community_id, post_id))
        if known is not None and not read:
            self._post_facts.move_to_end((community_id, post_id))
            return known
        item = self.store.fetch(keys.post(community_id, post_id))
        if not item or item.get("placeholder"):
            return None
        post = post_from_item(item)
        if post.created_at is None:
            return None
        facts = PostFacts(
            post.author_id,
            post.created_at,
            answered=post.first_reply_at is not None or post.deleted,
            repliers=frozenset(post.repliers),
            url=post.url,
        )
        self._remember(self._post_facts, (community_id, post_id), facts)
        return facts

    @staticmethod
    def _remember(known: OrderedDict[tuple[str, str], Any], key: tuple[str, str], value: Any) -> None:
        known[key] = value
        known.move_to_end(key)
        while len(known) > POST_FACTS_KEPT:
            known.popitem(last=False)

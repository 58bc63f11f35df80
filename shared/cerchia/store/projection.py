"""The ingest projection's executor: one platform event becomes one DynamoDB transaction.

What an event changes is decided in the domain (`cerchia.domain.ingest`, as effects); this module
reads what the rules need, maps each effect to its item, key and condition, and writes them.

In steady state an event costs one request: the transaction is written blind, its conditions stating
what the projection assumed (a new member, a post not seen yet, a post already answered...). Only when
a condition fails is the entity read and the transaction rebuilt from what is really there.

No item grows with a community's volume: counters go to one of `keys.WEEK_SHARDS` shards of the week
(concurrent events of one community rarely touch the same item), member activity to member-week items,
per-post numbers to the post item (found through the `top` index and the `WAITING` partition of the
`due` index). `TransactionConflict` cancellations are retried with jittered exponential backoff
(`Store.backoff`) within the caller's time budget.

It uses the store through `EventStore` (store/ingest.py), never `cerchia.store.table`: the Store builds it.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from cerchia.clock import parse_instant
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
from cerchia.domain.ingest import Seen, project, publishes
from cerchia.domain.ingest_effects import EarlyReply, LeadershipChanged, PostFacts, Projected, StoredPost
from cerchia.domain.models import Community
from cerchia.errors import Conflict, Contended, Transient
from cerchia.store import keys
from cerchia.store.client import IngestOutcome
from cerchia.store.codec import to_item
from cerchia.store.expressions import Write
from cerchia.store.ingest import Effects, EventStore
from cerchia.store.posts import post_from_item

WEBHOOK_ID_RETENTION = timedelta(days=7)
# Rebuilds after a failed assumption (each one re-reads the entity): more means the entity keeps changing.
MAX_REBUILDS = 5
# Time kept back from the caller's budget to answer (a 503 the platform retries beats a timeout).
ANSWER_MARGIN = 0.25
DEFAULT_BUDGET = 5.0
POST_FACTS_KEPT = 2048


class Projection:
    """Reads, projects and writes the transaction of one event (Store.record_event delegates here)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._post_facts: OrderedDict[tuple[str, str], PostFacts] = OrderedDict()
        # members' names as last seen here; a post copies one under a ConditionCheck that it is current
        self._names: OrderedDict[tuple[str, str], str | None] = OrderedDict()

    # ------------------------------------------------------------------ the loop
    def record(
        self, community: Community, webhook_id: str, event: PlatformEvent, now: datetime, budget: float | None
    ) -> IngestOutcome:
        deadline = self.store.backoff.monotonic() + (DEFAULT_BUDGET if budget is None else budget) - ANSWER_MARGIN
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
        effects = Effects(self.store, community, shard=zlib.crc32(webhook_id.encode()) % keys.WEEK_SHARDS)

        def only_the_webhook_id() -> IngestOutcome:
            return "duplicate" if self._write([webhook_record], None, deadline) == "duplicate" else "unchanged"

        try:
            return self._rebuilding(community, event, effects, webhook_record, only_the_webhook_id, deadline)
        finally:
            self.store.prefetched = {}

    def _rebuilding(
        self,
        community: Community,
        event: PlatformEvent,
        effects: Effects,
        webhook_record: Write,
        only_the_webhook_id: Callable[[], IngestOutcome],
        deadline: float,
    ) -> IngestOutcome:
        blind = True
        for _ in range(MAX_REBUILDS):
            projected = project(community, event, self._seen(community.community_id, event, blind))
            if projected is None:
                return only_the_webhook_id()
            if projected.learned is not None:
                post_id, facts = projected.learned
                self._remember(self._post_facts, (community.community_id, post_id), facts)
            writes = effects.writes(projected.changes, projected.tally)
            try:
                outcome: IngestOutcome = self._write([webhook_record, *writes], only_the_webhook_id, deadline)
            except Contended:
                break  # out of time while DynamoDB kept cancelling
            except Conflict:
                blind = False  # an assumption did not hold: read, then rebuild
                self.store.prefetched = {}
                continue
            self._after(community, event, projected)
            return outcome
        raise Transient("The same records kept changing under this event; the platform should retry.")

    def _write(self, writes: list[Write], on_once_failed: Any, deadline: float) -> Any:
        """One transaction, retried on TransactionConflict with backoff while the budget lasts."""
        attempt = 0
        while True:
            try:
                return self.store.transact(writes, on_once_failed=on_once_failed)
            except Contended:
                delay = self.store.backoff.delay(attempt)
                if self.store.backoff.monotonic() + delay > deadline:
                    raise
                self.store.backoff.sleep(delay)
                attempt += 1

    def _after(self, community: Community, event: PlatformEvent, projected: Projected) -> None:
        """What follows a stored event outside its transaction (both idempotent)."""
        data = event.data
        if projected.renamed is not None:
            self.store.refresh_author_name(community.community_id, *projected.renamed)
        if isinstance(data, (MemberJoined, MemberUpdated)) and data.name:
            self._remember(self._names, (community.community_id, data.member_id), data.name)
        if any(isinstance(change, LeadershipChanged) for change in projected.changes):
            self.store.forget_community(community.community_id)  # its leader ids changed

    # ------------------------------------------------------------------ what the rules are given
    def _seen(self, community_id: str, event: PlatformEvent, blind: bool) -> Seen:
        """What the rules need besides the event: nothing when blind, but what this environment knows."""
        data = event.data
        if isinstance(data, (MemberJoined, MemberUpdated, MemberLeft, PostDeleted)) and blind:
            return Seen()
        if isinstance(data, (MemberJoined, MemberUpdated, MemberLeft)):
            return Seen(False, member=self.store.get_member(community_id, data.member_id))
        if isinstance(data, PostDeleted):
            return Seen(False, post=_stored(self.store.get(keys.post(community_id, data.post_id))))
        if isinstance(data, PostCreated):
            stored = None if blind else _stored(self.store.get(keys.post(community_id, data.post_id)))
            if not publishes(stored):
                return Seen(blind, post=stored)
            return Seen(blind, post=stored, author_name=self._author_name(community_id, data.author_id, blind))
        assert isinstance(data, (ReplyCreated, ReactionAdded))
        facts = self._facts(community_id, data.post_id, read=not blind)
        if facts is None and isinstance(data, ReplyCreated):
            return Seen(blind, post=_stored(self.store.fetch(keys.post(community_id, data.post_id))))
        return Seen(blind, facts=facts)

    def _author_name(self, community_id: str, member_id: str, blind: bool) -> str | None:
        known = (community_id, member_id)
        name = self._names[known] if blind and known in self._names else self.store.member_name(*known)
        self._remember(self._names, known, name)
        return name

    def _facts(self, community_id: str, post_id: str, read: bool) -> PostFacts | None:
        """The post's author and creation (None: a placeholder or unknown), from this environment or a read."""
        known = self._post_facts.get((community_id, post_id))
        if known is not None and not read:
            self._post_facts.move_to_end((community_id, post_id))
            return known
        item = self.store.fetch(keys.post(community_id, post_id))
        if not item or item.get("placeholder"):
            return None
        facts = PostFacts.of(post_from_item(item))
        if facts is not None:
            self._remember(self._post_facts, (community_id, post_id), facts)
        return facts

    @staticmethod
    def _remember(known: OrderedDict[tuple[str, str], Any], key: tuple[str, str], value: Any) -> None:
        known[key] = value
        known.move_to_end(key)
        while len(known) > POST_FACTS_KEPT:
            known.popitem(last=False)


def _stored(item: dict[str, Any] | None) -> StoredPost | None:
    """A post's row as the rules read it (None: no row)."""
    if not item:
        return None
    return StoredPost(
        placeholder=bool(item.get("placeholder")),
        deleted=bool(item.get("deleted")),
        version=int(item.get("version", 0)),
        repliers=frozenset(item.get("repliers", ())),
        early_replies=tuple(
            EarlyReply(str(reply["author_id"]), parse_instant(reply.get("at")))
            for reply in item.get("early_replies", [])
        ),
    )

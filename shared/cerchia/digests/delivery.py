"""Delivering the digests of one queued chunk: each member's copy, each leader's report, at most once.

The delivery worker (cerchia.jobs.deliver) calls `deliver_member_digest` / `deliver_leader_digest`
for each member of a chunk. What the whole chunk needs (the community, the week's snapshot, the
members and their week) is read once per chunk, in batches; snapshots, which never change once
stored, are kept by the worker (cerchia.runtime caches).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cerchia import runtime
from cerchia.digests.emails import compose_leader_digest, compose_member_digest
from cerchia.digests.poll_section import week_polls
from cerchia.digests.schedule import LEADER_KIND, MEMBER_KIND
from cerchia.domain import digests as d
from cerchia.domain.cards import PollCard
from cerchia.domain.digest_content import MemberDigest, Snapshot, member_digest, two_weeks
from cerchia.domain.models import FOUNDER, Community, Member
from cerchia.jobs import Delivery
from cerchia.mail.sending import deliver_once
from cerchia.store import Store, get_store
from cerchia.store import digests as digest_store

Outcome = str  # "sent", "already-sent", "suppressed", "unsubscribed", "skipped", "nothing-to-show"
SNAPSHOTS_KEPT = 32


@dataclass
class Chunk:
    """What every member of one queued chunk needs, read once for the chunk (batch reads)."""

    delivery: Delivery
    community: Community | None
    snapshot: Snapshot | None
    members: dict[str, Member] = field(default_factory=dict)
    member_weeks: dict[str, dict[str, Any]] = field(default_factory=dict)


def chunk_for(delivery: Delivery) -> Chunk:
    """The chunk being delivered, read on its first member and kept for the others."""
    kept = runtime.cache("digests.chunk")
    current = kept.get("current")
    if current is not None and current.delivery is delivery:
        return current  # type: ignore[no-any-return]
    store = get_store()
    week = delivery.period
    community = store.get_community(delivery.community_id)
    snapshot = stored_snapshot(store, delivery.community_id, week)
    members = digest_store.members(store, delivery.community_id, delivery.member_ids) if snapshot else {}
    member_weeks = (
        digest_store.member_weeks(store, delivery.community_id, week, delivery.member_ids)
        if snapshot and delivery.kind == MEMBER_KIND
        else {}
    )
    chunk = Chunk(delivery, community, snapshot, members, member_weeks)
    kept["current"] = chunk
    return chunk


def stored_snapshot(store: Store, community_id: str, week: str) -> Snapshot | None:
    """A week's snapshot never changes once stored, so a worker keeps the ones it has read."""
    snapshots = runtime.cache("digests.snapshots")
    key = (store.table_name, community_id, week)
    if key not in snapshots:
        found = digest_store.get_snapshot(store, community_id, week)
        if found is None:
            return None
        if len(snapshots) >= SNAPSHOTS_KEPT:
            snapshots.clear()
        snapshots[key] = found
    return snapshots[key]  # type: ignore[no-any-return]


def deliver_member_digest(delivery: Delivery, member_id: str, now: datetime) -> Outcome:
    """Send one member their copy of the week, at most once per community week."""
    chunk = chunk_for(delivery)
    member = chunk.members.get(member_id)
    community, snapshot = chunk.community, chunk.snapshot
    week = delivery.period
    if community is None or snapshot is None or not snapshot.activity or member is None:
        return "skipped"
    if (
        member.role == "leader"
        or member.member_id == FOUNDER
        or not d.receives_digest(member, week)
        or not d.was_member_before(member, snapshot.end)
    ):
        return "skipped"
    closed: list[PollCard] = list(snapshot.closed_polls)
    still_open: list[PollCard] = []
    if snapshot.open_polls:
        personal = week_polls(get_store(), community, snapshot.start, snapshot.end, member_id, now)
        if personal:
            closed = personal.closed
            still_open = [poll for poll in personal.open if poll.url or any(option.url for option in poll.options)]
    digest = member_digest(
        snapshot, member_id, chunk.member_weeks.get(member_id), delivery.payload.get("waiting"), closed, still_open
    )
    start = snapshot.start
    if member.digest == "biweekly":
        earlier = earlier_week(community, member_id, week)
        if earlier is not None:
            digest, start = two_weeks(digest, earlier[0]), earlier[1]
    if not digest.has_something:
        return "nothing-to-show"
    return deliver_once(
        get_store(),
        kind=MEMBER_KIND,
        community_id=community.community_id,
        recipient_id=member_id,
        period=week,
        compose=lambda: compose_member_digest(community, member, snapshot, digest, now, start),
        now=now,
        to_address=member.email,
    )


def earlier_week(community: Community, member_id: str, week: str) -> tuple[MemberDigest, datetime] | None:
    """The week before `week` for one member (a digest every two weeks covers both): (digest, its start)."""
    store = get_store()
    earlier = d.shift_week(week, -1)
    snapshot = stored_snapshot(store, community.community_id, earlier)
    if snapshot is None:
        return None
    member_week = digest_store.member_weeks(store, community.community_id, earlier, [member_id]).get(member_id)
    if not snapshot.activity and not member_week:
        return None
    # its waiting questions and open polls are the later week's business: only what happened is kept
    return member_digest(snapshot, member_id, member_week, [], snapshot.closed_polls), snapshot.start


def deliver_leader_digest(delivery: Delivery, member_id: str, now: datetime) -> Outcome:
    """Send one leader the week's health report, at most once per community week."""
    chunk = chunk_for(delivery)
    leader = chunk.members.get(member_id)
    community, snapshot = chunk.community, chunk.snapshot
    week = delivery.period
    if community is None or snapshot is None or not snapshot.activity or leader is None:
        return "skipped"
    if leader.role != "leader" or not d.receives_digest(leader, week):
        return "skipped"
    waiting = delivery.payload.get("waiting")
    return deliver_once(
        get_store(),
        kind=LEADER_KIND,
        community_id=community.community_id,
        recipient_id=member_id,
        period=week,
        compose=lambda: compose_leader_digest(community, leader, snapshot, now, waiting),
        now=now,
        to_address=leader.email,
    )

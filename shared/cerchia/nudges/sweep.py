"""The sweep, every 15 minutes: queue the posts whose nudge has come, then email every due queue."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from cerchia.clock import parse_instant
from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.domain.nudges import (
    MAX_POSTS_PER_SWEEP,
    Plan,
    is_waiting,
    latest_entries,
    leader_quiet_until,
    not_before,
    plan,
    unique_newcomers,
)
from cerchia.mail.sending import deliver_once
from cerchia.nudges.emails import compose_nudge
from cerchia.nudges.reads import SweepReads
from cerchia.observability import logger
from cerchia.store import get_store, keys
from cerchia.store import nudges as nudge_store


def sweep(now: datetime) -> dict[str, int]:
    """Find the posts whose nudge has come, queue them for their leaders, and email every due queue.

    Returns counts of what happened; 'failed' counts leaders whose email could not go out (their
    nudge stays queued and the next sweep, or the scheduler's retry, sends it).
    """
    store = get_store()
    run = SweepReads(store, now)
    counts: Counter[str] = Counter()
    touched: set[tuple[str, str]] = set()
    by_community: dict[str, list[dict[str, Any]]] = {}
    for post in nudge_store.due_posts(store, now, MAX_POSTS_PER_SWEEP):
        by_community.setdefault(post["community_id"], []).append(post)
    for community_id, posts in sorted(by_community.items()):
        touched |= _queue_due_posts(run, community_id, posts, counts)

    queues = {(queue["community_id"], queue["leader_id"]): queue for queue in nudge_store.due_queues(store, now)}
    for community_id, leader_id in touched - queues.keys():
        # the index may lag behind the transaction that just filled this queue
        queue = nudge_store.get_queue(store, community_id, leader_id)
        if queue is not None:
            queues[(community_id, leader_id)] = queue
    for key in sorted(queues):
        try:
            counts[_deliver_queue(run, queues[key])] += 1
        except Exception:
            counts["failed"] += 1
            logger().exception(
                "nudge not sent; it stays queued for the next sweep",
                extra={"community_id": key[0], "leader_id": key[1]},
            )
    return dict(counts)


def next_due() -> datetime | None:
    """When the sweep next has work (a post's nudge or a leader's queue is due); None: nothing waits."""
    return nudge_store.next_due(get_store())


def _queue_due_posts(
    run: SweepReads, community_id: str, posts: list[dict[str, Any]], counts: Counter[str]
) -> set[tuple[str, str]]:
    """Move each due post on and put it in every leader's queue; returns the queues written."""
    community = run.community(community_id)
    moves: list[tuple[dict[str, Any], Plan]] = []
    for post in sorted(posts, key=lambda item: (item.get("created_at") or "", item["post_id"])):
        if community is None:
            decision = Plan("park", reason="no-community")
        else:
            created_at = parse_instant(post.get("created_at"))
            decision = plan(community, post.get("author_id", ""), created_at, post.get("nudge_stage"), run.now)
        if decision.action == "nudge":
            moves.append((post, decision))
        elif decision.action == "wait":
            assert decision.next_due is not None
            nudge_store.move_post(run.store, post, decision.next_due)
            counts["rescheduled"] += 1
        else:
            nudge_store.park_post(run.store, post, decision.reason or "parked")
            counts["parked"] += 1
    if community is None or not moves:
        return set()
    recipients = {
        leader.member_id: not_before(leader, community, run.now)
        for leader in run.leaders(community)
        if rules.wants(leader, "nudge")
    }
    moved = nudge_store.queue_posts(run.store, community_id, moves, recipients, run.now)
    counts["posts"] += moved
    return {(community_id, leader_id) for leader_id in recipients} if moved else set()


def _deliver_queue(run: SweepReads, queue: dict[str, Any]) -> str:
    """Turn one leader's due queue into (at most) one email. Safe to run again at any later instant."""
    community = run.community(queue["community_id"])
    leader = None
    if community is not None:
        leader = next((m for m in run.leaders(community) if m.member_id == queue["leader_id"]), None)
    batch, outcome = _batch_to_send(run, queue, community, leader)
    if batch is None or community is None or leader is None:
        return outcome
    sent = deliver_once(
        run.store,
        kind="nudge",
        community_id=community.community_id,
        recipient_id=leader.member_id,
        period=batch["id"],
        compose=lambda: compose_nudge(run, community, leader, batch),
        now=run.now,
    )
    rest = nudge_store.finish_outgoing(run.store, community.community_id, leader.member_id, batch["id"])
    if rest is not None and not rest.get("pending") and not rest.get("newcomers"):
        nudge_store.delete_queue(run.store, rest)
    return str(sent)


def _batch_to_send(
    run: SweepReads, queue: dict[str, Any] | None, community: Community | None, leader: Member | None
) -> tuple[dict[str, Any] | None, str]:
    """The queue's outgoing batch, recorded now from its pending entries if there is none yet.

    (None, why) when nothing is to be sent now: quiet hours, nothing left, no such leader any more.
    """
    assert queue is not None
    community_id, leader_id = queue["community_id"], queue["leader_id"]
    for _ in range(5):
        if queue is None:
            return None, "gone"
        if community is None or leader is None or not rules.wants(leader, "nudge"):
            # no longer a leader, left, unsubscribed or turned nudges off: nothing to tell them
            if nudge_store.delete_queue(run.store, queue):
                return None, "dropped"
        elif (quiet_end := leader_quiet_until(leader, community, run.now)) is not None:
            if nudge_store.defer_queue(run.store, queue, quiet_end):
                return None, "deferred"
        elif queue.get("outgoing") is not None:
            return queue["outgoing"], "retry"
        else:
            posts = _still_waiting(run, community_id, queue.get("pending") or [])
            newcomers = unique_newcomers(queue.get("newcomers") or [])
            if not posts and not newcomers:
                if nudge_store.delete_queue(run.store, queue):
                    return None, "nothing-left"
            else:
                # Recorded before sending: a retry, at whatever later instant, sends this very batch.
                batch_id = f"{keys.iso(run.now)}~{uuid.uuid4().hex[:8]}"
                outgoing = {"id": batch_id, "posts": posts, "newcomers": newcomers}
                if nudge_store.start_outgoing(run.store, queue, outgoing):
                    return outgoing, "new"
        queue = nudge_store.get_queue(run.store, community_id, leader_id)  # it changed: read it again
    return None, "busy"


def _still_waiting(run: SweepReads, community_id: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The queued posts that still wait for an answer. Entries queued by this very sweep were just
    read from the index; older ones (quiet hours, a failed sweep) are checked again."""
    posts = latest_entries(entries)
    now_text = keys.iso(run.now)
    older = [entry["post_id"] for entry in posts if entry.get("queued_at", "") < now_text]
    if not older:
        return posts
    states = nudge_store.post_states(run.store, community_id, older)
    return [entry for entry in posts if entry["post_id"] not in older or is_waiting(states.get(entry["post_id"]))]

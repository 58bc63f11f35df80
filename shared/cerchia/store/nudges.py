"""DynamoDB access for nudges: due posts in the `unanswered` index, leaders' nudge queues, newcomers.

Post items are shared with ingest. Writes here touch only the post's unanswered key and its nudge
attributes, never `version` (ingest's versioned writes go on undisturbed), and every move of the
key is conditioned on the key that was read: a post answered or deleted meanwhile has lost its key,
and is never put back in the index.

A leader's nudge queue (`keys.nudge_queue`) holds `pending` post entries and `newcomers` not yet
told, and `outgoing`, the batch being emailed. Each write sets a new random `revision`, and changes
that depend on what was read are conditioned on it. Queues are found through the `due` index under
the `NUDGES` hash key, at the instant they may be sent (now, or when the leader's quiet hours end).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cerchia.domain.models import Community, Member
from cerchia.domain.nudges import Plan, weeks_between
from cerchia.errors import Cancelled, ConditionFailed, Contended, Transient
from cerchia.store import expressions, keys
from cerchia.store.codec import to_value
from cerchia.store.expressions import Update, Write
from cerchia.store.posts import newest_post_items
from cerchia.store.table import Store

MAX_TRANSACTION_ITEMS = 100
ATTEMPTS = 4
TITLE_LENGTH = 200  # entries keep a short title: a queue item must stay far below 400 KB


def _revision() -> str:
    return uuid.uuid4().hex


def _updated_if_unchanged(store: Store, update: Update) -> bool:
    """Apply an update conditioned on what was read; False when that changed meanwhile."""
    try:
        store.table.update(update)
        return True
    except ConditionFailed:
        return False


# ---------------------------------------------------------------------- posts


def due_posts(store: Store, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Posts whose next nudge is due by `now`, most overdue first (a Query on the sparse index)."""
    found: list[dict[str, Any]] = []
    for item in store.query(
        IndexName="unanswered",
        KeyConditionExpression="unanswered_pk = :u AND unanswered_at <= :until",
        ExpressionAttributeValues={":u": to_value(keys.UNANSWERED), ":until": to_value(keys.unanswered_until(now))},
    ):
        found.append(item)
        if len(found) >= limit:
            break
    return found


def _move(post: dict[str, Any], new_key: str, sets: dict[str, Any]) -> Update:
    return Update(
        keys.post(post["community_id"], post["post_id"]),
        sets={"unanswered_at": new_key, **sets},
        condition="{unanswered_at} = :seen",
        condition_values={":seen": post["unanswered_at"]},
    )


def move_post(store: Store, post: dict[str, Any], due: datetime) -> bool:
    """Key the post at the instant it is really due (no nudge now). False: it changed meanwhile."""
    new_key = keys.unanswered_at(due, post["community_id"], post["post_id"])
    return _updated_if_unchanged(store, _move(post, new_key, {}))


def park_post(store: Store, post: dict[str, Any], reason: str) -> bool:
    """Keep the post unanswered in the index, but out of every sweep's reach."""
    new_key = keys.unanswered_parked(post["community_id"], post["post_id"])
    return _updated_if_unchanged(store, _move(post, new_key, {"nudge_stage": reason}))


def _entry(post: dict[str, Any], stage: str, now: datetime) -> dict[str, Any]:
    return {
        "post_id": post["post_id"],
        "stage": stage,
        "title": str(post.get("title") or "")[:TITLE_LENGTH],
        "url": post.get("url", ""),
        "author_id": post.get("author_id", ""),
        # stored on the post at ingest (kept current on member.updated): no member read per post
        "author_name": str(post.get("author_name") or ""),
        "created_at": post.get("created_at", ""),
        "queued_at": keys.iso(now),
    }


def _append_to_queue(
    community_id: str, leader_id: str, due: datetime, attribute: str, entries: list[dict[str, Any]]
) -> Update:
    """An update that appends entries to one list of a leader's queue (creating it) and makes it due."""
    return Update(
        keys.nudge_queue(community_id, leader_id),
        sets={
            "entity": "nudge-queue",
            "community_id": community_id,
            "leader_id": leader_id,
            "due_pk": keys.NUDGES_DUE,
            "due_at": keys.nudge_queue_due_at(due, community_id, leader_id),
            "due": keys.iso(due),
            "revision": _revision(),
        },
        appends={attribute: entries},
    )


def queue_posts(
    store: Store,
    community_id: str,
    moves: list[tuple[dict[str, Any], Plan]],
    recipients: dict[str, datetime],
    now: datetime,
) -> int:
    """Move each post's key on and append its entry to every recipient's queue, atomically per chunk.

    A post answered (or moved by a concurrent sweep) since it was read makes its transaction fail on
    that post only: it is left out and the rest is written. Returns how many posts were queued.
    """
    leaders = sorted(recipients)[: MAX_TRANSACTION_ITEMS - 1]
    per_chunk = MAX_TRANSACTION_ITEMS - len(leaders)
    queued = 0
    for start in range(0, len(moves), per_chunk):
        chunk = moves[start : start + per_chunk]
        for _ in range(ATTEMPTS):
            if not chunk:
                break
            writes: list[Write] = []
            for post, decision in chunk:
                new_key = (
                    keys.unanswered_at(decision.next_due, community_id, post["post_id"])
                    if decision.next_due is not None
                    else keys.unanswered_parked(community_id, post["post_id"])
                )
                sets = {"nudge_stage": decision.stage, "nudged_at": keys.iso(now)}
                writes.append(store.write_update("versioned", _move(post, new_key, sets)))
            entries = [_entry(post, str(decision.stage), now) for post, decision in chunk]
            writes += [
                store.write_update(
                    "plain", _append_to_queue(community_id, leader, recipients[leader], "pending", entries)
                )
                for leader in leaders
            ]
            try:
                store.table.transact_all(writes)
            except ConditionFailed as failure:
                changed = {index for index in failure.failed if index < len(chunk)}
                chunk = [move for index, move in enumerate(chunk) if index not in changed]
                continue
            except (Contended, Cancelled):
                continue  # cancelled for no post's fault: the same chunk again
            queued += len(chunk)
            break
        else:
            raise Transient("The unanswered posts kept changing under the sweep; the next sweep will queue them.")
    return queued


def post_states(store: Store, community_id: str, post_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Whether each post still waits: its unanswered key, deleted flag and nudge stage."""
    return {
        item["post_id"]: item
        for item in _batch_get(
            store,
            [keys.post(community_id, post_id) for post_id in post_ids],
            ["post_id", "unanswered_pk", "deleted", "nudge_stage"],
        )
        if "post_id" in item
    }


def get_post(store: Store, community_id: str, post_id: str) -> dict[str, Any] | None:
    item = store.get(keys.post(community_id, post_id))
    return item if item and not item.get("placeholder") else None


def settle_post(store: Store, community_id: str, post_id: str, state: str, leader_id: str, now: datetime) -> bool:
    """'I'll answer it' / 'No reply needed': the post leaves the nudges. False if it no longer waited."""
    # "No reply needed" may still come after "I'll answer it" (the leader found nothing to say)
    settled_before = ", :claimed" if state == "dismissed" else ""
    update = Update(
        keys.post(community_id, post_id),
        sets={
            "unanswered_at": keys.unanswered_parked(community_id, post_id),
            "nudge_stage": state,
            "settled_by": leader_id,
            "settled_at": keys.iso(now),
        },
        condition="attribute_exists({unanswered_pk}) AND (attribute_not_exists({nudge_stage}) "
        f"OR {{nudge_stage}} IN (:threshold, :reminder{settled_before}))",
        condition_values={":threshold": "threshold", ":reminder": "reminder"}
        | ({":claimed": "claimed"} if state == "dismissed" else {}),
    )
    return _updated_if_unchanged(store, update)


def newest_posts(store: Store, community_id: str, limit: int) -> list[dict[str, Any]]:
    """A community's newest `limit` posts (one Query on the timeline index, newest first)."""
    return newest_post_items(store.table, community_id, limit)


def still_waiting(item: dict[str, Any]) -> bool:
    """A post nobody but its author has answered, neither deleted nor dismissed by a leader."""
    return bool(item.get("unanswered_pk")) and not item.get("deleted") and item.get("nudge_stage") != "dismissed"


def open_questions(store: Store, community_id: str, member_id: str, limit: int) -> list[dict[str, Any]]:
    """The newest posts of a community still waiting for an answer, not written by `member_id`."""
    found = []
    for item in newest_posts(store, community_id, 30):
        if still_waiting(item) and item.get("title") and item.get("author_id") != member_id:
            found.append({"title": item["title"], "url": item.get("url", ""), "post_id": item["post_id"]})
        if len(found) == limit:
            break
    return found


# ---------------------------------------------------------------------- members


def member_names(store: Store, community_id: str, member_ids: Iterable[str]) -> dict[str, str]:
    return {
        item["member_id"]: str(item.get("name") or "")
        for item in _batch_get(
            store, [keys.member(community_id, member_id) for member_id in member_ids], ["member_id", "name"]
        )
        if "member_id" in item
    }


def was_active(store: Store, community: Community, member_id: str, since: datetime, until: datetime) -> bool:
    """Whether the member posted or replied in any community week from `since` to `until`."""
    for week in weeks_between(since, until, community.timezone):
        item = store.get(keys.member_week(community.community_id, week, member_id), consistent=False) or {}
        if item.get("activity"):
            return True
    return False


def notice_newcomer(
    store: Store, community_id: str, member: Member, recipients: dict[str, datetime], now: datetime
) -> bool:
    """Put a quiet newcomer in each leader's queue, once per member ever. False: already done."""
    entry = {
        "member_id": member.member_id,
        "name": member.name,
        "joined_at": keys.iso(member.membership_started_at or now),
        "queued_at": keys.iso(now),
    }
    marker = {
        **keys.newcomer_noticed(community_id, member.member_id),
        "entity": "newcomer-noticed",
        "member_id": member.member_id,
        "noticed_at": keys.iso(now),
    }
    leaders = sorted(recipients)[: MAX_TRANSACTION_ITEMS - 1]
    writes = [
        expressions.put_once(store.table_name, marker),
        *(
            store.write_update(
                "plain", _append_to_queue(community_id, leader, recipients[leader], "newcomers", [entry])
            )
            for leader in leaders
        ),
    ]
    try:
        store.table.transact_all(writes)
        return True
    except (ConditionFailed, Contended, Cancelled) as error:
        if isinstance(error, ConditionFailed) and 0 in error.failed:
            return False
        raise Transient("Noticing a newcomer collided with another write; the job will retry.") from error


# ---------------------------------------------------------------------- leaders' queues


def due_queues(store: Store, now: datetime, limit: int = 1000) -> list[dict[str, Any]]:
    """Leaders' queues that may be emailed by `now` (a Query on the `due` index's NUDGES key)."""
    found: list[dict[str, Any]] = []
    for item in store.query(
        IndexName="due",
        KeyConditionExpression="due_pk = :p AND due_at <= :until",
        ExpressionAttributeValues={":p": to_value(keys.NUDGES_DUE), ":until": to_value(keys.nudge_queues_until(now))},
    ):
        found.append(item)
        if len(found) >= limit:
            break
    return found


def next_due(store: Store) -> datetime | None:
    """When the sweep next has work: the first post due for a nudge or leader's queue due (None: neither)."""
    instants = (
        store.earliest("unanswered", "unanswered_pk", keys.UNANSWERED, "unanswered_at"),
        store.earliest("due", "due_pk", keys.NUDGES_DUE, "due_at"),
    )
    return min((instant for instant in instants if instant is not None), default=None)


def get_queue(store: Store, community_id: str, leader_id: str) -> dict[str, Any] | None:
    return store.get(keys.nudge_queue(community_id, leader_id))


def _queue_update(queue: dict[str, Any], **parts: Any) -> Update:
    """An update of the queue as it was read (its revision), giving it a new revision."""
    update = Update(keys.nudge_queue(queue["community_id"], queue["leader_id"]), **parts)
    update.sets["revision"] = _revision()
    update.condition = "{revision} = :revision" + (f" AND {update.condition}" if update.condition else "")
    update.condition_values[":revision"] = queue.get("revision", "")
    return update


def defer_queue(store: Store, queue: dict[str, Any], until: datetime) -> bool:
    """Make the queue due when the leader's quiet hours end. False: it changed since it was read."""
    if queue.get("due") == keys.iso(until):
        return True
    update = _queue_update(
        queue,
        sets={
            "due_at": keys.nudge_queue_due_at(until, queue["community_id"], queue["leader_id"]),
            "due": keys.iso(until),
        },
    )
    return _updated_if_unchanged(store, update)


def start_outgoing(store: Store, queue: dict[str, Any], outgoing: dict[str, Any]) -> bool:
    """Record the batch about to be emailed, taking it out of `pending`. False: the queue changed."""
    update = _queue_update(
        queue,
        sets={"outgoing": outgoing},
        removes=["pending", "newcomers"],
        condition="attribute_not_exists({outgoing})",
    )
    return _updated_if_unchanged(store, update)


def finish_outgoing(store: Store, community_id: str, leader_id: str, outgoing_id: str) -> dict[str, Any] | None:
    """The batch went out: forget it. Returns the queue as it is now (None if another worker finished it)."""
    update = Update(
        keys.nudge_queue(community_id, leader_id),
        sets={"revision": _revision()},
        removes=["outgoing"],
        condition="{outgoing}.{id} = :outgoing",
        condition_values={":outgoing": outgoing_id},
    )
    try:
        return store.table.update(update, returns="ALL_NEW")
    except ConditionFailed:
        return None


def delete_queue(store: Store, queue: dict[str, Any]) -> bool:
    """Delete a queue that has nothing left, unless it changed since it was read."""
    key = keys.nudge_queue(queue["community_id"], queue["leader_id"])
    try:
        store.table.delete(key, "{revision} = :revision", {":revision": queue.get("revision", "")})
        return True
    except ConditionFailed:
        return False


# ---------------------------------------------------------------------- helpers


def _batch_get(store: Store, item_keys: list[dict[str, str]], attributes: list[str]) -> list[dict[str, Any]]:
    """BatchGetItem of only the named attributes, retrying unprocessed keys."""
    return store.table.batch_get(
        item_keys,
        attributes=attributes,
        attempts=ATTEMPTS + 2,
        unprocessed="DynamoDB kept some keys unprocessed; try again.",
    )

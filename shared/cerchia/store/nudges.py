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
from typing import TYPE_CHECKING, Any

from cerchia.errors import Transient
from cerchia.store import backoff, keys
from cerchia.store.codec import from_item, to_item, to_value

if TYPE_CHECKING:
    from cerchia.domain.models import Community, Member
    from cerchia.domain.nudges import Plan
    from cerchia.store.table import Store

MAX_TRANSACTION_ITEMS = 100
MAX_BATCH_GET = 100
ATTEMPTS = 4
TITLE_LENGTH = 200  # entries keep a short title: a queue item must stay far below 400 KB


class _Expression:
    """Placeholders for one request's attribute names and values (no reserved-word surprises)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        for alias, known in self.names.items():
            if known == attribute:
                return alias
        alias = f"#n{len(self.names)}"
        self.names[alias] = attribute
        return alias

    def value(self, raw: Any) -> str:
        alias = f":v{len(self.values)}"
        self.values[alias] = to_value(raw)
        return alias

    def sets(self, values: dict[str, Any]) -> list[str]:
        return [f"{self.name(attribute)} = {self.value(raw)}" for attribute, raw in values.items()]

    def request(self, store: Store, key: dict[str, str], update: str, condition: str | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": store.table_name,
            "Key": to_item(key),
            "UpdateExpression": update,
            "ExpressionAttributeNames": self.names,
        }
        if condition:
            request["ConditionExpression"] = condition
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _revision() -> str:
    return uuid.uuid4().hex


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


def _move(store: Store, post: dict[str, Any], new_key: str, sets: dict[str, Any]) -> dict[str, Any]:
    expression = _Expression()
    parts = expression.sets({"unanswered_at": new_key, **sets})
    condition = f"{expression.name('unanswered_at')} = {expression.value(post['unanswered_at'])}"
    return expression.request(
        store, keys.post(post["community_id"], post["post_id"]), "SET " + ", ".join(parts), condition
    )


def _update_if_unchanged(store: Store, request: dict[str, Any]) -> bool:
    try:
        store.call("update_item", **request)
        return True
    except Exception as error:
        if _code(error) == "ConditionalCheckFailedException":
            return False
        raise


def move_post(store: Store, post: dict[str, Any], due: datetime) -> bool:
    """Key the post at the instant it is really due (no nudge now). False: it changed meanwhile."""
    new_key = keys.unanswered_at(due, post["community_id"], post["post_id"])
    return _update_if_unchanged(store, _move(store, post, new_key, {}))


def park_post(store: Store, post: dict[str, Any], reason: str) -> bool:
    """Keep the post unanswered in the index, but out of every sweep's reach."""
    new_key = keys.unanswered_parked(post["community_id"], post["post_id"])
    return _update_if_unchanged(store, _move(store, post, new_key, {"nudge_stage": reason}))


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
    store: Store, community_id: str, leader_id: str, due: datetime, attribute: str, entries: list[dict[str, Any]]
) -> dict[str, Any]:
    """An update that appends entries to one list of a leader's queue (creating it) and makes it due."""
    expression = _Expression()
    parts = expression.sets(
        {
            "entity": "nudge-queue",
            "community_id": community_id,
            "leader_id": leader_id,
            "due_pk": keys.NUDGES_DUE,
            "due_at": keys.nudge_queue_due_at(due, community_id, leader_id),
            "due": keys.iso(due),
            "revision": _revision(),
        }
    )
    listed = expression.name(attribute)
    parts.append(
        f"{listed} = list_append(if_not_exists({listed}, {expression.value([])}), {expression.value(entries)})"
    )
    return expression.request(store, keys.nudge_queue(community_id, leader_id), "SET " + ", ".join(parts))


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
    from botocore.exceptions import ClientError

    leaders = sorted(recipients)[: MAX_TRANSACTION_ITEMS - 1]
    per_chunk = MAX_TRANSACTION_ITEMS - len(leaders)
    queued = 0
    for start in range(0, len(moves), per_chunk):
        chunk = moves[start : start + per_chunk]
        for _ in range(ATTEMPTS):
            if not chunk:
                break
            operations = []
            for post, decision in chunk:
                new_key = (
                    keys.unanswered_at(decision.next_due, community_id, post["post_id"])
                    if decision.next_due is not None
                    else keys.unanswered_parked(community_id, post["post_id"])
                )
                operations.append(
                    {"Update": _move(store, post, new_key, {"nudge_stage": decision.stage, "nudged_at": keys.iso(now)})}
                )
            entries = [_entry(post, str(decision.stage), now) for post, decision in chunk]
            operations += [
                {"Update": _append_to_queue(store, community_id, leader, recipients[leader], "pending", entries)}
                for leader in leaders
            ]
            try:
                store.call("transact_write_items", TransactItems=operations)
            except ClientError as error:
                if _code(error) != "TransactionCanceledException":
                    raise
                reasons = error.response.get("CancellationReasons") or []
                changed = {
                    index
                    for index, reason in enumerate(reasons[: len(chunk)])
                    if reason.get("Code") == "ConditionalCheckFailed"
                }
                chunk = [move for index, move in enumerate(chunk) if index not in changed]
                continue
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
            [keys.post(community_id, post_id) for post_id in dict.fromkeys(post_ids)],
            ["post_id", "unanswered_pk", "deleted", "nudge_stage"],
        )
        if "post_id" in item
    }


def get_post(store: Store, community_id: str, post_id: str) -> dict[str, Any] | None:
    item = store.get(keys.post(community_id, post_id))
    return item if item and not item.get("placeholder") else None


def settle_post(store: Store, community_id: str, post_id: str, state: str, leader_id: str, now: datetime) -> bool:
    """'I'll answer it' / 'No reply needed': the post leaves the nudges. False if it no longer waited."""
    expression = _Expression()
    parts = expression.sets(
        {
            "unanswered_at": keys.unanswered_parked(community_id, post_id),
            "nudge_stage": state,
            "settled_by": leader_id,
            "settled_at": keys.iso(now),
        }
    )
    stage = expression.name("nudge_stage")
    # "No reply needed" may still come after "I'll answer it" (the leader found nothing to say)
    settled_before = f", {expression.value('claimed')}" if state == "dismissed" else ""
    condition = (
        f"attribute_exists({expression.name('unanswered_pk')}) AND (attribute_not_exists({stage}) "
        f"OR {stage} IN ({expression.value('threshold')}, {expression.value('reminder')}{settled_before}))"
    )
    return _update_if_unchanged(
        store, expression.request(store, keys.post(community_id, post_id), "SET " + ", ".join(parts), condition)
    )


def newest_posts(store: Store, community_id: str, limit: int) -> list[dict[str, Any]]:
    """A community's newest `limit` posts (one Query on the timeline index, newest first)."""
    page = store.call(
        "query",
        TableName=store.table_name,
        IndexName="timeline",
        KeyConditionExpression="timeline_pk = :pk",
        ExpressionAttributeValues={":pk": to_value(keys.timeline_posts(community_id))},
        ScanIndexForward=False,
        Limit=limit,
    )
    return [from_item(raw) for raw in page.get("Items", [])]


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
    from cerchia.domain.nudges import weeks_between

    for week in weeks_between(since, until, community.timezone):
        item = store.get(keys.member_week(community.community_id, week, member_id), consistent=False) or {}
        if item.get("activity"):
            return True
    return False


def notice_newcomer(
    store: Store, community_id: str, member: Member, recipients: dict[str, datetime], now: datetime
) -> bool:
    """Put a quiet newcomer in each leader's queue, once per member ever. False: already done."""
    from botocore.exceptions import ClientError

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
    operations: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": store.table_name,
                "Item": to_item(marker),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    ]
    leaders = sorted(recipients)[: MAX_TRANSACTION_ITEMS - 1]
    operations += [
        {"Update": _append_to_queue(store, community_id, leader, recipients[leader], "newcomers", [entry])}
        for leader in leaders
    ]
    try:
        if len(operations) == 1:
            store.call("put_item", **operations[0]["Put"])
        else:
            store.call("transact_write_items", TransactItems=operations)
        return True
    except ClientError as error:
        code = _code(error)
        if code == "ConditionalCheckFailedException":
            return False
        if code == "TransactionCanceledException":
            reasons = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise Transient("Noticing a newcomer collided with another write; the job will retry.") from error
        raise


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


def _conditional_on_revision(expression: _Expression, queue: dict[str, Any]) -> str:
    return f"{expression.name('revision')} = {expression.value(queue.get('revision', ''))}"


def defer_queue(store: Store, queue: dict[str, Any], until: datetime) -> bool:
    """Make the queue due when the leader's quiet hours end. False: it changed since it was read."""
    if queue.get("due") == keys.iso(until):
        return True
    expression = _Expression()
    parts = expression.sets(
        {
            "due_at": keys.nudge_queue_due_at(until, queue["community_id"], queue["leader_id"]),
            "due": keys.iso(until),
            "revision": _revision(),
        }
    )
    condition = _conditional_on_revision(expression, queue)
    request = expression.request(
        store, keys.nudge_queue(queue["community_id"], queue["leader_id"]), "SET " + ", ".join(parts), condition
    )
    return _update_if_unchanged(store, request)


def start_outgoing(store: Store, queue: dict[str, Any], outgoing: dict[str, Any]) -> bool:
    """Record the batch about to be emailed, taking it out of `pending`. False: the queue changed."""
    expression = _Expression()
    parts = expression.sets({"outgoing": outgoing, "revision": _revision()})
    removes = ", ".join(expression.name(attribute) for attribute in ("pending", "newcomers"))
    condition = f"{_conditional_on_revision(expression, queue)} AND attribute_not_exists({expression.name('outgoing')})"
    request = expression.request(
        store,
        keys.nudge_queue(queue["community_id"], queue["leader_id"]),
        "SET " + ", ".join(parts) + " REMOVE " + removes,
        condition,
    )
    return _update_if_unchanged(store, request)


def finish_outgoing(store: Store, community_id: str, leader_id: str, outgoing_id: str) -> dict[str, Any] | None:
    """The batch went out: forget it. Returns the queue as it is now (None if another worker finished it)."""
    expression = _Expression()
    parts = expression.sets({"revision": _revision()})
    outgoing = expression.name("outgoing")
    condition = f"{outgoing}.{expression.name('id')} = {expression.value(outgoing_id)}"
    request = expression.request(
        store, keys.nudge_queue(community_id, leader_id), "SET " + ", ".join(parts) + f" REMOVE {outgoing}", condition
    )
    try:
        response = store.call("update_item", ReturnValues="ALL_NEW", **request)
    except Exception as error:
        if _code(error) == "ConditionalCheckFailedException":
            return None
        raise
    return from_item(response.get("Attributes") or {})


def delete_queue(store: Store, queue: dict[str, Any]) -> bool:
    """Delete a queue that has nothing left, unless it changed since it was read."""
    expression = _Expression()
    condition = _conditional_on_revision(expression, queue)
    try:
        store.call(
            "delete_item",
            TableName=store.table_name,
            Key=to_item(keys.nudge_queue(queue["community_id"], queue["leader_id"])),
            ConditionExpression=condition,
            ExpressionAttributeNames=expression.names,
            ExpressionAttributeValues=expression.values,
        )
        return True
    except Exception as error:
        if _code(error) == "ConditionalCheckFailedException":
            return False
        raise


# ---------------------------------------------------------------------- helpers


def _batch_get(store: Store, item_keys: list[dict[str, str]], attributes: list[str]) -> list[dict[str, Any]]:
    """BatchGetItem in chunks of 100, retrying unprocessed keys; only the named attributes."""
    found: list[dict[str, Any]] = []
    unique = list({(key["pk"], key["sk"]): key for key in item_keys}.values())
    for start in range(0, len(unique), MAX_BATCH_GET):
        expression = _Expression()
        projection = ", ".join(expression.name(attribute) for attribute in attributes)
        request: dict[str, Any] = {
            store.table_name: {
                "Keys": [to_item(key) for key in unique[start : start + MAX_BATCH_GET]],
                "ProjectionExpression": projection,
                "ExpressionAttributeNames": expression.names,
            }
        }
        for attempt in range(ATTEMPTS + 2):
            if attempt:
                backoff.pause(attempt - 1)  # asked again at once, a throttled partition says no again
            response = store.call("batch_get_item", RequestItems=request)
            found += [from_item(item) for item in response.get("Responses", {}).get(store.table_name, [])]
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise Transient("DynamoDB kept some keys unprocessed; try again.")
    return found

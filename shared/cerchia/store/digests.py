"""What the weekly digest reads and writes: week aggregates, the week's snapshot, members and posts in batches.

Reads here are sized by what a digest shows (top posts, a chunk of members), never by everything
that happened in the week: per-post numbers come from the week item that ingest keeps up to date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cerchia.domain.digests import Snapshot, WeekActivity
from cerchia.domain.models import Member, Post
from cerchia.errors import Transient
from cerchia.store import backoff, keys
from cerchia.store.codec import from_item, readable, to_item
from cerchia.store.table import Store, member_from_image

if TYPE_CHECKING:
    from cerchia.domain.models import Community

BATCH_GET_LIMIT = 100
BATCH_GET_ATTEMPTS = 5
SNAPSHOT_RETENTION = timedelta(days=120)


def _batch_get(store: Store, item_keys: Sequence[dict[str, str]], consistent: bool = False) -> list[dict[str, Any]]:
    """Items for these keys (absent ones left out), in DynamoDB JSON, 100 keys per request."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(item_keys), BATCH_GET_LIMIT):
        pending: dict[str, Any] | None = {
            store.table_name: {
                "Keys": [to_item(key) for key in item_keys[start : start + BATCH_GET_LIMIT]],
                "ConsistentRead": consistent,
            }
        }
        for attempt in range(BATCH_GET_ATTEMPTS):
            if not pending:
                break
            if attempt:
                backoff.pause(attempt - 1)  # asked again at once, a throttled partition says no again
            response = store._call("batch_get_item", RequestItems=pending)
            found.extend(response.get("Responses", {}).get(store.table_name, []))
            pending = response.get("UnprocessedKeys") or None
        if pending:
            raise Transient("DynamoDB left part of a batch read unprocessed; the digest will retry.")
    return found


# ------------------------------------------------------------------ week aggregates


def week_activity(item: dict[str, Any] | None) -> WeekActivity:
    """The digest's view of a week item (plain Python values, as codec.from_item gives them)."""
    if not item:
        return WeekActivity()
    by_prefix: dict[str, dict[str, int]] = {
        keys.WEEK_POST_POINTS: {},
        keys.WEEK_POST_CREATED: {},
        keys.WEEK_POST_FIRST_REPLY: {},
    }
    for name, value in item.items():
        for prefix, values in by_prefix.items():
            if name.startswith(prefix):
                values[name[len(prefix) :]] = int(value)
    return WeekActivity(
        posts=int(item.get("posts", 0)),
        replies=int(item.get("replies", 0)),
        reactions=int(item.get("reactions", 0)),
        joins=int(item.get("joins", 0)),
        active_members=frozenset(item.get("active_members", ())) | frozenset(item.get("voters", ())),
        posters=frozenset(item.get(keys.WEEK_POSTERS, ())),
        unsubscribed=frozenset(item.get(keys.WEEK_UNSUBSCRIBED, ())),
        bounced=frozenset(item.get(keys.WEEK_BOUNCED, ())),
        suppressed=frozenset(item.get(keys.WEEK_SUPPRESSED, ())),
        post_points=by_prefix[keys.WEEK_POST_POINTS],
        post_created=by_prefix[keys.WEEK_POST_CREATED],
        first_replies=by_prefix[keys.WEEK_POST_FIRST_REPLY],
    )


def week_activities(store: Store, community_id: str, weeks: Iterable[str]) -> dict[str, WeekActivity]:
    """Several weeks' aggregates in one batch read; a week nothing happened in has no item (empty activity)."""
    wanted = list(dict.fromkeys(weeks))
    items = {
        str(item["week"]): item
        for item in (from_item(raw) for raw in _batch_get(store, [keys.week(community_id, w) for w in wanted]))
        if "week" in item
    }
    return {week: week_activity(items.get(week)) for week in wanted}


def note_in_week(store: Store, community: Community, at: datetime, attribute: str, value: str) -> None:
    """Add `value` to a string set of the community's week item at `at` (unsubscribes, bounces, suppressions).

    A set, not a number: the same member or address noted twice (a retried request, a redelivered
    notification) counts once.
    """
    from cerchia.domain.rules import week_of
    from cerchia.store.table import _Update

    week_key = week_of(at, community.timezone)
    update = _Update(
        keys.week(community.community_id, week_key),
        adds={attribute: {value}},
        sets={"entity": "week", "week": week_key},
    )
    store._call("update_item", **update.expression(store.table_name))


# ------------------------------------------------------------------ posts, members, member weeks


def posts(store: Store, community_id: str, post_ids: Iterable[str]) -> dict[str, Post]:
    found = {}
    for raw in _batch_get(store, [keys.post(community_id, post_id) for post_id in dict.fromkeys(post_ids)]):
        item = from_item(raw)
        found[str(item["post_id"])] = Post.model_validate({**item, "repliers": frozenset(item.get("repliers", ()))})
    return found


def members(store: Store, community_id: str, member_ids: Iterable[str]) -> dict[str, Member]:
    found = {}
    for raw in _batch_get(store, [keys.member(community_id, member_id) for member_id in dict.fromkeys(member_ids)]):
        member = readable(member_from_image, raw, "member")
        if member is not None:
            found[member.member_id] = member
    return found


def member_weeks(
    store: Store, community_id: str, week_key: str, member_ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """What members' own posts received in a week (replies, reactions), for the members who got any."""
    wanted = [keys.member_week(community_id, week_key, member_id) for member_id in dict.fromkeys(member_ids)]
    return {str(item["member_id"]): item for item in (from_item(raw) for raw in _batch_get(store, wanted))}


# ------------------------------------------------------------------ the week's snapshot


def get_snapshot(store: Store, community_id: str, week_key: str) -> Snapshot | None:
    item = store._get(keys.digest_snapshot(community_id, week_key), consistent=False)
    return Snapshot.model_validate(item) if item else None


def save_snapshot(store: Store, snapshot: Snapshot) -> Snapshot:
    """Store the week's content once; if another run stored it first, theirs is the week's content."""
    built = snapshot.built_at or snapshot.end
    item = {
        **keys.digest_snapshot(snapshot.community_id, snapshot.week),
        "entity": "digest",
        **snapshot.model_dump(mode="json"),
        "expires_at": int((built + SNAPSHOT_RETENTION).timestamp()),
    }
    try:
        store._call(
            "put_item",
            TableName=store.table_name,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(pk)",
        )
        return snapshot
    except Exception as error:
        if getattr(error, "response", {}).get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
    stored = store._get(keys.digest_snapshot(snapshot.community_id, snapshot.week))
    return Snapshot.model_validate(stored) if stored else snapshot

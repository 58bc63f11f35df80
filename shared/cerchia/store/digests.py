"""What the weekly digest reads and writes: week aggregates, the week's snapshot, members and posts in batches.

Reads here are sized by what a digest shows (top posts, a chunk of members), never by everything
that happened in the week: counters come from the week's small aggregate items, per-post numbers from
the `top` index and the waiting posts' partition of the `due` index (store/projection.py keeps them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from cerchia.domain import digests as d
from cerchia.domain.digest_content import Snapshot
from cerchia.domain.digests import WeekActivity
from cerchia.domain.models import Member, Post
from cerchia.errors import AlreadyExists
from cerchia.store import keys
from cerchia.store.client import BATCH_GET_ATTEMPTS
from cerchia.store.codec import readable, to_value
from cerchia.store.posts import post_from_item
from cerchia.store.roster import member_from_item
from cerchia.store.table import Store
from cerchia.store.weeks import week_items, week_totals

SNAPSHOT_RETENTION = timedelta(days=120)


def _batch_get(store: Store, item_keys: Sequence[dict[str, str]], consistent: bool = False) -> list[dict[str, Any]]:
    """Items for these keys (absent ones left out), 100 keys per request."""
    return store.table.batch_get(
        list(item_keys),
        consistent=consistent,
        attempts=BATCH_GET_ATTEMPTS,
        unprocessed="DynamoDB left part of a batch read unprocessed; the digest will retry.",
    )


# ------------------------------------------------------------------ week aggregates


def week_activity(items: Iterable[dict[str, Any]]) -> WeekActivity:
    """The digest's view of a week's aggregate items (counter shards and member weeks, plain values)."""
    summed = week_totals(items)
    totals: dict[str, int] = {}
    buckets: dict[int, int] = {}
    for name, value in summed.counters.items():
        if name.startswith(keys.FIRST_REPLY_BUCKET) and name[len(keys.FIRST_REPLY_BUCKET) :].isdigit():
            buckets[int(name[len(keys.FIRST_REPLY_BUCKET) :])] = value
        else:
            totals[name] = value
    active, posters, lost = summed.active, summed.posters, summed.lost
    return WeekActivity(
        posts=totals.get("posts", 0),
        replies=totals.get("replies", 0),
        reactions=totals.get("reactions", 0),
        joins=totals.get("joins", 0),
        active_members=frozenset(active),
        posters=frozenset(posters),
        unsubscribed=frozenset(lost.get(keys.WEEK_UNSUBSCRIBED, ())),
        bounced=frozenset(lost.get(keys.WEEK_BOUNCED, ())),
        suppressed=frozenset(lost.get(keys.WEEK_SUPPRESSED, ())),
        answered=totals.get("answered", 0),
        first_reply_buckets=buckets,
    )


def week_activities(
    store: Store,
    community_id: str,
    weeks: Iterable[str],
    *,
    timezone: str | None = None,
    as_of: datetime | None = None,
    threshold_hours: int = 24,
) -> dict[str, WeekActivity]:
    """Several weeks' aggregates: per week one Query of its small aggregate items (shards, member weeks),
    the one or two first-reply buckets that hold its median, and, for a week whose posts may still be
    within their answering time at `as_of`, a count of those still waiting (never every post of the week).
    """
    found: dict[str, WeekActivity] = {}
    for week in dict.fromkeys(weeks):
        activity = week_activity(week_items(store.table, community_id, week))
        buckets = activity.first_reply_buckets or {}
        wanted = d.median_buckets(buckets)
        exact: dict[int, dict[int, int]] = {}
        for item in _batch_get(store, [keys.first_reply_bucket(community_id, week, bound) for bound in wanted]):
            exact[int(item["bucket"])] = {
                int(name[len(keys.FIRST_REPLY_SECONDS) :]): int(count)
                for name, count in item.items()
                if name.startswith(keys.FIRST_REPLY_SECONDS) and name[len(keys.FIRST_REPLY_SECONDS) :].isdigit()
            }
        undecided = waiting = 0
        oldest: int | None = None
        if as_of is not None and timezone is not None and activity.posts:
            start, end = d.week_bounds(week, timezone)
            cutoff = max(as_of - timedelta(hours=threshold_hours), start)
            if cutoff < end:
                undecided = _count_waiting(store, community_id, cutoff, end)
                # a recent week's report says how many of its posts still wait, and how long the oldest has
                waiting = _count_waiting(store, community_id, start - timedelta(microseconds=1), end)
                oldest = _oldest_waiting(store, community_id, start, end) if waiting else None
        found[week] = replace(
            activity,
            median_first_reply_seconds=d.median_from_buckets(buckets, exact),
            undecided=undecided,
            waiting=waiting,
            oldest_waiting_created=oldest,
        )
    return found


def _oldest_waiting(store: Store, community_id: str, start: datetime, end: datetime) -> int | None:
    """When the oldest post of [start, end) that nobody has answered was created (epoch seconds)."""
    items = _waiting_page(store, community_id, start, end, 1)
    at = keys.instant_of(str(items[0]["due_at"])) if items else None
    return int(at.timestamp()) if at else None


def _count_waiting(store: Store, community_id: str, after: datetime, before: datetime) -> int:
    """Posts created in (after, before) that nobody but their author has answered (a COUNT on the index)."""
    return store.table.count(
        IndexName="due",
        KeyConditionExpression="due_pk = :waiting AND due_at BETWEEN :after AND :before",
        ExpressionAttributeValues={
            ":waiting": to_value(keys.waiting_posts(community_id)),
            ":after": to_value(keys.due_until(after)),
            ":before": to_value(keys.iso(before)),
        },
    )


def top_post_candidates(store: Store, community_id: str, week: str) -> list[str]:
    """Posts of the week that can make the top once recency is weighed in (one Query on the `top` index)."""
    items = store.table.query_page(
        IndexName="top",
        KeyConditionExpression="top_pk = :week AND points > :none",
        ExpressionAttributeValues={":week": to_value(keys.top_posts(community_id, week)), ":none": to_value(0)},
        ScanIndexForward=False,
        Limit=d.TOP_POST_CANDIDATES,
    )
    points = {str(item["sk"])[2:]: int(item["points"]) for item in items}
    return d.ranking_candidates(points)


def waiting_post_candidates(store: Store, community_id: str, start: datetime, end: datetime, limit: int) -> list[str]:
    """The week's oldest posts nobody but their author has answered (one Query, oldest first)."""
    return [str(item["post_id"]) for item in _waiting_page(store, community_id, start, end, limit)]


def _waiting_page(store: Store, community_id: str, start: datetime, end: datetime, limit: int) -> list[dict[str, Any]]:
    """The first `limit` entries of the community's waiting posts created in [start, end], oldest first."""
    return store.table.query_page(
        IndexName="due",
        KeyConditionExpression="due_pk = :waiting AND due_at BETWEEN :start AND :end",
        ExpressionAttributeValues={
            ":waiting": to_value(keys.waiting_posts(community_id)),
            ":start": to_value(keys.iso(start)),
            ":end": to_value(keys.iso(end)),
        },
        Limit=limit,
    )


# ------------------------------------------------------------------ posts, members, member weeks


def posts(store: Store, community_id: str, post_ids: Iterable[str]) -> dict[str, Post]:
    found = {}
    for item in _batch_get(store, [keys.post(community_id, post_id) for post_id in dict.fromkeys(post_ids)]):
        found[str(item["post_id"])] = post_from_item(item)
    return found


def members(store: Store, community_id: str, member_ids: Iterable[str]) -> dict[str, Member]:
    found = {}
    for item in _batch_get(store, [keys.member(community_id, member_id) for member_id in dict.fromkeys(member_ids)]):
        member = readable(member_from_item, item, "member")
        if member is not None:
            found[member.member_id] = member
    return found


def member_weeks(
    store: Store, community_id: str, week_key: str, member_ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """What members' own posts received in a week (replies, reactions), for the members who got any."""
    wanted = [keys.member_week(community_id, week_key, member_id) for member_id in dict.fromkeys(member_ids)]
    return {str(item["member_id"]): item for item in _batch_get(store, wanted)}


# ------------------------------------------------------------------ the week's snapshot


def get_snapshot(store: Store, community_id: str, week_key: str) -> Snapshot | None:
    item = store.get(keys.digest_snapshot(community_id, week_key), consistent=False)
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
        store.table.put_once(item)
        return snapshot
    except AlreadyExists:
        pass
    stored = store.get(keys.digest_snapshot(snapshot.community_id, snapshot.week))
    return Snapshot.model_validate(stored) if stored else snapshot

"""A community week's aggregates: counter shards, member weeks and the lost-reach item, and their one sum.

Ingest (and a first ballot) adds to one of `keys.WEEK_SHARDS` shards, so a busy week spreads its
writes; every reader sums them here.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cerchia.domain import rules
from cerchia.domain.models import Community
from cerchia.store import expressions, keys
from cerchia.store.client import Table
from cerchia.store.codec import to_value
from cerchia.store.expressions import Write

LOST_REACH = (keys.WEEK_UNSUBSCRIBED, keys.WEEK_BOUNCED, keys.WEEK_SUPPRESSED)


@dataclass
class WeekTotals:
    """A week's aggregate items summed: every counter, who was active, who posted, whose reach was lost."""

    counters: dict[str, int] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)
    posters: set[str] = field(default_factory=set)
    lost: dict[str, set[str]] = field(default_factory=dict)


def week_totals(items: Iterable[dict[str, Any]]) -> WeekTotals:
    """Sum a week's aggregate items (counter shards, member weeks, lost reach; plain values)."""
    totals = WeekTotals()
    for item in items:
        for name in LOST_REACH:
            totals.lost.setdefault(name, set()).update(item.get(name, ()) or ())
        if item.get("entity") == "member-week":
            if item.get("activity"):
                totals.active.add(str(item["member_id"]))
            if item.get("posts"):
                totals.posters.add(str(item["member_id"]))
            continue
        for name, value in item.items():
            if isinstance(value, int) and not isinstance(value, bool):
                totals.counters[name] = totals.counters.get(name, 0) + value
    return totals


def week_items(table: Table, community_id: str, week_key: str) -> Iterator[dict[str, Any]]:
    """Every aggregate item of a community week (one Query: they share a prefix)."""
    return table.query(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :week)",
        ExpressionAttributeValues={
            ":pk": to_value(keys.community(community_id)["pk"]),
            ":week": to_value(keys.week_aggregates_prefix(week_key)),
        },
    )


def week_counters(table: Table, community_id: str, week_key: str) -> dict[str, Any]:
    """A community week's counters summed over their shards, with its active members and posters."""
    totals = week_totals(week_items(table, community_id, week_key))
    if not totals.counters and not totals.active:
        return {}
    return {**totals.counters, "active_members": totals.active, keys.WEEK_POSTERS: totals.posters}


def activity_writes(
    table_name: str, community: Community, at: datetime, member_id: str, counters: dict[str, int]
) -> list[Write]:
    """Counter updates for the week of `at`: the community's (one shard) and the member's, marked active."""
    week_key = rules.week_of(at, community.timezone)
    shard = zlib.crc32(member_id.encode()) % keys.WEEK_SHARDS
    shard_update = expressions.Update(
        keys.week_shard(community.community_id, week_key, shard),
        adds=dict(counters),
        sets={"entity": "week", "week": week_key},
    )
    member_update = expressions.Update(
        keys.member_week(community.community_id, week_key, member_id),
        adds={"activity": 1},
        sets={"entity": "member-week", "week": week_key, "member_id": member_id},
    )
    return [
        expressions.update(table_name, "plain", shard_update),
        expressions.update(table_name, "plain", member_update),
    ]


def note_in_week(table: Table, community: Community, at: datetime, attribute: str, value: str) -> None:
    """Add `value` to a string set of the week's lost-reach item at `at` (unsubscribes, bounces, suppressions).

    A set, not a number: the same member or address noted twice (a retried request, a redelivered
    notification) counts once.
    """
    week_key = rules.week_of(at, community.timezone)
    update = expressions.Update(
        keys.week_lost_reach(community.community_id, week_key),
        adds={attribute: {value}},
        sets={"entity": "week-reach", "week": week_key},
    )
    table.update(update)

"""The rules of nudges: which posts are due, when a leader may be told, what a nudge lists. Time passed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from cerchia.domain import rules
from cerchia.domain.models import FOUNDER, Community, Member

THRESHOLD = "threshold"
REMINDER = "reminder"
CLAIMED = "claimed"  # a leader said "I'll answer it"
DISMISSED = "dismissed"  # a leader said "No reply needed"
LEADER_POST = "leader-post"  # written by a leader, and the community leaves those out
LinkAction = Literal["claim", "dismiss"]
SETTLED_BY: dict[str, str] = {"claim": CLAIMED, "dismiss": DISMISSED}

MAX_LISTED = 20  # posts listed in one nudge; the rest are counted ("and N more")
MAX_POSTS_PER_SWEEP = 1000  # a backlog larger than this is worked off by the next sweeps
LINK_LIFETIME = timedelta(days=30)
OPEN_QUESTIONS = 2  # offered to a quiet newcomer

PlanAction = Literal["nudge", "wait", "park"]


@dataclass(frozen=True)
class Plan:
    """What the sweep does with one post it found due."""

    action: PlanAction
    stage: str | None = None  # the nudge to send (threshold or reminder)
    next_due: datetime | None = None  # where the post's key moves; None: out of reach
    reason: str | None = None  # why it was parked


def is_leader_post(community: Community, author_id: str) -> bool:
    return author_id in community.leader_ids or author_id == FOUNDER


def plan(community: Community, author_id: str, created_at: datetime | None, done: str | None, now: datetime) -> Plan:
    """The nudge a due post deserves now, given the last stage it had (`done`).

    A post appears in at most two nudges: at the threshold and one reminder at twice the threshold.
    A key that says "due" earlier than the post really is (the threshold was raised, or the key was
    written before it meant "due") only moves to the right instant.
    """
    threshold = timedelta(hours=community.unanswered_after_hours)
    if created_at is None:
        return Plan("park", reason="no-date")
    if not community.include_leader_posts and is_leader_post(community, author_id):
        return Plan("park", reason=LEADER_POST)
    if done is None:
        stage, due = THRESHOLD, created_at + threshold
    elif done == THRESHOLD:
        stage, due = REMINDER, created_at + 2 * threshold
    else:
        return Plan("park", reason=done)
    if due > now:
        return Plan("wait", next_due=due)
    if stage == REMINDER:
        return Plan("nudge", stage=REMINDER, next_due=None)
    reminder = created_at + 2 * threshold
    # A late first nudge (the sweep was down) still leaves a full threshold before the reminder.
    return Plan("nudge", stage=THRESHOLD, next_due=reminder if reminder > now else now + threshold)


def quiet_until(now: datetime, timezone: str, start_hour: int, end_hour: int) -> datetime | None:
    """When the quiet hours around `now` end (UTC), or None if `now` is not in them.

    Hours are local wall-clock hours in `timezone`, start inclusive, end exclusive; start > end
    wraps midnight (21 -> 8). The end is computed on the local calendar, so it lands on the right
    UTC instant whichever side of a daylight-saving change it falls.
    """
    if start_hour == end_hour:
        return None
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    hour = local.hour
    quiet = (hour >= start_hour or hour < end_hour) if start_hour > end_hour else start_hour <= hour < end_hour
    if not quiet:
        return None
    day = local.date() if hour < end_hour else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end_hour), tzinfo=zone).astimezone(UTC)


def leader_quiet_until(leader: Member, community: Community, now: datetime) -> datetime | None:
    """quiet_until with the leader's own hours and time zone, else the community's."""
    start = community.quiet_start_hour if leader.quiet_start_hour is None else leader.quiet_start_hour
    end = community.quiet_end_hour if leader.quiet_end_hour is None else leader.quiet_end_hour
    return quiet_until(now, leader.timezone or community.timezone, start, end)


def not_before(leader: Member, community: Community, now: datetime) -> datetime:
    """The first instant a nudge may reach this leader: now, or the end of their quiet hours."""
    return leader_quiet_until(leader, community, now) or now


def is_waiting(post: dict[str, Any] | None) -> bool:
    """Whether a post still waits for an answer nobody has promised or waved away."""
    return bool(
        post
        and post.get("unanswered_pk")
        and not post.get("deleted")
        and post.get("nudge_stage") not in (CLAIMED, DISMISSED)
    )


def claimed_but_unanswered(post: dict[str, Any]) -> bool:
    """A leader said "I'll answer it" and nobody has yet: it may still be dismissed."""
    return bool(post.get("unanswered_pk") and not post.get("deleted") and post.get("nudge_stage") == CLAIMED)


def latest_entries(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per post (the latest stage wins: a reminder over its threshold), oldest post first."""
    by_post: dict[str, dict[str, Any]] = {}
    for entry in entries:
        known = by_post.get(entry["post_id"])
        if known is None or (known["stage"] == THRESHOLD and entry["stage"] == REMINDER):
            by_post[entry["post_id"]] = entry
    return sorted(by_post.values(), key=lambda entry: (entry.get("created_at") or "", entry["post_id"]))


def unique_newcomers(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    by_member: dict[str, dict[str, Any]] = {}
    for entry in entries:
        by_member.setdefault(entry["member_id"], entry)
    return sorted(by_member.values(), key=lambda entry: (entry.get("joined_at") or "", entry["member_id"]))


def weeks_between(since: datetime, until: datetime, timezone: str) -> list[str]:
    """Every community week (as lived in its time zone) from `since` to `until`, in order."""
    found: list[str] = []
    cursor = since
    while cursor <= until:
        week = rules.week_of(cursor, timezone)
        if week not in found:
            found.append(week)
        cursor += timedelta(days=7)
    last = rules.week_of(until, timezone)
    if last not in found:
        found.append(last)
    return found

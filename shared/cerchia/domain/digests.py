"""Pure rules of the weekly digest: when it goes out, who gets one, what the week's aggregates say.

Everything here takes its inputs (settings, counters, `now`) as arguments: no AWS, no wall clock.
The leader report's health figures are in cerchia.domain.health; what a digest shows (the snapshot,
post cards, a member's copy) in cerchia.domain.digest_content.

The digest of a community week (ISO week in the community's time zone, Monday 00:00 to Monday
00:00) goes out on the first `digest_day` after that week ends, at `digest_hour`. A member with a
time zone of their own gets it at that hour of that day in their zone, but never before the week
is over. The content is computed once per week, when the first of those instants approaches (the
"round" opens), so every member reads the same week.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from cerchia.domain import rules
from cerchia.domain.models import Community, Member

# UTC+14 (Line Islands): the first place on Earth where any given local hour comes.
EARLIEST_ZONE = timezone(timedelta(hours=14))
# A post from the last minute of the week counts up to 1.5 times its engagement: it had less time.
RECENCY_BOOST = 0.5
TOP_POSTS_KEPT = 8  # in the snapshot (a member's own posts are left out of their copy)
TOP_POSTS_SHOWN = 5
TOP_POST_CANDIDATES = 24  # posts read to rank the top ones exactly (never every post of the week)
UNANSWERED_KEPT = 8
UNANSWERED_SHOWN = 3
NEW_MEMBERS_KEPT = 12
NEW_MEMBERS_SHOWN = 6
TREND_WEEKS = 8


# ---------------------------------------------------------------------------------------- weeks


def week_monday(week_key: str) -> date:
    """The Monday of an ISO week key such as '2026-W48'."""
    year, _, week = week_key.partition("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def shift_week(week_key: str, weeks: int) -> str:
    year, week, _ = (week_monday(week_key) + timedelta(weeks=weeks)).isocalendar()
    return f"{year}-W{week:02d}"


def local_instant(day: date, hour: int, zone: tzinfo) -> datetime:
    """The UTC instant of `hour`:00 on `day` in a zone, daylight saving included.

    An hour repeated when clocks go back is its first occurrence; an hour skipped when they go
    forward is the instant the clocks jumped (02:00 on Rome's spring-forward day is 03:00 CEST).
    """
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def week_bounds(week_key: str, timezone_name: str) -> tuple[datetime, datetime]:
    """[start, end) of a community week in UTC: Monday 00:00 to the next Monday 00:00, local time."""
    zone = ZoneInfo(timezone_name)
    monday = week_monday(week_key)
    return local_instant(monday, 0, zone), local_instant(monday + timedelta(days=7), 0, zone)


def digest_date(week_key: str, digest_day: int) -> date:
    """The local date the digest of a week goes out: the first `digest_day` after the week ends."""
    return week_monday(week_key) + timedelta(days=7 + digest_day - 1)


def round_opens(week_key: str, community: Community) -> datetime:
    """When the week's content is computed: the earliest instant any member could get it."""
    earliest = local_instant(digest_date(week_key, community.digest_day), community.digest_hour, EARLIEST_ZONE)
    return max(week_bounds(week_key, community.timezone)[1], earliest)


def send_instant(week_key: str, community: Community, zone_name: str | None) -> datetime:
    """When someone living in `zone_name` (None: the community's zone) gets the week's digest."""
    zone = ZoneInfo(zone_name or community.timezone)
    local = local_instant(digest_date(week_key, community.digest_day), community.digest_hour, zone)
    return max(round_opens(week_key, community), local)


def first_round_week(community: Community, now: datetime) -> str:
    """The first week a new community gets a digest for: the one it was created in."""
    return rules.week_of(now, community.timezone)


def round_week(due: datetime, timezone_name: str) -> str:
    """The week a round due at `due` digests: the last full week before that instant."""
    return shift_week(rules.week_of(due, timezone_name), -1)


def next_round(week_key: str, community: Community, now: datetime) -> tuple[str, datetime]:
    """The round after `week_key`'s; after an outage, the most recent week whose round has opened."""
    candidate = shift_week(week_key, 1)
    while round_opens(shift_week(candidate, 1), community) <= now:
        candidate = shift_week(candidate, 1)
    return candidate, round_opens(candidate, community)


def send_group(instant: datetime, group_instants: Sequence[datetime]) -> datetime:
    """The scheduled send a member belongs to: the first at or after their own instant (else the last)."""
    for candidate in sorted(group_instants):
        if instant <= candidate:
            return candidate
    return max(group_instants)


# ------------------------------------------------------------------------------- who gets one


def membership_start(member: Member) -> datetime | None:
    return member.membership_started_at or member.joined_at


def receives_digest(member: Member, week_key: str) -> bool:
    """Wants digests at all, and this week: biweekly readers get the digests of even ISO weeks."""
    if not rules.wants(member, "digest"):
        return False
    if member.digest == "biweekly":
        return week_monday(week_key).isocalendar()[1] % 2 == 0
    return True


def was_member_before(member: Member, week_end: datetime) -> bool:
    """Joined before the week ended (someone who joins on digest morning starts with next week's)."""
    started = membership_start(member)
    return started is None or started < week_end


def member_at(member: Member, instant: datetime) -> bool:
    """Whether someone was a member at an instant (for past weeks' member counts)."""
    if member.status == "provisional":
        return False
    started = membership_start(member)
    if started is not None and started >= instant:
        return False
    return not (member.status == "left" and member.left_at is not None and member.left_at < instant)


# ------------------------------------------------------------------------------ the week's aggregates


@dataclass(frozen=True)
class WeekActivity:
    """What a week's write-time aggregates say about it (store/digests.py reads them; see docs/digests.md).

    The answer figures come either from per-post numbers (`post_created`, `first_replies`: small weeks
    built by hand, tests) or from the bounded aggregates ingest keeps: `answered`, the first-reply
    histogram (`first_reply_buckets`, upper bound in seconds -> posts), its exact median, and the
    number of posts still waiting whose answering time was not over at the reading instant (`undecided`).
    """

    posts: int = 0
    replies: int = 0
    reactions: int = 0
    joins: int = 0
    active_members: frozenset[str] = frozenset()
    posters: frozenset[str] = frozenset()
    unsubscribed: frozenset[str] = frozenset()  # member ids
    bounced: frozenset[str] = frozenset()  # address hashes
    suppressed: frozenset[str] = frozenset()  # address hashes
    post_points: Mapping[str, int] | None = None
    post_created: Mapping[str, int] | None = None  # epoch seconds
    first_replies: Mapping[str, int] | None = None  # seconds from post to first answer
    answered: int = 0
    first_reply_buckets: Mapping[int, int] | None = None
    median_first_reply_seconds: float | None = None
    undecided: int = 0
    waiting: int = 0  # posts of the week nobody but their author has answered, at the reading instant
    oldest_waiting_created: int | None = None  # epoch seconds of the oldest of them

    @property
    def any(self) -> bool:
        return bool(self.posts or self.replies or self.reactions or self.joins)


# First-reply histogram buckets: whole minutes up to a day, whole hours up to 30 days, then one more.
# A bucket is named by its upper bound in seconds, so "answered within T hours" is exact for any T <= 720.
MINUTE_BUCKETS_UNTIL = 24 * 3600
HOUR_BUCKETS_UNTIL = 30 * 24 * 3600
OVERFLOW_BUCKET = 10**9


def first_reply_bucket(seconds: int) -> int:
    """The histogram bucket of a first-reply time: the smallest bound (minute, then hour) not below it."""
    if seconds <= MINUTE_BUCKETS_UNTIL:
        return -(-max(0, seconds) // 60) * 60
    if seconds <= HOUR_BUCKETS_UNTIL:
        return -(-seconds // 3600) * 3600
    return OVERFLOW_BUCKET


def recorded_first_reply(seconds: int) -> int:
    """The value kept for the exact median: the seconds, or whole days beyond 30 days (so that the
    open-ended bucket holds at most one value per day that has passed, never one per second)."""
    seconds = max(0, seconds)
    return seconds if seconds <= HOUR_BUCKETS_UNTIL else seconds // 86_400 * 86_400


def median_buckets(buckets: Mapping[int, int]) -> list[int]:
    """The one or two buckets that hold the median first-reply time (the middle value, or both middles)."""
    total = sum(buckets.values())
    if not total:
        return []
    wanted = sorted({(total - 1) // 2, total // 2})
    found: list[int] = []
    seen = 0
    for bound in sorted(buckets):
        count = buckets[bound]
        for position in wanted:
            if seen <= position < seen + count and bound not in found:
                found.append(bound)
        seen += count
    return found


def median_from_buckets(buckets: Mapping[int, int], exact: Mapping[int, Mapping[int, int]]) -> float | None:
    """The exact median, from the histogram and the exact seconds counted in the median's buckets."""
    total = sum(buckets.values())

    def value_at(position: int) -> int | None:
        seen = 0
        for bound in sorted(buckets):
            if position < seen + buckets[bound]:
                offset = position - seen
                for second, count in sorted(exact.get(bound, {}).items()):
                    if offset < count:
                        return second
                    offset -= count
                return None
            seen += buckets[bound]
        return None

    values = [value for position in sorted({(total - 1) // 2, total // 2}) if (value := value_at(position)) is not None]
    return sum(values) / len(values) if total and values else None


# ------------------------------------------------------------------------------ which posts to read


def ranking_candidates(post_points: Mapping[str, int], kept: int = TOP_POSTS_KEPT) -> list[str]:
    """Posts that could make the top `kept` once recency is weighed in, best first.

    A post whose points, boosted as much as recency can, stay below the `kept`-th best points can
    never outrank it, so only the others are read (at most TOP_POST_CANDIDATES).
    """
    ranked = sorted(((score, post_id) for post_id, score in post_points.items() if score > 0), reverse=True)
    if len(ranked) <= kept:
        return [post_id for _, post_id in ranked]
    bound = ranked[kept - 1][0] / (1.0 + RECENCY_BOOST)
    return [post_id for score, post_id in ranked if score >= bound][:TOP_POST_CANDIDATES]

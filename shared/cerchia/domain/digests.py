"""Pure rules of the weekly digest: when it goes out, which posts rank, how healthy the community is.

Everything here takes its inputs (settings, counters, `now`) as arguments: no AWS, no wall clock.

The digest of a community week (ISO week in the community's time zone, Monday 00:00 to Monday
00:00) goes out on the first `digest_day` after that week ends, at `digest_hour`. A member with a
time zone of their own gets it at that hour of that day in their zone, but never before the week
is over. The content is computed once per week, when the first of those instants approaches (the
"round" opens), so every member reads the same week.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from cerchia.domain import rules
from cerchia.domain.cards import PollCard, PollOption
from cerchia.domain.models import FOUNDER, Community, Member

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
# The leader row created with the community (store.keys.FOUNDER): an account, not a member who takes part.
FOUNDER_ID = FOUNDER


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


# ------------------------------------------------------------------------------ ranking


def recency_weight(created_at: datetime, start: datetime, end: datetime) -> float:
    """1 for a post from the week's first minute, up to 1 + RECENCY_BOOST for one from its last."""
    span = (end - start).total_seconds() or 1.0
    position = min(1.0, max(0.0, (created_at - start).total_seconds() / span))
    return 1.0 + RECENCY_BOOST * position


def points(reply_count: int, repliers: int, reactions: int) -> int:
    """Engagement points (the same weights as rules.engagement): replies, distinct repliers, reactions."""
    return reply_count * 2 + repliers * 3 + reactions


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


def unanswered_candidates(
    created: Mapping[str, int], first_replies: Mapping[str, int], limit: int = UNANSWERED_KEPT * 2
) -> list[str]:
    """Posts of the week nobody has answered yet, oldest first (they have waited longest)."""
    waiting = sorted((at, post_id) for post_id, at in created.items() if post_id not in first_replies)
    return [post_id for _, post_id in waiting[:limit]]


class PostCard(BaseModel):
    """A post as the digest shows it."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    post_id: str
    title: str
    url: str
    excerpt: str = ""
    author_id: str = ""
    author_name: str = ""
    created_at: datetime
    replies: int = 0
    repliers: int = 0
    reactions: int = 0
    score: float = 0.0


def rank(cards: Iterable[PostCard], start: datetime, end: datetime, limit: int = TOP_POSTS_KEPT) -> list[PostCard]:
    """The best posts by engagement weighed by recency; newer first among equals; never a post nobody touched."""
    scored = [
        card.model_copy(
            update={
                "score": round(
                    points(card.replies, card.repliers, card.reactions) * recency_weight(card.created_at, start, end), 3
                )
            }
        )
        for card in cards
    ]
    scored = [card for card in scored if card.score > 0]
    scored.sort(key=lambda card: (card.score, card.created_at), reverse=True)
    return scored[:limit]


# ------------------------------------------------------------------------------ health


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


def _answer_figures(
    activity: WeekActivity, as_of: datetime, threshold: int, gone: frozenset[str] = frozenset()
) -> tuple[int, int, float | None]:
    """(decided, answered within the threshold, median first reply) of a week's posts (`gone`: deleted)."""
    if activity.post_created is not None or activity.first_replies is not None:
        created = {post_id: at for post_id, at in (activity.post_created or {}).items() if post_id not in gone}
        answers = activity.first_replies or {}
        decided = answered_in_time = 0
        for post_id, created_epoch in created.items():
            seconds = answers.get(post_id)
            if seconds is not None:
                decided += 1
                answered_in_time += seconds <= threshold
            elif as_of.timestamp() - created_epoch >= threshold:
                decided += 1
        first_replies = [seconds for post_id, seconds in answers.items() if post_id in created]
        return decided, answered_in_time, float(statistics.median(first_replies)) if first_replies else None
    buckets = activity.first_reply_buckets or {}
    in_time = sum(count for bound, count in buckets.items() if bound <= threshold)
    return max(0, activity.posts - activity.undecided), in_time, activity.median_first_reply_seconds


def _waiting_figures(activity: WeekActivity, as_of: datetime, gone: frozenset[str]) -> tuple[int, int, float | None]:
    """(posts answered, posts still waiting, how long the oldest has waited) of a week's posts."""
    if activity.post_created is not None or activity.first_replies is not None:
        created = {post_id: at for post_id, at in (activity.post_created or {}).items() if post_id not in gone}
        answers = activity.first_replies or {}
        waited = [max(0.0, as_of.timestamp() - at) for post_id, at in created.items() if post_id not in answers]
        answered = sum(1 for post_id in answers if post_id in created)
        return answered, len(waited), max(waited) if waited else None
    oldest = activity.oldest_waiting_created
    return (
        activity.answered,
        activity.waiting,
        max(0.0, as_of.timestamp() - oldest) if oldest is not None and activity.waiting else None,
    )


class PollTally(BaseModel):
    """Participation in the polls that closed in a week."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    ballots: int = 0
    eligible: int = 0


class WeekHealth(BaseModel):
    """A community's health for one week, as the leader digest shows it (docs/digests.md defines each figure).

    The population is the same everywhere: everyone who is a member, leaders included, one person
    per email address (the leader named at creation and the same address joined from the platform are
    one person), exactly as polls count who is eligible.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    week: str
    posts: int = 0
    decided: int = 0  # posts answered, or whose answering time is over
    answered_in_time: int = 0
    answered: int = 0  # posts with a first reply by someone other than their author
    median_first_reply_seconds: float | None = None
    waiting: int = 0  # posts of the week with no reply yet, when the report was computed
    oldest_waiting_seconds: float | None = None
    active: int = 0
    members: int = 0
    newcomers: int = 0
    newcomers_posted: int = 0
    poll_ballots: int = 0
    poll_eligible: int = 0
    unsubscribes: int = 0
    bounces: int = 0
    suppressed: int = 0

    @property
    def answered_share(self) -> float | None:
        return self.answered_in_time / self.decided if self.decided else None

    @property
    def active_share(self) -> float | None:
        return self.active / self.members if self.members else None

    @property
    def poll_participation(self) -> float | None:
        return self.poll_ballots / self.poll_eligible if self.poll_eligible else None

    @property
    def lost_reach(self) -> int:
        return self.unsubscribes + self.bounces + self.suppressed

    @property
    def has_data(self) -> bool:
        """Whether anything happened this week (a week before the community came to Cerchia: nothing)."""
        return bool(self.posts or self.active or self.newcomers or self.poll_eligible or self.lost_reach)


def people(members: Iterable[Member]) -> list[Member]:
    """The report's population: one person per email address, the platform's row over the founder row."""
    chosen: dict[str, Member] = {}
    for member in members:
        address = member.email.casefold() if member.email else f"#{member.member_id}"
        current = chosen.get(address)
        if current is None or (current.member_id == FOUNDER_ID and member.member_id != FOUNDER_ID):
            chosen[address] = member
    return list(chosen.values())


def week_health(
    week_key: str,
    activity: WeekActivity,
    members: Sequence[Member],
    community: Community,
    as_of: datetime,
    polls: PollTally | None = None,
    gone: frozenset[str] = frozenset(),
) -> WeekHealth:
    """Health of one week from its aggregates and the member rows. `gone`: posts deleted since (not waiting)."""
    start, end = week_bounds(week_key, community.timezone)
    threshold = community.unanswered_after_hours * 3600
    decided, answered_in_time, median = _answer_figures(activity, as_of, threshold, gone)
    answered, waiting, oldest = _waiting_figures(activity, as_of, gone)
    everyone = people(members)
    at_end = {member.member_id for member in everyone if member_at(member, end)}
    # who joined during the week, whether they stayed or not (one who left without a word is a signal too)
    newcomers = {
        member.member_id
        for member in everyone
        if member.status != "provisional"
        and member.member_id != FOUNDER_ID  # created with the community: not someone who joined
        and (started := membership_start(member)) is not None
        and start <= started < end
    }
    return WeekHealth(
        week=week_key,
        posts=activity.posts,
        decided=decided,
        answered_in_time=answered_in_time,
        answered=answered,
        median_first_reply_seconds=median,
        waiting=waiting,
        oldest_waiting_seconds=oldest,
        active=len(activity.active_members & at_end),
        members=len(at_end),
        newcomers=len(newcomers),
        newcomers_posted=len(newcomers & activity.posters),
        poll_ballots=polls.ballots if polls else 0,
        poll_eligible=polls.eligible if polls else 0,
        unsubscribes=len(activity.unsubscribed),
        bounces=len(activity.bounced),
        suppressed=len(activity.suppressed),
    )


def change(current: float | None, previous: float | None) -> float | None:
    """The change from last week, when both weeks have a value."""
    if current is None or previous is None:
        return None
    return current - previous


def bar_heights(values: Sequence[float | None], tallest: int = 40, scale: float | None = None) -> list[int | None]:
    """Pixel heights of a trend's bars: on a fixed scale (shares: 1.0) or against the largest value."""
    top = scale if scale is not None else max((value for value in values if value is not None), default=0.0)
    heights: list[int | None] = []
    for value in values:
        if value is None:
            heights.append(None)
        elif top <= 0:
            heights.append(2)
        else:
            heights.append(max(2, round(tallest * min(1.0, value / top))))
    return heights


# ------------------------------------------------------------------------------ polls


def poll_card(poll: Mapping[str, Any]) -> PollCard | None:
    """Read a poll as the polls feature describes it (see docs/digests.md); None if it is not one."""
    question = str(poll.get("question") or "").strip()
    raw_options = poll.get("options") or []
    if not question or not isinstance(raw_options, list):
        return None
    options: list[PollOption] = []
    for raw in raw_options:
        if isinstance(raw, Mapping):
            label = str(raw.get("label") or "").strip()
            votes = _whole(raw.get("votes"))
            url = str(raw.get("url") or raw.get("vote_url") or "")
        else:
            label, votes, url = str(raw).strip(), 0, ""
        if label:
            options.append(PollOption(label=label, votes=votes, url=url))
    if not options:
        return None
    ballots = _whole(poll.get("ballots"))
    total = ballots or sum(option.votes for option in options)
    options = [option.model_copy(update={"share": option.votes / total if total else 0.0}) for option in options]
    return PollCard(
        poll_id=str(poll.get("poll_id") or ""),
        question=question,
        kind=str(poll.get("kind") or "single"),
        options=options,
        ballots=ballots,
        eligible=_whole(poll.get("eligible")),
        url=str(poll.get("url") or poll.get("ballot_url") or ""),
        voted=bool(poll.get("voted")),
        closed_at=_instant(poll.get("closed_at")),
    )


def poll_tally(closed: Iterable[PollCard]) -> PollTally:
    cards = list(closed)
    return PollTally(ballots=sum(card.ballots for card in cards), eligible=sum(card.eligible for card in cards))


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _whole(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


# ------------------------------------------------------------------------------ the week's content


class NewMember(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    member_id: str
    name: str


class Numbers(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    posts: int = 0
    replies: int = 0
    reactions: int = 0
    joins: int = 0
    active: int = 0


class Snapshot(BaseModel):
    """Everything a week's digests show, computed once per community week and stored."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    community_id: str
    week: str
    start: datetime
    end: datetime
    activity: bool
    numbers: Numbers = Numbers()
    top_posts: list[PostCard] = []
    unanswered: list[PostCard] = []
    new_members: list[NewMember] = []
    new_member_count: int = 0
    closed_polls: list[PollCard] = []
    open_polls: int = 0
    health: list[WeekHealth] = []  # TREND_WEEKS weeks, oldest first, this week last
    send_at: list[datetime] = []  # one send per distinct local digest instant of the recipients
    built_at: datetime | None = None


def new_members(members: Iterable[Member], start: datetime, end: datetime) -> list[NewMember]:
    """Members who joined during the week and are still here, earliest first."""
    joined = [
        (started, member)
        for member in members
        if member.status == "active"
        and member.member_id != FOUNDER_ID
        and (started := membership_start(member)) is not None
        and start <= started < end
        and member.imported_membership != started  # brought in by an import: not news to the community
    ]
    joined.sort(key=lambda pair: pair[0])
    return [NewMember(member_id=member.member_id, name=member.name or member.member_id) for _, member in joined]


@dataclass(frozen=True)
class MemberDigest:
    """One member's copy of the week: the shared content minus their own, plus their own week."""

    top_posts: list[PostCard]
    new_members: list[NewMember]
    more_new_members: int
    unanswered: list[PostCard]
    replies_received: int
    reactions_received: int
    closed_polls: list[PollCard]
    open_polls: list[PollCard]
    numbers: Numbers
    # the latest of their posts that drew replies or reactions (the "your week" line links to it)
    own_post_url: str = ""
    # a digest every two weeks covers both: the numbers then add up two weeks (active members do not)
    weeks: int = 1

    @property
    def has_something(self) -> bool:
        """The week's numbers alone are not worth an email."""
        return bool(
            self.top_posts
            or self.new_members
            or self.unanswered
            or self.replies_received
            or self.reactions_received
            or self.closed_polls
            or self.open_polls
        )


def member_digest(
    snapshot: Snapshot,
    member_id: str,
    member_week: Mapping[str, Any] | None = None,
    still_unanswered: Iterable[str] | None = None,
    closed_polls: Sequence[PollCard] | None = None,
    open_polls: Sequence[PollCard] = (),
) -> MemberDigest:
    own = member_id
    waiting = set(still_unanswered) if still_unanswered is not None else None
    others_new = [person for person in snapshot.new_members if person.member_id != own]
    hidden_new = snapshot.new_member_count - len(snapshot.new_members)
    shown_new = others_new[:NEW_MEMBERS_SHOWN]
    week = member_week or {}
    return MemberDigest(
        top_posts=[post for post in snapshot.top_posts if post.author_id != own][:TOP_POSTS_SHOWN],
        new_members=shown_new,
        more_new_members=len(others_new) - len(shown_new) + max(0, hidden_new),
        unanswered=[
            post
            for post in snapshot.unanswered
            if post.author_id != own and (waiting is None or post.post_id in waiting)
        ][:UNANSWERED_SHOWN],
        replies_received=_whole(week.get("replies_received")),
        reactions_received=_whole(week.get("reactions_received")),
        closed_polls=list(snapshot.closed_polls if closed_polls is None else closed_polls),
        open_polls=list(open_polls),
        numbers=snapshot.numbers,
        own_post_url=str(week.get("last_post_url") or ""),
    )


def two_weeks(later: MemberDigest, earlier: MemberDigest) -> MemberDigest:
    """A digest every two weeks: the later week's digest with the earlier week's content folded in.

    Posts of both weeks compete for the top (by engagement), newcomers and closed polls of both are
    listed, what the member's posts received adds up; questions still waiting and open polls are the
    later week's (they are checked as of now). Counted numbers add up, except active members (a
    member active in both weeks would count twice), which the two-week digest does not show.
    """
    seen = {post.post_id for post in later.top_posts}
    pool = [*later.top_posts, *(post for post in earlier.top_posts if post.post_id not in seen)]
    pool.sort(key=lambda post: post.replies * 2 + post.repliers * 3 + post.reactions, reverse=True)
    known = {person.member_id for person in later.new_members}
    newcomers = [*later.new_members, *(person for person in earlier.new_members if person.member_id not in known)]
    polls = {poll.poll_id: poll for poll in [*earlier.closed_polls, *later.closed_polls]}
    return MemberDigest(
        top_posts=pool[:TOP_POSTS_SHOWN],
        new_members=newcomers[:NEW_MEMBERS_SHOWN],
        more_new_members=later.more_new_members + earlier.more_new_members + max(0, len(newcomers) - NEW_MEMBERS_SHOWN),
        unanswered=later.unanswered,
        replies_received=later.replies_received + earlier.replies_received,
        reactions_received=later.reactions_received + earlier.reactions_received,
        closed_polls=list(polls.values()),
        open_polls=later.open_polls,
        numbers=Numbers(
            posts=later.numbers.posts + earlier.numbers.posts,
            replies=later.numbers.replies + earlier.numbers.replies,
            reactions=later.numbers.reactions + earlier.numbers.reactions,
            joins=later.numbers.joins + earlier.numbers.joins,
            active=0,
        ),
        own_post_url=later.own_post_url or earlier.own_post_url,
        weeks=2,
    )

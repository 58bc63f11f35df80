"""Weekly value digests for members, and a health report for leaders.

How a week's digests go out (everything through cerchia.jobs: the due index and the delivery queue):

1. One `digest-week` job per community waits in the due index for the next round: the moment the
   week is over and the earliest reader's digest hour approaches (domain.digests.round_opens). It
   is scheduled when the community is created and moved to the next round after each run.
2. `run_round` computes the week's content once (a stored snapshot built from the write-time
   aggregates of the week items: reads follow members and top posts, never every post of the week),
   then schedules one `digest-send` job per distinct local instant of its readers (09:00 in Rome,
   09:00 in New York...). A week with no activity stores an empty snapshot and sends nothing.
3. `run_send`, at each instant, puts that group's members on the delivery queue in chunks of 50
   (kind `digest`) and its leaders (kind `leader-digest`).
4. The delivery worker calls `deliver_member_digest` / `deliver_leader_digest` for each member of a
   chunk: each email is claimed in the ledger for (kind, community, member, community week), so a
   retried job or a redelivered chunk never sends a second copy; sends are paced to
   settings.max_send_rate per worker, and SES throttling is retried with backoff by the mailer.

Leaders get the leader digest (health, with the week's top posts) instead of the member digest:
one email each per week.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cerchia.domain import digests as d
from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.store import keys

if TYPE_CHECKING:
    from cerchia.i18n import Translate
    from cerchia.jobs import Delivery
    from cerchia.mail.mime import Outgoing
    from cerchia.store.table import Job, Store

ROUND_JOB = "digest-week"
SEND_JOB = "digest-send"
MEMBER_KIND = "digest"
LEADER_KIND = "leader-digest"
Outcome = str  # "sent", "already-sent", "suppressed", "unsubscribed", "skipped", "nothing-to-show"
# A send that could not run within a day of its hour (a long outage) is dropped: last week's news on a
# Wednesday is noise, and next week's digest is already on its way.
STALE_AFTER = timedelta(hours=24)


# ------------------------------------------------------------------------------ schedule


def schedule_first_digest(community: Community) -> None:
    """Put the community's first round in the due index (called once, when the community is created)."""
    from cerchia import clock
    from cerchia.store import get_store

    week = d.first_round_week(community, community.created_at or clock.now())
    get_store().schedule_job(ROUND_JOB, community.community_id, community.community_id, d.round_opens(week, community))


def reschedule_round(before: Community, after: Community) -> None:
    """Move the pending round after the digest day, hour or time zone changed (same week, new instant)."""
    from cerchia.store import get_store

    store = get_store()
    job = store.get_job(ROUND_JOB, after.community_id)
    if job is None:
        schedule_first_digest(after)
        return
    week = d.round_week(job.due, before.timezone)
    store.schedule_job(ROUND_JOB, after.community_id, after.community_id, d.round_opens(week, after))


def run_round(job: Job, now: datetime) -> datetime | None:
    """Compute the week's snapshot once and schedule its sends; return when the next round opens."""
    from cerchia.store import digests as digest_store
    from cerchia.store import get_store

    store = get_store()
    community = store.get_community(job.community_id)
    if community is None:
        return None
    week = d.round_week(job.due, community.timezone)
    opens = d.round_opens(week, community)
    if now < opens:  # the digest day or hour changed since this round was scheduled
        return opens
    snapshot = digest_store.get_snapshot(store, community.community_id, week)
    if snapshot is None:
        snapshot = digest_store.save_snapshot(store, build_snapshot(store, community, week, now))
    if snapshot.activity:
        for instant in snapshot.send_at:
            store.schedule_job(
                SEND_JOB,
                keys.digest_send_ref(community.community_id, week, instant),
                community.community_id,
                instant,
                {"week": week, "send_at": keys.iso(instant)},
            )
    _, next_opens = d.next_round(week, community, now)
    return next_opens


def run_send(job: Job, now: datetime) -> datetime | None:
    """Queue this instant's readers: members (kind `digest`) and leaders (kind `leader-digest`)."""
    from cerchia import jobs
    from cerchia.store import digests as digest_store
    from cerchia.store import get_store

    store = get_store()
    week = str(job.payload["week"])
    send_at = datetime.fromisoformat(str(job.payload["send_at"]).replace("Z", "+00:00"))
    community = store.get_community(job.community_id)
    snapshot = digest_store.get_snapshot(store, job.community_id, week) if community else None
    if community is None or snapshot is None or not snapshot.activity or not snapshot.send_at:
        return None
    if now - send_at > STALE_AFTER:
        from cerchia.observability import logger

        logger().warning(
            "digest send dropped: more than a day late", extra={"week": week, "send_at": keys.iso(send_at)}
        )
        return None
    readers, leaders = _recipients(store, community, list(store.members(community.community_id)), week, snapshot.end)

    def in_this_group(member: Member) -> bool:
        return d.send_group(d.send_instant(week, community, member.timezone), snapshot.send_at) == send_at

    payload = {"week": week, "waiting": _still_unanswered(store, snapshot)}
    jobs.enqueue(
        MEMBER_KIND, community.community_id, week, week, [m.member_id for m in readers if in_this_group(m)], payload
    )
    jobs.enqueue(
        LEADER_KIND, community.community_id, week, week, [m.member_id for m in leaders if in_this_group(m)], payload
    )
    return None


def _recipients(
    store: Store, community: Community, members: list[Member], week: str, week_end: datetime
) -> tuple[list[Member], list[Member]]:
    """(members who get the member digest, leaders who get the leader digest) this week."""
    leaders = [
        leader
        for leader in store.leaders(community)
        if d.receives_digest(leader, week) and d.was_member_before(leader, week_end)
    ]
    not_readers = {keys.FOUNDER} | {m.member_id for m in members if m.role == "leader"} | {m.member_id for m in leaders}
    readers = [
        member
        for member in members
        if member.member_id not in not_readers
        and d.receives_digest(member, week)
        and d.was_member_before(member, week_end)
    ]
    return readers, leaders


def _still_unanswered(store: Store, snapshot: d.Snapshot) -> list[str]:
    """The snapshot's waiting questions that are still unanswered now (one small batch read)."""
    from cerchia.store import digests as digest_store

    if not snapshot.unanswered:
        return []
    found = digest_store.posts(store, snapshot.community_id, [post.post_id for post in snapshot.unanswered])
    return [
        post_id
        for post_id, post in found.items()
        if post.first_reply_at is None and not post.deleted and not post.placeholder
    ]


# ------------------------------------------------------------------------------ the week's content


def build_snapshot(store: Store, community: Community, week: str, now: datetime) -> d.Snapshot:
    """Everything the week's digests show, from the week items, the member rows and the top posts."""
    from cerchia.store import digests as digest_store

    cid = community.community_id
    start, end = d.week_bounds(week, community.timezone)
    weeks = [d.shift_week(week, -back) for back in range(d.TREND_WEEKS - 1, -1, -1)]
    activities = digest_store.week_activities(
        store, cid, weeks, timezone=community.timezone, as_of=now, threshold_hours=community.unanswered_after_hours
    )
    current = activities[week]
    # one call for the polls of all the trend's weeks; each closed poll counts in the week it closed
    polls = _polls(store, community, d.week_bounds(weeks[0], community.timezone)[0], end, None, now)
    closed_by_week: dict[str, list[d.PollCard]] = {}
    for poll in polls.closed if polls else []:
        if poll.closed_at is not None:
            closed_by_week.setdefault(rules.week_of(poll.closed_at, community.timezone), []).append(poll)
    closed = closed_by_week.get(week, [])
    if not current.any and not closed:
        return d.Snapshot(community_id=cid, week=week, start=start, end=end, activity=False, built_at=now)

    members = list(store.members(cid))
    names = {member.member_id: member.name for member in members}
    top_ids = digest_store.top_post_candidates(store, cid, week)
    waiting_ids = digest_store.waiting_post_candidates(store, cid, start, end, d.UNANSWERED_KEPT * 2)
    found = digest_store.posts(store, cid, top_ids + waiting_ids)
    cards = {
        post_id: d.PostCard(
            post_id=post_id,
            title=post.title,
            url=post.url,
            excerpt=post.excerpt,
            author_id=post.author_id,
            author_name=names.get(post.author_id) or "",
            created_at=post.created_at,
            replies=post.reply_count,
            repliers=len(post.repliers),
            reactions=post.reactions,
        )
        for post_id, post in found.items()
        if post.created_at and post.title and not post.deleted and not post.placeholder
    }
    top = d.rank([cards[post_id] for post_id in top_ids if post_id in cards], start, end)
    unanswered = [
        cards[post_id] for post_id in waiting_ids if post_id in cards and found[post_id].first_reply_at is None
    ][: d.UNANSWERED_KEPT]
    newcomers = d.new_members(members, start, end)
    health = [
        d.week_health(past, activities[past], members, community, now, d.poll_tally(closed_by_week.get(past, [])))
        for past in weeks
    ]
    readers, leaders = _recipients(store, community, members, week, end)
    send_at = sorted({d.send_instant(week, community, person.timezone) for person in [*readers, *leaders]})
    return d.Snapshot(
        community_id=cid,
        week=week,
        start=start,
        end=end,
        activity=True,
        numbers=d.Numbers(
            posts=current.posts,
            replies=current.replies,
            reactions=current.reactions,
            joins=current.joins,
            active=health[-1].active,
        ),
        top_posts=top,
        unanswered=unanswered,
        new_members=newcomers[: d.NEW_MEMBERS_KEPT],
        new_member_count=len(newcomers),
        closed_polls=closed,
        open_polls=len(polls.open) if polls else 0,
        health=health,
        send_at=send_at,
        built_at=now,
    )


@dataclass(frozen=True)
class _Polls:
    closed: list[d.PollCard]
    open: list[d.PollCard]


def _polls(
    store: Store, community: Community, start: datetime, end: datetime, member_id: str | None, now: datetime
) -> _Polls | None:
    """Polls closed in [start, end) and open now, from the polls feature; None when it is not there.

    A failure there is logged and the digest goes out without its poll section: polls are one part
    of the week, not a reason to hold back everything else.
    """
    try:
        from cerchia.polls import polls_for_digest
    except ImportError:
        return None
    try:
        found = polls_for_digest(store, community, start, end, member_id, now)
    except Exception:
        from cerchia.observability import logger

        logger().exception("polls for the digest failed; sending without them", extra={"member_id": member_id})
        return None
    closed = [card for card in map(d.poll_card, found.get("closed") or []) if card]
    still_open = [card for card in map(d.poll_card, found.get("open") or []) if card]
    return _Polls(closed=closed, open=still_open)


# ------------------------------------------------------------------------------ delivery


class SendPacer:
    """A token bucket: at most `rate` emails per second from this worker (0: no limit of our own).

    Time and sleep are injected so tests move a fake clock instead of sleeping.
    """

    def __init__(
        self,
        rate: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        burst: float = 1.0,
    ) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.monotonic = monotonic
        self.sleep = sleep
        self._tokens = self.burst
        self._last = monotonic()

    def wait(self) -> None:
        """Return when one more email may go out, sleeping as long as the rate requires."""
        if self.rate <= 0:
            return
        now = self.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1.0:
            self.sleep((1.0 - self._tokens) / self.rate)
            self._last = self.monotonic()
            self._tokens = 1.0
        self._tokens -= 1.0


_pacer: SendPacer | None = None


def pacer() -> SendPacer:
    """This worker's pacer, built on first use from settings.max_send_rate."""
    global _pacer
    if _pacer is None:
        from cerchia.settings import get_settings

        _pacer = SendPacer(get_settings().max_send_rate)
    return _pacer


def use_pacer(replacement: SendPacer | None) -> None:
    """Install a pacer (tests: a fake clock and sleep); None rebuilds it from the settings on next use."""
    global _pacer
    _pacer = replacement


@dataclass
class _Chunk:
    """What every member of one queued chunk needs, read once for the chunk (batch reads)."""

    delivery: Delivery
    community: Community | None
    snapshot: d.Snapshot | None
    members: dict[str, Member] = field(default_factory=dict)
    member_weeks: dict[str, dict[str, Any]] = field(default_factory=dict)


_chunk: _Chunk | None = None
_snapshots: dict[tuple[str, str, str], d.Snapshot] = {}


def _chunk_for(delivery: Delivery) -> _Chunk:
    global _chunk
    if _chunk is not None and _chunk.delivery is delivery:
        return _chunk
    from cerchia.store import digests as digest_store
    from cerchia.store import get_store

    store = get_store()
    week = delivery.period
    community = store.get_community(delivery.community_id)
    snapshot = _snapshot(store, delivery.community_id, week)
    members = digest_store.members(store, delivery.community_id, delivery.member_ids) if snapshot else {}
    member_weeks = (
        digest_store.member_weeks(store, delivery.community_id, week, delivery.member_ids)
        if snapshot and delivery.kind == MEMBER_KIND
        else {}
    )
    _chunk = _Chunk(delivery, community, snapshot, members, member_weeks)
    return _chunk


def _snapshot(store: Store, community_id: str, week: str) -> d.Snapshot | None:
    """A week's snapshot never changes once stored, so a worker keeps the ones it has read."""
    from cerchia.store import digests as digest_store

    key = (store.table_name, community_id, week)
    if key not in _snapshots:
        found = digest_store.get_snapshot(store, community_id, week)
        if found is None:
            return None
        if len(_snapshots) >= 32:
            _snapshots.clear()
        _snapshots[key] = found
    return _snapshots[key]


def deliver_member_digest(delivery: Delivery, member_id: str, now: datetime) -> Outcome:
    """Send one member their copy of the week, at most once per community week."""
    from cerchia.mail.sending import deliver_once
    from cerchia.store import get_store

    chunk = _chunk_for(delivery)
    member = chunk.members.get(member_id)
    community, snapshot = chunk.community, chunk.snapshot
    week = delivery.period
    if community is None or snapshot is None or not snapshot.activity or member is None:
        return "skipped"
    if (
        member.role == "leader"
        or member.member_id == keys.FOUNDER
        or not d.receives_digest(member, week)
        or not d.was_member_before(member, snapshot.end)
    ):
        return "skipped"
    closed: list[d.PollCard] = list(snapshot.closed_polls)
    still_open: list[d.PollCard] = []
    if snapshot.open_polls:
        personal = _polls(get_store(), community, snapshot.start, snapshot.end, member_id, now)
        if personal:
            closed = personal.closed
            still_open = [poll for poll in personal.open if poll.url or any(option.url for option in poll.options)]
    digest = d.member_digest(
        snapshot, member_id, chunk.member_weeks.get(member_id), delivery.payload.get("waiting"), closed, still_open
    )
    if not digest.has_something:
        return "nothing-to-show"
    return deliver_once(
        get_store(),
        kind=MEMBER_KIND,
        community_id=community.community_id,
        recipient_id=member_id,
        period=week,
        compose=_paced(lambda: compose_member_digest(community, member, snapshot, digest, now)),
        now=now,
        sleep=pacer().sleep,
        to_address=member.email,
    )


def deliver_leader_digest(delivery: Delivery, member_id: str, now: datetime) -> Outcome:
    """Send one leader the week's health report, at most once per community week."""
    from cerchia.mail.sending import deliver_once
    from cerchia.store import get_store

    chunk = _chunk_for(delivery)
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
        compose=_paced(lambda: compose_leader_digest(community, leader, snapshot, now, waiting)),
        now=now,
        sleep=pacer().sleep,
        to_address=leader.email,
    )


def _paced(compose: Callable[[], Outgoing]) -> Callable[[], Outgoing]:
    """Wait for the send rate only when an email is really about to go out (not for ledger skips)."""

    def paced() -> Outgoing:
        pacer().wait()
        return compose()

    return paced


# ------------------------------------------------------------------------------ composing


class Words:
    """How the digest says numbers, days and durations in one language (used by the templates)."""

    def __init__(self, t: Translate, timezone: str) -> None:
        self.t = t
        self.zone = ZoneInfo(timezone)

    def count(self, key: str, count: int) -> str:
        return self.t(f"{key}.{'one' if count == 1 else 'other'}", count=count)

    def day(self, instant: datetime) -> str:
        local = instant.astimezone(self.zone)
        return self.t(
            "digests.day",
            weekday=self.t(f"digests.weekday.{local.isoweekday()}"),
            day=local.day,
            month=self.t(f"digests.month.{local.month}"),
        )

    def short_day(self, instant: datetime) -> str:
        local = instant.astimezone(self.zone)
        return self.t("digests.short_day", day=local.day, month=self.t(f"digests.month_short.{local.month}"))

    def week_range(self, start: datetime, end: datetime) -> str:
        first = start.astimezone(self.zone).date()
        last = (end.astimezone(self.zone) - timedelta(hours=12)).date()
        if first.month == last.month:
            return self.t(
                "digests.range_same_month", first=first.day, last=last.day, month=self.t(f"digests.month.{last.month}")
            )
        return self.t(
            "digests.range",
            first=first.day,
            first_month=self.t(f"digests.month.{first.month}"),
            last=last.day,
            last_month=self.t(f"digests.month.{last.month}"),
        )

    def duration(self, seconds: float | None) -> str:
        if seconds is None:
            return self.t("digests.none")
        minutes = max(0, round(seconds / 60))
        if minutes < 60:
            return self.t("digests.duration.minutes", minutes=minutes)
        hours, minutes = divmod(minutes, 60)
        if hours < 24:
            return (
                self.t("digests.duration.hours", hours=hours, minutes=minutes)
                if minutes
                else (self.t("digests.duration.whole_hours", hours=hours))
            )
        days, hours = divmod(hours, 24)
        return self.count("digests.duration.days", days) + (
            " " + self.t("digests.duration.whole_hours", hours=hours) if hours else ""
        )

    def percent(self, share: float | None) -> str:
        return self.t("digests.none") if share is None else self.t("digests.percent", percent=round(share * 100))

    def post_meta(self, post: d.PostCard) -> str:
        parts = [self.t("digests.by", author=post.author_name)] if post.author_name else []
        parts.append(self.count("digests.replies", post.replies))
        if post.reactions:
            parts.append(self.count("digests.reactions", post.reactions))
        return " · ".join(parts)


def compose_member_digest(
    community: Community, member: Member, snapshot: d.Snapshot, digest: d.MemberDigest, now: datetime
) -> Outgoing:
    from cerchia.i18n import translator
    from cerchia.mail.compose import Recipient, compose

    locale = rules.resolve_locale(member.locale, community.locale)
    words = Words(translator(locale), community.timezone)
    week_range = words.week_range(snapshot.start, snapshot.end)
    top = digest.top_posts[0].title if digest.top_posts else ""
    return compose(
        MEMBER_KIND,
        "digest",
        community,
        Recipient(email=member.email, name=member.name, locale=member.locale, member_id=member.member_id),
        now,
        "digests.subject_top" if top else "digests.subject",
        {"title": top, "week_range": week_range},
        preheader=words.t("digests.preheader", community=community.name, week_range=week_range),
        digest=digest,
        week_range=week_range,
        words=words,
        biweekly=member.digest == "biweekly",
    )


@dataclass(frozen=True)
class TrendBar:
    height: int | None
    label: str
    text: str
    current: bool


@dataclass(frozen=True)
class Metric:
    """One line of the health report: the value, the change from last week, eight weeks of bars."""

    name: str
    value: str
    change: str
    tone: str  # "good", "bad", "flat" or "none"
    bars: list[TrendBar]
    trend_text: str


def health_metrics(community: Community, snapshot: d.Snapshot, words: Words) -> list[Metric]:
    t = words.t
    weeks = snapshot.health
    if not weeks:
        return []
    current = weeks[-1]

    def metric(
        name: str,
        value: str,
        values: list[float | None],
        texts: list[str],
        change_text: Callable[[float], str],
        higher_is_better: bool = True,
        scale: float | None = None,
    ) -> Metric:
        delta = d.change(values[-1], values[-2]) if len(values) > 1 else None
        if delta is None:
            change, tone = t("digests.leader.no_comparison"), "none"
        elif abs(delta) < 1e-9:
            change, tone = t("digests.leader.unchanged"), "flat"
        else:
            change = t("digests.leader.change", change=change_text(delta))
            tone = "good" if (delta > 0) == higher_is_better else "bad"
        heights = d.bar_heights(values, scale=scale)
        bars = [
            TrendBar(
                height,
                words.short_day(d.week_bounds(health.week, community.timezone)[0]),
                text,
                index == len(values) - 1,
            )
            for index, (height, health, text) in enumerate(zip(heights, weeks, texts, strict=True))
        ]
        return Metric(name, value, change, tone, bars, " · ".join(texts))

    def points(delta: float) -> str:
        return t("digests.leader.points", points=f"{round(delta * 100):+d}")

    def count(delta: float) -> str:
        return f"{round(delta):+d}"

    def duration(delta: float) -> str:
        sign = "+" if delta > 0 else "−"
        return sign + words.duration(abs(delta))

    answered = [week.answered_share for week in weeks]
    median = [week.median_first_reply_seconds for week in weeks]
    active = [week.active_share for week in weeks]
    newcomers = [float(week.newcomers_posted) if week.newcomers or week.newcomers_posted else None for week in weeks]
    polls = [week.poll_participation for week in weeks]
    metrics = [
        metric(
            t("digests.leader.answered", hours=community.unanswered_after_hours),
            t(
                "digests.leader.answered_value",
                percent=words.percent(current.answered_share),
                answered=current.answered_in_time,
                decided=current.decided,
            )
            if current.decided
            else t("digests.leader.answered_none"),
            answered,
            [words.percent(value) for value in answered],
            points,
            scale=1.0,
        ),
        metric(
            t("digests.leader.median"),
            words.duration(current.median_first_reply_seconds),
            median,
            [words.duration(value) for value in median],
            duration,
            higher_is_better=False,
        ),
        metric(
            t("digests.leader.active"),
            t(
                "digests.leader.active_value",
                active=current.active,
                members=current.members,
                percent=words.percent(current.active_share),
            ),
            active,
            [words.percent(value) for value in active],
            points,
            scale=1.0,
        ),
        metric(
            t("digests.leader.newcomers"),
            t("digests.leader.newcomers_value", posted=current.newcomers_posted, newcomers=current.newcomers)
            if current.newcomers
            else t("digests.leader.newcomers_none"),
            newcomers,
            [t("digests.none") if value is None else str(round(value)) for value in newcomers],
            count,
        ),
        metric(
            t("digests.leader.polls"),
            t(
                "digests.leader.polls_value",
                percent=words.percent(current.poll_participation),
                ballots=current.poll_ballots,
                eligible=current.poll_eligible,
            )
            if current.poll_eligible
            else t("digests.leader.polls_none"),
            polls,
            [words.percent(value) for value in polls],
            points,
            scale=1.0,
        ),
    ]
    return metrics


def compose_leader_digest(
    community: Community, leader: Member, snapshot: d.Snapshot, now: datetime, waiting: list[str] | None = None
) -> Outgoing:
    from cerchia.i18n import translator
    from cerchia.mail.compose import Recipient, compose

    locale = rules.resolve_locale(leader.locale, community.locale)
    words = Words(translator(locale), community.timezone)
    week_range = words.week_range(snapshot.start, snapshot.end)
    still = set(waiting) if waiting is not None else None
    unanswered = [post for post in snapshot.unanswered if still is None or post.post_id in still]
    return compose(
        LEADER_KIND,
        "leader-digest",
        community,
        Recipient(
            email=leader.email, name=leader.name, locale=leader.locale, member_id=leader.member_id, is_leader=True
        ),
        now,
        "digests.leader.subject",
        {"week_range": week_range},
        preheader=words.t("digests.leader.preheader", community=community.name),
        snapshot=snapshot,
        metrics=health_metrics(community, snapshot, words),
        unanswered=unanswered,
        top_posts=snapshot.top_posts[: d.TOP_POSTS_SHOWN],
        new_members=snapshot.new_members[: d.NEW_MEMBERS_SHOWN],
        more_new_members=max(0, snapshot.new_member_count - d.NEW_MEMBERS_SHOWN),
        week_range=week_range,
        words=words,
        as_of=now,
    )

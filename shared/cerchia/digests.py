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

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cerchia.domain import digests as d
from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.mail.sending import SendPacer  # re-exported: digests were paced first
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


# ------------------------------------------------------------------------------ lost reach


def note_lost_reach(store: Store, community: Community, at: datetime, attribute: str, value: str) -> None:
    """Count an unsubscribe, a bounce or a suppression in the leader report of the week it happened in.

    Called where they are recorded (the unsubscribe and preference pages, SES feedback). Counting must
    never undo them: a failure here is logged and forgotten.
    """
    from cerchia.store import digests as digest_store

    try:
        digest_store.note_in_week(store, community, at, attribute, value)
    except Exception:
        from cerchia.observability import logger

        logger().exception("could not count lost reach for the leader report", extra={"attribute": attribute})


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
    gone = frozenset(post_id for post_id, post in found.items() if post.deleted)
    health = [
        d.week_health(
            past,
            activities[past],
            members,
            community,
            now,
            d.poll_tally(closed_by_week.get(past, [])),
            gone if past == week else frozenset(),
        )
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
        from cerchia.polls.cards import poll_cards
    except ImportError:
        return None
    try:
        found = poll_cards(store, community, start, end, member_id, now)
    except Exception:
        from cerchia.observability import logger

        logger().exception("polls for the digest failed; sending without them", extra={"member_id": member_id})
        return None
    return _Polls(closed=found.closed, open=found.open)


# ------------------------------------------------------------------------------ delivery


_pacer: SendPacer | None = None


def pacer() -> SendPacer:
    """The pacer digests wait on: the one every email of this worker shares (mail.sending), unless a test installed one."""
    from cerchia.mail import sending

    return _pacer if _pacer is not None else sending.pacer()


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
    start = snapshot.start
    if member.digest == "biweekly":
        earlier = _earlier_week(community, member_id, week)
        if earlier is not None:
            digest, start = d.two_weeks(digest, earlier[0]), earlier[1]
    if not digest.has_something:
        return "nothing-to-show"
    return deliver_once(
        get_store(),
        kind=MEMBER_KIND,
        community_id=community.community_id,
        recipient_id=member_id,
        period=week,
        compose=lambda: compose_member_digest(community, member, snapshot, digest, now, start),
        now=now,
        sleep=pacer().sleep,
        pace=pacer().wait,
        to_address=member.email,
    )


def _earlier_week(community: Community, member_id: str, week: str) -> tuple[d.MemberDigest, datetime] | None:
    """The week before `week` for one member (a digest every two weeks covers both): (digest, its start)."""
    from cerchia.store import digests as digest_store
    from cerchia.store import get_store

    store = get_store()
    earlier = d.shift_week(week, -1)
    snapshot = _snapshot(store, community.community_id, earlier)
    if snapshot is None:
        return None
    member_week = digest_store.member_weeks(store, community.community_id, earlier, [member_id]).get(member_id)
    if not snapshot.activity and not member_week:
        return None
    # its waiting questions and open polls are the later week's business: only what happened is kept
    return d.member_digest(snapshot, member_id, member_week, [], snapshot.closed_polls), snapshot.start


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
        compose=lambda: compose_leader_digest(community, leader, snapshot, now, waiting),
        now=now,
        sleep=pacer().sleep,
        pace=pacer().wait,
        to_address=leader.email,
    )


# ------------------------------------------------------------------------------ composing


class Words:
    """How the digest says numbers, days and durations in one language (used by the templates).

    Everything is said by cerchia.formatting (CLDR through Babel); this binds it to a language and zone.
    """

    def __init__(self, t: Translate, timezone: str, locale: str = "en") -> None:
        self.t = t
        self.timezone = timezone
        self.locale = locale

    def count(self, key: str, count: int) -> str:
        from cerchia import formatting

        return formatting.plural(self.locale, key, count)

    def count_with(self, key: str, count: int, **values: Any) -> str:
        return self.t(f"{key}.{'one' if count == 1 else 'other'}", count=count, **values)

    def day(self, instant: datetime) -> str:
        from cerchia import formatting

        return formatting.day(instant, self.timezone, self.locale)

    def short_day(self, instant: datetime) -> str:
        from cerchia import formatting

        return formatting.short_day(instant, self.timezone, self.locale)

    def week_range(self, start: datetime, end: datetime) -> str:
        from cerchia import formatting

        return formatting.week_range(start, end, self.timezone, self.locale)

    def duration(self, seconds: float | None) -> str:
        from cerchia import formatting

        return formatting.duration(seconds, self.locale)

    def percent(self, share: float | None) -> str:
        return self.t("digests.none") if share is None else self.t("digests.percent", percent=round(share * 100))

    def post_meta(self, post: d.PostCard) -> str:
        parts = [self.t("digests.by", author=post.author_name)] if post.author_name else []
        parts.append(self.count("digests.replies", post.replies))
        if post.reactions:
            parts.append(self.count("digests.reactions", post.reactions))
        return " · ".join(parts)


def compose_member_digest(
    community: Community,
    member: Member,
    snapshot: d.Snapshot,
    digest: d.MemberDigest,
    now: datetime,
    start: datetime | None = None,
) -> Outgoing:
    """The member's digest; `start` is earlier than the snapshot's when it covers two weeks."""
    from cerchia.i18n import translator
    from cerchia.mail.compose import Recipient, compose

    locale = rules.resolve_locale(member.locale, community.locale)
    words = Words(translator(locale), community.timezone, locale)
    week_range = words.week_range(start or snapshot.start, snapshot.end)
    top = digest.top_posts[0].title if digest.top_posts else ""
    known_urls = [post.url for post in [*digest.top_posts, *digest.unanswered]]
    return compose(
        MEMBER_KIND,
        "digest",
        community,
        Recipient(
            email=member.email,
            name=member.name,
            locale=member.locale,
            member_id=member.member_id,
            given_name=member.first_name,
        ),
        now,
        "digests.subject_top" if top else "digests.subject",
        {"title": top, "week_range": week_range},
        preheader=words.t("digests.preheader", community=community.name, week_range=week_range),
        footer_why=digest_footer(words.t, "footer.why_kind.digest", community, member),
        digest=digest,
        week_range=week_range,
        words=words,
        biweekly=digest.weeks == 2,
        community_url=rules.community_home(community, known_urls),
    )


def digest_footer(t: Translate, key: str, community: Community, member: Member) -> str:
    """Why they get it, and the cadence they have not chosen (weekly readers are offered two weeks...)."""
    offer = "footer.offer_weekly" if member.digest == "biweekly" else "footer.offer_biweekly"
    return f"{t(key, community=community.name)} {t(offer)}"


@dataclass(frozen=True)
class TrendBar:
    height: int | None
    label: str
    text: str
    current: bool


@dataclass(frozen=True)
class Metric:
    """One line of the health report: the value, the change from last week, eight weeks of bars.

    `note` says more about the value (the posts still waiting beside the median); `bars` is empty in
    a community's first week, when the report says once that trends start next week.
    """

    name: str
    value: str
    change: str
    tone: str  # "good", "bad", "flat" or "none"
    bars: list[TrendBar]
    trend_text: str
    note: str = ""


@dataclass(frozen=True)
class Health:
    """The health section: who is counted, whether this is the first week, and the metrics with data."""

    population: str
    first_week: bool
    metrics: list[Metric]


def health_report(community: Community, snapshot: d.Snapshot, words: Words) -> Health:
    """The metrics of the leader report. A metric with no data this week is left out; in the first week
    there are no trends (one sentence says they start next week); every bar of a metric is drawn on one
    scale (1.0 for shares, the largest of its eight weeks otherwise)."""
    t = words.t
    weeks = snapshot.health
    if not weeks:
        return Health("", True, [])
    current = weeks[-1]
    # a past week in which nothing happened (before the community came to Cerchia) has no bar and no comparison
    weeks = [week if week.has_data else d.WeekHealth(week=week.week) for week in weeks[:-1]] + [current]
    first_week = not any(week.has_data for week in weeks[:-1])

    def metric(
        name: str,
        value: str,
        values: list[float | None],
        texts: list[str],
        change_text: Callable[[float], str],
        higher_is_better: bool = True,
        scale: float | None = None,
        note: str = "",
    ) -> Metric:
        if first_week:
            return Metric(name, value, "", "none", [], "", note)
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
        return Metric(name, value, change, tone, bars, " · ".join(texts), note)

    def points(delta: float) -> str:
        return t("digests.leader.points", points=f"{round(delta * 100):+d}")

    def count(delta: float) -> str:
        return f"{round(delta):+d}"

    def duration(delta: float) -> str:
        sign = "+" if delta > 0 else "−"
        return sign + words.duration(abs(delta))

    answered = [week.answered_share for week in weeks]
    median = [week.median_first_reply_seconds for week in weeks]
    active = [week.active_share if week.members else None for week in weeks]
    newcomers = [float(week.newcomers_posted) if week.newcomers else None for week in weeks]
    polls = [week.poll_participation for week in weeks]
    lost = [float(week.lost_reach) if week.has_data else None for week in weeks]
    metrics: list[Metric] = []
    if current.decided:
        metrics.append(
            metric(
                t("digests.leader.answered", hours=community.unanswered_after_hours),
                t(
                    "digests.leader.answered_value",
                    percent=words.percent(current.answered_share),
                    answered=current.answered_in_time,
                    decided=current.decided,
                ),
                answered,
                [words.percent(value) for value in answered],
                points,
                scale=1.0,
            )
        )
    if current.median_first_reply_seconds is not None or current.waiting:
        waiting = (
            words.count_with(
                "health.still_waiting", current.waiting, oldest=words.duration(current.oldest_waiting_seconds)
            )
            if current.waiting
            else ""
        )
        metrics.append(
            metric(
                t("digests.leader.median"),
                (
                    words.duration(current.median_first_reply_seconds)
                    if current.median_first_reply_seconds is not None
                    else t("health.no_reply_yet")
                ),
                median,
                [words.duration(value) for value in median],
                duration,
                higher_is_better=False,
                note=waiting,
            )
        )
    if current.members:
        metrics.append(
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
            )
        )
    if current.newcomers:
        metrics.append(
            metric(
                t("digests.leader.newcomers"),
                t("digests.leader.newcomers_value", posted=current.newcomers_posted, newcomers=current.newcomers),
                newcomers,
                [t("digests.none") if value is None else str(round(value)) for value in newcomers],
                count,
            )
        )
    if current.poll_eligible:
        metrics.append(
            metric(
                t("digests.leader.polls"),
                t(
                    "digests.leader.polls_value",
                    percent=words.percent(current.poll_participation),
                    ballots=current.poll_ballots,
                    eligible=current.poll_eligible,
                ),
                polls,
                [words.percent(value) for value in polls],
                points,
                scale=1.0,
            )
        )
    metrics.append(
        metric(
            t("health.lost_reach"),
            t(
                "health.lost_reach_value",
                unsubscribes=current.unsubscribes,
                bounces=current.bounces,
                suppressed=current.suppressed,
            ),
            lost,
            [t("digests.none") if value is None else str(round(value)) for value in lost],
            count,
            higher_is_better=False,
        )
    )
    population = words.count_with("health.population", current.members)
    return Health(population, first_week, metrics)


def health_metrics(community: Community, snapshot: d.Snapshot, words: Words) -> list[Metric]:
    return health_report(community, snapshot, words).metrics


def compose_leader_digest(
    community: Community, leader: Member, snapshot: d.Snapshot, now: datetime, waiting: list[str] | None = None
) -> Outgoing:
    from cerchia.i18n import translator
    from cerchia.mail.compose import Recipient, compose

    locale = rules.resolve_locale(leader.locale, community.locale)
    words = Words(translator(locale), community.timezone, locale)
    week_range = words.week_range(snapshot.start, snapshot.end)
    still = set(waiting) if waiting is not None else None
    unanswered = [post for post in snapshot.unanswered if still is None or post.post_id in still]
    return compose(
        LEADER_KIND,
        "leader-digest",
        community,
        Recipient(
            email=leader.email,
            name=leader.name,
            locale=leader.locale,
            member_id=leader.member_id,
            is_leader=True,
            given_name=leader.first_name,
        ),
        now,
        "digests.leader.subject",
        {"week_range": week_range},
        preheader=words.t("digests.leader.preheader", community=community.name),
        footer_why=digest_footer(words.t, "footer.why_kind.leader-digest", community, leader),
        snapshot=snapshot,
        health=health_report(community, snapshot, words),
        unanswered=unanswered,
        top_posts=snapshot.top_posts[: d.TOP_POSTS_SHOWN],
        new_members=snapshot.new_members[: d.NEW_MEMBERS_SHOWN],
        more_new_members=max(0, snapshot.new_member_count - d.NEW_MEMBERS_SHOWN),
        week_range=week_range,
        words=words,
        as_of=now,
    )

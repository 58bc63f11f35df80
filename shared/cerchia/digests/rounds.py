"""A week's digest round: the snapshot computed once (`run_round`), then each group of readers queued
at its local digest hour (`run_send`). Both run as jobs of the due sweep (cerchia.jobs)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cerchia import jobs
from cerchia.clock import parse_instant
from cerchia.digests.poll_section import week_polls
from cerchia.digests.schedule import LEADER_KIND, MEMBER_KIND, SEND_JOB
from cerchia.domain import digest_content as content
from cerchia.domain import digests as d
from cerchia.domain import health, rules
from cerchia.domain.cards import PollCard
from cerchia.domain.models import FOUNDER, Community, Member
from cerchia.observability import logger
from cerchia.store import Store, get_store, keys
from cerchia.store import digests as digest_store
from cerchia.store.table import Job

# A send that could not run within a day of its hour (a long outage) is dropped: last week's news on a
# Wednesday is noise, and next week's digest is already on its way.
STALE_AFTER = timedelta(hours=24)


def run_round(job: Job, now: datetime) -> datetime | None:
    """Compute the week's snapshot once and schedule its sends; return when the next round opens."""
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
    store = get_store()
    week = str(job.payload["week"])
    send_at = parse_instant(job.payload["send_at"])
    community = store.get_community(job.community_id)
    snapshot = digest_store.get_snapshot(store, job.community_id, week) if community else None
    if community is None or snapshot is None or not snapshot.activity or not snapshot.send_at or send_at is None:
        return None
    if now - send_at > STALE_AFTER:
        logger().warning(
            "digest send dropped: more than a day late", extra={"week": week, "send_at": keys.iso(send_at)}
        )
        return None
    readers, leaders = recipients(store, community, list(store.members(community.community_id)), week, snapshot.end)

    def in_this_group(member: Member) -> bool:
        return d.send_group(d.send_instant(week, community, member.timezone), snapshot.send_at) == send_at

    payload = {"week": week, "waiting": still_unanswered(store, snapshot)}
    jobs.enqueue(
        MEMBER_KIND, community.community_id, week, week, [m.member_id for m in readers if in_this_group(m)], payload
    )
    jobs.enqueue(
        LEADER_KIND, community.community_id, week, week, [m.member_id for m in leaders if in_this_group(m)], payload
    )
    return None


def recipients(
    store: Store, community: Community, members: list[Member], week: str, week_end: datetime
) -> tuple[list[Member], list[Member]]:
    """(members who get the member digest, leaders who get the leader digest) this week."""
    leaders = [
        leader
        for leader in store.leaders(community)
        if d.receives_digest(leader, week) and d.was_member_before(leader, week_end)
    ]
    not_readers = {FOUNDER} | {m.member_id for m in members if m.role == "leader"} | {m.member_id for m in leaders}
    readers = [
        member
        for member in members
        if member.member_id not in not_readers
        and d.receives_digest(member, week)
        and d.was_member_before(member, week_end)
    ]
    return readers, leaders


def still_unanswered(store: Store, snapshot: content.Snapshot) -> list[str]:
    """The snapshot's waiting questions that are still unanswered now (one small batch read)."""
    if not snapshot.unanswered:
        return []
    found = digest_store.posts(store, snapshot.community_id, [post.post_id for post in snapshot.unanswered])
    return [
        post_id
        for post_id, post in found.items()
        if post.first_reply_at is None and not post.deleted and not post.placeholder
    ]


def build_snapshot(store: Store, community: Community, week: str, now: datetime) -> content.Snapshot:
    """Everything the week's digests show, from the week items, the member rows and the top posts."""
    cid = community.community_id
    start, end = d.week_bounds(week, community.timezone)
    weeks = [d.shift_week(week, -back) for back in range(d.TREND_WEEKS - 1, -1, -1)]
    activities = digest_store.week_activities(
        store, cid, weeks, timezone=community.timezone, as_of=now, threshold_hours=community.unanswered_after_hours
    )
    current = activities[week]
    # one call for the polls of all the trend's weeks; each closed poll counts in the week it closed
    polls = week_polls(store, community, d.week_bounds(weeks[0], community.timezone)[0], end, None, now)
    closed_by_week: dict[str, list[PollCard]] = {}
    for poll in polls.closed if polls else []:
        if poll.closed_at is not None:
            closed_by_week.setdefault(rules.week_of(poll.closed_at, community.timezone), []).append(poll)
    closed = closed_by_week.get(week, [])
    if not current.any and not closed:
        return content.Snapshot(community_id=cid, week=week, start=start, end=end, activity=False, built_at=now)

    members = list(store.members(cid))
    names = {member.member_id: member.name for member in members}
    top_ids = digest_store.top_post_candidates(store, cid, week)
    waiting_ids = digest_store.waiting_post_candidates(store, cid, start, end, d.UNANSWERED_KEPT * 2)
    found = digest_store.posts(store, cid, top_ids + waiting_ids)
    cards = {
        post_id: card
        for post_id, post in found.items()
        if (card := content.post_card(post, names.get(post.author_id) or "")) is not None
    }
    top = content.rank([cards[post_id] for post_id in top_ids if post_id in cards], start, end)
    unanswered = [
        cards[post_id] for post_id in waiting_ids if post_id in cards and found[post_id].first_reply_at is None
    ][: d.UNANSWERED_KEPT]
    newcomers = content.new_members(members, start, end)
    gone = frozenset(post_id for post_id, post in found.items() if post.deleted)
    trend = [
        health.week_health(
            past,
            activities[past],
            members,
            community,
            now,
            health.poll_tally(closed_by_week.get(past, [])),
            gone if past == week else frozenset(),
        )
        for past in weeks
    ]
    readers, leaders = recipients(store, community, members, week, end)
    send_at = sorted({d.send_instant(week, community, person.timezone) for person in [*readers, *leaders]})
    return content.Snapshot(
        community_id=cid,
        week=week,
        start=start,
        end=end,
        activity=True,
        numbers=content.Numbers(
            posts=current.posts,
            replies=current.replies,
            reactions=current.reactions,
            joins=current.joins,
            active=trend[-1].active,
        ),
        top_posts=top,
        unanswered=unanswered,
        new_members=newcomers[: d.NEW_MEMBERS_KEPT],
        new_member_count=len(newcomers),
        closed_polls=closed,
        open_polls=len(polls.open) if polls else 0,
        health=trend,
        send_at=send_at,
        built_at=now,
    )

"""The poll's job (open, announce, remind, close, report) and the deliveries of its three emails.

The job runs when the due sweep finds it and returns when to come back; each step is done, then
marked, so a job run twice repeats nothing. Steps that email members enqueue chunks; a delivery
sends each member's email through the ledger, so a redelivered chunk sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cerchia import runtime
from cerchia.domain import rules
from cerchia.domain.ballots import asked_it, eligibility, eligible_voters
from cerchia.domain.models import Community
from cerchia.domain.polls import Poll, accepts_votes, next_due, next_step
from cerchia.jobs import Delivery, enqueue
from cerchia.mail.sending import deliver_once
from cerchia.polls.emails import compose_poll_email
from cerchia.store import Store, get_store
from cerchia.store.polls import close_poll, get_poll, has_voted, mark_step, open_poll, voter_ids
from cerchia.store.table import Job

# A job moves a poll at most through open, announce, remind, close and report in one run.
MAX_STEPS = 6


def run_poll_job(job: Job, now: datetime) -> datetime | None:
    """Do every step that is due (open, announce, remind, close, report); return when to come back."""
    store = get_store()
    community = store.get_community(job.community_id)
    poll = get_poll(store, job.community_id, job.ref)
    if community is None or poll is None:
        return None
    for _ in range(MAX_STEPS):
        step = next_step(poll, now)
        if step == "wait":
            return next_due(poll, now)
        if step == "done":
            return None
        STEPS[step](store, community, poll, now)
        reread = get_poll(store, poll.community_id, poll.poll_id)
        if reread is None:
            return None
        poll = reread
    raise RuntimeError(f"Poll {poll.poll_id} did not settle in {MAX_STEPS} steps; it stays due.")


def open_step(store: Store, community: Community, poll: Poll, now: datetime) -> None:
    open_poll(store, poll, len(eligible_voters(store.members(community.community_id))), now)


def announce(store: Store, community: Community, poll: Poll, now: datetime) -> None:
    voters = eligible_voters(store.members(community.community_id), poll.sent_at)
    enqueue(
        "poll",
        community.community_id,
        poll.poll_id,
        poll.poll_id,
        [m.member_id for m in voters if rules.wants(m, "poll") and not asked_it(community, poll, m)],
    )
    mark_step(store, poll, "announced_at", now)


def remind(store: Store, community: Community, poll: Poll, now: datetime) -> None:
    answered = set(voter_ids(store, poll))
    late = [
        member.member_id
        for member in eligible_voters(store.members(community.community_id), poll.sent_at)
        if member.member_id not in answered
        and rules.wants(member, "poll-reminder")
        and not asked_it(community, poll, member)
    ]
    enqueue("poll-reminder", community.community_id, poll.poll_id, poll.poll_id, late)
    mark_step(store, poll, "reminded_at", now)


def close(store: Store, community: Community, poll: Poll, now: datetime) -> None:
    close_poll(store, poll, now)


def report(store: Store, community: Community, poll: Poll, now: datetime) -> None:
    """Results to every leader and to every member who answered, once each (one per address)."""
    leaders = store.leaders(community)
    addresses = {leader.email.casefold() for leader in leaders}
    recipients = [leader.member_id for leader in leaders]
    answered = set(voter_ids(store, poll))
    if poll.author_id:
        answered.add(poll.author_id)  # a member who asked gets the results, voted or not
    if answered:
        for member in store.members(community.community_id):
            if member.member_id in answered and member.email and member.email.casefold() not in addresses:
                addresses.add(member.email.casefold())
                recipients.append(member.member_id)
    enqueue("poll-results", community.community_id, poll.poll_id, poll.poll_id, recipients)
    mark_step(store, poll, "reported_at", now)


STEPS: dict[str, Callable[[Store, Community, Poll, datetime], None]] = {
    "open": open_step,
    "announce": announce,
    "remind": remind,
    "close": close,
    "report": report,
}


# ---------------------------------------------------------------------- deliveries


def deliver_poll(delivery: Delivery, member_id: str, now: datetime) -> str:
    return deliver(delivery, member_id, now, "poll")


def deliver_reminder(delivery: Delivery, member_id: str, now: datetime) -> str:
    return deliver(delivery, member_id, now, "poll-reminder")


def deliver_results(delivery: Delivery, member_id: str, now: datetime) -> str:
    return deliver(delivery, member_id, now, "poll-results")


def deliver(delivery: Delivery, member_id: str, now: datetime, kind: str) -> str:
    """One member's email of a kind for a poll, through the ledger; 'skipped' when it is no longer wanted or due."""
    store = get_store()
    read = runtime.cache("polls.chunk")
    chunk = (delivery.kind, delivery.community_id, delivery.ref, delivery.member_ids)
    if chunk not in read:
        # Read once per chunk, not once per member: the poll's times do not change, and every
        # check below that matters (close_at, the member) holds whatever the status read here.
        read.clear()
        read[chunk] = (
            store.get_community(delivery.community_id),
            get_poll(store, delivery.community_id, delivery.ref),
        )
    community, poll = read[chunk]
    member = store.get_member(delivery.community_id, member_id)
    if community is None or poll is None or member is None:
        return "skipped"
    if kind == "poll-results":
        is_leader = member.role == "leader"
        if poll.status != "closed" or not rules.wants(member, "poll-results" if is_leader else "poll"):
            return "skipped"
    elif (
        not accepts_votes(poll, now)
        or asked_it(community, poll, member)
        or not rules.wants(member, kind)
        or eligibility(member, poll) != "yes"
        or (kind == "poll-reminder" and has_voted(store, poll, member_id))
    ):
        return "skipped"
    return deliver_once(
        store,
        kind=kind,
        community_id=community.community_id,
        recipient_id=member_id,
        period=poll.poll_id,
        compose=lambda: compose_poll_email(kind, community, poll, member, now),
        now=now,
        to_address=member.email,
    )

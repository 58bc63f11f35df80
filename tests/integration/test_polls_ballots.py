"""Ballots and tallies move together: one ballot per member per poll, even when submissions race."""

from __future__ import annotations

from datetime import timedelta

import pytest

from polls_support import PollsWorld


@pytest.fixture
def polls(community, clock, ingest, monkeypatch):
    world = PollsWorld.start(community, clock, ingest, monkeypatch)
    for number in range(6):
        world.join(f"u_{number}", f"Member {number}", f"member{number}@example.com", locale="en")
    return world


@pytest.fixture
def open_poll(polls):
    """Open a poll (its send step ran) and return a function that reads it back."""
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll

    def opened(**changes):
        poll_id = polls.scheduled_poll(**changes)
        polls.sweep()
        return get_poll(get_store(), polls.community.community_id, poll_id)

    return opened


def _no_sleep(_seconds):
    return None


def test_every_member_voting_gives_ballots_equal_to_the_sum_of_votes(polls, open_poll, clock):
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll, record_vote

    poll = open_poll()
    outcomes = [record_vote(get_store(), poll, f"u_{number}", (number % 3,), clock.now()) for number in range(6)]

    stored = get_poll(get_store(), poll.community_id, poll.poll_id)
    assert outcomes == ["recorded"] * 6
    assert stored.ballots == sum(stored.votes) == 6
    assert stored.votes == (2, 2, 2)


def test_the_same_member_submitting_twice_at_once_keeps_one_ballot(polls, open_poll, clock, monkeypatch):
    from cerchia.store import get_store
    from cerchia.store import polls as poll_store

    poll = open_poll()
    poll_store.record_vote(get_store(), poll, "u_1", (0,), clock.now())
    real_get_ballot = poll_store.get_ballot
    reads = []

    def read_before_the_first_submission_landed(*args):
        reads.append(args)
        return None if len(reads) == 1 else real_get_ballot(*args)

    monkeypatch.setattr(poll_store, "get_ballot", read_before_the_first_submission_landed)
    second = poll_store.record_vote(get_store(), poll, "u_1", (2,), clock.now(), sleep=_no_sleep)

    stored = poll_store.get_poll(get_store(), poll.community_id, poll.poll_id)
    assert second == "changed"
    assert (stored.ballots, stored.votes) == (1, (0, 0, 1))
    assert real_get_ballot(get_store(), poll.community_id, poll.poll_id, "u_1").choices == (2,)


def test_a_transaction_conflict_is_retried_and_counted_once(polls, open_poll, clock):
    from cerchia.store import Store, faults, get_store
    from cerchia.store import polls as poll_store

    poll = open_poll()
    conflicts = faults.TransactionConflicts(get_store().client, first=1)  # DynamoDB's TransactionConflict, once
    store = Store(conflicts, get_store().table_name)

    outcome = poll_store.record_vote(store, poll, "u_2", (1,), clock.now(), sleep=_no_sleep)

    stored = poll_store.get_poll(store, poll.community_id, poll.poll_id)
    assert (outcome, conflicts.attempted, conflicts.cancelled) == ("recorded", 2, 1)
    assert (stored.ballots, stored.votes) == (1, (0, 1, 0))


def test_anonymous_answers_are_counted_once_and_never_changed(polls, open_poll, clock):
    from cerchia.store import get_store
    from cerchia.store.polls import get_ballot, get_poll, has_voted, record_vote

    poll = open_poll(anonymous=True)

    first = record_vote(get_store(), poll, "u_3", (1,), clock.now())
    second = record_vote(get_store(), poll, "u_3", (0,), clock.now())

    stored = get_poll(get_store(), poll.community_id, poll.poll_id)
    assert (first, second) == ("recorded", "already-voted")
    assert (stored.ballots, stored.votes) == (1, (0, 1, 0))
    assert has_voted(get_store(), stored, "u_3")
    assert get_ballot(get_store(), poll.community_id, poll.poll_id, "u_3") is None


def test_nothing_is_counted_once_the_poll_has_closed(polls, open_poll, clock):
    from cerchia.store import get_store
    from cerchia.store.polls import close_poll, get_ballot, get_poll, record_vote

    poll = open_poll()
    close_poll(get_store(), poll, clock.now())

    outcome = record_vote(get_store(), poll, "u_4", (0,), clock.now() + timedelta(minutes=1), sleep=_no_sleep)

    stored = get_poll(get_store(), poll.community_id, poll.poll_id)
    assert outcome == "closed"
    assert (stored.ballots, stored.votes) == (0, (0, 0, 0))
    assert get_ballot(get_store(), poll.community_id, poll.poll_id, "u_4") is None


def test_a_job_run_twice_sends_and_counts_nothing_twice(polls, clock, outbox):
    from cerchia.polls.jobs import run_poll_job
    from cerchia.store import get_store

    poll_id = polls.scheduled_poll()
    job = get_store().get_job("poll", poll_id)

    first = run_poll_job(job, clock.now())
    second = run_poll_job(job, clock.now())
    polls.sweep()

    assert first == second == clock.now() + timedelta(days=4)
    assert polls.read_poll(poll_id)["json"]["eligible"] == 7
    assert len([m for m in outbox() if m["X-Cerchia-Kind"] == "poll"]) == 6  # all but the leader who asked


def test_a_page_that_cannot_record_in_time_says_to_try_again(polls, clock, outbox, monkeypatch):
    from cerchia.errors import Transient
    from cerchia.polls import pages
    from polls_support import vote_tokens

    polls.scheduled_poll()
    polls.sweep()
    [email] = [m for m in outbox() if m["X-Cerchia-Kind"] == "poll" and "member1@" in str(m["To"])]

    def busy(*args, **kwargs):
        raise Transient("DynamoDB is busy")

    monkeypatch.setattr(pages, "record_vote", busy)  # the store call the vote page makes
    page = polls.submit(vote_tokens(email)[0], 0)

    assert page["statusCode"] == 503
    assert "send it again in a moment" in page["body"]


def test_a_first_ballot_makes_the_voter_active_in_the_community_week(polls, open_poll, clock):
    from cerchia.domain.rules import week_of
    from cerchia.store import get_store
    from cerchia.store.polls import record_vote

    poll = open_poll()
    record_vote(get_store(), poll, "u_2", (1,), clock.now())
    record_vote(get_store(), poll, "u_2", (0,), clock.now())  # a change is not a second vote

    week = get_store().week_counters(poll.community_id, week_of(clock.now(), "Europe/Rome"))
    assert "u_2" in week["active_members"]
    assert week["poll_votes"] == 1

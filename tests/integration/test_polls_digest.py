"""What the weekly digest gets from polls: results of the week's closed polls, and open polls with vote links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from polls_support import PollsWorld, iso, poll_request


@pytest.fixture
def polls(community, clock, ingest, monkeypatch):
    world = PollsWorld.start(community, clock, ingest, monkeypatch)
    world.join("u_1", "Ada Byron", "ada@example.com", locale="en")
    world.join("u_2", "Bruno Neri", "bruno@example.com")
    return world


def test_digest_gets_closed_results_and_open_polls_with_a_link_per_option(polls, clock, english_community):
    from cerchia.polls import polls_for_digest, submit_vote
    from cerchia.store import get_store

    start = clock.now()
    closing = polls.create_poll(poll_request(send_at=None, close_at=iso(start + timedelta(days=2))))["json"]["poll_id"]
    still_open = polls.create_poll(
        poll_request("polls_create_multiple", send_at=None, close_at=iso(start + timedelta(days=9)))
    )["json"]["poll_id"]
    polls.sweep()
    store = get_store()
    community = store.get_community(polls.community.community_id)
    early = polls_for_digest(store, community, start, start + timedelta(days=7), "u_1", clock.now())
    [open_entry] = [entry for entry in early["open"] if entry["poll_id"] == closing]
    submit_vote(open_entry["options"][1]["url"].rsplit("/v/", 1)[1], ["1"], clock.now())
    clock.advance(days=3)
    polls.sweep()

    digest = polls_for_digest(store, community, start, start + timedelta(days=7), "u_1", clock.now())

    [closed] = digest["closed"]
    assert closed["poll_id"] == closing
    assert closed["options"] == [
        {"label": "Sabato mattina", "votes": 0, "percent": 0},
        {"label": "Sabato pomeriggio", "votes": 1, "percent": 100},
        {"label": "Domenica mattina", "votes": 0, "percent": 0},
    ]
    assert (closed["ballots"], closed["eligible"], closed["participation_percent"]) == (1, 3, 33)
    [entry] = digest["open"]
    assert entry["poll_id"] == still_open and entry["voted"] is False
    assert len(entry["options"]) == 5 and all(
        option["url"].startswith("https://cerchia.example/v/") for option in entry["options"]
    )
    assert entry["ballot_url"].startswith("https://cerchia.example/v/")
    page = polls.open(entry["options"][3]["url"].rsplit("/v/", 1)[1])
    assert page["statusCode"] == 200 and 'value="3" checked' in page["body"]


def test_digest_without_a_member_has_no_links_and_never_reads_other_communities(polls, clock, english_community):
    from cerchia.polls import polls_for_digest
    from cerchia.store import get_store

    polls.scheduled_poll()
    polls.sweep()
    store = get_store()
    other = store.get_community(english_community.community_id)

    ours = polls_for_digest(
        store,
        store.get_community(polls.community.community_id),
        clock.now(),
        clock.now() + timedelta(days=7),
        None,
        clock.now(),
    )
    theirs = polls_for_digest(store, other, clock.now(), clock.now() + timedelta(days=7), None, clock.now())

    [entry] = ours["open"]
    assert entry["ballot_url"] is None and {option["url"] for option in entry["options"]} == {None}
    assert theirs == {"closed": [], "open": []}


def test_a_member_who_joined_after_the_send_gets_no_vote_links(polls, clock):
    from cerchia.polls import polls_for_digest
    from cerchia.store import get_store

    polls.scheduled_poll()
    polls.sweep()
    clock.advance(hours=1)
    polls.join("u_3", "Chiara Verdi", "chiara@example.com")
    store = get_store()

    digest = polls_for_digest(
        store,
        store.get_community(polls.community.community_id),
        clock.now(),
        clock.now() + timedelta(days=7),
        "u_3",
        clock.now(),
    )

    [entry] = digest["open"]
    assert entry["voted"] is None and entry["options"][0]["url"] is None

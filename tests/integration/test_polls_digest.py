"""What the weekly digest gets from polls (typed cards): results of the week's closed polls, and open polls with vote links."""

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
    from cerchia.polls.cards import poll_cards
    from cerchia.polls.pages import submit_vote
    from cerchia.store import get_store

    start = clock.now()
    closing = polls.create_poll(poll_request(send_at=None, close_at=iso(start + timedelta(days=2))))["json"]["poll_id"]
    still_open = polls.create_poll(
        poll_request("polls_create_multiple", send_at=None, close_at=iso(start + timedelta(days=9)))
    )["json"]["poll_id"]
    polls.sweep()
    store = get_store()
    community = store.get_community(polls.community.community_id)
    early = poll_cards(store, community, start, start + timedelta(days=7), "u_1", clock.now())
    [open_card] = [card for card in early.open if card.poll_id == closing]
    submit_vote(open_card.options[1].url.rsplit("/v/", 1)[1], ["1"], clock.now())
    clock.advance(days=3)
    polls.sweep()

    digest = poll_cards(store, community, start, start + timedelta(days=7), "u_1", clock.now())

    [closed] = digest.closed
    assert closed.poll_id == closing and closed.closed_at is not None
    assert [(option.label, option.votes, option.share, option.url) for option in closed.options] == [
        ("Sabato mattina", 0, 0.0, ""),
        ("Sabato pomeriggio", 1, 1.0, ""),
        ("Domenica mattina", 0, 0.0, ""),
    ]
    assert (closed.ballots, closed.eligible, round(100 * (closed.participation or 0))) == (1, 3, 33)
    [card] = digest.open
    assert card.poll_id == still_open and card.kind == "multiple" and card.voted is False
    assert card.closed_at is None and card.ballots == 0
    assert len(card.options) == 5 and all(
        option.url.startswith("https://cerchia.example/v/") for option in card.options
    )
    assert card.url.startswith("https://cerchia.example/v/")
    page = polls.open(card.options[3].url.rsplit("/v/", 1)[1])
    assert page["statusCode"] == 200 and 'value="3" checked' in page["body"]


def test_digest_without_a_member_has_no_links_and_never_reads_other_communities(polls, clock, english_community):
    from cerchia.domain.cards import PollCards
    from cerchia.polls.cards import poll_cards
    from cerchia.store import get_store

    polls.scheduled_poll()
    polls.sweep()
    store = get_store()
    other = store.get_community(english_community.community_id)

    ours = poll_cards(
        store,
        store.get_community(polls.community.community_id),
        clock.now(),
        clock.now() + timedelta(days=7),
        None,
        clock.now(),
    )
    theirs = poll_cards(store, other, clock.now(), clock.now() + timedelta(days=7), None, clock.now())

    [card] = ours.open
    assert card.url == "" and {option.url for option in card.options} == {""} and card.voted is False
    assert theirs == PollCards()


def test_a_member_who_joined_after_the_send_gets_no_vote_links(polls, clock):
    from cerchia.polls.cards import poll_cards
    from cerchia.store import get_store

    polls.scheduled_poll()
    polls.sweep()
    clock.advance(hours=1)
    polls.join("u_3", "Chiara Verdi", "chiara@example.com")
    store = get_store()

    digest = poll_cards(
        store,
        store.get_community(polls.community.community_id),
        clock.now(),
        clock.now() + timedelta(days=7),
        "u_3",
        clock.now(),
    )

    [card] = digest.open
    assert card.voted is False and card.url == "" and card.options[0].url == ""


def test_a_closed_multiple_choice_card_shares_each_option_among_the_members_who_answered(polls, clock):
    from cerchia.polls.cards import poll_cards
    from cerchia.polls.pages import submit_vote
    from cerchia.store import get_store

    start = clock.now()
    poll_id = polls.create_poll(
        poll_request("polls_create_multiple", send_at=None, close_at=iso(start + timedelta(days=2)))
    )["json"]["poll_id"]
    polls.sweep()
    store = get_store()
    community = store.get_community(polls.community.community_id)
    for member_id, choices in (("u_1", ["1", "3"]), ("u_2", ["3"])):
        [card] = poll_cards(store, community, start, start + timedelta(days=7), member_id, clock.now()).open
        submit_vote(card.url.rsplit("/v/", 1)[1], choices, clock.now())
    clock.advance(days=3)
    polls.sweep()

    [closed] = poll_cards(store, community, start, start + timedelta(days=7), "u_1", clock.now()).closed

    assert closed.poll_id == poll_id and closed.kind == "multiple" and closed.ballots == 2
    assert [(option.votes, option.share) for option in closed.options] == [
        (0, 0.0),
        (1, 0.5),
        (0, 0.0),
        (2, 1.0),
        (0, 0.0),
    ]

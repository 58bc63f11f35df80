"""Polls in the digest: this week's results as HTML/CSS bars, open polls with one button per option."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digests_support import MONDAY_AFTER, body, html, of_kind, start_sweeper, text, to


@pytest.fixture
def sweeper(aws, clock, monkeypatch):
    return start_sweeper(clock, monkeypatch)


def _poll(community_id, question, options, send_at, close_at):
    from cerchia.domain.polls import NewPoll
    from cerchia.polls import create_poll
    from cerchia.store import get_store

    community = get_store().get_community(community_id)
    new_poll = NewPoll(question=question, options=options, kind="single", send_at=send_at, close_at=close_at)
    return create_poll(community, new_poll, send_at - timedelta(hours=1))


def test_closed_polls_show_results_with_bars_and_open_ones_their_vote_buttons(
    community, ingest, clock, sweeper, outbox
):
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll, record_vote

    for number, member_id in enumerate(["u_a", "u_b", "u_c"]):
        joined = datetime(2026, 11, 23, 8, 5 + number, tzinfo=UTC)
        clock.current = joined
        ingest(
            community,
            body(
                "member_joined",
                joined,
                member_id=member_id,
                email=f"{member_id}@example.com",
                name=member_id.upper(),
                locale="en",
            ),
        )
    tue, fri = datetime(2026, 11, 24, 10, 0, tzinfo=UTC), datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    closed = _poll(community.community_id, "Which flour for the Christmas panettone?", ["Manitoba", "Tipo 0"], tue, fri)
    still_open = _poll(
        community.community_id,
        "Meetup in Bologna or Milan?",
        ["Bologna", "Milano"],
        fri,
        MONDAY_AFTER + timedelta(days=3),
    )
    sweeper.until(tue + timedelta(minutes=1))
    store = get_store()
    opened = get_poll(store, community.community_id, closed.poll_id)
    record_vote(store, opened, "u_a", (0,), tue + timedelta(hours=1))
    record_vote(store, opened, "u_b", (0,), tue + timedelta(hours=2))

    sweeper.until(MONDAY_AFTER + timedelta(hours=9))

    digest = next(mail for mail in of_kind(outbox, "digest") if to(mail) == "u_c@example.com")
    [report] = of_kind(outbox, "leader-digest")
    page = html(digest)
    assert "Which flour for the Christmas panettone?" in page
    assert '<td width="100%" style="background:#c8553d' in page  # Manitoba: both ballots
    assert "2 of 4 members voted (50%)." in text(digest)  # the leader could vote too
    assert "Meetup in Bologna or Milan?" in page
    assert page.count("/v/") == 2  # one vote link per option, for this member
    assert "<svg" not in page and "<script" not in page
    assert "Partecipazione ai sondaggi: 50% (2 su 4)" in text(report)
    assert still_open.poll_id


def test_a_failing_polls_read_still_sends_the_digests_without_their_polls(
    community, ingest, clock, sweeper, outbox, monkeypatch
):
    from cerchia.digests import poll_section

    def unreadable(*args, **kwargs):
        raise RuntimeError("the polls cannot be read right now")

    monkeypatch.setattr(poll_section, "poll_cards", unreadable)
    for number, member_id in enumerate(["u_a", "u_b", "u_c"]):
        joined = datetime(2026, 11, 23, 8, 5 + number, tzinfo=UTC)
        clock.current = joined
        ingest(
            community,
            body(
                "member_joined", joined, member_id=member_id, email=f"{member_id}@example.com", name=member_id.upper()
            ),
        )
    tue, fri = datetime(2026, 11, 24, 10, 0, tzinfo=UTC), datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    _poll(community.community_id, "Which flour for the Christmas panettone?", ["Manitoba", "Tipo 0"], tue, fri)

    sweeper.until(MONDAY_AFTER + timedelta(hours=9))

    digests = of_kind(outbox, "digest")
    [report] = of_kind(outbox, "leader-digest")
    assert sorted(to(mail) for mail in digests) == ["u_a@example.com", "u_b@example.com", "u_c@example.com"]
    assert all("Which flour for the Christmas panettone?" not in html(mail) for mail in digests)
    assert "Partecipazione ai sondaggi" not in text(report)
    assert sweeper.failures == []

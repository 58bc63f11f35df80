"""What should expire carries DynamoDB's TTL attribute (`expires_at`, epoch seconds; template.yaml
enables TTL on it): ledger entries, ballots and has-voted markers after the poll's retention;
finished jobs leave the table."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from polls_support import PollsWorld


def raw_item(key: dict[str, str]) -> dict:
    from cerchia.store import get_store

    client = boto3.client("dynamodb", region_name="eu-west-1")
    return client.get_item(TableName=get_store().table_name, Key={k: {"S": v} for k, v in key.items()}).get("Item", {})


@pytest.fixture
def polls(community, clock, ingest, monkeypatch):
    world = PollsWorld.start(community, clock, ingest, monkeypatch)
    for number in range(2):
        world.join(f"u_{number}", f"Member {number}", f"member{number}@example.com", locale="en")
    return world


@pytest.mark.parametrize("anonymous", [False, True])
def test_ballots_and_has_voted_markers_expire_a_retention_after_their_poll_closes(polls, clock, anonymous):
    from cerchia.store import get_store, keys
    from cerchia.store.polls import BALLOT_RETENTION, get_poll, record_vote

    poll_id = polls.scheduled_poll(anonymous=anonymous)
    polls.sweep()
    poll = get_poll(get_store(), polls.community.community_id, poll_id)

    record_vote(get_store(), poll, "u_1", (0,), clock.now())

    key = (keys.voted_marker if anonymous else keys.ballot)(poll.community_id, poll_id, "u_1")
    assert int(raw_item(key)["expires_at"]["N"]) == int((poll.close_at + BALLOT_RETENTION).timestamp())
    assert "expires_at" not in raw_item(keys.poll(poll.community_id, poll_id))  # the poll and its tallies stay


def test_ledger_entries_expire_after_the_ledger_retention_whether_sent_or_refused(community, clock, outbox):
    from cerchia.mail import sending
    from cerchia.mail.mime import Outgoing
    from cerchia.store import get_store, keys
    from cerchia.store.table import LEDGER_RETENTION
    from ses_support import ScriptedSES

    ses = ScriptedSES(boto3.client("sesv2", region_name="eu-west-1"))
    ses.refuse("refused@example.com")
    sending.use_ses(ses)
    try:
        for member_id in ("sent", "refused"):
            sending.deliver_once(
                get_store(),
                kind="nudge",
                community_id=community.community_id,
                recipient_id=member_id,
                period="b1",
                now=clock.now(),
                compose=lambda member_id=member_id: Outgoing(
                    kind="nudge", to_address=f"{member_id}@example.com", to_name="L", subject="s", text="t", html="h"
                ),
            )
    finally:
        sending.use_ses(None)

    expected = int((clock.now() + LEDGER_RETENTION).timestamp())
    for member_id in ("sent", "refused"):
        item = raw_item(keys.ledger("nudge", community.community_id, member_id, "b1"))
        assert (item["status"]["S"], int(item["expires_at"]["N"])) == (member_id, expected)


def test_a_finished_job_leaves_the_table(community, clock, monkeypatch):
    from cerchia import dispatch
    from cerchia.store import get_store, keys

    monkeypatch.setitem(dispatch.JOB_RUNNERS, "once", lambda job, now: None)
    get_store().schedule_job("once", "o", community.community_id, clock.now() - timedelta(minutes=1))

    dispatch.run_due_jobs(clock.now())

    assert raw_item(keys.job("once", "o")) == {}

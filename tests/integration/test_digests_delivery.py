"""Delivering a week's digests: crashes mid-chunk, SES throttling, the send rate, suppressed addresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from digests_support import MONDAY_AFTER, body, of_kind, sqs_records, start_sweeper, to
from support import LambdaContext

MEMBERS = [f"m{number}" for number in range(8)]
ROME_NINE = MONDAY_AFTER + timedelta(hours=8)


@pytest.fixture
def sweeper(aws, clock, monkeypatch):
    return start_sweeper(clock, monkeypatch)


@pytest.fixture
def pacer():
    """Installs a pacer for the test (sending.use_pacer, the one every email waits on), then removes it."""
    from cerchia.mail import sending

    yield sending.use_pacer
    sending.use_pacer(None)


@pytest.fixture
def week_of_eight(community, ingest, clock):
    """Eight members (joined the week before), one post of m0's answered by m1 during week 2026-W48."""
    for number, member_id in enumerate(MEMBERS):
        joined = datetime(2026, 11, 23, 8, 5 + number, tzinfo=UTC)
        clock.current = joined
        ingest(
            community,
            body(
                "member_joined", joined, member_id=member_id, email=f"{member_id}@example.com", name=f"Member {number}"
            ),
        )
    tue = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    ingest(
        community,
        body("post_created", tue, post_id="p_1", author_id="m0", title="Biga o poolish?", url="https://f.example/1"),
    )
    ingest(community, body("reply_created", tue + timedelta(hours=1), reply_id="r_1", post_id="p_1", author_id="m1"))
    clock.current = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
    return community


def _chunks_at_nine(sweeper):
    """Run the sweeps up to Monday 09:00 in Rome and take the queued chunks instead of delivering them."""
    sweeper.until(ROME_NINE - timedelta(minutes=1))
    sweeper.clock.current = ROME_NINE
    sweeper.sweep.lambda_handler({}, LambdaContext())
    records = sqs_records(sweeper.queue_url)
    from cerchia.jobs import Delivery

    return {Delivery.from_message(record["body"]).kind: record for record in records}


def test_a_member_whose_email_fails_does_not_stop_the_chunk_and_redelivery_sends_only_theirs(
    week_of_eight, sweeper, outbox, monkeypatch
):
    from cerchia.digests import delivery

    chunk = _chunks_at_nine(sweeper)["digest"]
    real_compose = delivery.compose_member_digest
    crashed = []

    def crash_once_on_m5(community, member, *args, **kwargs):
        if member.member_id == "m5" and not crashed:
            crashed.append(member.member_id)
            raise RuntimeError("the worker died here")
        return real_compose(community, member, *args, **kwargs)

    monkeypatch.setattr(delivery, "compose_member_digest", crash_once_on_m5)

    first = sweeper.worker.lambda_handler({"Records": [chunk]}, LambdaContext())
    sent_first = sorted(to(mail) for mail in of_kind(outbox, "digest"))
    again = sweeper.worker.lambda_handler({"Records": [chunk]}, LambdaContext())  # SQS redelivers it

    assert first == {"batchItemFailures": [{"itemIdentifier": chunk["messageId"]}]}
    assert sent_first == [f"{m}@example.com" for m in MEMBERS if m != "m5"]
    assert again == {"batchItemFailures": []}
    assert sorted(to(mail) for mail in of_kind(outbox, "digest")) == [f"{m}@example.com" for m in MEMBERS]


def test_ses_throttling_is_retried_with_backoff_and_sends_once(week_of_eight, sweeper, outbox, monkeypatch, pacer):
    from cerchia import aws
    from cerchia.mail.sending import SendPacer

    chunk = _chunks_at_nine(sweeper)["digest"]
    client = aws.sesv2()
    real_send = client.send_email
    refusals = []

    def busy_then_fine(**request):
        if len(refusals) < 2:
            refusals.append(1)
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"}}, "SendEmail")
        return real_send(**request)

    slept: list[float] = []
    monkeypatch.setattr(client, "send_email", busy_then_fine)
    pacer(SendPacer(0, sleep=slept.append))

    answer = sweeper.worker.lambda_handler({"Records": [chunk]}, LambdaContext())

    assert answer == {"batchItemFailures": []}
    assert len(slept) == 2 and all(0 <= pause <= 0.2 for pause in slept)  # backoff, on the injected sleep
    assert sorted(to(mail) for mail in of_kind(outbox, "digest")) == [f"{m}@example.com" for m in MEMBERS]


@dataclass
class FakeTime:
    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_configured_send_rate_is_respected_by_each_worker(week_of_eight, sweeper, outbox, monkeypatch, pacer):
    from cerchia import runtime
    from cerchia.mail import sending

    monkeypatch.setenv("MAX_SEND_RATE", "2")
    runtime.reset()
    configured = sending.pacer()
    fake = FakeTime()
    pacer(sending.SendPacer(configured.rate, fake.monotonic, fake.sleep))
    chunk = _chunks_at_nine(sweeper)["digest"]

    sweeper.worker.lambda_handler({"Records": [chunk]}, LambdaContext())

    assert configured.rate == 2.0
    assert len(of_kind(outbox, "digest")) == 8
    assert fake.now - 1000.0 == pytest.approx(7 / 2)  # eight emails at two per second: 3.5 s of waiting
    assert all(pause == pytest.approx(0.5) for pause in fake.slept)


def test_a_suppressed_address_gets_no_digest(week_of_eight, sweeper, outbox):
    from cerchia.store import get_store, keys
    from cerchia.store.codec import to_item
    from cerchia.store.suppression import address_hash

    store = get_store()
    item = {**keys.suppression(address_hash("m3@example.com")), "entity": "suppression", "suppressed": True}
    store.call("put_item", TableName=store.table_name, Item=to_item(item))

    sweeper.until(ROME_NINE + timedelta(minutes=5))

    recipients = sorted(to(mail) for mail in of_kind(outbox, "digest"))
    assert "m3@example.com" not in recipients and len(recipients) == 7


def test_an_unreadable_member_never_stops_the_digests_of_the_others(week_of_eight, sweeper, outbox):
    """A member row no model can read (planted straight in the table) is skipped; the eight others get theirs."""
    import boto3

    from cerchia.settings import get_settings

    cid = week_of_eight.community_id
    planted = {
        "pk": f"C#{cid}", "sk": "M#m_bad", "entity": "member", "community_id": cid, "member_id": "m_bad",
        "email": "bad@example.com", "role": "overlord", "status": "active", "joined_at": "2026-11-01T00:00:00.000000Z",
    }  # fmt: skip
    boto3.client("dynamodb").put_item(
        TableName=get_settings().table_name, Item={name: {"S": value} for name, value in planted.items()}
    )

    sweeper.until(ROME_NINE + timedelta(minutes=5))

    recipients = sorted(to(mail) for mail in of_kind(outbox, "digest"))
    assert recipients == sorted(f"{member_id}@example.com" for member_id in MEMBERS)
    assert sweeper.failures == []

"""SES's real answers: an account that cannot send keeps the work for later; a refused recipient is
recorded and never stops anyone else's email. Exactly once, and nothing lost."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

import boto3
import pytest

import jobs_support
from cerchia import dispatch, jobs
from cerchia.mail import sending
from ses_support import ScriptedSES, sender_not_verified
from support import LambdaContext, event, load_handler, sqs_records


@pytest.fixture
def ses(aws):
    scripted = ScriptedSES(boto3.client("sesv2", region_name="eu-west-1"))
    sending.use_ses(scripted)
    yield scripted
    sending.use_ses(None)
    sending.use_pacer(None)


@pytest.fixture
def delivery_queue(aws, monkeypatch):
    from cerchia import runtime

    url = boto3.client("sqs").create_queue(QueueName="delivery")["QueueUrl"]
    monkeypatch.setenv("DELIVERY_QUEUE_URL", url)
    runtime.reset()
    monkeypatch.setitem(dispatch.JOB_RUNNERS, "test-fanout", jobs_support.fan_out)
    monkeypatch.setitem(dispatch.DELIVERERS, "test-note", jobs_support.note)
    return url


def metrics(capsys) -> list[tuple[str, dict[str, str]]]:
    """(metric name, its dimensions) for every EMF line printed so far."""
    found = []
    for line in capsys.readouterr().out.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            dimensions = {name: record[name] for group in directive["Dimensions"] for name in group}
            found += [(metric["Name"], dimensions) for metric in directive["Metrics"]]
    return found


def one_chunk(community, delivery_queue, clock, members):
    from cerchia.store import get_store

    get_store().schedule_job("test-fanout", "note", community.community_id, clock.now(), {"member_ids": members})
    load_handler("run_due_jobs").lambda_handler({}, LambdaContext())
    [record] = sqs_records(delivery_queue)
    return record


def recipients(outbox) -> list[str]:
    return sorted(mail["To"].addresses[0].username for mail in outbox())


def welcome_status(community_id: str, member_id: str) -> str | None:
    from cerchia.store import get_store, keys

    member = get_store().get_member(community_id, member_id)
    return get_store().email_status("welcome", community_id, member_id, keys.iso(member.membership_started_at))


# ---------------------------------------------------------------- one recipient refused


def test_an_unverified_recipient_in_the_sandbox_is_recorded_refused_and_the_chunk_goes_on(
    community, delivery_queue, ses, clock, outbox, capsys
):
    from cerchia.store import get_store

    members = [f"m{number:02d}" for number in range(10)]
    record = one_chunk(community, delivery_queue, clock, members)
    ses.refuse("m03@example.com")
    worker = load_handler("deliver_emails")
    capsys.readouterr()

    first = worker.lambda_handler({"Records": [record]}, LambdaContext())
    again = worker.lambda_handler({"Records": [record]}, LambdaContext())  # a redelivery changes nothing

    assert first == again == {"batchItemFailures": []}
    assert recipients(outbox) == [m for m in members if m != "m03"]
    assert get_store().email_status("test-note", community.community_id, "m03", "once") == "refused"
    assert get_store().email_status("test-note", community.community_id, "m04", "once") == "sent"
    assert ses.attempts.count("m03@example.com") == 1  # refused once, never tried again
    assert metrics(capsys).count(("EmailsRefused", {"stage": "dev", "service": "cerchia", "kind": "test-note"})) == 1


def test_a_refused_recipient_does_not_stop_the_rest_of_a_chunk_even_when_it_comes_first(
    community, delivery_queue, ses, clock, outbox
):
    members = ["m00", "m01", "m02"]
    record = one_chunk(community, delivery_queue, clock, members)
    ses.refuse("m00@example.com")

    result = load_handler("deliver_emails").lambda_handler({"Records": [record]}, LambdaContext())

    assert result == {"batchItemFailures": []}
    assert recipients(outbox) == ["m01", "m02"]


# ---------------------------------------------------------------- the account cannot send


@pytest.mark.parametrize(
    ("code", "message"),
    [
        sender_not_verified("hello@cerchia.example"),
        ("MessageRejected", "Email address is not verified. The following identities failed the check in region "
         "EU-WEST-1: cerchia.example"),
        ("AccountSuspendedException", "Your account's ability to send email has been permanently restricted."),
        ("SendingPausedException", "Sending paused for this account."),
        ("MailFromDomainNotVerifiedException", "The MAIL FROM domain is not verified."),
        ("NotFoundException", "Configuration set <cerchia-test> does not exist."),
        ("TooManyRequestsException", "Maximum sending rate exceeded."),
    ],
)  # fmt: skip
def test_an_account_level_failure_marks_nothing_sent_keeps_the_chunk_and_raises_the_alarm_metric(
    community, delivery_queue, ses, clock, outbox, capsys, code, message
):
    from cerchia.store import get_store

    waits: list[float] = []
    sending.use_pacer(sending.SendPacer(0, sleep=waits.append))
    members = [f"m{number:02d}" for number in range(5)]
    record = one_chunk(community, delivery_queue, clock, members)
    ses.fail_account(code, message)
    capsys.readouterr()

    result = load_handler("deliver_emails").lambda_handler({"Records": [record]}, LambdaContext())

    assert result == {"batchItemFailures": []}  # the queue lets go: the table holds the chunk now
    assert outbox() == []
    assert all(get_store().email_status("test-note", community.community_id, m, "once") is None for m in members)
    assert len({address for address in ses.attempts}) == 1  # no point trying the others while the account is down
    [kept] = [job for job in get_store().due_job_pages(clock.now() + timedelta(hours=1)) if job.kind == "delivery"]
    assert jobs.Delivery.from_message(kept.payload["message"]).member_ids == tuple(members)
    assert ("SendAccountFailures", {"stage": "dev", "service": "cerchia"}) in metrics(capsys)


def test_a_chunk_held_through_a_six_hour_outage_goes_out_exactly_once_when_sending_works_again(
    community, delivery_queue, ses, clock, outbox
):
    members = [f"m{number:02d}" for number in range(12)]
    record = one_chunk(community, delivery_queue, clock, members)
    ses.refuse("m07@example.com")
    ses.fail_account(*sender_not_verified("hello@cerchia.example"))
    worker, sweep = load_handler("deliver_emails"), load_handler("run_due_jobs")

    for _ in range(5):  # the queue would have given up after five receives; the table does not
        assert worker.lambda_handler({"Records": [record]}, LambdaContext()) == {"batchItemFailures": []}
    for _ in range(36):
        clock.advance(minutes=10)
        sweep.lambda_handler({}, LambdaContext())
    assert outbox() == []

    ses.recover()  # the sender is verified the next morning
    clock.advance(minutes=10)
    sweep.lambda_handler({}, LambdaContext())
    clock.advance(hours=2)
    sweep.lambda_handler({}, LambdaContext())
    worker.lambda_handler({"Records": [record]}, LambdaContext())

    assert recipients(outbox) == [m for m in members if m != "m07"]
    from cerchia.store import get_store

    later = clock.now() + timedelta(days=30)
    assert [job for job in get_store().due_job_pages(later) if job.kind == "delivery"] == []
    assert get_store().parked_jobs() == []


def test_a_welcome_during_an_outage_of_hours_goes_out_exactly_once_when_sending_works_again(
    community, ingest, welcome, ses, clock, outbox
):
    from cerchia.store import get_store

    ingest(community, event("member_joined"))
    ses.fail_account(*sender_not_verified("hello@cerchia.example"))
    sweep = load_handler("run_due_jobs")

    assert welcome(community.community_id, "u_1042") == {"batchItemFailures": []}  # kept, not failed
    assert welcome_status(community.community_id, "u_1042") is None
    assert get_store().get_job("welcome", f"{community.community_id}#u_1042") is not None
    for _ in range(20):
        clock.advance(minutes=30)
        assert sweep.lambda_handler({}, LambdaContext())["ran"] == 0
    assert outbox() == []

    ses.recover()
    clock.advance(minutes=30)
    sweep.lambda_handler({}, LambdaContext())
    welcome(community.community_id, "u_1042")  # the stream record seen again (TRIM_HORIZON)
    clock.advance(hours=1)
    sweep.lambda_handler({}, LambdaContext())

    [message] = outbox()
    assert message["X-Cerchia-Kind"] == "welcome"
    assert message["To"].addresses[0].addr_spec == "giulia.rossi@example.com"
    assert welcome_status(community.community_id, "u_1042") == "sent"
    assert get_store().get_job("welcome", f"{community.community_id}#u_1042") is None


def test_a_welcome_refused_for_its_recipient_is_recorded_refused_not_sent(community, ingest, welcome, ses, outbox):
    ingest(community, event("member_joined"))
    ses.refuse("giulia.rossi@example.com")

    assert welcome(community.community_id, "u_1042") == {"batchItemFailures": []}
    assert welcome(community.community_id, "u_1042") == {"batchItemFailures": []}

    assert outbox() == []
    assert welcome_status(community.community_id, "u_1042") == "refused"
    assert ses.attempts == ["giulia.rossi@example.com"]


def test_a_welcome_to_an_address_no_mail_header_can_carry_is_refused_once_not_retried_forever(
    community, ingest, welcome, ses, outbox
):
    joined = event("member_joined")
    joined["data"]["email"] = "giulìa@example.com"  # valid (SMTPUTF8), but not writable in our headers
    ingest(community, joined)

    assert welcome(community.community_id, "u_1042") == {"batchItemFailures": []}
    assert welcome(community.community_id, "u_1042") == {"batchItemFailures": []}

    assert outbox() == []
    assert welcome_status(community.community_id, "u_1042") == "refused"
    assert ses.attempts == []


def test_a_nudge_held_through_an_outage_of_hours_reaches_each_leader_once_when_sending_works_again(
    community, ingest, ses, clock, outbox
):
    from datetime import UTC, datetime

    from nudges_support import Sweeper, kind

    ingest(community, event("nudges_leader_joined"))
    ingest(community, event("member_joined"))
    ingest(community, event("post_created"))
    clock.current = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # the question has waited 24 hours
    ses.fail_account("SendingPausedException", "Sending paused for this account.")
    sweep = Sweeper()

    for _ in range(16):  # four hours of sweeps every 15 minutes
        with pytest.raises(RuntimeError):
            sweep()
        clock.advance(minutes=15)
    assert outbox() == []

    ses.recover()
    for _ in range(3):
        with contextlib.suppress(RuntimeError):  # a sweep may still report the last failed attempt
            sweep()
        clock.advance(minutes=15)

    nudges = kind(outbox(), "nudge")
    assert sorted(mail["To"].addresses[0].addr_spec for mail in nudges) == [
        "anna.verdi@example.com",
        "marco.bianchi@example.com",
    ]


def test_no_member_address_reaches_the_logs_when_ses_names_it_in_a_refusal(
    community, ingest, welcome, ses, clock, capsys, caplog
):
    from ses_support import SANDBOX_REFUSAL

    ingest(community, event("member_joined"))
    ses.fail_account("MessageRejected", SANDBOX_REFUSAL.format("hello@cerchia.example, giulia.rossi@example.com"))
    capsys.readouterr()

    welcome(community.community_id, "u_1042")
    clock.advance(minutes=10)
    load_handler("run_due_jobs").lambda_handler({}, LambdaContext())

    printed = capsys.readouterr()
    assert "giulia.rossi@example.com" not in printed.out + printed.err + caplog.text

"""The due sweep and the delivery queue: jobs run when due, chunks survive crashes without duplicates."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

import jobs_support
from cerchia import dispatch, jobs
from support import LambdaContext, load_handler, sqs_records


@pytest.fixture
def delivery_queue(aws, monkeypatch):
    from cerchia import runtime

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="delivery")["QueueUrl"]
    monkeypatch.setenv("DELIVERY_QUEUE_URL", url)
    runtime.reset()
    monkeypatch.setitem(dispatch.JOB_RUNNERS, "test-fanout", jobs_support.fan_out)
    monkeypatch.setitem(dispatch.DELIVERERS, "test-note", jobs_support.note)
    return url


def test_job_runs_only_when_due_and_fans_out_in_chunks_of_50(community, delivery_queue, clock, outbox):
    from cerchia.store import get_store

    members = [f"m{number:03d}" for number in range(120)]
    get_store().schedule_job(
        "test-fanout", "note-1", community.community_id, clock.now() + timedelta(hours=1), {"member_ids": members}
    )
    sweep = load_handler("run_due_jobs")

    assert sweep.lambda_handler({}, LambdaContext()) == {"ran": 0, "failed": 0}
    clock.advance(hours=1)
    assert sweep.lambda_handler({}, LambdaContext()) == {"ran": 1, "failed": 0}
    assert sweep.lambda_handler({}, LambdaContext()) == {"ran": 0, "failed": 0}  # finished jobs leave the index

    records = sqs_records(delivery_queue)
    assert sorted(len(jobs.Delivery.from_message(r["body"]).member_ids) for r in records) == [20, 50, 50]
    worker = load_handler("deliver_emails")
    assert worker.lambda_handler({"Records": records}, LambdaContext()) == {"batchItemFailures": []}
    assert len(outbox()) == 120


def test_one_failing_member_does_not_stop_the_chunk_and_redelivery_completes_it_without_duplicates(
    community, delivery_queue, clock, outbox
):
    from cerchia.store import get_store

    members = [f"m{number:02d}" for number in range(10)]
    get_store().schedule_job("test-fanout", "note-2", community.community_id, clock.now(), {"member_ids": members})
    load_handler("run_due_jobs").lambda_handler({}, LambdaContext())
    [record] = sqs_records(delivery_queue)
    jobs_support.FAIL_ONCE_FOR.add("m04")
    worker = load_handler("deliver_emails")

    first = worker.lambda_handler({"Records": [record]}, LambdaContext())
    assert first == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
    assert sorted(mail["To"].addresses[0].username for mail in outbox()) == [m for m in members if m != "m04"]

    second = worker.lambda_handler({"Records": [record]}, LambdaContext())  # the queue redelivers it
    assert second == {"batchItemFailures": []}
    recipients = [mail["To"].addresses[0].username for mail in outbox()]
    assert sorted(recipients) == members


def test_a_failing_job_backs_off_exponentially_then_is_parked_with_a_metric(
    community, delivery_queue, clock, monkeypatch, capsys
):
    from cerchia.store import get_store

    monkeypatch.setitem(dispatch.JOB_RUNNERS, "test-broken", jobs_support.gone)
    get_store().schedule_job("test-broken", "x", community.community_id, clock.now())
    started = clock.now()
    waits = []

    for _ in range(jobs.MAX_JOB_ATTEMPTS - 1):
        assert dispatch.run_due_jobs(clock.now()) == {"ran": 0, "failed": 1, "retried": 1}
        job = get_store().get_job("test-broken", "x")
        waits.append(job.due - clock.now())
        assert dispatch.run_due_jobs(job.due - timedelta(seconds=1)) == {"ran": 0, "failed": 0}  # not before its time
        clock.current = job.due
    capsys.readouterr()
    assert dispatch.run_due_jobs(clock.now()) == {"ran": 0, "failed": 1, "parked": 1}

    assert [wait.total_seconds() / 60 for wait in waits] == [1, 2, 4, 8, 16, 32, 60]  # doubling, capped at 1 h
    assert (clock.now() - started).total_seconds() / 3600 == pytest.approx(123 / 60)
    [parked] = get_store().parked_jobs()
    assert (parked.kind, parked.ref, parked.attempts, parked.parked) == (
        "test-broken",
        "x",
        jobs.MAX_JOB_ATTEMPTS,
        True,
    )
    assert "AttributeError" in parked.last_error
    assert get_store().due_jobs(clock.now() + timedelta(days=1)) == [
        job for job in get_store().due_jobs(clock.now() + timedelta(days=1)) if job.kind != "test-broken"
    ]
    assert '"JobsParked"' in capsys.readouterr().out


def test_a_parked_job_put_back_runs_at_the_next_sweep(community, clock, monkeypatch):
    from cerchia.store import get_store

    runs = []
    monkeypatch.setitem(dispatch.JOB_RUNNERS, "flaky", lambda job, now: runs.append(job.attempts))
    store = get_store()
    store.schedule_job("flaky", "f", community.community_id, clock.now())
    store.park_job(store.get_job("flaky", "f"), 8, "RuntimeError: the platform was down", clock.now())
    assert dispatch.run_due_jobs(clock.now()) == {"ran": 0, "failed": 0}

    requeued = store.requeue_job("flaky", "f", clock.now())

    assert (requeued.parked, requeued.attempts) == (False, 0)
    assert dispatch.run_due_jobs(clock.now()) == {"ran": 1, "failed": 0}
    assert runs == [0] and store.get_job("flaky", "f") is None and store.parked_jobs() == []
    assert store.requeue_job("flaky", "f", clock.now()) is None  # nothing parked by that name any more


def test_a_sweep_pages_through_every_due_job_not_only_the_first_hundred(community, clock, monkeypatch):
    from cerchia.store import get_store

    runs = []
    monkeypatch.setitem(dispatch.JOB_RUNNERS, "many", lambda job, now: runs.append(job.ref))
    for number in range(230):
        get_store().schedule_job("many", f"j{number:03d}", community.community_id, clock.now())

    counts = dispatch.run_due_jobs(clock.now())

    assert counts == {"ran": 230, "failed": 0}
    assert sorted(runs) == [f"j{number:03d}" for number in range(230)]


def test_a_sweep_starts_no_job_once_its_time_budget_is_spent(community, clock, monkeypatch):
    from cerchia.store import get_store

    elapsed = [0.0]

    def ten_seconds(job, now):
        elapsed[0] += 10

    monkeypatch.setitem(dispatch.JOB_RUNNERS, "slow", ten_seconds)
    for number in range(10):
        get_store().schedule_job("slow", f"s{number}", community.community_id, clock.now())

    counts = dispatch.run_due_jobs(clock.now(), timedelta(seconds=40), monotonic=lambda: elapsed[0])

    assert counts == {"ran": 4, "failed": 0, "left": 1}
    assert len(get_store().due_jobs(clock.now())) == 6 + len(
        [job for job in get_store().due_jobs(clock.now()) if job.kind != "slow"]
    )


def test_a_job_held_up_by_an_ses_outage_is_retried_and_never_parked(community, clock, monkeypatch):
    from cerchia.mail.sending import SendingUnavailable
    from cerchia.store import get_store

    def outage(job, now):
        raise SendingUnavailable("SendingPausedException", "SES cannot send for this account.")

    monkeypatch.setitem(dispatch.JOB_RUNNERS, "blocked", outage)
    get_store().schedule_job("blocked", "b", community.community_id, clock.now())

    for _ in range(3 * jobs.MAX_JOB_ATTEMPTS):
        dispatch.run_due_jobs(clock.now())
        clock.advance(seconds=jobs.OUTAGE_RETRY.total_seconds())

    job = get_store().get_job("blocked", "b")
    assert (job.parked, job.attempts) == (False, 0)
    assert get_store().parked_jobs() == []


def test_rescheduled_job_runs_again_at_its_next_instant(community, clock, monkeypatch):
    from cerchia.store import get_store

    runs = []
    monkeypatch.setitem(dispatch.JOB_RUNNERS, "weekly", lambda job, now: runs.append(now) or (now + timedelta(days=7)))
    get_store().schedule_job("weekly", "w", community.community_id, clock.now())

    dispatch.run_due_jobs(clock.now())
    clock.advance(days=6)
    dispatch.run_due_jobs(clock.now())
    clock.advance(days=1)
    dispatch.run_due_jobs(clock.now())

    assert len(runs) == 2

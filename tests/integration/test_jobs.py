"""The due sweep and the delivery queue: jobs run when due, chunks survive crashes without duplicates."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

import jobs_support
from cerchia import jobs
from support import LambdaContext, load_handler, sqs_records


@pytest.fixture
def delivery_queue(aws, monkeypatch):
    from cerchia import settings

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="delivery")["QueueUrl"]
    monkeypatch.setenv("DELIVERY_QUEUE_URL", url)
    settings.reset()
    monkeypatch.setitem(jobs.JOB_RUNNERS, "test-fanout", "jobs_support:fan_out")
    monkeypatch.setitem(jobs.DELIVERERS, "test-note", "jobs_support:note")
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


def test_chunk_that_crashes_part_way_is_completed_by_redelivery_without_duplicates(
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
    assert len(outbox()) == 4

    second = worker.lambda_handler({"Records": [record]}, LambdaContext())  # the queue redelivers it
    assert second == {"batchItemFailures": []}
    recipients = [mail["To"].addresses[0].username for mail in outbox()]
    assert sorted(recipients) == members


def test_a_failing_job_stays_due_for_the_next_sweep(community, delivery_queue, clock, monkeypatch):
    from cerchia.store import get_store

    monkeypatch.setitem(jobs.JOB_RUNNERS, "test-broken", "jobs_support:does_not_exist")
    get_store().schedule_job("test-broken", "x", community.community_id, clock.now())

    assert jobs.run_due_jobs(clock.now()) == {"ran": 0, "failed": 1}
    assert get_store().get_job("test-broken", "x") is not None


def test_rescheduled_job_runs_again_at_its_next_instant(community, clock, monkeypatch):
    from cerchia.store import get_store

    runs = []
    monkeypatch.setitem(jobs.JOB_RUNNERS, "weekly", "jobs_support:weekly")
    monkeypatch.setattr(
        jobs_support, "weekly", lambda job, now: runs.append(now) or (now + timedelta(days=7)), raising=False
    )
    get_store().schedule_job("weekly", "w", community.community_id, clock.now())

    jobs.run_due_jobs(clock.now())
    clock.advance(days=6)
    jobs.run_due_jobs(clock.now())
    clock.advance(days=1)
    jobs.run_due_jobs(clock.now())

    assert len(runs) == 2

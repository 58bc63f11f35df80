"""The local stack runs a template's functions as AWS would: HTTP routes, streams, queues, topics, schedules.

One stack (on a small fixture template, without the background pump) serves the whole module: every
step happens when a test settles or moves the clock, so nothing here waits on wall time.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

from cerchia_infra.local import LocalStack

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "local" / "template.yaml"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    local = LocalStack(tmp_path_factory.mktemp("state"), port=0, template_path=TEMPLATE, pump=False).start()
    try:
        yield local
    finally:
        local.stop()


def handler_module(stack: LocalStack, logical_id: str) -> ModuleType:
    runtime = stack.functions[logical_id]
    runtime.handler()  # loads it
    return sys.modules[runtime.module_name]


@pytest.fixture(autouse=True)
def fresh_records(stack: LocalStack) -> None:
    stack.settle()
    recorder = handler_module(stack, "RecorderFunction")
    recorder.BATCHES.clear()
    recorder.FAILED_ONCE.clear()
    worker = handler_module(stack, "WorkerFunction")
    worker.ATTEMPTS.clear()
    worker.DONE.clear()
    handler_module(stack, "TickFunction").EVENTS.clear()
    handler_module(stack, "TickFunction").NOWS.clear()
    handler_module(stack, "NoticeFunction").EVENTS.clear()
    handler_module(stack, "DailyFunction").EVENTS.clear()


def _keys(batches: list[list[dict[str, Any]]]) -> list[list[str]]:
    return [[r["dynamodb"]["Keys"]["pk"]["S"] for r in batch] for batch in batches]


def _put(stack: LocalStack, key: str, **attributes: str) -> None:
    item = {"pk": {"S": key}, **{name: {"S": value} for name, value in attributes.items()}}
    stack.client("dynamodb").put_item(TableName=stack.env["TABLE_NAME"], Item=item)


def _queue_counts(stack: LocalStack, logical_id: str) -> tuple[int, int]:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.resources.queues[logical_id].url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


# ---------------------------------------------------------------------- HTTP


def test_an_http_route_runs_its_handler_with_the_api_gateway_event_and_maps_the_answer(stack: LocalStack):
    response = requests.post(
        f"{stack.url}/things/t-http?colour=red&colour=blue",
        json={"kind": "other"},
        cookies={"session": "s1"},
        timeout=10,
    )

    assert response.status_code == 201
    assert response.headers["x-echo"] == "yes"
    assert response.cookies["seen"] == "1"
    echoed = response.json()
    event = echoed["event"]
    assert event["routeKey"] == "POST /things/{thing_id}"
    assert event["pathParameters"] == {"thing_id": "t-http"}
    assert event["queryStringParameters"] == {"colour": "red,blue"}
    assert event["cookies"] == ["session=s1"]
    assert json.loads(event["body"]) == {"kind": "other"}
    assert event["requestContext"]["domainName"] == stack.url.removeprefix("http://")
    assert 0 < echoed["remaining_ms"] <= 10_000


def test_a_greedy_path_and_an_answer_without_status_code(stack: LocalStack):
    file_event = requests.get(f"{stack.url}/files/a/b/c.txt", timeout=10).json()["event"]
    plain = requests.get(f"{stack.url}/plain", timeout=10)

    assert file_event["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert (plain.status_code, plain.json()) == (200, {"plain": True, "function": "cerchia-local-EchoFunction"})


def test_an_unknown_route_is_404_not_found(stack: LocalStack):
    response = requests.get(f"{stack.url}/nowhere", timeout=10)

    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})


def test_two_hundred_requests_at_once_all_succeed(stack: LocalStack):
    def get(_: int) -> int:
        return requests.get(f"{stack.url}/plain", timeout=30).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(get, range(200)))

    assert statuses == [200] * 200


# ---------------------------------------------------------------------- streams


def test_the_stream_filter_drops_records_that_do_not_match(stack: LocalStack):
    for key, kind in [("f-1", "wanted"), ("f-2", "other"), ("f-3", "wanted")]:
        requests.post(f"{stack.url}/things/{key}", json={"kind": kind}, timeout=10).raise_for_status()
    _put(stack, "f-1", kind="wanted", changed="yes")  # a MODIFY: the filter wants INSERTs only

    stack.settle()

    assert _keys(handler_module(stack, "RecorderFunction").BATCHES) == [["f-1", "f-3"]]


def test_a_partial_batch_failure_retries_only_from_the_failed_record_on(stack: LocalStack):
    _put(stack, "p-a", kind="wanted")
    _put(stack, "p-b", kind="wanted", fail="once")
    _put(stack, "p-c", kind="wanted")

    stack.settle()

    assert _keys(handler_module(stack, "RecorderFunction").BATCHES) == [["p-a", "p-b", "p-c"], ["p-b", "p-c"]]


def test_a_record_that_keeps_failing_goes_to_the_on_failure_queue_after_the_retries(stack: LocalStack):
    _put(stack, "x-fine", kind="wanted")
    _put(stack, "x-poison", kind="wanted", fail="always")
    _put(stack, "x-after", kind="wanted")

    stack.settle()

    # As Lambda: the batch from the failed record on is retried, then given up on as a whole.
    batches = _keys(handler_module(stack, "RecorderFunction").BATCHES)
    assert batches == [["x-fine", "x-poison", "x-after"], ["x-poison", "x-after"], ["x-poison", "x-after"]]
    failures = (
        stack.client("sqs")
        .receive_message(QueueUrl=stack.resources.queues["RecorderFailureQueue"].url, MaxNumberOfMessages=10)
        .get("Messages", [])
    )
    [failure] = [json.loads(m["Body"]) for m in failures]
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2


# ---------------------------------------------------------------------- queues and topics


def test_a_queue_message_that_fails_once_is_retried_and_then_deleted(stack: LocalStack):
    sqs = stack.client("sqs")
    for body in ("job-1", "job-2"):
        sqs.send_message(QueueUrl=stack.resources.queues["WorkQueue"].url, MessageBody=body)

    stack.settle()

    worker = handler_module(stack, "WorkerFunction")
    assert worker.ATTEMPTS == {"job-1": 2, "job-2": 2}
    assert sorted(worker.DONE) == ["job-1", "job-2"]
    assert _queue_counts(stack, "WorkQueue") == (0, 0)
    assert _queue_counts(stack, "WorkDeadLetterQueue") == (0, 0)


def test_a_message_that_always_fails_lands_in_the_dead_letter_queue_after_max_receive_count(stack: LocalStack):
    stack.client("sqs").send_message(QueueUrl=stack.resources.queues["WorkQueue"].url, MessageBody="poison")

    stack.settle()

    assert handler_module(stack, "WorkerFunction").ATTEMPTS == {"poison": 3}
    assert _queue_counts(stack, "WorkQueue") == (0, 0)
    assert _queue_counts(stack, "WorkDeadLetterQueue") == (1, 0)
    stack.client("sqs").purge_queue(QueueUrl=stack.resources.queues["WorkDeadLetterQueue"].url)


def test_a_topic_notification_reaches_its_function_as_an_sns_event(stack: LocalStack):
    topic = stack.resources.topics["Notices"].arn
    stack.client("sns").publish(TopicArn=topic, Message="hello", Subject="Greeting")

    stack.settle()

    [event] = handler_module(stack, "NoticeFunction").EVENTS
    [record] = event["Records"]
    assert record["EventSource"] == "aws:sns"
    assert (record["Sns"]["Message"], record["Sns"]["Subject"], record["Sns"]["TopicArn"]) == (
        "hello",
        "Greeting",
        topic,
    )
    assert record["Sns"]["Type"] == "Notification"


# ---------------------------------------------------------------------- time


def test_a_fifteen_minute_schedule_fires_exactly_four_times_in_an_hour(stack: LocalStack):
    now = stack.now()
    boundary = datetime.fromtimestamp((now.timestamp() // 900 + 1) * 900, UTC)
    stack.set_time(boundary + timedelta(seconds=1))
    tick = handler_module(stack, "TickFunction")
    tick.EVENTS.clear()
    tick.NOWS.clear()

    stack.advance(3600)

    times = [datetime.fromisoformat(e["time"].replace("Z", "+00:00")) for e in tick.EVENTS]
    assert times == [boundary + timedelta(minutes=15 * n) for n in (1, 2, 3, 4)]
    assert tick.EVENTS[0]["source"] == "aws.scheduler"
    assert [abs((seen - at).total_seconds()) < 1 for seen, at in zip(tick.NOWS, times, strict=True)] == [True] * 4


def test_a_scheduler_resource_fires_its_target_function_with_its_input(stack: LocalStack):
    stack.advance(86400)

    assert handler_module(stack, "DailyFunction").EVENTS == [{"job": "daily"}]
    assert handler_module(stack, "TickFunction").EVENTS != []  # its own schedule, not this one


def test_the_clock_moves_forward_only(stack: LocalStack):
    before = requests.get(f"{stack.url}/_local/clock", timeout=10).json()["now"]

    back = requests.post(f"{stack.url}/_local/clock", json={"now": "2000-01-01T00:00:00Z"}, timeout=10)
    negative = requests.post(f"{stack.url}/_local/clock", json={"advance": -1}, timeout=10)
    forward = requests.post(f"{stack.url}/_local/clock", json={"advance": 120}, timeout=30)

    assert back.status_code == 400 and "never moves back" in back.json()["message"]
    assert negative.status_code == 400 and "never moves back" in negative.json()["message"]
    assert forward.status_code == 200
    assert forward.json()["now"] > before


# ---------------------------------------------------------------------- invoke, outbox, environment


def test_the_invoke_route_runs_a_function_with_the_posted_event(stack: LocalStack):
    ok = requests.post(f"{stack.url}/_local/invoke/NoticeFunction", json={"Records": []}, timeout=10)
    failing = requests.post(f"{stack.url}/_local/invoke/NoticeFunction", json={"boom": True}, timeout=10)
    unknown = requests.post(f"{stack.url}/_local/invoke/NoSuchFunction", json={}, timeout=10)

    assert (ok.status_code, ok.json()) == (200, {"received": 0})
    assert failing.status_code == 500 and "boom was asked for" in failing.json()["errorMessage"]
    assert unknown.status_code == 404


def test_sent_emails_land_in_the_outbox_with_their_virtual_send_time(stack: LocalStack):
    stack.advance(86400)
    mail = {
        "to": "giulia@example.com",
        "subject": "Benvenuta <3",
        "kind": "welcome",
        "text": "Ciao!",
        "html": "<p>Ciao!</p>",
    }

    sent = requests.post(f"{stack.url}/mail", json=mail, timeout=10)
    outbox = requests.get(f"{stack.url}/_local/outbox", timeout=10).json()

    assert sent.status_code == 202
    email = outbox[-1]
    assert (email["to"], email["subject"], email["kind"]) == ("giulia@example.com", "Benvenuta <3", "welcome")
    assert email["text"].strip() == "Ciao!" and email["html"].strip() == "<p>Ciao!</p>"
    assert email["headers"]["X-Cerchia-Kind"] == "welcome"
    sent_at = datetime.fromisoformat(email["sent_at"].replace("Z", "+00:00"))
    assert sent_at > datetime.now(UTC) + timedelta(hours=23)
    folder = stack.state_dir / "outbox"
    assert (folder / email["file"]).is_file()
    assert "Benvenuta &lt;3" in (folder / "index.html").read_text()


def test_functions_see_resolved_environment_and_the_link_secret_by_value(stack: LocalStack):
    secret_arn = stack.env["LINK_SECRET_ARN"]
    secret = stack.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    written = json.loads((stack.state_dir / "stack.json").read_text())

    assert stack.env["LINK_SECRET"] == secret and len(secret) == 40
    assert stack.env["PUBLIC_BASE_URL"] == stack.url
    assert stack.env["STAGE"] == "local"
    assert stack.env["WORK_QUEUE_URL"] == stack.resources.queues["WorkQueue"].url
    assert written["api_url"] == stack.url
    assert written["table_name"] == stack.env["TABLE_NAME"]
    assert written["env"] == stack.env

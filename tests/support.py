"""Helpers shared by the tests: realistic events, signed requests, a movable clock."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).parent / "events"
ROOT = Path(__file__).parent.parent


def event(fixture: str, /, **data_overrides: Any) -> dict[str, Any]:
    """A realistic platform event from tests/events, with some data fields changed."""
    body = json.loads((EVENTS / f"{fixture}.json").read_text())
    body = copy.deepcopy(body)
    body["data"].update(data_overrides)
    return body


def sign(secret: str, body: bytes, webhook_id: str | None = None, at: datetime | None = None) -> dict[str, str]:
    from standardwebhooks.webhooks import Webhook

    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body.decode()),
        "content-type": "application/json",
    }


def http_event(
    method: str,
    path: str,
    route: str,
    path_parameters: dict[str, str],
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as the real service sends it."""
    now = datetime.now(UTC)
    return {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {k.lower(): v for k, v in (headers or {}).items()},
        "pathParameters": path_parameters,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "pytest",
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": base64.b64encode(body).decode() if body else "",
        "isBase64Encoded": bool(body),
    }


def webhook_request(
    community_id: str,
    secret: str,
    body: dict[str, Any] | bytes,
    webhook_id: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    path = f"/v1/communities/{community_id}/events"
    return http_event(
        "POST",
        path,
        "/v1/communities/{community_id}/events",
        {"community_id": community_id},
        raw,
        sign(secret, raw, webhook_id, at),
    )


@dataclass
class LambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    aws_request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class MovableClock:
    """Virtual time for tests: starts at a fixed instant and moves only when told."""

    current: datetime = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def load_handler(name: str) -> Any:
    """Import functions/<name>/handler.py the way Lambda does (its folder is the code root)."""
    import importlib.util

    path = ROOT / "functions" / name / "handler.py"
    spec = importlib.util.spec_from_file_location(f"handler_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sqs_records(url: str) -> list[dict[str, Any]]:
    """Everything on a queue, received and deleted, as the records of Lambda's SQS event."""
    import boto3

    sqs = boto3.client("sqs")
    records: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return records
        for message in batch:
            records.append({
                "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:delivery", "awsRegion": "eu-west-1",
            })  # fmt: skip
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

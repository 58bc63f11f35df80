"""The world every bench section measures in: what a function sees in Lambda, its events and handlers.

Shared by `cerchia_infra.bench` and its sections in their own modules (bench_cold, bench_dynamo,
bench_digests, bench_nudges), so none of them imports another.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from standardwebhooks import Webhook

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "eu-west-1"

# What a function sees in Lambda (template.yaml's Globals), with values that need no AWS.
LAMBDA_ENV = {
    "STAGE": "bench",
    "TABLE_NAME": "cerchia-bench",
    "SENDER_ADDRESS": "cerchia@example.org",
    "CONFIGURATION_SET": "cerchia-bench",
    "LINK_SECRET": "bench-link-secret-0123456789abcdef",
    "PUBLIC_BASE_URL": "https://cerchia.example",
    "POWERTOOLS_SERVICE_NAME": "cerchia",
    "POWERTOOLS_METRICS_NAMESPACE": "Cerchia",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
    # Metrics would print their EMF JSON lines between the tables.
    "POWERTOOLS_METRICS_DISABLED": "true",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class Unavailable(Exception):
    """A section's code is not there yet (or cannot run here); the message says what is missing."""


class LambdaContext:
    """What the Lambda runtime passes the ingest function as `context`."""

    function_name = "IngestEventFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:IngestEventFunction"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def http_api_event(community_id: str, secret: str, body: str, webhook_id: str) -> dict[str, Any]:
    """A signed webhook as API Gateway HTTP API (payload 2.0) hands it to the function."""
    now = datetime.now(UTC)
    path = f"/v1/communities/{community_id}/events"
    return {
        "version": "2.0",
        "routeKey": "POST /v1/communities/{community_id}/events",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(webhook_id, now, body),
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "bench.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "bench",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "cerchia-bench",
            },
            "requestId": webhook_id,
            "routeKey": "POST /v1/communities/{community_id}/events",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "pathParameters": {"community_id": community_id},
        "body": body,
        "isBase64Encoded": False,
    }


def load_handler(name: str) -> ModuleType:
    path = ROOT / "functions" / name / "handler.py"
    if not path.exists():
        raise Unavailable(f"functions/{name}/handler.py does not exist yet")
    spec = importlib.util.spec_from_file_location(f"cerchia_bench_{name}_handler", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def lambda_environment() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in [*LAMBDA_ENV, "AWS_ENDPOINT_URL", "AWS_PROFILE"]}
    os.environ.update(LAMBDA_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

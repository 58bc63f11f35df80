"""Helpers for the nudge tests: the sweep and due-job handlers, settings written straight to the table."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from support import EVENTS, LambdaContext, load_handler

TABLE = "cerchia-test"
REGION = "eu-west-1"


def scheduled_event(at: datetime | None = None) -> dict[str, Any]:
    """What EventBridge Scheduler hands the sweep (tests/events/nudges_schedule.json)."""
    body = json.loads((EVENTS / "nudges_schedule.json").read_text())
    body = copy.deepcopy(body)
    if at is not None:
        body["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return body


class Sweeper:
    """Runs functions/flag_unanswered_posts as the scheduler would."""

    def __init__(self) -> None:
        self.module = load_handler("flag_unanswered_posts")

    def __call__(self) -> dict[str, int]:
        return dict(self.module.lambda_handler(scheduled_event(), LambdaContext()))


class DueJobs:
    """Runs functions/run_due_jobs as its every-minute schedule would."""

    def __init__(self) -> None:
        self.module = load_handler("run_due_jobs")

    def __call__(self) -> dict[str, int]:
        return dict(self.module.lambda_handler(scheduled_event(), LambdaContext()))


def _update(key: dict[str, str], values: dict[str, Any]) -> None:
    import boto3

    from cerchia.store.codec import to_value

    names = {f"#a{i}": name for i, name in enumerate(values)}
    client = boto3.client("dynamodb", region_name=REGION)
    client.update_item(
        TableName=TABLE,
        Key={k: {"S": v} for k, v in key.items()},
        UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":v{i}": to_value(value) for i, value in enumerate(values.values())},
    )


def set_community(community_id: str, **settings: Any) -> None:
    """Change a community's settings (what an operator would do; there is no settings API yet)."""
    from cerchia.store import keys

    _update(keys.community(community_id), settings)


def set_member(community_id: str, member_id: str, **fields: Any) -> None:
    """Change a member's stored preferences (what the preference page saves)."""
    from cerchia.store import keys

    _update(keys.member(community_id, member_id), fields)


def kind(messages: list[Any], wanted: str) -> list[Any]:
    return [message for message in messages if message["X-Cerchia-Kind"] == wanted]


def to(messages: list[Any], address: str) -> list[Any]:
    return [message for message in messages if message["To"].addresses[0].addr_spec == address]


def text(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content()).replace("\r\n", "\n")  # lines end with CRLF on the wire


def html(message: Any) -> str:
    return str(message.get_body(("html",)).get_content()).replace("\r\n", "\n")  # lines end with CRLF on the wire


def write_posts(community_id: str, total: int, unanswered: int, now: datetime) -> None:
    """Posts straight into the table as ingest leaves them (fast); the newest `unanswered` are due at `now`."""
    import boto3

    from cerchia_infra.bench_nudges import write_posts as write

    write(boto3.client("dynamodb", region_name=REGION), TABLE, community_id, total, unanswered, now, authors=3)

"""Handlers under moto: the table is created from template.yaml's own properties."""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from support import ROOT, LambdaContext, MovableClock, load_handler, webhook_request

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ENV = {
    "TABLE_NAME": "cerchia-test",
    "SENDER_ADDRESS": "hello@cerchia.example",
    "PUBLIC_BASE_URL": "https://cerchia.example",
    "CONFIGURATION_SET": "cerchia-test",
    "LINK_SECRET": "test-link-secret-0123456789",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_SERVICE_NAME": "cerchia",
}


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    from cerchia import clock as cerchia_clock

    movable = MovableClock()
    cerchia_clock.use(movable.now)
    yield movable
    cerchia_clock.use(None)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import boto3
    from moto import mock_aws

    from cerchia import runtime
    from cerchia_infra.template_table import create_table_from_template

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        runtime.reset()
        create_table_from_template(
            boto3.client("dynamodb", region_name=REGION), ROOT / "template.yaml", ENV["TABLE_NAME"]
        )
        ses = boto3.client("sesv2", region_name=REGION)
        ses.create_email_identity(EmailIdentity=ENV["SENDER_ADDRESS"])
        ses.create_configuration_set(ConfigurationSetName=ENV["CONFIGURATION_SET"])
        yield
    runtime.reset()


@dataclass
class Community:
    community_id: str
    webhook_secret: str
    api_key: str


@pytest.fixture
def community(aws: None, clock: MovableClock) -> Community:
    from cerchia.communities import create_community

    created = create_community(
        name="Lievito & Co.",
        timezone="Europe/Rome",
        locale="it",
        leader_email="marco.bianchi@example.com",
        leader_name="Marco Bianchi",
        purpose="Panificatori di casa che si scambiano ricette e consigli.",
    )
    return Community(created.community_id, created.webhook_secret, created.api_key)


@pytest.fixture
def english_community(aws: None, clock: MovableClock) -> Community:
    from cerchia.communities import create_community

    created = create_community(
        name="Trail Runners <Bay Area>",
        timezone="America/Los_Angeles",
        locale="en",
        leader_email="sam.lee@example.com",
        leader_name="Sam Lee",
    )
    return Community(created.community_id, created.webhook_secret, created.api_key)


@pytest.fixture
def ingest() -> Any:
    module = load_handler("ingest_event")

    def post(community: Community, body: Any, webhook_id: str | None = None, **kwargs: Any) -> dict[str, Any]:
        response = module.lambda_handler(
            webhook_request(community.community_id, community.webhook_secret, body, webhook_id, **kwargs),
            LambdaContext(),
        )
        response["json"] = json.loads(response["body"]) if response.get("body") else None
        return response

    return post


def sent_emails() -> list[email.message.EmailMessage]:
    from moto.ses.models import ses_backends

    return [
        email.message_from_bytes(
            message.raw_data if isinstance(message.raw_data, bytes) else message.raw_data.encode(),
            policy=email.policy.default,
        )
        for message in ses_backends[ACCOUNT][REGION].sent_messages
    ]


@pytest.fixture
def outbox() -> Any:
    return sent_emails


def stream_records(*item_keys: dict[str, str], event_name: str = "INSERT") -> dict[str, Any]:
    """A stream event carrying the table's current images of these items, as DynamoDB Streams sends it."""
    import boto3

    client = boto3.client("dynamodb", region_name=REGION)
    records = []
    for number, key in enumerate(item_keys):
        item = client.get_item(TableName=ENV["TABLE_NAME"], Key={k: {"S": v} for k, v in key.items()})["Item"]
        records.append(
            {
                "eventID": f"event-{number}",
                "eventName": event_name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": REGION,
                "dynamodb": {
                    "Keys": {"pk": item["pk"], "sk": item["sk"]},
                    "NewImage": item,
                    "SequenceNumber": f"{number + 1:021d}",
                    "SizeBytes": 100,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{ENV['TABLE_NAME']}/stream/x",
            }
        )
    return {"Records": records}


@pytest.fixture
def welcome() -> Any:
    module = load_handler("welcome_member")

    def run(community_id: str, *member_ids: str) -> dict[str, Any]:
        from cerchia.store import keys

        event = stream_records(*(keys.member(community_id, member_id) for member_id in member_ids))
        return dict(module.lambda_handler(event, LambdaContext()))

    return run

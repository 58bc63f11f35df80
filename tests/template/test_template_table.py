"""The emulated table is template.yaml's table: keys, indexes, stream, TTL and backups."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cerchia_infra.template_table import create_table_from_template, create_table_kwargs, table_properties

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "eu-west-1"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def write_template(tmp_path: Path, tables: dict[str, dict[str, Any]]) -> Path:
    path = tmp_path / "template.json"
    resources = {name: {"Type": "AWS::DynamoDB::Table", "Properties": props} for name, props in tables.items()}
    path.write_text(json.dumps({"Resources": resources}))
    return path


SIMPLE = {
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
}


def test_table_created_from_template_has_its_indexes_stream_ttl_and_backups(dynamodb: Any) -> None:
    description = create_table_from_template(dynamodb, TEMPLATE, "cerchia-test")

    declared = table_properties(TEMPLATE)
    assert description["TableName"] == "cerchia-test"
    assert description["KeySchema"] == declared["KeySchema"]
    assert {index["IndexName"] for index in description["GlobalSecondaryIndexes"]} == {
        index["IndexName"] for index in declared["GlobalSecondaryIndexes"]
    }
    assert description["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    ttl = dynamodb.describe_time_to_live(TableName="cerchia-test")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    backups = dynamodb.describe_continuous_backups(TableName="cerchia-test")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_provisioned_table_without_extras_is_created_as_declared(dynamodb: Any, tmp_path: Path) -> None:
    throughput = {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}
    template = write_template(tmp_path, {"Other": {**SIMPLE, "ProvisionedThroughput": throughput, "Tags": []}})

    description = create_table_from_template(dynamodb, template, "plain")

    assert description["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert "StreamSpecification" not in description
    ttl = dynamodb.describe_time_to_live(TableName="plain")["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_sse_settings_are_translated_to_create_table_names() -> None:
    properties = {
        **SIMPLE,
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/cerchia"},
    }
    kwargs = create_table_kwargs(properties, "t")
    assert kwargs["SSESpecification"] == {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/cerchia"}
    assert "ProvisionedThroughput" not in kwargs


def test_a_property_it_cannot_emulate_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="ImportSourceSpecification"):
        create_table_kwargs({**SIMPLE, "ImportSourceSpecification": {}}, "t")


def test_several_tables_need_a_logical_id(tmp_path: Path) -> None:
    template = write_template(tmp_path, {"A": SIMPLE, "B": {**SIMPLE, "BillingMode": "PAY_PER_REQUEST"}})

    with pytest.raises(ValueError, match="pass logical_id"):
        table_properties(template)
    assert table_properties(template, "B")["BillingMode"] == "PAY_PER_REQUEST"
    with pytest.raises(ValueError, match="no AWS::DynamoDB::Table named 'C'"):
        table_properties(template, "C")

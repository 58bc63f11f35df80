"""Create the DynamoDB table exactly as template.yaml declares it, for tests, the bench and emulators.

The table's keys, indexes, stream, TTL and backups come from the template's own `AWS::DynamoDB::Table`
properties, so what runs under moto cannot drift from what `sam deploy` creates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cfn_tools import load_yaml

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

TABLE_TYPE = "AWS::DynamoDB::Table"

# Properties that change nothing an emulated table can show (names, tags, throughput and
# monitoring settings, deletion guards); CloudFormation applies them, local copies skip them.
_NOT_EMULATED = frozenset(
    {
        "TableName",
        "Tags",
        "ContributorInsightsSpecification",
        "KinesisStreamSpecification",
        "DeletionProtectionEnabled",
        "ResourcePolicy",
        "WarmThroughput",
        "OnDemandThroughput",
        "TableClass",
    }
)


def load_template(template_path: str | Path) -> dict[str, Any]:
    """The template as plain dicts and lists (short-form intrinsics such as `!Ref` become `{"Ref": ...}`)."""
    text = Path(template_path).read_text(encoding="utf-8")
    # load_yaml returns ordered dicts with CloudFormation node types; JSON gives plain containers.
    return json.loads(json.dumps(load_yaml(text)))


def table_properties(template_path: str | Path, logical_id: str | None = None) -> dict[str, Any]:
    """Properties of the template's table: `logical_id`'s, or the only `AWS::DynamoDB::Table`."""
    resources = load_template(template_path).get("Resources", {})
    tables = {name: body for name, body in resources.items() if body.get("Type") == TABLE_TYPE}
    if logical_id is not None:
        if logical_id not in tables:
            raise ValueError(f"{template_path} has no {TABLE_TYPE} named {logical_id!r}; it has {sorted(tables)}.")
        return dict(tables[logical_id].get("Properties", {}))
    if len(tables) != 1:
        raise ValueError(
            f"{template_path} declares {len(tables)} DynamoDB tables ({sorted(tables)}); pass logical_id to pick one."
        )
    return dict(next(iter(tables.values())).get("Properties", {}))


def create_table_kwargs(properties: dict[str, Any], table_name: str) -> dict[str, Any]:
    """Translate CloudFormation table properties into `CreateTable` arguments."""
    unknown = (
        set(properties)
        - _NOT_EMULATED
        - {
            "AttributeDefinitions",
            "KeySchema",
            "BillingMode",
            "ProvisionedThroughput",
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
            "StreamSpecification",
            "SSESpecification",
            "TimeToLiveSpecification",
            "PointInTimeRecoverySpecification",
        }
    )
    if unknown:
        raise ValueError(
            f"template_table does not know how to emulate table properties {sorted(unknown)}; "
            "teach create_table_kwargs about them (or list them in _NOT_EMULATED)."
        )
    billing_mode = properties.get("BillingMode", "PROVISIONED")
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": billing_mode,
    }
    if billing_mode == "PROVISIONED":
        kwargs["ProvisionedThroughput"] = properties["ProvisionedThroughput"]
    for indexes in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if properties.get(indexes):
            kwargs[indexes] = properties[indexes]
    stream = properties.get("StreamSpecification")
    if stream:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    sse = properties.get("SSESpecification")
    if sse:
        kwargs["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled", False))}
        if "SSEType" in sse:
            kwargs["SSESpecification"]["SSEType"] = sse["SSEType"]
        if "KMSMasterKeyId" in sse:
            kwargs["SSESpecification"]["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
    return kwargs


def create_table_from_template(
    client: DynamoDBClient | Any,
    template_path: str | Path,
    table_name: str,
    logical_id: str | None = None,
) -> dict[str, Any]:
    """Create `table_name` with the template's table definition, TTL and point-in-time recovery.

    Returns the table description (`DescribeTable`'s `Table`) once the table is active.
    """
    properties = table_properties(template_path, logical_id)
    client.create_table(**create_table_kwargs(properties, table_name))
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    pitr = properties.get("PointInTimeRecoverySpecification")
    if pitr and pitr.get("PointInTimeRecoveryEnabled"):
        client.update_continuous_backups(
            TableName=table_name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    return dict(client.describe_table(TableName=table_name)["Table"])

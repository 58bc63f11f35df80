"""template.yaml is valid (cfn-lint, sam validate) and keeps the promises the design makes about it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cerchia_infra.template_table import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
SAM = ROOT / ".tools" / "sam" / "bin" / "sam"
REGION = "eu-west-1"
STREAM_SOURCES = {"DynamoDB", "Kinesis"}
BATCH_SOURCES = STREAM_SOURCES | {"SQS"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == resource_type}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = resources_of_type(template, "AWS::Serverless::Function")
    assert found, "template.yaml declares no AWS::Serverless::Function"
    return found


def table(template: dict[str, Any]) -> dict[str, Any]:
    tables = resources_of_type(template, "AWS::DynamoDB::Table")
    assert list(tables) == ["Table"], f"expected one DynamoDB table named Table, found {sorted(tables)}"
    return tables["Table"]["Properties"]


def run_tool(*command: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": REGION}
    return subprocess.run(
        [str(part) for part in command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def sam() -> Path:
    if not SAM.exists():
        pytest.fail(f"SAM CLI not found at {SAM}: run `make tools` (make test does it for you).")
    return SAM


# ------------------------------------------------------------------ linters


def test_cfn_lint_finds_nothing() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    assert cfn_lint.exists(), f"cfn-lint is missing from {cfn_lint.parent}: run `make venv`"
    result = run_tool(cfn_lint, TEMPLATE)
    assert result.returncode == 0, f"cfn-lint found problems:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("extra", [[], ["--lint"]], ids=["sam-validate", "sam-validate-lint"])
def test_sam_validate_accepts_the_template(extra: list[str]) -> None:
    result = run_tool(sam(), "validate", "--template", TEMPLATE, "--region", REGION, *extra)
    assert result.returncode == 0, f"sam validate {' '.join(extra)} failed:\n{result.stdout}{result.stderr}"
    assert "is a valid SAM Template" in result.stdout


# ------------------------------------------------------------------ the table


def test_table_streams_new_and_old_images(template: dict[str, Any]) -> None:
    assert table(template)["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_table_expires_items_on_expires_at(template: dict[str, Any]) -> None:
    assert table(template)["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_table_has_point_in_time_recovery(template: dict[str, Any]) -> None:
    assert table(template)["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_table_is_on_demand(template: dict[str, Any]) -> None:
    assert table(template)["BillingMode"] == "PAY_PER_REQUEST"


def test_table_has_the_unanswered_due_and_timeline_indexes(template: dict[str, Any]) -> None:
    properties = table(template)
    indexes = {index["IndexName"]: index for index in properties.get("GlobalSecondaryIndexes", [])}
    assert {"unanswered", "due", "timeline"} <= set(indexes)
    defined = {attribute["AttributeName"] for attribute in properties["AttributeDefinitions"]}
    for name, index in indexes.items():
        keys = {key["AttributeName"] for key in index["KeySchema"]}
        assert keys <= defined, f"index {name} uses undefined attributes {sorted(keys - defined)}"


# ------------------------------------------------------------------ functions


def test_functions_run_python313_on_arm64(template: dict[str, Any]) -> None:
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["arm64"]
    overriding = {
        name: {key: body["Properties"][key] for key in ("Runtime", "Architectures") if key in body["Properties"]}
        for name, body in functions(template).items()
    }
    overriding = {name: keys for name, keys in overriding.items() if keys}
    assert not overriding, f"functions override the global runtime or architecture: {overriding}"


def test_every_function_folder_is_deployed_by_the_template(template: dict[str, Any]) -> None:
    declared = {(ROOT / body["Properties"]["CodeUri"]).resolve() for body in functions(template).values()}
    folders = {path.parent.resolve() for path in (ROOT / "functions").glob("*/handler.py")}
    assert not folders - declared, (
        f"handlers no function in template.yaml deploys: {sorted(str(p.relative_to(ROOT)) for p in folders - declared)}"
    )
    assert not {path for path in declared if not (path / "handler.py").is_file()}, "a CodeUri has no handler.py"


def test_every_function_has_a_log_group_with_retention(template: dict[str, Any]) -> None:
    log_groups = resources_of_type(template, "AWS::Logs::LogGroup").values()
    retained = {
        str(group["Properties"].get("LogGroupName"))
        for group in log_groups
        if group["Properties"].get("RetentionInDays") is not None
    }
    missing = [name for name in functions(template) if str({"Fn::Sub": f"/aws/lambda/${{{name}}}"}) not in retained]
    assert not missing, (
        f"functions without a LogGroup named !Sub /aws/lambda/${{Function}} with RetentionInDays: {missing}"
    )


def events(template: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for function_name, body in functions(template).items():
        for event_name, event in body["Properties"].get("Events", {}).items():
            yield f"{function_name}.{event_name}", event["Type"], event.get("Properties", {})


def test_batch_event_sources_report_item_failures(template: dict[str, Any]) -> None:
    offenders = [
        name
        for name, source_type, properties in events(template)
        if source_type in BATCH_SOURCES and "ReportBatchItemFailures" not in properties.get("FunctionResponseTypes", [])
    ]
    assert not offenders, f"stream/queue events without FunctionResponseTypes [ReportBatchItemFailures]: {offenders}"


def test_stream_event_sources_bisect_bound_retries_and_keep_failures(template: dict[str, Any]) -> None:
    problems = []
    for name, source_type, properties in events(template):
        if source_type not in STREAM_SOURCES:
            continue
        if properties.get("BisectBatchOnFunctionError") is not True:
            problems.append(f"{name}: BisectBatchOnFunctionError is not true")
        if not properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"):
            problems.append(f"{name}: no DestinationConfig.OnFailure destination")
        if properties.get("MaximumRetryAttempts", -1) == -1:
            problems.append(f"{name}: retries are unbounded (set MaximumRetryAttempts)")
    assert not problems, "\n".join(problems)


def test_queues_consumed_by_functions_have_a_dead_letter_queue(template: dict[str, Any]) -> None:
    queues = resources_of_type(template, "AWS::SQS::Queue")
    problems = []
    for name, source_type, properties in events(template):
        if source_type != "SQS":
            continue
        queue = properties.get("Queue")
        logical_id = queue.get("Fn::GetAtt", [None])[0] if isinstance(queue, dict) else None
        if logical_id not in queues:
            problems.append(f"{name}: its queue is not a queue of this template ({queue})")
        elif "RedrivePolicy" not in queues[logical_id].get("Properties", {}):
            problems.append(f"{name}: queue {logical_id} has no RedrivePolicy (dead-letter queue)")
    assert not problems, "\n".join(problems)


def policy_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every IAM statement anywhere in the template, with where it was found."""

    def walk(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(node, dict):
            if "Effect" in node and ("Action" in node or "NotAction" in node):
                yield where, node
            for key, value in node.items():
                yield from walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for position, value in enumerate(node):
                yield from walk(value, f"{where}[{position}]")

    yield from walk(template["Resources"], "Resources")


def test_every_function_policy_is_an_inline_statement_list(template: dict[str, Any]) -> None:
    problems = []
    for name, body in functions(template).items():
        properties = body["Properties"]
        if "Role" in properties:
            problems.append(f"{name}: uses an external Role; declare inline Policies instead")
        policies = properties.get("Policies", [])
        if not isinstance(policies, list):
            policies = [policies]
        for policy in policies:
            # A string is a managed policy; a dict without Statement is a SAM policy template
            # (DynamoDBCrudPolicy and friends), which grants far more than a function needs.
            if not (isinstance(policy, dict) and set(policy) == {"Statement"}):
                problems.append(f"{name}: policy {policy} is not an inline {{Statement: [...]}}")
    assert not problems, "\n".join(problems)


def test_no_policy_grants_wildcard_actions_or_scan(template: dict[str, Any]) -> None:
    problems = []
    for where, statement in policy_statements(template):
        if "NotAction" in statement:
            problems.append(f"{where}: NotAction grants everything else")
        actions = statement.get("Action", [])
        for action in [actions] if isinstance(actions, str) else actions:
            if "*" in str(action):
                problems.append(f"{where}: wildcard action {action}")
            if str(action).lower() in {"dynamodb:scan", "dynamodb:partiqlselect"}:
                problems.append(f"{where}: {action} (time-driven work queries indexes; nothing scans)")
    assert not problems, "\n".join(problems)


def test_policy_scan_check_catches_a_crud_template_and_a_scan() -> None:
    bad = {
        "Resources": {
            "F": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Policies": [
                        {"DynamoDBCrudPolicy": {"TableName": "t"}},
                        {"Statement": [{"Effect": "Allow", "Action": ["dynamodb:Scan", "s3:*"]}]},
                    ]
                },
            }
        }
    }
    actions = [statement["Action"] for _, statement in policy_statements(bad)]
    assert actions == [["dynamodb:Scan", "s3:*"]]
    with pytest.raises(AssertionError, match="DynamoDBCrudPolicy"):
        test_every_function_policy_is_an_inline_statement_list(bad)
    with pytest.raises(AssertionError, match=r"dynamodb:Scan[\s\S]*s3:\*|s3:\*[\s\S]*dynamodb:Scan"):
        test_no_policy_grants_wildcard_actions_or_scan(bad)


# ------------------------------------------------------------------ runtime code


SCAN_PATTERNS = [
    re.compile(r"\.scan\("),
    re.compile(r"\bscan\("),
    re.compile(r"""["']Scan["']"""),
    re.compile(r"""["']scan["']"""),  # get_paginator("scan")
]


def scan_uses(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if any(pattern.search(line) for pattern in SCAN_PATTERNS)]


def test_scan_detector_recognises_every_way_to_scan() -> None:
    code = 'client.scan(TableName=t)\ntable.scan()\nop = "Scan"\nclient.get_paginator("scan")\n'
    assert len(scan_uses(code)) == 4
    assert scan_uses("client.query(IndexName='due')  # ScanIndexForward=False\n") == []


def test_runtime_code_never_scans_the_table() -> None:
    sources = sorted((ROOT / "shared" / "cerchia").rglob("*.py")) + sorted((ROOT / "functions").rglob("*.py"))
    assert sources, "no runtime code found under shared/cerchia or functions"
    found = {
        str(path.relative_to(ROOT)): uses for path in sources if (uses := scan_uses(path.read_text(encoding="utf-8")))
    }
    assert not found, f"runtime code uses Scan (query an index instead): {found}"


# ------------------------------------------------------------------ deploy settings


def test_samconfig_deploys_a_named_stack_with_iam_capability() -> None:
    config = tomllib.loads((ROOT / "infra" / "samconfig.toml").read_text(encoding="utf-8"))
    deploy = config["default"]["deploy"]["parameters"]
    assert deploy["stack_name"]
    assert "CAPABILITY_IAM" in deploy["capabilities"].split()
    assert deploy["resolve_s3"] is True
    assert config["default"]["global"]["parameters"]["region"]

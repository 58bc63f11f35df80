"""The local stack resolves the intrinsic functions a SAM template uses, as CloudFormation would."""

from __future__ import annotations

from pathlib import Path

import pytest

from cerchia_infra.local.functions import function_properties, load_function_specs
from cerchia_infra.local.intrinsics import Resolver
from cerchia_infra.local.template import Template, TemplateError, creation_order, references

ROOT = Path(__file__).resolve().parents[2]


def _resolver(body: dict, **overrides: str) -> Resolver:
    template = Template.from_dict({"Resources": {}, **body})
    return Resolver(
        template,
        region="eu-west-1",
        account_id="123456789012",
        stack_name="cerchia-local",
        parameter_overrides=overrides,
    )


BODY = {
    "Parameters": {
        "Stage": {"Type": "String", "Default": "dev"},
        "PublicBaseUrl": {"Type": "String", "Default": ""},
        "Retention": {"Type": "Number", "Default": 30},
        "Zones": {"Type": "CommaDelimitedList", "Default": "a, b,c"},
        "NoDefault": {"Type": "String"},
    },
    "Conditions": {
        "HasPublicBaseUrl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "PublicBaseUrl"}, ""]}]},
        "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "ProdWithUrl": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "HasPublicBaseUrl"}]},
        "ProdOrUrl": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "HasPublicBaseUrl"}]},
    },
    "Mappings": {"Sizes": {"dev": {"Memory": 256}}},
    "Resources": {"Table": {"Type": "AWS::DynamoDB::Table"}, "Api": {"Type": "AWS::Serverless::HttpApi"}},
}


def test_ref_gives_parameter_defaults_overrides_and_pseudo_parameters():
    resolver = _resolver(BODY, Stage="local")

    assert resolver.resolve({"Ref": "Stage"}) == "local"
    assert resolver.resolve({"Ref": "Retention"}) == "30"
    assert resolver.resolve({"Ref": "Zones"}) == ["a", "b", "c"]
    assert resolver.resolve({"Ref": "AWS::Region"}) == "eu-west-1"
    assert resolver.resolve({"Ref": "AWS::AccountId"}) == "123456789012"
    assert resolver.resolve({"Ref": "AWS::Partition"}) == "aws"
    assert resolver.resolve({"Ref": "AWS::URLSuffix"}) == "amazonaws.com"
    assert resolver.resolve({"Ref": "AWS::StackName"}) == "cerchia-local"


def test_ref_and_getatt_give_registered_physical_ids():
    resolver = _resolver(BODY)
    resolver.register(
        "Table", "cerchia-local-Table", Arn="arn:aws:dynamodb:eu-west-1:1:table/t", StreamArn="arn:stream"
    )

    assert resolver.resolve({"Ref": "Table"}) == "cerchia-local-Table"
    assert resolver.resolve({"Fn::GetAtt": ["Table", "StreamArn"]}) == "arn:stream"
    assert resolver.resolve({"Fn::GetAtt": "Table.Arn"}) == "arn:aws:dynamodb:eu-west-1:1:table/t"


def test_sub_in_both_forms_with_attributes_and_escapes():
    resolver = _resolver(BODY)
    resolver.register("Table", "t1", Arn="arn:t1")
    resolver.register("Api", "local")

    assert resolver.resolve({"Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}) == (
        "https://local.execute-api.eu-west-1.amazonaws.com"
    )
    assert resolver.resolve({"Fn::Sub": "${Table.Arn}/index/*"}) == "arn:t1/index/*"
    assert resolver.resolve({"Fn::Sub": ["${Greeting}, ${Stage}! ${!Literal}", {"Greeting": {"Ref": "Table"}}]}) == (
        "t1, dev! ${Literal}"
    )


def test_if_follows_conditions_built_from_equals_not_and_or():
    without_url = _resolver(BODY)
    with_url = _resolver(BODY, PublicBaseUrl="http://127.0.0.1:8000", Stage="prod")
    value = {"Fn::If": ["HasPublicBaseUrl", {"Ref": "PublicBaseUrl"}, "fallback"]}

    assert without_url.resolve(value) == "fallback"
    assert with_url.resolve(value) == "http://127.0.0.1:8000"
    assert (without_url.condition("ProdWithUrl"), with_url.condition("ProdWithUrl")) == (False, True)
    assert (without_url.condition("ProdOrUrl"), _resolver(BODY, Stage="prod").condition("ProdOrUrl")) == (False, True)


def test_no_value_removes_the_property_and_list_item():
    resolver = _resolver(BODY)
    value = {
        "Keep": 1,
        "Drop": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]},
        "List": ["a", {"Ref": "AWS::NoValue"}],
    }

    assert resolver.resolve(value) == {"Keep": 1, "List": ["a"]}


def test_join_select_split_and_find_in_map():
    resolver = _resolver(BODY)

    assert resolver.resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}, 3]]}) == "a-dev-3"
    assert resolver.resolve({"Fn::Select": [1, {"Ref": "Zones"}]}) == "b"
    assert resolver.resolve({"Fn::Select": ["0", {"Fn::Split": [",", "x,y"]}]}) == "x"
    assert resolver.resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}) == 256


def test_an_unknown_intrinsic_is_an_error_naming_it():
    with pytest.raises(TemplateError, match="Fn::ImportValue"):
        _resolver(BODY).resolve({"Value": {"Fn::ImportValue": "shared-thing"}})


def test_unknown_names_and_missing_defaults_are_errors_that_say_what_to_do():
    resolver = _resolver(BODY)

    with pytest.raises(TemplateError, match="Nope"):
        resolver.resolve({"Ref": "Nope"})
    with pytest.raises(TemplateError, match="--parameter NoDefault=VALUE"):
        resolver.resolve({"Ref": "NoDefault"})
    with pytest.raises(TemplateError, match=r"Table\.Foo"):
        resolver.register("Table", "t")
        resolver.resolve({"Fn::GetAtt": ["Table", "Foo"]})


def test_creation_order_puts_a_dead_letter_queue_before_its_source_queue():
    resources = {
        "Work": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dead", "Arn"]}}},
        },
        "Dead": {"Type": "AWS::SQS::Queue"},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${Work}-topic"}}},
    }

    assert references(resources["Topic"]["Properties"]) == {"Work"}
    assert creation_order(resources, ["Work", "Dead", "Topic"]) == ["Dead", "Work", "Topic"]


def test_functions_merge_globals_with_their_own_properties_and_variables():
    template = Template.load(ROOT / "tests" / "fixtures" / "local" / "template.yaml")

    merged = function_properties(template, "EchoFunction")

    assert merged["Handler"] == "handler.lambda_handler"
    assert merged["MemorySize"] == 256
    assert set(merged["Environment"]["Variables"]) >= {"STAGE", "TABLE_NAME", "PUBLIC_BASE_URL", "WORK_QUEUE_URL"}


def test_function_specs_resolve_environment_and_events():
    template = Template.load(ROOT / "tests" / "fixtures" / "local" / "template.yaml")
    resolver = Resolver(
        template,
        region="eu-west-1",
        account_id="123456789012",
        stack_name="s",
        parameter_overrides={"PublicBaseUrl": "http://127.0.0.1:9", "Stage": "local"},
    )
    for logical_id, ref in [("Table", "s-Table"), ("Secret", "arn:secret"), ("WorkQueue", "http://q")]:
        resolver.register(logical_id, ref, Arn=f"arn:{logical_id}", StreamArn="arn:stream")
    for logical_id in ("RecorderFailureQueue", "Notices"):
        resolver.register(logical_id, logical_id, Arn=f"arn:{logical_id}")

    specs = {spec.logical_id: spec for spec in load_function_specs(template, resolver)}

    echo = specs["EchoFunction"]
    assert echo.environment["PUBLIC_BASE_URL"] == "http://127.0.0.1:9"
    assert echo.environment["STAGE"] == "local"
    assert echo.environment["WORK_QUEUE_URL"] == "http://q"
    assert echo.module_path == ROOT / "tests" / "fixtures" / "local" / "echo" / "handler.py"
    assert [e.type for e in specs["RecorderFunction"].events] == ["DynamoDB"]
    assert specs["RecorderFunction"].events[0].properties["Stream"] == "arn:stream"
    assert specs["RecorderFunction"].events[0].properties["DestinationConfig"]["OnFailure"]["Destination"] == (
        "arn:RecorderFailureQueue"
    )


def test_the_real_template_parses():
    template = Template.load(ROOT / "template.yaml")

    assert template.resources_of_type("AWS::Serverless::Function")

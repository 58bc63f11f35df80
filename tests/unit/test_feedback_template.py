"""What template.yaml promises for SES feedback: events to SNS, a function with a DLQ, alarms below SES's lines."""

from __future__ import annotations

import re

import pytest

from cerchia_infra.template_table import load_template
from support import ROOT

SES_REVIEW_BOUNCE_PERCENT = 5.0
SES_REVIEW_COMPLAINT_PERCENT = 0.1


@pytest.fixture(scope="module")
def resources():
    return load_template(ROOT / "template.yaml")["Resources"]


def _metric_names(alarm):
    return {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Properties"]["Metrics"] if "MetricStat" in m}


def test_the_configuration_set_publishes_feedback_and_sends_to_the_topic(resources):
    destination = resources["SesFeedbackEventDestination"]["Properties"]

    assert destination["ConfigurationSetName"] == {"Ref": "ConfigurationSet"}
    events = set(destination["EventDestination"]["MatchingEventTypes"])
    assert {"bounce", "complaint", "send", "delivery", "reject"} <= events
    assert destination["EventDestination"]["SnsDestination"]["TopicARN"] == {"Ref": "SesFeedbackTopic"}
    assert resources["SesFeedbackEventDestination"]["DependsOn"] == "SesFeedbackTopicPolicy"


def test_only_ses_may_publish_and_only_for_this_account_and_configuration_set(resources):
    [statement] = resources["SesFeedbackTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]

    assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    condition = statement["Condition"]["StringEquals"]
    assert condition["AWS:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert "configuration-set/${ConfigurationSet}" in condition["AWS:SourceArn"]["Fn::Sub"]


def test_the_feedback_function_listens_to_the_topic_keeps_failures_and_may_do_little(resources):
    function = resources["RecordSesFeedbackFunction"]["Properties"]

    assert function["Events"]["SesEvents"] == {"Type": "SNS", "Properties": {"Topic": {"Ref": "SesFeedbackTopic"}}}
    assert function["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["SesFeedbackDeadLetterQueue", "Arn"]},
    }
    [statement] = function["Policies"][0]["Statement"]
    assert sorted(statement["Action"]) == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    assert statement["Resource"] == {"Fn::GetAtt": ["Table", "Arn"]}
    assert resources["RecordSesFeedbackLogs"]["Properties"]["LogGroupName"] == {
        "Fn::Sub": "/aws/lambda/${RecordSesFeedbackFunction}"
    }


@pytest.mark.parametrize(
    ("alarm", "numerator", "review_line"),
    [
        ("HardBounceRateAlarm", "HardBounces", SES_REVIEW_BOUNCE_PERCENT),
        ("ComplaintRateAlarm", "Complaints", SES_REVIEW_COMPLAINT_PERCENT),
    ],
)
def test_rate_alarms_fire_before_ses_reviews_the_account(resources, alarm, numerator, review_line):
    properties = resources[alarm]["Properties"]

    assert properties["Threshold"] < review_line
    assert _metric_names(resources[alarm]) == {numerator, "Sends"}
    [expression] = [m["Expression"] for m in properties["Metrics"] if m.get("ReturnData")]
    assert re.search(r"100 \* FILL\(\w+, 0\) / FILL\(sends, 1\)", expression)
    assert properties["TreatMissingData"] == "notBreaching"
    assert properties["AlarmActions"]["Fn::If"][0] == "HasAlarmTopic"
    for metric in properties["Metrics"]:
        if "MetricStat" in metric:
            assert metric["MetricStat"]["Metric"]["Namespace"] == "Cerchia"
            assert {d["Name"] for d in metric["MetricStat"]["Metric"]["Dimensions"]} == {"service", "stage"}


def test_the_preference_pages_are_routed_and_may_only_read_and_update(resources):
    function = resources["ServePreferencePagesFunction"]["Properties"]

    routes = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in function["Events"].values()}
    assert routes == {("GET", "/p/{token}"), ("POST", "/p/{token}")}
    actions = {a for statement in function["Policies"][0]["Statement"] for a in statement["Action"]}
    assert actions == {"dynamodb:GetItem", "dynamodb:UpdateItem", "secretsmanager:GetSecretValue"}

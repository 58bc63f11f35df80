"""template.yaml for operating more than one stage: unique names, a stream read from its start,
alarms on everything that fails quietly, a dashboard, secrets kept, and sends paced to fit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cerchia import jobs
from cerchia_infra.local.intrinsics import Resolver
from cerchia_infra.local.template import Template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = Template.load(ROOT / "template.yaml")
RESOURCES = TEMPLATE.resources
# What a send may take besides the pacing (SES's answer, the ledger's two writes), and how much of a
# timeout the work may use (the rest: cold start, batch reads).
SEND_LATENCY_S = 0.2
TIMEOUT_SHARE = 0.9


def of_type(kind: str) -> dict[str, Any]:
    return {name: body for name, body in RESOURCES.items() if body["Type"] == kind}


def properties(logical_id: str) -> dict[str, Any]:
    return dict(RESOURCES[logical_id].get("Properties") or {})


def resolver(**parameters: str) -> Resolver:
    return Resolver(TEMPLATE, "eu-west-1", "123456789012", "cerchia-prod", parameter_overrides=parameters)


def names_the_stack(value: Any) -> bool:
    if value == {"Ref": "AWS::StackName"}:
        return True
    text = value.get("Fn::Sub") if isinstance(value, dict) else None
    return isinstance(text, str) and "${AWS::StackName}" in text


# ------------------------------------------------------------------ two stages, one account


NAME_PROPERTIES = {"Name", "AlarmName", "LayerName", "DashboardName", "QueueName", "TopicName", "TableName"}


def test_every_named_resource_and_schedule_is_named_after_its_stack():
    named = {
        (logical_id, key): value
        for logical_id, body in RESOURCES.items()
        if body["Type"] != "AWS::SES::ConfigurationSetEventDestination"  # named inside its configuration set
        for key, value in (body.get("Properties") or {}).items()
        if key in NAME_PROPERTIES
    }
    for function_id, body in of_type("AWS::Serverless::Function").items():
        for event_id, event in (body["Properties"].get("Events") or {}).items():
            if event["Type"] in ("ScheduleV2", "Schedule"):
                named[(f"{function_id}.{event_id}", "Name")] = event["Properties"].get("Name")

    assert ("RunDueJobsFunction.EveryMinute", "Name") in named
    assert ("FlagUnansweredPostsFunction.Every15Minutes", "Name") in named
    assert {where: value for where, value in named.items() if not names_the_stack(value)} == {}


def test_the_welcome_consumer_starts_from_the_oldest_record_of_the_stream():
    event = properties("WelcomeMemberFunction")["Events"]["MemberJoined"]

    assert event["Properties"]["StartingPosition"] == "TRIM_HORIZON"


def test_the_link_signing_secret_survives_a_delete_or_a_replacement():
    secret = RESOURCES["LinkSigningSecret"]

    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_a_deploy_with_the_placeholder_sender_is_refused_by_a_rule():
    [assertion] = TEMPLATE.body["Rules"]["SenderAddressIsReal"]["Assertions"]

    assert assertion["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "SenderAddress"}, "cerchia@example.org"]}]}
    assert "SENDER=" in assertion["AssertDescription"]


# ------------------------------------------------------------------ alarms


def alarms() -> dict[str, dict[str, Any]]:
    return {name: body["Properties"] for name, body in of_type("AWS::CloudWatch::Alarm").items()}


def alarm_on(namespace: str, metric: str, dimension_value: Any = None) -> dict[str, Any] | None:
    for alarm in alarms().values():
        if alarm.get("Namespace") == namespace and alarm.get("MetricName") == metric:
            values = [dimension["Value"] for dimension in alarm.get("Dimensions", [])]
            if dimension_value is None or dimension_value in values:
                return alarm
    return None


def dead_letter_queues() -> set[str]:
    found = set()
    for body in RESOURCES.values():
        props = body.get("Properties") or {}
        target = (props.get("RedrivePolicy") or {}).get("deadLetterTargetArn")
        if target:
            found.add(target["Fn::GetAtt"][0])
        if props.get("DeadLetterQueue"):
            found.add(props["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0])
        for event in (props.get("Events") or {}).values():
            destination = ((event["Properties"].get("DestinationConfig") or {}).get("OnFailure") or {}).get(
                "Destination"
            )
            if destination:
                found.add(destination["Fn::GetAtt"][0])
    return found


def test_every_alarm_tells_the_alarm_topic():
    notify = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}

    assert len(alarms()) >= 2 * len(of_type("AWS::Serverless::Function")) + 6
    assert {name for name, alarm in alarms().items() if alarm.get("AlarmActions") != notify} == set()


def test_every_dead_letter_queue_alarms_as_soon_as_one_message_waits():
    queues = dead_letter_queues()

    assert queues == {"WelcomeFailureQueue", "DeliveryDeadLetterQueue", "SesFeedbackDeadLetterQueue"}
    for queue in queues:
        alarm = alarm_on("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": [queue, "QueueName"]})
        assert alarm is not None, queue
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_alarms_on_its_errors_and_throttles(metric):
    missing = [
        function_id
        for function_id in of_type("AWS::Serverless::Function")
        if alarm_on("AWS/Lambda", metric, {"Ref": function_id}) is None
    ]

    assert missing == []


def test_the_stream_consumer_its_parked_jobs_and_ses_refusing_the_account_alarm():
    age = alarm_on("AWS/Lambda", "IteratorAge", {"Ref": "WelcomeMemberFunction"})
    parked = alarm_on("Cerchia", "JobsParked")
    account = alarm_on("Cerchia", "SendAccountFailures")

    assert age is not None and age["Statistic"] == "Maximum"
    for alarm in (parked, account):
        assert alarm is not None
        # the dimensions the code's EMF lines carry (cerchia.observability.count)
        assert alarm["Dimensions"] == [
            {"Name": "service", "Value": "cerchia"},
            {"Name": "stage", "Value": {"Ref": "Stage"}},
        ]
        assert (alarm["Statistic"], alarm["Threshold"]) == ("Sum", 0)


# ------------------------------------------------------------------ the dashboard


def test_the_dashboard_body_is_json_and_shows_what_operators_watch():
    template, names = properties("Dashboard")["DashboardBody"]["Fn::Sub"]
    body = re.sub(r"\$\{([A-Za-z:]+)\}", lambda match: match.group(1).replace("::", "-"), template)

    widgets = json.loads(body)["widgets"]

    shown = json.dumps(widgets)
    assert set(names) == {"WelcomeFailures", "DeliveryDeadLetters", "FeedbackDeadLetters"}
    for metric in ("EventsIngested", "EmailsSent", "EmailsRefused", "EmailsSuppressed", "SendAccountFailures",
                   "JobsParked", "ApproximateNumberOfMessagesVisible", "HardBounces", "Complaints", "Sends"):  # fmt: skip
        assert metric in shown, metric
    assert "kind" in shown  # emails by kind
    assert {widget["properties"]["title"] for widget in widgets} >= {"Events ingested", "Emails sent, by kind"}


# ------------------------------------------------------------------ pacing fits the timeouts


def send_seconds(emails: int, rate: float) -> float:
    return emails * ((1 / rate if rate else 0) + SEND_LATENCY_S)


@pytest.mark.parametrize("rate", [str(value) for value in TEMPLATE.parameters["MaxSendRate"]["AllowedValues"]])
def test_every_sending_function_finishes_its_batch_within_its_timeout_at_each_allowed_send_rate(rate):
    resolved = resolver(MaxSendRate=rate)
    rate_value = float(rate)

    def timeout(logical_id: str) -> float:
        return float(properties(logical_id).get("Timeout", TEMPLATE.function_globals["Timeout"])) * TIMEOUT_SHARE

    def batch_size(logical_id: str, event: str) -> int:
        raw = properties(logical_id)["Events"][event]["Properties"]["BatchSize"]
        return int(resolved.resolve(raw, f"{logical_id}.{event}.BatchSize"))

    chunks, worker_budget = batch_size("DeliverEmailsFunction", "Chunks"), timeout("DeliverEmailsFunction")
    welcomes, welcome_budget = batch_size("WelcomeMemberFunction", "MemberJoined"), timeout("WelcomeMemberFunction")
    sweep_budget = timeout("RunDueJobsFunction")

    assert send_seconds(chunks * jobs.CHUNK_SIZE, rate_value) <= worker_budget
    assert send_seconds(welcomes, rate_value) <= welcome_budget
    # the sweep starts jobs for SWEEP_BUDGET; the last may be a kept chunk sent from the sweep itself
    assert jobs.SWEEP_BUDGET.total_seconds() + send_seconds(jobs.CHUNK_SIZE, rate_value) <= sweep_budget


def test_every_function_is_paced_by_max_send_rate_and_queues_outlast_their_worker():
    assert TEMPLATE.function_globals["Environment"]["Variables"]["MAX_SEND_RATE"] == {"Ref": "MaxSendRate"}
    assert properties("DeliveryQueue")["VisibilityTimeout"] >= 6 * properties("DeliverEmailsFunction")["Timeout"]

"""The SES feedback function under moto: SNS-delivered bounces and complaints suppress addresses, once."""

from __future__ import annotations

import boto3
import pytest

from cerchia.store import keys
from cerchia.store.suppression import address_hash, get_suppression
from preferences_support import feedback_handler, metric_total, ses_event

GIULIA = "giulia.rossi@example.com"


@pytest.fixture
def feedback(aws, clock, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Cerchia")
    return feedback_handler()


def _standing(address=GIULIA):
    from cerchia.store import get_store

    found = get_suppression(get_store(), address)
    return found.standing if found else None


def test_a_hard_bounce_suppresses_the_address_and_is_counted(feedback, capsys):
    result = feedback(ses_event("ses_bounce_permanent"))

    standing = _standing()
    assert (standing.suppressed, standing.reason) == (True, "hard-bounce")
    assert result == {"Bounces": 1, "HardBounces": 1, "AddressesSuppressed": 1}
    output = capsys.readouterr().out
    assert metric_total(output, "HardBounces", service="cerchia", stage="dev") == 1
    assert metric_total(output, "AddressesSuppressed") == 1


def test_the_same_notification_delivered_twice_counts_once(feedback, capsys):
    first = feedback(ses_event("ses_bounce_transient"))
    again = feedback(ses_event("ses_bounce_transient", sns_message_id="0f0e0d0c-0b0a-5909-8807-060504030201"))

    assert first == {"Bounces": 1} and again == {"DuplicateFeedback": 1}
    assert len(_standing().soft_bounces) == 1
    assert metric_total(capsys.readouterr().out, "Bounces") == 1


def test_three_soft_bounces_within_30_days_suppress_and_two_do_not(feedback):
    for number, day in enumerate(("2026-11-01", "2026-11-15")):
        feedback(ses_event("ses_bounce_transient", feedback_id=f"soft-{number}", timestamp=f"{day}T08:00:00.000Z"))
    after_two = _standing()
    result = feedback(ses_event("ses_bounce_transient", feedback_id="soft-3", timestamp="2026-11-29T08:00:00.000Z"))

    assert after_two.suppressed is False
    assert (_standing().suppressed, _standing().reason) == (True, "soft-bounces")
    assert result["AddressesSuppressed"] == 1


def test_soft_bounces_more_than_30_days_apart_never_suppress(feedback):
    for number, day in enumerate(("2026-09-01", "2026-10-05", "2026-11-08")):
        feedback(ses_event("ses_bounce_transient", feedback_id=f"soft-{number}", timestamp=f"{day}T08:00:00.000Z"))

    assert _standing().suppressed is False


def test_a_complaint_suppresses_but_not_spam_does_not(feedback):
    feedback(ses_event("ses_complaint_not_spam"))
    after_not_spam = _standing()
    result = feedback(ses_event("ses_complaint"))

    assert after_not_spam is None
    assert (_standing().suppressed, _standing().reason) == (True, "complaint")
    assert result == {"Complaints": 1, "AddressesSuppressed": 1}


def test_a_classic_bounce_notification_suppresses_too(feedback):
    feedback(ses_event("ses_bounce_notification"))

    assert _standing().reason == "hard-bounce"


def test_sends_and_deliveries_are_only_counted(feedback, capsys):
    sent = feedback(ses_event("ses_send"))
    delivered = feedback(ses_event("ses_delivery"))

    assert (sent, delivered) == ({"Sends": 1}, {"Deliveries": 1})
    assert _standing() is None
    output = capsys.readouterr().out
    assert metric_total(output, "Sends", service="cerchia", stage="dev") == 1
    assert metric_total(output, "Deliveries") == 1


def test_a_message_that_is_not_an_ses_event_is_acknowledged_and_ignored(feedback):
    event = ses_event("ses_send")
    event["Records"][0]["Sns"]["Message"] = "Successfully validated SNS topic for Amazon SES event publishing."

    assert feedback(event) == {"IgnoredMessages": 1}


def test_the_address_is_stored_only_as_a_hash(feedback):
    from cerchia.settings import get_settings

    feedback(ses_event("ses_bounce_permanent", address="Giulia.Rossi@Example.com"))

    item = boto3.client("dynamodb").get_item(
        TableName=get_settings().table_name,
        Key={k: {"S": v} for k, v in keys.suppression(address_hash(GIULIA)).items()},
    )["Item"]
    assert "giulia" not in str(item).lower()
    assert item["reason"] == {"S": "hard-bounce"}


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_a_store_failure_raises_so_lambda_retries_then_dead_letters(feedback):
    from botocore.exceptions import ClientError

    from cerchia.errors import Transient
    from cerchia.store import table

    class Throttled:
        """DynamoDB refusing every write: the table's throughput is exhausted."""

        def __init__(self, client):
            self.client = client

        def __getattr__(self, name):
            return getattr(self.client, name)

        def transact_write_items(self, **request):
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "TransactWriteItems")

    table.wrap_client(Throttled)
    try:
        with pytest.raises(Transient):
            feedback(ses_event("ses_bounce_permanent"))
    finally:
        table.wrap_client(None)

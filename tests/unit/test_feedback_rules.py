"""Reading SES notifications and deciding who is suppressed: pure rules, no AWS."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from cerchia.domain.feedback import AddressStanding, Feedback, after_feedback, parse_notification
from cerchia.errors import InvalidInput
from cerchia.store.suppression import address_hash
from preferences_support import ses_event

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _message(fixture: str, **changes) -> str:
    return ses_event(fixture, **changes)["Records"][0]["Sns"]["Message"]


def _soft(at: datetime, feedback_id: str = "f") -> Feedback:
    return Feedback("soft-bounce", "giulia.rossi@example.com", feedback_id, at)


def test_event_publishing_hard_bounce_names_the_recipient_feedback_id_and_time():
    notification = parse_notification(_message("ses_bounce_permanent"), "sns-1", NOW)

    assert (notification.event, notification.recipients) == ("Bounce", 1)
    [feedback] = notification.feedback
    assert feedback.kind == "hard-bounce"
    assert feedback.address == "giulia.rossi@example.com"
    assert feedback.feedback_id == "0102019ab3f1c2d4-7e1f2a3b-4c5d-46e7-8f90-a1b2c3d4e5f6-000000"
    assert feedback.at == datetime(2026, 11, 23, 9, 15, 4, 127000, tzinfo=UTC)
    assert feedback.detail == "Permanent/General"


def test_classic_notification_is_read_like_an_event():
    [feedback] = parse_notification(_message("ses_bounce_notification"), "sns-1", NOW).feedback

    assert (feedback.kind, feedback.detail) == ("hard-bounce", "Permanent/NoEmail")


def test_transient_and_undetermined_bounces_are_soft():
    transient = parse_notification(_message("ses_bounce_transient"), "sns-1", NOW)
    undetermined = json.loads(_message("ses_bounce_transient"))
    undetermined["bounce"]["bounceType"] = "Undetermined"

    assert transient.feedback[0].kind == "soft-bounce"
    assert parse_notification(undetermined, "sns-2", NOW).feedback[0].kind == "soft-bounce"


def test_a_complaint_is_feedback_but_not_spam_is_ignored():
    abuse = parse_notification(_message("ses_complaint"), "sns-1", NOW)
    not_spam = parse_notification(_message("ses_complaint_not_spam"), "sns-2", NOW)

    assert [f.kind for f in abuse.feedback] == ["complaint"] and abuse.feedback[0].detail == "abuse"
    assert (not_spam.feedback, not_spam.recipients, not_spam.ignored) == ((), 0, ("not-spam",))


def test_sends_and_deliveries_count_their_recipients_and_suppress_nobody():
    send = parse_notification(_message("ses_send"), "sns-1", NOW)
    delivery = parse_notification(_message("ses_delivery"), "sns-2", NOW)

    assert (send.event, send.recipients, send.feedback) == ("Send", 1, ())
    assert (delivery.event, delivery.recipients, delivery.feedback) == ("Delivery", 1, ())


def test_a_bounce_without_feedback_id_is_named_by_the_sns_message():
    message = json.loads(_message("ses_bounce_permanent"))
    del message["bounce"]["feedbackId"]
    message["bounce"]["bouncedRecipients"][0]["emailAddress"] = "Giulia Rossi <giulia.rossi@example.com>"

    [feedback] = parse_notification(message, "sns-77", NOW).feedback

    assert (feedback.feedback_id, feedback.address) == ("sns-77", "giulia.rossi@example.com")


@pytest.mark.parametrize(
    "message",
    ["Successfully validated SNS topic for Amazon SES event publishing.", "[1, 2]", '{"mail": {}}'],
    ids=["plain-text", "not-an-object", "no-event-type"],
)
def test_messages_that_are_not_ses_events_are_invalid_input(message):
    with pytest.raises(InvalidInput):
        parse_notification(message, "sns-1", NOW)


def test_a_bounce_without_timestamp_happened_now():
    message = json.loads(_message("ses_bounce_transient"))
    del message["bounce"]["timestamp"]

    assert parse_notification(message, "sns-1", NOW).feedback[0].at == NOW


def test_feedback_never_shows_the_address_in_its_repr():
    [feedback] = parse_notification(_message("ses_bounce_permanent"), "sns-1", NOW).feedback

    assert "example.com" not in repr(feedback)


def test_hard_bounce_and_complaint_suppress_at_once_and_the_first_reason_stays():
    hard = after_feedback(AddressStanding(), Feedback("hard-bounce", "a@example.com", "f1", NOW))
    then_complaint = after_feedback(hard, Feedback("complaint", "a@example.com", "f2", NOW))

    assert (hard.suppressed, hard.reason) == (True, "hard-bounce")
    assert (then_complaint.suppressed, then_complaint.reason) == (True, "hard-bounce")


def test_third_soft_bounce_within_30_days_suppresses():
    standing = AddressStanding()
    for days in (0, 12, 29):
        standing = after_feedback(standing, _soft(NOW + timedelta(days=days)))

    assert (standing.suppressed, standing.reason) == (True, "soft-bounces")


def test_soft_bounces_spread_over_more_than_30_days_do_not_suppress():
    standing = AddressStanding()
    for days in (0, 20, 31):
        standing = after_feedback(standing, _soft(NOW + timedelta(days=days)))

    assert standing.suppressed is False
    assert standing.soft_bounces == (NOW + timedelta(days=20), NOW + timedelta(days=31))


def test_a_late_soft_bounce_older_than_the_window_is_forgotten():
    standing = AddressStanding(soft_bounces=(NOW, NOW + timedelta(days=1)))

    late = after_feedback(standing, _soft(NOW - timedelta(days=40)))

    assert late.soft_bounces == (NOW, NOW + timedelta(days=1)) and late.suppressed is False


def test_soft_bounces_after_suppression_keep_it_suppressed():
    suppressed = AddressStanding(suppressed=True, reason="complaint")

    after = after_feedback(suppressed, _soft(NOW))

    assert (after.suppressed, after.reason, after.soft_bounces) == (True, "complaint", (NOW,))


def test_address_hash_ignores_case_and_spaces_and_hides_the_address():
    hashed = address_hash("  Giulia.Rossi@Example.COM ")

    assert hashed == address_hash("giulia.rossi@example.com")
    assert hashed == hashlib.sha256(b"cerchia-suppression-v1:giulia.rossi@example.com").hexdigest()
    assert "giulia" not in hashed and len(hashed) == 64

"""Email building and rendering: headers, parts, escaping, the catalogue."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from cerchia.errors import Transient
from cerchia.i18n import catalogue, translator
from cerchia.mail.mime import Outgoing, build, header_text
from cerchia.mail.sending import Rejected, send_raw

SENT_AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _outgoing(**overrides):
    values = dict(
        kind="welcome",
        to_address="giulia@example.com",
        to_name="Giulia",
        subject="Ciao",
        text="testo",
        html="<p>testo</p>",
        unsubscribe_url="https://cerchia.example/u/abc",
    )
    values.update(overrides)
    return Outgoing(**values)


def _parsed(message):
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def test_message_has_both_parts_and_the_headers_providers_expect():
    message = _parsed(
        build(_outgoing(), sender_address="hello@cerchia.example", sender_name="Cerchia", sent_at=SENT_AT)
    )

    assert message["X-Cerchia-Kind"] == "welcome"
    assert message["List-Unsubscribe"] == "<https://cerchia.example/u/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].endswith("@cerchia.example>")
    assert message["Date"] == "Thu, 26 Nov 2026 09:00:00 +0000"
    assert message.get_body(("plain",)).get_content().strip() == "testo"
    assert message.get_body(("html",)).get_content().strip() == "<p>testo</p>"


def test_cr_lf_in_names_and_subjects_cannot_inject_headers():
    evil = "Eve\r\nBcc: everyone@example.com"
    message = _parsed(
        build(
            _outgoing(to_name=evil, subject=evil),
            sender_address="hello@cerchia.example",
            sender_name=evil,
            sent_at=SENT_AT,
        )
    )

    assert message["Bcc"] is None
    assert message["Subject"] == "Eve Bcc: everyone@example.com"
    assert header_text("a\tb\x00c\nd") == "a bc d"  # NUL is removed, other controls become spaces


def test_both_locales_have_the_same_keys():
    assert catalogue("en").keys() == catalogue("it").keys()


def test_unknown_locale_speaks_english():
    assert translator("fr")("welcome.signoff") == catalogue("en")["welcome.signoff"]


class _SES:
    def __init__(self, *codes):
        self.codes = list(codes)
        self.calls = 0

    def send_email(self, **request):
        self.calls += 1
        if self.codes:
            code = self.codes.pop(0)
            raise ClientError({"Error": {"Code": code, "Message": code}}, "SendEmail")
        return {"MessageId": "m-1"}


def test_throttling_backs_off_then_succeeds():
    waits = []
    ses = _SES("TooManyRequestsException", "TooManyRequestsException")

    message_id = send_raw(
        ses,
        b"raw",
        to_address="a@example.com",
        configuration_set="cs",
        from_address="hello@cerchia.example",
        sleep=waits.append,
    )

    assert (message_id, ses.calls, len(waits)) == ("m-1", 3, 2)
    assert all(0 <= wait <= 3.2 for wait in waits)


def test_rejected_message_is_not_retried():
    ses = _SES("MessageRejected")

    with pytest.raises(Rejected):
        send_raw(
            ses, b"raw", to_address="a@example.com", configuration_set="", from_address="x@y.z", sleep=lambda s: None
        )
    assert ses.calls == 1


def test_other_failures_are_transient():
    with pytest.raises(Transient):
        send_raw(
            _SES("InternalFailure"),
            b"raw",
            to_address="a@example.com",
            configuration_set="",
            from_address="x@y.z",
            sleep=lambda s: None,
        )


NOT_VERIFIED = "Email address is not verified. The following identities failed the check in region EU-WEST-1: {}"


@pytest.mark.parametrize(
    ("code", "message", "verdict"),
    [
        ("MessageRejected", NOT_VERIFIED.format("member@example.com"), "recipient"),  # the SES sandbox
        ("MessageRejected", NOT_VERIFIED.format("hello@cerchia.example"), "account"),
        ("MessageRejected", NOT_VERIFIED.format("cerchia.example"), "account"),  # the sender's domain
        ("MessageRejected", NOT_VERIFIED.format("hello@cerchia.example, member@example.com"), "account"),
        ("MessageRejected", "Email address is not verified.", "account"),  # names nobody: keep the work
        ("MessageRejected", "Address blacklisted.", "recipient"),
        ("MessageRejected", "Sending paused for this account.", "account"),
        ("BadRequestException", "Missing final '@domain'", "recipient"),
        ("AccountSuspendedException", "restricted", "account"),
        ("SendingPausedException", "paused", "account"),
        ("MailFromDomainNotVerifiedException", "not verified", "account"),
        ("NotFoundException", "Configuration set does not exist", "account"),
        ("TooManyRequestsException", "Maximum sending rate exceeded.", "account"),
        ("InternalFailure", "", "account"),
    ],
)
def test_ses_errors_are_told_apart_as_the_accounts_or_one_recipients(code, message, verdict):
    from cerchia.mail.sending import classify

    assert classify(code, message, to_address="Member@Example.com", from_address="hello@cerchia.example") == verdict


def test_an_account_level_refusal_is_not_retried_and_says_the_email_will_go_out_later():
    from cerchia.mail.sending import SendingUnavailable

    ses = _SES("SendingPausedException")

    with pytest.raises(SendingUnavailable, match="retried later") as raised:
        send_raw(ses, b"raw", to_address="a@example.com", configuration_set="", from_address="x@y.z", sleep=lambda s: 0)
    assert (ses.calls, raised.value.code) == (1, "SendingPausedException")


def test_throttling_that_outlasts_the_backoff_is_an_account_level_failure():
    from cerchia.mail.sending import MAX_ATTEMPTS, SendingUnavailable

    ses = _SES(*["TooManyRequestsException"] * MAX_ATTEMPTS)

    with pytest.raises(SendingUnavailable):
        send_raw(ses, b"raw", to_address="a@example.com", configuration_set="", from_address="x@y.z", sleep=lambda s: 0)
    assert ses.calls == MAX_ATTEMPTS

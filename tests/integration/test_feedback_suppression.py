"""The mailer and the suppression list: nothing goes to a suppressed address, in any community."""

from __future__ import annotations

import pytest

from cerchia.mail.mime import Outgoing
from cerchia.mail.sending import deliver_once
from preferences_support import feedback_handler, metric_total, ses_event
from support import event

GIULIA = "giulia.rossi@example.com"


@pytest.fixture
def bounce(aws, clock, monkeypatch):
    """Deliver a hard bounce for an address through the SES feedback function."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Cerchia")
    invoke = feedback_handler()

    def hard_bounce(address: str = GIULIA) -> None:
        invoke(ses_event("ses_bounce_permanent", address=address))

    return hard_bounce


def _outgoing(address: str = GIULIA) -> Outgoing:
    return Outgoing(
        kind="welcome", to_address=address, to_name="Giulia", subject="Ciao", text="ciao", html="<p>ciao</p>"
    )


def _deliver(clock, compose, **extra):
    from cerchia.store import get_store

    return deliver_once(
        get_store(),
        kind="welcome",
        community_id="c_1",
        recipient_id="u_1042",
        period="p1",
        compose=compose,
        now=clock.now(),
        **extra,
    )


def test_a_hard_bounce_in_one_community_stops_emails_to_that_address_in_every_community(
    community, english_community, ingest, welcome, outbox, bounce, capsys
):
    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")
    bounce(GIULIA.upper())
    ingest(english_community, event("member_joined", member_id="runner_9", locale="en"))

    result = welcome(english_community.community_id, "runner_9")

    assert result == {"batchItemFailures": []}
    assert len(outbox()) == 1  # only the welcome sent before the bounce
    assert metric_total(capsys.readouterr().out, "EmailsSuppressed", kind="welcome", stage="dev") == 1


def test_a_suppressed_address_is_not_sent_to_and_the_ledger_is_left_unclaimed(aws, clock, bounce, outbox, capsys):
    from cerchia.store import get_store

    bounce()

    outcome = _deliver(clock, _outgoing)

    assert outcome == "suppressed" and outbox() == []
    assert get_store().email_status("welcome", "c_1", "u_1042", "p1") is None
    output = capsys.readouterr().out
    assert metric_total(output, "EmailsSuppressed", kind="welcome") == 1
    assert metric_total(output, "EmailsSent") == 0


def test_a_caller_that_knows_the_address_is_stopped_before_claiming_or_composing(aws, clock, bounce):
    from cerchia.store import get_store

    bounce()

    def never_composed():
        raise AssertionError("composed an email for a suppressed address")

    assert _deliver(clock, never_composed, to_address=GIULIA) == "suppressed"
    assert get_store().email_status("welcome", "c_1", "u_1042", "p1") is None


def test_an_address_that_is_not_suppressed_is_sent_and_counted_per_kind(aws, clock, bounce, outbox, capsys):
    bounce("someone.else@example.com")

    outcome = _deliver(clock, _outgoing, to_address=GIULIA)

    assert outcome == "sent" and len(outbox()) == 1
    assert metric_total(capsys.readouterr().out, "EmailsSent", kind="welcome", stage="dev", service="cerchia") == 1


def test_one_soft_bounce_does_not_stop_emails(aws, clock, outbox, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Cerchia")
    feedback_handler()(ses_event("ses_bounce_transient"))

    assert _deliver(clock, _outgoing) == "sent"

"""What every email carries, and what no log line ever carries: a member's address."""

from __future__ import annotations

import io
import logging
import re
from urllib.parse import urlencode

import pytest

from preferences_support import FORM, feedback_handler, link_token, page_requester, ses_event
from support import event

ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@pytest.fixture
def log_lines(ingest, welcome):
    """Every line Powertools logs under the `cerchia` service (DEBUG and up), formatted as in Lambda."""
    logger = logging.getLogger("cerchia")
    powertools = next(handler for handler in logger.handlers if handler.formatter is not None)
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(powertools.formatter)
    level = logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    yield lambda: stream.getvalue().splitlines()
    logger.removeHandler(capture)
    logger.setLevel(level)


def test_a_full_welcome_and_everything_after_it_logs_no_member_address(
    community, ingest, welcome, outbox, log_lines, capsys, monkeypatch
):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Cerchia")
    preferences = page_requester("serve_preference_pages", "p")
    unsubscribe = page_requester("serve_member_pages", "u")
    feedback = feedback_handler()

    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")
    [message] = outbox()
    token = link_token(message.get_body(("plain",)).get_content(), "p")
    preferences("GET", token)
    preferences(
        "POST", token, urlencode({"emails": "on", "digest": "off", "polls": "on", "locale": "en"}).encode(), FORM
    )
    unsubscribe(
        "POST", message["List-Unsubscribe"].strip("<>").rsplit("/u/", 1)[1], b"List-Unsubscribe=One-Click", FORM
    )
    feedback(ses_event("ses_bounce_permanent"))
    ingest(community, event("member_joined", member_id="u_2000", email="Giulia.Rossi@example.com"))
    welcome(community.community_id, "u_2000")

    lines = log_lines() + capsys.readouterr().out.splitlines()
    assert len(log_lines()) >= 6, "the flow logged nothing: the capture is broken"
    leaks = [line for line in lines if (found := ADDRESS.search(line)) and found.group(0) != "hello@cerchia.example"]
    assert leaks == []
    assert not any("giulia" in line.lower() for line in lines)


def test_every_email_has_both_parts_a_message_id_on_our_domain_its_kind_and_a_footer(
    community, ingest, welcome, outbox
):
    ingest(community, event("member_joined"))

    welcome(community.community_id, "u_1042")

    [message] = outbox()
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert re.fullmatch(r"<[^@<>\s]+@cerchia\.example>", message["Message-ID"])
    assert message["X-Cerchia-Kind"] == "welcome"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "ti ha appena dato il benvenuto tra i suoi membri" in part
        assert "https://cerchia.example/p/" in part and "https://cerchia.example/u/" in part

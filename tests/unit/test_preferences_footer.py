"""Every email's footer: why the recipient gets it, how to choose what they get, how to stop it all."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from cerchia import links
from cerchia.domain.models import Community, Member
from cerchia.mail.compose import Recipient, compose
from cerchia.mail.mime import build
from cerchia.welcome.emails import compose_welcome
from preferences_support import link_token

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SECRET = "unit-link-secret-0123456789"
COMMUNITY = Community(community_id="c_1", name="Lievito & Co.", timezone="Europe/Rome", locale="it")
MEMBER = Member(community_id="c_1", member_id="u_1042", email="giulia.rossi@example.com", name="Giulia Rossi")


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    from cerchia import runtime

    for name, value in {
        "TABLE_NAME": "unit",
        "LINK_SECRET": SECRET,
        "PUBLIC_BASE_URL": "https://cerchia.example",
        "SENDER_ADDRESS": "hello@cerchia.example",
    }.items():
        monkeypatch.setenv(name, value)
    runtime.reset()
    yield
    runtime.reset()


def test_welcome_footer_says_why_and_links_preferences_and_unsubscribe_in_both_parts():
    outgoing = compose_welcome(COMMUNITY, MEMBER, [], NOW)

    footer = outgoing.text.split("\n-- \n", 1)[1]
    assert "Ricevi questa email perché Lievito & Co. ti ha appena dato il benvenuto tra i suoi membri." in footer
    assert "Scegli quali email ricevere: https://cerchia.example/p/" in footer
    assert "Non ricevere più email da Lievito & Co.: https://cerchia.example/u/" in footer
    assert "Lievito &amp; Co." in outgoing.html and "Scegli quali email ricevere</a>" in outgoing.html
    assert link_token(outgoing.html, "p") == link_token(outgoing.text, "p")


def test_the_preferences_link_is_signed_for_this_member_and_community_for_a_year():
    outgoing = compose_welcome(COMMUNITY, MEMBER, [], NOW)

    claims = links.verify(SECRET, "preferences", link_token(outgoing.text, "p"), NOW)

    assert (claims["c"], claims["m"]) == ("c_1", "u_1042")
    assert claims["exp"] == int(datetime(2027, 11, 23, 9, 0, tzinfo=UTC).timestamp())
    with pytest.raises(links.InvalidLink):
        links.verify(SECRET, "unsubscribe", link_token(outgoing.text, "p"), NOW)


def test_a_leader_nudge_explains_how_to_turn_nudges_off():
    leader = Recipient(email="marco@example.com", name="Marco", locale="en", member_id="u_7", is_leader=True)

    outgoing = compose("nudge", "welcome", COMMUNITY, leader, NOW, "welcome.subject", member=MEMBER, posts=[])

    assert "You can turn nudges off or set your quiet hours." in outgoing.text
    assert "/p/" in outgoing.text


def test_a_kind_without_its_own_reason_falls_back_to_membership_and_context_can_say_more():
    recipient = Recipient(email="a@example.com", name="A", locale="en", member_id="u_1")

    generic = compose("newsletter", "welcome", COMMUNITY, recipient, NOW, "welcome.subject", member=MEMBER, posts=[])
    specific = compose(
        "newsletter",
        "welcome",
        COMMUNITY,
        recipient,
        NOW,
        "welcome.subject",
        member=MEMBER,
        posts=[],
        footer_why="Because you asked for it.",
    )

    assert "You get this email because you are a member of Lievito & Co." in generic.text
    assert "Because you asked for it." in specific.text and "Because you asked for it." in specific.html


def test_a_leader_known_only_from_settings_gets_no_member_links():
    leader = Recipient(email="founder@example.com", name="Founder", locale="en", is_leader=True)

    outgoing = compose("leader-digest", "welcome", COMMUNITY, leader, NOW, "welcome.subject", member=MEMBER, posts=[])

    assert "/p/" not in outgoing.text and "/u/" not in outgoing.html
    assert "You get this report because you help run Lievito & Co." in outgoing.text
    assert outgoing.unsubscribe_url is None


def test_the_message_has_both_parts_its_kind_and_a_message_id_on_the_sender_domain():
    outgoing = compose_welcome(COMMUNITY, MEMBER, [], NOW)

    message = email.message_from_bytes(
        build(outgoing, sender_address="hello@cerchia.example", sender_name="Cerchia", sent_at=NOW).as_bytes(),
        policy=email.policy.default,
    )

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["X-Cerchia-Kind"] == "welcome"
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@cerchia.example>")
    assert message["List-Unsubscribe"].startswith("<https://cerchia.example/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

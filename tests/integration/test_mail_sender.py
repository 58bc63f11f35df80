"""The per-community sender settings, and the lost reach the leader report counts, under moto."""

from __future__ import annotations

import pytest
from raw_mail import addr_spec, decoded_display_name, field
from scripted_week import kind_of, raw_sent, to_of

from cerchia.errors import InvalidInput
from preferences_support import FORM, page_requester
from support import event


def _welcome_of(address):
    [raw] = [raw for raw in raw_sent() if kind_of(raw) == "welcome" and to_of(raw) == address]
    return raw


def test_reply_to_set_with_configure_receives_the_replies_to_the_welcome(community, ingest, welcome):
    from cerchia.communities import configure_community

    configure_community(community.community_id, {"reply_to": " Team@Lievito.example "})
    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")

    raw = _welcome_of("giulia.rossi@example.com")
    assert addr_spec(field(raw, "Reply-To")) == "Team@lievito.example"
    assert decoded_display_name(field(raw, "Reply-To")) == "Lievito & Co."
    assert decoded_display_name(field(raw, "From")) == "Marco · Lievito & Co."


@pytest.mark.parametrize("value", ["not-an-address", "a@b@c.example", "marco@example.com\r\nBcc: x@y.z"])
def test_a_reply_to_that_is_not_an_email_address_is_refused_with_a_sentence_naming_it(community, value):
    from cerchia.communities import configure_community
    from cerchia.store import get_store

    with pytest.raises(InvalidInput) as refused:
        configure_community(community.community_id, {"reply_to": value})

    assert "reply_to" in refused.value.fields and "email address" in refused.value.fields["reply_to"]
    assert get_store().get_community(community.community_id).reply_to == ""


def test_a_community_name_with_bidi_overrides_is_stored_without_them(community):
    from cerchia.communities import configure_community

    after = configure_community(community.community_id, {"name": "Lievito\u202e & Co.\x00"})

    assert after.name == "Lievito & Co."


def test_two_one_clicks_count_one_unsubscribe_in_the_week_of_the_leader_report(community, ingest, welcome):
    from cerchia.store import digests as digest_store
    from cerchia.store import get_store

    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")
    link = [
        line for line in _welcome_of("giulia.rossi@example.com").split(b"\r\n") if line.startswith(b"List-Unsubscribe:")
    ]
    token = link[0].split(b"/u/", 1)[1].rstrip(b">").decode()
    pages = page_requester("serve_member_pages", "u")

    for _ in range(2):
        assert pages("POST", token, b"List-Unsubscribe=One-Click", FORM)["statusCode"] == 200

    weeks = digest_store.week_activities(get_store(), community.community_id, ["2026-W48"])
    assert weeks["2026-W48"].unsubscribed == frozenset({"u_1042"})


def test_cr_lf_in_a_configured_community_name_adds_no_header_to_the_welcome(community, ingest, welcome):
    from raw_mail import fields

    from cerchia.communities import configure_community

    configure_community(community.community_id, {"name": "Lievito\r\nBcc: everyone@example.com"})
    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")

    raw = _welcome_of("giulia.rossi@example.com")
    assert b"bcc" not in [name for name, _ in fields(raw)]
    assert decoded_display_name(field(raw, "From")) == "Marco · Lievito Bcc: everyone@example.com"


def test_bidi_overrides_in_a_member_name_never_reach_the_welcome(community, ingest, welcome):
    import email
    import email.policy

    ingest(community, event("member_joined", name="Giulia\u202e Rossi\u2066"))
    welcome(community.community_id, "u_1042")

    raw = _welcome_of("giulia.rossi@example.com")
    assert decoded_display_name(field(raw, "To")) == "Giulia Rossi"
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in ("plain", "html"):
        body = message.get_body((part,))
        assert body is not None and "\u202e" not in str(body.get_content()) and "\u2066" not in str(body.get_content())

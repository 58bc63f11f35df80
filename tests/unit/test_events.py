"""Parsing the platform's events: what is accepted, and how errors name the fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cerchia.domain.events import MemberJoined, PostCreated, parse_event
from cerchia.errors import InvalidInput
from support import event

RECEIVED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_member_joined_normalises_locale_and_keeps_event_time():
    parsed = parse_event(event("member_joined"), RECEIVED)

    assert isinstance(parsed.data, MemberJoined)
    assert parsed.data.locale == "it"
    assert parsed.occurred_at == datetime(2026, 11, 23, 9, 15, tzinfo=UTC)


def test_event_without_timestamp_happens_when_received():
    body = event("post_created", created_at=None)
    del body["timestamp"]

    parsed = parse_event(body, RECEIVED)

    assert parsed.occurred_at == RECEIVED
    assert isinstance(parsed.data, PostCreated)


def test_unknown_type_is_ignored_not_rejected():
    assert parse_event(event("unknown_type"), RECEIVED) is None


@pytest.mark.parametrize(
    ("fixture", "overrides", "field"),
    [
        ("member_joined", {"email": "nope"}, "data.email"),
        ("member_joined", {"timezone": "Mars/Olympus"}, "data.timezone"),
        ("member_joined", {"role": "admin"}, "data.role"),
        ("post_created", {"url": "javascript:alert(1)"}, "data.url"),
        ("post_created", {"created_at": "2026-11-23T11:00:00"}, "data.created_at"),
        ("reply_created", {"post_id": ""}, "data.post_id"),
    ],
)
def test_invalid_data_names_the_field(fixture, overrides, field):
    with pytest.raises(InvalidInput) as caught:
        parse_event(event(fixture, **overrides), RECEIVED)

    assert field in caught.value.fields


def test_missing_data_field_is_named():
    body = event("member_joined")
    del body["data"]["member_id"]

    with pytest.raises(InvalidInput) as caught:
        parse_event(body, RECEIVED)

    assert list(caught.value.fields) == ["data.member_id"]


def test_body_that_is_not_an_object_is_rejected():
    with pytest.raises(InvalidInput):
        parse_event([1, 2, 3], RECEIVED)


def test_envelope_without_type_names_it():
    with pytest.raises(InvalidInput) as caught:
        parse_event({"data": {}}, RECEIVED)

    assert "type" in caught.value.fields


def test_a_member_may_say_the_first_name_emails_greet_them_by():
    from cerchia.domain.events import MemberUpdated
    from cerchia.domain.rules import first_name

    joined = parse_event(event("member_joined", first_name="  Giuli "), RECEIVED)
    updated = parse_event(event("member_updated", first_name="Giulia"), RECEIVED)

    assert isinstance(joined.data, MemberJoined) and joined.data.first_name == "Giuli"
    assert isinstance(updated.data, MemberUpdated) and updated.data.changes()["first_name"] == "Giulia"
    assert first_name(None, "Giulia Rossi") == "Giulia" and first_name("", "") == ""

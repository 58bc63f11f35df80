"""NUL and bidi override/isolate characters are removed from names and titles where they enter and where they are shown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cerchia.domain.events import parse_event
from cerchia.domain.polls import NewPoll
from cerchia.errors import InvalidInput
from cerchia.rendering import render

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
# "Giulia" with a right-to-left override that would show "moc.live" as "evil.com", an isolate and a NUL
HOSTILE = "Giu\u202elia\u2066 Rossi\u2069\x00"


def test_a_member_name_loses_bidi_overrides_and_nul_at_ingest():
    event = parse_event(
        {"type": "member.joined", "data": {"member_id": "u_1", "email": "giulia@example.com", "name": HOSTILE}}, NOW
    )

    assert event is not None and event.data.name == "Giulia Rossi"  # type: ignore[union-attr]


def test_a_post_title_loses_every_bidi_control_from_u202a_to_u202e_and_u2066_to_u2069():
    controls = "".join(chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
    event = parse_event(
        {
            "type": "post.created",
            "data": {
                "post_id": "p_1",
                "author_id": "u_1",
                "title": f"Pane{controls} nero",
                "url": "https://f.example/1",
            },
        },
        NOW,
    )

    assert event is not None and event.data.title == "Pane nero"  # type: ignore[union-attr]


def test_a_name_made_only_of_invisible_characters_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as refused:
        parse_event(
            {"type": "member.joined", "data": {"member_id": "u_1", "email": "g@example.com", "name": "\u202e\x00"}},
            NOW,
        )

    assert "data.name" in refused.value.fields


def test_poll_questions_and_options_lose_bidi_overrides():
    poll = NewPoll.model_validate(
        {
            "question": "Quale\u202e giorno?",
            "options": ["Sabato\u2067", "Dom\x00enica"],
            "kind": "single",
            "send_at": "2026-11-27T09:00:00Z",
            "close_at": "2026-11-29T09:00:00Z",
        }
    )

    assert (poll.question, list(poll.options)) == ("Quale giorno?", ["Sabato", "Domenica"])


def test_a_page_never_shows_bidi_controls_even_from_a_row_stored_before_cleaning():
    page = render("pages/message.html", "en", title=HOSTILE, body=HOSTILE, community_name=HOSTILE)

    assert "Giulia Rossi" in page
    assert not any(ch in page for ch in "\u202e\u2066\u2069\x00")

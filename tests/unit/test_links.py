"""Signed link tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cerchia import links
from cerchia.errors import InvalidLink

NOW = datetime(2026, 11, 26, tzinfo=UTC)
SECRET = "s3cret-for-tests"


def test_token_round_trips_its_claims():
    token = links.sign(SECRET, "unsubscribe", {"c": "c1", "m": "m1"}, NOW + timedelta(days=1))

    assert links.verify(SECRET, "unsubscribe", token, NOW) == {
        "c": "c1",
        "m": "m1",
        "exp": int((NOW + timedelta(days=1)).timestamp()),
    }


def test_expired_token_is_refused():
    token = links.sign(SECRET, "unsubscribe", {"c": "c1"}, NOW)

    with pytest.raises(InvalidLink, match="expired"):
        links.verify(SECRET, "unsubscribe", token, NOW + timedelta(seconds=1))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: "",
        lambda token: "no-dot-at-all",
    ],
)
def test_tampered_token_is_refused(mutate):
    token = links.sign(SECRET, "unsubscribe", {"c": "c1", "m": "m1"}, NOW + timedelta(days=1))

    with pytest.raises(InvalidLink):
        links.verify(SECRET, "unsubscribe", mutate(token), NOW)


def test_token_for_another_purpose_or_key_is_refused():
    token = links.sign(SECRET, "unsubscribe", {"c": "c1"}, NOW + timedelta(days=1))

    with pytest.raises(InvalidLink):
        links.verify(SECRET, "vote", token, NOW)
    with pytest.raises(InvalidLink):
        links.verify("another-secret", "unsubscribe", token, NOW)


def test_a_console_link_in_an_email_is_one_the_console_opens_and_it_lives_a_week():
    from cerchia import runtime
    from cerchia.console import sessions
    from cerchia.mail import compose
    from cerchia.settings import Settings

    runtime.configure(settings=Settings(table_name="t", link_secret=SECRET))
    try:
        path = links.console_link_path("c1", "founder", NOW, compose.CONSOLE_LINK_LIFETIME)
        assert path.startswith(links.CONSOLE_OPEN_PATH)
        community_id, leader_id, _, expires_at = sessions.link_claims(path.removeprefix(links.CONSOLE_OPEN_PATH), NOW)
        assert (community_id, leader_id, expires_at) == ("c1", "founder", NOW + timedelta(days=7))
    finally:
        runtime.reset()

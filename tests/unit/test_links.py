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

"""The console's session cookie: its attributes, and `Secure` exactly when the public URL is https."""

from __future__ import annotations

from cerchia.console.sessions import cleared_cookie, session_cookie
from cerchia.console.web import Request


def _request(base_url: str) -> Request:
    return Request("GET", "/l/sign-in", {}, {}, "en", base_url)


def test_the_session_cookie_is_http_only_lax_scoped_to_the_console_and_lives_12_hours():
    cookie = session_cookie("abc.def", secure=True)

    assert cookie.split("; ") == [
        "cerchia_session=abc.def",
        "Path=/l/",
        "Max-Age=43200",
        "HttpOnly",
        "SameSite=Lax",
        "Secure",
    ]


def test_the_cookie_is_secure_over_https_and_not_on_the_local_stacks_plain_http():
    assert _request("https://abc123.execute-api.eu-west-1.amazonaws.com").secure
    assert not _request("http://127.0.0.1:8123").secure
    assert "Secure" not in session_cookie("v", secure=_request("http://127.0.0.1:8123").secure)


def test_signing_out_sends_an_empty_cookie_that_expires_at_once():
    assert cleared_cookie(secure=False).split("; ")[:3] == ["cerchia_session=", "Path=/l/", "Max-Age=0"]

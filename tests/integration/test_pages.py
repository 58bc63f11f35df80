"""The unsubscribe link: a GET shows a form, a POST (one-click or the form) unsubscribes."""

from __future__ import annotations

import pytest

from support import LambdaContext, event, http_event, load_handler


@pytest.fixture
def pages():
    module = load_handler("serve_member_pages")

    def request(method, token, body=b"", headers=None):
        path = f"/u/{token}"
        return module.lambda_handler(
            http_event(method, path, "/u/{token}", {"token": token}, body, headers), LambdaContext()
        )

    return request


def _token_from(message):
    return message["List-Unsubscribe"].strip("<>").rsplit("/u/", 1)[1]


def test_get_shows_a_form_and_changes_nothing(community, ingest, welcome, outbox, pages):
    from cerchia.store import get_store

    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")
    token = _token_from(outbox()[0])

    response = pages("GET", token)

    assert response["statusCode"] == 200
    assert '<form method="post"' in response["body"]
    assert "Disiscriviti" in response["body"]
    assert get_store().get_member(community.community_id, "u_1042").unsubscribed is False


def test_one_click_post_unsubscribes_without_redirect(community, ingest, welcome, outbox, pages):
    from cerchia.store import get_store

    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")
    token = _token_from(outbox()[0])

    response = pages(
        "POST", token, b"List-Unsubscribe=One-Click", {"content-type": "application/x-www-form-urlencoded"}
    )

    assert response["statusCode"] == 200
    assert "location" not in {k.lower() for k in response.get("headers", {})}
    assert get_store().get_member(community.community_id, "u_1042").unsubscribed is True


def test_tampered_token_gets_a_403_page_with_a_sentence(community, pages):
    response = pages("GET", "eyJjIjoiYyJ9.forged", headers={"accept-language": "it-IT,it;q=0.9"})

    assert response["statusCode"] == 403
    assert "Questo link non funziona" in response["body"]


def test_unsubscribed_member_gets_no_welcome(community, ingest, welcome, outbox, pages, clock):
    from cerchia.store import get_store

    ingest(community, event("member_joined"))
    get_store().set_unsubscribed(community.community_id, "u_1042", True, clock.now())

    welcome(community.community_id, "u_1042")

    assert outbox() == []

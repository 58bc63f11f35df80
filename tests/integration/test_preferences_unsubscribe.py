"""One-click unsubscribe (RFC 8058) at the List-Unsubscribe link: GET changes nothing, the POST acts."""

from __future__ import annotations

import re

import pytest

from cerchia import links
from preferences_support import FORM, page_requester
from support import event

ONE_CLICK = b"List-Unsubscribe=One-Click"


@pytest.fixture
def pages():
    return page_requester("serve_member_pages", "u")


@pytest.fixture
def link(community, ingest, welcome, outbox):
    """Giulia's List-Unsubscribe token, from the header of her welcome."""
    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")
    return outbox()[0]["List-Unsubscribe"].strip("<>").rsplit("/u/", 1)[1]


def _member(community):
    from cerchia.store import get_store

    return get_store().get_member(community.community_id, "u_1042")


def _headers(response):
    return {name.lower(): value for name, value in (response.get("headers") or {}).items()}


def test_get_shows_a_confirmation_form_and_changes_nothing(community, link, pages):
    before = _member(community)

    page = pages("GET", link)

    assert page["statusCode"] == 200
    assert '<form method="post" action="">' in page["body"] and 'name="confirm" value="yes"' in page["body"]
    assert "Oppure scegli quali email ricevere" in page["body"]
    assert _member(community) == before


def test_one_click_post_answers_200_with_no_redirect_and_no_cookie(community, link, pages):
    response = pages("POST", link, ONE_CLICK, FORM)

    assert response["statusCode"] == 200
    assert not {"location", "set-cookie"} & _headers(response).keys() and not response.get("cookies")
    assert "Lievito &amp; Co. non ti manderà più email." in response["body"]
    assert _member(community).unsubscribed is True


def test_one_click_as_multipart_form_data_unsubscribes_too(community, link, pages):
    body = b'--4f1b9c\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--4f1b9c--\r\n'

    response = pages("POST", link, body, {"content-type": "multipart/form-data; boundary=4f1b9c"})

    assert response["statusCode"] == 200 and _member(community).unsubscribed is True


def test_one_click_twice_is_still_200(community, link, pages):
    first = pages("POST", link, ONE_CLICK, FORM)
    second = pages("POST", link, ONE_CLICK, FORM)

    assert (first["statusCode"], second["statusCode"]) == (200, 200)


def test_the_confirmation_form_unsubscribes(community, link, pages):
    response = pages("POST", link, b"confirm=yes", FORM)

    assert response["statusCode"] == 200 and _member(community).unsubscribed is True


def test_a_post_without_the_one_click_body_changes_nothing_and_shows_the_form(community, link, pages):
    empty = pages("POST", link)
    other = pages("POST", link, b"List-Unsubscribe=Maybe", FORM)

    assert (empty["statusCode"], other["statusCode"]) == (400, 400)
    assert 'name="confirm" value="yes"' in empty["body"]
    assert _member(community).unsubscribed is False


def test_the_unsubscribed_page_offers_the_preference_page_to_change_ones_mind(community, link, pages, clock):
    from cerchia.settings import get_settings

    response = pages("POST", link, ONE_CLICK, FORM)

    relative = re.search(r'href="\.\./p/([^"]+)"', response["body"])
    assert relative, "no link to the preference page"
    claims = links.verify(get_settings().link_secret, "preferences", relative.group(1), clock.now())
    assert (claims["c"], claims["m"]) == (community.community_id, "u_1042")


def test_after_one_click_the_member_gets_no_further_email(community, link, pages, ingest, welcome, outbox):
    pages("POST", link, ONE_CLICK, FORM)
    ingest(community, event("member_left"))
    comeback = event("member_joined")
    comeback["timestamp"] = "2027-02-01T09:00:00Z"  # long after the grace: a new membership, normally welcomed
    ingest(community, comeback)

    welcome(community.community_id, "u_1042")

    assert len(outbox()) == 1  # only the first welcome


def test_a_forged_link_gets_403_and_changes_nothing(community, link, pages):
    response = pages("POST", link[:-4] + "AAAA", ONE_CLICK, FORM)

    assert response["statusCode"] == 403 and _member(community).unsubscribed is False

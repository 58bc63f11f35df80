"""The preference page under moto: GET shows the member's choices, POST saves them, leaders get more."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from cerchia.domain import rules
from preferences_support import FORM, checked, link_token, page_requester, selected
from support import event

EVERYTHING_ON = {"emails": "on", "digest": "weekly", "polls": "on", "locale": "it"}


@pytest.fixture
def preferences():
    return page_requester("serve_preference_pages", "p")


@pytest.fixture
def giulia(community, ingest, welcome, outbox):
    """Giulia joined Lievito & Co. and got her welcome; returns her preference token from its footer."""
    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")
    [message] = outbox()
    return link_token(message.get_body(("plain",)).get_content(), "p")


def _member(community, member_id="u_1042"):
    from cerchia.store import get_store

    return get_store().get_member(community.community_id, member_id)


def _token(community, member_id, clock):
    from cerchia.mail.compose import preferences_url

    return preferences_url(community.community_id, member_id, clock.now()).rsplit("/p/", 1)[1]


def _post(preferences, token, **fields):
    return preferences("POST", token, urlencode(fields).encode(), FORM)


def test_get_shows_the_current_choices_and_changes_nothing(community, giulia, preferences):
    before = _member(community)

    page = preferences("GET", giulia)

    assert page["statusCode"] == 200
    assert page["headers"]["Content-Type"] == "text/html; charset=utf-8"
    html = page["body"]
    assert [checked(html, name) for name in ("emails", "digest", "polls", "locale")] == ["on", "weekly", "on", "it"]
    assert "Le tue email da Lievito &amp; Co." in html and "Ciao Giulia," in html
    assert 'name="nudges"' not in html
    assert _member(community) == before


def test_post_saves_the_choices_and_confirms_in_the_chosen_language(community, giulia, preferences, clock):
    before = _member(community)

    page = _post(preferences, giulia, emails="on", digest="off", polls="off", locale="en")
    again = preferences("GET", giulia)

    assert page["statusCode"] == 200
    assert "Saved. Your choices apply from the next email." in page["body"]
    member = _member(community)
    assert (member.digest, member.polls, member.locale, member.unsubscribed) == ("off", False, "en", False)
    assert member.version == before.version + 1
    assert [checked(again["body"], name) for name in ("digest", "polls", "locale")] == ["off", "off", "en"]
    assert not rules.wants(member, "digest") and not rules.wants(member, "poll") and rules.wants(member, "welcome")


def test_every_two_weeks_is_kept(community, giulia, preferences):
    _post(preferences, giulia, **{**EVERYTHING_ON, "digest": "biweekly"})

    assert _member(community).digest == "biweekly"
    assert checked(preferences("GET", giulia)["body"], "digest") == "biweekly"


def test_no_emails_at_all_unsubscribes_and_yes_resubscribes(community, giulia, preferences):
    _post(preferences, giulia, **{**EVERYTHING_ON, "emails": "off"})
    stopped = _member(community)
    _post(preferences, giulia, **EVERYTHING_ON)

    assert stopped.unsubscribed is True and not rules.wants(stopped, "welcome")
    assert _member(community).unsubscribed is False


def test_a_leader_also_chooses_nudges_and_quiet_hours(community, ingest, preferences, clock):
    ingest(community, event("member_joined_leader", timezone="Europe/Rome"))
    token = _token(community, "u_7", clock)

    shown = preferences("GET", token)
    saved = _post(preferences, token, **EVERYTHING_ON, nudges="off", quiet_start="22", quiet_end="7")

    assert checked(shown["body"], "nudges") == "on"
    assert (selected(shown["body"], "quiet_start"), selected(shown["body"], "quiet_end")) == ("21", "8")
    assert saved["statusCode"] == 200
    leader = _member(community, "u_7")
    assert (leader.nudges, leader.quiet_start_hour, leader.quiet_end_hour) == (False, 22, 7)
    assert not rules.wants(leader, "nudge")
    assert (selected(saved["body"], "quiet_start"), selected(saved["body"], "quiet_end")) == ("22", "7")


def test_a_member_cannot_set_leader_choices(community, giulia, preferences):
    _post(preferences, giulia, **EVERYTHING_ON, nudges="off", quiet_start="1", quiet_end="2")

    member = _member(community)
    assert (member.nudges, member.quiet_start_hour) == (True, None)


def test_invalid_choices_change_nothing_and_say_what_to_do(community, giulia, preferences):
    before = _member(community)

    page = _post(preferences, giulia, emails="on", digest="daily", polls="on", locale="it")

    assert page["statusCode"] == 400
    assert "Alcune scelte non erano valide, quindi non abbiamo salvato nulla." in page["body"]
    assert _member(community) == before


def test_an_unsubscribe_token_or_a_forged_one_does_not_open_preferences(community, giulia, outbox, preferences):
    unsubscribe_token = outbox()[0]["List-Unsubscribe"].strip("<>").rsplit("/u/", 1)[1]

    foreign = preferences("GET", unsubscribe_token)
    forged = _post(preferences, giulia[:-3] + "abc", **{**EVERYTHING_ON, "digest": "off"})

    assert foreign["statusCode"] == 403 and forged["statusCode"] == 403
    assert "This link doesn&#39;t work" in foreign["body"]
    assert _member(community).digest == "weekly"


def test_an_expired_link_says_so_in_the_browser_language(community, giulia, preferences, clock):
    clock.advance(days=366)

    page = preferences("GET", giulia, headers={"accept-language": "it-IT,it;q=0.9"})

    assert page["statusCode"] == 403 and "Questo link non funziona" in page["body"]


def test_a_link_for_a_member_who_does_not_exist_is_404(community, preferences, clock):
    page = preferences("GET", _token(community, "u_nobody", clock))

    assert page["statusCode"] == 404


def test_a_change_made_meanwhile_is_read_again_and_the_form_still_wins(
    community, giulia, preferences, ingest, monkeypatch
):
    from cerchia.store import preferences as store_preferences

    real = store_preferences.save_choices
    calls = []

    def platform_renames_her_first(store, member, choices, now):
        if not calls:
            ingest(community, event("member_updated", member_id="u_1042", name="Giulia R."))
        calls.append(member.version)
        real(store, member, choices, now)

    monkeypatch.setattr(store_preferences, "save_choices", platform_renames_her_first)

    page = _post(preferences, giulia, **{**EVERYTHING_ON, "digest": "off"})

    assert page["statusCode"] == 200
    assert len(calls) == 2 and calls[1] == calls[0] + 1
    member = _member(community)
    assert (member.name, member.digest) == ("Giulia R.", "off")


def test_pages_are_uncached_cookieless_scriptless_and_fit_a_phone(community, giulia, preferences):
    page = preferences("GET", giulia)

    headers = {name.lower(): value for name, value in page["headers"].items()}
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
    assert "form-action 'self'" in headers["content-security-policy"]
    assert "set-cookie" not in headers and not page.get("cookies")
    assert "<script" not in page["body"].lower()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page["body"]

"""The preference form: what a posted form means, what the page shows, how posted bodies are read."""

from __future__ import annotations

import pytest

from cerchia.domain.models import Community, Member
from cerchia.domain.preferences import Choices, current_choices, parse_choices
from cerchia.errors import InvalidInput
from cerchia.preferences.pages import choices_page
from cerchia.preferences.unsubscribe import is_unsubscribe_request
from cerchia.web.pages import browser_locale, form_fields
from preferences_support import checked, selected

COMMUNITY = Community(community_id="c_1", name="Trail Runners <Bay Area>", timezone="Europe/London", locale="en")
MEMBER = Member(
    community_id="c_1",
    member_id="u_1",
    email="ana@example.com",
    name="Ana Lima",
    first_name="Ana <b>",
    locale="en",
    version=3,
)
LEADER = MEMBER.model_copy(update={"role": "leader", "member_id": "u_2", "timezone": "Europe/Rome"})
MEMBER_FORM = {"emails": "on", "digest": "biweekly", "polls": "off", "locale": "it"}


def test_a_member_form_becomes_choices_and_leader_fields_are_ignored():
    choices = parse_choices({**MEMBER_FORM, "nudges": "off", "quiet_start": "3"}, MEMBER)

    assert choices == Choices(emails=True, digest="biweekly", polls=False, locale="it")


def test_every_wrong_field_is_named():
    with pytest.raises(InvalidInput) as raised:
        parse_choices({"emails": "maybe", "digest": "daily", "locale": "fr"}, MEMBER)

    assert set(raised.value.fields) == {"emails", "digest", "polls", "locale"}


def test_a_leader_chooses_nudges_and_quiet_hours():
    choices = parse_choices({**MEMBER_FORM, "nudges": "off", "quiet_start": "22", "quiet_end": "7"}, LEADER)

    assert (choices.nudges, choices.quiet_hours) == (False, (22, 7))


def test_quiet_hours_left_at_the_default_stay_the_default():
    choices = parse_choices({**MEMBER_FORM, "nudges": "on", "quiet_start": "21", "quiet_end": "8"}, LEADER)

    assert choices.quiet_hours is None


@pytest.mark.parametrize(("start", "end"), [("22", "22"), ("24", "7"), ("x", "7"), (None, "7")])
def test_quiet_hours_must_be_two_different_hours(start, end):
    form = {**MEMBER_FORM, "nudges": "on", "quiet_end": end} | ({"quiet_start": start} if start else {})

    with pytest.raises(InvalidInput) as raised:
        parse_choices(form, LEADER)

    assert raised.value.fields.keys() & {"quiet_start", "quiet_end"}


def test_current_choices_read_the_member_and_fall_back_to_the_community_language():
    member = MEMBER.model_copy(update={"unsubscribed": True, "digest": "off", "locale": "fr"})

    assert current_choices(member, COMMUNITY) == Choices(emails=False, digest="off", polls=True, locale="en")


def test_the_page_checks_the_current_choices_and_escapes_names():
    choices = Choices(emails=True, digest="biweekly", polls=False, locale="en")

    page = choices_page(COMMUNITY, MEMBER, choices)

    assert page.status == 200
    assert (checked(page.html, "digest"), checked(page.html, "polls"), checked(page.html, "locale")) == (
        "biweekly",
        "off",
        "en",
    )
    assert "Trail Runners &lt;Bay Area&gt;" in page.html and "Ana &lt;b&gt;" in page.html
    assert "<script" not in page.html and 'name="nudges"' not in page.html
    assert '<form method="post" action="">' in page.html


def test_a_leader_sees_nudges_and_quiet_hours_in_their_time_zone_in_italian():
    choices = Choices(emails=True, digest="weekly", polls=True, locale="it", nudges=False, quiet_hours=(22, 6))

    page = choices_page(COMMUNITY, LEADER, choices, saved=True)

    assert checked(page.html, "nudges") == "off"
    assert (selected(page.html, "quiet_start"), selected(page.html, "quiet_end")) == ("22", "6")
    assert "(ora di Roma)" in page.html and "Orari di silenzio" in page.html
    assert "Europe/Rome" not in page.html
    assert "Fatto! Le tue scelte valgono dalla prossima email." in page.html


def test_a_leader_who_never_chose_sees_the_default_quiet_hours():
    page = choices_page(COMMUNITY, LEADER, current_choices(LEADER, COMMUNITY))

    assert (selected(page.html, "quiet_start"), selected(page.html, "quiet_end")) == ("21", "8")


def test_form_bodies_are_read_urlencoded_or_multipart():
    multipart = (
        '--b0undary\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b0undary--\r\n'
    )

    assert form_fields("digest=off&locale=it&digest=weekly") == {"digest": "off", "locale": "it"}
    assert form_fields(multipart, "multipart/form-data; boundary=b0undary") == {"List-Unsubscribe": "One-Click"}
    assert form_fields("", "application/x-www-form-urlencoded") == {}
    assert form_fields("&".join(f"f{n}=1" for n in range(100))) == {}


def test_only_the_one_click_body_or_the_confirmation_form_unsubscribes():
    assert is_unsubscribe_request({"List-Unsubscribe": "One-Click"})
    assert is_unsubscribe_request({"confirm": "yes"})
    assert not is_unsubscribe_request({})
    assert not is_unsubscribe_request({"List-Unsubscribe": "maybe"})


def test_browser_language_decides_pages_for_broken_links():
    assert (browser_locale("it-IT,it;q=0.9"), browser_locale("en-GB"), browser_locale(None)) == ("it", "en", "en")


def test_equal_quiet_hours_are_explained_on_the_page():
    choices = current_choices(LEADER, COMMUNITY)

    page = choices_page(COMMUNITY, LEADER, choices, 400, problems={"quiet_end": "different from the start"})

    assert page.status == 400 and "Choose two different hours, from 00:00 to 23:00." in page.html

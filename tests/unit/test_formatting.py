"""cerchia.formatting: dates, zones and counts from CLDR, said the way people say them; subjects that fit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cerchia import formatting
from cerchia.i18n import translator

MONDAY = datetime(2026, 11, 30, 8, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "locale", "expected"),
    [
        ("Europe/Rome", "it", "lunedì 30 novembre alle 09:16 (ora di Roma)"),
        ("Europe/Rome", "en", "Monday 30 November at 09:16 (Rome time)"),
        ("America/New_York", "en", "Monday 30 November at 03:16 (New York time)"),
        ("Europe/London", "it", "lunedì 30 novembre alle 08:16 (ora di Londra)"),
        ("UTC", "en", "Monday 30 November at 08:16 (UTC)"),
    ],
)
def test_a_moment_names_its_day_its_time_and_its_zone_in_words(zone, locale, expected):
    assert formatting.moment(MONDAY, zone, locale) == expected


def test_weekdays_and_short_days_come_from_cldr_in_each_language():
    assert formatting.weekday(MONDAY, "Europe/Rome", "it") == "lunedì"
    assert formatting.day(MONDAY, "Asia/Tokyo", "en") == "Monday 30 November"
    assert formatting.short_day(MONDAY, "Europe/Rome", "it") == "30 nov"
    assert formatting.weekday(MONDAY, "Pacific/Honolulu", "en") == "Sunday"  # still the 29th there


@pytest.mark.parametrize(
    ("first", "last", "locale", "expected"),
    [
        (date(2026, 11, 23), date(2026, 11, 29), "it", "23–29 novembre"),
        (date(2026, 11, 23), date(2026, 12, 6), "en", "23 November – 6 December"),
        (date(2026, 12, 28), date(2027, 1, 3), "it", "28 dicembre – 3 gennaio"),
    ],
)
def test_day_ranges_read_naturally(first, last, locale, expected):
    assert formatting.day_range(first, last, locale) == expected


@pytest.mark.parametrize(
    ("count", "locale", "expected"),
    [(1, "en", "1 hour"), (26, "en", "26 hours"), (1, "it", "1 ora"), (0, "it", "0 ore"), (3, "it", "3 ore")],
)
def test_plurals_follow_each_languages_rules(count, locale, expected):
    assert formatting.plural(locale, "formatting.hour_count", count) == expected


def test_a_plural_form_the_catalogue_lacks_falls_back_to_other():
    assert formatting.plural_form(1_000_000, "it") == "many"  # CLDR's Italian "many"
    assert formatting.plural("it", "formatting.day_count", 1_000_000) == "1000000 giorni"


def test_durations_and_waits_use_the_plural_of_their_unit():
    assert formatting.duration(86400 + 7200, "en") == "1 day 2 h"
    assert formatting.duration(3 * 86400, "it") == "3 giorni"
    assert formatting.how_long(datetime(2026, 11, 27, 8, 16, tzinfo=UTC), MONDAY, "it") == "3 giorni"


def test_a_long_title_is_cut_at_a_word_with_an_ellipsis_so_the_subject_fits():
    title = "Which flour should I use for a long cold fermentation of a rye loaf?"

    subject = formatting.fit_subject("en", "nudges.subject_post", {"title": title}, ["title"])

    assert subject == "Waiting for an answer: “Which flour should I use for a…”"
    assert len(subject) <= 60
    assert formatting.fit_subject("en", "nudges.subject_post", {"title": "Short"}, ["title"]) == (
        "Waiting for an answer: “Short”"
    )


def test_a_name_ending_in_a_full_stop_never_gets_a_second_one():
    t = translator("it")

    assert t("preferences.greeting", community="Lievito & Co.") == "Scegli quali email di Lievito & Co. vuoi ricevere."
    assert t("footer.why_leader", community="Lievito & Co.") == "Ricevi questa email perché gestisci Lievito & Co."


def test_a_subject_keeps_its_numbers_and_dates_and_cuts_the_title_first(monkeypatch):
    from cerchia import runtime

    monkeypatch.setenv("TABLE_NAME", "unit")
    monkeypatch.setenv("LINK_SECRET", "unit-link-secret-0123456789")
    runtime.reset()
    from cerchia.domain.models import Community, Member
    from cerchia.mail.compose import Recipient, compose

    community = Community(community_id="c_1", name="The Very Long Name Of A Running Club In The Bay Area")
    leader = Recipient(email="sam@example.com", name="Sam Lee", locale="en")
    title = "Which headlamp do you trust for long winter trails in the dark?"

    outgoing = compose(
        "nudge", "welcome", community, leader, MONDAY, "nudges.subject_posts.other", {"title": title, "count": 12},
        member=Member(community_id="c_1", member_id="m", name="Sam Lee"), posts=[],
    )  # fmt: skip

    assert len(outgoing.subject) <= 60 and outgoing.subject.endswith("” and 12 more posts wait for an answer")
    assert outgoing.subject.startswith("“Which") and "…" in outgoing.subject

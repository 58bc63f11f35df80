"""How Cerchia says dates, times, time zones, durations and counts in each language.

The one place for it: weekdays, months, day ranges, zone names and plural categories come from
CLDR through Babel, never from hand-written lists; only the sentences around them ("{day} at
{time} ({zone})") are in the catalogue (catalogue/<locale>/formatting.json). Plural keys are
`<key>.one`, `<key>.other` (and `<key>.many` where CLDR has it; a missing form falls back to
`.other`). Subjects are fitted to SUBJECT_LIMIT characters here too (`fit_subject`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_interval, format_time, get_timezone_location

from cerchia import runtime
from cerchia.i18n import LOCALES, catalogue, translator

# CLDR locale per catalogue language: British English writes "30 November", as the catalogue does.
_CLDR = {"en": "en_GB", "it": "it_IT"}
SUBJECT_LIMIT = 60
ELLIPSIS = "…"
_UTC_NAMES = {"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"}


def _language(locale: str) -> str:
    return locale if locale in LOCALES else "en"


def _cldr(locale: str) -> Locale:
    kept = runtime.cache("cldr")
    language = _language(locale)
    if language not in kept:
        kept[language] = Locale.parse(_CLDR[language])
    return kept[language]  # type: ignore[no-any-return]


def _local(instant: datetime, timezone: str) -> datetime:
    return instant.astimezone(ZoneInfo(timezone))


# ---------------------------------------------------------------------- counts


def plural_form(count: int, locale: str) -> str:
    """CLDR's plural category of a count: 'one', 'other', 'many'..."""
    return str(_cldr(locale).plural_form(abs(count)))


def plural(locale: str, key: str, count: int, **values: Any) -> str:
    """The catalogue's `<key>.<category>` for this count, with `{count}` filled in."""
    language = _language(locale)
    strings = catalogue(language)
    form = f"{key}.{plural_form(count, language)}"
    if form not in strings:
        form = f"{key}.other"
    return translator(language)(form, count=count, **values)


# ---------------------------------------------------------------------- days and times


def day(instant: datetime, timezone: str, locale: str) -> str:
    """'Monday 30 November', 'lunedì 30 novembre'."""
    return str(format_date(_local(instant, timezone).date(), "EEEE d MMMM", locale=_cldr(locale)))


def short_day(instant: datetime, timezone: str, locale: str) -> str:
    """'30 Nov', '30 nov'."""
    return str(format_date(_local(instant, timezone).date(), "d MMM", locale=_cldr(locale)))


def weekday(instant: datetime, timezone: str, locale: str) -> str:
    """'Monday', 'lunedì'."""
    return str(format_date(_local(instant, timezone).date(), "EEEE", locale=_cldr(locale)))


def time_of_day(instant: datetime, timezone: str, locale: str) -> str:
    """'09:16' (24-hour clock in both languages)."""
    return str(format_time(_local(instant, timezone).timetz(), "HH:mm", locale=_cldr(locale)))


def zone_name(timezone: str, locale: str) -> str:
    """A zone as people say it: 'Rome time', 'ora di Roma'; 'UTC' for UTC."""
    t = translator(_language(locale))
    if timezone in _UTC_NAMES:
        return t("formatting.zone_utc")
    city = get_timezone_location(ZoneInfo(timezone), locale=_cldr(locale), return_city=True)
    return t("formatting.zone", city=city)


def moment(instant: datetime, timezone: str, locale: str) -> str:
    """'Monday 30 November at 09:16 (Rome time)', 'lunedì 30 novembre alle 09:16 (ora di Roma)'."""
    return translator(_language(locale))(
        "formatting.moment",
        day=day(instant, timezone, locale),
        time=time_of_day(instant, timezone, locale),
        zone=zone_name(timezone, locale),
    )


def day_range(first: date, last: date, locale: str) -> str:
    """'23–29 November', '30 novembre – 6 dicembre' (both days included)."""
    if first == last:
        return str(format_date(first, "d MMMM", locale=_cldr(locale)))
    text = str(format_interval(first, last, "MMMMd", locale=_cldr(locale)))
    # CLDR puts thin spaces around the dash: none within a month ("23–29"), plain ones across months
    joiner = "" if (first.year, first.month) == (last.year, last.month) else " "
    return text.replace("\u2009", joiner).replace("\u202f", joiner)


def week_range(start: datetime, end: datetime, timezone: str, locale: str) -> str:
    """The days of [start, end) as lived in a zone: the last day is the one `end` closes."""
    first = _local(start, timezone).date()
    last = (_local(end, timezone) - timedelta(hours=12)).date()
    return day_range(first, last, locale)


# ---------------------------------------------------------------------- durations


def duration(seconds: float | None, locale: str) -> str:
    """'25 min', '3 h 5 min', '2 days 4 h', '1 giorno'; '—' for no value."""
    t = translator(_language(locale))
    if seconds is None:
        return t("formatting.none")
    minutes = max(0, round(seconds / 60))
    if minutes < 60:
        return t("formatting.minutes", minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return (
            t("formatting.hours", hours=hours, minutes=minutes) if minutes else t("formatting.whole_hours", hours=hours)
        )
    days, hours = divmod(hours, 24)
    text = plural(locale, "formatting.days", days)
    return text + (" " + t("formatting.whole_hours", hours=hours) if hours else "")


def how_long(since: datetime, now: datetime, locale: str) -> str:
    """'26 hours', '3 days', '1 giorno': whole hours under two days, whole days after."""
    hours = max(0, int((now - since).total_seconds() // 3600))
    if hours < 48:
        return plural(locale, "formatting.hour_count", hours)
    return plural(locale, "formatting.day_count", hours // 24)


# ---------------------------------------------------------------------- subjects


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word where possible, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if text[limit - 1] != " " and space >= (limit - 1) // 2:
        cut = cut[:space]  # end on a whole word
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS


def fit_subject(locale: str, key: str, values: dict[str, Any], cut_first: list[str], limit: int = SUBJECT_LIMIT) -> str:
    """The catalogue's `key` filled with `values`, in at most `limit` characters.

    When it is too long, the values named in `cut_first` (a post title, a question, then names) are
    shortened with an ellipsis, in that order, just enough to fit.
    """
    t = translator(_language(locale))
    values = dict(values)
    subject = t(key, **values)
    for name in cut_first:
        if len(subject) <= limit:
            break
        value = str(values.get(name) or "")
        if not value:
            continue
        room = len(value) - (len(subject) - limit)
        values[name] = shorten(value, room) if room >= 1 else ELLIPSIS
        subject = t(key, **values)
    return subject if len(subject) <= limit else shorten(subject, limit)

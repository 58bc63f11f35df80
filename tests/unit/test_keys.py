"""The table's sortable instants: fixed width, four-digit years, UTC, so string order is time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from cerchia.store import keys


def test_iso_writes_four_digit_years_so_year_999_sorts_before_2026():
    old = keys.iso(datetime(999, 1, 1, tzinfo=UTC))
    recent = keys.iso(datetime(2026, 11, 23, 9, 15, tzinfo=UTC))

    assert old == "0999-01-01T00:00:00.000000Z"
    assert sorted([recent, old]) == [old, recent]


def test_iso_writes_an_offset_instant_as_its_utc_time():
    rome = timezone(timedelta(hours=1))

    assert keys.iso(datetime(2026, 11, 23, 10, 0, tzinfo=rome)) == "2026-11-23T09:00:00.000000Z"


def test_iso_is_fixed_width_for_every_year_and_microsecond():
    instants = [
        datetime(year, 12, 31, 23, 59, 59, micro, tzinfo=UTC) for year in (1, 99, 999, 2026, 9999) for micro in (0, 7)
    ]

    texts = [keys.iso(instant) for instant in instants]

    assert {len(text) for text in texts} == {27}
    assert sorted(texts) == texts

"""How polls say a closing time and a participation, in the reader's language (emails and pages alike)."""

from __future__ import annotations

from datetime import datetime

from cerchia import formatting
from cerchia.domain.tallies import Tally
from cerchia.i18n import translator


def when(instant: datetime, timezone: str, locale: str) -> str:
    """An instant as people say it where they live, with its zone: "Monday 30 November at 18:00 (Rome time)"."""
    return formatting.moment(instant, timezone, locale)


def results_line(locale: str, counted: Tally) -> str:
    """ "3 of 7 members answered (43%)", or that nobody did."""
    if not counted.ballots:
        return str(translator(locale)("polls.results_nobody"))
    return formatting.plural(
        locale, "polls.participation", counted.ballots, eligible=counted.eligible, percent=counted.participation_percent
    )

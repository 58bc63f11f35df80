"""Schedule expressions (`rate(...)`, `cron(...)`, `at(...)`) and the instants they fire at.

`rate(N unit)` fires at the multiples of its period since the Unix epoch, so a stack started at
any moment fires on the same round instants. `cron(...)` is AWS's six-field form (minutes hours
day-of-month month day-of-week year), evaluated in UTC unless a time zone is given; it is
translated to croniter's five fields: `?` becomes `*`, AWS's day-of-week 1-7 (SUN-SAT) becomes
0-6, and the year field filters the instants.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
# A weekday number in AWS's day-of-week field, unless it is the N of "#N" or a step "/N".
_WEEKDAY_NUMBER = re.compile(r"(?<![#/\d])([1-7])(?!\d)")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ScheduleError(ValueError):
    """A schedule expression the local stack cannot evaluate."""


class TickSource(Protocol):
    def next_after(self, instant: datetime) -> datetime | None:
        """The first firing instant strictly after `instant` (UTC), or None if it never fires again."""
        ...


@dataclass(frozen=True)
class RateTicks:
    period: timedelta

    def next_after(self, instant: datetime) -> datetime | None:
        return self.at_or_before(instant) + self.period

    def at_or_before(self, instant: datetime) -> datetime:
        """The last firing instant at or before `instant`."""
        period_us = self.period // timedelta(microseconds=1)
        elapsed_us = (instant - _EPOCH) // timedelta(microseconds=1)
        return _EPOCH + timedelta(microseconds=(elapsed_us // period_us) * period_us)


@dataclass(frozen=True)
class CronTicks:
    expression: str  # croniter's five fields
    zone: ZoneInfo
    years: frozenset[int] | None = None

    def next_after(self, instant: datetime) -> datetime | None:
        cursor = instant.astimezone(self.zone)
        for _ in range(10_000):
            candidate = croniter(self.expression, cursor).get_next(datetime)
            if self.years is None or candidate.year in self.years:
                return candidate.astimezone(UTC)
            if candidate.year > max(self.years):
                return None
            cursor = candidate
        return None


@dataclass(frozen=True)
class AtTicks:
    instant: datetime

    def next_after(self, instant: datetime) -> datetime | None:
        return self.instant if self.instant > instant else None


def parse_expression(expression: str, timezone: str | None = None) -> TickSource:
    """Compile a schedule expression; raise ScheduleError with a sentence if it is not one."""
    text = expression.strip()
    zone = _zone(timezone)
    if rate := _RATE.match(text):
        amount, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if amount <= 0:
            raise ScheduleError(f"{expression}: the rate must be a positive number.")
        return RateTicks(timedelta(seconds=amount * _UNIT_SECONDS[unit]))
    if cron := _CRON.match(text):
        return _cron(cron.group(1), zone, expression)
    if at := _AT.match(text):
        return AtTicks(datetime.fromisoformat(at.group(1)).replace(tzinfo=zone).astimezone(UTC))
    raise ScheduleError(
        f"{expression!r} is not a schedule expression; use rate(N minutes|hours|days), "
        "cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)."
    )


def aws_cron_to_croniter(fields: str) -> tuple[str, frozenset[int] | None]:
    """Translate AWS's six cron fields to croniter's five, plus the set of years (None: every year)."""
    parts = fields.split()
    if len(parts) != 6:
        raise ScheduleError(f"cron({fields}) needs 6 fields: minutes hours day-of-month month day-of-week year.")
    minutes, hours, day_of_month, month, day_of_week, year = (p.replace("?", "*") for p in parts)
    day_of_week = _WEEKDAY_NUMBER.sub(lambda m: str(int(m.group(1)) - 1), day_of_week.upper())
    return " ".join((minutes, hours, day_of_month, month, day_of_week)), _years(year, fields)


def _cron(fields: str, zone: ZoneInfo, expression: str) -> CronTicks:
    five, years = aws_cron_to_croniter(fields)
    if not croniter.is_valid(five):
        raise ScheduleError(f"{expression}: croniter cannot evaluate {five!r}.")
    return CronTicks(five, zone, years)


def _years(field: str, fields: str) -> frozenset[int] | None:
    if field == "*":
        return None
    years: set[int] = set()
    for part in field.split(","):
        if re.fullmatch(r"\d{4}", part):
            years.add(int(part))
        elif match := re.fullmatch(r"(\d{4})-(\d{4})", part):
            years.update(range(int(match.group(1)), int(match.group(2)) + 1))
        else:
            raise ScheduleError(f"cron({fields}): the year field {field!r} is not supported locally.")
    return frozenset(years)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ScheduleError(f"{name!r} is not a time zone name (like Europe/Rome).") from error


def ticks_between(source: TickSource, start: datetime, end: datetime) -> Iterator[datetime]:
    """Every firing instant t with start < t <= end, in order."""
    tick = source.next_after(start)
    while tick is not None and tick <= end:
        yield tick
        tick = source.next_after(tick)


def last_tick_between(source: TickSource, start: datetime, end: datetime) -> datetime | None:
    """The last firing instant t with start < t <= end, or None if there is none."""
    if isinstance(source, RateTicks):
        tick = source.at_or_before(end)
        return tick if tick > start else None
    last = None
    for last in ticks_between(source, start, end):  # noqa: B007 - only the last one is wanted
        pass
    return last


@dataclass
class Schedule:
    """A function fired on a schedule, from a `Schedule`/`ScheduleV2` event or a scheduler resource."""

    name: str
    function_logical_id: str
    expression: str
    ticks: TickSource
    arn: str
    source: str = "aws.scheduler"  # "aws.events" for EventBridge rules
    input: Any = None  # the template's Input, parsed; None means the default event
    attempts: int = 3  # the first try and the retries (RetryPolicy, or Lambda's two async retries)
    last: datetime = _EPOCH  # the last instant fired or passed over (or the stack's start)
    # When the function next has work: the earliest instant at which anything it acts on is due
    # (None: nothing pending). Given, the engine may pass over the instants at which a run would
    # find nothing; not given, the function runs at every instant.
    next_work: Callable[[], datetime | None] | None = None

    def next_tick(self) -> datetime | None:
        return self.ticks.next_after(self.last)

    def next_useful_tick(self, work: datetime | None) -> datetime | None:
        """The first instant worth running at, for work due at `work` (None: none).

        That is the last instant at or before `work` (a run there sees it if the clock has moved
        past `work` by then, as it may after other functions ran at that instant), else the first after.
        """
        tick = self.next_tick()
        if tick is None or work is None:
            return None
        return max(tick, last_tick_between(self.ticks, self.last, work) or tick)

    def event(self, tick: datetime, region: str, account_id: str) -> Any:
        if self.input is not None:
            return self.input
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": self.source,
            "account": account_id,
            "time": tick.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [self.arn],
            "detail": {},
        }

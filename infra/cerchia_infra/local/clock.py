"""The local stack's virtual clock: wall time plus an offset that only grows."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class ClockMovedBackwards(ValueError):
    """Someone asked the clock to go back in time, which it never does."""


class VirtualClock:
    def __init__(self, wall: Callable[[], datetime] | None = None) -> None:
        self._wall = wall or (lambda: datetime.now(UTC))
        self._offset = timedelta(0)
        self._lock = threading.RLock()

    @property
    def offset(self) -> timedelta:
        return self._offset

    def now(self) -> datetime:
        return self._wall() + self._offset

    def require_not_past(self, target: datetime) -> None:
        """Raise ClockMovedBackwards (with a sentence for the user) if `target` is before now."""
        current = self.now()
        if as_utc(target) < current:
            raise ClockMovedBackwards(
                f"The clock never moves back: {iso(target)} is before the current time {iso(current)}; "
                "ask for a later time or advance by zero or more seconds."
            )

    def set(self, target: datetime) -> datetime:
        """Move to `target`, which must not be before now."""
        with self._lock:
            self.require_not_past(target)
            return self.catch_up(target)

    def catch_up(self, target: datetime) -> datetime:
        """Move to `target` if it is still ahead (the wall may have passed it already); return now."""
        target = as_utc(target)
        with self._lock:
            current = self.now()
            if target > current:
                self._offset += target - current
                return target
            return current

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ClockMovedBackwards(f"The clock never moves back: advance by zero or more seconds, not {seconds:g}.")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
            return self.now()


def as_utc(moment: datetime) -> datetime:
    """A naive datetime is read as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """ISO-8601 in UTC with a Z, to the millisecond."""
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Parse ISO-8601 (a trailing Z is accepted on every Python version); naive means UTC."""
    if not isinstance(text, str):
        raise ValueError("expected an ISO-8601 string")
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return as_utc(datetime.fromisoformat(value))

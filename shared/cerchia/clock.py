"""Where "now" comes from.

Rules take `now` as an argument; the edges (handlers, services) ask this module. In Lambda it
is the wall clock; the local stack installs its virtual clock so schedules, post ages and weeks
follow `POST /_local/clock`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

NowSource = Callable[[], datetime]


def _wall() -> datetime:
    return datetime.now(UTC)


_source: NowSource = _wall


def now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return _source()


def use(source: NowSource | None) -> None:
    """Install another source of time (the local stack's virtual clock, a test's); None restores the wall."""
    global _source
    _source = source or _wall


def parse_instant(raw: object) -> datetime | None:
    """An instant written as ISO 8601 (a trailing Z allowed); None for an empty value."""
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None

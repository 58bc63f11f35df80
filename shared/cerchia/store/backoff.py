"""Waiting before asking DynamoDB again: full jitter, doubling, capped.

`pause` is the wait before re-asking for BatchGetItem's UnprocessedKeys: DynamoDB leaves keys
unprocessed when a partition is throttled, and asking again at once is throttled again. Each wait is
random in [0, min(CAP, BASE * 2**attempt)], so a few retries stay well within a function's time (at
most CAP seconds each) and concurrent readers spread out.

`Backoff` is the store's own clock and waits (`Store.backoff`): the ingest projection retries
cancelled transactions with it, batch reads wait with it, and the community cache reads its
monotonic time. Tests give the store one on a virtual clock.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

BASE_S = 0.05
CAP_S = 1.0

_sleep: Callable[[float], None] = time.sleep


def pause(attempt: int) -> float:
    """Sleep before retry number `attempt` (0 for the first); returns the seconds waited."""
    delay = random.uniform(0, min(CAP_S, BASE_S * 2**attempt))
    _sleep(delay)
    return delay


def use_sleep(sleep: Callable[[float], None] | None) -> None:
    """Tests: record the waits instead of sleeping (None: sleep for real again)."""
    global _sleep
    _sleep = sleep or time.sleep


@dataclass
class Backoff:
    """Jittered exponential backoff ("full jitter"): attempt n waits a random time in [0, base * 2**n], capped."""

    base: float = 0.025
    cap: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random
    monotonic: Callable[[], float] = time.monotonic

    def delay(self, attempt: int) -> float:
        return self.random() * min(self.cap, self.base * (2 ** min(attempt, 30)))

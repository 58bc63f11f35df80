"""Waiting before asking DynamoDB again (BatchGetItem's UnprocessedKeys): full jitter, doubling, capped.

DynamoDB leaves keys unprocessed when a partition is throttled; asking again at once is throttled
again. Each wait is random in [0, min(CAP, BASE * 2**attempt)], so a few retries stay well within a
function's time (at most CAP seconds each) and concurrent readers spread out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

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

"""Logging and metrics for code below the handlers (built on first use; no member address is ever logged)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(child=True)

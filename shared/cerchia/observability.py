"""Logging and metrics for code below the handlers (no member address is ever logged)."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit, single_metric

from cerchia import runtime
from cerchia.settings import get_settings


def logger() -> Logger:
    """The logger of code below the handlers: a child of the handler's own, so it logs with its keys."""
    return runtime.remember("logger", lambda: Logger(child=True))


def count(metric: str, value: float = 1, **dimensions: str) -> None:
    """One CloudWatch EMF line on stdout: `metric` with the stage (and any given dimensions).

    Counting must never stop the work it counts: a failure here is logged and forgotten.
    """
    try:
        metrics = EphemeralMetrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Cerchia")
        metrics.add_dimension(name="stage", value=get_settings().stage)
        for name, dimension in dimensions.items():
            metrics.add_dimension(name=name, value=dimension)
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=value)
        metrics.flush_metrics()
    except Exception:
        logger().exception("could not count", extra={"metric": metric, **dimensions})


UNREADABLE_METRIC = "UnreadableItems"


def unreadable_item(entity: str, item: dict[str, Any], error: Exception) -> None:
    """Log and count a stored item that no longer reads as its model; the caller skips it and goes on.

    The log names the item's key and the fields at fault, never their values (they may hold an address).
    """
    problems = getattr(error, "errors", None)
    fields = (
        sorted({".".join(str(part) for part in problem.get("loc", ())) for problem in problems()})
        if callable(problems)
        else []
    )
    logger().warning(
        "unreadable item skipped",
        extra={
            "entity": entity,
            "pk": str(item.get("pk", "")),
            "sk": str(item.get("sk", "")),
            "error": type(error).__name__,
            "fields": fields,
        },
    )
    with single_metric(
        name=UNREADABLE_METRIC,
        unit=MetricUnit.Count,
        value=1,
        namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Cerchia"),
    ) as metric:
        metric.add_dimension(name="entity", value=entity)

"""The local stack: the whole of Cerchia on one machine, wired from `template.yaml`.

An in-process moto server is the AWS emulator. `LocalStack` creates the template's resources in it,
loads each function's handler, and drives the function's events as the template declares them:
HTTP routes (API Gateway payload 2.0), DynamoDB streams with their filters, SQS queues, SNS topics
and schedules, all on a virtual clock that only moves forward.

Modules: `template` (parse, intrinsics), `emulator` (the moto server), `resources` (create them in
moto), `functions` (load and invoke handlers), `patterns` (event filtering), `schedules` (rate/cron
ticks), `streams` and `queues` (event sources), `wiring` (template events to event sources),
`engine` (schedules and settling), `http_front` (the HTTP API and `/_local/*`), `outbox` (sent
emails), `clock` (virtual time), `stack` (`LocalStack`), `process` (run `cerchia serve` as a subprocess).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cerchia_infra.local.stack import LocalStack, StackError

__all__ = ["LocalStack", "StackError"]


def __getattr__(name: str) -> Any:
    # Lazy, so that pure modules (patterns, schedules) import without moto and the server.
    if name in __all__:
        from cerchia_infra.local import stack

        return getattr(stack, name)
    raise AttributeError(name)

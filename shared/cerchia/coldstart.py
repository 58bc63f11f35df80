"""A Lambda cold start without garbage collection: every handler imports this module first.

Initialising a function (boto3, pydantic, Powertools, Cerchia) and serving its first event allocate
some hundreds of thousands of objects that live as long as the execution environment. CPython's
collector walks them again and again while they pile up (a full pass every few tens of thousands of
allocations), to find nothing to free: about a tenth of a cold start's CPU. So in a Lambda execution
environment the collector is off from the handler's first import until its first event is served;
then everything built so far is moved out of the collector's sight (`gc.freeze`) and collection
resumes as usual for what later invocations allocate.

Outside Lambda (tests, the local stack, the CLI, which import handlers into long-lived processes)
nothing changes: Lambda sets `AWS_LAMBDA_FUNCTION_NAME` in every execution environment, and only
there is the collector paused.
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Any])

PAUSED = "AWS_LAMBDA_FUNCTION_NAME" in os.environ and gc.isenabled()
if PAUSED:
    gc.disable()


def resume() -> None:
    """Collection back on, with all that initialisation built frozen out of its way (idempotent)."""
    global PAUSED
    if PAUSED:
        PAUSED = False
        gc.freeze()
        gc.enable()


def first_call_resumes(handler: Handler) -> Handler:
    """`handler`, which turns the collector back on once its first invocation is over (raised or not)."""

    @functools.wraps(handler)
    def served(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        finally:
            resume()

    return served  # type: ignore[return-value]

"""One delivery as ingest reads it, whatever sent it: the size it may have, its JSON, what came of it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from cerchia.errors import InvalidInput, PayloadTooLarge

MAX_BODY_BYTES = 256 * 1024
Outcome = Literal["stored", "duplicate", "unchanged", "ignored"]


@dataclass(frozen=True)
class Ingested:
    """What became of a delivery, and the type of the event it carried (None: none Cerchia knows)."""

    outcome: Outcome
    event_type: str | None = None


def check_size(body: bytes) -> None:
    """PayloadTooLarge when the body is over MAX_BODY_BYTES (before anything reads it)."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}.")


def decode_json(body: bytes) -> Any:
    """The JSON document in a body, or InvalidInput saying why it is not one (never a 500)."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput("The body is not valid JSON: send UTF-8 JSON text.", {"body": str(error)}) from None
    except RecursionError:
        raise InvalidInput(
            "The body is nested too deeply to read; send the flat object the contract describes.",
            {"body": "nested too deeply"},
        ) from None

"""What the two webhook functions answer: one map of outcomes and one of errors, for both sources.

The platform (and Discourse) retry on a 5xx and on a timeout, never on a 2xx or a 4xx: a stored or
duplicate delivery is a 2xx, a delivery that can never be stored a 4xx naming what is wrong, and a
busy table a 503 with Retry-After.
"""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from cerchia.errors import InvalidInput, PayloadTooLarge, Transient, Unauthorized, UnsupportedMediaType
from cerchia.ingest.delivery import Ingested

# (status, the word the body says): a new webhook-id for something already applied says "stored" too.
OUTCOMES = {
    "stored": (202, "stored"),
    "unchanged": (202, "stored"),
    "duplicate": (200, "duplicate"),
    "ignored": (200, "ignored"),
}


def body_bytes(event: APIGatewayProxyEventV2) -> bytes:
    """The request's body exactly as sent (signatures are over these bytes)."""
    raw = event.body or ""
    return base64.b64decode(raw) if event.is_base64_encoded else raw.encode()


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def answer(result: Ingested) -> Response:
    """202 stored, 200 duplicate or ignored, with the event's type."""
    status, word = OUTCOMES[result.outcome]
    return json_response(status, {"status": word, "type": result.event_type})


def answer_ingest_errors(app: APIGatewayHttpResolver, unauthorized: str) -> None:
    """400 naming the fields, 401 saying `unauthorized`, 413, 415, and 503 with Retry-After, on this resolver."""

    @app.exception_handler(InvalidInput)
    def invalid(error: InvalidInput) -> Response:
        return json_response(400, {"error": error.message, "fields": error.fields})

    @app.exception_handler(Unauthorized)
    def refused(error: Unauthorized) -> Response:
        return json_response(401, {"error": unauthorized})

    @app.exception_handler(PayloadTooLarge)
    def too_large(error: PayloadTooLarge) -> Response:
        return json_response(413, {"error": str(error)})

    @app.exception_handler(UnsupportedMediaType)
    def unsupported(error: UnsupportedMediaType) -> Response:
        return json_response(415, {"error": str(error)})

    @app.exception_handler(Transient)
    def busy(error: Transient) -> Response:
        return json_response(503, {"error": str(error)}, headers={"Retry-After": "5"})

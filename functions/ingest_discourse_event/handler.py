"""POST /v1/communities/{community_id}/discourse: Discourse's webhooks, as Discourse sends them."""

from __future__ import annotations

import base64

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from cerchia import clock
from cerchia.discourse import ingest_discourse
from cerchia.errors import InvalidInput, PayloadTooLarge, Transient, Unauthorized, UnsupportedMediaType

logger = Logger()
app = APIGatewayHttpResolver()
ANSWERS = {"stored": 202, "unchanged": 202, "duplicate": 200, "ignored": 200}
WORDS = {"unchanged": "stored"}


def _json(status: int, body: dict) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.post("/v1/communities/<community_id>/discourse")
def receive_delivery(community_id: str) -> Response:
    event = app.current_event
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode()
    result = ingest_discourse(community_id, dict(event.headers or {}), body, clock.now())
    logger.info(
        "discourse delivery",
        community_id=community_id,
        discourse_event=event.headers.get("x-discourse-event"),
        discourse_event_id=event.headers.get("x-discourse-event-id"),
        outcome=result.outcome,
    )
    return _json(
        ANSWERS[result.outcome], {"status": WORDS.get(result.outcome, result.outcome), "type": result.event_type}
    )


@app.exception_handler(InvalidInput)
def invalid(error: InvalidInput) -> Response:
    return _json(400, {"error": error.message, "fields": error.fields})


@app.exception_handler(Unauthorized)
def unauthorized(error: Unauthorized) -> Response:
    return _json(
        401, {"error": "Unauthorized: paste this community's webhook secret in the Discourse webhook's Secret."}
    )


@app.exception_handler(UnsupportedMediaType)
def unsupported(error: UnsupportedMediaType) -> Response:
    return _json(415, {"error": str(error)})


@app.exception_handler(PayloadTooLarge)
def too_large(error: PayloadTooLarge) -> Response:
    return _json(413, {"error": str(error)})


@app.exception_handler(Transient)
def busy(error: Transient) -> Response:
    return Response(503, content_types.APPLICATION_JSON, {"error": str(error)}, headers={"Retry-After": "5"})


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

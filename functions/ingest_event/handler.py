"""POST /v1/communities/{community_id}/events: the platform's signed webhooks (Standard Webhooks)."""

from __future__ import annotations

import base64

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from cerchia import clock
from cerchia.errors import InvalidInput, PayloadTooLarge, Transient, Unauthorized
from cerchia.ingest import ingest_webhook

logger = Logger()
app = APIGatewayHttpResolver()
ANSWERS = {
    "stored": (202, "stored"),
    "unchanged": (202, "stored"),
    "duplicate": (200, "duplicate"),
    "ignored": (200, "ignored"),
}


def _json(status: int, body: dict) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.post("/v1/communities/<community_id>/events")
def receive_event(community_id: str) -> Response:
    event = app.current_event
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode()
    remaining = getattr(app.lambda_context, "get_remaining_time_in_millis", lambda: 10_000)() / 1000
    result = ingest_webhook(community_id, dict(event.headers or {}), body, clock.now(), remaining)
    status, word = ANSWERS[result.outcome]
    logger.info(
        "webhook",
        community_id=community_id,
        webhook_id=event.headers.get("webhook-id"),
        event_type=result.event_type,
        outcome=result.outcome,
    )
    return _json(status, {"status": word, "type": result.event_type})


@app.exception_handler(InvalidInput)
def invalid(error: InvalidInput) -> Response:
    return _json(400, {"error": error.message, "fields": error.fields})


@app.exception_handler(Unauthorized)
def unauthorized(error: Unauthorized) -> Response:
    return _json(401, {"error": "Unauthorized: sign the body with this community's webhook secret."})


@app.exception_handler(PayloadTooLarge)
def too_large(error: PayloadTooLarge) -> Response:
    return _json(413, {"error": str(error)})


@app.exception_handler(Transient)
def busy(error: Transient) -> Response:
    return Response(503, content_types.APPLICATION_JSON, {"error": str(error)}, headers={"Retry-After": "5"})


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

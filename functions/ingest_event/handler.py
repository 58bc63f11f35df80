"""POST /v1/communities/{community_id}/events: the platform's signed webhooks (Standard Webhooks)."""

from __future__ import annotations

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from cerchia import clock
from cerchia.ingest.api import answer, answer_ingest_errors, body_bytes
from cerchia.ingest.webhooks import ingest_webhook

logger = Logger()
app = APIGatewayHttpResolver()
answer_ingest_errors(app, unauthorized="Unauthorized: sign the body with this community's webhook secret.")


@app.post("/v1/communities/<community_id>/events")
def receive_event(community_id: str) -> Response:
    event = app.current_event
    remaining = getattr(app.lambda_context, "get_remaining_time_in_millis", lambda: 10_000)() / 1000
    result = ingest_webhook(community_id, dict(event.headers or {}), body_bytes(event), clock.now(), remaining)
    logger.info(
        "webhook",
        community_id=community_id,
        webhook_id=event.headers.get("webhook-id"),
        event_type=result.event_type,
        outcome=result.outcome,
    )
    return answer(result)


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

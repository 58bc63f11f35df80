"""POST /v1/communities/{community_id}/discourse: Discourse's webhooks, as Discourse sends them."""

from __future__ import annotations

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from cerchia import clock
from cerchia.ingest.api import answer, answer_ingest_errors, body_bytes
from cerchia.ingest.discourse import ingest_discourse

logger = Logger()
app = APIGatewayHttpResolver()
answer_ingest_errors(
    app, unauthorized="Unauthorized: paste this community's webhook secret in the Discourse webhook's Secret."
)


@app.post("/v1/communities/<community_id>/discourse")
def receive_delivery(community_id: str) -> Response:
    event = app.current_event
    result = ingest_discourse(community_id, dict(event.headers or {}), body_bytes(event), clock.now())
    logger.info(
        "discourse delivery",
        community_id=community_id,
        discourse_event=event.headers.get("x-discourse-event"),
        discourse_event_id=event.headers.get("x-discourse-event-id"),
        outcome=result.outcome,
    )
    return answer(result)


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

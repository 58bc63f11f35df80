"""Leader API (Bearer API key): create polls and read their results; and the public API's OpenAPI document.

The document is generated from the routes and pydantic models below: the poll routes this function
serves, and the platform's webhook route (served by the ingest function), described here so that
one document covers the whole public API.
"""

import json
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import BaseModel, ConfigDict, Field

from cerchia import clock
from cerchia.domain import events
from cerchia.domain.polls import ApiError, CreatedPoll, NewPoll, PollSummary
from cerchia.errors import InvalidInput, NotFound, Transient, Unauthorized
from cerchia.polls import create_poll, leader_community, poll_summary

logger = Logger()
app = APIGatewayHttpResolver(enable_validation=True)
LEADER_KEY = [{"leaderApiKey": []}]
# An OpenAPI security scheme (HTTP bearer), as a plain mapping: only the document needs Powertools' OpenAPI models.
LEADER_SCHEME: dict[str, Any] = {
    "leaderApiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "The community's API key, from `cerchia community create`.",
    }
}
NO_KEY = "A valid API key is required: send this community's key as `Authorization: Bearer <api_key>`."


def _answer(description: str, model: type[BaseModel] | None = None) -> dict[str, Any]:
    return {"description": description, **({"content": {"application/json": {"model": model}}} if model else {})}


ERRORS = {
    400: _answer("The body is not a valid poll; `fields` names what is wrong.", ApiError),
    401: _answer("Missing or wrong API key, or unknown community.", ApiError),
    503: _answer("Busy for a moment; retry after the Retry-After header's seconds.", ApiError),
}


@app.post(
    "/v1/communities/<community_id>/polls",
    summary="Create a poll",
    description="Schedules a poll: at `send_at` every member with polls on gets it by email, one button per option. "
    "Send an `Idempotency-Key` header (1-128 characters) to make retries safe: the same key and body give the "
    "same poll.",
    tags=["Polls"],
    security=LEADER_KEY,
    responses={201: _answer("The poll is scheduled.", CreatedPoll), **ERRORS},
)
def create(community_id: str, poll: NewPoll) -> Response[CreatedPoll]:
    community = leader_community(community_id, app.current_event.headers.get("authorization"))
    created = create_poll(community, poll, clock.now(), app.current_event.headers.get("idempotency-key"))
    logger.info("poll created", community_id=community_id, poll_id=created.poll_id, kind=created.kind)
    return Response(201, content_types.APPLICATION_JSON, CreatedPoll(poll_id=created.poll_id).model_dump())


@app.get(
    "/v1/communities/<community_id>/polls/<poll_id>",
    summary="Read a poll and its results",
    description="Counts only: who answered what is never shown.",
    tags=["Polls"],
    security=LEADER_KEY,
    responses={
        200: _answer("The poll.", PollSummary),
        404: _answer("No such poll in this community.", ApiError),
        **ERRORS,
    },
)
def read(community_id: str, poll_id: str) -> PollSummary:
    community = leader_community(community_id, app.current_event.headers.get("authorization"))
    return poll_summary(community, poll_id, clock.now())


@app.get("/v1/openapi.json", summary="This document (OpenAPI 3.1)", tags=["Documentation"])
def openapi() -> dict[str, Any]:
    return document()


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response:
    # The key is checked before the body, so a caller without it learns nothing about the API.
    try:
        leader_community(
            app.current_event.path_parameters.get("community_id", ""), app.current_event.headers.get("authorization")
        )
    except Unauthorized:
        return _json(401, ApiError(error=NO_KEY))
    fields = {
        ".".join(str(part) for part in problem["loc"][1:]) or "body": problem["msg"] for problem in error.errors()
    }
    named = ", ".join(sorted(fields))
    return _json(400, ApiError(error=f"The poll cannot be created: fix {named} and send it again.", fields=fields))


@app.exception_handler(InvalidInput)
def invalid(error: InvalidInput) -> Response:
    return _json(400, ApiError(error=error.message, fields=error.fields))


@app.exception_handler(Unauthorized)
def unauthorized(error: Unauthorized) -> Response:
    return _json(401, ApiError(error=NO_KEY))


@app.exception_handler(NotFound)
def not_found(error: NotFound) -> Response:
    return _json(404, ApiError(error=str(error)))


@app.exception_handler(Transient)
def busy(error: Transient) -> Response:
    return Response(
        503, content_types.APPLICATION_JSON, ApiError(error=str(error)).model_dump(), headers={"Retry-After": "5"}
    )


def _json(status: int, body: ApiError) -> Response:
    return Response(status, content_types.APPLICATION_JSON, body.model_dump())


# ---------------------------------------------------------------------- the platform's webhook, for the document

platform_api = APIGatewayHttpResolver(enable_validation=True)


class WebhookBody(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built for the document, never for a poll request

    type: str = Field(
        description="One of: " + ", ".join(events.DATA_MODELS) + ". Other types are answered 200 `ignored`."
    )
    timestamp: datetime | None = Field(default=None, description="When it happened; omitted: when it arrived.")
    data: (
        events.MemberJoined
        | events.MemberUpdated
        | events.MemberLeft
        | events.PostCreated
        | events.PostDeleted
        | events.ReplyCreated
        | events.ReactionAdded
    )


@platform_api.post(
    "/v1/communities/<community_id>/events",
    summary="Receive a platform event (Standard Webhooks)",
    description="Signed with the community's webhook secret; `webhook-id` is the idempotency key; 5-minute "
    "timestamp tolerance; bodies up to 256 KiB. A 2xx comes only once the event is durably stored.",
    tags=["Platform events"],
    responses={
        202: {"description": "Stored."},
        200: {"description": "A duplicate `webhook-id` (nothing changes), or a type Cerchia ignores."},
        400: _answer("Malformed body or data; `fields` names what is wrong.", ApiError),
        401: _answer("Missing, wrong or stale signature, or unknown community.", ApiError),
        413: _answer("Body over 256 KiB.", ApiError),
    },
)
def platform_event(
    community_id: str,
    event: WebhookBody,
    webhook_id: Annotated[str, Header(alias="webhook-id")],
    webhook_timestamp: Annotated[str, Header(alias="webhook-timestamp")],
    webhook_signature: Annotated[str, Header(alias="webhook-signature")],
) -> None:
    raise NotImplementedError("The ingest function serves this route; it is here for the document only.")


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    merged = OpenAPIMerge(
        title="Cerchia",
        version="1",
        description="Engagement automation for small online communities: the platform's webhooks and the leader API.",
        security_schemes=LEADER_SCHEME,
        on_conflict="error",
    )
    merged.add_schema(app.get_openapi_schema(title="Cerchia", version="1", security_schemes=LEADER_SCHEME))
    merged.add_schema(platform_api.get_openapi_schema(title="Cerchia", version="1"))
    generated: dict[str, Any] = json.loads(merged.get_openapi_json_schema())
    # Powertools documents its own 422 for invalid requests; Cerchia answers those 400 (see invalid_request).
    for operations in generated["paths"].values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        generated["components"]["schemas"].pop(unused, None)
    return generated


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

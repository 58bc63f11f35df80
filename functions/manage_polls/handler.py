"""Leader API (Bearer API key): create polls and read their results; and the public API's OpenAPI document.

The document is the resolver's own (`cerchia.polls.openapi`): the poll routes below, and the routes
other functions serve (the platform's webhooks, the member lifecycle), included for the document only.
"""

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Header

from cerchia import clock
from cerchia.domain.polls import ApiError, CreatedPoll, NewPoll, PollSummary
from cerchia.errors import InvalidInput, Unauthorized
from cerchia.polls.openapi import BODY_ERRORS, ERRORS, LEADER_KEY, answer, document, elsewhere
from cerchia.polls.service import create_poll, poll_summary
from cerchia.web.api import answer_domain_errors, json_answer, leader_community

logger = Logger()
# Requests are validated route by route (enable_validation=True on each), so the document carries no 422.
app = APIGatewayHttpResolver()
app.include_router(elsewhere)
NO_KEY = "A valid API key is required: send this community's key as `Authorization: Bearer <api_key>`."


@app.post(
    "/v1/communities/<community_id>/polls",
    summary="Create a poll",
    description="Schedules a poll: at `send_at` every member with polls on gets it by email, one button per option. "
    "Send an `Idempotency-Key` header (1-128 characters) to make retries safe: the same key and body give the "
    "same poll; the same key with any other field (send_at included) is a 400.",
    tags=["Polls"],
    security=LEADER_KEY,
    responses={201: answer("The poll is scheduled.", CreatedPoll), **ERRORS, **BODY_ERRORS},
    enable_validation=True,
)
def create(
    community_id: str,
    poll: NewPoll,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="idempotency-key",
            min_length=1,
            max_length=128,
            description="Makes a retried create safe: the same key and body give the same poll.",
        ),
    ] = None,
) -> Response[CreatedPoll]:
    community = leader_community(community_id, app.current_event.headers.get("authorization"))
    created = create_poll(community, poll, clock.now(), idempotency_key)
    logger.info("poll created", community_id=community_id, poll_id=created.poll_id, kind=created.kind)
    return Response(201, content_types.APPLICATION_JSON, CreatedPoll(poll_id=created.poll_id).model_dump())


@app.get(
    "/v1/communities/<community_id>/polls/<poll_id>",
    summary="Read a poll and its results",
    description="Counts only: who answered what is never shown.",
    tags=["Polls"],
    security=LEADER_KEY,
    responses={
        200: answer("The poll.", PollSummary),
        404: answer("No such poll in this community.", ApiError),
        **ERRORS,
    },
    enable_validation=True,
)
def read(community_id: str, poll_id: str) -> PollSummary:
    community = leader_community(community_id, app.current_event.headers.get("authorization"))
    return poll_summary(community, poll_id, clock.now())


@app.get("/v1/openapi.json", summary="This document (OpenAPI 3.1)", tags=["Documentation"])
def openapi() -> dict[str, Any]:
    return document(app)


def _without_key() -> Response | None:
    """The 401 for a caller without this community's key: checked before the body, so they learn nothing."""
    event = app.current_event
    try:
        leader_community((event.path_parameters or {}).get("community_id", ""), event.headers.get("authorization"))
    except (Unauthorized, InvalidInput):
        return json_answer(401, ApiError(error=NO_KEY))
    return None


@app.exception_handler([RecursionError, UnicodeDecodeError])
def unreadable_body(error: Exception) -> Response:
    problem = "nested too deeply" if isinstance(error, RecursionError) else "not UTF-8"
    what = "is nested too deeply to read" if isinstance(error, RecursionError) else "is not UTF-8 text"
    return _without_key() or json_answer(
        400, ApiError(error=f"The body {what}: send the poll as a UTF-8 JSON object.", fields={"body": problem})
    )


@app.exception_handler(RequestUnsupportedContentType)
def not_json(error: RequestUnsupportedContentType) -> Response:
    return _without_key() or json_answer(
        415, ApiError(error="The body must be JSON: send it with `Content-Type: application/json`.")
    )


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response:
    if (refused := _without_key()) is not None:
        return refused
    fields = {
        ".".join(str(part) for part in problem["loc"][1:]) or "body": problem["msg"] for problem in error.errors()
    }
    named = ", ".join(sorted(fields))
    return json_answer(
        400, ApiError(error=f"The poll cannot be created: fix {named} and send it again.", fields=fields)
    )


answer_domain_errors(app, NO_KEY)


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

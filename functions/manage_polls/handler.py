"""Leader API (Bearer API key): create polls and read their results; and the public API's OpenAPI document.

The document is generated from the routes and pydantic models below: the poll routes this function
serves, and the platform's webhook route (served by the ingest function), described here so that
one document covers the whole public API.
"""

import json
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import BaseModel, ConfigDict, Field

from cerchia import clock
from cerchia.domain import events
from cerchia.domain.members import ImportAnswer, ImportRequest
from cerchia.domain.polls import ApiError, CreatedPoll, NewPoll, PollSummary
from cerchia.errors import InvalidInput, Unauthorized
from cerchia.polls import create_poll, poll_summary
from cerchia.web.api import answer_domain_errors, leader_community
from cerchia.web.api import json_answer as _json

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


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}}
ERRORS = {
    400: _answer("The request is not valid; `fields` names what is wrong.", ApiError),
    401: _answer("Missing or wrong API key, or unknown community.", ApiError),
    503: {
        **_answer("Busy for a moment; retry after the Retry-After header's seconds.", ApiError),
        "headers": RETRY_AFTER,
    },
}
BODY_ERRORS = {
    413: {"description": "Body over API Gateway's 10 MiB limit (answered by the gateway)."},
    415: _answer("The body is not sent as `application/json`.", ApiError),
}


@app.post(
    "/v1/communities/<community_id>/polls",
    summary="Create a poll",
    description="Schedules a poll: at `send_at` every member with polls on gets it by email, one button per option. "
    "Send an `Idempotency-Key` header (1-128 characters) to make retries safe: the same key and body give the "
    "same poll; the same key with any other field (send_at included) is a 400.",
    tags=["Polls"],
    security=LEADER_KEY,
    responses={201: _answer("The poll is scheduled.", CreatedPoll), **ERRORS, **BODY_ERRORS},
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


def _without_key() -> Response | None:
    """The 401 for a caller without this community's key: checked before the body, so they learn nothing."""
    event = app.current_event
    try:
        leader_community((event.path_parameters or {}).get("community_id", ""), event.headers.get("authorization"))
    except (Unauthorized, InvalidInput):
        return _json(401, ApiError(error=NO_KEY))
    return None


@app.exception_handler([RecursionError, UnicodeDecodeError])
def unreadable_body(error: Exception) -> Response:
    problem = "nested too deeply" if isinstance(error, RecursionError) else "not UTF-8"
    what = "is nested too deeply to read" if isinstance(error, RecursionError) else "is not UTF-8 text"
    return _without_key() or _json(
        400, ApiError(error=f"The body {what}: send the poll as a UTF-8 JSON object.", fields={"body": problem})
    )


@app.exception_handler(RequestUnsupportedContentType)
def not_json(error: RequestUnsupportedContentType) -> Response:
    return _without_key() or _json(
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
    return _json(400, ApiError(error=f"The poll cannot be created: fix {named} and send it again.", fields=fields))


answer_domain_errors(app, NO_KEY)


# ---------------------------------------------------------------------- the platform's webhook, for the document

platform_api = APIGatewayHttpResolver(enable_validation=True)


class WebhookBody(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built for the document, never for a poll request

    type: str = Field(
        description="One of: "
        + ", ".join([*events.DATA_MODELS, "member.erased"])
        + ". Other types are answered 200 `ignored`."
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
        | events.MemberErased
    )


class WebhookAnswer(BaseModel):
    status: Literal["stored", "duplicate", "ignored"]
    type: str | None = Field(description="The event's type.")


@platform_api.post(
    "/v1/communities/<community_id>/events",
    summary="Receive a platform event (Standard Webhooks)",
    description="Signed with the community's webhook secret; `webhook-id` is the idempotency key; 5-minute "
    "timestamp tolerance; bodies up to 256 KiB. A 2xx comes only once the event is durably stored.",
    tags=["Platform events"],
    responses={
        202: _answer("Stored.", WebhookAnswer),
        200: _answer("A duplicate `webhook-id` (nothing changes), or a type Cerchia ignores.", WebhookAnswer),
        400: _answer("Malformed body, data or `webhook-id` (over 200 characters); `fields` names what.", ApiError),
        401: _answer("Missing, wrong or stale signature, or unknown community.", ApiError),
        413: _answer("Body over 256 KiB.", ApiError),
        503: {
            **_answer("Busy for a moment; the platform retries after Retry-After seconds.", ApiError),
            "headers": RETRY_AFTER,
        },
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


# ---------------------------------------------------------------------- Discourse and the member lifecycle, for the document
# Served by IngestDiscourseEventFunction and ManageMembersFunction (issue 12).

lifecycle_api = APIGatewayHttpResolver(enable_validation=True)


@lifecycle_api.post(
    "/v1/communities/<community_id>/discourse",
    summary="Receive a Discourse webhook (Discourse's own format)",
    description="Paste the community's webhook secret (`whsec_...`) in Discourse's Secret field and choose Content "
    "Type application/json. Users, topics' first posts, replies and likes are stored; retries are deduplicated by "
    "content (Discourse gives each retry a new event id); PMs, whispers, small actions and pings are ignored.",
    tags=["Platform events"],
    responses={
        202: {"description": "Stored."},
        200: {"description": "Already stored (a retry), or an event Cerchia ignores."},
        400: _answer(
            "A payload Cerchia cannot read; `fields` names the Discourse fields (e.g. `user.email`).", ApiError
        ),
        401: _answer("Missing or wrong signature, or unknown community.", ApiError),
        413: _answer("Body over 256 KiB.", ApiError),
        415: _answer("Not JSON: choose application/json in the Discourse webhook.", ApiError),
    },
)
def discourse_event(
    community_id: str,
    event: dict[str, Any],
    signature: Annotated[str, Header(alias="x-discourse-event-signature")],
    discourse_event: Annotated[str, Header(alias="x-discourse-event")],
) -> None:
    raise NotImplementedError("IngestDiscourseEventFunction serves this route.")


@lifecycle_api.post(
    "/v1/communities/<community_id>/members:import",
    summary="Import members (no welcome emails)",
    description="Up to 1,000 members per call. Imported members are active and get polls and digests, never a "
    "welcome; members already active are left as they are, so a re-run changes nothing.",
    tags=["Members"],
    security=LEADER_KEY,
    responses={200: _answer("One result per member, in order.", ImportAnswer), **ERRORS},
)
def import_members(community_id: str, request: ImportRequest) -> ImportAnswer:
    raise NotImplementedError("ManageMembersFunction serves this route.")


@lifecycle_api.get(
    "/v1/communities/<community_id>/members/<member_id>",
    summary="Every personal datum held on a member (right of access)",
    tags=["Members"],
    security=LEADER_KEY,
    responses={
        200: {"description": "Profile and preferences, emails sent, weekly numbers, votes, posts, replies, likes."},
        404: _answer("Cerchia holds nothing on this member.", ApiError),
        **ERRORS,
    },
)
def read_member(community_id: str, member_id: str) -> dict[str, Any]:
    raise NotImplementedError("ManageMembersFunction serves this route.")


@lifecycle_api.delete(
    "/v1/communities/<community_id>/members/<member_id>",
    summary="Erase a member",
    description="Within the request: name, email, preferences, email ledger, weekly numbers, and the member id on "
    "ballots. Counters and poll tallies stay. A second call answers 204 too.",
    tags=["Members"],
    security=LEADER_KEY,
    responses={204: {"description": "Erased (or nothing was held)."}, **ERRORS},
)
def erase_member(community_id: str, member_id: str) -> None:
    raise NotImplementedError("ManageMembersFunction serves this route.")


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
    merged.add_schema(lifecycle_api.get_openapi_schema(title="Cerchia", version="1", security_schemes=LEADER_SCHEME))
    generated: dict[str, Any] = json.loads(merged.get_openapi_json_schema())
    # Powertools documents its own 422 for invalid requests; Cerchia answers those 400 (see invalid_request).
    for operations in generated["paths"].values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
            # a 204 carries no body, whatever the stub's annotation made Powertools write
            operation.get("responses", {}).get("204", {}).pop("content", None)
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        generated["components"]["schemas"].pop(unused, None)
    return generated


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

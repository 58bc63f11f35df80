"""What the leader/admin API (polls, members) answers for the domain's errors: one map for both functions."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from cerchia.domain.access import authenticate_leader
from cerchia.domain.models import Community
from cerchia.domain.polls import ApiError
from cerchia.errors import InvalidInput, NotFound, Transient, Unauthorized
from cerchia.store import get_store


def leader_community(community_id: str, authorization: str | None) -> Community:
    """The community whose API key is presented; Unauthorized otherwise (an unknown community too)."""
    return authenticate_leader(get_store().get_community(community_id), authorization)


def json_answer(status: int, body: ApiError) -> Response:
    return Response(status, content_types.APPLICATION_JSON, body.model_dump())


def answer_domain_errors(app: APIGatewayHttpResolver, no_key: str) -> None:
    """400 naming the fields, 401 with `no_key`, 404, and 503 with Retry-After, on this resolver."""

    @app.exception_handler(InvalidInput)
    def invalid(error: InvalidInput) -> Response:
        return json_answer(400, ApiError(error=error.message, fields=error.fields))

    @app.exception_handler(Unauthorized)
    def unauthorized(error: Unauthorized) -> Response:
        return json_answer(401, ApiError(error=no_key))

    @app.exception_handler(NotFound)
    def not_found(error: NotFound) -> Response:
        return json_answer(404, ApiError(error=str(error)))

    @app.exception_handler(Transient)
    def busy(error: Transient) -> Response:
        return Response(
            503, content_types.APPLICATION_JSON, ApiError(error=str(error)).model_dump(), headers={"Retry-After": "5"}
        )

"""Member lifecycle API (Bearer API key): import members without welcomes, erase a member, show what is held."""

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from cerchia import clock
from cerchia.domain.members import ImportAnswer, ImportRequest
from cerchia.domain.polls import ApiError
from cerchia.errors import InvalidInput, Unauthorized
from cerchia.members.service import erase_member, import_members, member_record
from cerchia.web.api import answer_domain_errors, leader_community
from cerchia.web.api import json_answer as _json

logger = Logger()
app = APIGatewayHttpResolver(enable_validation=True)
NO_KEY = "A valid API key is required: send this community's key as `Authorization: Bearer <api_key>`."


def _community(community_id: str) -> Any:
    return leader_community(community_id, app.current_event.headers.get("authorization"))


@app.post("/v1/communities/<community_id>/members:import")
def import_(community_id: str, request: ImportRequest) -> ImportAnswer:
    result = import_members(_community(community_id), request.members, clock.now())
    logger.info("members imported", community_id=community_id, imported=result.imported, rejected=result.rejected)
    return result


@app.get("/v1/communities/<community_id>/members/<member_id>")
def read(community_id: str, member_id: str) -> dict[str, Any]:
    return member_record(_community(community_id), member_id)


@app.delete("/v1/communities/<community_id>/members/<member_id>")
def erase(community_id: str, member_id: str) -> Response[None]:
    erase_member(_community(community_id), member_id)
    logger.info("member erased", community_id=community_id, member_id=member_id)
    return Response(204, body=None)


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response:
    try:  # the key is checked before the body
        _community(app.current_event.path_parameters.get("community_id", ""))
    except Unauthorized:
        return _json(401, ApiError(error=NO_KEY))
    fields = {".".join(str(p) for p in problem["loc"][1:]) or "body": problem["msg"] for problem in error.errors()}
    return _json(400, ApiError(error='Send {"members": [...]} with 1 to 1,000 members.', fields=fields))


@app.exception_handler([RecursionError, UnicodeDecodeError])
def unreadable_body(error: Exception) -> Response:
    try:  # the key is checked before the body
        _community(app.current_event.path_parameters.get("community_id", ""))
    except (Unauthorized, InvalidInput):
        return _json(401, ApiError(error=NO_KEY))
    what = "is nested too deeply to read" if isinstance(error, RecursionError) else "is not UTF-8 text"
    return _json(
        400, ApiError(error=f"The body {what}: send the members as a UTF-8 JSON object.", fields={"body": what})
    )


answer_domain_errors(app, NO_KEY)


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

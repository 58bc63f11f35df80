"""The links in a nudge: "I'll answer it" and "No reply needed". A GET only shows a page; a POST acts."""

from __future__ import annotations

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from cerchia import clock
from cerchia.nudges.pages import nudge_link_page
from cerchia.web.pages import as_response, locale_of

logger = Logger()
app = APIGatewayHttpResolver()


@app.get("/n/<token>")
def show(token: str) -> Response:
    return as_response(
        nudge_link_page(token, confirm=False, now=clock.now(), fallback_locale=locale_of(app.current_event.headers))
    )


@app.post("/n/<token>")
def act(token: str) -> Response:
    page = nudge_link_page(token, confirm=True, now=clock.now(), fallback_locale=locale_of(app.current_event.headers))
    logger.info("nudge link used", status=page.status)
    return as_response(page)


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

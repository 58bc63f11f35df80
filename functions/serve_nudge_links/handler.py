"""The links in a nudge: "I'll answer it" and "No reply needed". A GET only shows a page; a POST acts."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from cerchia import clock
from cerchia.nudges import nudge_link_page
from cerchia.pages import SECURITY_HEADERS, Page, browser_locale

logger = Logger()
app = APIGatewayHttpResolver()


def _html(page: Page) -> Response:
    return Response(page.status, "text/html; charset=utf-8", page.html, headers=SECURITY_HEADERS)


def _browser_locale() -> str:
    return browser_locale(app.current_event.headers.get("accept-language"))


@app.get("/n/<token>")
def show(token: str) -> Response:
    return _html(nudge_link_page(token, confirm=False, now=clock.now(), fallback_locale=_browser_locale()))


@app.post("/n/<token>")
def act(token: str) -> Response:
    page = nudge_link_page(token, confirm=True, now=clock.now(), fallback_locale=_browser_locale())
    logger.info("nudge link used", status=page.status)
    return _html(page)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

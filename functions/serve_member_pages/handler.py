"""Pages members open from links in emails. A GET only shows a page; a POST acts."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from cerchia import clock
from cerchia.pages import Page, unsubscribe

logger = Logger()
app = APIGatewayHttpResolver()
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # links carry tokens
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
}


def _html(page: Page) -> Response:
    return Response(page.status, "text/html; charset=utf-8", page.html, headers=SECURITY_HEADERS)


def _browser_locale() -> str:
    accept = app.current_event.headers.get("accept-language", "") or ""
    return "it" if accept.lower().startswith("it") else "en"


@app.get("/u/<token>")
def unsubscribe_page(token: str) -> Response:
    return _html(unsubscribe(token, confirm=False, now=clock.now(), fallback_locale=_browser_locale()))


@app.post("/u/<token>")
def unsubscribe_now(token: str) -> Response:
    # RFC 8058: the one-click body is "List-Unsubscribe=One-Click"; the page's own form posts too.
    page = unsubscribe(token, confirm=True, now=clock.now(), fallback_locale=_browser_locale())
    logger.info("unsubscribe", status=page.status)
    return _html(page)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

"""GET|POST /p/{token}: a member's preference page. GET shows the choices; POST saves them. No JS, no cookies."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from cerchia import clock
from cerchia.errors import Transient
from cerchia.pages import SECURITY_HEADERS, Page, browser_locale, form_fields
from cerchia.preferences import save, show

logger = Logger()
app = APIGatewayHttpResolver()


def _html(page: Page) -> Response:
    return Response(page.status, "text/html; charset=utf-8", page.html, headers=SECURITY_HEADERS)


def _locale() -> str:
    return browser_locale(app.current_event.headers.get("accept-language"))


@app.get("/p/<token>")
def preferences_page(token: str) -> Response:
    return _html(show(token, clock.now(), fallback_locale=_locale()))


@app.post("/p/<token>")
def save_preferences(token: str) -> Response:
    event = app.current_event
    form = form_fields(event.decoded_body, event.headers.get("content-type"))
    page = save(token, form, clock.now(), fallback_locale=_locale())
    logger.info("preferences saved" if page.status == 200 else "preferences not saved", status=page.status)
    return _html(page)


@app.exception_handler(Transient)
def busy(error: Transient) -> Response:
    return Response(
        503, "text/plain; charset=utf-8", "Busy for a moment: please save again.", headers={"Retry-After": "2"}
    )


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

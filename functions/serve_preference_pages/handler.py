"""GET|POST /p/{token}: a member's preference page. GET shows the choices; POST saves them. No JS, no cookies."""

from __future__ import annotations

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from cerchia import clock
from cerchia.errors import Transient
from cerchia.preferences.service import save, show
from cerchia.web.pages import as_response, form_fields, locale_of, unreadable_form

logger = Logger()
app = APIGatewayHttpResolver()


@app.get("/p/<token>")
def preferences_page(token: str) -> Response:
    return as_response(show(token, clock.now(), fallback_locale=locale_of(app.current_event.headers)))


@app.post("/p/<token>")
def save_preferences(token: str) -> Response:
    event = app.current_event
    form = form_fields(event.decoded_body, event.headers.get("content-type"))
    page = save(token, form, clock.now(), fallback_locale=locale_of(app.current_event.headers))
    logger.info("preferences saved" if page.status == 200 else "preferences not saved", status=page.status)
    return as_response(page)


@app.exception_handler(Transient)
def busy(error: Transient) -> Response:
    return Response(
        503, "text/plain; charset=utf-8", "Busy for a moment: please save again.", headers={"Retry-After": "2"}
    )


@app.exception_handler(UnicodeDecodeError)
def unreadable(error: UnicodeDecodeError) -> Response:
    # A body that is not UTF-8 cannot be a form of ours: say so (400) and change nothing.
    return as_response(unreadable_form(locale_of(app.current_event.headers)))


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

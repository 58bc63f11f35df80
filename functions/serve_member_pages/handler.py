"""Pages members open from links in emails. A GET only shows a page; a POST acts."""

from __future__ import annotations

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from cerchia import clock
from cerchia.preferences.unsubscribe import unsubscribe
from cerchia.web.pages import as_response, form_fields, locale_of, unreadable_form

logger = Logger()
app = APIGatewayHttpResolver()


@app.get("/u/<token>")
def unsubscribe_page(token: str) -> Response:
    return as_response(
        unsubscribe(token, confirm=False, now=clock.now(), fallback_locale=locale_of(app.current_event.headers))
    )


@app.post("/u/<token>")
def unsubscribe_now(token: str) -> Response:
    # RFC 8058: mailbox providers post "List-Unsubscribe=One-Click" (urlencoded or multipart), with no
    # cookies, and expect a 2xx without redirect; the page's own form posts confirm=yes.
    event = app.current_event
    fields = form_fields(event.decoded_body, event.headers.get("content-type"))
    page = unsubscribe(
        token, confirm=True, now=clock.now(), fallback_locale=locale_of(app.current_event.headers), fields=fields
    )
    logger.info("unsubscribe", status=page.status, one_click="List-Unsubscribe" in fields)
    return as_response(page)


@app.exception_handler(UnicodeDecodeError)
def unreadable(error: UnicodeDecodeError) -> Response:
    # A body that is not UTF-8 cannot be a form of ours: say so (400) and change nothing.
    return as_response(unreadable_form(locale_of(app.current_event.headers)))


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

"""Vote pages members open from poll emails: a GET shows the question with their option chosen, the POST records it."""

from __future__ import annotations

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

from urllib.parse import parse_qs

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from cerchia import clock
from cerchia.polls.pages import submit_vote, vote_page
from cerchia.web.pages import as_response, locale_of, unreadable_form

logger = Logger()
app = APIGatewayHttpResolver()


@app.get("/v/<token>")
def show_poll(token: str) -> Response:
    # Mail scanners open links too: this only shows the form.
    return as_response(vote_page(token, clock.now(), locale_of(app.current_event.headers)))


@app.post("/v/<token>")
def answer_poll(token: str) -> Response:
    form = parse_qs(app.current_event.decoded_body or "", keep_blank_values=False)
    page = submit_vote(token, form.get("choice", []), clock.now(), locale_of(app.current_event.headers))
    logger.info("vote", status=page.status)  # never the member's choice
    return as_response(page)


@app.exception_handler(UnicodeDecodeError)
def unreadable(error: UnicodeDecodeError) -> Response:
    # A body that is not UTF-8 cannot be a form of ours: say so (400) and change nothing.
    return as_response(unreadable_form(locale_of(app.current_event.headers)))


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)

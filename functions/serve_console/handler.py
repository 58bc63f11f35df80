"""The leaders' console under /l/: sign-in by emailed link, then the community's pages (see cerchia.console.web)."""

from __future__ import annotations

from cerchia import coldstart  # first of all: no garbage collection until the first event is served

# isort: split

import base64

from aws_lambda_powertools import Logger

from cerchia import clock
from cerchia.console.web import Request, respond
from cerchia.settings import get_settings
from cerchia.web.pages import form_fields, locale_of

logger = Logger()


def _request(event: dict) -> Request:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    body = event.get("body") or ""
    if event.get("isBase64Encoded") and body:
        body = base64.b64decode(body).decode("utf-8", "replace")
    cookies = dict(c.split("=", 1) for c in event.get("cookies") or [] if "=" in c)
    public = get_settings().public_base_url or f"https://{event['requestContext']['domainName']}"
    return Request(
        method=event["requestContext"]["http"]["method"].upper(),
        path=event.get("rawPath") or "/",
        cookies={name.strip(): value.strip() for name, value in cookies.items()},
        form=form_fields(body, headers.get("content-type")) if body else {},
        browser_locale=locale_of(headers),
        base_url=public,
    )


@coldstart.first_call_resumes
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    reply = respond(_request(event), clock.now())
    logger.info("console", route=event.get("routeKey"), status=reply.status)
    return {"statusCode": reply.status, "headers": reply.headers, "cookies": reply.cookies, "body": reply.html}

"""What every page shares: the page itself, its security headers, forms, languages and message pages.

A GET only shows; a POST acts. Pages answer with no-store and a strict CSP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from cerchia.i18n import LOCALES, translator
from cerchia.rendering import render

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # links carry tokens
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
}
MAX_FORM_FIELDS = 20


@dataclass(frozen=True)
class Page:
    status: int
    html: str


def as_response(page: Page) -> Response[str]:
    """The Powertools response every page handler answers with: HTML plus the security headers."""
    # Powertools' event handler costs about 190 ms to import; the job and queue functions import
    # the features that build pages (for their links) but never answer one.
    from aws_lambda_powertools.event_handler import Response

    return Response(page.status, "text/html; charset=utf-8", page.html, headers=SECURITY_HEADERS)


def locale_of(headers: Mapping[str, str] | None) -> str:
    """The page language from a request's Accept-Language header."""
    return browser_locale((headers or {}).get("accept-language"))


def browser_locale(accept_language: str | None) -> str:
    """The page language for someone whose link no longer says who they are."""
    wanted = (accept_language or "").strip().lower()
    return next((locale for locale in LOCALES if wanted.startswith(locale)), LOCALES[0])


def form_fields(body: str | None, content_type: str | None = None) -> dict[str, str]:
    """The fields of a posted form (urlencoded or multipart), first value of each; garbage gives {}."""
    if not body:
        return {}
    if (content_type or "").lower().startswith("multipart/form-data"):
        return _multipart_fields(body, str(content_type))
    try:
        parsed = parse_qs(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        return {}
    return {name: values[0] for name, values in parsed.items()}


def _multipart_fields(body: str, content_type: str) -> dict[str, str]:
    document = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n{body}"
    # Deferred: the email parser and its policy cost the pages' cold start, and only a multipart form needs them.
    import email
    import email.policy

    message = email.message_from_string(document, policy=email.policy.default)
    if not message.is_multipart():
        return {}
    fields: dict[str, str] = {}
    for part in list(message.iter_parts())[:MAX_FORM_FIELDS]:
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and name not in fields:
            payload = part.get_payload(decode=True)
            fields[name] = payload.decode("utf-8", "replace").strip() if isinstance(payload, bytes) else ""
    return fields


def unreadable_form(locale: str) -> Page:
    """The 400 page for a posted body that is not UTF-8 text (nothing was read, nothing changed)."""
    return message_page(locale, 400, "page.unreadable_title", "page.unreadable_body")


def render_page(template: str, locale: str, status: int = 200, **context: object) -> Page:
    return Page(status, render(template, locale, **context))


def message_page(
    locale: str,
    status: int,
    title_key: str,
    body_key: str,
    community_name: str = "",
    preferences_path: str | None = None,
) -> Page:
    t = translator(locale)
    return render_page(
        "pages/message.html",
        locale,
        status,
        title=t(title_key, community=community_name),
        body=t(body_key, community=community_name),
        community_name=community_name,
        preferences_path=preferences_path,
    )

"""Pages members reach from links in emails. A GET only shows; a POST acts.

The unsubscribe link (`/u/{token}`) is also the List-Unsubscribe header's target (RFC 8058): a
mailbox provider POSTs `List-Unsubscribe=One-Click` to it, with no cookies and no session, and
gets a 200 page, never a redirect. A GET shows the confirmation form and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cerchia.errors import InvalidLink, NotFound

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


def as_response(page: Page) -> Any:
    """The Powertools response every page handler answers with: HTML plus the security headers."""
    from aws_lambda_powertools.event_handler import Response

    return Response(page.status, "text/html; charset=utf-8", page.html, headers=SECURITY_HEADERS)


def locale_of(headers: Mapping[str, str] | None) -> str:
    """The page language from a request's Accept-Language header."""
    return browser_locale((headers or {}).get("accept-language"))


def browser_locale(accept_language: str | None) -> str:
    """The page language for someone whose link no longer says who they are."""
    return "it" if (accept_language or "").strip().lower().startswith("it") else "en"


def form_fields(body: str | None, content_type: str | None = None) -> dict[str, str]:
    """The fields of a posted form (urlencoded or multipart), first value of each; garbage gives {}."""
    if not body:
        return {}
    if (content_type or "").lower().startswith("multipart/form-data"):
        return _multipart_fields(body, str(content_type))
    from urllib.parse import parse_qs

    try:
        parsed = parse_qs(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        return {}
    return {name: values[0] for name, values in parsed.items()}


def _multipart_fields(body: str, content_type: str) -> dict[str, str]:
    import email
    import email.policy

    document = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n{body}"
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
    return _message(locale, 400, "page.unreadable_title", "page.unreadable_body")


def is_unsubscribe_request(fields: dict[str, str]) -> bool:
    """A one-click POST (RFC 8058 body) or the confirmation form's own POST."""
    return fields.get("List-Unsubscribe", "").strip().lower() == "one-click" or fields.get("confirm") == "yes"


def _page(template: str, locale: str, status: int = 200, **context: object) -> Page:
    from cerchia.rendering import render

    return Page(status, render(template, locale, **context))


def _message(
    locale: str,
    status: int,
    title_key: str,
    body_key: str,
    community_name: str = "",
    preferences_path: str | None = None,
) -> Page:
    from cerchia.i18n import translator

    t = translator(locale)
    return _page(
        "pages/message.html",
        locale,
        status,
        title=t(title_key, community=community_name),
        body=t(body_key, community=community_name),
        community_name=community_name,
        preferences_path=preferences_path,
    )


def _preferences_path(community_id: str, member_id: str, now: datetime) -> str:
    """The member's preference page, relative to /u/{token} (so it works under any base path)."""
    from cerchia import aws, links
    from cerchia.mail.compose import PREFERENCES_LINK_LIFETIME

    token = links.sign(
        aws.link_secret(), "preferences", {"c": community_id, "m": member_id}, now + PREFERENCES_LINK_LIFETIME
    )
    return f"../p/{token}"


def unsubscribe(
    token: str, confirm: bool, now: datetime, fallback_locale: str = "en", fields: dict[str, str] | None = None
) -> Page:
    """GET (confirm=False) shows the confirmation form; POST (confirm=True) unsubscribes.

    With `fields` (the posted form), a POST that is neither the RFC 8058 one-click body nor the
    form's own confirmation changes nothing and shows the form again (400).
    """
    from cerchia import aws, links
    from cerchia.domain import rules
    from cerchia.i18n import translator
    from cerchia.store import get_store, keys

    try:
        claims = links.verify(aws.link_secret(), "unsubscribe", token, now)
    except InvalidLink:
        return _message(fallback_locale, 403, "page.invalid_title", "page.invalid_body")
    store = get_store()
    community = store.get_community(str(claims["c"]))
    member = store.get_member(str(claims["c"]), str(claims["m"])) if community else None
    if community is None or member is None:
        return _message(fallback_locale, 404, "page.invalid_title", "page.not_found_body")
    locale = rules.resolve_locale(member.locale, community.locale)
    preferences_path = _preferences_path(community.community_id, member.member_id, now)
    if not confirm or (fields is not None and not is_unsubscribe_request(fields)):
        t = translator(locale)
        return _page(
            "pages/unsubscribe.html",
            locale,
            200 if not confirm else 400,
            title=t("page.title_unsubscribe", community=community.name),
            community_name=community.name,
            preferences_path=preferences_path,
        )
    try:
        store.set_unsubscribed(community.community_id, member.member_id, True, now)
    except NotFound:
        return _message(locale, 404, "page.invalid_title", "page.not_found_body", community.name)
    if not member.unsubscribed:
        from cerchia.digests import note_lost_reach

        note_lost_reach(store, community, now, keys.WEEK_UNSUBSCRIBED, member.member_id)
    return _message(locale, 200, "page.unsubscribed_title", "page.unsubscribed_body", community.name, preferences_path)

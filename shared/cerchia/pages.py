"""Pages members reach from links in emails. A GET only shows; a POST acts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cerchia.errors import InvalidLink, NotFound


@dataclass(frozen=True)
class Page:
    status: int
    html: str


def _page(template: str, locale: str, status: int = 200, **context: object) -> Page:
    from cerchia.rendering import render

    return Page(status, render(template, locale, **context))


def _message(locale: str, status: int, title_key: str, body_key: str, community_name: str = "") -> Page:
    from cerchia.i18n import translator

    t = translator(locale)
    return _page(
        "pages/message.html",
        locale,
        status,
        title=t(title_key, community=community_name),
        body=t(body_key, community=community_name),
        community_name=community_name,
    )


def unsubscribe(token: str, confirm: bool, now: datetime, fallback_locale: str = "en") -> Page:
    """GET (confirm=False) shows the confirmation form; POST (confirm=True) unsubscribes."""
    from cerchia import aws, links
    from cerchia.domain import rules
    from cerchia.i18n import translator
    from cerchia.store import get_store

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
    if not confirm:
        t = translator(locale)
        return _page(
            "pages/unsubscribe.html",
            locale,
            title=t("page.title_unsubscribe", community=community.name),
            community_name=community.name,
        )
    try:
        store.set_unsubscribed(community.community_id, member.member_id, True, now)
    except NotFound:
        return _message(locale, 404, "page.invalid_title", "page.not_found_body", community.name)
    return _message(locale, 200, "page.unsubscribed_title", "page.unsubscribed_body", community.name)

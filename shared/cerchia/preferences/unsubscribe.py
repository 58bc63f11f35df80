"""The unsubscribe link (`/u/{token}`), also the List-Unsubscribe header's target (RFC 8058).

A mailbox provider POSTs `List-Unsubscribe=One-Click` to it, with no cookies and no session, and
gets a 200 page, never a redirect. A GET shows the confirmation form and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from cerchia import aws, links
from cerchia.digests.reach import note_lost_reach
from cerchia.domain.preferences import PREFERENCES
from cerchia.errors import NotFound
from cerchia.i18n import translator
from cerchia.store import get_store, keys
from cerchia.web.pages import Page, message_page, render_page
from cerchia.web.signed_links import open_signed_link

UNSUBSCRIBE = "unsubscribe"


def is_unsubscribe_request(fields: dict[str, str]) -> bool:
    """A one-click POST (RFC 8058 body) or the confirmation form's own POST."""
    return fields.get("List-Unsubscribe", "").strip().lower() == "one-click" or fields.get("confirm") == "yes"


def _preferences_path(community_id: str, member_id: str, now: datetime) -> str:
    """The member's preference page, relative to /u/{token} (so it works under any base path)."""
    token = links.sign(
        aws.link_secret(), PREFERENCES, {"c": community_id, "m": member_id}, now + links.PREFERENCES_LINK_LIFETIME
    )
    return f"../p/{token}"


def unsubscribe(
    token: str, confirm: bool, now: datetime, fallback_locale: str = "en", fields: dict[str, str] | None = None
) -> Page:
    """GET (confirm=False) shows the confirmation form; POST (confirm=True) unsubscribes.

    With `fields` (the posted form), a POST that is neither the RFC 8058 one-click body nor the
    form's own confirmation changes nothing and shows the form again (400).
    """
    opened = open_signed_link(token, UNSUBSCRIBE, now, fallback_locale)
    if isinstance(opened, Page):
        return opened
    community, member, locale = opened.community, opened.member, opened.locale
    preferences_path = _preferences_path(community.community_id, member.member_id, now)
    if not confirm or (fields is not None and not is_unsubscribe_request(fields)):
        t = translator(locale)
        return render_page(
            "pages/unsubscribe.html",
            locale,
            200 if not confirm else 400,
            title=t("page.title_unsubscribe", community=community.name),
            community_name=community.name,
            preferences_path=preferences_path,
        )
    store = get_store()
    try:
        store.set_unsubscribed(community.community_id, member.member_id, True, now)
    except NotFound:
        return message_page(locale, 404, "page.invalid_title", "page.not_found_body", community.name)
    if not member.unsubscribed:
        note_lost_reach(store, community, now, keys.WEEK_UNSUBSCRIBED, member.member_id)
    return message_page(
        locale, 200, "page.unsubscribed_title", "page.unsubscribed_body", community.name, preferences_path
    )

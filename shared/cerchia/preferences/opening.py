"""Opening a member's signed link: the community and member it is for, or the page that says why not.

The preference and unsubscribe pages open their links here, and only here.
"""

from __future__ import annotations

from datetime import datetime

from cerchia import aws, links
from cerchia.domain.models import Community, Member
from cerchia.errors import InvalidLink
from cerchia.store import get_store
from cerchia.web.pages import Page, message_page

PREFERENCES = "preferences"
UNSUBSCRIBE = "unsubscribe"


def open_member_link(purpose: str, token: str, now: datetime, fallback_locale: str) -> tuple[Community, Member] | Page:
    """The community and member a token is for, or the page that says why the link does not work."""
    try:
        claims = links.verify(aws.link_secret(), purpose, token, now)
    except InvalidLink:
        return message_page(fallback_locale, 403, "page.invalid_title", "page.invalid_body")
    store = get_store()
    community = store.get_community(str(claims["c"]))
    member = store.get_member(str(claims["c"]), str(claims["m"])) if community else None
    if community is None or member is None:
        return message_page(fallback_locale, 404, "page.invalid_title", "page.not_found_body")
    return community, member

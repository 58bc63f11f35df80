"""Opening a signed link from an email: its community and member, or the page that says why it does not open.

Every page behind a link in an email (unsubscribe `/u/`, preferences `/p/`, votes, nudge actions)
starts the same way:

    opened = open_signed_link(token, "preferences", now, fallback_locale)
    if isinstance(opened, Page):
        return opened  # 403: forged, altered, foreign or expired; 404: community or member gone
    community, member = opened.community, opened.member

A feature whose pages say it in their own words passes `LinkPages` (its catalogue keys) and `show`
(its message page); one whose token holds more than `c` and `m` passes `member_claim` and `accepts`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from cerchia import links, runtime
from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.errors import InvalidLink
from cerchia.store import get_store
from cerchia.web.pages import Page, message_page

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MessagePage(Protocol):
    """How a feature shows a message: `message_page(locale, status, title_key, body_key, community_name)`."""

    def __call__(self, locale: str, status: int, title_key: str, body_key: str, community_name: str = "") -> Page: ...


@dataclass(frozen=True)
class LinkPages:
    """The catalogue keys (title, body) of the pages a link shows when it does not open."""

    invalid: tuple[str, str] = ("page.invalid_title", "page.invalid_body")  # 403, in the fallback language
    not_found: tuple[str, str] = ("page.invalid_title", "page.not_found_body")  # 404, in the fallback language
    # Given: an expired link says so (403), in the member's language, naming the community; None:
    # an expired link is only an invalid one.
    expired: tuple[str, str] | None = None


@dataclass(frozen=True)
class OpenedLink:
    """A link that opened: what it names, and the language to answer in (the member's, else the community's)."""

    community: Community
    member: Member
    claims: dict[str, Any] = field(repr=False)
    locale: str


def open_signed_link(
    token: str,
    purpose: str,
    now: datetime,
    fallback_locale: str = "en",
    *,
    member_claim: str = "m",
    accepts: Callable[[dict[str, Any]], bool] = lambda claims: True,
    pages: LinkPages = LinkPages(),
    show: MessagePage = message_page,
) -> OpenedLink | Page:
    """Verify `token` for `purpose` with the link secret and load the community (`c`) and member it names.

    The member's id is the claim `member_claim` (`m`; `l` for a leader). `accepts(claims)` may refuse
    a token whose other claims are not what the page needs (an invalid link, 403). A page that is
    not an `OpenedLink` is the answer to give as it is.
    """
    try:
        claims = links.verify(runtime.link_secret(), purpose, token, _EPOCH if pages.expired else now)
        community_id, member_id = str(claims["c"]), str(claims[member_claim])
    except (InvalidLink, KeyError):
        return show(fallback_locale, 403, *pages.invalid)
    if not accepts(claims):
        return show(fallback_locale, 403, *pages.invalid)
    store = get_store()
    community = store.get_community(community_id)
    member = store.get_member(community_id, member_id) if community else None
    if pages.expired and claims["exp"] < now.timestamp():
        locale = (
            rules.resolve_locale(member.locale if member else fallback_locale, community.locale)
            if community
            else fallback_locale
        )
        return show(locale, 403, *pages.expired, community.name if community else "")
    if community is None or member is None:
        return show(fallback_locale, 404, *pages.not_found)
    return OpenedLink(community, member, claims, rules.resolve_locale(member.locale, community.locale))

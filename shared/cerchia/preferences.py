"""Member preferences: the page behind "Choose which emails you get" in the footer of every email.

The link carries a signed token (purpose "preferences", bound to the community and the member,
valid a year), so there is no account and no login. GET shows the current choices; POST saves
them with one conditional update and shows them again with a confirmation. Members choose their
digest (weekly, every two weeks, off), poll emails and language, and may stop or resume every
email from the community; leaders also choose nudges and their quiet hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.domain.preferences import DEFAULT_QUIET_HOURS, Choices, current_choices, parse_choices
from cerchia.errors import Conflict, InvalidInput, InvalidLink, NotFound, Transient
from cerchia.formatting import zone_name
from cerchia.web.pages import Page, message_page, render_page

PURPOSE = "preferences"
SAVE_ATTEMPTS = 3


def _open(token: str, now: datetime, fallback_locale: str) -> tuple[Community, Member] | Page:
    """The community and member a token is for, or the page that says why the link does not work."""
    from cerchia import aws, links
    from cerchia.store import get_store

    try:
        claims = links.verify(aws.link_secret(), PURPOSE, token, now)
    except InvalidLink:
        return message_page(fallback_locale, 403, "page.invalid_title", "page.invalid_body")
    store = get_store()
    community = store.get_community(str(claims["c"]))
    member = store.get_member(str(claims["c"]), str(claims["m"])) if community else None
    if community is None or member is None:
        return message_page(fallback_locale, 404, "page.invalid_title", "page.not_found_body")
    return community, member


def _form(
    community: Community,
    member: Member,
    choices: Choices,
    status: int = 200,
    saved: bool = False,
    problems: Mapping[str, str] | None = None,
) -> Page:
    from cerchia.i18n import translator

    locale = choices.locale
    t = translator(locale)
    shown_quiet = choices.quiet_hours or DEFAULT_QUIET_HOURS
    return render_page(
        "pages/preferences_form.html",
        locale,
        status,
        title=t("preferences.title", community=community.name),
        community_name=community.name,
        member_name=rules.first_name(member.first_name, member.name),
        choices=choices,
        is_leader=member.role == "leader",
        quiet_start=shown_quiet[0],
        quiet_end=shown_quiet[1],
        timezone=zone_name(member.timezone or community.timezone, locale),
        hours=list(range(24)),
        saved=saved,
        problems=dict(problems or {}),
    )


def show(token: str, now: datetime, fallback_locale: str = "en") -> Page:
    """GET: the member's current choices in a form. Changes nothing."""
    opened = _open(token, now, fallback_locale)
    if isinstance(opened, Page):
        return opened
    community, member = opened
    return _form(community, member, current_choices(member, community))


def save(token: str, form: Mapping[str, str], now: datetime, fallback_locale: str = "en") -> Page:
    """POST: save the posted choices (the form is the whole wanted state) and show them, confirmed."""
    from cerchia.store import get_store
    from cerchia.store.preferences import save_choices

    opened = _open(token, now, fallback_locale)
    if isinstance(opened, Page):
        return opened
    community, member = opened
    try:
        choices = parse_choices(form, member)
    except InvalidInput as error:
        return _form(community, member, current_choices(member, community), 400, problems=error.fields)
    store = get_store()
    for _ in range(SAVE_ATTEMPTS):
        try:
            save_choices(store, member, choices, now)
            if not member.unsubscribed and not choices.emails:
                from cerchia.digests.reach import note_lost_reach
                from cerchia.store import keys

                note_lost_reach(store, community, now, keys.WEEK_UNSUBSCRIBED, member.member_id)
            return _form(community, member, choices, saved=True)
        except NotFound:
            return message_page(choices.locale, 404, "page.invalid_title", "page.not_found_body", community.name)
        except Conflict:
            # Someone else wrote the row (an ingest, another tab): read it again and apply the form over it.
            fresh = store.get_member(member.community_id, member.member_id)
            if fresh is None:
                return message_page(choices.locale, 404, "page.invalid_title", "page.not_found_body", community.name)
            member = fresh
    raise Transient("The member's row kept changing; try saving again.")

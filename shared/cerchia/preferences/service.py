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

from cerchia.digests.reach import note_lost_reach
from cerchia.domain.preferences import PREFERENCES, current_choices, parse_choices
from cerchia.errors import Conflict, InvalidInput, NotFound, Transient
from cerchia.preferences.pages import choices_page
from cerchia.store import get_store, keys
from cerchia.store import preferences as preference_store
from cerchia.web.pages import Page, message_page
from cerchia.web.signed_links import open_signed_link

SAVE_ATTEMPTS = 3


def show(token: str, now: datetime, fallback_locale: str = "en") -> Page:
    """GET: the member's current choices in a form. Changes nothing."""
    opened = open_signed_link(token, PREFERENCES, now, fallback_locale)
    if isinstance(opened, Page):
        return opened
    community, member = opened.community, opened.member
    return choices_page(community, member, current_choices(member, community))


def save(token: str, form: Mapping[str, str], now: datetime, fallback_locale: str = "en") -> Page:
    """POST: save the posted choices (the form is the whole wanted state) and show them, confirmed."""
    opened = open_signed_link(token, PREFERENCES, now, fallback_locale)
    if isinstance(opened, Page):
        return opened
    community, member = opened.community, opened.member
    try:
        choices = parse_choices(form, member)
    except InvalidInput as error:
        return choices_page(community, member, current_choices(member, community), 400, problems=error.fields)
    store = get_store()
    for _ in range(SAVE_ATTEMPTS):
        try:
            preference_store.save_choices(store, member, choices, now)
            if not member.unsubscribed and not choices.emails:
                note_lost_reach(store, community, now, keys.WEEK_UNSUBSCRIBED, member.member_id)
            return choices_page(community, member, choices, saved=True)
        except NotFound:
            return message_page(choices.locale, 404, "page.invalid_title", "page.not_found_body", community.name)
        except Conflict:
            # Someone else wrote the row (an ingest, another tab): read it again and apply the form over it.
            fresh = store.get_member(member.community_id, member.member_id)
            if fresh is None:
                return message_page(choices.locale, 404, "page.invalid_title", "page.not_found_body", community.name)
            member = fresh
    raise Transient("The member's row kept changing; try saving again.")

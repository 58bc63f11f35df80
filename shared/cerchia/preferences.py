"""Member preferences: the page behind "Choose which emails you get" in the footer of every email.

The link carries a signed token (purpose "preferences", bound to the community and the member,
valid a year), so there is no account and no login. GET shows the current choices; POST saves
them with one conditional update and shows them again with a confirmation. Members choose their
digest (weekly, every two weeks, off), poll emails and language, and may stop or resume every
email from the community; leaders also choose nudges and their quiet hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.errors import Conflict, InvalidInput, InvalidLink, NotFound, Transient
from cerchia.formatting import zone_name
from cerchia.pages import Page, _message, _page

PURPOSE = "preferences"
DIGESTS = ("weekly", "biweekly", "off")
LANGUAGES = ("en", "it")
# Shown when a leader never chose quiet hours: no nudge between 21:00 and 08:00 in their time zone.
DEFAULT_QUIET_HOURS = (21, 8)
SAVE_ATTEMPTS = 3


@dataclass(frozen=True)
class Choices:
    """Everything the page lets a member choose. nudges and quiet_hours are for leaders only."""

    emails: bool
    digest: str
    polls: bool
    locale: str
    nudges: bool | None = None
    quiet_hours: tuple[int, int] | None = None  # (start hour, end hour); None: the default


def current_choices(member: Member, community: Community) -> Choices:
    from cerchia.domain import rules

    quiet = None
    if member.quiet_start_hour is not None and member.quiet_end_hour is not None:
        quiet = (member.quiet_start_hour, member.quiet_end_hour)
    return Choices(
        emails=not member.unsubscribed,
        digest=member.digest,
        polls=member.polls,
        locale=rules.resolve_locale(member.locale, community.locale),
        nudges=member.nudges if member.role == "leader" else None,
        quiet_hours=quiet if member.role == "leader" else None,
    )


def _on_off(value: str | None, field: str, problems: dict[str, str]) -> bool:
    if value in ("on", "off"):
        return value == "on"
    problems[field] = "on or off"
    return False


def _hour(value: str | None, field: str, problems: dict[str, str]) -> int:
    if value is not None and value.isdigit() and 0 <= int(value) <= 23:
        return int(value)
    problems[field] = "an hour from 0 to 23"
    return 0


def parse_choices(form: Mapping[str, str], member: Member) -> Choices:
    """The choices a posted form makes. Raises InvalidInput naming every field that was wrong."""
    problems: dict[str, str] = {}
    emails = _on_off(form.get("emails"), "emails", problems)
    digest = form.get("digest", "")
    if digest not in DIGESTS:
        problems["digest"] = "weekly, biweekly or off"
    polls = _on_off(form.get("polls"), "polls", problems)
    locale = form.get("locale", "")
    if locale not in LANGUAGES:
        problems["locale"] = "en or it"
    nudges: bool | None = None
    quiet: tuple[int, int] | None = None
    if member.role == "leader":
        nudges = _on_off(form.get("nudges"), "nudges", problems)
        quiet = (
            _hour(form.get("quiet_start"), "quiet_start", problems),
            _hour(form.get("quiet_end"), "quiet_end", problems),
        )
        if "quiet_start" not in problems and "quiet_end" not in problems and quiet[0] == quiet[1]:
            problems["quiet_end"] = "different from the start"
        if member.quiet_start_hour is None and quiet == DEFAULT_QUIET_HOURS:
            quiet = None  # still the default: keep following it
    if problems:
        raise InvalidInput("Some choices were not valid.", problems)
    return Choices(emails=emails, digest=digest, polls=polls, locale=locale, nudges=nudges, quiet_hours=quiet)


def _open(token: str, now: datetime, fallback_locale: str) -> tuple[Community, Member] | Page:
    """The community and member a token is for, or the page that says why the link does not work."""
    from cerchia import aws, links
    from cerchia.store import get_store

    try:
        claims = links.verify(aws.link_secret(), PURPOSE, token, now)
    except InvalidLink:
        return _message(fallback_locale, 403, "page.invalid_title", "page.invalid_body")
    store = get_store()
    community = store.get_community(str(claims["c"]))
    member = store.get_member(str(claims["c"]), str(claims["m"])) if community else None
    if community is None or member is None:
        return _message(fallback_locale, 404, "page.invalid_title", "page.not_found_body")
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
    return _page(
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
                from cerchia.digests import note_lost_reach
                from cerchia.store import keys

                note_lost_reach(store, community, now, keys.WEEK_UNSUBSCRIBED, member.member_id)
            return _form(community, member, choices, saved=True)
        except NotFound:
            return _message(choices.locale, 404, "page.invalid_title", "page.not_found_body", community.name)
        except Conflict:
            # Someone else wrote the row (an ingest, another tab): read it again and apply the form over it.
            fresh = store.get_member(member.community_id, member.member_id)
            if fresh is None:
                return _message(choices.locale, 404, "page.invalid_title", "page.not_found_body", community.name)
            member = fresh
    raise Transient("The member's row kept changing; try saving again.")

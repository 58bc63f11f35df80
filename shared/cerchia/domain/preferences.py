"""What a member may choose about their emails, and how a posted preference form is read. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.errors import InvalidInput
from cerchia.locales import LOCALES

# The purpose the preference page's signed links carry (`cerchia.links`).
PREFERENCES = "preferences"

DIGESTS = ("weekly", "biweekly", "off")
# Shown when a leader never chose quiet hours: no nudge between 21:00 and 08:00 in their time zone.
DEFAULT_QUIET_HOURS = (21, 8)


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
    if locale not in LOCALES:
        problems["locale"] = " or ".join(LOCALES)
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

"""The preference form: a member's choices shown as a page, with a confirmation or the fields that were wrong."""

from __future__ import annotations

from collections.abc import Mapping

from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.domain.preferences import DEFAULT_QUIET_HOURS, Choices
from cerchia.formatting import zone_name
from cerchia.i18n import translator
from cerchia.web.pages import Page, render_page


def choices_page(
    community: Community,
    member: Member,
    choices: Choices,
    status: int = 200,
    saved: bool = False,
    problems: Mapping[str, str] | None = None,
) -> Page:
    """The form showing `choices`; `saved` adds the confirmation, `problems` the wrong fields' explanations."""
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

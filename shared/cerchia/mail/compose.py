"""Composing any Cerchia email: language, links, footer and both parts, the same way for every kind.

Every email kind calls `compose`; templates live in templates/email/<template>.html and .txt. The
HTML extends email/base.html and the text part includes email/_footer.txt: both draw the footer
(why you get this email, the link to choose what you get, the link to stop everything).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cerchia.domain import rules
from cerchia.domain.models import Community
from cerchia.mail.mime import Outgoing

UNSUBSCRIBE_LINK_LIFETIME = timedelta(days=365)
PREFERENCES_LINK_LIFETIME = timedelta(days=365)


@dataclass(frozen=True)
class Recipient:
    """Who an email goes to. member_id is None for a leader known only from the community's settings."""

    email: str
    name: str
    locale: str | None = None
    member_id: str | None = None
    is_leader: bool = False
    given_name: str = ""

    @property
    def first_name(self) -> str:
        """How emails greet them: the first name they gave, else the first word of their name."""
        from cerchia.domain.rules import first_name

        return first_name(self.given_name, self.name)


def public_url(path: str) -> str:
    from cerchia.settings import get_settings

    return f"{get_settings().public_base_url.rstrip('/')}{path}"


def signed_link(purpose: str, path_prefix: str, claims: dict[str, Any], expires_at: datetime) -> str:
    """An absolute https link carrying a signed token, e.g. signed_link('unsubscribe', '/u/', ...)."""
    from cerchia import aws, links

    return public_url(path_prefix + links.sign(aws.link_secret(), purpose, claims, expires_at))


def unsubscribe_url(community_id: str, member_id: str, now: datetime) -> str:
    return signed_link("unsubscribe", "/u/", {"c": community_id, "m": member_id}, now + UNSUBSCRIBE_LINK_LIFETIME)


def preferences_url(community_id: str, member_id: str, now: datetime) -> str:
    """The member's preference page (digest, polls, language; nudges and quiet hours for leaders)."""
    return signed_link("preferences", "/p/", {"c": community_id, "m": member_id}, now + PREFERENCES_LINK_LIFETIME)


def footer_why(kind: str, community: Community, recipient: Recipient, locale: str) -> str:
    """Why this recipient gets this kind of email: `footer.why_kind.<kind>` if the catalogue has it."""
    from cerchia.i18n import catalogue, translator

    t = translator(locale)
    specific = f"footer.why_kind.{kind}"
    if specific in catalogue(locale if locale in ("en", "it") else "en"):
        return t(specific, community=community.name)
    return t("footer.why_leader" if recipient.is_leader else "footer.why", community=community.name)


def compose(
    kind: str,
    template: str,
    community: Community,
    recipient: Recipient,
    now: datetime,
    subject_key: str,
    subject_values: dict[str, Any] | None = None,
    **context: Any,
) -> Outgoing:
    """Render templates/email/<template>.{txt,html} for one recipient, with the footer, preference and unsubscribe links.

    Pass `footer_why=...` in the context to say more precisely why this recipient gets this email.
    """
    from cerchia.formatting import fit_subject
    from cerchia.rendering import render

    locale = rules.resolve_locale(recipient.locale, community.locale)
    unsubscribe = unsubscribe_url(community.community_id, recipient.member_id, now) if recipient.member_id else None
    preferences = preferences_url(community.community_id, recipient.member_id, now) if recipient.member_id else None

    values_of_subject = {"community": community.name, "name": recipient.first_name, **(subject_values or {})}
    # titles and questions are cut first (with an ellipsis), names only if that is not enough, dates last
    texts = [name for name, value in (subject_values or {}).items() if isinstance(value, str) and name != "week_range"]
    subject = fit_subject(locale, subject_key, values_of_subject, [*texts, "name", "community", "week_range"])
    values = {
        "community": community,
        "recipient": recipient,
        "subject": subject,
        "unsubscribe_url": unsubscribe,
        "preferences_url": preferences,
        "preheader": context.pop("preheader", ""),
        "footer_why": footer_why(kind, community, recipient, locale),
        **context,
    }
    return Outgoing(
        kind=kind,
        to_address=recipient.email,
        to_name=recipient.name,
        subject=subject,
        text=render(f"email/{template}.txt", locale, **values),
        html=render(f"email/{template}.html", locale, **values),
        unsubscribe_url=unsubscribe,
    )

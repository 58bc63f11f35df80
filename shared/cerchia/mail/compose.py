"""Composing any Cerchia email: language, links, footer and both parts, the same way for every kind.

Every email kind calls `compose`; templates live in templates/email/<template>.html and .txt. The
HTML extends email/base.html and the text part includes email/_footer.txt: both draw the footer
(why you get this email, the link to choose what you get, the link to stop everything).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cerchia import links, runtime
from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.domain.text import clean
from cerchia.formatting import fit_subject
from cerchia.i18n import LOCALES, catalogue, translator
from cerchia.mail.mime import Outgoing
from cerchia.rendering import render
from cerchia.settings import get_settings

# Emails written in the leader's voice: they come from "Marco · Lievito & Co." and replies reach the leader.
LEADER_VOICE = frozenset({"welcome", "newcomer", "poll", "poll-reminder"})
UNSUBSCRIBE_LINK_LIFETIME = timedelta(days=365)
# Emails a leader receives carry "Open your console" with a fresh single-use link (cerchia.console).
CONSOLE_LINK_KINDS = frozenset({"nudge", "leader-digest", "poll-results"})
# A console link in an email may be opened later the same week, still only once.
CONSOLE_LINK_LIFETIME = timedelta(days=7)


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
        return rules.first_name(self.given_name, self.name)

    @classmethod
    def for_member(cls, member: Member, is_leader: bool = False) -> Recipient:
        """A member of the community, greeted by the first name they gave."""
        return cls(
            email=member.email,
            name=member.name,
            locale=member.locale,
            member_id=member.member_id,
            is_leader=is_leader,
            given_name=member.first_name,
        )


def public_url(path: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}{path}"


def signed_link(purpose: str, path_prefix: str, claims: dict[str, Any], expires_at: datetime) -> str:
    """An absolute https link carrying a signed token, e.g. signed_link('unsubscribe', '/u/', ...)."""
    return public_url(path_prefix + links.sign(runtime.link_secret(), purpose, claims, expires_at))


def unsubscribe_url(community_id: str, member_id: str, now: datetime) -> str:
    return signed_link("unsubscribe", "/u/", {"c": community_id, "m": member_id}, now + UNSUBSCRIBE_LINK_LIFETIME)


def preferences_url(community_id: str, member_id: str, now: datetime) -> str:
    """The member's preference page (digest, polls, language; nudges and quiet hours for leaders)."""
    return signed_link("preferences", "/p/", {"c": community_id, "m": member_id}, now + links.PREFERENCES_LINK_LIFETIME)


def footer_why(kind: str, community: Community, recipient: Recipient, locale: str) -> str:
    """Why this recipient gets this kind of email: `footer.why_kind.<kind>` if the catalogue has it."""
    t = translator(locale)
    specific = f"footer.why_kind.{kind}"
    if specific in catalogue(locale if locale in LOCALES else "en"):
        return t(specific, community=community.name)
    return t("footer.why_leader" if recipient.is_leader else "footer.why", community=community.name)


@dataclass(frozen=True)
class Sender:
    """Who an email is from, where replies go and which list it belongs to (the `Outgoing` fields)."""

    from_name: str
    reply_to: str | None
    reply_to_name: str
    list_id: str
    list_name: str


def sender(kind: str, community: Community, sender_address: str) -> Sender:
    """The community is the sender of every email; the leader speaks in the LEADER_VOICE ones.

    The leader who speaks is the community's own leader, the one named when it was created
    (`leader_name`, `leader_email`; `cerchia community configure --set leader_name=...`): a
    community may have several leaders, but one voice. Replies go to `reply_to` when the community
    set one, else to that leader. Digests, nudges and results have no Reply-To: nobody reads replies
    to a report. `List-Id` is `<community-id.sender-domain>` (RFC 2919), the same for every email of
    the community, so a member's filters and "mute" follow the community, not Cerchia.
    """
    name = " ".join(clean(community.name).split())
    leader_first_name = (clean(community.leader_name).split() or [""])[0]
    voice = kind in LEADER_VOICE
    reply_to = (community.reply_to or community.leader_email) if voice else ""
    domain = sender_address.rpartition("@")[2].lower() or "localhost"
    return Sender(
        from_name=f"{leader_first_name} · {name}" if voice and leader_first_name else name,
        reply_to=reply_to or None,
        reply_to_name=(community.leader_name if not community.reply_to else name) if reply_to else "",
        list_id=f"{community.community_id.lower()}.{domain}",
        list_name=name,
    )


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
    if recipient.is_leader and recipient.member_id and kind in CONSOLE_LINK_KINDS:
        path = links.console_link_path(community.community_id, recipient.member_id, now, CONSOLE_LINK_LIFETIME)
        values["console_url"] = public_url(path)
    voice = sender(kind, community, get_settings().sender_address)
    return Outgoing(
        kind=kind,
        to_address=recipient.email,
        to_name=recipient.name,
        subject=subject,
        text=render(f"email/{template}.txt", locale, **values),
        html=render(f"email/{template}.html", locale, **values),
        unsubscribe_url=unsubscribe,
        from_name=voice.from_name,
        reply_to=voice.reply_to,
        reply_to_name=voice.reply_to_name,
        list_id=voice.list_id,
        list_name=voice.list_name,
    )

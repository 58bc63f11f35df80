"""Welcoming new members: one email per membership, in the member's language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.mail.mime import Outgoing
from cerchia.store import keys

Welcome = Literal["sent", "already-sent", "skipped"]
UNSUBSCRIBE_LINK_LIFETIME = timedelta(days=365)


def unsubscribe_url(community_id: str, member_id: str, now: datetime) -> str:
    from cerchia import aws, links
    from cerchia.settings import get_settings

    token = links.sign(aws.link_secret(), "unsubscribe", {"c": community_id, "m": member_id},
                       now + UNSUBSCRIBE_LINK_LIFETIME)
    return f"{get_settings().public_base_url.rstrip('/')}/u/{token}"


def compose_welcome(community: Community, member: Member, posts: list, now: datetime) -> Outgoing:
    from cerchia.i18n import translator
    from cerchia.rendering import render

    locale = rules.resolve_locale(member.locale, community.locale)
    t = translator(locale)
    context = {
        "community": community, "member": member, "posts": posts,
        "unsubscribe_url": unsubscribe_url(community.community_id, member.member_id, now),
        "footer_why": t("footer.why", community=community.name),
        "subject": t("welcome.subject", community=community.name, name=member.name),
        "preheader": t("welcome.preheader"),
    }
    return Outgoing(
        kind="welcome", to_address=member.email, to_name=member.name, subject=context["subject"],
        text=render("email/welcome.txt", locale, **context), html=render("email/welcome.html", locale, **context),
        unsubscribe_url=context["unsubscribe_url"],
    )


def welcome_member(community_id: str, member_id: str, now: datetime) -> Welcome:
    """Send the welcome for the member's current membership, unless it went out already or is not due."""
    from cerchia.mail.sending import deliver_once
    from cerchia.store import get_store

    store = get_store()
    member = store.get_member(community_id, member_id)
    community = store.get_community(community_id)
    if member is None or community is None or member.unsubscribed or not rules.deserves_welcome(member):
        return "skipped"
    assert member.membership_started_at is not None
    return deliver_once(
        store, kind="welcome", community_id=community_id, recipient_id=member_id,
        period=keys.iso(member.membership_started_at),
        compose=lambda: compose_welcome(community, member, rules.posts_worth_reading(store.recent_posts(community_id)),
                                        now),
        now=now,
    )

"""Welcoming new members: one email per membership, in the member's language."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.mail.mime import Outgoing
from cerchia.store import keys

if TYPE_CHECKING:
    from cerchia.store.table import Job

WELCOME_POSTS = 3
Welcome = Literal["sent", "already-sent", "skipped", "unsubscribed", "suppressed", "refused", "deferred"]


def compose_welcome(community: Community, member: Member, posts: list, now: datetime) -> Outgoing:
    from cerchia.i18n import translator
    from cerchia.mail.compose import Recipient, compose

    t = translator(rules.resolve_locale(member.locale, community.locale))
    # never their own post (a rejoining member may have written the community's best one)
    others = [post for post in posts if post.author_id != member.member_id]
    return compose(
        "welcome",
        "welcome",
        community,
        Recipient(
            email=member.email,
            name=member.name,
            locale=member.locale,
            member_id=member.member_id,
            given_name=member.first_name,
        ),
        now,
        "welcome.subject",
        member=member,
        posts=others[:WELCOME_POSTS],
        intro_url=rules.introductions(community, [post.url for post in posts]),
        preheader=t("welcome.preheader"),
    )


def welcome_member(community_id: str, member_id: str, now: datetime) -> Welcome:
    """Send the welcome for the member's current membership, unless it went out already or is not due.

    If SES cannot send for the account (an outage can last hours: a sender verified the day after
    the deploy), the welcome is kept as a `welcome` job that the due sweep retries until it goes out
    ('deferred'), instead of failing the stream record until its retries run out.
    """
    from cerchia.mail.sending import SendingUnavailable
    from cerchia.store import get_store

    try:
        return _welcome(community_id, member_id, now)
    except SendingUnavailable:
        from cerchia.jobs import OUTAGE_RETRY

        get_store().schedule_job(
            "welcome", f"{community_id}#{member_id}", community_id, now + OUTAGE_RETRY, {"member_id": member_id}
        )
        return "deferred"


def run_welcome_job(job: Job, now: datetime) -> datetime | None:
    """The `welcome` job: a welcome SES could not send when the member joined. Raises while it still cannot."""
    _welcome(job.community_id, str(job.payload["member_id"]), now)
    return None


def _welcome(community_id: str, member_id: str, now: datetime) -> Welcome:
    from cerchia.mail.sending import deliver_once
    from cerchia.store import get_store

    store = get_store()
    member = store.get_member(community_id, member_id)
    community = store.get_community(community_id)
    if member is None or community is None or member.unsubscribed or not rules.deserves_welcome(member):
        return "skipped"
    assert member.membership_started_at is not None
    outcome = deliver_once(
        store,
        kind="welcome",
        community_id=community_id,
        to_address=member.email,
        recipient_id=member_id,
        period=keys.iso(member.membership_started_at),
        compose=lambda: compose_welcome(
            community,
            member,
            rules.posts_worth_reading(
                (post for post in store.recent_posts(community_id) if post.author_id != member_id), WELCOME_POSTS
            ),
            now,
        ),
        now=now,
    )
    from cerchia.nudges import schedule_newcomer_check  # issue 3: look again in a few days

    schedule_newcomer_check(community, member)
    return outcome

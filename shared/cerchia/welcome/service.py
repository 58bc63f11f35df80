"""Send each membership its welcome once; keep it as a job while SES cannot send for the account."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from cerchia.domain import rules
from cerchia.jobs import OUTAGE_RETRY
from cerchia.mail.sending import SendingUnavailable, deliver_once
from cerchia.nudges.newcomers import schedule_newcomer_check
from cerchia.store import get_store, keys
from cerchia.welcome.emails import WELCOME_POSTS, compose_welcome

Welcome = Literal["sent", "already-sent", "skipped", "unsubscribed", "suppressed", "refused", "deferred"]


def welcome_member(community_id: str, member_id: str, now: datetime) -> Welcome:
    """Send the welcome for the member's current membership, unless it went out already or is not due.

    If SES cannot send for the account (an outage can last hours: a sender verified the day after
    the deploy), the welcome is kept as a `welcome` job that the due sweep retries until it goes out
    ('deferred'), instead of failing the stream record until its retries run out.
    """
    try:
        return send_welcome(community_id, member_id, now)
    except SendingUnavailable:
        get_store().schedule_job(
            "welcome", f"{community_id}#{member_id}", community_id, now + OUTAGE_RETRY, {"member_id": member_id}
        )
        return "deferred"


def send_welcome(community_id: str, member_id: str, now: datetime) -> Welcome:
    """The welcome, through the ledger (once per membership); raises SendingUnavailable while SES cannot send."""
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
    schedule_newcomer_check(community, member)  # issue 3: look again in a few days
    return outcome

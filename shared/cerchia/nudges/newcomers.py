"""Quiet newcomers: a few days after joining, a member who has not spoken yet gets one friendly email,
and their leaders see their name in the next nudge. `cerchia.welcome` schedules the look from here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cerchia.clock import parse_instant
from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.domain.nudges import OPEN_QUESTIONS, not_before
from cerchia.i18n import translator
from cerchia.mail.compose import Recipient, compose
from cerchia.mail.mime import Outgoing
from cerchia.mail.sending import deliver_once
from cerchia.nudges.emails import introductions_url
from cerchia.store import get_store, keys
from cerchia.store import nudges as nudge_store
from cerchia.store.table import Job


def schedule_newcomer_check(community: Community, member: Member) -> None:
    """When a member is welcomed: look again `newcomer_after_days` after they joined (a due job)."""
    if member.membership_started_at is None:
        return
    get_store().schedule_job(
        "newcomer",
        f"{community.community_id}#{member.member_id}",
        community.community_id,
        member.membership_started_at + timedelta(days=community.newcomer_after_days),
        {"member_id": member.member_id, "membership_started_at": keys.iso(member.membership_started_at)},
    )


def run_newcomer_check(job: Job, now: datetime) -> datetime | None:
    """The `newcomer` job: a member still quiet since joining gets one friendly email, and their
    leaders see them in their next nudge. Once per member, however often the job runs."""
    store = get_store()
    community = store.get_community(job.community_id)
    member = store.get_member(job.community_id, str(job.payload.get("member_id", ""))) if community else None
    if community is None or member is None or member.status != "active" or member.role != "member":
        return None
    since = member.membership_started_at or parse_instant(job.payload.get("membership_started_at")) or now
    if nudge_store.was_active(store, community, member.member_id, since, now):
        return None
    if rules.wants(member, "newcomer"):
        questions = nudge_store.open_questions(store, community.community_id, member.member_id, OPEN_QUESTIONS)
        deliver_once(
            store,
            kind="newcomer",
            community_id=community.community_id,
            recipient_id=member.member_id,
            period="once",
            compose=lambda: compose_newcomer(community, member, questions, now),
            now=now,
        )
    recipients = {
        leader.member_id: not_before(leader, community, now)
        for leader in store.leaders(community)
        if rules.wants(leader, "nudge")
    }
    nudge_store.notice_newcomer(store, community.community_id, member, recipients, now)
    return None


def compose_newcomer(community: Community, member: Member, questions: list[dict[str, Any]], now: datetime) -> Outgoing:
    t = translator(rules.resolve_locale(member.locale, community.locale))
    return compose(
        "newcomer",
        "newcomer",
        community,
        Recipient.for_member(member),
        now,
        "nudges.newcomer_subject",
        member=member,
        questions=questions,
        intro_url=introductions_url(get_store(), community, [str(question.get("url") or "") for question in questions]),
        preheader=t("nudges.newcomer_preheader"),
        footer_why=t("nudges.newcomer_footer_why", community=community.name),
    )

"""The console's home page: the week so far (the health report's figures to date), waiting posts,
silent newcomers and the polls still to send or close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cerchia import formatting
from cerchia.clock import parse_instant
from cerchia.console.polls import poll_status
from cerchia.console.service import local_time, locale_for
from cerchia.domain import rules
from cerchia.domain.health import week_health
from cerchia.domain.models import Community, Member
from cerchia.i18n import Translate, translator
from cerchia.store import console as console_store
from cerchia.store import digests as digest_store
from cerchia.store import get_store
from cerchia.store import nudges as nudge_store
from cerchia.store.polls import polls_closing

NEWCOMER_WINDOW = timedelta(days=14)
# Durations on the home page have always been said in English, whatever the leader's language.
DURATION_LOCALE = "en"


@dataclass(frozen=True)
class Overview:
    figures: list[tuple[str, str]]
    waiting: list[dict[str, Any]]
    newcomers: list[dict[str, str]]
    polls: list[dict[str, Any]]


def _percent(t: Translate, share: float | None) -> str:
    return t("digests.none") if share is None else t("digests.percent", percent=round(share * 100))


def overview(community: Community, leader: Member, now: datetime) -> Overview:
    """The week so far (the health report's figures to date), waiting posts, silent newcomers, polls."""
    store = get_store()
    cid = community.community_id
    locale = locale_for(community, leader)
    t = translator(locale)
    week = rules.week_of(now, community.timezone)
    members = list(store.members(cid))
    health = week_health(week, digest_store.week_activities(store, cid, [week])[week], members, community, now)
    figures = [
        (t("digests.leader.answered", hours=community.unanswered_after_hours),
         t("digests.leader.answered_value", percent=_percent(t, health.answered_share),
           answered=health.answered_in_time, decided=health.decided)
         if health.decided else t("digests.leader.answered_none")),
        (t("digests.leader.median"), formatting.duration(health.median_first_reply_seconds, DURATION_LOCALE)),
        (t("digests.leader.active"),
         t("digests.leader.active_value", active=health.active, members=health.members,
           percent=_percent(t, health.active_share))),
        (t("digests.leader.newcomers"),
         t("digests.leader.newcomers_value", posted=health.newcomers_posted, newcomers=health.newcomers)
         if health.newcomers else t("digests.leader.newcomers_none")),
        (t("console.home.posts_this_week"), str(health.posts)),
    ]  # fmt: skip
    names = {member.member_id: member.name for member in members}
    waiting = [
        {
            "post_id": post["post_id"],
            "title": post.get("title") or post.get("url") or "",
            "url": post.get("url", ""),
            "author": names.get(post.get("author_id", "")) or t("nudges.someone"),
            "waited": formatting.how_long(parse_instant(post.get("created_at")) or now, now, locale),
            "claimed": post.get("nudge_stage") == "claimed",
            "claimed_by_me": post.get("settled_by") == leader.member_id,
        }
        for post in console_store.waiting_posts(store, cid)
    ]
    newcomers = [
        {"name": member.name or t("nudges.someone"), "joined": formatting.how_long(started, now, locale)}
        for member in members
        if member.role == "member"
        and member.status == "active"
        and (started := member.membership_started_at or member.joined_at) is not None
        and now - NEWCOMER_WINDOW <= started <= now
        and not nudge_store.was_active(store, community, member.member_id, started, now)
    ][:20]
    polls = [
        {"poll": poll, "status": status, "closes": local_time(poll.close_at, community.timezone),
         "sends": local_time(poll.send_at, community.timezone)}
        for poll in polls_closing(store, cid, now)
        if (status := poll_status(poll, now)) in ("scheduled", "open")
    ]  # fmt: skip
    return Overview(figures, waiting, newcomers, polls)

"""The nudge email: the posts waiting for an answer and the quiet newcomers, for one leader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cerchia import formatting
from cerchia.clock import parse_instant
from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.domain.nudges import MAX_LISTED, REMINDER
from cerchia.i18n import catalogue, translator
from cerchia.mail.compose import Recipient, compose
from cerchia.mail.mime import Outgoing
from cerchia.nudges.links import nudge_link
from cerchia.nudges.reads import SweepReads
from cerchia.store import Store


@dataclass(frozen=True)
class NudgeLine:
    title: str
    url: str
    author: str
    waited: str
    reminder: bool
    claim_url: str
    dismiss_url: str


@dataclass(frozen=True)
class NewcomerLine:
    name: str
    joined: str


def introductions_url(store: Store, community: Community, known_urls: list[str]) -> str:
    """Where to say hello: the community's intro_url or url, else the site its recent posts live on."""
    found = rules.introductions(community, known_urls)
    if found or not community.community_id:
        return found
    return rules.introductions(community, [post.url for post in store.recent_posts(community.community_id)])


def compose_nudge(run: SweepReads, community: Community, leader: Member, batch: dict[str, Any]) -> Outgoing:
    now = run.now
    locale = rules.resolve_locale(leader.locale, community.locale)
    t = translator(locale)
    posts = batch.get("posts") or []
    listed = posts[:MAX_LISTED]
    # names come with the posts; only entries queued before posts carried them read the member
    unnamed = [entry.get("author_id", "") for entry in listed if not entry.get("author_name")]
    names = run.author_names(community.community_id, unnamed) if unnamed else {}
    lines = [
        NudgeLine(
            title=entry.get("title") or entry.get("url") or "",
            url=entry.get("url", ""),
            author=entry.get("author_name") or names.get(entry.get("author_id", "")) or t("nudges.someone"),
            waited=formatting.how_long(parse_instant(entry.get("created_at")) or now, now, locale),
            reminder=entry["stage"] == REMINDER,
            claim_url=nudge_link(community.community_id, entry["post_id"], leader.member_id, "claim", now),
            dismiss_url=nudge_link(community.community_id, entry["post_id"], leader.member_id, "dismiss", now),
        )
        for entry in listed
    ]
    newcomers = [
        NewcomerLine(
            name=entry.get("name") or t("nudges.someone"),
            joined=formatting.how_long(parse_instant(entry.get("joined_at")) or now, now, locale),
        )
        for entry in batch.get("newcomers") or []
    ]
    reminder = any(entry["stage"] == REMINDER for entry in posts)
    extra: dict[str, Any] = {}
    if len(posts) == 1:
        subject_key = "nudges.subject_post_reminder" if reminder else "nudges.subject_post"
        preheader = t("nudges.preheader_posts")
    elif posts:
        subject_key = "nudges.subject_posts_reminder" if reminder else "nudges.subject_posts"
        subject_key += "." + formatting.plural_form(len(posts) - 1, locale)
        if subject_key not in catalogue(locale):
            subject_key = subject_key.rsplit(".", 1)[0] + ".other"
        preheader = t("nudges.preheader_posts")
    else:
        subject_key, preheader = "nudges.subject_newcomers", t("nudges.preheader_newcomers")
        # the default footer speaks of a conversation waiting; this one is about newcomers
        extra["footer_why"] = t("footer.why_nudge_newcomers", community=community.name)
    return compose(
        "nudge",
        "nudge",
        community,
        Recipient.for_member(leader, is_leader=True),
        now,
        subject_key,
        {"title": lines[0].title if lines else "", "count": len(posts) - 1},
        leader=leader,
        posts=lines,
        total=len(posts),
        more=len(posts) - len(listed),
        newcomers=newcomers,
        newcomers_url=introductions_url(run.store, community, [line.url for line in lines]) if newcomers else "",
        preheader=preheader,
        **extra,
    )

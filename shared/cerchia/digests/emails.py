"""The digest emails: a member's copy of the week and the leader's health report, composed in the reader's language."""

from __future__ import annotations

from datetime import datetime

from cerchia.digests.report import health_report
from cerchia.digests.schedule import LEADER_KIND, MEMBER_KIND
from cerchia.digests.words import Words
from cerchia.domain import rules
from cerchia.domain.digest_content import MemberDigest, Snapshot
from cerchia.domain.digests import NEW_MEMBERS_SHOWN, TOP_POSTS_SHOWN
from cerchia.domain.models import Community, Member
from cerchia.i18n import Translate, translator
from cerchia.mail.compose import Recipient, compose
from cerchia.mail.mime import Outgoing


def compose_member_digest(
    community: Community,
    member: Member,
    snapshot: Snapshot,
    digest: MemberDigest,
    now: datetime,
    start: datetime | None = None,
) -> Outgoing:
    """The member's digest; `start` is earlier than the snapshot's when it covers two weeks."""
    locale = rules.resolve_locale(member.locale, community.locale)
    words = Words(translator(locale), community.timezone, locale)
    week_range = words.week_range(start or snapshot.start, snapshot.end)
    top = digest.top_posts[0].title if digest.top_posts else ""
    known_urls = [post.url for post in [*digest.top_posts, *digest.unanswered]]
    return compose(
        MEMBER_KIND,
        "digest",
        community,
        Recipient.for_member(member),
        now,
        "digests.subject_top" if top else "digests.subject",
        {"title": top, "week_range": week_range},
        preheader=words.t("digests.preheader", community=community.name, week_range=week_range),
        footer_why=digest_footer(words.t, "footer.why_kind.digest", community, member),
        digest=digest,
        week_range=week_range,
        words=words,
        biweekly=digest.weeks == 2,
        community_url=rules.community_home(community, known_urls),
    )


def digest_footer(t: Translate, key: str, community: Community, member: Member) -> str:
    """Why they get it, and the cadence they have not chosen (weekly readers are offered two weeks...)."""
    offer = "footer.offer_weekly" if member.digest == "biweekly" else "footer.offer_biweekly"
    return f"{t(key, community=community.name)} {t(offer)}"


def compose_leader_digest(
    community: Community, leader: Member, snapshot: Snapshot, now: datetime, waiting: list[str] | None = None
) -> Outgoing:
    """The leader's report of the week; `waiting`: the questions still unanswered when it was queued."""
    locale = rules.resolve_locale(leader.locale, community.locale)
    words = Words(translator(locale), community.timezone, locale)
    week_range = words.week_range(snapshot.start, snapshot.end)
    still = set(waiting) if waiting is not None else None
    unanswered = [post for post in snapshot.unanswered if still is None or post.post_id in still]
    return compose(
        LEADER_KIND,
        "leader-digest",
        community,
        Recipient.for_member(leader, is_leader=True),
        now,
        "digests.leader.subject",
        {"week_range": week_range},
        preheader=words.t("digests.leader.preheader", community=community.name),
        footer_why=digest_footer(words.t, "footer.why_kind.leader-digest", community, leader),
        snapshot=snapshot,
        health=health_report(community, snapshot, words),
        unanswered=unanswered,
        top_posts=snapshot.top_posts[:TOP_POSTS_SHOWN],
        new_members=snapshot.new_members[:NEW_MEMBERS_SHOWN],
        more_new_members=max(0, snapshot.new_member_count - NEW_MEMBERS_SHOWN),
        week_range=week_range,
        words=words,
        as_of=now,
    )

"""Pure rules of the community: who is welcomed, which week an instant falls in, what is worth reading."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from cerchia.domain.models import Community, Member, Post
from cerchia.locales import LOCALES

REJOIN_GRACE = timedelta(days=30)
EXCERPT_LENGTH = 280


def resolve_locale(member_locale: str | None, community_locale: str) -> str:
    """The member's language if Cerchia speaks it, else the community's, else English."""
    for candidate in (member_locale, community_locale):
        if candidate in LOCALES:
            return candidate
    return "en"


def week_of(instant: datetime, timezone: str) -> str:
    """ISO week (e.g. '2026-W48') of an instant as lived in the community's time zone."""
    year, week, _ = instant.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def membership_start_on_join(existing: Member | None, joined_at: datetime) -> datetime:
    """When the membership that this join opens (or continues) started.

    A member who left and comes back within the grace period continues the old membership,
    so the welcome ledger (keyed on it) sends no second welcome.
    """
    if (
        existing is not None
        and existing.status == "left"
        and existing.left_at is not None
        and existing.membership_started_at is not None
        and joined_at - existing.left_at <= REJOIN_GRACE
    ):
        return existing.membership_started_at
    if existing is not None and existing.status == "active" and existing.membership_started_at is not None:
        return existing.membership_started_at
    return joined_at


def deserves_welcome(member: Member) -> bool:
    """Active members get one welcome per membership, unless that membership was imported (no welcome storm)."""
    imported = member.imported_membership is not None and member.imported_membership == member.membership_started_at
    return member.status == "active" and member.role == "member" and bool(member.email) and not imported


Topic = str  # "welcome", "poll", "digest", "nudge", "newcomer", ...


def wants(member: Member, topic: Topic) -> bool:
    """Whether a member still wants emails on a topic (left, unsubscribed and opted-out members do not)."""
    if member.status != "active" or member.unsubscribed or not member.email:
        return False
    if topic in ("poll", "poll-reminder"):
        return member.polls
    if topic == "digest":
        return member.digest != "off"
    if topic == "nudge":
        return member.nudges
    return True


def engagement(replies: int = 0, repliers: int = 0, reactions: int = 0) -> int:
    """How much a post drew people in: replies count most, then distinct repliers, then reactions.

    The one definition of a post's points: ingest adds what each reply or reaction is worth to the
    post's `points` (what the week's ranking reads), digests and pages rank by the same weights.
    """
    return replies * 2 + repliers * 3 + reactions


def posts_worth_reading(posts: Iterable[Post], limit: int = 3) -> list[Post]:
    """The most engaging recent posts (newest first among equals), never deleted ones or placeholders."""
    readable = [post for post in posts if not post.deleted and not post.placeholder and post.title]
    readable.sort(
        key=lambda post: (
            engagement(post.reply_count, len(post.repliers), post.reactions),
            post.created_at.timestamp() if post.created_at else 0.0,
        ),
        reverse=True,
    )
    return readable[:limit]


def excerpt(body: str | None) -> str:
    if not body:
        return ""
    text = " ".join(body.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1].rstrip() + "…"


def community_home(community: Community, known_urls: Iterable[str] = ()) -> str:
    """Where "Go to the community" leads: its `community_url`, else its introductions, else the site of a known post."""
    if community.community_url or community.intro_url:
        return community.community_url or community.intro_url
    for address in known_urls:
        parts = urlsplit(address or "")
        if parts.scheme in ("https", "http") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}/"
    return ""


def introductions(community: Community, known_urls: Iterable[str] = ()) -> str:
    """Where a newcomer introduces themselves: `intro_url`, else the community's home."""
    return community.intro_url or community_home(community, known_urls)


def first_name(given: str | None, full_name: str | None) -> str:
    """'Giulia' for Giulia Rossi: the first name a member gave, else the first word of their name."""
    if given and given.strip():
        return given.strip()
    words = (full_name or "").split()
    return words[0] if words else ""

"""What the console does: sign-in requests, the week so far, polls and settings, for one leader's session.

Polls are created through `cerchia.polls.create_poll` (the API's own service, with its rules) and
settings change through `cerchia.communities.configure_community` (the CLI's), so the console can
never accept what those refuse.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.errors import InvalidInput, NotFound

SIGN_IN_EMAILS_PER_HOUR = 5
OLD_SECRET_GRACE = timedelta(hours=24)
NEWCOMER_WINDOW = timedelta(days=14)
SETTINGS_FIELDS = (
    "name", "purpose", "community_url", "intro_url", "timezone", "locale", "unanswered_after_hours",
    "quiet_start_hour", "quiet_end_hour", "digest_day", "digest_hour",
)  # fmt: skip
POLL_FIELDS = ("question", "options", "kind", "send_at", "close_at", "anonymous")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


# ---------------------------------------------------------------------- sign-in


def request_sign_in(address: str, now: datetime, base_url: str) -> int:
    """Email one sign-in link per community this address leads, within the hourly limit. Returns emails sent.

    The caller answers the same page whatever this returns: nobody learns whether an address leads.
    Communities are found from the registry partition and each one's leader rows (Queries and
    GetItems, never a Scan): a few reads per community, fine for the hundreds a deployment holds.
    """
    from cerchia.store import console as console_store
    from cerchia.store import get_store
    from cerchia.store.suppression import address_hash

    wanted = address.strip().casefold()
    if "@" not in wanted or len(wanted) > 320:
        return 0
    store = get_store()
    hashed = address_hash(wanted)
    sent = 0
    for community in store.list_communities():
        for leader in store.leaders(community):
            if leader.email.strip().casefold() != wanted:
                continue
            if not console_store.count_sign_in_email(
                store, hashed, now, SIGN_IN_EMAILS_PER_HOUR, now + timedelta(hours=2)
            ):
                return sent
            _send_sign_in(community, leader, now, base_url)
            sent += 1
    return sent


def _send_sign_in(community: Community, leader: Member, now: datetime, base_url: str) -> None:
    from cerchia.console.sessions import SIGN_IN_LINK_LIFETIME, issue_link
    from cerchia.mail.compose import Recipient, compose
    from cerchia.mail.sending import deliver_once
    from cerchia.store import get_store

    path = issue_link(community.community_id, leader.member_id, now)
    recipient = Recipient(email=leader.email, name=leader.name, locale=leader.locale, is_leader=True)
    deliver_once(
        get_store(),
        kind="sign-in",
        community_id=community.community_id,
        recipient_id=leader.member_id,
        period=path.rsplit(".", 1)[-1][:40],
        compose=lambda: compose(
            "sign-in",
            "console-sign-in",
            community,
            recipient,
            now,
            "console.email.subject",
            open_url=base_url.rstrip("/") + path,
            minutes=int(SIGN_IN_LINK_LIFETIME.total_seconds() // 60),
            preheader="",
        ),
        now=now,
        to_address=leader.email,
    )


# ---------------------------------------------------------------------- the leader behind a session


def leader_of(community_id: str, leader_id: str) -> tuple[Community, Member] | None:
    """The community and the leader, if the member still leads it (demoted or departed: None)."""
    from cerchia.console.sessions import is_leader
    from cerchia.store import get_store

    store = get_store()
    community = store.get_community(community_id)
    member = store.get_member(community_id, leader_id) if community else None
    if community is None or member is None or not is_leader(community, member):
        return None
    return community, member


def locale_for(community: Community, leader: Member) -> str:
    return rules.resolve_locale(leader.locale, community.locale)


# ---------------------------------------------------------------------- the overview


@dataclass(frozen=True)
class Overview:
    figures: list[tuple[str, str]]
    waiting: list[dict[str, Any]]
    newcomers: list[dict[str, str]]
    polls: list[dict[str, Any]]


def overview(community: Community, leader: Member, now: datetime) -> Overview:
    """The week so far (the health report's figures to date), waiting posts, silent newcomers, polls."""
    from cerchia.digests import words as digests
    from cerchia.domain import health as d
    from cerchia.i18n import translator
    from cerchia.nudges import how_long
    from cerchia.store import console as console_store
    from cerchia.store import digests as digest_store
    from cerchia.store import get_store
    from cerchia.store import nudges as nudge_store
    from cerchia.store.polls import polls_closing

    store = get_store()
    cid = community.community_id
    locale = locale_for(community, leader)
    t = translator(locale)
    words = digests.Words(t, community.timezone)
    week = rules.week_of(now, community.timezone)
    members = list(store.members(cid))
    health = d.week_health(week, digest_store.week_activities(store, cid, [week])[week], members, community, now)
    figures = [
        (t("digests.leader.answered", hours=community.unanswered_after_hours),
         t("digests.leader.answered_value", percent=words.percent(health.answered_share),
           answered=health.answered_in_time, decided=health.decided)
         if health.decided else t("digests.leader.answered_none")),
        (t("digests.leader.median"), words.duration(health.median_first_reply_seconds)),
        (t("digests.leader.active"),
         t("digests.leader.active_value", active=health.active, members=health.members,
           percent=words.percent(health.active_share))),
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
            "waited": how_long(_instant(post.get("created_at")) or now, now, locale),
            "claimed": post.get("nudge_stage") == "claimed",
            "claimed_by_me": post.get("settled_by") == leader.member_id,
        }
        for post in console_store.waiting_posts(store, cid)
    ]
    newcomers = [
        {"name": member.name or t("nudges.someone"), "joined": how_long(started, now, locale)}
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


def settle_post(community: Community, leader: Member, post_id: str, action: str, now: datetime) -> bool:
    """'I'll answer it' or 'No reply needed', as from the nudge email's links."""
    from cerchia.domain.nudges import SETTLED_BY
    from cerchia.store import get_store
    from cerchia.store import nudges as nudge_store

    if action not in SETTLED_BY:
        return False
    return nudge_store.settle_post(
        get_store(), community.community_id, post_id, SETTLED_BY[action], leader.member_id, now
    )


# ---------------------------------------------------------------------- polls


@dataclass
class FormProblems:
    """A form that was refused: what was typed (kept) and, per field, the catalogue key of its error."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def create_poll_from_form(community: Community, form: dict[str, str], now: datetime) -> str | FormProblems:
    """The new poll's id, or what to show beside each wrong field."""
    from pydantic import ValidationError

    from cerchia.domain.polls import NewPoll
    from cerchia.polls import create_poll

    values = {name: form.get(name, "") for name in POLL_FIELDS}
    errors: dict[str, str] = {}
    zone = ZoneInfo(community.timezone)
    instants: dict[str, datetime | None] = {}
    for name in ("send_at", "close_at"):
        text = values[name].strip()
        if not text:
            instants[name] = None
            continue
        try:
            instants[name] = datetime.strptime(text, LOCAL_FORMAT).replace(tzinfo=zone)
        except ValueError:
            errors[name] = f"console.poll.error.{name}"
    if instants.get("close_at") is None and "close_at" not in errors:
        errors["close_at"] = "console.poll.error.close_at"
    options = [line.strip() for line in values["options"].splitlines() if line.strip()]
    request = {
        "question": values["question"],
        "options": options,
        "kind": values["kind"] or "single",
        "send_at": instants.get("send_at"),
        "close_at": instants.get("close_at") or now,
        "anonymous": values["anonymous"] == "yes",
    }
    try:
        new_poll = NewPoll.model_validate(request)
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "question"
            errors.setdefault(name if name in POLL_FIELDS else "question", f"console.poll.error.{name}")
        return FormProblems(values, errors)
    if errors:
        return FormProblems(values, errors)
    try:
        return create_poll(community, new_poll, now).poll_id
    except InvalidInput as error:
        for name in error.fields:
            errors[name if name in POLL_FIELDS else "question"] = f"console.poll.error.{name}"
        return FormProblems(values, errors)


def default_poll_form(community: Community, now: datetime) -> dict[str, str]:
    zone = ZoneInfo(community.timezone)
    start = (now + timedelta(hours=1)).astimezone(zone).replace(minute=0, second=0, microsecond=0)
    return {
        "question": "",
        "options": "",
        "kind": "single",
        "send_at": start.strftime(LOCAL_FORMAT),
        "close_at": (start + timedelta(days=3)).strftime(LOCAL_FORMAT),
        "anonymous": "",
    }


def get_poll(community: Community, poll_id: str) -> Any:
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll as read

    poll = read(get_store(), community.community_id, poll_id)
    if poll is None:
        raise NotFound(f"There is no poll {poll_id} in this community.")
    return poll


def cancel_poll(community: Community, poll_id: str) -> bool:
    from cerchia.store import console as console_store
    from cerchia.store import get_store

    poll = get_poll(community, poll_id)
    return poll.status == "scheduled" and console_store.cancel_poll(get_store(), poll)


def close_poll_now(community: Community, poll_id: str, now: datetime) -> bool:
    """Close an open poll now: its close moves to now and its job runs at once (close, then results)."""
    from cerchia.polls import JOB_KIND
    from cerchia.store import console as console_store
    from cerchia.store import get_store

    store = get_store()
    poll = get_poll(community, poll_id)
    if poll.status != "open" or not console_store.close_poll_now(store, poll, now):
        return False
    store.schedule_job(JOB_KIND, poll.poll_id, community.community_id, now)
    return True


def poll_status(poll: Any, now: datetime) -> str:
    """What leaders see: a poll past its close is closed, whatever its job has done yet."""
    from cerchia.domain.polls import status_at

    return str(status_at(poll, now))


# ---------------------------------------------------------------------- settings


def settings_form(community: Community) -> dict[str, str]:
    return {name: str(getattr(community, name)) for name in SETTINGS_FIELDS}


def save_settings(community: Community, form: dict[str, str]) -> Community | FormProblems:
    """Change what differs, validated as `cerchia community configure` does."""
    from cerchia.communities import configure_community

    values = {name: form.get(name, "").strip() for name in SETTINGS_FIELDS}
    current = settings_form(community)
    changes = {name: value for name, value in values.items() if value != current[name]}
    if not changes:
        return community
    try:
        return configure_community(community.community_id, changes)
    except InvalidInput as error:
        errors = {name: f"console.settings.error.{name}" for name in error.fields if name in SETTINGS_FIELDS}
        return FormProblems(values, errors or {"name": "console.settings.error.name"})


def rotate_webhook_secret(community: Community, now: datetime) -> str | None:
    """A new webhook secret (returned once, to show); the old one verifies webhooks for 24 more hours."""
    from cerchia.store import console as console_store
    from cerchia.store import get_store

    new_secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    if not console_store.rotate_webhook_secret(
        get_store(), community.community_id, new_secret, community.webhook_secret, now + OLD_SECRET_GRACE
    ):
        return None
    return new_secret


# ---------------------------------------------------------------------- time in the community's zone


def _instant(raw: Any) -> datetime | None:
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None


def local_time(instant: datetime, timezone: str) -> str:
    """An instant as the community's clock shows it (the console's times are all local)."""
    return instant.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")

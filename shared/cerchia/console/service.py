"""What the console does for one leader's session: sign-in requests, settling posts and the community's settings.

Settings change through `cerchia.communities.service.configure_community` (the CLI's), so the console
can never accept what the CLI refuses. The week so far is in `overview`, polls in `polls`.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cerchia.communities.service import configure_community
from cerchia.console.sessions import SIGN_IN_LINK_LIFETIME, issue_link
from cerchia.domain import rules
from cerchia.domain.access import is_leader
from cerchia.domain.models import Community, Member
from cerchia.domain.nudges import SETTLED_BY
from cerchia.errors import InvalidInput
from cerchia.mail.compose import Recipient, compose
from cerchia.mail.sending import deliver_once
from cerchia.store import console as console_store
from cerchia.store import get_store
from cerchia.store import nudges as nudge_store
from cerchia.store.suppression import address_hash

SIGN_IN_EMAILS_PER_HOUR = 5
OLD_SECRET_GRACE = timedelta(hours=24)
SETTINGS_FIELDS = (
    "name", "purpose", "community_url", "intro_url", "timezone", "locale", "unanswered_after_hours",
    "quiet_start_hour", "quiet_end_hour", "digest_day", "digest_hour",
)  # fmt: skip


# ---------------------------------------------------------------------- sign-in


def request_sign_in(address: str, now: datetime, base_url: str) -> int:
    """Email one sign-in link per community this address leads, within the hourly limit. Returns emails sent.

    The caller answers the same page whatever this returns: nobody learns whether an address leads.
    Communities are found from the registry partition and each one's leader rows (Queries and
    GetItems, never a Scan): a few reads per community, fine for the hundreds a deployment holds.
    """
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
    store = get_store()
    community = store.get_community(community_id)
    member = store.get_member(community_id, leader_id) if community else None
    if community is None or member is None or not is_leader(community, member):
        return None
    return community, member


def locale_for(community: Community, leader: Member) -> str:
    return rules.resolve_locale(leader.locale, community.locale)


def settle_post(community: Community, leader: Member, post_id: str, action: str, now: datetime) -> bool:
    """'I'll answer it' or 'No reply needed', as from the nudge email's links."""
    if action not in SETTLED_BY:
        return False
    return nudge_store.settle_post(
        get_store(), community.community_id, post_id, SETTLED_BY[action], leader.member_id, now
    )


# ---------------------------------------------------------------------- forms


@dataclass
class FormProblems:
    """A form that was refused: what was typed (kept) and, per field, the catalogue key of its error."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def local_time(instant: datetime, timezone: str) -> str:
    """An instant as the community's clock shows it (the console's times are all local)."""
    return instant.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------- settings


def settings_form(community: Community) -> dict[str, str]:
    return {name: str(getattr(community, name)) for name in SETTINGS_FIELDS}


def save_settings(community: Community, form: dict[str, str]) -> Community | FormProblems:
    """Change what differs, validated as `cerchia community configure` does."""
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
    new_secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    if not console_store.rotate_webhook_secret(
        get_store(), community.community_id, new_secret, community.webhook_secret, now + OLD_SECRET_GRACE
    ):
        return None
    return new_secret

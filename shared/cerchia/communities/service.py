"""Creating a community (its API key shown once, kept hashed) and changing its settings afterwards.

Both are reached from the CLI (`cerchia community create|configure`) and the console's settings page;
the digest schedule follows the community (first round at creation, moved when its day, hour or zone change).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime

from pydantic import EmailStr, TypeAdapter, ValidationError

from cerchia import clock
from cerchia.digests.schedule import reschedule_round, schedule_first_digest
from cerchia.domain.access import hash_api_key
from cerchia.domain.events import TimeZone, field_errors, language
from cerchia.domain.models import Community
from cerchia.domain.text import clean
from cerchia.errors import InvalidInput, NotFound
from cerchia.i18n import LOCALES
from cerchia.store import get_store


@dataclass(frozen=True)
class CreatedCommunity:
    """What the operator hands to the platform: shown once, never stored in clear (api key)."""

    community_id: str
    webhook_secret: str
    api_key: str


def create_community(
    name: str,
    timezone: str,
    locale: str,
    leader_email: str,
    leader_name: str | None = None,
    purpose: str | None = None,
    now: datetime | None = None,
) -> CreatedCommunity:
    """Create the community and its founder leader row; schedule its first digest round."""
    name, leader_name, purpose = clean(name), clean(leader_name or ""), clean(purpose or "")
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = "must not be empty"
    try:
        TypeAdapter(TimeZone).validate_python(timezone)
    except ValidationError:
        problems["timezone"] = "must be an IANA time zone such as 'Europe/Rome'"
    if language(locale) not in LOCALES:
        problems["locale"] = f"must be one of {', '.join(LOCALES)}"
    if "@" not in leader_email:
        problems["leader_email"] = "must be an email address"
    if problems:
        raise InvalidInput("The community cannot be created.", problems)
    community_id = "c_" + secrets.token_hex(6)
    webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    api_key = "ck_" + secrets.token_urlsafe(32)
    community = Community(
        community_id=community_id,
        name=name.strip(),
        purpose=(purpose or "").strip(),
        timezone=timezone,
        locale=language(locale),
        leader_name=(leader_name or "").strip(),
        leader_email=leader_email.strip(),
        webhook_secret=webhook_secret,
        api_key_hash=hash_api_key(api_key),
        created_at=now or clock.now(),
    )
    get_store().create_community(community)
    schedule_first_digest(community)
    return CreatedCommunity(community_id=community_id, webhook_secret=webhook_secret, api_key=api_key)


# Settings a leader or operator may change after creation (`cerchia community configure`).
CONFIGURABLE = (
    "name", "purpose", "timezone", "locale", "leader_name", "unanswered_after_hours", "include_leader_posts",
    "newcomer_after_days", "quiet_start_hour", "quiet_end_hour", "digest_day", "digest_hour", "reply_to",
    "community_url", "intro_url",
)  # fmt: skip
LINK_SETTINGS = ("community_url", "intro_url")
# Settings that are names people read: invisible characters are removed before they are stored.
NAMES = ("name", "purpose", "leader_name")


def configure_community(community_id: str, changes: dict[str, str]) -> Community:
    """Change some settings, validated like the model itself; the digest schedule follows its settings."""
    unknown = sorted(set(changes) - set(CONFIGURABLE))
    if unknown:
        raise InvalidInput(
            "These settings do not exist.", {name: f"must be one of {', '.join(CONFIGURABLE)}" for name in unknown}
        )
    store = get_store()
    before = store.get_community(community_id)
    if before is None:
        raise NotFound(f"No community {community_id}.")
    changes = {key: clean(value) if key in NAMES else value for key, value in changes.items()}
    if changes.get("reply_to"):
        try:
            changes["reply_to"] = TypeAdapter(EmailStr).validate_python(changes["reply_to"].strip())
        except ValidationError:
            raise InvalidInput(
                "These settings are not valid.",
                {
                    "reply_to": "must be an email address such as leaders@example.org (or empty: replies go to the leader)"
                },
            ) from None
    if "timezone" in changes:
        try:
            TypeAdapter(TimeZone).validate_python(changes["timezone"])
        except ValidationError:
            raise InvalidInput("These settings are not valid.", {"timezone": "must be an IANA time zone"}) from None
    wrong_links = {
        name: "must be a web address starting with https:// (e.g. https://forum.example/t/introductions), or empty"
        for name in LINK_SETTINGS
        if changes.get(name) and not str(changes[name]).startswith(("https://", "http://"))
    }
    if wrong_links:
        raise InvalidInput("These settings are not valid.", wrong_links)
    try:
        after = Community.model_validate({**before.model_dump(), **changes})
    except ValidationError as error:
        raise InvalidInput("These settings are not valid.", field_errors(error)) from None
    store.update_community_settings(community_id, {name: getattr(after, name) for name in changes})
    if {"digest_day", "digest_hour", "timezone"} & changes.keys():
        reschedule_round(before, after)
    return after

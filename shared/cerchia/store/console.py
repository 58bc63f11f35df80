"""DynamoDB access for the leaders' console: single-use links, sessions, the sign-in rate, actions on polls.

A used link and a session are items of their own (not only signed tokens) so that a link works once, a
sign-out ends a session for good and a leader who is demoted is refused at the next request. Every
one of them carries `expires_at` (epoch seconds) for the table's TTL; reads check the time too,
since TTL deletes late.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from cerchia.domain.polls import Poll
from cerchia.errors import AlreadyExists, ConditionFailed
from cerchia.store import keys
from cerchia.store.expressions import Update
from cerchia.store.nudges import newest_posts, still_waiting
from cerchia.store.table import Store


def _held(write: Callable[[], Any]) -> bool:
    """Run a conditional write; False when its condition did not hold."""
    try:
        write()
    except (ConditionFailed, AlreadyExists):
        return False
    return True


# ---------------------------------------------------------------------- links


def use_link(
    store: Store, link_id: str, community_id: str, leader_id: str, now: datetime, expires_at: datetime
) -> bool:
    """Record that a link was used, once: False if it was used already.

    Issuing a link writes nothing (emails to leaders carry one each, composed anywhere); its
    signature proves who it is for and until when, and this marker, kept until the link would
    have expired anyway, makes it single use.
    """
    item = {
        **keys.console_link(link_id),
        "entity": "console-link",
        "community_id": community_id,
        "leader_id": leader_id,
        "used_at": keys.iso(now),
        "expires_at": int(expires_at.timestamp()) + 3600,
    }
    return _held(lambda: store.table.put_once(item))


def link_unused(store: Store, link_id: str) -> bool:
    return store.get(keys.console_link(link_id)) is None


# ---------------------------------------------------------------------- sessions


def put_session(
    store: Store, session_id: str, community_id: str, leader_id: str, csrf: str, now: datetime, expires_at: datetime
) -> None:
    item = {
        **keys.console_session(session_id),
        "entity": "console-session",
        "community_id": community_id,
        "leader_id": leader_id,
        "csrf": csrf,
        "created_at": keys.iso(now),
        "expires_at": int(expires_at.timestamp()),
    }
    store.table.put(item)


def get_session(store: Store, session_id: str) -> dict[str, Any] | None:
    return store.get(keys.console_session(session_id))


def delete_session(store: Store, session_id: str) -> None:
    store.table.delete(keys.console_session(session_id))


def set_flash(store: Store, session_id: str, flash: dict[str, Any]) -> None:
    """What the next page shows once (a form's errors with what was typed, a secret shown once)."""
    update = Update(keys.console_session(session_id), sets={"flash": flash}, condition="attribute_exists({pk})")
    _held(lambda: store.table.update(update))


def take_flash(store: Store, session_id: str) -> dict[str, Any] | None:
    """The flash, removed in the same write (a reload does not show it again)."""
    update = Update(keys.console_session(session_id), removes=["flash"], condition="attribute_exists({flash})")
    try:
        old = store.table.update(update, returns="UPDATED_OLD")
    except ConditionFailed:
        return None
    flash = old.get("flash")
    return flash if isinstance(flash, dict) else None


# ---------------------------------------------------------------------- sign-in rate


def count_sign_in_email(store: Store, address_hash: str, now: datetime, limit: int, expires_at: datetime) -> bool:
    """Count one more sign-in email to an address this hour; False (nothing counted) once `limit` is reached."""
    update = Update(
        keys.sign_in_count(address_hash, now),
        sets={"entity": "sign-in-count", "expires_at": int(expires_at.timestamp())},
        adds={"emails": 1},
        condition="attribute_not_exists({emails}) OR {emails} < :limit",
        condition_values={":limit": limit},
    )
    return _held(lambda: store.table.update(update))


def sign_in_emails(store: Store, address_hash: str, now: datetime) -> int:
    item = store.get(keys.sign_in_count(address_hash, now)) or {}
    return int(item.get("emails") or 0)


# ---------------------------------------------------------------------- posts and polls


def waiting_posts(store: Store, community_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """The community's newest posts still waiting for an answer (the timeline index, newest first)."""
    found = []
    for item in newest_posts(store, community_id, 100):
        if still_waiting(item):
            found.append(item)
        if len(found) == limit:
            break
    return found


def cancel_poll(store: Store, poll: Poll) -> bool:
    """Delete a poll that has not been sent; False if it was sent meanwhile (its job then finds nothing)."""
    key = keys.poll(poll.community_id, poll.poll_id)
    return _held(lambda: store.table.delete(key, "{status} = :scheduled", {":scheduled": "scheduled"}))


def close_poll_now(store: Store, poll: Poll, now: datetime) -> bool:
    """Bring an open poll's close to now (its job closes it and reports); False if it is not open before now."""
    update = Update(
        keys.poll(poll.community_id, poll.poll_id),
        sets={"close_at": keys.iso(now), "timeline_at": keys.poll_timeline_at(now, poll.poll_id)},
        condition="{status} = :open AND {close_at} > :now",
        condition_values={":open": "open", ":now": keys.iso(now)},
    )
    return _held(lambda: store.table.update(update))


def rotate_webhook_secret(
    store: Store, community_id: str, new_secret: str, old_secret: str, old_valid_until: datetime
) -> bool:
    """Replace the webhook secret, keeping the old one valid until `old_valid_until`; guarded on the old one."""
    update = Update(
        keys.community(community_id),
        sets={
            "webhook_secret": new_secret,
            "previous_webhook_secret": old_secret,
            "previous_webhook_secret_until": keys.iso(old_valid_until),
        },
        condition="{webhook_secret} = :old",
        condition_values={":old": old_secret},
    )
    return _held(lambda: store.table.update(update))

"""DynamoDB access for the leaders' console: single-use links, sessions, the sign-in rate, actions on polls.

A used link and a session are items of their own (not only signed tokens) so that a link works once, a
sign-out ends a session for good and a leader who is demoted is refused at the next request. Every
one of them carries `expires_at` (epoch seconds) for the table's TTL; reads check the time too,
since TTL deletes late.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cerchia.store import keys
from cerchia.store.codec import from_item, to_item, to_value
from cerchia.store.nudges import newest_posts, still_waiting

if TYPE_CHECKING:
    from cerchia.domain.polls import Poll
    from cerchia.store.table import Store


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _conditional(store: Store, operation: str, **request: Any) -> bool:
    """Run a conditional write; False when its condition did not hold."""
    try:
        store.call(operation, TableName=store.table_name, **request)
    except Exception as error:
        if _code(error) == "ConditionalCheckFailedException":
            return False
        raise
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
    return _conditional(store, "put_item", Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")


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
    store.call("put_item", TableName=store.table_name, Item=to_item(item))


def get_session(store: Store, session_id: str) -> dict[str, Any] | None:
    return store.get(keys.console_session(session_id))


def delete_session(store: Store, session_id: str) -> None:
    store.call("delete_item", TableName=store.table_name, Key=to_item(keys.console_session(session_id)))


def set_flash(store: Store, session_id: str, flash: dict[str, Any]) -> None:
    """What the next page shows once (a form's errors with what was typed, a secret shown once)."""
    _conditional(
        store,
        "update_item",
        Key=to_item(keys.console_session(session_id)),
        UpdateExpression="SET flash = :flash",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":flash": to_value(flash)},
    )


def take_flash(store: Store, session_id: str) -> dict[str, Any] | None:
    """The flash, removed in the same write (a reload does not show it again)."""
    try:
        response = store.call(
            "update_item",
            TableName=store.table_name,
            Key=to_item(keys.console_session(session_id)),
            UpdateExpression="REMOVE flash",
            ConditionExpression="attribute_exists(flash)",
            ReturnValues="UPDATED_OLD",
        )
    except Exception as error:
        if _code(error) == "ConditionalCheckFailedException":
            return None
        raise
    old = from_item(response.get("Attributes") or {})
    flash = old.get("flash")
    return flash if isinstance(flash, dict) else None


# ---------------------------------------------------------------------- sign-in rate


def count_sign_in_email(store: Store, address_hash: str, now: datetime, limit: int, expires_at: datetime) -> bool:
    """Count one more sign-in email to an address this hour; False (nothing counted) once `limit` is reached."""
    return _conditional(
        store,
        "update_item",
        Key=to_item(keys.sign_in_count(address_hash, now)),
        UpdateExpression="SET entity = :entity, expires_at = :expires ADD emails :one",
        ConditionExpression="attribute_not_exists(emails) OR emails < :limit",
        ExpressionAttributeValues={
            ":entity": to_value("sign-in-count"),
            ":expires": to_value(int(expires_at.timestamp())),
            ":one": to_value(1),
            ":limit": to_value(limit),
        },
    )


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
    return _conditional(
        store,
        "delete_item",
        Key=to_item(keys.poll(poll.community_id, poll.poll_id)),
        ConditionExpression="#status = :scheduled",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":scheduled": to_value("scheduled")},
    )


def close_poll_now(store: Store, poll: Poll, now: datetime) -> bool:
    """Bring an open poll's close to now (its job closes it and reports); False if it is not open before now."""
    return _conditional(
        store,
        "update_item",
        Key=to_item(keys.poll(poll.community_id, poll.poll_id)),
        UpdateExpression="SET close_at = :now, timeline_at = :at",
        ConditionExpression="#status = :open AND close_at > :now",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":now": to_value(keys.iso(now)),
            ":at": to_value(keys.poll_timeline_at(now, poll.poll_id)),
            ":open": to_value("open"),
        },
    )


def rotate_webhook_secret(
    store: Store, community_id: str, new_secret: str, old_secret: str, old_valid_until: datetime
) -> bool:
    """Replace the webhook secret, keeping the old one valid until `old_valid_until`; guarded on the old one."""
    return _conditional(
        store,
        "update_item",
        Key=to_item(keys.community(community_id)),
        UpdateExpression="SET webhook_secret = :new, previous_webhook_secret = :old, "
        "previous_webhook_secret_until = :until",
        ConditionExpression="webhook_secret = :old",
        ExpressionAttributeValues={
            ":new": to_value(new_secret),
            ":old": to_value(old_secret),
            ":until": to_value(keys.iso(old_valid_until)),
        },
    )

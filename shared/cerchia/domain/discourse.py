"""Discourse's webhooks, mapped onto Cerchia's platform events (pure: no AWS, no clock).

Discourse posts one JSON object whose root key is the payload's type (`{"user": …}`, `{"post": …}`,
`{"topic": …}`, `{"like": {"post": …, "user": …}}`, `{"ping": "OK"}`) and names the event in the
`X-Discourse-Event` header. It gives a retried delivery a new `X-Discourse-Event-Id`, so each
mapped event carries a natural key built from its content instead: (event, user id), (event, post
id), (like: post id, user id); a user update adds a digest of the fields Cerchia keeps, so a
retry is a duplicate while a real second change is applied.

Decisions:
- A Discourse topic is a Cerchia post (its id is the topic id); posts after the first are replies.
- Likes count on topics: a like of the first post is a reaction to the post; likes of replies are
  ignored, since Cerchia credits reactions to the post's author.
- Private messages, whispers, small and moderator actions, the system user (ids <= 0) and staged
  users are ignored; so is every event not listed in `EVENTS`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from cerchia.domain.events import DATA_MODELS, PlatformEvent, field_errors
from cerchia.errors import InvalidInput

USER_JOIN_EVENTS = ("user_created", "user_approved", "user_confirmed_email")
# What a leader ticks in Discourse's webhook form (Admin > API > Webhooks), and the events Cerchia reads.
EVENT_GROUPS = {
    "Users": ("user_created", "user_approved", "user_confirmed_email", "user_updated", "user_destroyed"),
    "Topics": ("topic_destroyed",),
    "Posts": ("post_created", "post_destroyed"),
    "Likes": ("post_liked",),
}
EVENTS = frozenset(name for names in EVENT_GROUPS.values() for name in names)
REGULAR_POST = 1  # Discourse's post types: 1 regular, 2 moderator action, 3 small action, 4 whisper
PRIVATE_MESSAGE = "private_message"
ANONYMIZED_DOMAIN = "@anonymized.invalid"  # where Discourse points the address of an anonymized user
# Where each of Cerchia's data fields comes from, to name the Discourse field in a 400.
SOURCE_FIELDS = {
    "member_id": "id",
    "email": "email",
    "name": "name",
    "locale": "locale",
    "post_id": "topic_id",
    "author_id": "user_id",
    "title": "topic_title",
    "url": "topic_slug",
    "body": "raw",
    "created_at": "created_at",
    "reply_id": "id",
}


@dataclass(frozen=True)
class Mapped:
    """A Discourse delivery as Cerchia reads it: an event and its natural key, or why it is ignored."""

    event: PlatformEvent | None
    natural_key: str = ""
    ignored_because: str = ""


def _ignored(reason: str) -> Mapped:
    return Mapped(None, ignored_because=reason)


def map_delivery(event_name: str, body: Any, instance_url: str, received_at: datetime) -> Mapped:
    """Map one decoded delivery. Raises InvalidInput naming the Discourse fields that are wrong."""
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object, as Discourse sends it.", {"body": "not an object"})
    if "ping" in body or event_name == "ping":
        return _ignored("ping")
    if event_name not in EVENTS:
        return _ignored(f"Cerchia does not use Discourse's {event_name or 'unnamed'} event")
    if event_name.startswith("user_"):
        return _user_event(event_name, _root(body, "user"), received_at)
    if event_name == "post_liked":
        like = _root(body, "like")
        return _like(_root(like, "post", "like."), _root(like, "user", "like."), received_at)
    if event_name == "topic_destroyed":
        return _topic_destroyed(_root(body, "topic"), received_at)
    return _post_event(event_name, _root(body, "post"), instance_url, received_at)


def _root(body: dict[str, Any], key: str, prefix: str = "") -> dict[str, Any]:
    value = body.get(key)
    if not isinstance(value, dict):
        raise InvalidInput(
            f"This delivery has no `{prefix}{key}` object; send it from a Discourse webhook unchanged.",
            {f"{prefix}{key}": "missing"},
        )
    return value


def _event(type_: str, data: dict[str, Any], at: datetime, prefix: str) -> PlatformEvent:
    model = DATA_MODELS[type_]
    try:
        validated = model.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as error:
        fields = {
            prefix + SOURCE_FIELDS.get(name, name): problem for name, problem in field_errors(error).items() if name
        }
        raise InvalidInput(f"This Discourse delivery cannot be read as {type_}.", fields) from None
    return PlatformEvent(type=type_, occurred_at=at, data=validated)  # type: ignore[arg-type]


def _id(value: Any) -> str | None:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _is_system(user_id: Any) -> bool:
    return not isinstance(user_id, int) or user_id <= 0


# ---------------------------------------------------------------------- users


def _user_event(event_name: str, user: dict[str, Any], at: datetime) -> Mapped:
    member_id = _id(user.get("id"))
    if member_id is None:
        raise InvalidInput("The Discourse user has no numeric id.", {"user.id": "must be an integer"})
    if _is_system(user["id"]):
        return _ignored("the system user")
    if user.get("staged"):
        return _ignored("a staged user (created by email, not a member yet)")
    key = f"{event_name}:{member_id}"
    email = user.get("email")
    if event_name == "user_destroyed" or (isinstance(email, str) and email.endswith(ANONYMIZED_DOMAIN)):
        return Mapped(_event("member.left", {"member_id": member_id}, at, "user."), key)
    if event_name in USER_JOIN_EVENTS and not email:
        raise InvalidInput(
            "The user has no email: Discourse includes it only in webhooks created by an admin. "
            "Ask an admin to create the webhook, then resend.",
            {"user.email": "missing"},
        )
    profile = {
        "member_id": member_id,
        "email": email,
        "name": (user.get("name") or "").strip() or user.get("username"),
        "locale": user.get("locale") or None,
        "role": "leader" if user.get("admin") or user.get("moderator") else "member",
    }
    if event_name in USER_JOIN_EVENTS and user.get("active") is not False:
        return Mapped(_event("member.joined", profile, at, "user."), key)
    # An update, or a user who has not confirmed their email yet: kept, not welcomed.
    digest = hashlib.sha256(json.dumps(profile, sort_keys=True).encode()).hexdigest()[:16]
    return Mapped(_event("member.updated", profile, at, "user."), f"{key}:{digest}")


# ---------------------------------------------------------------------- posts, topics, likes


def _why_not(post: dict[str, Any]) -> str:
    """Why a post is not community conversation, or '' when it is."""
    if post.get("topic_archetype") == PRIVATE_MESSAGE:
        return "a private message"
    if post.get("post_type", REGULAR_POST) != REGULAR_POST:
        return "a whisper, small action or moderator action"
    if _is_system(post.get("user_id")):
        return "the system user"
    return ""


def _post_event(event_name: str, post: dict[str, Any], instance_url: str, at: datetime) -> Mapped:
    post_id, topic_id = _id(post.get("id")), _id(post.get("topic_id"))
    if post_id is None or topic_id is None:
        raise InvalidInput(
            "The Discourse post has no numeric id and topic_id.",
            {name: "must be an integer" for name in ("post.id", "post.topic_id") if _id(post.get(name[5:])) is None},
        )
    reason = _why_not(post)
    if reason:
        return _ignored(reason)
    first = post.get("post_number") == 1
    key = f"{event_name}:{post_id}"
    created_at = post.get("created_at")
    if event_name == "post_destroyed":
        if not first:
            return _ignored("a deleted reply (its topic stays answered)")
        return Mapped(_event("post.deleted", {"post_id": topic_id}, at, "post."), key)
    author = str(post["user_id"])
    if first:
        data = {
            "post_id": topic_id,
            "author_id": author,
            "title": post.get("topic_title"),
            "url": f"{instance_url.rstrip('/')}/t/{post.get('topic_slug') or 'topic'}/{topic_id}",
            "body": post.get("raw"),
            "created_at": created_at,
        }
        return Mapped(_event("post.created", data, at, "post."), key)
    data = {"reply_id": post_id, "post_id": topic_id, "author_id": author, "created_at": created_at}
    return Mapped(_event("reply.created", data, at, "post."), key)


def _topic_destroyed(topic: dict[str, Any], at: datetime) -> Mapped:
    topic_id = _id(topic.get("id"))
    if topic_id is None:
        raise InvalidInput("The Discourse topic has no numeric id.", {"topic.id": "must be an integer"})
    if topic.get("archetype") == PRIVATE_MESSAGE:
        return _ignored("a private message")
    return Mapped(_event("post.deleted", {"post_id": topic_id}, at, "topic."), f"topic_destroyed:{topic_id}")


def _like(post: dict[str, Any], user: dict[str, Any], at: datetime) -> Mapped:
    post_id, topic_id, member_id = _id(post.get("id")), _id(post.get("topic_id")), _id(user.get("id"))
    if post_id is None or topic_id is None or member_id is None:
        raise InvalidInput(
            "The Discourse like needs the numeric ids of its post, topic and user.",
            {"like.post.id": "must be an integer", "like.user.id": "must be an integer"},
        )
    reason = _why_not(post) or ("the system user" if _is_system(user["id"]) else "")
    if reason:
        return _ignored(reason)
    if post.get("post_number") != 1:
        return _ignored("a like of a reply (Cerchia counts likes of topics)")
    data = {"post_id": topic_id, "member_id": member_id, "reaction": "like"}
    return Mapped(_event("reaction.added", data, at, "like."), f"post_liked:{post_id}:{member_id}")

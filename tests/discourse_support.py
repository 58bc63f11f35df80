"""Discourse deliveries as Discourse sends them: the payloads in tests/events/discourse and its headers."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

from support import EVENTS, http_event

INSTANCE = "https://forum.lievito.example"
# Discourse's X-Discourse-Event-Type is the payload's root key
EVENT_TYPES = {"user": "user", "post": "post", "topic": "topic", "like": "like", "ping": "ping"}


def payload(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / "discourse" / f"{name}.json").read_text()))


def discourse_headers(secret: str, event_name: str, raw: bytes, event_id: int | None = None) -> dict[str, str]:
    root = next(iter(json.loads(raw)), "ping") if raw.startswith(b"{") else "ping"
    return {
        "Content-Type": "application/json",
        "User-Agent": "Discourse/3.4.0",
        "X-Discourse-Instance": INSTANCE,
        "X-Discourse-Event-Id": str(event_id or uuid.uuid4().int % 100_000),
        "X-Discourse-Event-Type": EVENT_TYPES.get(root, root),
        "X-Discourse-Event": event_name,
        "X-Discourse-Event-Signature": "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest(),
    }


def discourse_request(
    community_id: str,
    secret: str,
    event_name: str,
    body: dict[str, Any] | bytes,
    event_id: int | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    path = f"/v1/communities/{community_id}/discourse"
    signed = discourse_headers(secret, event_name, raw, event_id) | (headers or {})
    return http_event(
        "POST", path, "/v1/communities/{community_id}/discourse", {"community_id": community_id}, raw, signed
    )

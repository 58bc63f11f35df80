"""Receiving the platform's events: size, signature, shape, then one atomic write."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cerchia.errors import InvalidInput, PayloadTooLarge, Unauthorized

MAX_BODY_BYTES = 256 * 1024
Outcome = Literal["stored", "duplicate", "unchanged", "ignored"]


@dataclass(frozen=True)
class Ingested:
    outcome: Outcome
    event_type: str | None = None


def verify_signature(secret: str, body: bytes, headers: dict[str, str]) -> None:
    """Standard Webhooks verification (5-minute tolerance, on the wall clock: it is transport security)."""
    from standardwebhooks.webhooks import Webhook

    wanted = {name: headers.get(name, "") for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    if not all(wanted.values()):
        raise Unauthorized("Missing webhook signature headers.")
    try:
        Webhook(secret).verify(body, wanted, json_parse=False)
    except Exception:  # any failure to verify (bad base64, format, stale, mismatch) is the same 401
        raise Unauthorized("The webhook signature is not valid.") from None


def _peek(body: bytes) -> object:
    """The body's JSON before it is verified, only to read what the event needs with its community."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def ingest_webhook(
    community_id: str, headers: dict[str, str], body: bytes, now: datetime, budget_seconds: float | None = None
) -> Ingested:
    """Verify, validate and durably store one webhook. Raises PayloadTooLarge, Unauthorized, InvalidInput.

    The community (secret, settings) comes from this environment's cache (at most 60 s old); a signature
    that fails on the cached secret is checked once more against a fresh read, so a rotation is seen at
    once. `budget_seconds` bounds the retries after DynamoDB transaction conflicts.
    """
    from cerchia.domain.events import parse_event
    from cerchia.store import get_store

    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}.")
    headers = {name.lower(): value for name, value in headers.items()}
    store = get_store()
    community = store.cached_community(community_id, _peek(body))
    if community is None:
        raise Unauthorized("The webhook signature is not valid.")  # same answer as a bad signature: no enumeration
    try:
        verify_signature(community.webhook_secret, body, headers)
    except Unauthorized:
        store.forget_community(community_id)
        fresh = store.cached_community(community_id)
        if fresh is None or fresh.webhook_secret == community.webhook_secret:
            raise
        verify_signature(fresh.webhook_secret, body, headers)
        community = fresh
    try:
        decoded = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput("The body is not valid JSON.", {"body": str(error)}) from None
    event = parse_event(decoded, received_at=now)
    if event is None:
        return Ingested("ignored", decoded.get("type"))
    outcome = store.record_event(community, headers["webhook-id"], event, now, budget_seconds)
    return Ingested(outcome, event.type)

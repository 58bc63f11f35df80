"""The platform's signed webhooks (Standard Webhooks): size, signature, shape, then one atomic write."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook

from cerchia.domain.events import MemberErased, field_errors, parse_event
from cerchia.domain.models import Community
from cerchia.errors import InvalidInput, Unauthorized
from cerchia.ingest.delivery import Ingested, check_size, decode_json
from cerchia.observability import count
from cerchia.store import Store, get_store

# The webhook-id is part of a table key (at most 1 KiB): anything longer than this is not an id.
MAX_WEBHOOK_ID = 200


def verify_signature(secret: str, body: bytes, headers: dict[str, str]) -> None:
    """Standard Webhooks verification (5-minute tolerance, on the wall clock: it is transport security)."""
    wanted = {name: headers.get(name, "") for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    if not all(wanted.values()):
        raise Unauthorized("Missing webhook signature headers.")
    try:
        Webhook(secret).verify(body, wanted, json_parse=False)
    except Exception:  # any failure to verify (bad base64, format, stale, mismatch) is the same 401
        raise Unauthorized("The webhook signature is not valid.") from None


def ingest_webhook(
    community_id: str, headers: dict[str, str], body: bytes, now: datetime, budget_seconds: float | None = None
) -> Ingested:
    """Verify, validate and durably store one webhook. Raises PayloadTooLarge, Unauthorized, InvalidInput.

    The community (secret, settings) comes from this environment's cache (at most 60 s old); a signature
    that fails on the cached secret is checked once more against a fresh read, so a rotation is seen at
    once. `budget_seconds` bounds the retries after DynamoDB transaction conflicts.
    """
    check_size(body)
    headers = {name.lower(): value for name, value in headers.items()}
    store = get_store()
    community = store.cached_community(community_id, _peek(body))
    if community is None:
        raise Unauthorized("The webhook signature is not valid.")  # same answer as a bad signature: no enumeration
    try:
        verify_signature(community.webhook_secret, body, headers)
    except Unauthorized:
        community = _verify_after_rotation(store, community, body, headers, now)
    webhook_id = headers["webhook-id"]
    if len(webhook_id) > MAX_WEBHOOK_ID:
        raise InvalidInput(
            f"The webhook-id header is {len(webhook_id)} characters; send an id of at most {MAX_WEBHOOK_ID}.",
            {"webhook-id": f"longer than {MAX_WEBHOOK_ID} characters"},
        )
    decoded = decode_json(body)
    if isinstance(decoded, dict) and decoded.get("type") == "member.erased":
        return _erase(store, community, decoded)
    event = parse_event(decoded, received_at=now, arrived_at=_signed_at(headers))
    if event is None:
        return Ingested("ignored", decoded.get("type"))
    outcome = store.record_event(community, webhook_id, event, now, budget_seconds)
    if outcome == "stored":
        count("EventsIngested")  # the dashboard's first graph
    return Ingested(outcome, event.type)


def _signed_at(headers: dict[str, str]) -> datetime:
    """When the platform signed the webhook (already verified to be within the tolerance of the wall clock)."""
    return datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)


def _peek(body: bytes) -> object:
    """The body's JSON before it is verified, only to read what the event needs with its community."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _verify_after_rotation(
    store: Store, community: Community, body: bytes, headers: dict[str, str], now: datetime
) -> Community:
    """A signature the cached secret refuses: read the community afresh (a rotation just happened here or
    elsewhere), then try its current secret and, while it still works, the rotated-out one (so the
    platform can switch without losing events). Raises Unauthorized when neither verifies."""
    store.forget_community(community.community_id)
    fresh = store.cached_community(community.community_id) or community
    secrets = [fresh.webhook_secret]
    until = fresh.previous_webhook_secret_until
    if fresh.previous_webhook_secret and until is not None and now < until:
        secrets.append(fresh.previous_webhook_secret)
    for secret in secrets:
        try:
            verify_signature(secret, body, headers)
            return fresh
        except Unauthorized:
            continue
    raise Unauthorized("The webhook signature is not valid.")


def _erase(store: Store, community: Community, body: dict[str, Any]) -> Ingested:
    """`member.erased`: the member's personal data goes within the request; a repeat finds nothing to erase."""
    # Erasure is rare and its module heavy (the member import models): loaded only when one arrives,
    # so the cold start of every other event stays as it is.
    from cerchia.store import members as member_store

    try:
        data = MemberErased.model_validate(body.get("data"))
    except ValidationError as error:
        raise InvalidInput("The data of this member.erased event is not valid.", field_errors(error, "data.")) from None
    member_store.erase_member(store, community, data.member_id)
    return Ingested("stored", "member.erased")

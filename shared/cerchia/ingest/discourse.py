"""Discourse's own webhooks: verify the signature, map the delivery, store it like any platform event.

Discourse signs the raw body with HMAC-SHA256 (`X-Discourse-Event-Signature: sha256=<hex>`), keyed
with the secret pasted in its webhook form: the community's `whsec_…` string exactly as printed.
It signs no timestamp, so a captured delivery could be replayed; the natural-key idempotency
(`cerchia.domain.discourse`) makes a replay change nothing, as a retry does.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from cerchia.domain.discourse import map_delivery
from cerchia.errors import Unauthorized, UnsupportedMediaType
from cerchia.ingest.delivery import Ingested, check_size, decode_json
from cerchia.store import get_store

SIGNATURE_PREFIX = "sha256="
# The community's idempotency records of Discourse deliveries: `discourse:` + the natural key.
KEY_PREFIX = "discourse:"


def signature(secret: str, body: bytes) -> str:
    """The header value Discourse sends for this body and secret."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> None:
    """Unauthorized unless `header` is the signature of `body` with `secret` (compared in constant time)."""
    if not header or not hmac.compare_digest(signature(secret, body).encode(), header.strip().encode()):
        raise Unauthorized("The Discourse signature is not valid.")


def ingest_discourse(community_id: str, headers: dict[str, str], body: bytes, now: datetime) -> Ingested:
    """Verify and store one Discourse delivery. Raises PayloadTooLarge, UnsupportedMediaType, Unauthorized, InvalidInput."""
    headers = {name.lower(): value for name, value in headers.items()}
    check_size(body)
    if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType(
            "Cerchia reads Discourse webhooks as JSON: in Discourse, edit the webhook and choose "
            "Content Type application/json."
        )
    store = get_store()
    community = store.get_community(community_id)
    if community is None:
        raise Unauthorized("The Discourse signature is not valid.")  # the same answer: no enumeration
    verify_signature(community.webhook_secret, body, headers.get("x-discourse-event-signature", ""))
    decoded = decode_json(body)
    event_name = headers.get("x-discourse-event", "")
    mapped = map_delivery(event_name, decoded, headers.get("x-discourse-instance", ""), now)
    if mapped.event is None:
        return Ingested("ignored", event_name or None)
    outcome = store.record_event(community, KEY_PREFIX + mapped.natural_key, mapped.event, now)
    return Ingested(outcome, mapped.event.type)

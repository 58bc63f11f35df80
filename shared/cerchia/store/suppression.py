"""The suppression list: addresses Cerchia no longer emails, in any community, stored only as hashes.

An address is kept as sha256("cerchia-suppression-v1:" + the address, trimmed and lowercased).
The prefix is fixed on purpose, not derived from the link-signing secret: rotating that secret
must never forget who bounced or complained. The hash keeps the list free of plain addresses
(it outlives memberships); it is not meant to resist someone holding the table, where member
rows keep addresses in plain anyway. Lowercasing the local part errs on the side of not sending.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cerchia.clock import parse_instant
from cerchia.domain.feedback import AddressStanding, Feedback, Recorded, after_feedback
from cerchia.errors import Conflict, Transient
from cerchia.store import keys
from cerchia.store.expressions import Update, versioned
from cerchia.store.table import Store

HASH_PREFIX = "cerchia-suppression-v1:"
# How long a counted bounce or complaint is remembered to recognise a redelivery (SNS and Lambda retry for hours).
FEEDBACK_MEMORY = timedelta(days=45)
MAX_ATTEMPTS = 5


def address_hash(address: str) -> str:
    return hashlib.sha256((HASH_PREFIX + address.strip().lower()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Suppression:
    standing: AddressStanding
    suppressed_at: datetime | None
    version: int


def _suppression(item: dict[str, Any]) -> Suppression:
    return Suppression(
        standing=AddressStanding(
            suppressed=bool(item.get("suppressed")),
            reason=item.get("reason"),
            soft_bounces=tuple(instant for raw in item.get("soft_bounces") or [] if (instant := parse_instant(raw))),
        ),
        suppressed_at=parse_instant(item.get("suppressed_at")),
        version=int(item.get("version", 0)),
    )


def get_suppression(store: Store, address: str) -> Suppression | None:
    item = store.get(keys.suppression(address_hash(address)))
    return _suppression(item) if item else None


def is_suppressed(store: Store, address: str) -> bool:
    """Whether Cerchia must not email this address: one eventually consistent GetItem."""
    item = store.get(keys.suppression(address_hash(address)), consistent=False)
    return bool(item and item.get("suppressed"))


def record_feedback(store: Store, feedback: Feedback, now: datetime) -> Recorded:
    """Count one bounce or complaint for its address, once; 'suppressed' when it just got suppressed.

    The once-only marker of the feedback and the address's new standing are written in one
    transaction, so a redelivered notification can neither count twice nor be lost half-way.
    """
    hashed = address_hash(feedback.address)
    marker = {
        **keys.ses_feedback(feedback.feedback_id, hashed),
        "entity": "ses-feedback",
        "kind": feedback.kind,
        "recorded_at": keys.iso(now),
        "expires_at": int((now + FEEDBACK_MEMORY).timestamp()),
    }
    once = store.write_once(marker)
    for _ in range(MAX_ATTEMPTS):
        item = store.get(keys.suppression(hashed))
        current = _suppression(item) if item else None
        before = current.standing if current else AddressStanding()
        after = after_feedback(before, feedback)
        sets: dict[str, Any] = {
            "entity": "suppression",
            "suppressed": after.suppressed,
            "soft_bounces": [keys.iso(instant) for instant in after.soft_bounces],
            "updated_at": keys.iso(now),
        }
        newly_suppressed = after.suppressed and not before.suppressed
        if newly_suppressed:
            sets |= {"reason": after.reason, "suppressed_at": keys.iso(now)}
        update = versioned(Update(keys.suppression(hashed), sets=sets), current.version if current else None)
        try:
            outcome = store.transact(
                [once, store.write_update("versioned", update)], on_once_failed=lambda: "duplicate"
            )
        except Conflict:
            continue
        if outcome == "duplicate":
            return "duplicate"
        return "suppressed" if newly_suppressed else "counted"
    raise Transient("The address's record kept changing under this feedback; SNS will retry.")

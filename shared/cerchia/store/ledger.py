"""The email ledger: one item per email Cerchia may send once (kind, community, recipient, period).

A sender claims the email (with a lease), then marks it sent or refused, or releases it after a
failed send so that a retry may send it. A claim whose sender died is taken over once its lease ran out.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cerchia.errors import ConditionFailed, Transient
from cerchia.store import keys
from cerchia.store.client import Table
from cerchia.store.expressions import Update

# Ledger entries outlive every redelivery (streams keep 24 h, queues 14 days) and every period they
# guard (a week, a poll); DynamoDB's TTL (`expires_at`) then removes them.
LEDGER_RETENTION = timedelta(days=400)


@dataclass(frozen=True)
class EmailClaim:
    """The right to send one email, held until it is marked sent or released."""

    key: dict[str, str]
    claim_id: str


class Ledger:
    def __init__(self, table: Table) -> None:
        self.table = table

    def claim(
        self, kind: str, community_id: str, recipient: str, period: str, now: datetime, lease: timedelta
    ) -> EmailClaim | None:
        """Claim the one email (kind, community, recipient, period). None: it was already sent."""
        key = keys.ledger(kind, community_id, recipient, period)
        claim = EmailClaim(key=key, claim_id=uuid.uuid4().hex)
        update = Update(
            key,
            sets={
                "entity": "email",
                "kind": kind,
                "status": "sending",
                "claim_id": claim.claim_id,
                "claimed_at": keys.iso(now),
                "lease_until": keys.iso(now + lease),
                # a claim nobody settles (its sender died, and nobody retried) does not stay forever
                "expires_at": int((now + LEDGER_RETENTION).timestamp()),
            },
            condition="attribute_not_exists({pk}) OR ({status} = :sending AND {lease_until} < :now)",
            condition_values={":sending": "sending", ":now": keys.iso(now)},
        )
        try:
            self.table.update(update)
            return claim
        except ConditionFailed:
            pass
        current = self.table.get(key) or {}
        if current.get("status") in ("sent", "refused"):
            return None
        raise Transient("Another worker is sending this email right now; retry after its lease.")

    def settle(self, claim: EmailClaim, sets: dict[str, Any], now: datetime) -> None:
        """Mark the claimed email sent or refused (it is never sent again); raises ConditionFailed if the claim was lost."""
        update = Update(
            claim.key,
            sets={**sets, "expires_at": int((now + LEDGER_RETENTION).timestamp())},
            removes=["lease_until"],
            condition="{claim_id} = :claim",
            condition_values={":claim": claim.claim_id},
        )
        self.table.update(update)

    def release(self, claim: EmailClaim) -> None:
        """Give a claim back after a failed send, so a retry may send it (unless another claim holds it now)."""
        with contextlib.suppress(ConditionFailed):
            self.table.delete(claim.key, "{claim_id} = :claim", {":claim": claim.claim_id})

    def status(self, kind: str, community_id: str, recipient: str, period: str) -> str | None:
        item = self.table.get(keys.ledger(kind, community_id, recipient, period))
        return item.get("status") if item else None

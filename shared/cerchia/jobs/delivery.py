"""The email fan-out: chunks of members on the delivery queue, and sending each chunk.

Runners that email many members `enqueue` chunks; a deliverer then sends each member's email
through the ledger, so a redelivered chunk sends nothing twice. The deliverers are given by the
caller (`cerchia.dispatch.DELIVERERS`); this engine knows no feature.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cerchia import runtime
from cerchia.jobs.sweep import OUTAGE_RETRY
from cerchia.mail.sending import SendingUnavailable
from cerchia.observability import logger
from cerchia.settings import get_settings
from cerchia.store import get_store
from cerchia.store.table import Job

CHUNK_SIZE = 50  # members per queue message


@dataclass(frozen=True)
class Delivery:
    """One chunk of members who should each get one email of a kind for (community, ref, period)."""

    kind: str
    community_id: str
    ref: str
    period: str
    member_ids: tuple[str, ...]
    payload: dict[str, Any]

    def to_message(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "community_id": self.community_id,
                "ref": self.ref,
                "period": self.period,
                "member_ids": list(self.member_ids),
                "payload": self.payload,
            }
        )

    @classmethod
    def from_message(cls, body: str) -> Delivery:
        raw = json.loads(body)
        return cls(
            kind=raw["kind"],
            community_id=raw["community_id"],
            ref=raw["ref"],
            period=raw["period"],
            member_ids=tuple(raw["member_ids"]),
            payload=raw.get("payload") or {},
        )


# (delivery, member_id, now) -> the outcome for that member ('sent', 'already-sent', 'suppressed'...)
Deliverer = Callable[[Delivery, str, datetime], str]


def chunks(member_ids: Iterable[str], size: int = CHUNK_SIZE) -> Iterable[tuple[str, ...]]:
    batch: list[str] = []
    for member_id in member_ids:
        batch.append(member_id)
        if len(batch) == size:
            yield tuple(batch)
            batch = []
    if batch:
        yield tuple(batch)


def enqueue(
    kind: str,
    community_id: str,
    ref: str,
    period: str,
    member_ids: Iterable[str],
    payload: dict[str, Any] | None = None,
) -> int:
    """Put chunks of members on the delivery queue; returns how many chunks. Safe to repeat (the ledger dedupes)."""
    queue_url = get_settings().delivery_queue_url
    if not queue_url:
        raise RuntimeError("DELIVERY_QUEUE_URL is not set; template.yaml gives it to functions that fan out.")
    messages = [
        Delivery(kind, community_id, ref, period, chunk, payload or {}).to_message() for chunk in chunks(member_ids)
    ]
    for start in range(0, len(messages), 10):
        batch = messages[start : start + 10]
        response = runtime.sqs().send_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": str(number), "MessageBody": body} for number, body in enumerate(batch)]
        )
        if response.get("Failed"):
            raise RuntimeError(f"The delivery queue refused {len(response['Failed'])} chunks; the job will retry.")
    return len(messages)


def deliverer_of(delivery: Delivery, deliverers: Mapping[str, Deliverer]) -> Deliverer:
    deliverer = deliverers.get(delivery.kind)
    if deliverer is None:
        raise LookupError(f"No deliverer for {delivery.kind!r}; add it to cerchia.dispatch.DELIVERERS.")
    return deliverer


def deliver(delivery: Delivery, now: datetime, deliverers: Mapping[str, Deliverer]) -> dict[str, int]:
    """Send one chunk: every member is attempted once, whatever happens to the others.

    A member SES refuses is recorded as refused and the chunk goes on. If the account cannot send
    (SES: not verified, paused, throttled...), the members not yet served are kept as a `delivery`
    job, retried by the due sweep until sending works again, so the queue's retries running out
    never drops them. Any other failure is raised once every member has been attempted, so the
    queue redelivers the chunk; the ledger skips those already sent.
    """
    deliverer = deliverer_of(delivery, deliverers)
    counts: dict[str, int] = {}
    failed: list[Exception] = []
    for position, member_id in enumerate(delivery.member_ids):
        try:
            outcome = deliverer(delivery, member_id, now)
        except SendingUnavailable:
            keep_for_later(delivery, delivery.member_ids[position:], now)
            counts["kept"] = len(delivery.member_ids) - position
            break
        except Exception as error:
            logger().exception("one member's email failed; the chunk goes on", extra={"kind": delivery.kind})
            failed.append(error)
            outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
    if failed:
        raise RuntimeError(
            f"{len(failed)} of {len(delivery.member_ids)} emails of this chunk failed; it will be delivered again."
        ) from failed[0]
    return counts


def keep_for_later(delivery: Delivery, member_ids: tuple[str, ...], now: datetime) -> None:
    """Park the rest of a chunk as a `delivery` job while SES cannot send (safe to repeat: same ref)."""
    rest = Delivery(delivery.kind, delivery.community_id, delivery.ref, delivery.period, member_ids, delivery.payload)
    identity = f"{delivery.kind}|{delivery.community_id}|{delivery.ref}|{delivery.period}|{member_ids[0]}"
    ref = hashlib.sha256(identity.encode()).hexdigest()[:32]
    get_store().schedule_job("delivery", ref, delivery.community_id, now + OUTAGE_RETRY, {"message": rest.to_message()})


def run_delivery_job(job: Job, now: datetime, deliverers: Mapping[str, Deliverer]) -> datetime | None:
    """The `delivery` job: a chunk kept while SES could not send, sent from the due sweep once it can.

    SES still refusing the account raises from `deliver` (the job is retried later); members
    already served are skipped by the ledger.
    """
    delivery = Delivery.from_message(job.payload["message"])
    deliverer = deliverers[delivery.kind]
    failed = 0
    for member_id in delivery.member_ids:
        try:
            deliverer(delivery, member_id, now)
        except SendingUnavailable:
            raise
        except Exception:
            failed += 1
    if failed:
        raise RuntimeError(f"{failed} emails of a kept chunk failed; the job will retry them.")
    return None

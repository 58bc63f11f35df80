"""A job kind and a deliverer used only by the tests of the jobs machinery."""

from __future__ import annotations

from datetime import datetime

from cerchia.jobs import Delivery, enqueue
from cerchia.mail.mime import Outgoing
from cerchia.mail.sending import deliver_once
from cerchia.store import get_store
from cerchia.store.table import Job

FAIL_ONCE_FOR: set[str] = set()


def fan_out(job: Job, now: datetime) -> datetime | None:
    enqueue("test-note", job.community_id, job.ref, "once", job.payload["member_ids"])
    return None


def gone(job: Job, now: datetime) -> datetime | None:
    """A runner whose code is no longer there, as a kind left in the table after its feature went."""
    raise AttributeError("the runner of this job kind is gone")


def note(delivery: Delivery, member_id: str, now: datetime) -> str:
    if member_id in FAIL_ONCE_FOR:
        FAIL_ONCE_FOR.discard(member_id)
        raise RuntimeError("worker crashed mid-chunk")
    return deliver_once(
        get_store(),
        kind="test-note",
        community_id=delivery.community_id,
        recipient_id=member_id,
        period=delivery.period,
        now=now,
        compose=lambda: Outgoing(
            kind="test-note",
            to_address=f"{member_id}@example.com",
            to_name=member_id,
            subject="A note",
            text="hello",
            html="<p>hello</p>",
        ),
    )

"""Due work: jobs found through the sparse `due` index when their instant comes, and parked jobs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cerchia.clock import parse_instant
from cerchia.errors import ConditionFailed
from cerchia.store import keys
from cerchia.store.client import Table
from cerchia.store.codec import readable, to_value
from cerchia.store.expressions import Update


@dataclass(frozen=True)
class Job:
    """Pending time-driven work, found through the due index when its instant comes."""

    kind: str
    ref: str
    community_id: str
    due: datetime
    payload: dict[str, Any]
    attempts: int = 0  # failed runs in a row
    last_error: str = ""
    parked: bool = False


def job_from_item(item: dict[str, Any]) -> Job:
    return Job(
        kind=item["kind"],
        ref=item["ref"],
        community_id=item["community_id"],
        due=parse_instant(item["due"]) or datetime.min,
        payload=item.get("payload") or {},
        attempts=int(item.get("attempts") or 0),
        last_error=str(item.get("last_error") or ""),
        parked=item.get("due_pk") == keys.PARKED_JOBS,
    )


def earliest(table: Table, index: str, partition: str, value: str, sort_key: str) -> datetime | None:
    """The instant of the first item of a time-sorted index partition (None: it is empty)."""
    items = table.query_page(
        IndexName=index,
        KeyConditionExpression=f"{partition} = :p",
        ExpressionAttributeValues={":p": to_value(value)},
        ProjectionExpression=sort_key,
        Limit=1,
    )
    return keys.instant_of(items[0][sort_key]) if items else None


class Jobs:
    def __init__(self, table: Table) -> None:
        self.table = table

    def schedule(self, kind: str, ref: str, community_id: str, due: datetime, payload: dict[str, Any] | None) -> None:
        self.table.put(
            {
                **keys.job(kind, ref),
                "entity": "job",
                "kind": kind,
                "ref": ref,
                "community_id": community_id,
                "due": keys.iso(due),
                "due_pk": keys.DUE,
                "due_at": keys.due_at(due, kind, ref),
                "payload": payload or {},
            }
        )

    def get(self, kind: str, ref: str) -> Job | None:
        item = self.table.get(keys.job(kind, ref))
        return job_from_item(item) if item else None

    def due_pages(self, now: datetime, page_size: int) -> Iterator[Job]:
        """Every job due by `now`, oldest first, read a page at a time as the caller asks for more."""
        for item in self.table.query(
            IndexName="due",
            KeyConditionExpression="due_pk = :due AND due_at <= :until",
            ExpressionAttributeValues={":due": to_value(keys.DUE), ":until": to_value(keys.due_until(now))},
            Limit=page_size,
        ):
            job = readable(job_from_item, item, "job")
            if job is not None:
                yield job

    def finish(self, job: Job, next_due: datetime | None, payload: dict[str, Any] | None) -> bool:
        """Reschedule (next_due) or delete a job, only if nobody moved it since it was read."""
        key = keys.job(job.kind, job.ref)
        seen = keys.due_at(job.due, job.kind, job.ref)
        try:
            if next_due is None:
                self.table.delete(key, "due_at = :seen", {":seen": seen})
            else:
                update = Update(
                    key,
                    sets={
                        "due": keys.iso(next_due),
                        "due_at": keys.due_at(next_due, job.kind, job.ref),
                        "payload": job.payload if payload is None else payload,
                        "attempts": 0,
                    },
                    removes=["last_error"],
                    condition="due_at = :seen",
                    condition_values={":seen": seen},
                )
                self.table.update(update)
            return True
        except ConditionFailed:
            return False

    def move(self, job: Job, sets: dict[str, Any]) -> bool:
        """Change a job's attributes unless it was moved since it was read (False then)."""
        seen = keys.due_at(job.due, job.kind, job.ref)
        update = Update(
            keys.job(job.kind, job.ref), sets=sets, condition="due_at = :seen", condition_values={":seen": seen}
        )
        try:
            self.table.update(update)
            return True
        except ConditionFailed:
            return False

    def parked(self) -> list[Job]:
        """Every parked job, oldest due first (a Query on the due index's parked partition)."""
        return [
            job_from_item(item)
            for item in self.table.query(
                IndexName="due",
                KeyConditionExpression="due_pk = :parked",
                ExpressionAttributeValues={":parked": to_value(keys.PARKED_JOBS)},
            )
        ]

    def requeue(self, kind: str, ref: str, now: datetime) -> Job | None:
        """Put a parked job back in the due work, due now with no failed attempts; None if it is not parked."""
        update = Update(
            keys.job(kind, ref),
            sets={"due_pk": keys.DUE, "due": keys.iso(now), "due_at": keys.due_at(now, kind, ref), "attempts": 0},
            removes=["parked_at"],
            condition="due_pk = :parked",
            condition_values={":parked": keys.PARKED_JOBS},
        )
        try:
            self.table.update(update)
        except ConditionFailed:
            return None
        return self.get(kind, ref)

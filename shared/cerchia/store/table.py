"""The Store: every read and write of the single table, and the one place that knows its keys.

Writes that belong together (an event's state change, its counters and its webhook-id record)
go in one transaction, so a retried delivery can neither double-count nor lose anything.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from cerchia import runtime
from cerchia.clock import parse_instant
from cerchia.domain import rules
from cerchia.domain.models import Community, Member, Post
from cerchia.errors import AlreadyExists, Conflict, InvalidInput, NotFound, Transient
from cerchia.settings import get_settings
from cerchia.store import keys
from cerchia.store.codec import from_item, readable, to_item, to_value

if TYPE_CHECKING:
    from cerchia.domain.events import PlatformEvent
    from cerchia.store.projection import Projection

# Ledger entries outlive every redelivery (streams keep 24 h, queues 14 days) and every period they
# guard (a week, a poll); DynamoDB's TTL (`expires_at`) then removes them.
LEDGER_RETENTION = timedelta(days=400)
MAX_ATTEMPTS = 5
# How long an execution environment trusts the community (secret, settings) it read: a rotated secret
# or a changed setting is seen within this time (a signature that fails on it re-reads at once).
COMMUNITY_CACHE_SECONDS = 60.0
TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
}

IngestOutcome = Literal["stored", "duplicate", "unchanged"]
Guard = Literal["webhook", "once", "versioned", "plain"]


@dataclass
class Write:
    """One transaction item and what its condition failing would mean."""

    guard: Guard
    operation: dict[str, Any]


@dataclass
class Update:
    """Builds an UpdateItem expression without ever colliding with DynamoDB's reserved words."""

    key: dict[str, str]
    sets: dict[str, Any] = field(default_factory=dict)
    adds: dict[str, Any] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)
    set_if_absent: dict[str, Any] = field(default_factory=dict)
    condition: str | None = None
    condition_values: dict[str, Any] = field(default_factory=dict)

    def expression(self, table_name: str) -> dict[str, Any]:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}

        def name(attribute: str) -> str:
            alias = f"#a{len(names)}"
            names[alias] = attribute
            return alias

        def value(raw: Any) -> str:
            alias = f":v{len(values)}"
            values[alias] = to_value(raw)
            return alias

        clauses = []
        set_parts = [f"{name(k)} = {value(v)}" for k, v in self.sets.items()]
        for attribute, raw in self.set_if_absent.items():
            alias = name(attribute)
            set_parts.append(f"{alias} = if_not_exists({alias}, {value(raw)})")
        if set_parts:
            clauses.append("SET " + ", ".join(set_parts))
        if self.adds:
            clauses.append("ADD " + ", ".join(f"{name(k)} {value(v)}" for k, v in self.adds.items()))
        if self.removes:
            clauses.append("REMOVE " + ", ".join(name(k) for k in self.removes))
        request: dict[str, Any] = {
            "TableName": table_name,
            "Key": to_item(self.key),
            "UpdateExpression": " ".join(clauses),
        }
        if self.condition:
            condition = self.condition
            for placeholder, raw in self.condition_values.items():
                condition = condition.replace(placeholder, value(raw))
            for placeholder in ("pk", "version", "status", "lease_until", "claim_id", "deleted"):
                token = "{" + placeholder + "}"
                if token in condition:
                    condition = condition.replace(token, name(placeholder))
            request["ConditionExpression"] = condition
        request["ExpressionAttributeNames"] = names
        if values:
            request["ExpressionAttributeValues"] = values
        return request


def versioned(update: Update, version: int | None) -> Update:
    """Guard an update on the version read before it (optimistic concurrency)."""
    if version is None:
        update.condition = "attribute_not_exists({pk})"
    else:
        update.condition = "{version} = :expected"
        update.condition_values = {":expected": version}
    update.adds["version"] = 1
    return update


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


@dataclass(frozen=True)
class EmailClaim:
    """The right to send one email, held until it is marked sent or released."""

    key: dict[str, str]
    claim_id: str


class Contended(Conflict):
    """DynamoDB cancelled the transaction because another one held one of its items (TransactionConflict)."""


class Store:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.table_name = table_name
        self._communities: dict[str, tuple[float, Community]] = {}
        self._local = threading.local()

    @cached_property
    def projection(self) -> Projection:
        """What applies platform events (built on the first event: other functions never load the event models)."""
        from cerchia.store.projection import Projection

        return Projection(self)

    @property
    def prefetched(self) -> dict[tuple[str, str], dict[str, Any] | None]:
        """Items read with the community for the event this thread is ingesting (see cached_community)."""
        return getattr(self._local, "prefetched", {})

    @prefetched.setter
    def prefetched(self, items: dict[tuple[str, str], dict[str, Any] | None]) -> None:
        self._local.prefetched = items

    # ------------------------------------------------------------------ low level
    def get(self, key: dict[str, str], consistent: bool = True) -> dict[str, Any] | None:
        response = self.call("get_item", TableName=self.table_name, Key=to_item(key), ConsistentRead=consistent)
        item = response.get("Item")
        return from_item(item) if item else None

    def call(self, operation: str, **request: Any) -> Any:
        from botocore.exceptions import ClientError

        try:
            return getattr(self._client, operation)(**request)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in TRANSIENT_CODES:
                raise Transient(f"DynamoDB is busy ({code}); try again.") from error
            if code == "ValidationException":
                # What was sent cannot be stored as it is (an id over the key size, say): the caller's to fix.
                raise InvalidInput(
                    "This request cannot be stored: an id or a value in it is too long or malformed; shorten it.",
                    {"request": str(error.response.get("Error", {}).get("Message", ""))[:200]},
                ) from None
            raise

    # ------------------------------------------------------------------ communities
    def create_community(self, community: Community) -> None:
        meta = {
            **keys.community(community.community_id),
            "entity": "community",
            **community.model_dump(mode="json", exclude={"leader_ids"}),
        }
        founder = {
            **keys.member(community.community_id, keys.FOUNDER),
            **member_identity(community.community_id, keys.FOUNDER),
            "email": community.leader_email,
            "name": community.leader_name,
            "locale": community.locale,
            "role": "leader",
            "status": "active",
            "version": 1,
            "joined_at": keys.iso(community.created_at) if community.created_at else None,
        }
        registry = {
            **keys.community_registry(community.community_id),
            "entity": "community-ref",
            "community_id": community.community_id,
            "name": community.name,
        }
        self.transact(
            [
                Write(
                    "once",
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": to_item(meta),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ),
                Write("plain", {"Put": {"TableName": self.table_name, "Item": to_item(registry)}}),
                Write("plain", {"Put": {"TableName": self.table_name, "Item": to_item(founder)}}),
            ],
            on_once_failed=lambda: _raise(AlreadyExists(f"Community {community.community_id} already exists.")),
        )

    def get_community(self, community_id: str) -> Community | None:
        try:
            item = self.get(keys.community(community_id), consistent=False)
        except InvalidInput:
            return None  # an id no key can hold (far too long, say) names no community
        return community_from_item(item) if item else None

    def update_community_settings(self, community_id: str, settings: dict[str, Any]) -> None:
        update = Update(keys.community(community_id), sets=settings, condition="attribute_exists({pk})")
        self.forget_community(community_id)
        try:
            self.call("update_item", **update.expression(self.table_name))
        except Exception as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise NotFound(community_id) from None
            raise

    def leaders(self, community: Community) -> list[Member]:
        """The community's active leaders, one per email address (reads only the leaders' rows)."""
        found: dict[str, Member] = {}
        for member_id in sorted(community.leader_ids | {keys.FOUNDER}):
            member = self.get_member(community.community_id, member_id)
            if member and member.status == "active" and member.role == "leader" and member.email:
                found.setdefault(member.email.lower(), member)
        return list(found.values())

    def list_communities(self) -> list[Community]:
        """Every community, from the registry partition (a Query, never a Scan)."""
        ids = [
            row["community_id"]
            for row in self.query(
                KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": to_value(keys.COMMUNITIES)}
            )
        ]
        return [community for community in (self.get_community(cid) for cid in ids) if community]

    def query(self, **request: Any) -> Iterable[dict[str, Any]]:
        start: dict[str, Any] | None = None
        while True:
            page = self.call(
                "query", TableName=self.table_name, **request, **({"ExclusiveStartKey": start} if start else {})
            )
            yield from (from_item(item) for item in page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    # ------------------------------------------------------------------ members
    def get_member(self, community_id: str, member_id: str) -> Member | None:
        item = self.get(keys.member(community_id, member_id))
        return readable(member_from_item, item, "member") if item else None

    def set_unsubscribed(self, community_id: str, member_id: str, unsubscribed: bool, now: datetime) -> None:
        update = Update(
            keys.member(community_id, member_id),
            sets={"unsubscribed": unsubscribed, "preferences_changed_at": keys.iso(now)},
            condition="attribute_exists({pk})",
        )
        try:
            self.call("update_item", **update.expression(self.table_name))
        except Exception as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise NotFound(member_id) from None
            raise

    def members(self, community_id: str) -> Iterable[Member]:
        """Every member row of a community (fan-out reads scale with members, as they must)."""
        for item in self.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
            ExpressionAttributeValues={
                ":pk": to_value(keys.community(community_id)["pk"]),
                ":m": to_value(keys.members_prefix()),
            },
        ):
            member = readable(member_from_item, item, "member")
            if member is not None:
                yield member

    # ------------------------------------------------------------------ due work
    def schedule_job(
        self, kind: str, ref: str, community_id: str, due: datetime, payload: dict[str, Any] | None = None
    ) -> None:
        """Create or move the job (kind, ref) so the due sweep runs it at `due`."""
        item = {
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
        self.call("put_item", TableName=self.table_name, Item=to_item(item))

    def get_job(self, kind: str, ref: str) -> Job | None:
        item = self.get(keys.job(kind, ref))
        return job_from_item(item) if item else None

    def due_jobs(self, now: datetime, limit: int = 100) -> list[Job]:
        """The first `limit` jobs whose instant has come, oldest first (a Query on the sparse due index)."""
        jobs: list[Job] = []
        for job in self.due_job_pages(now, page_size=limit):
            jobs.append(job)
            if len(jobs) == limit:
                break
        return jobs

    def due_job_pages(self, now: datetime, page_size: int = 100) -> Iterable[Job]:
        """Every job due by `now`, oldest first, read a page at a time as the caller asks for more."""
        for item in self.query(
            IndexName="due",
            KeyConditionExpression="due_pk = :due AND due_at <= :until",
            ExpressionAttributeValues={":due": to_value(keys.DUE), ":until": to_value(keys.due_until(now))},
            Limit=page_size,
        ):
            job = readable(job_from_item, item, "job")
            if job is not None:
                yield job

    def next_job_due(self) -> datetime | None:
        """When the first pending job is due (None: no job is pending); one key read from the due index."""
        return self.earliest("due", "due_pk", keys.DUE, "due_at")

    def earliest(self, index: str, partition: str, value: str, sort_key: str) -> datetime | None:
        """The instant of the first item of a time-sorted index partition (None: it is empty)."""
        page = self.call(
            "query",
            TableName=self.table_name,
            IndexName=index,
            KeyConditionExpression=f"{partition} = :p",
            ExpressionAttributeValues={":p": to_value(value)},
            ProjectionExpression=sort_key,
            Limit=1,
        )
        items = page.get("Items") or []
        return keys.instant_of(from_item(items[0])[sort_key]) if items else None

    def finish_job(self, job: Job, next_due: datetime | None, payload: dict[str, Any] | None = None) -> bool:
        """Reschedule (next_due) or delete a job, only if nobody moved it since it was read.

        A rescheduled job starts again with no failed attempts.
        """
        key = keys.job(job.kind, job.ref)
        condition = {
            "ConditionExpression": "due_at = :seen",
            "ExpressionAttributeValues": {":seen": to_value(keys.due_at(job.due, job.kind, job.ref))},
        }
        try:
            if next_due is None:
                self.call("delete_item", TableName=self.table_name, Key=to_item(key), **condition)
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
                    condition_values={":seen": keys.due_at(job.due, job.kind, job.ref)},
                )
                self.call("update_item", **update.expression(self.table_name))
            return True
        except Exception as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise

    def retry_job(self, job: Job, at: datetime, attempts: int, error: str) -> bool:
        """A failed job: due again at `at`, with its count of failed attempts and what went wrong last."""
        return self._move_job(
            job,
            {
                "due": keys.iso(at),
                "due_at": keys.due_at(at, job.kind, job.ref),
                "attempts": attempts,
                "last_error": error[:500],
            },
        )

    def park_job(self, job: Job, attempts: int, error: str, now: datetime) -> bool:
        """A job that failed too often leaves the due work for the parked list (`cerchia jobs parked`)."""
        return self._move_job(
            job,
            {"due_pk": keys.PARKED_JOBS, "attempts": attempts, "last_error": error[:500], "parked_at": keys.iso(now)},
        )

    def _move_job(self, job: Job, sets: dict[str, Any]) -> bool:
        seen = keys.due_at(job.due, job.kind, job.ref)
        update = Update(
            keys.job(job.kind, job.ref), sets=sets, condition="due_at = :seen", condition_values={":seen": seen}
        )
        try:
            self.call("update_item", **update.expression(self.table_name))
            return True
        except Exception as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise

    def parked_jobs(self) -> list[Job]:
        """Every parked job, oldest due first (a Query on the due index's parked partition)."""
        return [
            job_from_item(item)
            for item in self.query(
                IndexName="due",
                KeyConditionExpression="due_pk = :parked",
                ExpressionAttributeValues={":parked": to_value(keys.PARKED_JOBS)},
            )
        ]

    def requeue_job(self, kind: str, ref: str, now: datetime) -> Job | None:
        """Put a parked job back in the due work, due now with no failed attempts; None if it is not parked."""
        update = Update(
            keys.job(kind, ref),
            sets={"due_pk": keys.DUE, "due": keys.iso(now), "due_at": keys.due_at(now, kind, ref), "attempts": 0},
            removes=["parked_at"],
            condition="due_pk = :parked",
            condition_values={":parked": keys.PARKED_JOBS},
        )
        try:
            self.call("update_item", **update.expression(self.table_name))
        except Exception as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        return self.get_job(kind, ref)

    # ------------------------------------------------------------------ posts
    def get_post(self, community_id: str, post_id: str) -> Post | None:
        item = self.get(keys.post(community_id, post_id))
        return post_from_item(item) if item else None

    def recent_posts(self, community_id: str, limit: int = 10) -> list[Post]:
        page = self.call(
            "query",
            TableName=self.table_name,
            IndexName="timeline",
            KeyConditionExpression="timeline_pk = :pk",
            ExpressionAttributeValues={":pk": to_value(keys.timeline_posts(community_id))},
            ScanIndexForward=False,
            Limit=limit,
        )
        posts = (readable(post_from_item, from_item(item), "post") for item in page.get("Items", []))
        return [post for post in posts if post is not None]

    def week_counters(self, community_id: str, week_key: str) -> dict[str, Any]:
        """A community week's counters summed over their shards, with its active members and posters."""
        totals: dict[str, Any] = {}
        active: set[str] = set()
        posters: set[str] = set()
        for item in self.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :week)",
            ExpressionAttributeValues={
                ":pk": to_value(keys.community(community_id)["pk"]),
                ":week": to_value(keys.week_aggregates_prefix(week_key)),
            },
        ):
            if item.get("entity") == "member-week":
                if item.get("activity"):
                    active.add(str(item["member_id"]))
                if item.get("posts"):
                    posters.add(str(item["member_id"]))
                continue
            for name, value in item.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    totals[name] = totals.get(name, 0) + value
        return {**totals, "active_members": active, keys.WEEK_POSTERS: posters} if totals or active else {}

    def member_name(self, community_id: str, member_id: str) -> str | None:
        """A member's display name (one eventually consistent read of the member row's name only)."""
        key = keys.member(community_id, member_id)
        if (key["pk"], key["sk"]) in self.prefetched:
            return str((self.prefetched[(key["pk"], key["sk"])] or {}).get("name") or "") or None
        response = self.call(
            "get_item",
            TableName=self.table_name,
            Key=to_item(keys.member(community_id, member_id)),
            ProjectionExpression="#n",
            ExpressionAttributeNames={"#n": "name"},
        )
        name = (response.get("Item") or {}).get("name", {}).get("S")
        return str(name) if name else None

    def refresh_author_name(self, community_id: str, member_id: str, name: str) -> int:
        """Write a member's new name on their posts still waiting for an answer (what the nudges show)."""
        changed = 0
        for post in self.query(
            IndexName="due",
            KeyConditionExpression="due_pk = :waiting",
            FilterExpression="author_id = :author AND (attribute_not_exists(author_name) OR author_name <> :name)",
            ExpressionAttributeValues={
                ":waiting": to_value(keys.waiting_posts(community_id)),
                ":author": to_value(member_id),
                ":name": to_value(name),
            },
        ):
            update = Update(
                keys.post(community_id, str(post["post_id"])),
                sets={"author_name": name},
                condition="attribute_exists({pk}) AND author_id = :author",
                condition_values={":author": member_id},
            )
            try:
                self.call("update_item", **update.expression(self.table_name))
                changed += 1
            except Exception as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
        return changed

    # ------------------------------------------------------------------ ingest
    def record_event(
        self,
        community: Community,
        webhook_id: str,
        event: PlatformEvent,
        now: datetime,
        budget_seconds: float | None = None,
    ) -> IngestOutcome:
        """Apply one platform event and remember its webhook-id, atomically (see store/projection.py).

        'duplicate': this webhook-id was already stored (nothing changes).
        'unchanged': a new webhook-id for something already applied (only the id is stored).
        `budget_seconds`: how long retries after transaction conflicts may take (the function's remaining time).
        """
        return self.projection.record(community, webhook_id, event, now, budget_seconds)

    def cached_community(self, community_id: str, event_hint: Any = None) -> Community | None:
        """The community as read at most COMMUNITY_CACHE_SECONDS ago in this execution environment.

        When it must be read, what the event will need (`event_hint`: the body's type and data, not yet
        verified) is read in the same BatchGetItem: a cold environment makes two requests, not three.
        """
        now = self.projection.backoff.monotonic()
        known = self._communities.get(community_id)
        if known is not None and now - known[0] < COMMUNITY_CACHE_SECONDS:
            return known[1]
        wanted = [keys.community(community_id), *self._reads_for(community_id, event_hint)]
        if len(wanted) == 1:
            community = self.get_community(community_id)
        else:
            try:
                read = self.batch_get(wanted)
            except InvalidInput:
                return None  # an id no key can hold (far too long, say) names no community
            found = {(item["pk"], item["sk"]): item for item in read}
            self.prefetched = {(key["pk"], key["sk"]): found.get((key["pk"], key["sk"])) for key in wanted[1:]}
            meta = found.get((wanted[0]["pk"], wanted[0]["sk"]))
            community = community_from_item(meta) if meta else None
        if community is not None:
            self._communities[community_id] = (now, community)
        return community

    @staticmethod
    def _reads_for(community_id: str, event_hint: Any) -> list[dict[str, str]]:
        """The item an event of this shape reads besides its community: a post's author, a reply's post."""
        if not isinstance(event_hint, dict) or not isinstance(event_hint.get("data"), dict):
            return []
        data, kind = event_hint["data"], event_hint.get("type")

        def usable(value: Any) -> bool:
            return isinstance(value, str) and 0 < len(value.strip()) <= 128 and value == value.strip()

        if kind == "post.created" and usable(data.get("author_id")):
            return [keys.member(community_id, data["author_id"])]
        if kind in ("reply.created", "reaction.added") and usable(data.get("post_id")):
            return [keys.post(community_id, data["post_id"])]
        return []

    def batch_get(self, wanted: list[dict[str, str]]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {self.table_name: {"Keys": [to_item(key) for key in wanted], "ConsistentRead": True}}
        found: list[dict[str, Any]] = []
        for attempt in range(MAX_ATTEMPTS):
            response = self.call("batch_get_item", RequestItems=request)
            found += [from_item(item) for item in response.get("Responses", {}).get(self.table_name, [])]
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
            self.projection.backoff.sleep(self.projection.backoff.delay(attempt))
        raise Transient("DynamoDB left part of a read unprocessed; the platform should retry.")

    def fetch(self, key: dict[str, str]) -> dict[str, Any] | None:
        """An item, from what was read with the community for this event when it was, else a read."""
        found = self.prefetched.get((key["pk"], key["sk"]), _MISSING)
        return self.get(key) if found is _MISSING else found

    def forget_community(self, community_id: str) -> None:
        self._communities.pop(community_id, None)

    def transact(self, writes: list[Write], on_once_failed: Any = None) -> Any:
        """Run writes as one transaction. Returns 'stored', or 'duplicate' when the webhook-id exists.

        Raises Contended (TransactionConflict: retry the same writes) or Conflict (a condition failed).
        """
        from botocore.exceptions import ClientError

        try:
            if len(writes) == 1:
                self._single(writes[0])
            else:
                self.call("transact_write_items", TransactItems=[w.operation for w in writes])
            return "stored"
        except ClientError as error:
            code = error_code(error)
            reasons: list[Any]
            if code == "ConditionalCheckFailedException":
                reasons = [{"Code": "ConditionalCheckFailed"}]
            elif code == "TransactionCanceledException":
                reasons = error.response.get("CancellationReasons", [])
            elif code == "TransactionConflictException":
                raise Contended("Another transaction held one of these records.") from None
            else:
                raise
        failed = [
            w.guard
            for w, reason in zip(writes, reasons, strict=False)
            if reason.get("Code") == "ConditionalCheckFailed"
        ]
        if "webhook" in failed:
            return "duplicate"
        if "once" in failed and on_once_failed is not None:
            return on_once_failed()
        if failed:
            raise Conflict("A concurrent write changed these records.")
        if any(reason.get("Code") == "TransactionConflict" for reason in reasons):
            raise Contended("Another transaction held one of these records.")
        raise Transient("DynamoDB cancelled the transaction: " + ", ".join(r.get("Code", "?") for r in reasons))

    def _single(self, write: Write) -> None:
        ((kind, request),) = write.operation.items()
        operation = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}[kind]
        self.call(operation, **request)

    def write_update(self, guard: Guard, update: Update) -> Write:
        return Write(guard, {"Update": update.expression(self.table_name)})

    def name_check(self, community_id: str, member_id: str, name: str | None) -> Write:
        """A ConditionCheck that the member's name is still `name` (None: no name, or no member row)."""
        check: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": to_item(keys.member(community_id, member_id)),
            "ConditionExpression": "#n = :n" if name else "attribute_not_exists(#n)",
            "ExpressionAttributeNames": {"#n": "name"},
        }
        if name:
            check["ExpressionAttributeValues"] = {":n": to_value(name)}
        return Write("versioned", {"ConditionCheck": check})

    def write_once(self, item: dict[str, Any]) -> Write:
        """A Put that only a first delivery makes (a reply, a reaction: never counted twice)."""
        return Write(
            "once",
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": to_item(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def activity_writes(
        self, community: Community, at: datetime, member_id: str, counters: dict[str, int]
    ) -> list[Write]:
        """Counter updates for the week of `at`: the community's (one shard) and the member's, marked active."""
        import zlib

        week_key = rules.week_of(at, community.timezone)
        shard = zlib.crc32(member_id.encode()) % keys.WEEK_SHARDS
        shard_update = Update(
            keys.week_shard(community.community_id, week_key, shard),
            adds=dict(counters),
            sets={"entity": "week", "week": week_key},
        )
        member_update = Update(
            keys.member_week(community.community_id, week_key, member_id),
            adds={"activity": 1},
            sets={"entity": "member-week", "week": week_key, "member_id": member_id},
        )
        return [self.write_update("plain", shard_update), self.write_update("plain", member_update)]

    def leadership_writes(self, community: Community, member_id: str, role: str) -> list[Write]:
        """Keep the community's set of leader ids in step with a member's role."""
        is_leader = member_id in community.leader_ids
        if (role == "leader") == is_leader:
            return []
        operation = "ADD" if role == "leader" else "DELETE"
        return [
            Write(
                "plain",
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": to_item(keys.community(community.community_id)),
                        "UpdateExpression": f"{operation} leader_ids :ids",
                        "ExpressionAttributeValues": {":ids": to_value({member_id})},
                    }
                },
            )
        ]

    # ------------------------------------------------------------------ email ledger
    def claim_email(
        self,
        kind: str,
        community_id: str,
        recipient: str,
        period: str,
        now: datetime,
        lease: timedelta = timedelta(minutes=5),
    ) -> EmailClaim | None:
        """Claim the one email (kind, community, recipient, period). None: it was already sent.

        A claim whose sender died is taken over once its lease has run out.
        """
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
            self.call("update_item", **update.expression(self.table_name))
            return claim
        except Exception as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
        current = self.get(key) or {}
        if current.get("status") in ("sent", "refused"):
            return None
        raise Transient("Another worker is sending this email right now; retry after its lease.")

    def mark_email_sent(self, claim: EmailClaim, message_id: str, now: datetime) -> None:
        self._settle_email(claim, {"status": "sent", "sent_at": keys.iso(now), "message_id": message_id}, now)

    def mark_email_refused(self, claim: EmailClaim, reason: str, now: datetime) -> None:
        """SES refused this recipient: the email is settled (never retried) but was not sent."""
        self._settle_email(claim, {"status": "refused", "refused_at": keys.iso(now), "refusal": reason[:200]}, now)

    def _settle_email(self, claim: EmailClaim, sets: dict[str, Any], now: datetime) -> None:
        update = Update(
            claim.key,
            sets={**sets, "expires_at": int((now + LEDGER_RETENTION).timestamp())},
            removes=["lease_until"],
            condition="{claim_id} = :claim",
            condition_values={":claim": claim.claim_id},
        )
        self.call("update_item", **update.expression(self.table_name))

    def release_email(self, claim: EmailClaim) -> None:
        """Give a claim back after a failed send, so a retry may send it."""
        try:
            self.call(
                "delete_item",
                TableName=self.table_name,
                Key=to_item(claim.key),
                ConditionExpression="claim_id = :claim",
                ExpressionAttributeValues={":claim": to_value(claim.claim_id)},
            )
        except Exception as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise

    def email_status(self, kind: str, community_id: str, recipient: str, period: str) -> str | None:
        item = self.get(keys.ledger(kind, community_id, recipient, period))
        return item.get("status") if item else None


def _raise(error: Exception) -> Any:
    raise error


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def member_identity(community_id: str, member_id: str) -> dict[str, str]:
    return {"entity": "member", "community_id": community_id, "member_id": member_id}


_MISSING: Any = object()


def community_from_item(item: dict[str, Any]) -> Community:
    return Community.model_validate({**item, "leader_ids": frozenset(item.get("leader_ids", ()))})


def member_from_item(item: dict[str, Any]) -> Member:
    return Member.model_validate({**item, "role": item.get("role") or "member"})


def post_from_item(item: dict[str, Any]) -> Post:
    return Post.model_validate({**item, "repliers": frozenset(item.get("repliers", ()))})


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


def member_from_image(image: dict[str, Any]) -> Member:
    """A member from a stream record's NewImage (DynamoDB JSON)."""
    return member_from_item(from_item(image))


def wrap_client(wrapper: Any) -> None:
    """Build the store on `wrapper(client)` from now on (None: the plain client), e.g. a
    `cerchia.store.faults.TransactionConflicts` that makes DynamoDB's conflicts happen under moto."""
    kept = runtime.cache("store")
    kept.clear()
    if wrapper is not None:
        kept["wrapper"] = wrapper


def get_store() -> Store:
    """This environment's store (kept in `cerchia.runtime.cache("store")`, forgotten by `runtime.reset()`)."""
    kept = runtime.cache("store")
    if "store" not in kept:
        client = runtime.dynamodb()
        wrapper = kept.get("wrapper")
        kept["store"] = Store(wrapper(client) if wrapper else client, get_settings().table_name)
    return kept["store"]  # type: ignore[no-any-return]

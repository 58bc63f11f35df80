"""The Store: the public face of the single table that features, handlers and the CLI call.

It composes the repositories of the core aggregates (communities, member rows, posts, jobs, the email
ledger, week aggregates) over one `client.Table`; the other aggregates' repositories (polls, nudges,
digests, suppression, console, preferences, members) are modules of functions taking a `Store`.

Writes that belong together (an event's state change, its counters and its webhook-id record)
go in one transaction, so a retried delivery can neither double-count nor lose anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from cerchia import runtime
from cerchia.domain.models import Community, Member, Post
from cerchia.errors import ConditionFailed, Contended, InvalidInput
from cerchia.settings import get_settings
from cerchia.store import expressions, jobs, keys, weeks
from cerchia.store.backoff import Backoff
from cerchia.store.client import IngestOutcome, Table
from cerchia.store.communities import Communities, community_from_item
from cerchia.store.expressions import Guard, Update, Write, versioned
from cerchia.store.jobs import Job, Jobs, job_from_item
from cerchia.store.ledger import LEDGER_RETENTION, EmailClaim, Ledger
from cerchia.store.posts import Posts, post_from_item
from cerchia.store.roster import Roster, member_from_image, member_from_item, member_identity

if TYPE_CHECKING:
    from cerchia.domain.events import PlatformEvent
    from cerchia.store.projection import Projection

__all__ = [
    "COMMUNITY_CACHE_SECONDS",
    "LEDGER_RETENTION",
    "MAX_ATTEMPTS",
    "ConditionFailed",
    "Contended",
    "EmailClaim",
    "Guard",
    "IngestOutcome",
    "Job",
    "Store",
    "Update",
    "Write",
    "community_from_item",
    "error_code",
    "get_store",
    "job_from_item",
    "member_from_image",
    "member_from_item",
    "member_identity",
    "post_from_item",
    "versioned",
    "wrap_client",
]

MAX_ATTEMPTS = 5
# How long an execution environment trusts the community (secret, settings) it read: a rotated secret
# or a changed setting is seen within this time (a signature that fails on it re-reads at once).
COMMUNITY_CACHE_SECONDS = 60.0
_MISSING: Any = object()


class Store:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)
        self.table_name = table_name
        self.communities = Communities(self.table)
        self.roster = Roster(self.table)
        self.posts = Posts(self.table)
        self.jobs = Jobs(self.table)
        self.ledger = Ledger(self.table)
        # the clock and waits of retries and of the community cache (tests put a virtual clock here)
        self.backoff = Backoff()
        self._communities: dict[str, tuple[float, Community]] = {}
        self._local = threading.local()

    @property
    def client(self) -> Any:
        """The DynamoDB client the store was built on (maybe wrapped, see `wrap_client`)."""
        return self.table.client

    @cached_property
    def projection(self) -> Projection:
        """What applies platform events (built on the first event: other functions never load the event models).

        `cerchia.store.projection` depends on the small `EventStore` protocol (store/ingest.py), not on
        this module, so this import makes no cycle.
        """
        # deferred: only the ingest function needs the event models (pydantic), not the other cold starts
        from cerchia.store.projection import Projection

        return Projection(self)

    @property
    def prefetched(self) -> dict[tuple[str, str], dict[str, Any] | None]:
        """Items read with the community for the event this thread is ingesting (see cached_community)."""
        return getattr(self._local, "prefetched", {})

    @prefetched.setter
    def prefetched(self, items: dict[tuple[str, str], dict[str, Any] | None]) -> None:
        self._local.prefetched = items

    # ------------------------------------------------------------------ the table itself
    def get(self, key: dict[str, str], consistent: bool = True) -> dict[str, Any] | None:
        return self.table.get(key, consistent=consistent)

    def call(self, operation: str, **request: Any) -> Any:
        return self.table.call(operation, **request)

    def query(self, **request: Any) -> Iterable[dict[str, Any]]:
        return self.table.query(**request)

    def transact(self, writes: list[Write], on_once_failed: Callable[[], Any] | None = None) -> Any:
        """Run writes as one transaction. Returns 'stored', or 'duplicate' when the webhook-id exists.

        Raises Contended (TransactionConflict: retry the same writes) or Conflict (a condition failed).
        """
        return self.table.transact(writes, on_once_failed)

    def batch_get(self, wanted: list[dict[str, str]]) -> list[dict[str, Any]]:
        backoff = self.backoff
        return self.table.batch_get(
            wanted,
            consistent=True,
            attempts=MAX_ATTEMPTS,
            wait=lambda attempt: backoff.sleep(backoff.delay(attempt)),
            unprocessed="DynamoDB left part of a read unprocessed; the platform should retry.",
        )

    def earliest(self, index: str, partition: str, value: str, sort_key: str) -> datetime | None:
        """The instant of the first item of a time-sorted index partition (None: it is empty)."""
        return jobs.earliest(self.table, index, partition, value, sort_key)

    def write_update(self, guard: Guard, update: Update) -> Write:
        return expressions.update(self.table_name, guard, update)

    def write_once(self, item: dict[str, Any]) -> Write:
        """A Put that only a first delivery makes (a reply, a reaction: never counted twice)."""
        return expressions.put_once(self.table_name, item)

    # ------------------------------------------------------------------ communities
    def create_community(self, community: Community) -> None:
        self.communities.create(community)

    def get_community(self, community_id: str) -> Community | None:
        return self.communities.get(community_id)

    def update_community_settings(self, community_id: str, settings: dict[str, Any]) -> None:
        self.forget_community(community_id)
        self.communities.update_settings(community_id, settings)

    def list_communities(self) -> list[Community]:
        """Every community, from the registry partition (a Query, never a Scan)."""
        found = (self.get_community(community_id) for community_id in self.communities.ids())
        return [community for community in found if community]

    def leaders(self, community: Community) -> list[Member]:
        """The community's active leaders, one per email address (reads only the leaders' rows)."""
        return self.roster.leaders(community)

    def leadership_writes(self, community: Community, member_id: str, role: str) -> list[Write]:
        """Keep the community's set of leader ids in step with a member's role."""
        return self.communities.leadership_writes(community, member_id, role)

    def cached_community(self, community_id: str, event_hint: Any = None) -> Community | None:
        """The community as read at most COMMUNITY_CACHE_SECONDS ago in this execution environment.

        When it must be read, what the event will need (`event_hint`: the body's type and data, not yet
        verified) is read in the same BatchGetItem: a cold environment makes two requests, not three.
        """
        now = self.backoff.monotonic()
        known = self._communities.get(community_id)
        if known is not None and now - known[0] < COMMUNITY_CACHE_SECONDS:
            return known[1]
        wanted = [keys.community(community_id), *reads_for_event(community_id, event_hint)]
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

    def fetch(self, key: dict[str, str]) -> dict[str, Any] | None:
        """An item, from what was read with the community for this event when it was, else a read."""
        found = self.prefetched.get((key["pk"], key["sk"]), _MISSING)
        return self.get(key) if found is _MISSING else found

    def forget_community(self, community_id: str) -> None:
        self._communities.pop(community_id, None)

    # ------------------------------------------------------------------ members
    def get_member(self, community_id: str, member_id: str) -> Member | None:
        return self.roster.get_member(community_id, member_id)

    def set_unsubscribed(self, community_id: str, member_id: str, unsubscribed: bool, now: datetime) -> None:
        self.roster.set_unsubscribed(community_id, member_id, unsubscribed, now)

    def members(self, community_id: str) -> Iterable[Member]:
        """Every member row of a community (fan-out reads scale with members, as they must)."""
        return self.roster.members(community_id)

    def member_name(self, community_id: str, member_id: str) -> str | None:
        """A member's display name (what this event's read brought, else one read of the name only)."""
        key = keys.member(community_id, member_id)
        if (key["pk"], key["sk"]) in self.prefetched:
            return str((self.prefetched[(key["pk"], key["sk"])] or {}).get("name") or "") or None
        return self.roster.member_name(community_id, member_id)

    def name_check(self, community_id: str, member_id: str, name: str | None) -> Write:
        """A ConditionCheck that the member's name is still `name` (None: no name, or no member row)."""
        return self.roster.name_check(community_id, member_id, name)

    # ------------------------------------------------------------------ posts and weeks
    def get_post(self, community_id: str, post_id: str) -> Post | None:
        return self.posts.get_post(community_id, post_id)

    def recent_posts(self, community_id: str, limit: int = 10) -> list[Post]:
        return self.posts.recent_posts(community_id, limit)

    def refresh_author_name(self, community_id: str, member_id: str, name: str) -> int:
        """Write a member's new name on their posts still waiting for an answer (what the nudges show)."""
        return self.posts.refresh_author_name(community_id, member_id, name)

    def week_counters(self, community_id: str, week_key: str) -> dict[str, Any]:
        """A community week's counters summed over their shards, with its active members and posters."""
        return weeks.week_counters(self.table, community_id, week_key)

    def activity_writes(
        self, community: Community, at: datetime, member_id: str, counters: dict[str, int]
    ) -> list[Write]:
        """Counter updates for the week of `at`: the community's (one shard) and the member's, marked active."""
        return weeks.activity_writes(self.table_name, community, at, member_id, counters)

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

    # ------------------------------------------------------------------ due work
    def schedule_job(
        self, kind: str, ref: str, community_id: str, due: datetime, payload: dict[str, Any] | None = None
    ) -> None:
        """Create or move the job (kind, ref) so the due sweep runs it at `due`."""
        self.jobs.schedule(kind, ref, community_id, due, payload)

    def get_job(self, kind: str, ref: str) -> Job | None:
        return self.jobs.get(kind, ref)

    def due_jobs(self, now: datetime, limit: int = 100) -> list[Job]:
        """The first `limit` jobs whose instant has come, oldest first (a Query on the sparse due index)."""
        found: list[Job] = []
        for job in self.due_job_pages(now, page_size=limit):
            found.append(job)
            if len(found) == limit:
                break
        return found

    def due_job_pages(self, now: datetime, page_size: int = 100) -> Iterable[Job]:
        """Every job due by `now`, oldest first, read a page at a time as the caller asks for more."""
        return self.jobs.due_pages(now, page_size)

    def next_job_due(self) -> datetime | None:
        """When the first pending job is due (None: no job is pending); one key read from the due index."""
        return self.earliest("due", "due_pk", keys.DUE, "due_at")

    def finish_job(self, job: Job, next_due: datetime | None, payload: dict[str, Any] | None = None) -> bool:
        """Reschedule (next_due) or delete a job, only if nobody moved it since it was read.

        A rescheduled job starts again with no failed attempts.
        """
        return self.jobs.finish(job, next_due, payload)

    def retry_job(self, job: Job, at: datetime, attempts: int, error: str) -> bool:
        """A failed job: due again at `at`, with its count of failed attempts and what went wrong last."""
        sets = {"due": keys.iso(at), "due_at": keys.due_at(at, job.kind, job.ref), "attempts": attempts}
        return self.jobs.move(job, {**sets, "last_error": error[:500]})

    def park_job(self, job: Job, attempts: int, error: str, now: datetime) -> bool:
        """A job that failed too often leaves the due work for the parked list (`cerchia jobs parked`)."""
        return self.jobs.move(
            job,
            {"due_pk": keys.PARKED_JOBS, "attempts": attempts, "last_error": error[:500], "parked_at": keys.iso(now)},
        )

    def parked_jobs(self) -> list[Job]:
        """Every parked job, oldest due first (a Query on the due index's parked partition)."""
        return self.jobs.parked()

    def requeue_job(self, kind: str, ref: str, now: datetime) -> Job | None:
        """Put a parked job back in the due work, due now with no failed attempts; None if it is not parked."""
        return self.jobs.requeue(kind, ref, now)

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
        return self.ledger.claim(kind, community_id, recipient, period, now, lease)

    def mark_email_sent(self, claim: EmailClaim, message_id: str, now: datetime) -> None:
        self.ledger.settle(claim, {"status": "sent", "sent_at": keys.iso(now), "message_id": message_id}, now)

    def mark_email_refused(self, claim: EmailClaim, reason: str, now: datetime) -> None:
        """SES refused this recipient: the email is settled (never retried) but was not sent."""
        self.ledger.settle(claim, {"status": "refused", "refused_at": keys.iso(now), "refusal": reason[:200]}, now)

    def release_email(self, claim: EmailClaim) -> None:
        """Give a claim back after a failed send, so a retry may send it."""
        self.ledger.release(claim)

    def email_status(self, kind: str, community_id: str, recipient: str, period: str) -> str | None:
        return self.ledger.status(kind, community_id, recipient, period)


def reads_for_event(community_id: str, event_hint: Any) -> list[dict[str, str]]:
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


def error_code(error: Exception) -> str:
    """The DynamoDB error code of a botocore ClientError ('' for anything else)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


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

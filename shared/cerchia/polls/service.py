"""The leader API's service: create a poll (safely retried with an Idempotency-Key) and read its summary."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from cerchia.domain.models import Community
from cerchia.domain.polls import NewPoll, Poll, PollSummary, build_poll
from cerchia.domain.tallies import summary
from cerchia.errors import AlreadyExists, InvalidInput, NotFound, Transient
from cerchia.store import get_store
from cerchia.store.polls import delete_poll, get_poll, put_poll

JOB_KIND = "poll"


def create_poll(community: Community, new_poll: NewPoll, now: datetime, idempotency_key: str | None = None) -> Poll:
    """Store the poll and schedule its job at send_at. Raises InvalidInput naming the fields.

    With an idempotency key (the `Idempotency-Key` header) the poll id comes from the key, so a
    client retrying the same request gets the same poll, never a second one.
    """
    store = get_store()
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 128:
        raise InvalidInput("The Idempotency-Key header must be 1 to 128 characters.", {"Idempotency-Key": "length"})
    poll_id = "p_" + (
        hashlib.sha256(f"{community.community_id}\n{idempotency_key}".encode()).hexdigest()[:12]
        if idempotency_key
        else secrets.token_hex(6)
    )
    poll = build_poll(community.community_id, poll_id, new_poll, now).model_copy(
        update={"request_digest": request_digest(new_poll)}
    )
    try:
        put_poll(store, poll)
    except AlreadyExists:
        existing = get_poll(store, community.community_id, poll_id)
        if existing is None or not _same_request(existing, new_poll, poll):
            raise InvalidInput(
                "This Idempotency-Key was already used for another poll; use a new key for a new poll.",
                {"Idempotency-Key": "already used for another poll"},
            ) from None
        if existing.status == "scheduled" and store.get_job(JOB_KIND, poll_id) is None:
            # the first attempt stored the poll but died before scheduling it
            store.schedule_job(JOB_KIND, poll_id, community.community_id, existing.send_at)
        return existing
    try:
        store.schedule_job(JOB_KIND, poll.poll_id, community.community_id, poll.send_at)
    except Exception:
        # A poll nobody would ever send must not stay behind.
        delete_poll(store, community.community_id, poll.poll_id)
        raise Transient("The poll could not be scheduled; please create it again.") from None
    return poll


def request_digest(new_poll: NewPoll) -> str:
    """A fingerprint of every field of a create request, as validated (so `+01:00` and `Z` spellings agree)."""
    return hashlib.sha256(new_poll.model_dump_json().encode()).hexdigest()


def _same_request(existing: Poll, new_poll: NewPoll, poll: Poll) -> bool:
    """Whether a retried create asks for exactly the poll stored under its Idempotency-Key, send_at included."""
    if existing.request_digest:
        return existing.request_digest == poll.request_digest
    # polls stored before the fingerprint: compare what they kept
    same = ("question", "options", "kind", "close_at", "anonymous", "scale_labels")
    sent_at_asked = new_poll.send_at is None or max(new_poll.send_at, existing.created_at or new_poll.send_at) == (
        existing.send_at
    )
    return sent_at_asked and all(getattr(existing, name) == getattr(poll, name) for name in same)


def poll_summary(community: Community, poll_id: str, now: datetime) -> PollSummary:
    poll = get_poll(get_store(), community.community_id, poll_id)
    if poll is None:
        raise NotFound(f"There is no poll {poll_id} in this community.")
    return summary(poll, now)

"""Polls in the table: the poll item (with its tallies), ballots, has-voted markers.

A ballot and the poll's counters change in one transaction, guarded so that a member has one
ballot per poll even when they submit twice at once, and so that nothing is counted after close.
Each option's counter is its own attribute (`v0`..`v9`), so changing an answer moves counters
with a single `ADD`.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from cerchia.clock import parse_instant
from cerchia.domain.ballots import vote_deltas
from cerchia.domain.polls import Ballot, Poll
from cerchia.errors import AlreadyExists, ConditionFailed, Conflict, Transient
from cerchia.store import keys
from cerchia.store.codec import readable, to_value
from cerchia.store.expressions import Update, Write, versioned
from cerchia.store.table import Store

# Many members answering at once all touch the poll item: conflicts are expected, and retried.
VOTE_ATTEMPTS = 12
_DATES = ("send_at", "close_at", "created_at", "sent_at", "announced_at", "reminded_at", "closed_at", "reported_at")

# Who answered what is kept this long after the poll closes, then DynamoDB's TTL removes the ballots
# and markers; the poll item (question and tallies) stays for the leader.
BALLOT_RETENTION = timedelta(days=400)

VoteOutcome = Literal["recorded", "changed", "unchanged", "already-voted", "closed"]


def _counter(index: int) -> str:
    return f"v{index}"


def _poll_item(poll: Poll) -> dict[str, Any]:
    item: dict[str, Any] = {
        **keys.poll(poll.community_id, poll.poll_id),
        "entity": "poll",
        **poll.model_dump(mode="json", exclude={"votes"}),
        "timeline_pk": keys.poll_timeline(poll.community_id),
        "timeline_at": keys.poll_timeline_at(poll.close_at, poll.poll_id),
        "version": 1,
    }
    for field in _DATES:
        if getattr(poll, field) is not None:
            item[field] = keys.iso(getattr(poll, field))
    for index, count in enumerate(poll.votes or (0,) * len(poll.options)):
        item[_counter(index)] = count
    return item


def _poll(item: dict[str, Any]) -> Poll:
    options = tuple(item["options"])
    values = {key: item.get(key) for key in Poll.model_fields if key in item and key != "votes"}
    for field in _DATES:
        values[field] = parse_instant(item.get(field))
    values["votes"] = tuple(int(item.get(_counter(index), 0)) for index in range(len(options)))
    values["options"] = options
    if item.get("scale_labels"):
        values["scale_labels"] = tuple(item["scale_labels"])
    return Poll.model_validate(values)


def put_poll(store: Store, poll: Poll) -> None:
    try:
        store.table.put_once(_poll_item(poll))
    except AlreadyExists:
        raise AlreadyExists(f"Poll {poll.poll_id} already exists.") from None


def delete_poll(store: Store, community_id: str, poll_id: str) -> None:
    store.table.delete(keys.poll(community_id, poll_id))


def get_poll(store: Store, community_id: str, poll_id: str) -> Poll | None:
    item = store.get(keys.poll(community_id, poll_id))
    return _poll(item) if item and item.get("entity") == "poll" else None


def open_poll(store: Store, poll: Poll, eligible: int, now: datetime) -> None:
    """scheduled -> open, with the number of members who may answer. A second call changes nothing."""
    _mark(
        store,
        poll,
        {"status": "open", "eligible": eligible, "sent_at": keys.iso(now)},
        "{status} = :scheduled",
        {":scheduled": "scheduled"},
    )


def close_poll(store: Store, poll: Poll, now: datetime) -> None:
    _mark(store, poll, {"status": "closed", "closed_at": keys.iso(now)}, "{status} = :open", {":open": "open"})


def mark_step(
    store: Store, poll: Poll, step: Literal["announced_at", "reminded_at", "reported_at"], now: datetime
) -> None:
    """Remember that a step's emails were queued (the first time only)."""
    update = Update(keys.poll(poll.community_id, poll.poll_id), set_if_absent={step: keys.iso(now)})
    update.condition = "attribute_exists({pk})"
    store.table.update(update)


def _mark(store: Store, poll: Poll, sets: dict[str, Any], condition: str, values: dict[str, Any]) -> None:
    update = Update(keys.poll(poll.community_id, poll.poll_id), sets=sets, condition=condition, condition_values=values)
    with contextlib.suppress(ConditionFailed):  # already moved on: a second call changes nothing
        store.table.update(update)


def polls_closing(store: Store, community_id: str, start: datetime, end: datetime | None = None) -> list[Poll]:
    """This community's polls whose close_at is in [start, end) (end None: any time after start), by close."""
    condition = "timeline_pk = :pk AND timeline_at >= :start"
    values = {":pk": to_value(keys.poll_timeline(community_id)), ":start": to_value(keys.iso(start))}
    if end is not None:
        condition = "timeline_pk = :pk AND timeline_at BETWEEN :start AND :end"
        values[":end"] = to_value(keys.iso(end))
    found = [
        readable(_poll, item, "poll")
        for item in store.query(
            IndexName="timeline", KeyConditionExpression=condition, ExpressionAttributeValues=values
        )
    ]
    return [poll for poll in found if poll is not None and (end is None or poll.close_at < end)]


# ---------------------------------------------------------------------- ballots


def get_ballot(store: Store, community_id: str, poll_id: str, member_id: str) -> Ballot | None:
    item = store.get(keys.ballot(community_id, poll_id, member_id))
    if not item:
        return None
    return Ballot(
        member_id=member_id,
        choices=tuple(int(choice) for choice in item.get("choices", [])),
        version=int(item.get("version", 0)),
        cast_at=parse_instant(item.get("cast_at")),
        changed_at=parse_instant(item.get("changed_at")),
    )


def has_voted(store: Store, poll: Poll, member_id: str) -> bool:
    key = (keys.voted_marker if poll.anonymous else keys.ballot)(poll.community_id, poll.poll_id, member_id)
    return store.get(key) is not None


def voter_ids(store: Store, poll: Poll) -> list[str]:
    """Who answered (never what: markers of anonymous polls hold no choice)."""
    rows = store.query(
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": to_value(keys.poll_voters(poll.community_id, poll.poll_id))},
        ProjectionExpression="sk",
    )
    return [keys.voter_id(row["sk"]) for row in rows]


def record_vote(
    store: Store,
    poll: Poll,
    member_id: str,
    choices: tuple[int, ...],
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
) -> VoteOutcome:
    """Record (or change) a member's answer and move the tallies with it, atomically.

    'already-voted': an anonymous poll the member has answered (its answers never change).
    'closed': the poll no longer takes answers. Concurrent submissions are retried on the
    latest state, so one member never holds two ballots and no vote is counted twice.
    """
    for attempt in range(VOTE_ATTEMPTS):
        try:
            if poll.anonymous:
                return _vote_anonymously(store, poll, member_id, choices, now)
            return _vote_by_name(store, poll, member_id, choices, now)
        except Conflict:
            current = get_poll(store, poll.community_id, poll.poll_id)
            if current is None or current.status != "open" or now >= current.close_at:
                return "closed"
        except Transient:
            pass
        # full jitter, capped: 20 ms, 40 ms ... up to 1 s
        sleep(random.uniform(0, min(1.0, 0.02 * 2**attempt)))
    raise Transient("Too many answers are arriving at once; please send yours again in a moment.")


def _tally_update(store: Store, poll: Poll, deltas: dict[int, int], new_ballot: bool, now: datetime) -> Write:
    adds: dict[str, Any] = {_counter(index): delta for index, delta in sorted(deltas.items())}
    if new_ballot:
        adds["ballots"] = 1
    update = Update(
        keys.poll(poll.community_id, poll.poll_id),
        adds=adds,
        condition="{status} = :open AND close_at > :now",
        condition_values={":open": "open", ":now": keys.iso(now)},
    )
    return store.write_update("plain", update)


def _activity(store: Store, poll: Poll, member_id: str, now: datetime) -> list[Write]:
    """A first ballot makes the voter an active member of the community's week (the leader digest counts them)."""
    community = store.get_community(poll.community_id)
    return store.activity_writes(community, now, member_id, {"poll_votes": 1}) if community else []


def _vote_by_name(store: Store, poll: Poll, member_id: str, choices: tuple[int, ...], now: datetime) -> VoteOutcome:
    existing = get_ballot(store, poll.community_id, poll.poll_id, member_id)
    key = keys.ballot(poll.community_id, poll.poll_id, member_id)
    if existing is None:
        ballot = {
            **key,
            "entity": "ballot",
            "member_id": member_id,
            "choices": list(choices),
            "cast_at": keys.iso(now),
            "version": 1,
            "expires_at": _ballot_expiry(poll),
        }
        write = store.write_once(ballot)
        tally = _tally_update(store, poll, vote_deltas((), choices), True, now)
        # The same member submitting twice at once: the loser retries and finds the winner's ballot.
        outcome = store.transact(
            [write, tally, *_activity(store, poll, member_id, now)], on_once_failed=lambda: "lost-race"
        )
        if outcome == "lost-race":
            raise Transient("Another submission of this member's answer was recorded first.")
        return "recorded"
    if existing.choices == choices:
        return "unchanged"
    update = versioned(
        Update(key, sets={"choices": list(choices), "changed_at": keys.iso(now)}),
        existing.version,
    )
    tally = _tally_update(store, poll, vote_deltas(existing.choices, choices), False, now)
    store.transact([store.write_update("versioned", update), tally])
    return "changed"


def _vote_anonymously(store: Store, poll: Poll, member_id: str, choices: tuple[int, ...], now: datetime) -> VoteOutcome:
    # Only that the member answered: no choice, no time (which could be matched with the tallies' changes).
    marker = {
        **keys.voted_marker(poll.community_id, poll.poll_id, member_id),
        "entity": "voted",
        "expires_at": _ballot_expiry(poll),
    }
    write = store.write_once(marker)
    tally = _tally_update(store, poll, vote_deltas((), choices), True, now)
    outcome = store.transact(
        [write, tally, *_activity(store, poll, member_id, now)], on_once_failed=lambda: "already-voted"
    )
    return "already-voted" if outcome == "already-voted" else "recorded"


def _ballot_expiry(poll: Poll) -> int:
    """Epoch seconds (DynamoDB TTL) when a ballot or has-voted marker of this poll may go."""
    return int((poll.close_at + BALLOT_RETENTION).timestamp())

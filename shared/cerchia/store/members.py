"""A member's whole life in the table: brought in by an import, erased on request, shown on request.

Import writes the member row as a join would, marked with the imported membership so that the
welcome consumer (which reads that row from the stream) sends nothing. Erase deletes, within the
request, everything that names or reaches the member: their row, email ledger, member weeks,
ballots and has-voted markers, newcomer marker; it leaves aggregates (week counters, poll tallies)
and the platform's content (posts, replies, reactions, by member id). Every read is a GetItem or a
Query of the community's own collection: no Scan.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from cerchia.domain.members import ImportedMember
from cerchia.domain.models import Community
from cerchia.errors import ConditionFailed, Conflict, Transient
from cerchia.store import keys
from cerchia.store.codec import to_value
from cerchia.store.expressions import Update, versioned
from cerchia.store.roster import member_identity
from cerchia.store.suppression import is_suppressed
from cerchia.store.table import MAX_ATTEMPTS, Store

ImportOutcome = Literal["imported", "already-there"]
# Attributes of a member row that are about the member (the rest is bookkeeping).
_INTERNAL = {"pk", "sk", "entity", "version", "community_id"}


def import_member(store: Store, community: Community, member: ImportedMember, now: datetime) -> ImportOutcome:
    """Make the member active without a welcome; an active member is left as they are."""
    cid = community.community_id
    for _ in range(MAX_ATTEMPTS):
        existing = store.get_member(cid, member.member_id)
        if existing is not None and existing.status == "active":
            return "already-there"
        started = member.joined_at or now
        profile = member.model_dump(exclude={"member_id", "joined_at"}, exclude_none=True)
        update = Update(
            keys.member(cid, member.member_id),
            sets={
                **member_identity(cid, member.member_id),
                **profile,
                "status": "active",
                "joined_at": keys.iso(started),
                "membership_started_at": keys.iso(started),
                "imported_membership": keys.iso(started),
                "imported_at": keys.iso(now),
                "updated_at": keys.iso(now),
            },
            removes=["left_at"],
        )
        writes = [
            store.write_update("versioned", versioned(update, existing.version if existing else None)),
            *store.leadership_writes(community, member.member_id, member.role),
        ]
        try:
            store.transact(writes)
            return "imported"
        except Conflict:
            continue
    raise Transient(f"Member {member.member_id} kept changing during the import; run it again.")


def _collection(store: Store, pk: str, prefix: str, **filters: Any) -> Iterable[dict[str, Any]]:
    request: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": to_value(pk), ":prefix": to_value(prefix)},
    }
    if filters:
        request["FilterExpression"] = " AND ".join(f"#f{i} = :f{i}" for i in range(len(filters)))
        request["ExpressionAttributeNames"] = {f"#f{i}": name for i, name in enumerate(filters)}
        request["ExpressionAttributeValues"] |= {f":f{i}": to_value(v) for i, v in enumerate(filters.values())}
    return store.query(**request)


def _ledger(store: Store, community_id: str, member_id: str) -> list[dict[str, Any]]:
    return list(
        store.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": to_value(keys.ledger_pk(community_id, member_id))},
        )
    )


def _member_weeks(store: Store, community_id: str, member_id: str) -> list[dict[str, Any]]:
    suffix = keys.member_week_suffix(member_id)
    rows = _collection(store, keys.community_pk(community_id), keys.WEEKS_PREFIX, member_id=member_id)
    return [row for row in rows if row["sk"].endswith(suffix)]


def _votes(store: Store, community_id: str, member_id: str) -> list[dict[str, Any]]:
    """The member's ballots (named polls) and has-voted markers (anonymous polls)."""
    found = []
    for poll in _collection(store, keys.community_pk(community_id), keys.POLLS_PREFIX, entity="poll"):
        poll_id = keys.poll_id_of(poll["sk"])
        for key in (keys.ballot(community_id, poll_id, member_id), keys.voted_marker(community_id, poll_id, member_id)):
            item = store.get(key)
            if item:
                found.append({**item, "poll_id": poll_id, "question": poll.get("question")})
    return found


def _delete(store: Store, item: dict[str, Any]) -> None:
    store.table.delete({"pk": item["pk"], "sk": item["sk"]})


def erase_member(store: Store, community: Community, member_id: str) -> None:
    """Remove every personal datum of the member from the community; a second erase does nothing."""
    cid = community.community_id
    for item in [
        *_ledger(store, cid, member_id),
        *_member_weeks(store, cid, member_id),
        *_votes(store, cid, member_id),
    ]:
        _delete(store, item)
    for key in (keys.newcomer_noticed(cid, member_id), keys.member(cid, member_id)):
        store.table.delete(key)
    for prefix in (keys.DIGEST_SNAPSHOTS_PREFIX, keys.NUDGE_QUEUES_PREFIX):
        for item in _collection(store, keys.community_pk(cid), prefix):
            _scrub(store, item, member_id)
    # their posts keep their platform ids (aggregates), never the name copied onto them at ingest
    for post in _collection(store, keys.community_pk(cid), keys.POSTS_PREFIX, author_id=member_id):
        if post.get("author_name"):
            update = Update(
                {"pk": post["pk"], "sk": post["sk"]}, removes=["author_name"], condition="attribute_exists({pk})"
            )
            store.table.update(update)
    leadership = store.leadership_writes(community, member_id, "member")
    if leadership:
        store.transact(leadership)


def _without(value: Any, member_id: str) -> Any:
    """A copy of a stored value with the member's entries dropped and their name blanked as an author."""
    if isinstance(value, list):
        return [_without(v, member_id) for v in value if not (isinstance(v, dict) and v.get("member_id") == member_id)]
    if isinstance(value, dict):
        copy = {k: _without(v, member_id) for k, v in value.items()}
        if copy.get("author_id") == member_id:
            copy |= {name: "" for name in ("author_name", "author") if name in copy}
        return copy
    return value


def _scrub(store: Store, item: dict[str, Any], member_id: str) -> None:
    """Take the member's name out of an item that copied it (digest snapshot, nudge queue)."""
    changed = {
        name: cleaned
        for name, value in item.items()
        if name not in ("pk", "sk") and (cleaned := _without(value, member_id)) != value
    }
    if changed:
        update = Update({"pk": item["pk"], "sk": item["sk"]}, sets=changed, condition="attribute_exists({pk})")
        with contextlib.suppress(ConditionFailed):  # the item went away meanwhile
            store.table.update(update)


def member_record(store: Store, community: Community, member_id: str) -> dict[str, Any] | None:
    """Every personal datum held on the member, or None when Cerchia holds nothing on them."""
    cid, pk = community.community_id, keys.community_pk(community.community_id)
    row = store.get(keys.member(cid, member_id))
    profile = {k: v for k, v in (row or {}).items() if k not in _INTERNAL}
    record: dict[str, Any] = {
        "member_id": member_id,
        "profile": profile or None,
        "emails": [
            {k: item.get(k) for k in ("kind", "status", "sent_at")} | {"period": item["sk"].split("#", 1)[1]}
            for item in _ledger(store, cid, member_id)
        ],
        "weeks": [
            {"week": item.get("week"), **{k: v for k, v in item.items() if k.endswith("_received")}}
            for item in _member_weeks(store, cid, member_id)
        ],
        "votes": [
            {"poll_id": vote["poll_id"], "question": vote.get("question"), "choices": vote.get("choices")}
            for vote in _votes(store, cid, member_id)
        ],
        "posts": [p["post_id"] for p in _collection(store, pk, keys.POSTS_PREFIX, author_id=member_id)],
        "replies": [
            r["sk"].removeprefix(keys.REPLIES_PREFIX)
            for r in _collection(store, pk, keys.REPLIES_PREFIX, author_id=member_id)
        ],
        "reactions": [r["post_id"] for r in _collection(store, pk, keys.REACTIONS_PREFIX, member_id=member_id)],
        "suppressed": bool(profile.get("email")) and is_suppressed(store, str(profile["email"])),
        "noticed_as_newcomer": store.get(keys.newcomer_noticed(cid, member_id)) is not None,
        # digest snapshots and leaders' nudge queues that copied the member's name
        "named_in": [
            item["sk"]
            for prefix in (keys.DIGEST_SNAPSHOTS_PREFIX, keys.NUDGE_QUEUES_PREFIX)
            for item in _collection(store, pk, prefix)
            if _without(item, member_id) != item
        ],
    }
    held = any(
        record[name] for name in ("profile", "emails", "weeks", "votes", "posts", "replies", "reactions", "named_in")
    )
    return record if held else None

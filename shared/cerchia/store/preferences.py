"""Saving a member's choices from the preference page: one conditional update of the member row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cerchia.domain.models import Member
from cerchia.domain.preferences import Choices
from cerchia.errors import ConditionFailed, Conflict, NotFound
from cerchia.store import keys
from cerchia.store.expressions import Update, versioned
from cerchia.store.table import Store


def save_choices(store: Store, member: Member, choices: Choices, now: datetime) -> None:
    """Write the choices if the row is still the version read (raises Conflict) and still exists (NotFound).

    The version is bumped, so an ingest that read the row before this write retries instead of
    writing over it.
    """
    sets: dict[str, Any] = {
        "unsubscribed": not choices.emails,
        "digest": choices.digest,
        "polls": choices.polls,
        "locale": choices.locale,
        "preferences_changed_at": keys.iso(now),
    }
    removes: list[str] = []
    if member.role == "leader":
        if choices.nudges is not None:
            sets["nudges"] = choices.nudges
        if choices.quiet_hours is None:
            removes = ["quiet_start_hour", "quiet_end_hour"]
        else:
            sets["quiet_start_hour"], sets["quiet_end_hour"] = choices.quiet_hours
    # Member rows are always versioned (ingest and community creation write version >= 1).
    update = versioned(
        Update(keys.member(member.community_id, member.member_id), sets=sets, removes=removes), member.version
    )
    try:
        store.table.update(update)
    except ConditionFailed:
        if store.get_member(member.community_id, member.member_id) is None:
            raise NotFound(member.member_id) from None
        raise Conflict("The member's row changed since it was read.") from None

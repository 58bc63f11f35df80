"""Member rows: one per member of a community (`keys.member`), written by ingest, read everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from cerchia.domain.models import Community, Member
from cerchia.errors import ConditionFailed, NotFound
from cerchia.store import keys
from cerchia.store.client import Table
from cerchia.store.codec import from_item, readable, to_item, to_value
from cerchia.store.expressions import Update, Write


def member_identity(community_id: str, member_id: str) -> dict[str, str]:
    return {"entity": "member", "community_id": community_id, "member_id": member_id}


def member_from_item(item: dict[str, Any]) -> Member:
    return Member.model_validate({**item, "role": item.get("role") or "member"})


def member_from_image(image: dict[str, Any]) -> Member:
    """A member from a stream record's NewImage (DynamoDB JSON)."""
    return member_from_item(from_item(image))


class Roster:
    """The member rows of every community."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get_member(self, community_id: str, member_id: str) -> Member | None:
        item = self.table.get(keys.member(community_id, member_id))
        return readable(member_from_item, item, "member") if item else None

    def set_unsubscribed(self, community_id: str, member_id: str, unsubscribed: bool, now: datetime) -> None:
        update = Update(
            keys.member(community_id, member_id),
            sets={"unsubscribed": unsubscribed, "preferences_changed_at": keys.iso(now)},
            condition="attribute_exists({pk})",
        )
        try:
            self.table.update(update)
        except ConditionFailed:
            raise NotFound(member_id) from None

    def members(self, community_id: str) -> Iterator[Member]:
        """Every member row of a community (fan-out reads scale with members, as they must)."""
        for item in self.table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
            ExpressionAttributeValues={
                ":pk": to_value(keys.community(community_id)["pk"]),
                ":m": to_value(keys.members_prefix()),
            },
        ):
            member = readable(member_from_item, item, "member")
            if member is not None:
                yield member

    def leaders(self, community: Community) -> list[Member]:
        """The community's active leaders, one per email address (reads only the leaders' rows)."""
        found: dict[str, Member] = {}
        for member_id in sorted(community.leader_ids | {keys.FOUNDER}):
            member = self.get_member(community.community_id, member_id)
            if member and member.status == "active" and member.role == "leader" and member.email:
                found.setdefault(member.email.lower(), member)
        return list(found.values())

    def member_name(self, community_id: str, member_id: str) -> str | None:
        """A member's display name (one eventually consistent read of the member row's name only)."""
        item = self.table.get(keys.member(community_id, member_id), attributes=["name"]) or {}
        return str(item["name"]) if item.get("name") else None

    def name_check(self, community_id: str, member_id: str, name: str | None) -> Write:
        """A ConditionCheck that the member's name is still `name` (None: no name, or no member row)."""
        check: dict[str, Any] = {
            "TableName": self.table.name,
            "Key": to_item(keys.member(community_id, member_id)),
            "ConditionExpression": "#n = :n" if name else "attribute_not_exists(#n)",
            "ExpressionAttributeNames": {"#n": "name"},
        }
        if name:
            check["ExpressionAttributeValues"] = {":n": to_value(name)}
        return Write("versioned", {"ConditionCheck": check})

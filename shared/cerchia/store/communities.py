"""Communities: the community item (settings, secrets, leader ids), its founder row and the registry of communities."""

from __future__ import annotations

from typing import Any

from cerchia.domain.models import Community
from cerchia.errors import AlreadyExists, ConditionFailed, InvalidInput, NotFound
from cerchia.store import expressions, keys
from cerchia.store.client import Table
from cerchia.store.codec import to_item, to_value
from cerchia.store.expressions import Update, Write
from cerchia.store.roster import member_identity


def community_from_item(item: dict[str, Any]) -> Community:
    return Community.model_validate({**item, "leader_ids": frozenset(item.get("leader_ids", ()))})


class Communities:
    """Every community's own item, and the registry partition that lists them (a Query, never a Scan)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def create(self, community: Community) -> None:
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

        def exists() -> Any:
            raise AlreadyExists(f"Community {community.community_id} already exists.")

        self.table.transact(
            [
                expressions.put_once(self.table.name, meta),
                expressions.put(self.table.name, registry),
                expressions.put(self.table.name, founder),
            ],
            on_once_failed=exists,
        )

    def get(self, community_id: str) -> Community | None:
        try:
            item = self.table.get(keys.community(community_id), consistent=False)
        except InvalidInput:
            return None  # an id no key can hold (far too long, say) names no community
        return community_from_item(item) if item else None

    def update_settings(self, community_id: str, settings: dict[str, Any]) -> None:
        update = Update(keys.community(community_id), sets=settings, condition="attribute_exists({pk})")
        try:
            self.table.update(update)
        except ConditionFailed:
            raise NotFound(community_id) from None

    def ids(self) -> list[str]:
        """Every community's id, from the registry partition."""
        return [
            str(row["community_id"])
            for row in self.table.query(
                KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": to_value(keys.COMMUNITIES)}
            )
        ]

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
                        "TableName": self.table.name,
                        "Key": to_item(keys.community(community.community_id)),
                        "UpdateExpression": f"{operation} leader_ids :ids",
                        "ExpressionAttributeValues": {":ids": to_value({member_id})},
                    }
                },
            )
        ]

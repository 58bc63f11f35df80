"""Posts: the post items ingest writes (with their reply and reaction counts), read by every feature."""

from __future__ import annotations

from typing import Any

from cerchia.domain.models import Post
from cerchia.errors import ConditionFailed
from cerchia.store import keys
from cerchia.store.client import Table
from cerchia.store.codec import readable, to_value
from cerchia.store.expressions import Update


def post_from_item(item: dict[str, Any]) -> Post:
    return Post.model_validate({**item, "repliers": frozenset(item.get("repliers", ()))})


def newest_post_items(table: Table, community_id: str, limit: int) -> list[dict[str, Any]]:
    """A community's newest `limit` post items (one Query on the timeline index, newest first)."""
    return table.query_page(
        IndexName="timeline",
        KeyConditionExpression="timeline_pk = :pk",
        ExpressionAttributeValues={":pk": to_value(keys.timeline_posts(community_id))},
        ScanIndexForward=False,
        Limit=limit,
    )


class Posts:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get_post(self, community_id: str, post_id: str) -> Post | None:
        item = self.table.get(keys.post(community_id, post_id))
        return post_from_item(item) if item else None

    def recent_posts(self, community_id: str, limit: int = 10) -> list[Post]:
        posts = (readable(post_from_item, item, "post") for item in newest_post_items(self.table, community_id, limit))
        return [post for post in posts if post is not None]

    def refresh_author_name(self, community_id: str, member_id: str, name: str) -> int:
        """Write a member's new name on their posts still waiting for an answer (what the nudges show)."""
        changed = 0
        for post in self.table.query(
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
                self.table.update(update)
                changed += 1
            except ConditionFailed:
                pass  # the post went away, or is no longer theirs
        return changed

"""What one sweep reads once and keeps: communities, their leaders, the names of posts' authors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from cerchia.domain.models import Community, Member
from cerchia.store import Store
from cerchia.store import nudges as nudge_store


@dataclass
class SweepReads:
    """What one sweep has read so far: communities, their leaders, authors' names (each read once)."""

    store: Store
    now: datetime
    communities: dict[str, Community | None] = field(default_factory=dict)
    leaders_of: dict[str, list[Member]] = field(default_factory=dict)
    names: dict[tuple[str, str], str] = field(default_factory=dict)

    def community(self, community_id: str) -> Community | None:
        if community_id not in self.communities:
            self.communities[community_id] = self.store.get_community(community_id)
        return self.communities[community_id]

    def leaders(self, community: Community) -> list[Member]:
        if community.community_id not in self.leaders_of:
            self.leaders_of[community.community_id] = self.store.leaders(community)
        return self.leaders_of[community.community_id]

    def author_names(self, community_id: str, member_ids: Iterable[str]) -> dict[str, str]:
        wanted = {member_id for member_id in member_ids if (community_id, member_id) not in self.names}
        if wanted:
            found = nudge_store.member_names(self.store, community_id, wanted)
            for member_id in wanted:
                self.names[(community_id, member_id)] = found.get(member_id, "")
        return {member_id: self.names[(community_id, member_id)] for member_id in member_ids}

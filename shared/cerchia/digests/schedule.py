"""When a community's digest round is due: scheduled when the community is created, moved when its
digest day, hour or time zone change (called by cerchia.communities)."""

from __future__ import annotations

from cerchia import clock
from cerchia.domain import digests as d
from cerchia.domain.models import Community
from cerchia.store import get_store

ROUND_JOB = "digest-week"  # one per community: the week's content, once; schedules the sends
SEND_JOB = "digest-send"  # one per distinct local digest instant of a week's readers
MEMBER_KIND = "digest"
LEADER_KIND = "leader-digest"


def schedule_first_digest(community: Community) -> None:
    """Put the community's first round in the due index (called once, when the community is created)."""
    week = d.first_round_week(community, community.created_at or clock.now())
    get_store().schedule_job(ROUND_JOB, community.community_id, community.community_id, d.round_opens(week, community))


def reschedule_round(before: Community, after: Community) -> None:
    """Move the pending round after the digest day, hour or time zone changed (same week, new instant)."""
    store = get_store()
    job = store.get_job(ROUND_JOB, after.community_id)
    if job is None:
        schedule_first_digest(after)
        return
    week = d.round_week(job.due, before.timezone)
    store.schedule_job(ROUND_JOB, after.community_id, after.community_id, d.round_opens(week, after))

"""The `welcome` job: a welcome SES could not send when the member joined, retried by the due sweep."""

from __future__ import annotations

from datetime import datetime

from cerchia.store.table import Job
from cerchia.welcome.service import send_welcome


def run_welcome_job(job: Job, now: datetime) -> datetime | None:
    """Send the kept welcome. Raises while SES still cannot send, so the sweep tries again later."""
    send_welcome(job.community_id, str(job.payload["member_id"]), now)
    return None

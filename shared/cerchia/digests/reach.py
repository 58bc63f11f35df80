"""Lost reach for the leader report: unsubscribes, bounces and suppressions, counted in their week.

Called where they are recorded (the unsubscribe and preference pages, SES feedback).
"""

from __future__ import annotations

from datetime import datetime

from cerchia.domain.models import Community
from cerchia.observability import logger
from cerchia.store import Store, weeks


def note_lost_reach(store: Store, community: Community, at: datetime, attribute: str, value: str) -> None:
    """Count an unsubscribe, a bounce or a suppression in the leader report of the week it happened in.

    Counting must never undo what was recorded: a failure here is logged and forgotten.
    """
    try:
        weeks.note_in_week(store.table, community, at, attribute, value)
    except Exception:
        logger().exception("could not count lost reach for the leader report", extra={"attribute": attribute})

"""The polls a digest shows, from the polls feature: closed in the week (results) and open now (buttons)."""

from __future__ import annotations

from datetime import datetime

from cerchia.domain.cards import PollCards
from cerchia.domain.models import Community
from cerchia.observability import logger
from cerchia.polls.cards import poll_cards
from cerchia.store import Store


def week_polls(
    store: Store, community: Community, start: datetime, end: datetime, member_id: str | None, now: datetime
) -> PollCards | None:
    """Polls closed in [start, end) and open now (with this member's vote links when `member_id` is given).

    A failure there is logged and the digest goes out without its poll section (None): polls are one
    part of the week, not a reason to hold back everything else.
    """
    try:
        return poll_cards(store, community, start, end, member_id, now)
    except Exception:
        logger().exception("polls for the digest failed; sending without them", extra={"member_id": member_id})
        return None

"""TEMPORARY, for this branch only: the integrator deletes this module.

It stands in for `cerchia.polls.cards.poll_cards` (written by the polls engineer at the same time)
until that exists, by reading today's `cerchia.polls.polls_for_digest` dicts into typed cards.
`cerchia.digests.poll_section` imports `poll_cards` from here; after the merge it imports it from
`cerchia.polls.cards`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cerchia.clock import parse_instant
from cerchia.domain.cards import PollCard, PollCards, PollOption
from cerchia.domain.models import Community
from cerchia.store import Store


def poll_cards(
    store: Store, community: Community, start: datetime, end: datetime, member_id: str | None, now: datetime
) -> PollCards:
    # inside the function: cerchia.polls (a module on this branch) imports cerchia.communities
    from cerchia.polls import polls_for_digest

    found = polls_for_digest(store, community, start, end, member_id, now)
    closed = [card for card in map(poll_card, found.get("closed") or []) if card]
    still_open = [card for card in map(poll_card, found.get("open") or []) if card]
    return PollCards(closed=closed, open=still_open)


def poll_card(poll: Mapping[str, Any]) -> PollCard | None:
    question = str(poll.get("question") or "").strip()
    raw_options = poll.get("options") or []
    if not question or not isinstance(raw_options, list):
        return None
    options: list[PollOption] = []
    for raw in raw_options:
        if isinstance(raw, Mapping):
            label = str(raw.get("label") or "").strip()
            votes = whole(raw.get("votes"))
            url = str(raw.get("url") or raw.get("vote_url") or "")
        else:
            label, votes, url = str(raw).strip(), 0, ""
        if label:
            options.append(PollOption(label=label, votes=votes, url=url))
    if not options:
        return None
    ballots = whole(poll.get("ballots"))
    total = ballots or sum(option.votes for option in options)
    options = [option.model_copy(update={"share": option.votes / total if total else 0.0}) for option in options]
    return PollCard(
        poll_id=str(poll.get("poll_id") or ""),
        question=question,
        kind=str(poll.get("kind") or "single"),
        options=options,
        ballots=ballots,
        eligible=whole(poll.get("eligible")),
        url=str(poll.get("url") or poll.get("ballot_url") or ""),
        voted=bool(poll.get("voted")),
        closed_at=instant(poll.get("closed_at")),
    )


def instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return parse_instant(value)
    except ValueError:
        return None


def whole(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0

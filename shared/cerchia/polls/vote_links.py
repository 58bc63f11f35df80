"""The signed link that opens a poll for one member, with one option chosen or none."""

from __future__ import annotations

from typing import Any

from cerchia.domain.polls import RESULTS_GRACE, VOTE_PATH, VOTE_PURPOSE, Poll
from cerchia.mail.compose import signed_link


def vote_url(poll: Poll, member_id: str, option: int | None) -> str:
    """A link that opens the poll for one member with one option chosen (None: nothing chosen yet)."""
    claims: dict[str, Any] = {"c": poll.community_id, "p": poll.poll_id, "m": member_id}
    if option is not None:
        claims["o"] = option
    return signed_link(VOTE_PURPOSE, VOTE_PATH, claims, poll.close_at + RESULTS_GRACE)

"""Who may answer a poll, who asked it, and how an answer is read and counted into the tallies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

from cerchia.domain.models import FOUNDER, Community, Member
from cerchia.domain.polls import NOTHING_CHOSEN, Poll
from cerchia.errors import InvalidInput


def eligible_voters(members: Iterable[Member], sent_at: datetime | None = None) -> list[Member]:
    """Active members (at `sent_at` when given), one per email address.

    The leader named when the community was created has a row of their own; when the platform
    also knows them under its own id, that one is kept, so their answer carries the platform's id.
    """
    chosen: dict[str, Member] = {}
    for member in members:
        if member.status != "active" or not member.email:
            continue
        if sent_at is not None and (member.membership_started_at or member.joined_at or sent_at) > sent_at:
            continue
        address = member.email.casefold()
        current = chosen.get(address)
        # FOUNDER is the row `cerchia community create` writes for the leader it names
        if current is None or (current.member_id == FOUNDER and member.member_id != FOUNDER):
            chosen[address] = member
    return sorted(chosen.values(), key=lambda m: m.member_id)


Eligibility = Literal["yes", "left", "late"]


def eligibility(member: Member, poll: Poll) -> Eligibility:
    """Whether a member may answer: they must still be a member, and have been one when the poll went out."""
    if member.status != "active":
        return "left"
    started = member.membership_started_at or member.joined_at
    if poll.sent_at is not None and started is not None and started > poll.sent_at:
        return "late"
    return "yes"


# ---------------------------------------------------------------------- answers


def parse_choices(poll: Poll, values: Sequence[str]) -> tuple[int, ...]:
    """The options chosen in a submitted form, or InvalidInput (nothing chosen, or not a real option)."""
    chosen: set[int] = set()
    for value in values:
        try:
            index = int(value)
        except ValueError:
            raise InvalidInput("That answer is not one of the poll's options.", {"choice": "unknown option"}) from None
        if not 0 <= index < len(poll.options):
            raise InvalidInput("That answer is not one of the poll's options.", {"choice": "unknown option"})
        chosen.add(index)
    if not chosen:
        raise InvalidInput("Choose an answer before confirming.", {"choice": NOTHING_CHOSEN})
    if poll.kind != "multiple" and len(chosen) > 1:
        raise InvalidInput("This poll takes one answer.", {"choice": "more than one answer"})
    return tuple(sorted(chosen))


def vote_deltas(before: Sequence[int], after: Sequence[int]) -> dict[int, int]:
    """How each option's counter moves when a ballot changes from `before` to `after` (zeros left out)."""
    deltas: dict[int, int] = {}
    for index in before:
        deltas[index] = deltas.get(index, 0) - 1
    for index in after:
        deltas[index] = deltas.get(index, 0) + 1
    return {index: delta for index, delta in deltas.items() if delta}


def asked_it(community: Community, poll: Poll, member: Member) -> bool:
    """Whether this member asked the poll: its author, or (no author given) the community's own leader.

    Whoever asked is not sent the poll or its reminder, only the results.
    """
    if poll.author_id:
        return member.member_id == poll.author_id
    if member.role != "leader":
        return False
    leader_email = community.leader_email.casefold()
    return member.member_id == FOUNDER or bool(leader_email and member.email.casefold() == leader_email)

"""What the weekly digest shows of polls, handed over as typed cards (`cerchia.domain.cards`).

Read from this community's polls only (no Scan): the results of polls closed in the digest's week,
and the polls taking answers now, with one vote link per option for a member who may answer.
"""

from __future__ import annotations

from datetime import datetime

from cerchia.domain.ballots import asked_it, eligibility
from cerchia.domain.cards import PollCard, PollCards, PollOption
from cerchia.domain.models import Community, Member
from cerchia.domain.polls import Poll, accepts_votes
from cerchia.domain.tallies import option_labels, tally
from cerchia.polls.vote_links import vote_url
from cerchia.store import Store
from cerchia.store.polls import has_voted, polls_closing


def poll_cards(
    store: Store, community: Community, start: datetime, end: datetime, member_id: str | None, now: datetime
) -> PollCards:
    """Polls for a digest of [start, end): closed in it and past (results), and open now (buttons).

    Open polls carry vote links (`url` per option and for the ballot) and `voted` only when
    `member_id` is given and that member may answer.
    """
    closed = [
        closed_card(poll) for poll in polls_closing(store, community.community_id, start, end) if poll.close_at <= now
    ]
    member = store.get_member(community.community_id, member_id) if member_id else None
    still_open = [
        open_card(store, community, poll, member)
        for poll in polls_closing(store, community.community_id, now)
        if accepts_votes(poll, now)
    ]
    return PollCards(closed=closed, open=still_open)


def closed_card(poll: Poll) -> PollCard:
    """A closed poll's results: votes per option, each option's share of the ballots."""
    counted = tally(poll)
    total = counted.ballots or sum(option.votes for option in counted.options)
    return PollCard(
        poll_id=poll.poll_id,
        question=poll.question,
        kind=poll.kind,
        options=[
            PollOption(label=option.label, votes=option.votes, share=option.votes / total if total else 0.0)
            for option in counted.options
        ],
        ballots=counted.ballots,
        eligible=counted.eligible,
        closed_at=poll.close_at,
    )


def open_card(store: Store, community: Community, poll: Poll, member: Member | None) -> PollCard:
    """An open poll, with this member's vote links when they may answer (none otherwise)."""
    voter = member if member and eligibility(member, poll) == "yes" and not asked_it(community, poll, member) else None
    return PollCard(
        poll_id=poll.poll_id,
        question=poll.question,
        kind=poll.kind,
        options=[
            PollOption(label=label, url=vote_url(poll, voter.member_id, index) if voter else "")
            for index, label in enumerate(option_labels(poll))
        ],
        url=vote_url(poll, voter.member_id, None) if voter else "",
        voted=has_voted(store, poll, voter.member_id) if voter else False,
    )

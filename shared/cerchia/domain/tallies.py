"""A poll's results: what each option is called, how many chose it, and what its leaders read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cerchia.domain.polls import OptionTally, Poll, PollSummary, status_at


def option_labels(poll: Poll) -> list[str]:
    """What each option is called where people read it; scale ends carry their labels ("1 – Not at all")."""
    if poll.kind != "scale" or poll.scale_labels is None:
        return list(poll.options)
    low, high = poll.scale_labels
    labels = list(poll.options)
    labels[0] = f"{labels[0]} – {low}"
    labels[-1] = f"{labels[-1]} – {high}"
    return labels


@dataclass(frozen=True)
class OptionResult:
    label: str
    votes: int
    # Share of the members who answered that chose this option (0-100; in multiple polls they add up to more).
    percent: int


@dataclass(frozen=True)
class Tally:
    options: tuple[OptionResult, ...]
    ballots: int
    eligible: int
    # ballots / eligible, 0..1
    participation: float
    # scale polls: the mean score (1-5), None without answers or for other kinds
    average: float | None

    @property
    def participation_percent(self) -> int:
        return round(self.participation * 100)

    @property
    def leading(self) -> tuple[str, ...]:
        """The labels with the most votes (none without votes)."""
        top = max((option.votes for option in self.options), default=0)
        return tuple(option.label for option in self.options if top and option.votes == top)


def tally(poll: Poll) -> Tally:
    votes: list[int] = [*poll.votes, *([0] * (len(poll.options) - len(poll.votes)))]
    ballots = max(poll.ballots, 0)
    results = tuple(
        OptionResult(label, max(count, 0), round(100 * max(count, 0) / ballots) if ballots else 0)
        for label, count in zip(option_labels(poll), votes, strict=False)
    )
    answers = sum(votes)
    average: float | None = None
    if poll.kind == "scale" and answers:
        average = round(sum((index + 1) * count for index, count in enumerate(votes)) / answers, 1)
    eligible = max(poll.eligible, 0)
    participation = min(1.0, ballots / eligible) if eligible else 0.0
    return Tally(results, ballots, eligible, participation, average)


def summary(poll: Poll, now: datetime) -> PollSummary:
    counted = tally(poll)
    return PollSummary(
        poll_id=poll.poll_id,
        question=poll.question,
        kind=poll.kind,
        status=status_at(poll, now),
        anonymous=poll.anonymous,
        send_at=poll.send_at,
        close_at=poll.close_at,
        eligible=counted.eligible,
        ballots=counted.ballots,
        participation=round(counted.participation, 4),
        options=[OptionTally(label=option.label, votes=option.votes) for option in counted.options],
    )

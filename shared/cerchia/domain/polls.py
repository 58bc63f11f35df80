"""Polls: what a leader asks, what members answer, and the pure rules between the two.

A poll moves scheduled -> open (at `send_at`, when it is emailed) -> closed (at `close_at`).
Members answer with ballots: one per member per poll, changeable until close, except in
anonymous polls, where only a "has voted" marker is kept apart from the tallies and an answer
cannot be changed. Tallies live on the poll itself and change in the same transaction as the
ballot, so they always add up.

This module holds the shapes (the API's, what is stored), creating a poll and its clock; who may
answer and how an answer is read are in `domain.ballots`, the results in `domain.tallies`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from cerchia.domain.events import AT_MOST_AHEAD, Instant, instant_problems
from cerchia.domain.text import clean_input
from cerchia.errors import InvalidInput

PollKind = Literal["single", "multiple", "scale"]
PollStatus = Literal["scheduled", "open", "closed"]

MIN_OPTIONS = 2
MAX_OPTIONS = 10
SCALE_POINTS = 5
# A poll runs at least an hour and at most three months.
MIN_DURATION = timedelta(hours=1)
MAX_DURATION = timedelta(days=90)
# Clocks disagree a little: a send_at this far in the past still means "now".
SEND_AT_TOLERANCE = timedelta(minutes=10)
REMINDER_BEFORE_CLOSE = timedelta(hours=24)
# A reminder right after the poll email would be noise: the poll must have been open this long first.
MIN_OPEN_BEFORE_REMINDER = timedelta(hours=12)
# Vote links keep working this long after close, to show the results.
RESULTS_GRACE = timedelta(days=30)
# What a vote link is signed for, and where it opens (cerchia.polls.vote_links, cerchia.polls.pages).
VOTE_PURPOSE = "vote"
VOTE_PATH = "/v/"
NOTHING_CHOSEN = "nothing chosen"

# NUL and bidi override/isolate characters are removed before the lengths are checked (domain/text.py).
Question = Annotated[
    str, BeforeValidator(clean_input), StringConstraints(strip_whitespace=True, min_length=3, max_length=300)
]
OptionLabel = Annotated[
    str, BeforeValidator(clean_input), StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
]


# ---------------------------------------------------------------------- the leader API's shapes


class NewPoll(BaseModel):
    """What a leader sends to create a poll."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        defer_build=True,
        json_schema_extra={
            "examples": [
                {
                    "question": "Which day suits you for the spring meetup?",
                    "options": ["Saturday morning", "Saturday afternoon", "Sunday morning"],
                    "kind": "single",
                    "send_at": "2026-11-26T09:00:00Z",
                    "close_at": "2026-11-30T18:00:00Z",
                    "anonymous": False,
                }
            ]
        },
    )

    question: Question = Field(description="What members are asked, 3 to 300 characters.")
    options: list[OptionLabel] = Field(
        min_length=MIN_OPTIONS,
        max_length=MAX_OPTIONS,
        description="The answers, 2 to 10, each different. For `scale`: exactly two, the labels of 1 and of 5.",
    )
    kind: PollKind = Field(
        default="single",
        description="`single`: one answer; `multiple`: any number of answers; `scale`: a score from 1 to 5.",
    )
    send_at: Instant | None = Field(
        default=None,
        description="When the poll is emailed to members (ISO 8601 with an offset). Omitted: as soon as possible.",
    )
    close_at: Instant = Field(
        description="When answers stop (ISO 8601 with an offset): at least an hour after send_at, at most 90 days."
    )
    anonymous: bool = Field(
        default=False,
        description="If true, nothing stored links a member to their answer, and answers cannot be changed.",
    )
    author_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)] | None = Field(
        default=None,
        description="The member who asks (a leader or a member, by the platform's member id). They get the "
        "results, not the poll or its reminder. Omitted: the community's leader asks.",
    )


class CreatedPoll(BaseModel):
    model_config = ConfigDict(defer_build=True)

    poll_id: str = Field(description="The new poll's id, for `GET .../polls/{poll_id}`.")


class OptionTally(BaseModel):
    model_config = ConfigDict(defer_build=True)

    label: str
    votes: int = Field(ge=0)


class PollSummary(BaseModel):
    """A poll as its leaders see it: never who answered what, only how many."""

    model_config = ConfigDict(defer_build=True)

    poll_id: str
    question: str
    kind: PollKind
    status: PollStatus
    anonymous: bool
    send_at: datetime
    close_at: datetime
    eligible: int = Field(ge=0, description="Members active when the poll was sent (0 until then).")
    ballots: int = Field(ge=0, description="Members who answered.")
    participation: float = Field(ge=0, le=1, description="ballots / eligible, 0 while nobody is eligible.")
    options: list[OptionTally]


class ApiError(BaseModel):
    model_config = ConfigDict(defer_build=True)

    error: str = Field(description="What was wrong and what to do, in a sentence.")
    fields: dict[str, str] = Field(default_factory=dict, description="Each field that was wrong, and why.")


# ---------------------------------------------------------------------- what is stored


class Poll(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    community_id: str
    poll_id: str
    question: str
    kind: PollKind
    options: tuple[str, ...]
    # scale polls: the labels of 1 and of 5
    scale_labels: tuple[str, str] | None = None
    anonymous: bool = False
    # who asked (None: the community's leader); they are not sent the poll, only its results
    author_id: str | None = None
    send_at: datetime
    close_at: datetime
    created_at: datetime | None = None
    status: PollStatus = "scheduled"
    eligible: int = 0
    ballots: int = 0
    votes: tuple[int, ...] = ()
    sent_at: datetime | None = None
    announced_at: datetime | None = None
    reminded_at: datetime | None = None
    closed_at: datetime | None = None
    reported_at: datetime | None = None
    # sha256 of the create request's fields (cerchia.polls.service.request_digest): an Idempotency-Key retry must match it
    request_digest: str = ""


class Ballot(BaseModel):
    """A member's answer in a poll that is not anonymous."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    member_id: str
    choices: tuple[int, ...]
    version: int = 0
    cast_at: datetime | None = None
    changed_at: datetime | None = None


# ---------------------------------------------------------------------- creating


def problems(new_poll: NewPoll, now: datetime) -> dict[str, str]:
    """What is wrong with a poll that each field alone cannot say (times, duplicates, scale labels)."""
    found: dict[str, str] = {}
    if new_poll.kind == "scale" and len(new_poll.options) != 2:
        found["options"] = "a scale poll takes exactly two options: the labels of 1 and of 5"
    seen: set[str] = set()
    for label in new_poll.options:
        if label.casefold() in seen:
            found["options"] = f"the option {label!r} appears twice; each answer must be different"
            break
        seen.add(label.casefold())
    # Before any arithmetic on them: an instant near year 9999 would overflow it.
    too_late = instant_problems(
        {"send_at": new_poll.send_at, "close_at": new_poll.close_at}, now + AT_MOST_AHEAD + MAX_DURATION
    )
    if new_poll.send_at is not None and new_poll.send_at > now + AT_MOST_AHEAD:
        too_late["send_at"] = "must be at most one year from now"
    if too_late:
        return found | too_late
    send_at = new_poll.send_at or now
    if send_at < now - SEND_AT_TOLERANCE:
        found["send_at"] = "must not be in the past (leave it out to send as soon as possible)"
    if new_poll.close_at < send_at + MIN_DURATION:
        found["close_at"] = "must be at least one hour after send_at"
    elif new_poll.close_at > send_at + MAX_DURATION:
        found["close_at"] = "must be at most 90 days after send_at"
    return found


def build_poll(community_id: str, poll_id: str, new_poll: NewPoll, now: datetime) -> Poll:
    """The poll to store, or InvalidInput naming every field that is wrong."""
    found = problems(new_poll, now)
    if found:
        raise InvalidInput(
            "The poll cannot be created: " + "; ".join(f"{k} {v}" for k, v in found.items()) + ".", found
        )
    if new_poll.kind == "scale":
        options: tuple[str, ...] = tuple(str(point) for point in range(1, SCALE_POINTS + 1))
        scale_labels: tuple[str, str] | None = (new_poll.options[0], new_poll.options[1])
    else:
        options, scale_labels = tuple(new_poll.options), None
    return Poll(
        community_id=community_id,
        poll_id=poll_id,
        question=new_poll.question,
        kind=new_poll.kind,
        options=options,
        scale_labels=scale_labels,
        anonymous=new_poll.anonymous,
        author_id=new_poll.author_id,
        send_at=max(new_poll.send_at or now, now),
        close_at=new_poll.close_at,
        created_at=now,
        votes=(0,) * len(options),
    )


# ---------------------------------------------------------------------- time


def status_at(poll: Poll, now: datetime) -> PollStatus:
    """The status members and leaders see: a poll past its close is closed, whatever the sweep has done."""
    if poll.status == "closed" or now >= poll.close_at:
        return "closed"
    return poll.status


def accepts_votes(poll: Poll, now: datetime) -> bool:
    return poll.status == "open" and now < poll.close_at


def reminder_at(poll: Poll) -> datetime | None:
    """When non-voters are reminded (24 h before close), or None for polls too short to need it."""
    instant = poll.close_at - REMINDER_BEFORE_CLOSE
    return instant if instant >= poll.send_at + MIN_OPEN_BEFORE_REMINDER else None


Step = Literal["open", "announce", "remind", "wait", "close", "report", "done"]


def next_step(poll: Poll, now: datetime) -> Step:
    """What the poll's job does now. Each step is done, then marked, so a retried job repeats nothing."""
    if poll.status == "scheduled":
        return "open"
    if poll.announced_at is None:
        return "announce"
    if now < poll.close_at:
        remind = reminder_at(poll)
        if remind is not None and poll.reminded_at is None and now >= remind:
            return "remind"
        return "wait"
    if poll.status != "closed":
        return "close"
    if poll.reported_at is None:
        return "report"
    return "done"


def next_due(poll: Poll, now: datetime) -> datetime | None:
    """When the poll's job should run again after this run (None: the poll is done)."""
    if poll.status == "closed" and poll.reported_at is not None:
        return None
    remind = reminder_at(poll)
    if remind is not None and poll.reminded_at is None and now < remind:
        return remind
    return poll.close_at if now < poll.close_at else now

"""The leader report's health figures for one community week, from its aggregates and the member rows.

Pure rules (docs/digests.md defines each figure): time and counters are passed in.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from cerchia.domain.cards import PollCard
from cerchia.domain.digests import WeekActivity, member_at, membership_start, week_bounds
from cerchia.domain.models import FOUNDER, Community, Member


def _answer_figures(
    activity: WeekActivity, as_of: datetime, threshold: int, gone: frozenset[str] = frozenset()
) -> tuple[int, int, float | None]:
    """(decided, answered within the threshold, median first reply) of a week's posts (`gone`: deleted)."""
    if activity.post_created is not None or activity.first_replies is not None:
        created = {post_id: at for post_id, at in (activity.post_created or {}).items() if post_id not in gone}
        answers = activity.first_replies or {}
        decided = answered_in_time = 0
        for post_id, created_epoch in created.items():
            seconds = answers.get(post_id)
            if seconds is not None:
                decided += 1
                answered_in_time += seconds <= threshold
            elif as_of.timestamp() - created_epoch >= threshold:
                decided += 1
        first_replies = [seconds for post_id, seconds in answers.items() if post_id in created]
        return decided, answered_in_time, float(statistics.median(first_replies)) if first_replies else None
    buckets = activity.first_reply_buckets or {}
    in_time = sum(count for bound, count in buckets.items() if bound <= threshold)
    return max(0, activity.posts - activity.undecided), in_time, activity.median_first_reply_seconds


def _waiting_figures(activity: WeekActivity, as_of: datetime, gone: frozenset[str]) -> tuple[int, int, float | None]:
    """(posts answered, posts still waiting, how long the oldest has waited) of a week's posts."""
    if activity.post_created is not None or activity.first_replies is not None:
        created = {post_id: at for post_id, at in (activity.post_created or {}).items() if post_id not in gone}
        answers = activity.first_replies or {}
        waited = [max(0.0, as_of.timestamp() - at) for post_id, at in created.items() if post_id not in answers]
        answered = sum(1 for post_id in answers if post_id in created)
        return answered, len(waited), max(waited) if waited else None
    oldest = activity.oldest_waiting_created
    return (
        activity.answered,
        activity.waiting,
        max(0.0, as_of.timestamp() - oldest) if oldest is not None and activity.waiting else None,
    )


class PollTally(BaseModel):
    """Participation in the polls that closed in a week."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    ballots: int = 0
    eligible: int = 0


class WeekHealth(BaseModel):
    """A community's health for one week, as the leader digest shows it (docs/digests.md defines each figure).

    The population is the same everywhere: everyone who is a member, leaders included, one person
    per email address (the leader named at creation and the same address joined from the platform are
    one person), exactly as polls count who is eligible.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    week: str
    posts: int = 0
    decided: int = 0  # posts answered, or whose answering time is over
    answered_in_time: int = 0
    answered: int = 0  # posts with a first reply by someone other than their author
    median_first_reply_seconds: float | None = None
    waiting: int = 0  # posts of the week with no reply yet, when the report was computed
    oldest_waiting_seconds: float | None = None
    active: int = 0
    members: int = 0
    newcomers: int = 0
    newcomers_posted: int = 0
    poll_ballots: int = 0
    poll_eligible: int = 0
    unsubscribes: int = 0
    bounces: int = 0
    suppressed: int = 0

    @property
    def answered_share(self) -> float | None:
        return self.answered_in_time / self.decided if self.decided else None

    @property
    def active_share(self) -> float | None:
        return self.active / self.members if self.members else None

    @property
    def poll_participation(self) -> float | None:
        return self.poll_ballots / self.poll_eligible if self.poll_eligible else None

    @property
    def lost_reach(self) -> int:
        return self.unsubscribes + self.bounces + self.suppressed

    @property
    def has_data(self) -> bool:
        """Whether anything happened this week (a week before the community came to Cerchia: nothing)."""
        return bool(self.posts or self.active or self.newcomers or self.poll_eligible or self.lost_reach)


def people(members: Iterable[Member]) -> list[Member]:
    """The report's population: one person per email address, the platform's row over the founder row."""
    chosen: dict[str, Member] = {}
    for member in members:
        address = member.email.casefold() if member.email else f"#{member.member_id}"
        current = chosen.get(address)
        if current is None or (current.member_id == FOUNDER and member.member_id != FOUNDER):
            chosen[address] = member
    return list(chosen.values())


def week_health(
    week_key: str,
    activity: WeekActivity,
    members: Sequence[Member],
    community: Community,
    as_of: datetime,
    polls: PollTally | None = None,
    gone: frozenset[str] = frozenset(),
) -> WeekHealth:
    """Health of one week from its aggregates and the member rows. `gone`: posts deleted since (not waiting)."""
    start, end = week_bounds(week_key, community.timezone)
    threshold = community.unanswered_after_hours * 3600
    decided, answered_in_time, median = _answer_figures(activity, as_of, threshold, gone)
    answered, waiting, oldest = _waiting_figures(activity, as_of, gone)
    everyone = people(members)
    at_end = {member.member_id for member in everyone if member_at(member, end)}
    # who joined during the week, whether they stayed or not (one who left without a word is a signal too)
    newcomers = {
        member.member_id
        for member in everyone
        if member.status != "provisional"
        and member.member_id != FOUNDER  # created with the community: not someone who joined
        and (started := membership_start(member)) is not None
        and start <= started < end
    }
    return WeekHealth(
        week=week_key,
        posts=activity.posts,
        decided=decided,
        answered_in_time=answered_in_time,
        answered=answered,
        median_first_reply_seconds=median,
        waiting=waiting,
        oldest_waiting_seconds=oldest,
        active=len(activity.active_members & at_end),
        members=len(at_end),
        newcomers=len(newcomers),
        newcomers_posted=len(newcomers & activity.posters),
        poll_ballots=polls.ballots if polls else 0,
        poll_eligible=polls.eligible if polls else 0,
        unsubscribes=len(activity.unsubscribed),
        bounces=len(activity.bounced),
        suppressed=len(activity.suppressed),
    )


def change(current: float | None, previous: float | None) -> float | None:
    """The change from last week, when both weeks have a value."""
    if current is None or previous is None:
        return None
    return current - previous


def bar_heights(values: Sequence[float | None], tallest: int = 40, scale: float | None = None) -> list[int | None]:
    """Pixel heights of a trend's bars: on a fixed scale (shares: 1.0) or against the largest value."""
    top = scale if scale is not None else max((value for value in values if value is not None), default=0.0)
    heights: list[int | None] = []
    for value in values:
        if value is None:
            heights.append(None)
        elif top <= 0:
            heights.append(2)
        else:
            heights.append(max(2, round(tallest * min(1.0, value / top))))
    return heights


def poll_tally(closed: Iterable[PollCard]) -> PollTally:
    cards = list(closed)
    return PollTally(ballots=sum(card.ballots for card in cards), eligible=sum(card.eligible for card in cards))

"""The leader report's health section: one line per metric, with the change from last week and eight
weeks of bars, in the reader's language (the figures themselves are cerchia.domain.health's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cerchia.digests.words import Words
from cerchia.domain import health as figures
from cerchia.domain.digest_content import Snapshot
from cerchia.domain.digests import week_bounds
from cerchia.domain.models import Community


@dataclass(frozen=True)
class TrendBar:
    height: int | None
    label: str
    text: str
    current: bool


@dataclass(frozen=True)
class Metric:
    """One line of the health report: the value, the change from last week, eight weeks of bars.

    `note` says more about the value (the posts still waiting beside the median); `bars` is empty in
    a community's first week, when the report says once that trends start next week.
    """

    name: str
    value: str
    change: str
    tone: str  # "good", "bad", "flat" or "none"
    bars: list[TrendBar]
    trend_text: str
    note: str = ""


@dataclass(frozen=True)
class Health:
    """The health section: who is counted, whether this is the first week, and the metrics with data."""

    population: str
    first_week: bool
    metrics: list[Metric]


def health_report(community: Community, snapshot: Snapshot, words: Words) -> Health:
    """The metrics of the leader report. A metric with no data this week is left out; in the first week
    there are no trends (one sentence says they start next week); every bar of a metric is drawn on one
    scale (1.0 for shares, the largest of its eight weeks otherwise)."""
    t = words.t
    weeks = snapshot.health
    if not weeks:
        return Health("", True, [])
    current = weeks[-1]
    # a past week in which nothing happened (before the community came to Cerchia) has no bar and no comparison
    weeks = [week if week.has_data else figures.WeekHealth(week=week.week) for week in weeks[:-1]] + [current]
    first_week = not any(week.has_data for week in weeks[:-1])

    def metric(
        name: str,
        value: str,
        values: list[float | None],
        texts: list[str],
        change_text: Callable[[float], str],
        higher_is_better: bool = True,
        scale: float | None = None,
        note: str = "",
    ) -> Metric:
        if first_week:
            return Metric(name, value, "", "none", [], "", note)
        delta = figures.change(values[-1], values[-2]) if len(values) > 1 else None
        if delta is None:
            change, tone = t("digests.leader.no_comparison"), "none"
        elif abs(delta) < 1e-9:
            change, tone = t("digests.leader.unchanged"), "flat"
        else:
            change = t("digests.leader.change", change=change_text(delta))
            tone = "good" if (delta > 0) == higher_is_better else "bad"
        heights = figures.bar_heights(values, scale=scale)
        bars = [
            TrendBar(
                height,
                words.short_day(week_bounds(health.week, community.timezone)[0]),
                text,
                index == len(values) - 1,
            )
            for index, (height, health, text) in enumerate(zip(heights, weeks, texts, strict=True))
        ]
        return Metric(name, value, change, tone, bars, " · ".join(texts), note)

    def points(delta: float) -> str:
        return t("digests.leader.points", points=f"{round(delta * 100):+d}")

    def count(delta: float) -> str:
        return f"{round(delta):+d}"

    def duration(delta: float) -> str:
        sign = "+" if delta > 0 else "−"
        return sign + words.duration(abs(delta))

    answered = [week.answered_share for week in weeks]
    median = [week.median_first_reply_seconds for week in weeks]
    active = [week.active_share if week.members else None for week in weeks]
    newcomers = [float(week.newcomers_posted) if week.newcomers else None for week in weeks]
    polls = [week.poll_participation for week in weeks]
    lost = [float(week.lost_reach) if week.has_data else None for week in weeks]
    metrics: list[Metric] = []
    if current.decided:
        metrics.append(
            metric(
                t("digests.leader.answered", hours=community.unanswered_after_hours),
                t(
                    "digests.leader.answered_value",
                    percent=words.percent(current.answered_share),
                    answered=current.answered_in_time,
                    decided=current.decided,
                ),
                answered,
                [words.percent(value) for value in answered],
                points,
                scale=1.0,
            )
        )
    if current.median_first_reply_seconds is not None or current.waiting:
        waiting = (
            words.count_with(
                "health.still_waiting", current.waiting, oldest=words.duration(current.oldest_waiting_seconds)
            )
            if current.waiting
            else ""
        )
        metrics.append(
            metric(
                t("digests.leader.median"),
                (
                    words.duration(current.median_first_reply_seconds)
                    if current.median_first_reply_seconds is not None
                    else t("health.no_reply_yet")
                ),
                median,
                [words.duration(value) for value in median],
                duration,
                higher_is_better=False,
                note=waiting,
            )
        )
    if current.members:
        metrics.append(
            metric(
                t("digests.leader.active"),
                t(
                    "digests.leader.active_value",
                    active=current.active,
                    members=current.members,
                    percent=words.percent(current.active_share),
                ),
                active,
                [words.percent(value) for value in active],
                points,
                scale=1.0,
            )
        )
    if current.newcomers:
        metrics.append(
            metric(
                t("digests.leader.newcomers"),
                t("digests.leader.newcomers_value", posted=current.newcomers_posted, newcomers=current.newcomers),
                newcomers,
                [t("digests.none") if value is None else str(round(value)) for value in newcomers],
                count,
            )
        )
    if current.poll_eligible:
        metrics.append(
            metric(
                t("digests.leader.polls"),
                t(
                    "digests.leader.polls_value",
                    percent=words.percent(current.poll_participation),
                    ballots=current.poll_ballots,
                    eligible=current.poll_eligible,
                ),
                polls,
                [words.percent(value) for value in polls],
                points,
                scale=1.0,
            )
        )
    metrics.append(
        metric(
            t("health.lost_reach"),
            t(
                "health.lost_reach_value",
                unsubscribes=current.unsubscribes,
                bounces=current.bounces,
                suppressed=current.suppressed,
            ),
            lost,
            [t("digests.none") if value is None else str(round(value)) for value in lost],
            count,
            higher_is_better=False,
        )
    )
    population = words.count_with("health.population", current.members)
    return Health(population, first_week, metrics)

"""The bounded first-reply aggregates give the same health figures as every post's numbers would."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from cerchia.domain import digests as d
from cerchia.domain import health as figures
from cerchia.domain.models import Community

ROME = Community(community_id="c_1", name="Lievito & Co.", timezone="Europe/Rome", locale="it")
START, END = d.week_bounds("2026-W48", "Europe/Rome")


def _aggregate(seconds: list[int]) -> tuple[dict[int, int], dict[int, dict[int, int]]]:
    """What ingest keeps: a count per bucket, and per bucket a count per exact second."""
    buckets: dict[int, int] = {}
    exact: dict[int, dict[int, int]] = {}
    for value in seconds:
        bound = d.first_reply_bucket(value)
        buckets[bound] = buckets.get(bound, 0) + 1
        kept = d.recorded_first_reply(value)
        exact.setdefault(bound, {})[kept] = exact.setdefault(bound, {}).get(kept, 0) + 1
    return buckets, exact


@pytest.mark.parametrize(
    ("seconds", "bound"),
    [(0, 0), (1, 60), (60, 60), (61, 120), (86_400, 86_400), (86_401, 90_000), (30 * 86_400 + 1, d.OVERFLOW_BUCKET)],
)
def test_a_first_reply_falls_in_the_smallest_minute_or_hour_bound_not_below_it(seconds, bound):
    assert d.first_reply_bucket(seconds) == bound


def test_buckets_stay_bounded_whatever_the_number_of_answers():
    values = random.Random(3).choices(range(0, 60 * 86_400), k=50_000)
    buckets, exact = _aggregate(values)

    assert len(buckets) <= 1441 + 696 + 1
    assert max(len(seconds) for bound, seconds in exact.items() if bound != d.OVERFLOW_BUCKET) <= 3600
    assert len(exact[d.OVERFLOW_BUCKET]) <= 30  # beyond 30 days: one value per day (60 days drawn)


@pytest.mark.parametrize("count", [1, 2, 7, 500, 1001])
def test_the_median_from_the_buckets_is_the_exact_median(count):
    values = random.Random(count).choices(range(0, 3 * 86_400), k=count)
    buckets, exact = _aggregate(values)
    only_the_median = {bound: exact[bound] for bound in d.median_buckets(buckets)}

    assert len(only_the_median) <= 2
    assert d.median_from_buckets(buckets, only_the_median) == statistics.median(values)


def test_health_from_the_aggregates_equals_health_from_every_posts_numbers():
    threshold = ROME.unanswered_after_hours * 3600
    created = {f"p{n}": int((START + timedelta(hours=3 * n)).timestamp()) for n in range(50)}
    answers = {post_id: (n * 7919) % (3 * threshold) for n, post_id in enumerate(created) if n % 3}
    as_of = END - timedelta(hours=5)
    undecided = sum(
        1 for post_id, at in created.items() if post_id not in answers and as_of.timestamp() - at < threshold
    )
    buckets, exact = _aggregate(list(answers.values()))
    per_post = d.WeekActivity(posts=50, post_created=created, first_replies=answers)
    aggregated = d.WeekActivity(
        posts=50,
        answered=len(answers),
        first_reply_buckets=buckets,
        median_first_reply_seconds=d.median_from_buckets(buckets, exact),
        undecided=undecided,
    )

    expected = figures.week_health("2026-W48", per_post, [], ROME, as_of)
    found = figures.week_health("2026-W48", aggregated, [], ROME, as_of)

    assert (found.decided, found.answered_in_time, found.median_first_reply_seconds) == (
        expected.decided,
        expected.answered_in_time,
        expected.median_first_reply_seconds,
    )
    assert 0 < expected.answered_in_time < expected.decided < 50
    assert datetime.now(UTC) > START  # the week is a real, past one

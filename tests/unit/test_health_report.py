"""The leader report's health section: one population, waiting posts beside the median, trends said once."""

from __future__ import annotations

from datetime import timedelta

from cerchia.digests import report as digests
from cerchia.digests.words import Words
from cerchia.domain import digest_content as content
from cerchia.domain import digests as d
from cerchia.domain import health as figures
from cerchia.domain.feedback import community_of
from cerchia.domain.models import Community, Member
from cerchia.i18n import translator

ROME = Community(community_id="c_1", name="Lievito & Co.", timezone="Europe/Rome", locale="en")
START, END = d.week_bounds("2026-W48", "Europe/Rome")


def report(*weeks: figures.WeekHealth) -> digests.Health:
    snapshot = content.Snapshot(
        community_id="c_1", week="2026-W48", start=START, end=END, activity=True, health=list(weeks)
    )
    return digests.health_report(ROME, snapshot, Words(translator("en"), "Europe/Rome"))


def week(back: int, **values) -> figures.WeekHealth:
    return figures.WeekHealth(week=d.shift_week("2026-W48", -back), **values)


def quiet_past() -> list[figures.WeekHealth]:
    return [week(back) for back in range(7, 0, -1)]


def by_name(health: digests.Health) -> dict[str, digests.Metric]:
    return {metric.name: metric for metric in health.metrics}


def test_a_question_left_alone_for_seven_days_shows_beside_a_median_of_zero_minutes():
    health = report(
        *quiet_past(),
        week(0, posts=2, answered=1, median_first_reply_seconds=10, waiting=1, oldest_waiting_seconds=7 * 86400,
             members=5, active=2, decided=2, answered_in_time=1),
    )  # fmt: skip

    median = by_name(health)["Median time to a first reply"]
    assert median.value == "0 min"
    assert median.note == "1 post still without a reply at the end of the week, for 7 days"


def test_with_no_answer_at_all_the_median_says_so_and_counts_the_waiting_posts():
    health = report(*quiet_past(), week(0, posts=3, waiting=3, oldest_waiting_seconds=2 * 86400 + 3600, members=4))

    median = by_name(health)["Median time to a first reply"]
    assert (median.value, median.note) == (
        "No reply yet",
        "3 posts still without a reply at the end of the week, the oldest for 2 days 1 h",
    )


def test_a_metric_with_no_data_this_week_is_left_out():
    health = report(*quiet_past(), week(0, posts=1, members=5, active=1))

    names = set(by_name(health))
    assert "Poll participation" not in names  # no poll closed
    assert "Newcomers who made a first post" not in names  # nobody joined
    assert "Posts answered within 24 h" not in names  # the only post still has time
    assert "Active members (posted, replied or voted)" in names


def test_the_first_week_has_no_trend_and_says_once_that_they_start_next_week():
    health = report(*quiet_past(), week(0, posts=1, members=5, active=1, waiting=1, oldest_waiting_seconds=60))

    assert health.first_week is True
    assert all(metric.bars == [] and metric.change == "" for metric in health.metrics)


def test_from_the_second_week_every_metric_has_its_bars_and_its_change():
    health = report(*quiet_past()[:-1], week(1, posts=2, members=5, active=2), week(0, posts=1, members=5, active=4))

    active = by_name(health)["Active members (posted, replied or voted)"]
    assert health.first_week is False
    assert active.change == "+40 pts on last week"
    assert [bar.height for bar in active.bars] == [None] * 6 + [16, 32]  # 40% and 80% of 100%


def test_the_bars_of_one_metric_share_one_scale():
    health = report(
        *quiet_past()[:-2],
        week(2, posts=1, members=3, answered=1, median_first_reply_seconds=3600),
        week(1, posts=1, members=3, answered=1, median_first_reply_seconds=2 * 3600),
        week(0, posts=1, members=3, answered=1, median_first_reply_seconds=4 * 3600),
    )

    bars = [bar.height for bar in by_name(health)["Median time to a first reply"].bars if bar.height is not None]
    assert bars == [10, 20, 40]  # 1 h, 2 h, 4 h against the longest


def test_the_report_says_who_is_counted_and_the_weeks_lost_reach():
    health = report(*quiet_past(), week(0, posts=1, members=6, active=1, unsubscribes=1, bounces=2, suppressed=1))

    assert health.population == "Everyone counts here, leaders included: 6 people were members at the end of the week."
    lost = by_name(health)["Unsubscribes, bounces and suppressed addresses"]
    assert lost.value == "unsubscribes: 1 · bounces: 2 · suppressed: 1"


def test_the_founder_and_the_same_address_from_the_platform_are_one_person_counted_once():
    joined = START - timedelta(days=30)
    members = [
        Member(community_id="c_1", member_id="founder", email="marco@example.com", role="leader", joined_at=joined),
        Member(community_id="c_1", member_id="u_marco", email="Marco@example.com", role="leader", joined_at=joined),
        Member(community_id="c_1", member_id="u_1", email="giulia@example.com", joined_at=joined),
    ]
    activity = d.WeekActivity(posts=1, active_members=frozenset({"u_marco"}))

    health = figures.week_health("2026-W48", activity, members, ROME, as_of=END)

    assert (health.active, health.members) == (1, 2)


def test_a_bounce_belongs_to_the_community_named_in_the_list_id_of_the_email_it_answered():
    mail = {"headers": [{"name": "List-Id", "value": '"Lievito & Co." <c_0a1b2c.cerchia.example>'}]}

    assert community_of(mail) == "c_0a1b2c"
    assert community_of({"headers": [{"name": "Subject", "value": "x"}]}) is None
    assert community_of({}) is None

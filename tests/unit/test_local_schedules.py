"""Schedules fire at the instants AWS would fire them: rate() on epoch multiples, cron() in its zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cerchia_infra.local.schedules import (
    Schedule,
    ScheduleError,
    aws_cron_to_croniter,
    parse_expression,
    ticks_between,
)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_rate_fires_on_multiples_of_its_period_since_the_epoch():
    ticks = parse_expression("rate(15 minutes)")

    fired = list(ticks_between(ticks, _utc(2025, 3, 3, 9, 7, 12), _utc(2025, 3, 3, 10, 7, 12)))

    assert fired == [_utc(2025, 3, 3, 9, 15), _utc(2025, 3, 3, 9, 30), _utc(2025, 3, 3, 9, 45), _utc(2025, 3, 3, 10)]


def test_rate_excludes_the_start_and_includes_the_end():
    ticks = parse_expression("rate(1 hour)")

    assert list(ticks_between(ticks, _utc(2025, 1, 1, 9), _utc(2025, 1, 1, 11))) == [
        _utc(2025, 1, 1, 10),
        _utc(2025, 1, 1, 11),
    ]


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(2 hours)", 7200), ("rate(1 day)", 86400), ("rate(3 days)", 259200)],
)
def test_rate_units(expression, seconds):
    ticks = parse_expression(expression)
    first = ticks.next_after(_utc(2025, 1, 1))

    assert first is not None and ticks.next_after(first) == first + timedelta(seconds=seconds)


def test_cron_in_utc_fires_at_the_same_utc_hour_on_both_sides_of_a_dst_change():
    # Europe changes to summer time on 2025-03-30; a UTC schedule must not notice.
    ticks = parse_expression("cron(0 9 * * ? *)")

    fired = list(ticks_between(ticks, _utc(2025, 3, 28, 12), _utc(2025, 4, 1, 12)))

    assert fired == [_utc(2025, 3, 29, 9), _utc(2025, 3, 30, 9), _utc(2025, 3, 31, 9), _utc(2025, 4, 1, 9)]


def test_cron_in_a_time_zone_follows_its_local_hour_across_dst():
    ticks = parse_expression("cron(0 9 * * ? *)", "Europe/Rome")

    fired = list(ticks_between(ticks, _utc(2025, 3, 29, 0), _utc(2025, 3, 31, 12)))

    assert fired == [_utc(2025, 3, 29, 8), _utc(2025, 3, 30, 7), _utc(2025, 3, 31, 7)]


def test_cron_day_of_week_uses_aws_numbering_sunday_is_one():
    mondays = parse_expression("cron(30 7 ? * 2 *)")
    weekdays = parse_expression("cron(0 8 ? * MON-FRI *)")

    assert mondays.next_after(_utc(2025, 3, 1)) == _utc(2025, 3, 3, 7, 30)  # 2025-03-03 is a Monday
    assert len(list(ticks_between(weekdays, _utc(2025, 3, 1), _utc(2025, 3, 8)))) == 5


def test_cron_translation_to_croniter():
    assert aws_cron_to_croniter("0 10 ? * 6#3 *") == ("0 10 * * 5#3", None)
    assert aws_cron_to_croniter("0/15 * * * ? 2025-2026") == ("0/15 * * * *", frozenset({2025, 2026}))
    assert aws_cron_to_croniter("0 18 ? * 1,7 *")[0] == "0 18 * * 0,6"


def test_cron_year_field_limits_the_instants():
    ticks = parse_expression("cron(0 0 1 1 ? 2030)")

    assert ticks.next_after(_utc(2025, 6, 1)) == _utc(2030, 1, 1)
    assert ticks.next_after(_utc(2030, 1, 1)) is None


def test_at_fires_once():
    ticks = parse_expression("at(2025-05-01T10:00:00)", "Europe/Rome")

    assert ticks.next_after(_utc(2025, 1, 1)) == _utc(2025, 5, 1, 8)
    assert ticks.next_after(_utc(2025, 5, 1, 8)) is None


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 minutes)",
        "rate(5 weeks)",
        "every 5 minutes",
        "cron(0 9 * *)",
        "cron(0 9 * * ? 20x5)",
        "cron(99 9 * * ? *)",
    ],
)
def test_bad_expressions_are_refused_with_a_sentence(expression):
    with pytest.raises(ScheduleError):
        parse_expression(expression)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ScheduleError, match="time zone"):
        parse_expression("cron(0 9 * * ? *)", "Mars/Olympus")


def test_default_event_is_scheduler_like_with_the_tick_time_and_input_wins_when_given():
    schedule = Schedule(
        name="sweep",
        function_logical_id="Fn",
        expression="rate(5 minutes)",
        ticks=parse_expression("rate(5 minutes)"),
        arn="arn:aws:scheduler:x",
    )
    with_input = Schedule(
        name="digest",
        function_logical_id="Fn",
        expression="rate(5 minutes)",
        ticks=parse_expression("rate(5 minutes)"),
        arn="arn:x",
        input={"job": "digest"},
    )

    event = schedule.event(_utc(2025, 3, 3, 9, 5), "eu-west-1", "123456789012")

    assert event["source"] == "aws.scheduler"
    assert event["detail-type"] == "Scheduled Event"
    assert event["time"] == "2025-03-03T09:05:00Z"
    assert event["detail"] == {}
    assert with_input.event(_utc(2025, 3, 3), "eu-west-1", "1") == {"job": "digest"}

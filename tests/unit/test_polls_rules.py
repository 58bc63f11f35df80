"""The pure rules of polls: validation, the job's steps, who may vote, answers and tallies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from cerchia.domain.ballots import eligibility, eligible_voters, parse_choices, vote_deltas
from cerchia.domain.models import Member
from cerchia.domain.polls import NewPoll, Poll, build_poll, next_due, next_step, problems, reminder_at, status_at
from cerchia.domain.tallies import option_labels, summary, tally
from cerchia.errors import InvalidInput

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _new(**changes) -> NewPoll:
    body = {
        "question": "Which day suits you for the meetup?",
        "options": ["Saturday", "Sunday"],
        "kind": "single",
        "send_at": NOW.isoformat(),
        "close_at": (NOW + timedelta(days=5)).isoformat(),
    }
    return NewPoll.model_validate(body | changes)


def _poll(**changes) -> Poll:
    return build_poll("c_1", "p_1", _new(), NOW).model_copy(update=changes)


def _member(member_id="u_1", email=None, status="active", started=NOW - timedelta(days=10), role="member") -> Member:
    return Member(
        community_id="c_1",
        member_id=member_id,
        email=email or f"{member_id}@example.com",
        name=member_id,
        status=status,
        role=role,
        joined_at=started,
        membership_started_at=started,
    )


# ---------------------------------------------------------------------- creating


def test_a_valid_poll_has_no_problems_and_starts_scheduled_with_zero_tallies():
    poll = build_poll("c_1", "p_1", _new(), NOW)

    assert problems(_new(), NOW) == {}
    assert (poll.status, poll.votes, poll.ballots, poll.eligible) == ("scheduled", (0, 0), 0, 0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"options": ["Yes"]}, "options"),
        ({"options": [str(n) for n in range(11)]}, "options"),
        ({"kind": "poll"}, "kind"),
        ({"question": "  "}, "question"),
        ({"close_at": "2026-11-28T18:00:00"}, "close_at"),
        ({"extra": True}, "extra"),
    ],
)
def test_fields_that_break_the_contract_fail_validation_by_name(changes, field):
    with pytest.raises(ValidationError) as caught:
        _new(**changes)

    assert field in {str(error["loc"][0]) for error in caught.value.errors()}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"close_at": (NOW + timedelta(minutes=59)).isoformat()}, "close_at"),
        ({"close_at": (NOW + timedelta(days=91)).isoformat()}, "close_at"),
        ({"send_at": (NOW - timedelta(hours=1)).isoformat()}, "send_at"),
        ({"options": ["Rye", " RYE "]}, "options"),
        ({"kind": "scale", "options": ["Bad", "Fine", "Great"]}, "options"),
    ],
)
def test_rules_across_fields_name_the_field(changes, field):
    with pytest.raises(InvalidInput) as caught:
        build_poll("c_1", "p_1", _new(**changes), NOW)

    assert field in caught.value.fields
    assert field in caught.value.message


def test_send_at_slightly_in_the_past_or_omitted_means_now():
    skewed = build_poll("c_1", "p_1", _new(send_at=(NOW - timedelta(minutes=5)).isoformat()), NOW)
    omitted = build_poll("c_1", "p_1", _new(send_at=None), NOW)

    assert skewed.send_at == NOW and omitted.send_at == NOW


def test_times_with_an_offset_are_kept_in_utc():
    poll = build_poll("c_1", "p_1", _new(send_at="2026-11-23T10:00:00+01:00"), NOW)

    assert poll.send_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_scale_poll_has_five_points_with_labelled_ends():
    poll = build_poll("c_1", "p_1", _new(kind="scale", options=["Not at all", "Absolutely"]), NOW)

    assert poll.options == ("1", "2", "3", "4", "5")
    assert option_labels(poll) == ["1 – Not at all", "2", "3", "4", "5 – Absolutely"]


# ---------------------------------------------------------------------- the job's steps


def test_steps_follow_the_poll_through_its_life():
    remind = NOW + timedelta(days=4)
    close = NOW + timedelta(days=5)

    assert next_step(_poll(), NOW) == "open"
    assert next_step(_poll(status="open", sent_at=NOW), NOW) == "announce"
    announced = _poll(status="open", sent_at=NOW, announced_at=NOW)
    assert (next_step(announced, NOW), next_due(announced, NOW)) == ("wait", remind)
    assert next_step(announced, remind) == "remind"
    reminded = announced.model_copy(update={"reminded_at": remind})
    assert (next_step(reminded, remind), next_due(reminded, remind)) == ("wait", close)
    assert next_step(reminded, close) == "close"
    closed = reminded.model_copy(update={"status": "closed", "closed_at": close})
    assert next_step(closed, close) == "report"
    reported = closed.model_copy(update={"reported_at": close})
    assert (next_step(reported, close), next_due(reported, close)) == ("done", None)


def test_a_late_sweep_skips_the_reminder_and_closes():
    announced = _poll(status="open", sent_at=NOW, announced_at=NOW)

    assert next_step(announced, NOW + timedelta(days=6)) == "close"


def test_reminder_is_24_hours_before_close_unless_the_poll_is_short():
    assert reminder_at(_poll()) == NOW + timedelta(days=4)
    assert reminder_at(_poll(close_at=NOW + timedelta(hours=36))) == NOW + timedelta(hours=12)
    assert reminder_at(_poll(close_at=NOW + timedelta(hours=35))) is None


def test_status_is_closed_once_close_at_has_passed_even_before_the_sweep():
    open_poll = _poll(status="open")

    assert status_at(open_poll, NOW) == "open"
    assert status_at(open_poll, NOW + timedelta(days=5)) == "closed"
    assert status_at(_poll(), NOW) == "scheduled"


# ---------------------------------------------------------------------- who votes


def test_eligible_voters_are_active_members_once_per_address_preferring_the_platforms_id():
    members = [
        _member("founder", email="Marco@example.com", role="leader"),
        _member("u_9", email="marco@example.com", role="leader"),
        _member("u_1"),
        _member("u_2", status="left"),
        _member("u_3", started=NOW + timedelta(hours=1)),
    ]

    assert [m.member_id for m in eligible_voters(members)] == ["u_1", "u_3", "u_9"]
    assert [m.member_id for m in eligible_voters(members, sent_at=NOW)] == ["u_1", "u_9"]


def test_members_who_left_or_joined_after_the_send_may_not_answer():
    poll = _poll(status="open", sent_at=NOW)

    assert eligibility(_member(), poll) == "yes"
    assert eligibility(_member(status="left"), poll) == "left"
    assert eligibility(_member(started=NOW + timedelta(minutes=1)), poll) == "late"


# ---------------------------------------------------------------------- answers and tallies


def test_parse_choices_takes_one_answer_or_many_for_multiple():
    single = _poll()
    multiple = _poll(kind="multiple", options=("a", "b", "c"), votes=(0, 0, 0))

    assert parse_choices(single, ["1"]) == (1,)
    assert parse_choices(multiple, ["2", "0", "2"]) == (0, 2)
    for values, poll in (([], single), (["0", "1"], single), (["9"], single), (["one"], single)):
        with pytest.raises(InvalidInput):
            parse_choices(poll, values)


def test_vote_deltas_move_only_what_changed():
    assert vote_deltas((), (1,)) == {1: 1}
    assert vote_deltas((0,), (2,)) == {0: -1, 2: 1}
    assert vote_deltas((0, 1), (1, 3)) == {0: -1, 3: 1}
    assert vote_deltas((1,), (1,)) == {}


def test_tally_gives_percent_of_answers_participation_and_the_leaders():
    poll = _poll(options=("a", "b", "c"), votes=(2, 1, 0), ballots=3, eligible=4)

    counted = tally(poll)

    assert [(o.label, o.votes, o.percent) for o in counted.options] == [("a", 2, 67), ("b", 1, 33), ("c", 0, 0)]
    assert (counted.participation, counted.participation_percent, counted.leading) == (0.75, 75, ("a",))
    assert counted.average is None


def test_tally_of_a_scale_poll_has_an_average_and_of_nobody_has_zeros():
    scale = build_poll("c_1", "p_1", _new(kind="scale", options=["Low", "High"]), NOW)
    answered = scale.model_copy(update={"votes": (0, 0, 1, 2, 1), "ballots": 4, "eligible": 5})

    assert tally(answered).average == 4.0
    empty = tally(scale)
    assert (empty.participation, empty.average, empty.leading) == (0.0, None, ())


def test_summary_is_what_the_leader_api_answers():
    poll = _poll(status="open", votes=(1, 0), ballots=1, eligible=3)

    answer = summary(poll, NOW).model_dump(mode="json")

    assert answer["status"] == "open"
    assert answer["participation"] == 0.3333
    assert answer["options"] == [{"label": "Saturday", "votes": 1}, {"label": "Sunday", "votes": 0}]

"""Stream and queue filters match records the way Lambda's event filtering does."""

from __future__ import annotations

import pytest

from cerchia_infra.local.patterns import EventFilter, FilterPatternError, matches

MEMBER_JOINED = {
    "eventName": "INSERT",
    "dynamodb": {
        "NewImage": {
            "entity": {"S": "member"},
            "status": {"S": "active"},
            "role": {"S": "member"},
            "email": {"S": "giulia@example.com"},
            "score": 7,
            "tags": ["new", "italian"],
            "note": None,
            "verified": True,
        }
    },
}


def _image(pattern: dict) -> dict:
    return {"dynamodb": {"NewImage": pattern}}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["INSERT"]}, True),
        ({"eventName": ["MODIFY", "INSERT"]}, True),
        ({"eventName": ["MODIFY"]}, False),
        (_image({"entity": {"S": ["member"]}, "role": {"S": ["member"]}}), True),
        (_image({"entity": {"S": ["member"]}, "role": {"S": ["leader"]}}), False),
        (_image({"missing": {"S": ["x"]}}), False),
        (_image({"score": [7.0]}), True),
        (_image({"score": ["7"]}), False),
        (_image({"verified": [True]}), True),
        (_image({"verified": [1]}), False),
        (_image({"note": [None]}), True),
        (_image({"tags": ["italian"]}), True),
        (_image({"tags": ["french"]}), False),
    ],
)
def test_exact_values_and_nested_objects(pattern, expected):
    assert matches(pattern, MEMBER_JOINED) is expected


@pytest.mark.parametrize(
    ("alternative", "expected"),
    [
        ({"prefix": "giulia@"}, True),
        ({"prefix": "marco@"}, False),
        ({"suffix": "@example.com"}, True),
        ({"suffix": "@example.org"}, False),
        ({"equals-ignore-case": "GIULIA@EXAMPLE.COM"}, True),
        ({"equals-ignore-case": "marco@example.com"}, False),
        ({"anything-but": "marco@example.com"}, True),
        ({"anything-but": ["giulia@example.com", "x"]}, False),
        ({"exists": True}, True),
        ({"exists": False}, False),
    ],
)
def test_string_operators(alternative, expected):
    assert matches(_image({"email": {"S": [alternative]}}), MEMBER_JOINED) is expected


@pytest.mark.parametrize(
    ("alternative", "expected"),
    [
        ({"numeric": [">", 5]}, True),
        ({"numeric": [">", 0, "<=", 7]}, True),
        ({"numeric": ["=", 7]}, True),
        ({"numeric": ["<", 7]}, False),
        ({"numeric": [">=", 8]}, False),
        ({"anything-but": [7]}, False),
        ({"anything-but": 8}, True),
    ],
)
def test_numeric_operators(alternative, expected):
    assert matches(_image({"score": [alternative]}), MEMBER_JOINED) is expected


def test_exists_false_matches_only_when_the_key_is_missing():
    assert matches(_image({"deleted_at": [{"exists": False}]}), MEMBER_JOINED) is True
    assert matches(_image({"email": [{"exists": False}]}), MEMBER_JOINED) is False
    assert matches(_image({"deleted_at": [{"exists": True}]}), MEMBER_JOINED) is False


def test_filters_are_ored_and_no_filter_matches_everything():
    criteria = {"Filters": [{"Pattern": '{"eventName": ["REMOVE"]}'}, {"Pattern": '{"eventName": ["INSERT"]}'}]}

    assert EventFilter.from_criteria(criteria).matches(MEMBER_JOINED) is True
    assert EventFilter.from_criteria({"Filters": criteria["Filters"][:1]}).matches(MEMBER_JOINED) is False
    assert EventFilter.from_criteria(None).matches(MEMBER_JOINED) is True


def test_the_real_templates_welcome_filter_accepts_a_returning_member_only_from_left_or_provisional():
    criteria = {
        "Filters": [
            {
                "Pattern": (
                    '{"eventName": ["MODIFY"], "dynamodb": {"OldImage": {"status": {"S": ["left", "provisional"]}},'
                    ' "NewImage": {"entity": {"S": ["member"]}, "status": {"S": ["active"]}, "role": {"S": ["member"]}}}}'
                )
            }
        ]
    }
    returning = {
        "eventName": "MODIFY",
        "dynamodb": {
            "OldImage": {"status": {"S": "left"}},
            "NewImage": {"entity": {"S": "member"}, "status": {"S": "active"}, "role": {"S": "member"}},
        },
    }
    renamed = {**returning, "dynamodb": {**returning["dynamodb"], "OldImage": {"status": {"S": "active"}}}}

    event_filter = EventFilter.from_criteria(criteria)

    assert event_filter.matches(returning) is True
    assert event_filter.matches(renamed) is False


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ('{"eventName": [{"wildcard": "IN*"}]}', "wildcard"),
        ('{"eventName": "INSERT"}', "lists of alternatives"),
        ('{"eventName": []}', "empty list"),
        ('{"eventName": [{"numeric": [">"]}]}', "numeric"),
        ('{"eventName": [{"exists": "yes"}]}', "exists"),
        ('{"eventName": [{"prefix": 1}]}', "prefix"),
        ('{"eventName": [{"anything-but": {"prefix": "x"}}]}', "anything-but"),
        ("not json", "not valid JSON"),
    ],
)
def test_patterns_that_lambda_would_reject_fail_at_startup_naming_the_problem(pattern, message):
    with pytest.raises(FilterPatternError, match=message):
        EventFilter.from_criteria({"Filters": [{"Pattern": pattern}]})

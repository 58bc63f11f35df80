"""Saving choices: the one conditional update, and what a failed condition means."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from cerchia.domain.models import Member
from cerchia.domain.preferences import Choices
from cerchia.errors import Conflict, InvalidInput, NotFound
from cerchia.store import Store
from cerchia.store.preferences import save_choices

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEADER = Member(community_id="c_1", member_id="u_7", role="leader", version=4, quiet_start_hour=22, quiet_end_hour=6)


class FakeDynamo:
    """A DynamoDB client that records updates, fails their condition when told, and says whether the member still exists."""

    def __init__(self, fail_with: str | None = None, still_there: bool = True) -> None:
        self.requests: list[dict] = []
        self.fail_with = fail_with
        self.still_there = still_there

    def update_item(self, **request):
        self.requests.append(request)
        if self.fail_with:
            raise ClientError({"Error": {"Code": self.fail_with, "Message": "no"}}, "UpdateItem")
        return {}

    def get_item(self, **request):
        row = {"pk": {"S": "C#c_1"}, "sk": {"S": "M#u_7"}, "community_id": {"S": "c_1"}, "member_id": {"S": "u_7"}}
        return {"Item": row} if self.still_there else {}


def _store(fail_with: str | None = None, still_there: bool = True) -> tuple[Store, FakeDynamo]:
    client = FakeDynamo(fail_with, still_there)
    return Store(client, "cerchia-unit"), client


def _expression(request):
    text = request["UpdateExpression"] + " IF " + request["ConditionExpression"]
    for alias, name in request["ExpressionAttributeNames"].items():
        text = text.replace(alias, name)
    return text


def test_a_leader_back_to_default_quiet_hours_removes_them_under_the_version_read():
    store, client = _store()

    save_choices(store, LEADER, Choices(True, "off", True, "it", nudges=False, quiet_hours=None), NOW)

    [request] = client.requests
    expression = _expression(request)
    assert "REMOVE quiet_start_hour, quiet_end_hour" in expression and "ADD version" in expression
    condition = re.search(r"IF version = (:v\d+)$", expression)
    assert condition and request["ExpressionAttributeValues"][condition.group(1)] == {"N": "4"}
    values = request["ExpressionAttributeValues"].values()
    assert {"S": "off"} in values and {"BOOL": False} in values


def test_a_failed_condition_is_a_conflict_while_the_member_exists_and_not_found_after():
    choices = Choices(True, "weekly", True, "en", nudges=True, quiet_hours=(23, 7))

    with pytest.raises(Conflict):
        save_choices(_store("ConditionalCheckFailedException")[0], LEADER, choices, NOW)
    with pytest.raises(NotFound):
        save_choices(_store("ConditionalCheckFailedException", still_there=False)[0], LEADER, choices, NOW)
    with pytest.raises(InvalidInput):  # what DynamoDB cannot store is the caller's to fix, never a conflict
        save_choices(_store("ValidationException")[0], LEADER, choices, NOW)
    with pytest.raises(ClientError):  # an error the store cannot name goes up as it is
        save_choices(_store("AccessDeniedException")[0], LEADER, choices, NOW)

"""The store's client: DynamoDB's answers become domain errors in one place, and what a failed guard means."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from cerchia.errors import AlreadyExists, Cancelled, ConditionFailed, Conflict, Contended, InvalidInput, Transient
from cerchia.store import faults
from cerchia.store.client import Table
from cerchia.store.expressions import Update, Write, versioned


def refusal(code: str, reasons: list[str] | None = None) -> ClientError:
    response: dict = {"Error": {"Code": code, "Message": "no"}}
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": reason} for reason in reasons]
    return ClientError(response, "Operation")  # type: ignore[arg-type]


class Refusing:
    """A DynamoDB client whose every write answers with `error`; records what it was asked."""

    def __init__(self, error: ClientError | None = None, item: dict | None = None) -> None:
        self.error, self.item, self.asked = error, item, []

    def _answer(self, operation: str, request: dict) -> dict:
        self.asked.append((operation, request))
        if self.error is not None:
            raise self.error
        return {}

    def put_item(self, **request):
        return self._answer("put_item", request)

    def update_item(self, **request):
        return self._answer("update_item", request)

    def delete_item(self, **request):
        return self._answer("delete_item", request)

    def transact_write_items(self, **request):
        return self._answer("transact_write_items", request)

    def get_item(self, **request):
        self.asked.append(("get_item", request))
        return {"Item": self.item} if self.item else {}


def test_throttling_is_transient_and_a_value_dynamodb_cannot_hold_is_the_callers_to_fix():
    with pytest.raises(Transient, match="busy"):
        Table(Refusing(refusal("ProvisionedThroughputExceededException")), "t").put({"pk": "a", "sk": "b"})
    with pytest.raises(InvalidInput, match="shorten"):
        Table(Refusing(refusal("ValidationException")), "t").put({"pk": "a", "sk": "b"})


def test_an_error_the_store_cannot_name_goes_up_as_dynamodb_said_it():
    with pytest.raises(ClientError):
        Table(Refusing(refusal("AccessDeniedException")), "t").put({"pk": "a", "sk": "b"})


def test_a_put_once_of_an_item_that_exists_says_it_already_exists():
    with pytest.raises(AlreadyExists):
        Table(Refusing(refusal("ConditionalCheckFailedException")), "t").put_once({"pk": "a", "sk": "b"})


def test_a_failed_update_condition_is_a_condition_failure_not_a_conflict():
    table = Table(Refusing(refusal("ConditionalCheckFailedException")), "t")

    with pytest.raises(ConditionFailed) as failure:
        table.update(Update({"pk": "a", "sk": "b"}, sets={"status": "sent"}, condition="{status} = :s"))
    assert not isinstance(failure.value, Conflict)


def test_a_redelivered_webhook_is_a_duplicate_and_a_lost_race_is_what_the_caller_says():
    writes = [Write("webhook", {"Put": {}}), Write("once", {"Put": {}}), Write("versioned", {"Update": {}})]
    webhook_seen = Table(
        Refusing(refusal("TransactionCanceledException", ["ConditionalCheckFailed", "None", "None"])), "t"
    )
    once_taken = Table(
        Refusing(refusal("TransactionCanceledException", ["None", "ConditionalCheckFailed", "None"])), "t"
    )

    assert webhook_seen.transact(writes) == "duplicate"
    assert once_taken.transact(writes, on_once_failed=lambda: "already-voted") == "already-voted"


def test_a_version_read_too_early_is_a_conflict_and_a_held_item_is_contended():
    writes = [Write("webhook", {"Put": {}}), Write("versioned", {"Update": {}})]
    stale = Table(Refusing(refusal("TransactionCanceledException", ["None", "ConditionalCheckFailed"])), "t")
    held = Table(faults.TransactionConflicts(Refusing(), first=1), "t")

    with pytest.raises(Conflict) as conflict:
        stale.transact(writes)
    assert not isinstance(conflict.value, Contended)
    with pytest.raises(Contended):
        held.transact(writes)


def test_a_transaction_cancelled_for_throttling_is_transient():
    table = Table(Refusing(refusal("TransactionCanceledException", ["None", "ThrottlingError"])), "t")

    with pytest.raises(Cancelled, match="ThrottlingError"):
        table.transact([Write("plain", {"Put": {}}), Write("plain", {"Put": {}})])


def test_a_single_write_is_sent_alone_and_its_failed_guard_still_means_what_it_says():
    client = Refusing(refusal("ConditionalCheckFailedException"))

    outcome = Table(client, "t").transact([Write("webhook", {"Put": {"TableName": "t", "Item": {}}})])

    assert outcome == "duplicate" and [operation for operation, _ in client.asked] == ["put_item"]


def test_an_update_names_every_attribute_through_an_alias_reserved_words_included():
    update = versioned(
        Update({"pk": "C#c", "sk": "META"}, sets={"status": "open", "name": "Ada"}, removes=["lease_until"]), 3
    )

    request = update.expression("t")

    text = request["UpdateExpression"] + " IF " + request["ConditionExpression"]
    for alias, name in sorted(request["ExpressionAttributeNames"].items(), key=lambda pair: -len(pair[0])):
        text = text.replace(alias, name)
    assert text.startswith("SET status = :v0, name = :v1 ADD version :v2 REMOVE lease_until IF version = ")
    assert "status" not in request["UpdateExpression"]
    assert {"N": "3"} in request["ExpressionAttributeValues"].values()

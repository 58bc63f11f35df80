"""The one module that touches the DynamoDB client, and the one mapper from its `ClientError`s to domain errors.

Every other store module calls a `Table` with plain keys, items, `Update`s and `Write`s, and catches
`cerchia.errors` (AlreadyExists, ConditionFailed, Conflict/Contended, Transient, InvalidInput).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

from botocore.exceptions import ClientError

from cerchia.errors import AlreadyExists, Cancelled, ConditionFailed, Conflict, Contended, InvalidInput, Transient
from cerchia.store import backoff
from cerchia.store.codec import from_item, to_item
from cerchia.store.expressions import Expression, Update, Write

TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
}
MAX_BATCH_GET = 100
BATCH_GET_ATTEMPTS = 5
# What recording a platform event came to: 'stored' (applied with its webhook-id), 'duplicate' (the
# webhook-id was already stored) or 'unchanged' (a new webhook-id for something already applied).
IngestOutcome = Literal["stored", "duplicate", "unchanged"]


def domain_error(error: ClientError) -> Exception:
    """What a DynamoDB error means to Cerchia; an error it cannot name is returned as it is."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code in TRANSIENT_CODES:
        return Transient(f"DynamoDB is busy ({code}); try again.")
    if code == "ValidationException":
        # What was sent cannot be stored as it is (an id over the key size, say): the caller's to fix.
        return InvalidInput(
            "This request cannot be stored: an id or a value in it is too long or malformed; shorten it.",
            {"request": str(error.response.get("Error", {}).get("Message", ""))[:200]},
        )
    if code == "ConditionalCheckFailedException":
        return ConditionFailed("The item was not as this write expected.", (0,))
    if code == "TransactionConflictException":
        return Contended("Another transaction held one of these records.")
    if code == "TransactionCanceledException":
        reasons = [str(reason.get("Code", "")) for reason in error.response.get("CancellationReasons") or []]
        failed = tuple(index for index, reason in enumerate(reasons) if reason == "ConditionalCheckFailed")
        if failed:
            return ConditionFailed("A condition of the transaction did not hold.", failed)
        if "TransactionConflict" in reasons:
            return Contended("Another transaction held one of these records.")
        return Cancelled("DynamoDB cancelled the transaction: " + ", ".join(reason or "?" for reason in reasons))
    return error


class Table:
    """The single table, through one DynamoDB client (maybe wrapped: `cerchia.store.faults`)."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def call(self, operation: str, **request: Any) -> Any:
        """One DynamoDB request as it is; its errors become domain errors."""
        try:
            return getattr(self.client, operation)(**request)
        except ClientError as error:
            mapped = domain_error(error)
            if mapped is error:
                raise
            if isinstance(mapped, InvalidInput):
                raise mapped from None
            raise mapped from error

    # ------------------------------------------------------------------ single items
    def get(
        self, key: dict[str, str], consistent: bool = True, attributes: list[str] | None = None
    ) -> dict[str, Any] | None:
        request: dict[str, Any] = {"TableName": self.name, "Key": to_item(key)}
        if attributes:
            aliases = Expression()
            request["ProjectionExpression"] = aliases.projection(attributes)
            aliases.attach(request)
        else:
            request["ConsistentRead"] = consistent
        item = self.call("get_item", **request).get("Item")
        return from_item(item) if item else None

    def put(self, item: dict[str, Any]) -> None:
        self.call("put_item", TableName=self.name, Item=to_item(item))

    def put_once(self, item: dict[str, Any]) -> None:
        """Put an item that must not exist yet; raises AlreadyExists if it does."""
        try:
            self.call(
                "put_item", TableName=self.name, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ConditionFailed:
            raise AlreadyExists(f"{item.get('pk')} {item.get('sk')} already exists.") from None

    def update(self, change: Update, returns: str | None = None) -> dict[str, Any]:
        """Apply an update (raises ConditionFailed when its condition does not hold); the attributes asked for."""
        request = change.expression(self.name)
        if returns:
            request["ReturnValues"] = returns
        return from_item(self.call("update_item", **request).get("Attributes") or {})

    def delete(self, key: dict[str, str], condition: str | None = None, values: dict[str, Any] | None = None) -> None:
        """Delete an item (raises ConditionFailed when `condition`, written as in `Update`, does not hold)."""
        request: dict[str, Any] = {"TableName": self.name, "Key": to_item(key)}
        if condition:
            aliases = Expression()
            request["ConditionExpression"] = aliases.condition(condition, values)
            aliases.attach(request)
        self.call("delete_item", **request)

    # ------------------------------------------------------------------ queries
    def query(self, **request: Any) -> Iterator[dict[str, Any]]:
        """Every item a Query finds, read a page at a time as the caller asks for more."""
        start: dict[str, Any] | None = None
        while True:
            page = self.call("query", TableName=self.name, **request, **({"ExclusiveStartKey": start} if start else {}))
            yield from (from_item(item) for item in page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def query_page(self, **request: Any) -> list[dict[str, Any]]:
        """The first page of a Query (with `Limit`: at most that many items)."""
        return [from_item(item) for item in self.call("query", TableName=self.name, **request).get("Items", [])]

    def count(self, **request: Any) -> int:
        """How many items a Query matches (Select COUNT, every page)."""
        total, start = 0, None
        while True:
            page = self.call(
                "query",
                TableName=self.name,
                Select="COUNT",
                **request,
                **({"ExclusiveStartKey": start} if start else {}),
            )
            total += int(page.get("Count", 0))
            start = page.get("LastEvaluatedKey")
            if not start:
                return total

    def batch_get(
        self,
        wanted: list[dict[str, str]],
        *,
        consistent: bool | None = None,
        attributes: list[str] | None = None,
        attempts: int = BATCH_GET_ATTEMPTS,
        wait: Callable[[int], Any] = backoff.pause,
        unprocessed: str = "DynamoDB left part of a batch read unprocessed; try again.",
    ) -> list[dict[str, Any]]:
        """The items of these keys (absent ones left out), 100 keys a request.

        Keys DynamoDB leaves unprocessed (a throttled partition) are asked again after `wait(n)` for the
        n-th retry, at most `attempts` requests a chunk; then Transient(`unprocessed`).
        """
        found: list[dict[str, Any]] = []
        unique = list({(key["pk"], key["sk"]): key for key in wanted}.values())
        for start in range(0, len(unique), MAX_BATCH_GET):
            ask: dict[str, Any] = {"Keys": [to_item(key) for key in unique[start : start + MAX_BATCH_GET]]}
            if consistent is not None:
                ask["ConsistentRead"] = consistent
            if attributes:
                aliases = Expression()
                ask["ProjectionExpression"] = aliases.projection(attributes)
                aliases.attach(ask)
            pending: dict[str, Any] = {self.name: ask}
            for attempt in range(attempts):
                if attempt:
                    wait(attempt - 1)  # asked again at once, a throttled partition says no again
                response = self.call("batch_get_item", RequestItems=pending)
                found += [from_item(item) for item in response.get("Responses", {}).get(self.name, [])]
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
            if pending:
                raise Transient(unprocessed)
        return found

    # ------------------------------------------------------------------ transactions
    def transact_all(self, writes: list[Write]) -> None:
        """Run writes as one transaction (a single write alone, as a plain request).

        Raises ConditionFailed (`failed`: which writes), Contended (another transaction held an item)
        or Cancelled (DynamoDB cancelled it for another reason).
        """
        if len(writes) == 1:
            ((kind, request),) = writes[0].operation.items()
            self.call({"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}[kind], **request)
        else:
            self.call("transact_write_items", TransactItems=[write.operation for write in writes])

    def transact(self, writes: list[Write], on_once_failed: Callable[[], Any] | None = None) -> Any:
        """Run writes as one transaction (a single write alone). Returns 'stored', or 'duplicate' when a
        'webhook' guard failed, or what `on_once_failed` returns when a 'once' guard failed.

        Raises Contended (TransactionConflict: retry the same writes), Conflict (another condition failed)
        or Transient (cancelled for another reason).
        """
        try:
            self.transact_all(writes)
            return "stored"
        except ConditionFailed as failure:
            guards = [writes[index].guard for index in failure.failed if index < len(writes)]
        if "webhook" in guards:
            return "duplicate"
        if "once" in guards and on_once_failed is not None:
            return on_once_failed()
        raise Conflict("A concurrent write changed these records.")

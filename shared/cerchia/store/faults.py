"""DynamoDB's concurrency answers, made to happen on purpose (moto never cancels a transaction on conflict).

    from cerchia.store import faults, table
    table.wrap_client(lambda client: faults.TransactionConflicts(client, share=0.3, seed=7))

Every `TransactWriteItems` then fails as real DynamoDB fails it when another transaction holds one of
its items: a `TransactionCanceledException` whose reasons say `TransactionConflict`. Nothing is
written by a cancelled call. Used by tests and by the bench (`hot-post`).
"""

from __future__ import annotations

import random
import threading
from typing import Any

from botocore.exceptions import ClientError


class TransactionConflicts:
    """Wraps a DynamoDB client; cancels a share of transactions (or the first `first` ones) with TransactionConflict."""

    def __init__(self, client: Any, share: float = 0.0, first: int = 0, seed: int | None = None) -> None:
        self.client = client
        self.share = share
        self.first = first
        self.cancelled = 0
        self.attempted = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def transact_write_items(self, **request: Any) -> Any:
        with self._lock:
            self.attempted += 1
            cancel = self.attempted <= self.first or self._random.random() < self.share
            if cancel:
                self.cancelled += 1
        if cancel:
            raise _conflict(len(request.get("TransactItems", [])))
        return self.client.transact_write_items(**request)


def _conflict(items: int) -> Exception:
    reasons = [{"Code": "None"}] * items
    if reasons:
        reasons[-1] = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
    response: Any = {
        "Error": {
            "Code": "TransactionCanceledException",
            "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[" + ", ".join(reason["Code"] for reason in reasons) + "]",
        },
        "CancellationReasons": reasons,
    }
    return ClientError(response, "TransactWriteItems")

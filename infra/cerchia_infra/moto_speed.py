"""Make moto's TransactWriteItems cost what the transaction touches, not the whole table.

moto backs up every table of a transaction with a deep copy, once per transaction item, so a
transaction on a table of N items costs O(N): ingesting 10,000 posts would take hours. Here the
backup holds only the items the transaction names; on a cancelled transaction they are put back.
Only the emulator's speed changes: requests, results and cancellations stay what moto answers.
A lock makes each transaction atomic for threads sharing the in-process emulator.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from typing import Any

_LOCK = threading.RLock()


@contextlib.contextmanager
def backups_of_touched_items_only() -> Iterator[None]:
    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items

    class _NoCopy:
        @staticmethod
        def deepcopy(value: Any) -> Any:
            return value

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _LOCK:
            before: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
            for entry in transact_items:
                _, operation = next(iter(entry.items()))
                name = operation["TableName"]
                table = self.get_table(name)
                if "Key" in operation:
                    key = operation["Key"]
                else:
                    key = {table.hash_key_attr: operation["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = operation["Item"][table.range_key_attr]
                current = self.get_item(name, key)
                before.append((name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
            saved = models.copy
            models.copy = _NoCopy  # type: ignore[assignment]
            try:
                original(self, transact_items)
            except Exception:
                for name, key, item in before:
                    if item is None:
                        with contextlib.suppress(Exception):
                            self.delete_item(name, key)
                    else:
                        self.put_item(name, item)
                raise
            finally:
                models.copy = saved

    def locked(method: Any) -> Any:
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            with _LOCK:
                return method(self, *args, **kwargs)

        return run

    others = {name: getattr(models.DynamoDBBackend, name) for name in ("update_item", "put_item", "get_item")}
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    for name, method in others.items():
        setattr(models.DynamoDBBackend, name, locked(method))
    try:
        yield
    finally:
        models.DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
        for name, method in others.items():
            setattr(models.DynamoDBBackend, name, method)

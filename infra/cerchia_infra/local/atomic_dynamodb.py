"""DynamoDB in the local stack, atomic like the real one: one operation at a time, cheap transactions.

moto's DynamoDB has no locking: the local stack's HTTP requests, stream consumers, queue workers
and schedules call it from many threads at once, so writes to one item can interleave. Its
TransactWriteItems also deep-copies every table it touches (stream history included) and puts
that copy back if any condition fails: it grows slower with every write, erases what other
threads wrote meanwhile, and fails with a 500 when a table changes under the copy. Real DynamoDB
does none of this.

`make_dynamodb_atomic()`, called once before the emulator serves, puts every DynamoDB (and
Streams) operation behind one process-wide lock, and makes a cancelled transaction put back only
the items it touched and drop its stream records.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_OPERATIONS = ("put_item", "get_item", "query", "scan", "update_item", "delete_item")
_STREAM_OPERATIONS = ("get_shard_iterator", "get_records")
_applied = False


def make_dynamodb_atomic() -> None:
    global _applied
    if _applied:
        return
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    for name in _OPERATIONS:
        setattr(DynamoDBBackend, name, _locked(getattr(DynamoDBBackend, name)))
    for name in _STREAM_OPERATIONS:
        setattr(DynamoDBStreamsBackend, name, _locked(getattr(DynamoDBStreamsBackend, name)))
    setattr(DynamoDBBackend, "transact_write_items", _transaction(models, DynamoDBBackend.transact_write_items))  # noqa: B010
    _applied = True


def _locked(operation: Any) -> Any:
    @functools.wraps(operation)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return operation(self, *args, **kwargs)

    return run


class _NoTableBackup:
    """Stands in for `copy` inside moto's transaction, whose whole-table backup becomes the table itself."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value


def _transaction(models: Any, original: Any) -> Any:
    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        with _LOCK:
            touched = _touched_items(self, transact_items)
            streams = {name: len(t.stream_shard.items) for name, t in self.tables.items() if t.stream_shard}
            models.copy = _NoTableBackup()
            try:
                return original(self, transact_items)
            except Exception:
                _put_back(models, touched)
                for name, length in streams.items():  # a cancelled transaction leaves nothing in the stream
                    del self.tables[name].stream_shard.items[length:]
                raise
            finally:
                models.copy = copy

    return transact_write_items


def _touched_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, dict[str, Any], Any]]:
    """(table, key, item before) for every item the transaction names, before it runs."""
    touched = []
    for entry in transact_items:
        operation = next(iter(entry.values()), None)
        if not isinstance(operation, dict) or operation.get("TableName") not in backend.tables:
            continue
        table = backend.tables[operation["TableName"]]
        attributes = operation.get("Item") or operation.get("Key") or {}
        names = [name for name in (table.hash_key_attr, table.range_key_attr) if name]
        if not all(name in attributes for name in names):
            continue  # moto refuses it with a validation error, before writing anything
        key = {name: attributes[name] for name in names}
        before = backend.get_item(operation["TableName"], key)
        touched.append((table, key, copy.deepcopy(before.to_json()["Attributes"]) if before else None))
    return touched


def _put_back(models: Any, touched: list[tuple[Any, dict[str, Any], Any]]) -> None:
    for table, key, before in reversed(touched):
        if before is not None:
            table.put_item(before)
            continue
        hash_key = models.DynamoType(key[table.hash_key_attr])
        range_key = models.DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        with contextlib.suppress(KeyError):
            table.delete_item(hash_key, range_key)

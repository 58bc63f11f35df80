"""The size of a DynamoDB item as DynamoDB counts it against its 400 KB limit (moto does not enforce it).

Attribute names count their UTF-8 bytes; strings their UTF-8 bytes; binary its bytes; numbers about
one byte per two significant digits plus one; booleans and nulls one byte; sets the sum of their
members; lists and maps 3 bytes plus one per element plus their elements (and, for maps, their keys).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

LIMIT = 400 * 1024


def number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0").rstrip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def value_size(value: dict[str, Any]) -> int:
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return number_size(raw)
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(member.encode()) for member in raw)
    if kind == "NS":
        return sum(number_size(member) for member in raw)
    if kind == "BS":
        return sum(len(member) for member in raw)
    if kind == "L":
        return 3 + sum(1 + value_size(member) for member in raw)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(member) for name, member in raw.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any]) -> int:
    """Bytes of one item in DynamoDB JSON (`{"pk": {"S": ...}, ...}`)."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def largest_item(client: Any, table_name: str) -> tuple[int, dict[str, Any]]:
    """(size, key) of the table's largest item: a Scan, for tests and the bench only."""
    largest: tuple[int, dict[str, Any]] = (0, {})
    for item in _scan(client, table_name):
        size = item_size(item)
        if size > largest[0]:
            largest = (size, {"pk": item["pk"]["S"], "sk": item["sk"]["S"]})
    return largest


def _scan(client: Any, table_name: str) -> Iterable[dict[str, Any]]:
    start: dict[str, Any] | None = None
    while True:
        page = client.scan(TableName=table_name, **({"ExclusiveStartKey": start} if start else {}))
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return

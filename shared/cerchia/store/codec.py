"""Plain Python values <-> DynamoDB attribute values."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from cerchia.observability import unreadable_item

T = TypeVar("T")
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    if isinstance(value, set):
        return {_plain(inner) for inner in value}
    return value


def _dynamo_ready(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _dynamo_ready(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_dynamo_ready(inner) for inner in value]
    return value


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Serialize, leaving out None (DynamoDB has no use for absent attributes)."""
    return {key: _SERIALIZER.serialize(_dynamo_ready(value)) for key, value in values.items() if value is not None}


def to_value(value: Any) -> Any:
    return _SERIALIZER.serialize(_dynamo_ready(value))


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain(_DESERIALIZER.deserialize(value)) for key, value in item.items()}


def readable(convert: Callable[[dict[str, Any]], T], item: dict[str, Any], entity: str) -> T | None:
    """`convert(item)`, or None when the stored item does not read as its model (logged and counted).

    One unreadable item (written by an older version, or by hand) must never stop a batch, a
    welcome or a fan-out for everyone else: the callers skip it.
    """
    try:
        return convert(item)
    except (ValueError, KeyError, TypeError, ArithmeticError) as error:  # pydantic's ValidationError is a ValueError
        unreadable_item(entity, item, error)
        return None

"""The one expression builder: UpdateItem, ConditionExpression and ProjectionExpression text without reserved-word surprises.

Attribute names are written `{name}` in a condition and become `#aN` aliases; values are written
`:placeholder` and become `:vN` aliases holding their DynamoDB JSON. `Write` is one transaction item
and what its condition failing means (see `client.Table.transact`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from cerchia.store.codec import to_item, to_value

Guard = Literal["webhook", "once", "versioned", "plain"]
_NAME_TOKEN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Expression:
    """Aliases for one request's attribute names and values."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        for alias, known in self.names.items():
            if known == attribute:
                return alias
        alias = f"#a{len(self.names)}"
        self.names[alias] = attribute
        return alias

    def value(self, raw: Any) -> str:
        alias = f":v{len(self.values)}"
        self.values[alias] = to_value(raw)
        return alias

    def condition(self, text: str, values: dict[str, Any] | None = None) -> str:
        """`text` with its `:placeholders` and `{names}` replaced by aliases."""
        for placeholder, raw in (values or {}).items():
            text = text.replace(placeholder, self.value(raw))
        return _NAME_TOKEN.sub(lambda match: self.name(match.group(1)), text)

    def projection(self, attributes: list[str]) -> str:
        return ", ".join(self.name(attribute) for attribute in attributes)

    def attach(self, request: dict[str, Any]) -> dict[str, Any]:
        """The request with the aliases it uses (DynamoDB refuses empty alias maps)."""
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request


@dataclass
class Update:
    """One UpdateItem: what it sets, adds, appends to lists and removes, and under which condition.

    Conditions name attributes as `{name}` and values as `:placeholder` (given in `condition_values`).
    """

    key: dict[str, str]
    sets: dict[str, Any] = field(default_factory=dict)
    adds: dict[str, Any] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)
    set_if_absent: dict[str, Any] = field(default_factory=dict)
    condition: str | None = None
    condition_values: dict[str, Any] = field(default_factory=dict)
    appends: dict[str, list[Any]] = field(default_factory=dict)  # list_append, creating the list

    def expression(self, table_name: str) -> dict[str, Any]:
        aliases = Expression()
        name, value = aliases.name, aliases.value
        clauses = []
        set_parts = [f"{name(k)} = {value(v)}" for k, v in self.sets.items()]
        for attribute, raw in self.set_if_absent.items():
            alias = name(attribute)
            set_parts.append(f"{alias} = if_not_exists({alias}, {value(raw)})")
        for attribute, entries in self.appends.items():
            alias = name(attribute)
            set_parts.append(f"{alias} = list_append(if_not_exists({alias}, {value([])}), {value(entries)})")
        if set_parts:
            clauses.append("SET " + ", ".join(set_parts))
        if self.adds:
            clauses.append("ADD " + ", ".join(f"{name(k)} {value(v)}" for k, v in self.adds.items()))
        if self.removes:
            clauses.append("REMOVE " + ", ".join(name(k) for k in self.removes))
        request: dict[str, Any] = {
            "TableName": table_name,
            "Key": to_item(self.key),
            "UpdateExpression": " ".join(clauses),
        }
        if self.condition:
            request["ConditionExpression"] = aliases.condition(self.condition, self.condition_values)
        request["ExpressionAttributeNames"] = aliases.names
        if aliases.values:
            request["ExpressionAttributeValues"] = aliases.values
        return request


def versioned(update: Update, version: int | None) -> Update:
    """Guard an update on the version read before it (optimistic concurrency)."""
    if version is None:
        update.condition = "attribute_not_exists({pk})"
    else:
        update.condition = "{version} = :expected"
        update.condition_values = {":expected": version}
    update.adds["version"] = 1
    return update


@dataclass
class Write:
    """One transaction item and what its condition failing would mean."""

    guard: Guard
    operation: dict[str, Any]


def put_once(table_name: str, item: dict[str, Any]) -> Write:
    """A Put that only the first writer makes (the item must not exist yet)."""
    return Write(
        "once",
        {"Put": {"TableName": table_name, "Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}},
    )


def put(table_name: str, item: dict[str, Any]) -> Write:
    return Write("plain", {"Put": {"TableName": table_name, "Item": to_item(item)}})


def update(table_name: str, guard: Guard, change: Update) -> Write:
    return Write(guard, {"Update": change.expression(table_name)})

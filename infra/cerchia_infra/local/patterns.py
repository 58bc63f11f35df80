"""Lambda event filtering (`FilterCriteria.Filters[].Pattern`), as event source mappings apply it.

Filters are OR'ed. In a pattern every key must match: an object matches an object of the event
recursively, a list holds the alternatives for a value. Alternatives are exact values (string,
number, boolean, null) or one of the operators `prefix`, `suffix`, `equals-ignore-case`,
`anything-but`, `exists` and `numeric`. When the event's value is a list, one matching element is
enough. A pattern using anything else is rejected when the stack starts, not silently ignored.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

_MISSING = object()

_NUMERIC_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_OPERATORS = ("prefix", "suffix", "equals-ignore-case", "anything-but", "exists", "numeric")


class FilterPatternError(ValueError):
    """A filter pattern the local stack (and Lambda) would not accept."""


class EventFilter:
    """The compiled `FilterCriteria` of one event source: matches if any pattern matches."""

    def __init__(self, patterns: Sequence[Mapping[str, Any]]) -> None:
        for pattern in patterns:
            validate(pattern)
        self.patterns = list(patterns)

    @classmethod
    def from_criteria(cls, criteria: Mapping[str, Any] | None, where: str = "FilterCriteria") -> EventFilter:
        patterns = []
        for index, entry in enumerate((criteria or {}).get("Filters") or []):
            raw = entry.get("Pattern") if isinstance(entry, Mapping) else None
            try:
                pattern = json.loads(raw) if isinstance(raw, str) else raw
            except json.JSONDecodeError as error:
                raise FilterPatternError(f"{where}.Filters[{index}].Pattern is not valid JSON: {error}") from error
            if not isinstance(pattern, Mapping):
                raise FilterPatternError(f"{where}.Filters[{index}].Pattern must be a JSON object.")
            try:
                validate(pattern)
            except FilterPatternError as error:
                raise FilterPatternError(f"{where}.Filters[{index}].Pattern: {error}") from error
            patterns.append(pattern)
        return cls(patterns)

    def matches(self, event: Mapping[str, Any]) -> bool:
        return not self.patterns or any(matches(pattern, event) for pattern in self.patterns)


def validate(pattern: Mapping[str, Any], path: str = "") -> None:
    """Raise FilterPatternError naming the first thing in `pattern` that is not a valid filter."""
    for key, expected in pattern.items():
        where = f"{path}.{key}" if path else key
        if isinstance(expected, Mapping):
            validate(expected, where)
        elif isinstance(expected, list):
            if not expected:
                raise FilterPatternError(f"{where}: an empty list matches nothing; give at least one value.")
            for alternative in expected:
                _validate_alternative(alternative, where)
        else:
            raise FilterPatternError(
                f"{where}: values in a filter pattern must be lists of alternatives, e.g. [{json.dumps(expected)}]."
            )


def _validate_alternative(alternative: Any, where: str) -> None:
    if alternative is None or isinstance(alternative, (str, int, float, bool)):
        return
    if not isinstance(alternative, Mapping) or len(alternative) != 1:
        raise FilterPatternError(f"{where}: {json.dumps(alternative)} is neither a value nor one operator.")
    ((name, argument),) = alternative.items()
    if name not in _OPERATORS:
        raise FilterPatternError(
            f"{where}: the filter operator {name!r} is not supported; use one of {', '.join(_OPERATORS)}."
        )
    if name in ("prefix", "suffix", "equals-ignore-case") and not isinstance(argument, str):
        raise FilterPatternError(f"{where}: {name} takes a string.")
    if name == "exists" and not isinstance(argument, bool):
        raise FilterPatternError(f"{where}: exists takes true or false.")
    if name == "anything-but":
        values = argument if isinstance(argument, list) else [argument]
        if not values or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
            raise FilterPatternError(f"{where}: anything-but takes a string, a number or a list of them.")
    if name == "numeric":
        _numeric_conditions(argument, where)


def _numeric_conditions(argument: Any, where: str) -> list[tuple[Callable[[float, float], bool], float]]:
    if not isinstance(argument, list) or not argument or len(argument) % 2:
        raise FilterPatternError(f"{where}: numeric takes pairs like ['>', 0, '<=', 5].")
    conditions = []
    for symbol, bound in zip(argument[::2], argument[1::2], strict=True):
        if symbol not in _NUMERIC_OPERATORS or isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise FilterPatternError(f"{where}: numeric comparison {symbol!r} {bound!r} is not valid.")
        conditions.append((_NUMERIC_OPERATORS[symbol], float(bound)))
    return conditions


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """True if `event` matches the (validated) `pattern`."""
    if not isinstance(event, Mapping):
        return False
    for key, expected in pattern.items():
        actual = event.get(key, _MISSING)
        if isinstance(expected, Mapping):
            if not isinstance(actual, Mapping) or not matches(expected, actual):
                return False
        elif not _matches_alternatives(expected, actual):
            return False
    return True


def _matches_alternatives(alternatives: list[Any], actual: Any) -> bool:
    if actual is _MISSING:
        return any(isinstance(a, Mapping) and a.get("exists") is False for a in alternatives)
    candidates = actual if isinstance(actual, list) else [actual]
    return any(_matches_value(a, value) for a in alternatives for value in candidates)


def _matches_value(alternative: Any, value: Any) -> bool:
    if not isinstance(alternative, Mapping):
        return _same(alternative, value)
    ((name, argument),) = alternative.items()
    if name == "exists":
        return bool(argument)  # the key is present (a missing key is handled by the caller)
    if name == "prefix":
        return isinstance(value, str) and value.startswith(argument)
    if name == "suffix":
        return isinstance(value, str) and value.endswith(argument)
    if name == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == argument.casefold()
    if name == "anything-but":
        excluded = argument if isinstance(argument, list) else [argument]
        return not isinstance(value, (Mapping, list)) and not any(_same(e, value) for e in excluded)
    if name == "numeric":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return all(compare(float(value), bound) for compare, bound in _numeric_conditions(argument, ""))
    return False


def _same(expected: Any, value: Any) -> bool:
    # JSON semantics: true is not 1, and 5 equals 5.0.
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(expected, bool) and isinstance(value, bool) and expected == value
    if isinstance(expected, (int, float)) and isinstance(value, (int, float)):
        return float(expected) == float(value)
    return type(expected) is type(value) and expected == value

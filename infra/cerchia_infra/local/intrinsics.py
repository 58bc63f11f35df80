"""The intrinsic functions the local stack resolves (Ref, Fn::GetAtt, Fn::Sub, Fn::If, conditions...).

The local stack needs resolved values in a few places only: the emulated resources' properties,
each function's settings and environment, and its events. `Resolver` resolves those on demand,
with the physical ids of resources registered as they are created, so a value that names a
resource (a table's name, a queue's URL, a secret's ARN) is the one the emulator really has.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cerchia_infra.local.template import IMPLICIT_APIS, SUB_VARIABLE, Template, TemplateError, as_text, describe


class _NoValue:
    """`Ref: AWS::NoValue`: the property it stands in is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


@dataclass
class Resolver:
    """Resolves intrinsic functions against parameters, conditions and registered physical ids."""

    template: Template
    region: str
    account_id: str
    stack_name: str
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    _refs: dict[str, Any] = field(default_factory=dict, init=False)
    _attributes: dict[tuple[str, str], Any] = field(default_factory=dict, init=False)
    _condition_cache: dict[str, bool] = field(default_factory=dict, init=False)
    _resolving_conditions: set[str] = field(default_factory=set, init=False)
    _placeholders: set[str] = field(default_factory=set, init=False)

    # ------------------------------------------------------------------ registry

    def register(self, logical_id: str, ref: Any, **attributes: Any) -> None:
        """Record what `Ref: logical_id` and `Fn::GetAtt: [logical_id, name]` give."""
        self._refs[logical_id] = ref
        for name, value in attributes.items():
            self._attributes[(logical_id, name)] = value

    def register_placeholder(self, logical_id: str) -> None:
        """A resource only AWS needs (a role, a log group): Ref and GetAtt give stand-in names."""
        self._refs[logical_id] = f"{self.stack_name}-{logical_id}"
        self._placeholders.add(logical_id)

    def is_registered(self, logical_id: str) -> bool:
        return logical_id in self._refs

    # ------------------------------------------------------------------ parameters and conditions

    def parameter(self, name: str) -> Any:
        declaration = self.template.parameters.get(name)
        if declaration is None:
            raise TemplateError(f"Ref {name}: the template declares no parameter or resource of that name.")
        if name in self.parameter_overrides:
            raw: Any = self.parameter_overrides[name]
        elif "Default" in declaration:
            raw = declaration["Default"]
        else:
            raise TemplateError(f"Parameter {name} has no Default; give it a value with --parameter {name}=VALUE.")
        kind = str(declaration.get("Type", "String"))
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            if isinstance(raw, list):
                return [str(item) for item in raw]
            return [item.strip() for item in str(raw).split(",")] if str(raw) else []
        return as_text(raw)

    def condition(self, name: str) -> bool:
        if name in self._condition_cache:
            return self._condition_cache[name]
        if name not in self.template.conditions:
            raise TemplateError(f"Condition {name} is used but not declared in Conditions.")
        if name in self._resolving_conditions:
            raise TemplateError(f"Condition {name} refers to itself.")
        self._resolving_conditions.add(name)
        try:
            value = self._condition_value(self.template.conditions[name], f"Conditions.{name}")
        finally:
            self._resolving_conditions.discard(name)
        self._condition_cache[name] = value
        return value

    def resource_enabled(self, logical_id: str) -> bool:
        """False when the resource's own `Condition` is false (CloudFormation would not create it)."""
        condition = self.template.resources[logical_id].get("Condition")
        return True if condition is None else self.condition(str(condition))

    def _condition_value(self, node: Any, where: str) -> bool:
        if isinstance(node, bool):
            return node
        if isinstance(node, Mapping) and len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Condition":
                return self.condition(str(argument))
            if key == "Fn::Equals":
                left, right = self._arguments(argument, 2, key, where)
                return as_text(self.resolve(left, where)) == as_text(self.resolve(right, where))
            if key == "Fn::Not":
                (inner,) = self._arguments(argument, 1, key, where)
                return not self._condition_value(inner, where)
            if key == "Fn::And":
                return all(self._condition_value(inner, where) for inner in _as_list(argument, key, where))
            if key == "Fn::Or":
                return any(self._condition_value(inner, where) for inner in _as_list(argument, key, where))
        raise TemplateError(f"{where}: {describe(node)} is not a condition the local stack understands.")

    # ------------------------------------------------------------------ resolution

    def resolve(self, value: Any, where: str = "template") -> Any:
        """Resolve every intrinsic in `value`; properties resolving to AWS::NoValue are dropped."""
        if isinstance(value, Mapping):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref" or key.startswith("Fn::"):
                    return self._intrinsic(key, argument, where)
            resolved = {}
            for key, inner in value.items():
                result = self.resolve(inner, f"{where}.{key}")
                if result is not NO_VALUE:
                    resolved[key] = result
            return resolved
        if isinstance(value, list):
            items = [self.resolve(inner, f"{where}[{index}]") for index, inner in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        return value

    def _intrinsic(self, key: str, argument: Any, where: str) -> Any:
        handlers = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::If": self._if,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": self._base64,
            "Fn::ToJsonString": self._to_json_string,
            "Fn::Equals": self._boolean,
            "Fn::Not": self._boolean,
            "Fn::And": self._boolean,
            "Fn::Or": self._boolean,
        }
        handler = handlers.get(key)
        if handler is None:
            raise TemplateError(
                f"{where}: the local stack does not support the intrinsic function {key}; "
                "use one of " + ", ".join(sorted(handlers)) + "."
            )
        return handler(key, argument, where)

    def _ref(self, _key: str, argument: Any, where: str) -> Any:
        name = self.resolve(argument, where)
        if not isinstance(name, str):
            raise TemplateError(f"{where}: Ref takes a name, not {describe(name)}.")
        if name.startswith("AWS::"):
            return self._pseudo(name, where)
        if name in self.template.parameters:
            return self.parameter(name)
        if name in self._refs:
            return self._refs[name]
        if name in self.template.resources or name in IMPLICIT_APIS:
            raise TemplateError(f"{where}: Ref {name} is used before {name} exists in the local stack.")
        raise TemplateError(f"{where}: Ref {name}: the template declares no parameter or resource of that name.")

    def _pseudo(self, name: str, where: str) -> Any:
        values: dict[str, Any] = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local"),
            "AWS::NoValue": NO_VALUE,
            "AWS::NotificationARNs": [],
        }
        if name not in values:
            raise TemplateError(f"{where}: unknown pseudo parameter {name}.")
        return values[name]

    def _get_att(self, _key: str, argument: Any, where: str) -> Any:
        argument = self.resolve(argument, where)
        if isinstance(argument, str) and "." in argument:
            logical_id, attribute = argument.split(".", 1)
        elif isinstance(argument, list) and len(argument) == 2:
            logical_id, attribute = str(argument[0]), str(argument[1])
        else:
            raise TemplateError(f"{where}: Fn::GetAtt takes [Resource, Attribute], not {describe(argument)}.")
        return self.attribute(logical_id, attribute, where)

    def attribute(self, logical_id: str, attribute: str, where: str = "template") -> Any:
        if (logical_id, attribute) in self._attributes:
            return self._attributes[(logical_id, attribute)]
        resource = self.template.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"{where}: Fn::GetAtt {logical_id}.{attribute}: no resource named {logical_id}.")
        if logical_id not in self._refs:
            raise TemplateError(
                f"{where}: Fn::GetAtt {logical_id}.{attribute} is used before {logical_id} exists in the local stack."
            )
        if logical_id in self._placeholders:
            service = str(resource.get("Type", "AWS::Local::Thing")).split("::")[1].lower()
            name = self._refs[logical_id]
            if attribute == "Arn":
                return f"arn:aws:{service}:{self.region}:{self.account_id}:{name}"
            return f"{name}.{attribute}"
        raise TemplateError(
            f"{where}: Fn::GetAtt {logical_id}.{attribute}: the local stack does not emulate attribute "
            f"{attribute} of {resource.get('Type')}."
        )

    def _sub(self, _key: str, argument: Any, where: str) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
            text = argument[0]
            variables = {name: self.resolve(v, f"{where}.{name}") for name, v in argument[1].items()}
        else:
            raise TemplateError(f"{where}: Fn::Sub takes a string or [string, {{variables}}].")
        if not isinstance(text, str):
            raise TemplateError(f"{where}: Fn::Sub's text must be a string.")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return as_text(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return as_text(self.attribute(logical_id, attribute, where))
            return as_text(self._ref("Ref", name, where))

        return SUB_VARIABLE.sub(replace, text)

    def _if(self, key: str, argument: Any, where: str) -> Any:
        condition, when_true, when_false = self._arguments(argument, 3, key, where)
        chosen = when_true if self.condition(str(condition)) else when_false
        return self.resolve(chosen, where)

    def _join(self, key: str, argument: Any, where: str) -> str:
        delimiter, items = self._arguments(argument, 2, key, where)
        values = self.resolve(items, where)
        if not isinstance(values, list):
            raise TemplateError(f"{where}: Fn::Join needs a list of values.")
        return str(delimiter).join(as_text(item) for item in values)

    def _select(self, key: str, argument: Any, where: str) -> Any:
        index, items = self._arguments(argument, 2, key, where)
        values = self.resolve(items, where)
        position = int(self.resolve(index, where))
        if not isinstance(values, list) or not 0 <= position < len(values):
            raise TemplateError(f"{where}: Fn::Select index {position} is outside the list.")
        return values[position]

    def _split(self, key: str, argument: Any, where: str) -> list[str]:
        delimiter, text = self._arguments(argument, 2, key, where)
        return as_text(self.resolve(text, where)).split(str(delimiter))

    def _find_in_map(self, key: str, argument: Any, where: str) -> Any:
        name, top, second = (self.resolve(a, where) for a in self._arguments(argument, 3, key, where))
        try:
            return self.template.mappings[name][top][second]
        except (KeyError, TypeError) as error:
            raise TemplateError(f"{where}: Fn::FindInMap [{name}, {top}, {second}] finds nothing.") from error

    def _base64(self, _key: str, argument: Any, where: str) -> str:
        return base64.b64encode(as_text(self.resolve(argument, where)).encode()).decode()

    def _to_json_string(self, _key: str, argument: Any, where: str) -> str:
        return json.dumps(self.resolve(argument, where), separators=(",", ":"))

    def _boolean(self, key: str, argument: Any, where: str) -> str:
        return "true" if self._condition_value({key: argument}, where) else "false"

    @staticmethod
    def _arguments(argument: Any, count: int, key: str, where: str) -> list[Any]:
        if not isinstance(argument, list) or len(argument) != count:
            raise TemplateError(f"{where}: {key} takes a list of {count} arguments.")
        return argument


def _as_list(argument: Any, key: str, where: str) -> list[Any]:
    if not isinstance(argument, list) or not argument:
        raise TemplateError(f"{where}: {key} takes a non-empty list of conditions.")
    return argument

"""Reading `template.yaml`: the template itself, what its values refer to, and the order to create them.

The intrinsic functions are resolved by `cerchia_infra.local.intrinsics.Resolver`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfn_tools import load_yaml

# SAM creates these when a function's event names no API; the local stack serves them all on one port.
IMPLICIT_APIS = ("ServerlessHttpApi", "ServerlessRestApi")

SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class TemplateError(Exception):
    """The template asks for something the local stack cannot do; the message says what and where."""


@dataclass(frozen=True)
class Template:
    """A parsed SAM/CloudFormation template."""

    path: Path
    body: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path | str) -> Template:
        template_path = Path(path)
        try:
            text = template_path.read_text(encoding="utf-8")
        except OSError as error:
            raise TemplateError(f"Cannot read the template {template_path}: {error.strerror}.") from error
        try:
            body = load_yaml(text)
        except Exception as error:
            raise TemplateError(f"{template_path} is not valid YAML: {error}") from error
        if not isinstance(body, Mapping) or not isinstance(body.get("Resources"), Mapping):
            raise TemplateError(f"{template_path} has no Resources section.")
        return cls(path=template_path, body=body)

    @classmethod
    def from_dict(cls, body: Mapping[str, Any], path: Path | str = "template.yaml") -> Template:
        return cls(path=Path(path), body=body)

    @property
    def root(self) -> Path:
        """The folder paths such as CodeUri are relative to."""
        return self.path.resolve().parent

    @property
    def parameters(self) -> Mapping[str, Any]:
        return self.body.get("Parameters") or {}

    @property
    def conditions(self) -> Mapping[str, Any]:
        return self.body.get("Conditions") or {}

    @property
    def mappings(self) -> Mapping[str, Any]:
        return self.body.get("Mappings") or {}

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        return self.body["Resources"]

    @property
    def function_globals(self) -> Mapping[str, Any]:
        return (self.body.get("Globals") or {}).get("Function") or {}

    def resources_of_type(self, *types: str) -> list[tuple[str, Mapping[str, Any]]]:
        return [(logical_id, r) for logical_id, r in self.resources.items() if r.get("Type") in types]


def references(value: Any) -> set[str]:
    """Logical ids a value refers to through Ref, Fn::GetAtt or Fn::Sub (for creation order)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                if isinstance(inner, str):
                    found.add(inner.split(".", 1)[0])
                elif isinstance(inner, list) and inner and isinstance(inner[0], str):
                    found.add(inner[0])
            elif key == "Fn::Sub":
                text = inner if isinstance(inner, str) else (inner[0] if isinstance(inner, list) else "")
                for name in SUB_VARIABLE.findall(text if isinstance(text, str) else ""):
                    if not name.startswith("!"):
                        found.add(name.split(".", 1)[0].strip())
                if isinstance(inner, list):
                    found |= references(inner[1:])
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def creation_order(resources: Mapping[str, Mapping[str, Any]], logical_ids: Iterable[str]) -> list[str]:
    """The given resources ordered so that each comes after the ones it refers to."""
    wanted = list(logical_ids)
    selected = set(wanted)
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(logical_id: str, path: list[str]) -> None:
        if state.get(logical_id) == "done":
            return
        if state.get(logical_id) == "visiting":
            raise TemplateError("Resources refer to each other in a cycle: " + " -> ".join([*path, logical_id]))
        state[logical_id] = "visiting"
        resource = resources[logical_id]
        depends_on = resource.get("DependsOn") or []
        dependencies = references(resource.get("Properties") or {}) | set(
            [depends_on] if isinstance(depends_on, str) else depends_on
        )
        for dependency in sorted(dependencies & selected):
            visit(dependency, [*path, logical_id])
        state[logical_id] = "done"
        order.append(logical_id)

    for logical_id in wanted:
        visit(logical_id, [])
    return order


def as_text(value: Any) -> str:
    """A resolved scalar as CloudFormation turns it into text (environment variables, attributes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        raise TemplateError(f"Expected a text value, got {describe(value)}.")
    return str(value)


def describe(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."

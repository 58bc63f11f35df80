"""The API's routes, as API Gateway matches them: greedy `{proxy+}`, parameters, the most specific first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # as in the template: /v1/communities/{community_id}/events
    function_logical_id: str
    payload_version: str = "2.0"
    api_kind: str = "http"  # "http" (HttpApi) or "rest" (Api)
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(s for s in self.path.split("/") if s))

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path_segments: Sequence[str]) -> dict[str, str] | None:
        if self.method not in ("ANY", method):
            return None
        parameters: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.startswith("{") and segment.endswith("+}"):
                rest = path_segments[index:]
                if not rest:
                    return None
                parameters[segment[1:-2]] = "/".join(rest)
                return parameters
            if index >= len(path_segments):
                return None
            if segment.startswith("{") and segment.endswith("}"):
                parameters[segment[1:-1]] = path_segments[index]
            elif segment != path_segments[index]:
                return None
        return parameters if len(path_segments) == len(self.segments) else None

    def specificity(self) -> tuple[Any, ...]:
        """Sort key: literal segments beat parameters, which beat greedy ones; a method beats ANY."""
        ranks = tuple(2 if s.endswith("+}") else 1 if s.startswith("{") else 0 for s in self.segments)
        return (ranks, self.method == "ANY")


class Router:
    def __init__(self, routes: Sequence[Route] = ()) -> None:
        self.routes: list[Route] = []
        for route in routes:
            self.add(route)

    def add(self, route: Route) -> None:
        for existing in self.routes:
            if existing.method == route.method and _shape(existing) == _shape(route):
                raise ValueError(
                    f"Route {route.route_key} is declared by both {existing.function_logical_id} "
                    f"and {route.function_logical_id}."
                )
        self.routes.append(route)
        self.routes.sort(key=Route.specificity)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        segments = [unquote(s) for s in path.split("/") if s]
        for route in self.routes:
            parameters = route.match(method.upper(), segments)
            if parameters is not None:
                return route, parameters
        return None


def _shape(route: Route) -> tuple[str, ...]:
    """A route's path with parameter names erased: /u/{token} and /u/{id} are the same route."""
    return tuple("{+}" if s.endswith("+}") else "{}" if s.startswith("{") else s for s in route.segments)

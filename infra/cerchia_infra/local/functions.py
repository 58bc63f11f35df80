"""The template's functions: their resolved settings, and running their handlers in this process.

A handler module is loaded from `<CodeUri>/<module>.py` under a name unique to its function, on
first invoke, so that a stack starts even while some handlers are not written yet.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from cerchia_infra.local.intrinsics import Resolver
from cerchia_infra.local.template import Template, TemplateError, as_text

FUNCTION_TYPES = ("AWS::Serverless::Function",)


@dataclass(frozen=True)
class EventSource:
    """One entry of a function's `Events`, its properties resolved."""

    name: str
    type: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    function_name: str
    arn: str
    code_dir: Path
    handler: str
    memory_mb: int
    timeout_s: int
    environment: Mapping[str, str]
    events: tuple[EventSource, ...] = ()

    @property
    def module_path(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir / (module.replace(".", "/") + ".py")

    @property
    def handler_attribute(self) -> str:
        return self.handler.rpartition(".")[2]


def physical_function_name(template: Template, logical_id: str, stack_name: str) -> str:
    name = (template.resources[logical_id].get("Properties") or {}).get("FunctionName")
    # A FunctionName that is itself an intrinsic is resolved later; the default is deterministic.
    return name if isinstance(name, str) else f"{stack_name}-{logical_id}"


def function_properties(template: Template, logical_id: str) -> dict[str, Any]:
    """The function's Properties over Globals.Function; Environment.Variables merge key by key."""
    merged: dict[str, Any] = dict(template.function_globals)
    own = dict(template.resources[logical_id].get("Properties") or {})
    global_variables = dict((merged.get("Environment") or {}).get("Variables") or {})
    own_variables = dict((own.get("Environment") or {}).get("Variables") or {})
    merged.update(own)
    merged["Environment"] = {"Variables": {**global_variables, **own_variables}}
    return merged


def load_function_specs(template: Template, resolver: Resolver) -> list[FunctionSpec]:
    specs = []
    for logical_id, _ in template.resources_of_type(*FUNCTION_TYPES):
        if not resolver.resource_enabled(logical_id):
            continue
        where = f"Resources.{logical_id}"
        properties = function_properties(template, logical_id)
        code_uri = resolver.resolve(properties.get("CodeUri"), f"{where}.CodeUri")
        if not isinstance(code_uri, str) or not code_uri:
            if properties.get("InlineCode") is not None:
                raise TemplateError(f"{where}: InlineCode is not supported by the local stack; use CodeUri.")
            raise TemplateError(f"{where}: CodeUri must be a local folder for the local stack.")
        handler = resolver.resolve(properties.get("Handler"), f"{where}.Handler")
        if not isinstance(handler, str) or "." not in handler:
            raise TemplateError(f"{where}: Handler must look like module.function, got {handler!r}.")
        variables = resolver.resolve(properties["Environment"]["Variables"], f"{where}.Environment.Variables")
        events = []
        for name, event in (properties.get("Events") or {}).items():
            resolved = resolver.resolve(event, f"{where}.Events.{name}")
            events.append(
                EventSource(name=name, type=str(resolved.get("Type")), properties=resolved.get("Properties") or {})
            )
        function_name = as_text(resolver.resolve(properties.get("FunctionName"), where) or "") or (
            f"{resolver.stack_name}-{logical_id}"
        )
        specs.append(
            FunctionSpec(
                logical_id=logical_id,
                function_name=function_name,
                arn=function_arn(resolver.region, resolver.account_id, function_name),
                code_dir=(template.root / code_uri).resolve(),
                handler=handler,
                memory_mb=int(resolver.resolve(properties.get("MemorySize", 128), where)),
                timeout_s=int(resolver.resolve(properties.get("Timeout", 3), where)),
                environment={key: as_text(value) for key, value in variables.items()},
                events=tuple(events),
            )
        )
    return specs


def function_arn(region: str, account_id: str, function_name: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"


@dataclass
class LambdaContext:
    """What the Lambda runtime passes as `context` (the attributes Powertools and handlers read)."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    client_context: Any = None
    identity: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class InvocationError(Exception):
    """The handler raised; `error` is what it raised."""

    def __init__(self, logical_id: str, error: BaseException) -> None:
        super().__init__(f"{logical_id} failed: {type(error).__name__}: {error}")
        self.logical_id = logical_id
        self.error = error


class FunctionRuntime:
    """Runs one function's handler in this process, in execution environments like Lambda's.

    Lambda never runs two invocations in one environment at a time, and handlers rely on it
    (Powertools' resolver keeps the current event on a module-level object). So each environment
    is its own copy of the handler module: an invocation borrows an idle one (warm) or loads a new
    one (cold) when all are busy, and gives it back when done.
    """

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self.module_name = f"_cerchia_local_{spec.logical_id}"
        self._idle: list[Callable[[Any, Any], Any]] = []
        self._loaded: list[str] = []
        self._lock = threading.Lock()

    def handler(self) -> Callable[[Any, Any], Any]:
        """The first environment's handler, loading it if needed (its module is `sys.modules[module_name]`)."""
        if not self._loaded:
            self._give_back(self._borrow())
        return getattr(sys.modules[self.module_name], self.spec.handler_attribute)  # type: ignore[no-any-return]

    def module_attribute(self, name: str) -> Any:
        """An attribute of the handler's module (loading the first environment), None if it has none."""
        self.handler()
        return getattr(sys.modules[self.module_name], name, None)

    def _borrow(self) -> Callable[[Any, Any], Any]:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            name = self.module_name if not self._loaded else f"{self.module_name}_{len(self._loaded)}"
            self._loaded.append(name)
        try:
            return self._load(name)
        except BaseException:
            with self._lock:
                self._loaded.remove(name)
            raise

    def _give_back(self, handler: Callable[[Any, Any], Any]) -> None:
        with self._lock:
            self._idle.append(handler)

    def _load(self, module_name: str) -> Callable[[Any, Any], Any]:
        path = self.spec.module_path
        if not path.is_file():
            raise FileNotFoundError(
                f"{self.spec.logical_id}: no handler module at {path} (from CodeUri and Handler in the template)."
            )
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"{self.spec.logical_id}: cannot load {path}.")
        module: ModuleType = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
        handler = getattr(module, self.spec.handler_attribute, None)
        if not callable(handler):
            raise AttributeError(f"{self.spec.logical_id}: {path} has no function {self.spec.handler_attribute}.")
        return handler

    def invoke(self, event: Any) -> Any:
        """Run the handler with `event`; whatever it raises (including failing to load) is an InvocationError."""
        context = LambdaContext(
            function_name=self.spec.function_name,
            memory_limit_in_mb=self.spec.memory_mb,
            invoked_function_arn=self.spec.arn,
            timeout_s=self.spec.timeout_s,
        )
        try:
            handler = self._borrow()
        except Exception as error:
            raise InvocationError(self.spec.logical_id, error) from error
        try:
            return handler(event, context)
        except Exception as error:
            raise InvocationError(self.spec.logical_id, error) from error
        finally:
            self._give_back(handler)

    @property
    def environments(self) -> int:
        """How many execution environments (module copies) this function has loaded."""
        return len(self._loaded)

    def unload(self) -> None:
        with self._lock:
            for name in self._loaded:
                sys.modules.pop(name, None)
            self._loaded.clear()
            self._idle.clear()

"""`LocalStack`: the emulator, the template's resources and functions, the engine and the HTTP front.

    stack = LocalStack(state_dir, port=0).start()
    ...  # HTTP on stack.url; AWS clients in this process talk to the emulator
    stack.advance(3600)  # every schedule instant of the hour fires, everything settles
    stack.outbox()
    stack.stop()

Moving the clock passes over the instants at which a scheduled function would find nothing to do,
when its handler module says when it next has work (`next_work()`); `skip_idle=False` fires every
schedule at every instant instead (the same outcome, slower).

Starting it changes this process: `os.environ` gets the emulator's endpoint, fake credentials and
every function's resolved environment, and `cerchia.clock` gets the virtual clock. `stop()` puts
them back. Only one stack runs per process (moto's state is process-wide).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from cerchia import clock as cerchia_clock
from cerchia import runtime as cerchia_runtime
from cerchia_infra.local.clock import VirtualClock
from cerchia_infra.local.emulator import FAKE_CREDENTIALS, Emulator
from cerchia_infra.local.engine import (
    Engine,
    StreamConsumer,
)
from cerchia_infra.local.functions import (
    FUNCTION_TYPES,
    FunctionRuntime,
    FunctionSpec,
    function_arn,
    load_function_specs,
    physical_function_name,
)
from cerchia_infra.local.http_front import ApiContext, HttpFront, Route, Router
from cerchia_infra.local.intrinsics import Resolver
from cerchia_infra.local.outbox import Outbox
from cerchia_infra.local.resources import CreatedResources, ResourceFactory
from cerchia_infra.local.schedules import Schedule
from cerchia_infra.local.template import IMPLICIT_APIS, Template, TemplateError
from cerchia_infra.local.wiring import RULE, SCHEDULER, StackError, Wiring

log = logging.getLogger("cerchia_infra.local")

DEFAULT_REGION = "eu-west-1"
DEFAULT_STACK_NAME = "cerchia-local"
LOCAL_API_ID = "local"
# Variables from the developer's shell that would send the emulator's clients to real AWS.
_CLEARED_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE")
_API_TYPES = ("AWS::Serverless::HttpApi", "AWS::Serverless::Api", "AWS::ApiGatewayV2::Api", "AWS::ApiGateway::RestApi")
# A scheduled function's handler module may say when it next has work (`next_work() -> datetime | None`);
# the engine then passes over the instants before, at which a run would find nothing.
WORK_HINT = "next_work"


def default_template_path() -> Path:
    """`template.yaml` in the current folder, else the one at the root of this repository."""
    here = Path.cwd() / "template.yaml"
    if here.is_file():
        return here
    return Path(__file__).resolve().parents[3] / "template.yaml"


class LocalStack:
    def __init__(
        self,
        state_dir: Path | str,
        port: int = 0,
        template_path: Path | str | None = None,
        *,
        host: str = "127.0.0.1",
        region: str = DEFAULT_REGION,
        stack_name: str = DEFAULT_STACK_NAME,
        parameters: Mapping[str, str] | None = None,
        pump: bool = True,
        pump_interval: float = 0.2,
        skip_idle: bool = True,
        wall: Callable[[], datetime] | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.port = port
        self.template_path = Path(template_path) if template_path else default_template_path()
        self.host = host
        self.region = region
        self.stack_name = stack_name
        self.parameters = dict(parameters or {})
        self.pump = pump
        self.pump_interval = pump_interval
        self.skip_idle = skip_idle
        self.account_id = ""
        self.url = ""
        self.aws_endpoint_url = ""
        self.env: dict[str, str] = {}
        self.clock = VirtualClock(wall)  # a test may give a wall that stands still: exact virtual instants
        self.functions: dict[str, FunctionRuntime] = {}
        self.resources = CreatedResources()
        self.routes: list[Route] = []
        self.schedules: list[Schedule] = []
        self._emulator = Emulator(host, region)
        self._front: HttpFront | None = None
        self._engine: Engine | None = None
        self._outbox: Outbox | None = None
        self._env_before: dict[str, str] | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> LocalStack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _start(self) -> None:
        template = Template.load(self.template_path)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._start_emulator()
        router = Router()
        self._front = HttpFront(router, self, self._api_context, host=self.host, port=self.port)
        self.url = f"http://{self.host}:{self._front.port}"

        resolver = Resolver(
            template,
            region=self.region,
            account_id=self.account_id,
            stack_name=self.stack_name,
            parameter_overrides=self._parameter_overrides(template),
        )
        self._register_code_and_apis(template, resolver)
        factory = ResourceFactory(template, resolver, self._emulator.session)
        self.resources = factory.create_all()
        specs = load_function_specs(template, resolver)
        self.env = self._function_environment(specs)
        sender = self.env.get("SENDER_ADDRESS")
        if sender:
            factory.verify_identity(sender)
        os.environ.update(self.env)
        self._use_in_cerchia()

        self.functions = {spec.logical_id: FunctionRuntime(spec) for spec in specs}
        wiring = Wiring(
            region=self.region,
            account_id=self.account_id,
            stack_name=self.stack_name,
            resources=self.resources,
            invoke=self.invoke,
            client=self.client,
            offset=lambda: self.clock.offset,
            stream_written_count=self._emulator.stream_written_count,
            queue_visible_count=self._emulator.queue_visible_count,
        )
        for spec in specs:
            for event in spec.events:
                wiring.wire_event(spec, event, router)
        streams, queues = wiring.streams, wiring.queues
        self.schedules = [*wiring.schedules, *wiring.resource_schedules(template, resolver, self.functions)]
        for schedule in self.schedules:
            schedule.next_work = self._next_work(schedule.function_logical_id)
        self.routes = list(router.routes)

        self._outbox = Outbox(self.state_dir / "outbox", self._emulator.sent_messages, now=self.clock.now)
        self._engine = Engine(
            clock=self.clock,
            invoke=self.invoke,
            streams=streams,
            queues=queues,
            schedules=self.schedules,
            region=self.region,
            account_id=self.account_id,
            after_settle=self._outbox.collect,
            pump_interval=self.pump_interval,
            skip_idle=self.skip_idle,
        )
        if self.pump:
            self._engine.start()
        else:  # tests that want every step explicit: nothing moves unless they settle or advance
            self._start_consumers_only(streams)
        self._front.start()
        self._write_stack_json()
        log.info("Local stack ready on %s (emulator at %s)", self.url, self.aws_endpoint_url)

    def _start_consumers_only(self, streams: list[StreamConsumer]) -> None:
        for consumer in streams:
            consumer.start()

    def stop(self) -> None:
        """Stop everything and give the process back its environment and wall clock. Safe to repeat."""
        if self._engine is not None:
            self._engine.stop()
            self._engine = None
        if self._front is not None:
            self._front.stop()
            self._front = None
        self._emulator.stop()
        for runtime in self.functions.values():
            runtime.unload()
        if self._env_before is not None:
            for key in set(os.environ) - set(self._env_before):
                del os.environ[key]
            os.environ.update(self._env_before)
            self._env_before = None
            self._use_in_cerchia(restore=True)

    # ------------------------------------------------------------------ the emulator

    def _start_emulator(self) -> None:
        self._emulator.start()
        self.aws_endpoint_url = self._emulator.endpoint_url
        self.account_id = self._emulator.account_id
        self._env_before = dict(os.environ)
        for key in _CLEARED_VARIABLES:
            os.environ.pop(key, None)
        no_proxy = ",".join(filter(None, [os.environ.get("NO_PROXY", ""), "127.0.0.1", "localhost"]))
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.aws_endpoint_url,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region,
                **FAKE_CREDENTIALS,
                "NO_PROXY": no_proxy,
                "no_proxy": no_proxy,
            }
        )

    def client(self, service: str) -> Any:
        """A boto3 client on the emulator (for tests and tools)."""
        return self._emulator.client(service)

    # ------------------------------------------------------------------ the template

    def _parameter_overrides(self, template: Template) -> dict[str, str]:
        overrides = {"PublicBaseUrl": self.url, "Stage": "local"}
        chosen = {k: v for k, v in overrides.items() if k in template.parameters}
        for name in self.parameters:
            if name not in template.parameters:
                raise StackError(f"--parameter {name}: the template declares no parameter {name}.")
        return {**chosen, **self.parameters}

    def _register_code_and_apis(self, template: Template, resolver: Resolver) -> None:
        """Physical ids that do not come from the emulator: functions, APIs, schedules."""
        for logical_id in IMPLICIT_APIS:
            resolver.register(logical_id, LOCAL_API_ID, ApiEndpoint=self.url)
        for logical_id, resource in template.resources.items():
            kind = resource.get("Type")
            if kind in FUNCTION_TYPES:
                name = physical_function_name(template, logical_id, self.stack_name)
                resolver.register(logical_id, name, Arn=function_arn(self.region, self.account_id, name))
            elif kind in _API_TYPES:
                resolver.register(logical_id, LOCAL_API_ID, ApiEndpoint=self.url, ApiId=LOCAL_API_ID)
            elif kind in (SCHEDULER, RULE):
                name = f"{self.stack_name}-{logical_id}"
                service = "scheduler" if kind == SCHEDULER else "events"
                path = "schedule/default" if kind == SCHEDULER else "rule"
                resolver.register(
                    logical_id, name, Arn=f"arn:aws:{service}:{self.region}:{self.account_id}:{path}/{name}"
                )

    def _function_environment(self, specs: list[FunctionSpec]) -> dict[str, str]:
        """Every function's variables, as one process environment; they must agree where they overlap."""
        env: dict[str, str] = {}
        owner: dict[str, str] = {}
        for spec in specs:
            for key, value in spec.environment.items():
                if key in env and env[key] != value:
                    raise StackError(
                        f"Functions {owner[key]} and {spec.logical_id} set {key} to different values "
                        f"({env[key]!r} and {value!r}); the local stack runs them in one process, so give "
                        "the variable one value or different names."
                    )
                env[key] = value
                owner.setdefault(key, spec.logical_id)
        # A secret handed over by ARN (LINK_SECRET_ARN) is also given by value (LINK_SECRET): no call needed.
        for key, value in list(env.items()):
            if key.endswith("_ARN") and value in self.resources.secret_values:
                env.setdefault(key[: -len("_ARN")], self.resources.secret_values[value])
        return env

    def _use_in_cerchia(self, restore: bool = False) -> None:
        cerchia_clock.use(None if restore else self.clock.now)
        cerchia_runtime.reset()

    def _next_work(self, logical_id: str) -> Callable[[], datetime | None]:
        """Asks the handler module's `next_work()` when the function next has work (the engine skips the rest)."""
        runtime = self.functions[logical_id]

        def next_work() -> datetime | None:
            hint = runtime.module_attribute(WORK_HINT)
            if not callable(hint):
                raise LookupError(f"{runtime.spec.module_path} has no {WORK_HINT}()")
            moment = hint()
            if moment is not None and not isinstance(moment, datetime):
                raise TypeError(f"{WORK_HINT}() must give a datetime or None, not {moment!r}")
            return moment

        return next_work

    # ------------------------------------------------------------------ what the front and tests use

    def _api_context(self, _host_header: str) -> ApiContext:
        assert self._front is not None
        return ApiContext(
            api_id=LOCAL_API_ID,
            account_id=self.account_id,
            domain_name=f"{self.host}:{self._front.port}",
            now=self.clock.now(),
        )

    def has_function(self, logical_id: str) -> bool:
        return logical_id in self.functions

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Run a function's handler with `event` (raises InvocationError if it raises)."""
        runtime = self.functions.get(logical_id)
        if runtime is None:
            raise KeyError(f"No function {logical_id} in the template.")
        return runtime.invoke(event)

    def now(self) -> datetime:
        return self.clock.now()

    def clock_now(self) -> datetime:
        return self.clock.now()

    def settle(self) -> None:
        """Drain streams and queues until nothing moves."""
        self._require_engine().settle()

    def advance(self, seconds: float) -> datetime:
        """Move the virtual clock forward, firing every schedule instant on the way; returns the new now."""
        return self._require_engine().move_clock(advance=seconds)

    def set_time(self, moment: datetime) -> datetime:
        return self._require_engine().move_clock(target=moment)

    def move_clock(self, target: datetime | None, advance: float | None) -> datetime:
        return self._require_engine().move_clock(target=target, advance=advance)

    def outbox(self) -> list[dict[str, Any]]:
        """Every email sent so far (collected from the emulator first)."""
        assert self._outbox is not None, "start the stack first"
        self._outbox.collect()
        return [email.as_json() for email in self._outbox.emails()]

    def outbox_json(self) -> list[dict[str, Any]]:
        return self.outbox()

    def _require_engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("The local stack is not running; call start() first.")
        return self._engine

    def _write_stack_json(self) -> None:
        table_name = self.env.get("TABLE_NAME") or next((t.name for t in self.resources.tables.values()), "")
        document = {
            "api_url": self.url,
            "aws_endpoint_url": self.aws_endpoint_url,
            "region": self.region,
            "account_id": self.account_id,
            "stack_name": self.stack_name,
            "table_name": table_name,
            "env": self.env,
            "functions": sorted(self.functions),
            "pid": os.getpid(),
        }
        temporary = self.state_dir / "stack.json.tmp"
        temporary.write_text(json.dumps(document, indent=2), encoding="utf-8")
        temporary.replace(self.state_dir / "stack.json")


__all__ = ["DEFAULT_REGION", "FAKE_CREDENTIALS", "LocalStack", "StackError", "TemplateError", "default_template_path"]

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
import urllib.request
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from cerchia import clock as cerchia_clock
from cerchia import runtime as cerchia_runtime
from cerchia_infra.local.atomic_dynamodb import make_dynamodb_atomic
from cerchia_infra.local.clock import VirtualClock
from cerchia_infra.local.engine import (
    Engine,
    FailureDestination,
    QueueConsumer,
    StreamConsumer,
    sns_event,
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
from cerchia_infra.local.outbox import Outbox
from cerchia_infra.local.patterns import EventFilter, FilterPatternError
from cerchia_infra.local.resources import CreatedResources, QueueInfo, ResourceFactory
from cerchia_infra.local.schedules import Schedule, ScheduleError, parse_expression
from cerchia_infra.local.template import IMPLICIT_APIS, Resolver, Template, TemplateError

log = logging.getLogger("cerchia_infra.local")

DEFAULT_REGION = "eu-west-1"
DEFAULT_STACK_NAME = "cerchia-local"
LOCAL_API_ID = "local"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Variables from the developer's shell that would send the emulator's clients to real AWS.
_CLEARED_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE")
_API_TYPES = ("AWS::Serverless::HttpApi", "AWS::Serverless::Api", "AWS::ApiGatewayV2::Api", "AWS::ApiGateway::RestApi")
_SCHEDULER = "AWS::Scheduler::Schedule"
# A scheduled function's handler module may say when it next has work (`next_work() -> datetime | None`);
# the engine then passes over the instants before, at which a run would find nothing.
WORK_HINT = "next_work"
_RULE = "AWS::Events::Rule"


class StackError(Exception):
    """The local stack cannot start as the template asks; the message says why and what to do."""


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
        self._moto: Any = None
        self._front: HttpFront | None = None
        self._engine: Engine | None = None
        self._outbox: Outbox | None = None
        self._env_before: dict[str, str] | None = None
        self._session: Any = None
        self._clients: dict[str, Any] = {}

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
        self.schedules = []
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
        factory = ResourceFactory(template, resolver, self._session)
        self.resources = factory.create_all()
        specs = load_function_specs(template, resolver)
        self.env = self._function_environment(specs)
        sender = self.env.get("SENDER_ADDRESS")
        if sender:
            factory.verify_identity(sender)
        os.environ.update(self.env)
        self._use_in_cerchia()

        self.functions = {spec.logical_id: FunctionRuntime(spec) for spec in specs}
        streams: list[StreamConsumer] = []
        queues: list[QueueConsumer] = []
        for spec in specs:
            for event in spec.events:
                self._wire_event(spec, event, router, streams, queues)
        self.schedules.extend(self._resource_schedules(template, resolver))
        for schedule in self.schedules:
            schedule.next_work = self._next_work(schedule.function_logical_id)
        self.routes = list(router.routes)

        self._outbox = Outbox(self.state_dir / "outbox", self._sent_messages, now=self.clock.now)
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
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
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
        # moto takes about a second to import: only a stack that starts needs it, not every CLI command.
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log is noise here
        make_dynamodb_atomic()
        self._moto = ThreadedMotoServer(ip_address=self.host, port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.aws_endpoint_url = f"http://{host}:{port}"
        self.account_id = DEFAULT_ACCOUNT_ID
        # moto's state is process-wide: start from nothing, whatever ran in this process before.
        reset = urllib.request.Request(f"{self.aws_endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(reset, timeout=10):  # noqa: S310 - our own emulator on loopback
            pass

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
        self._session = _EndpointSession(
            boto3.session.Session(
                region_name=self.region,
                aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            ),
            self.aws_endpoint_url,
        )

    def client(self, service: str) -> Any:
        """A boto3 client on the emulator (for tests and tools)."""
        if service not in self._clients:
            self._clients[service] = self._session.client(service)
        return self._clients[service]

    def _sent_messages(self) -> list[Any]:
        from moto.ses.models import ses_backends

        return list(ses_backends[self.account_id][self.region].sent_messages)

    def _stream_written_count(self, table_name: str) -> int | None:
        # A cheap in-process peek so an idle settle makes no request; None means "just read".
        try:
            from moto.dynamodb.models import dynamodb_backends

            shard = dynamodb_backends[self.account_id][self.region].get_table(table_name).stream_shard
            return len(shard.items) if shard is not None else 0
        except Exception:
            return None

    def _queue_visible_count(self, queue_name: str) -> int | None:
        try:
            from moto.sqs.models import sqs_backends

            return len(sqs_backends[self.account_id][self.region].get_queue(queue_name).messages)
        except Exception:
            return None

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
            elif kind in (_SCHEDULER, _RULE):
                name = f"{self.stack_name}-{logical_id}"
                service = "scheduler" if kind == _SCHEDULER else "events"
                path = "schedule/default" if kind == _SCHEDULER else "rule"
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

    # ------------------------------------------------------------------ wiring events

    def _wire_event(
        self,
        spec: FunctionSpec,
        event: Any,
        router: Router,
        streams: list[StreamConsumer],
        queues: list[QueueConsumer],
    ) -> None:
        where = f"{spec.logical_id}.Events.{event.name}"
        properties = event.properties
        if event.type in ("HttpApi", "Api"):
            router.add(self._route(spec, event.type, properties))
            return
        if properties.get("Enabled") is False or str(properties.get("State", "ENABLED")).upper() == "DISABLED":
            log.info("%s is disabled in the template; not wired.", where)
            return
        try:
            if event.type == "DynamoDB":
                streams.append(self._stream_consumer(spec, properties, where))
            elif event.type == "SQS":
                queues.append(self._queue_consumer(spec, properties, where))
            elif event.type == "SNS":
                queues.append(self._sns_consumer(spec, event.name, properties, where))
            elif event.type in ("Schedule", "ScheduleV2"):
                self.schedules.append(self._event_schedule(spec, event.name, event.type, properties))
            else:
                raise StackError(
                    f"{where}: events of type {event.type} are not emulated by the local stack "
                    "(it runs HttpApi, Api, DynamoDB, SQS, SNS, Schedule and ScheduleV2)."
                )
        except (FilterPatternError, ScheduleError) as error:
            raise StackError(f"{where}: {error}") from error
        except KeyError as error:
            raise StackError(f"{where}: the event needs the property {error.args[0]}.") from error

    def _route(self, spec: FunctionSpec, kind: str, properties: Mapping[str, Any]) -> Route:
        method = str(properties.get("Method", "ANY")).upper()
        path = str(properties.get("Path", "$default"))
        if kind == "Api":
            return Route(method, path, spec.logical_id, payload_version="1.0", api_kind="rest")
        version = str(properties.get("PayloadFormatVersion", "2.0"))
        return Route(method, path, spec.logical_id, payload_version=version)

    def _stream_consumer(self, spec: FunctionSpec, properties: Mapping[str, Any], where: str) -> StreamConsumer:
        stream_arn = str(properties["Stream"])
        table = self.resources.table_by_stream_arn(stream_arn)
        if table is None:
            raise StackError(f"{where}: {stream_arn} is not the stream of a table in the template.")
        return StreamConsumer(
            function_logical_id=spec.logical_id,
            function_arn=spec.arn,
            invoke=self.invoke,
            client=self.client("dynamodbstreams"),
            stream_arn=stream_arn,
            region=self.region,
            event_filter=EventFilter.from_criteria(properties.get("FilterCriteria"), f"{where}.FilterCriteria"),
            batch_size=int(properties.get("BatchSize", 100)),
            report_failures="ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or []),
            bisect=bool(properties.get("BisectBatchOnFunctionError", False)),
            max_retries=int(properties["MaximumRetryAttempts"]) if "MaximumRetryAttempts" in properties else None,
            on_failure=self._failure_destination(properties.get("DestinationConfig"), where),
            offset=lambda: self.clock.offset,
            written_count=lambda: self._stream_written_count(table.name),
        )

    def _failure_destination(self, config: Any, where: str) -> FailureDestination | None:
        destination = ((config or {}).get("OnFailure") or {}).get("Destination")
        if not destination:
            return None
        queue = self.resources.queue_by_arn(str(destination))
        if queue is not None:
            return FailureDestination("SQS", queue.url, self.client("sqs"))
        topic = self.resources.topic_by_arn(str(destination))
        if topic is not None:
            return FailureDestination("SNS", topic.arn, self.client("sns"))
        raise StackError(f"{where}: the on-failure destination {destination} is not a queue or topic of the template.")

    def _queue_consumer(self, spec: FunctionSpec, properties: Mapping[str, Any], where: str) -> QueueConsumer:
        queue = self.resources.queue_by_arn(str(properties["Queue"]))
        if queue is None:
            raise StackError(f"{where}: {properties['Queue']} is not a queue of the template.")
        return QueueConsumer(
            function_logical_id=spec.logical_id,
            invoke=self.invoke,
            client=self.client("sqs"),
            queue=queue,
            region=self.region,
            batch_size=int(properties.get("BatchSize", 10)),
            report_failures="ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or []),
            offset=lambda: self.clock.offset,
            visible_count=lambda: self._queue_visible_count(queue.name),
            event_filter=EventFilter.from_criteria(properties.get("FilterCriteria"), f"{where}.FilterCriteria"),
        )

    def _sns_consumer(
        self, spec: FunctionSpec, event_name: str, properties: Mapping[str, Any], where: str
    ) -> QueueConsumer:
        topic = self.resources.topic_by_arn(str(properties["Topic"]))
        if topic is None:
            raise StackError(f"{where}: {properties['Topic']} is not a topic of the template.")
        # SNS delivers to the function through an internal queue; Lambda's async retries (2) become
        # the queue's redrive after 3 receives.
        sqs = self.client("sqs")
        base = f"{self.stack_name}-{spec.logical_id}-{event_name}"[:70]
        dlq_url = sqs.create_queue(QueueName=f"{base}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
        url = sqs.create_queue(QueueName=base, Attributes={"RedrivePolicy": redrive})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes = {}
        if properties.get("FilterPolicy"):
            attributes["FilterPolicy"] = json.dumps(properties["FilterPolicy"])
        if properties.get("FilterPolicyScope"):
            attributes["FilterPolicyScope"] = str(properties["FilterPolicyScope"])
        subscription = self.client("sns").subscribe(
            TopicArn=topic.arn, Protocol="sqs", Endpoint=arn, Attributes=attributes, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        queue = QueueInfo(f"{spec.logical_id}.{event_name}", base, url, arn, 3, 30)
        return QueueConsumer(
            function_logical_id=spec.logical_id,
            invoke=self.invoke,
            client=sqs,
            queue=queue,
            region=self.region,
            batch_size=1,
            to_event=sns_event(subscription),
            offset=lambda: self.clock.offset,
            visible_count=lambda: self._queue_visible_count(base),
            label=topic.name,
        )

    def _event_schedule(
        self, spec: FunctionSpec, event_name: str, kind: str, properties: Mapping[str, Any]
    ) -> Schedule:
        name = str(properties.get("Name") or f"{self.stack_name}-{spec.logical_id}-{event_name}")
        if kind == "Schedule":
            expression = str(properties["Schedule"])
            arn = f"arn:aws:events:{self.region}:{self.account_id}:rule/{name}"
            source, zone = "aws.events", None
        else:
            expression = str(properties["ScheduleExpression"])
            arn = f"arn:aws:scheduler:{self.region}:{self.account_id}:schedule/default/{name}"
            source, zone = "aws.scheduler", properties.get("ScheduleExpressionTimezone")
        return Schedule(
            name=name,
            function_logical_id=spec.logical_id,
            expression=expression,
            ticks=parse_expression(expression, zone),
            arn=arn,
            source=source,
            input=_parse_input(properties.get("Input"), name),
            attempts=_attempts(properties.get("RetryPolicy")),
        )

    def _resource_schedules(self, template: Template, resolver: Resolver) -> list[Schedule]:
        """`AWS::Scheduler::Schedule` and scheduled `AWS::Events::Rule` resources that target a function."""
        by_arn = {runtime.spec.arn: logical_id for logical_id, runtime in self.functions.items()}
        schedules = []
        for logical_id, resource in template.resources.items():
            kind = resource.get("Type")
            if kind not in (_SCHEDULER, _RULE) or not resolver.resource_enabled(logical_id):
                continue
            where = f"Resources.{logical_id}"
            properties = resolver.resolve(resource.get("Properties") or {}, f"{where}.Properties")
            expression = properties.get("ScheduleExpression")
            if not expression or str(properties.get("State", "ENABLED")).upper() == "DISABLED":
                continue
            targets = [properties.get("Target") or {}] if kind == _SCHEDULER else properties.get("Targets") or []
            for target in targets:
                function = by_arn.get(str(target.get("Arn")))
                if function is None:
                    log.warning(
                        "%s targets %s, which is not a function of the template; not wired.", where, target.get("Arn")
                    )
                    continue
                try:
                    ticks = parse_expression(str(expression), properties.get("ScheduleExpressionTimezone"))
                except ScheduleError as error:
                    raise StackError(f"{where}: {error}") from error
                schedules.append(
                    Schedule(
                        name=resolver.resolve({"Ref": logical_id}),
                        function_logical_id=function,
                        expression=str(expression),
                        ticks=ticks,
                        arn=resolver.attribute(logical_id, "Arn"),
                        source="aws.scheduler" if kind == _SCHEDULER else "aws.events",
                        input=_parse_input(target.get("Input"), logical_id),
                        attempts=_attempts(target.get("RetryPolicy")),
                    )
                )
        return schedules

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


class _EndpointSession:
    """A boto3 session whose clients all talk to the emulator."""

    def __init__(self, session: Any, endpoint_url: str) -> None:
        self._session = session
        self._endpoint_url = endpoint_url

    def client(self, service: str) -> Any:
        return self._session.client(service, endpoint_url=self._endpoint_url)


def _attempts(retry_policy: Any) -> int:
    """Tries per scheduled instant: 1 + MaximumRetryAttempts (default 2, as Lambda's async retries)."""
    retries = (retry_policy or {}).get("MaximumRetryAttempts", 2)
    return 1 + max(0, int(retries))


def _parse_input(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as error:
            raise StackError(f"Schedule {name}: Input must be JSON text: {error}") from error
    return value


__all__ = ["DEFAULT_REGION", "LocalStack", "StackError", "TemplateError", "default_template_path"]

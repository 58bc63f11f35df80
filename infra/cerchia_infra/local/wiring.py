"""Wiring the template's event sources to the engine: routes, stream and queue consumers, schedules.

`Wiring` is what `LocalStack` hands each function's `Events` to, and the `AWS::Scheduler::Schedule`
and `AWS::Events::Rule` resources that target a function; it collects what the engine then drives.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cerchia_infra.local.functions import FunctionRuntime, FunctionSpec
from cerchia_infra.local.http_front import Route, Router
from cerchia_infra.local.intrinsics import Resolver
from cerchia_infra.local.patterns import EventFilter, FilterPatternError
from cerchia_infra.local.queues import QueueConsumer, sns_event
from cerchia_infra.local.resources import CreatedResources, QueueInfo
from cerchia_infra.local.schedules import Schedule, ScheduleError, parse_expression
from cerchia_infra.local.streams import FailureDestination, StreamConsumer
from cerchia_infra.local.template import Template

log = logging.getLogger("cerchia_infra.local")

SCHEDULER = "AWS::Scheduler::Schedule"
RULE = "AWS::Events::Rule"


class StackError(Exception):
    """The local stack cannot start as the template asks; the message says why and what to do."""


@dataclass
class Wiring:
    """Turns event sources into what the engine runs; `routes`, `streams`, `queues`, `schedules` fill up."""

    region: str
    account_id: str
    stack_name: str
    resources: CreatedResources
    invoke: Callable[[str, Any], Any]
    client: Callable[[str], Any]
    offset: Callable[[], timedelta]  # how far the virtual clock is ahead of the wall
    stream_written_count: Callable[[str], int | None]
    queue_visible_count: Callable[[str], int | None]
    streams: list[StreamConsumer] = field(default_factory=list)
    queues: list[QueueConsumer] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)

    def wire_event(
        self,
        spec: FunctionSpec,
        event: Any,
        router: Router,
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
                self.streams.append(self._stream_consumer(spec, properties, where))
            elif event.type == "SQS":
                self.queues.append(self._queue_consumer(spec, properties, where))
            elif event.type == "SNS":
                self.queues.append(self._sns_consumer(spec, event.name, properties, where))
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
            offset=self.offset,
            written_count=lambda: self.stream_written_count(table.name),
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
            offset=self.offset,
            visible_count=lambda: self.queue_visible_count(queue.name),
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
            offset=self.offset,
            visible_count=lambda: self.queue_visible_count(base),
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

    def resource_schedules(
        self, template: Template, resolver: Resolver, functions: Mapping[str, FunctionRuntime]
    ) -> list[Schedule]:
        """`AWS::Scheduler::Schedule` and scheduled `AWS::Events::Rule` resources that target a function."""
        by_arn = {function.spec.arn: logical_id for logical_id, function in functions.items()}
        schedules = []
        for logical_id, resource in template.resources.items():
            kind = resource.get("Type")
            if kind not in (SCHEDULER, RULE) or not resolver.resource_enabled(logical_id):
                continue
            where = f"Resources.{logical_id}"
            properties = resolver.resolve(resource.get("Properties") or {}, f"{where}.Properties")
            expression = properties.get("ScheduleExpression")
            if not expression or str(properties.get("State", "ENABLED")).upper() == "DISABLED":
                continue
            targets = [properties.get("Target") or {}] if kind == SCHEDULER else properties.get("Targets") or []
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
                        source="aws.scheduler" if kind == SCHEDULER else "aws.events",
                        input=_parse_input(target.get("Input"), logical_id),
                        attempts=_attempts(target.get("RetryPolicy")),
                    )
                )
        return schedules


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

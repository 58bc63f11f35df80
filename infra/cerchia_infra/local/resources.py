"""Creating the template's resources in the emulator, from the template's own properties.

Tables, queues, topics, SES configuration sets and identities, and secrets are created in moto, in
an order where each comes after what it refers to; their physical ids are registered with the
resolver as they appear. Types that only matter in AWS (log groups, layers, alarms, IAM, policies)
are skipped; `Ref` to them gives a placeholder name.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cerchia_infra.local.intrinsics import Resolver
from cerchia_infra.local.template import Template, TemplateError, as_text, creation_order

TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
TOPIC = "AWS::SNS::Topic"
SUBSCRIPTION = "AWS::SNS::Subscription"
CONFIGURATION_SET = "AWS::SES::ConfigurationSet"
EMAIL_IDENTITY = "AWS::SES::EmailIdentity"
SECRETS_MANAGER = "AWS::SecretsManager::Secret"
EMULATED_TYPES = (TABLE, QUEUE, TOPIC, SUBSCRIPTION, CONFIGURATION_SET, EMAIL_IDENTITY, SECRETS_MANAGER)

_TABLE_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "RedrivePolicy",
    "RedriveAllowPolicy",
)


@dataclass(frozen=True)
class TableInfo:
    logical_id: str
    name: str
    arn: str
    stream_arn: str | None


@dataclass(frozen=True)
class QueueInfo:
    logical_id: str
    name: str
    url: str
    arn: str
    max_receive_count: int | None  # from RedrivePolicy: after this many receives, the DLQ
    visibility_timeout: int


@dataclass(frozen=True)
class TopicInfo:
    logical_id: str
    name: str
    arn: str


@dataclass
class CreatedResources:
    tables: dict[str, TableInfo] = field(default_factory=dict)
    queues: dict[str, QueueInfo] = field(default_factory=dict)
    topics: dict[str, TopicInfo] = field(default_factory=dict)
    secret_values: dict[str, str] = field(default_factory=dict)  # ARN -> value
    configuration_sets: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # logical id -> type

    def table_by_stream_arn(self, arn: str) -> TableInfo | None:
        return next((t for t in self.tables.values() if t.stream_arn == arn), None)

    def queue_by_arn(self, arn: str) -> QueueInfo | None:
        return next((q for q in self.queues.values() if q.arn == arn), None)

    def topic_by_arn(self, arn: str) -> TopicInfo | None:
        return next((t for t in self.topics.values() if t.arn == arn), None)


class ResourceFactory:
    """Creates emulated resources with boto3 clients pointed at the emulator."""

    def __init__(self, template: Template, resolver: Resolver, session: Any) -> None:
        self.template = template
        self.resolver = resolver
        self.session = session
        self.created = CreatedResources()
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    def create_all(self) -> CreatedResources:
        emulated = []
        for logical_id, resource in self.template.resources.items():
            kind = str(resource.get("Type"))
            if not self.resolver.resource_enabled(logical_id):
                continue
            if kind in EMULATED_TYPES:
                emulated.append(logical_id)
            elif not self.resolver.is_registered(logical_id):
                # Skipped silently: only matters in AWS. Ref and GetAtt on it still give names.
                self.created.skipped[logical_id] = kind
                self.resolver.register_placeholder(logical_id)
        for logical_id in creation_order(self.template.resources, emulated):
            self._create(logical_id)
        return self.created

    def _create(self, logical_id: str) -> None:
        resource = self.template.resources[logical_id]
        kind = str(resource["Type"])
        properties = self.resolver.resolve(resource.get("Properties") or {}, f"Resources.{logical_id}.Properties")
        creators = {
            TABLE: self._table,
            QUEUE: self._queue,
            TOPIC: self._topic,
            SUBSCRIPTION: self._subscription,
            CONFIGURATION_SET: self._configuration_set,
            EMAIL_IDENTITY: self._email_identity,
            SECRETS_MANAGER: self._secret,
        }
        creators[kind](logical_id, properties)

    def _default_name(self, logical_id: str) -> str:
        return f"{self.resolver.stack_name}-{logical_id}"

    # ------------------------------------------------------------------ DynamoDB

    def _table(self, logical_id: str, properties: Mapping[str, Any]) -> None:
        name = as_text(properties.get("TableName") or self._default_name(logical_id))
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": properties["AttributeDefinitions"],
            "KeySchema": properties["KeySchema"],
            "BillingMode": properties.get("BillingMode", "PROVISIONED"),
        }
        if request["BillingMode"] == "PROVISIONED":
            request["ProvisionedThroughput"] = properties.get(
                "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
            )
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if properties.get(key):
                request[key] = [{k: v for k, v in index.items() if k in _TABLE_INDEX_KEYS} for index in properties[key]]
        stream = properties.get("StreamSpecification")
        if stream:
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        dynamodb = self.client("dynamodb")
        description = dynamodb.create_table(**request)["TableDescription"]
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and _truthy(ttl.get("Enabled")):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        stream_arn = description.get("LatestStreamArn")
        info = TableInfo(logical_id, name, description["TableArn"], stream_arn)
        self.created.tables[logical_id] = info
        attributes = {"Arn": info.arn}
        if stream_arn:
            attributes["StreamArn"] = stream_arn
        self.resolver.register(logical_id, name, **attributes)

    # ------------------------------------------------------------------ SQS

    def _queue(self, logical_id: str, properties: Mapping[str, Any]) -> None:
        fifo = _truthy(properties.get("FifoQueue"))
        name = as_text(properties.get("QueueName") or self._default_name(logical_id) + (".fifo" if fifo else ""))
        attributes: dict[str, str] = {}
        for key in _QUEUE_ATTRIBUTES:
            if key not in properties:
                continue
            value = properties[key]
            attributes[key] = json.dumps(value) if isinstance(value, (dict, list)) else as_text(value)
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = properties.get("RedrivePolicy")
        if isinstance(redrive, str):
            redrive = json.loads(redrive)
        max_receive_count = int(redrive["maxReceiveCount"]) if redrive else None
        info = QueueInfo(logical_id, name, url, arn, max_receive_count, int(properties.get("VisibilityTimeout", 30)))
        self.created.queues[logical_id] = info
        self.resolver.register(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)

    # ------------------------------------------------------------------ SNS

    def _topic(self, logical_id: str, properties: Mapping[str, Any]) -> None:
        fifo = _truthy(properties.get("FifoTopic"))
        name = as_text(properties.get("TopicName") or self._default_name(logical_id) + (".fifo" if fifo else ""))
        attributes = {"FifoTopic": "true"} if fifo else {}
        arn = self.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
        self.created.topics[logical_id] = TopicInfo(logical_id, name, arn)
        self.resolver.register(logical_id, arn, TopicArn=arn, TopicName=name)
        for subscription in properties.get("Subscription") or []:
            self._subscribe(arn, subscription.get("Protocol"), subscription.get("Endpoint"), {})

    def _subscription(self, logical_id: str, properties: Mapping[str, Any]) -> None:
        attributes = {
            key: json.dumps(properties[key]) if isinstance(properties[key], dict) else as_text(properties[key])
            for key in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery")
            if key in properties
        }
        arn = self._subscribe(
            properties["TopicArn"], properties.get("Protocol"), properties.get("Endpoint"), attributes
        )
        self.resolver.register(logical_id, arn or self._default_name(logical_id))

    def _subscribe(self, topic_arn: str, protocol: Any, endpoint: Any, attributes: dict[str, str]) -> str | None:
        # Only queue subscriptions have a local meaning; functions subscribe through their SNS events.
        if protocol != "sqs":
            return None
        response = self.client("sns").subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=endpoint, Attributes=attributes, ReturnSubscriptionArn=True
        )
        return str(response["SubscriptionArn"])

    # ------------------------------------------------------------------ SES

    def _configuration_set(self, logical_id: str, properties: Mapping[str, Any]) -> None:
        name = as_text(properties.get("Name") or self._default_name(logical_id))
        self.client("sesv2").create_configuration_set(ConfigurationSetName=name)
        self.created.configuration_sets[logical_id] = name
        self.resolver.register(logical_id, name)

    def _email_identity(self, logical_id: str, properties: Mapping[str, Any]) -> None:
        identity = as_text(properties["EmailIdentity"])
        self.verify_identity(identity)
        self.resolver.register(logical_id, identity)

    def verify_identity(self, identity: str) -> None:
        """Create (and so verify, in moto) an SES identity: an address or a domain."""
        sesv2 = self.client("sesv2")
        with contextlib.suppress(sesv2.exceptions.AlreadyExistsException):
            sesv2.create_email_identity(EmailIdentity=identity)

    # ------------------------------------------------------------------ Secrets Manager

    def _secret(self, logical_id: str, properties: Mapping[str, Any]) -> None:
        name = as_text(properties.get("Name") or self._default_name(logical_id))
        if "SecretString" in properties:
            value = as_text(properties["SecretString"])
        else:
            value = generate_secret_string(properties.get("GenerateSecretString") or {})
        arn = self.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]
        self.created.secret_values[arn] = value
        self.resolver.register(logical_id, arn, Id=arn)


def generate_secret_string(options: Mapping[str, Any]) -> str:
    """A random value following GenerateSecretString's options (length, character classes, template)."""
    length = int(options.get("PasswordLength", 32))
    alphabet = ""
    if not _truthy(options.get("ExcludeLowercase")):
        alphabet += string.ascii_lowercase
    if not _truthy(options.get("ExcludeUppercase")):
        alphabet += string.ascii_uppercase
    if not _truthy(options.get("ExcludeNumbers")):
        alphabet += string.digits
    if not _truthy(options.get("ExcludePunctuation")):
        alphabet += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    excluded = set(str(options.get("ExcludeCharacters", "")))
    alphabet = "".join(c for c in alphabet if c not in excluded)
    if not alphabet:
        raise TemplateError("GenerateSecretString excludes every character; allow at least one class.")
    if _truthy(options.get("IncludeSpace")):
        alphabet += " "
    value = "".join(secrets.choice(alphabet) for _ in range(length))
    template_text = options.get("SecretStringTemplate")
    key = options.get("GenerateStringKey")
    if template_text and key:
        document = json.loads(template_text)
        document[key] = value
        return json.dumps(document)
    return value


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"

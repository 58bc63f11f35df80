"""An SQS queue as Lambda's event source mapping drives a function (also the internal queue an SNS
topic delivers to), with partial batch failures and the queue's redrive policy.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from cerchia_infra.local.functions import InvocationError
from cerchia_infra.local.patterns import EventFilter
from cerchia_infra.local.resources import QueueInfo
from cerchia_infra.local.streams import Hint, Invoke, first_failed_index

log = logging.getLogger("cerchia_infra.local.engine")


class QueueConsumer:
    def __init__(
        self,
        *,
        function_logical_id: str,
        invoke: Invoke,
        client: Any,
        queue: QueueInfo,
        region: str,
        batch_size: int = 10,
        report_failures: bool = False,
        to_event: Callable[[list[dict[str, Any]]], Any] | None = None,
        offset: Callable[[], timedelta] = lambda: timedelta(0),
        visible_count: Hint = lambda: None,
        label: str = "",
        event_filter: EventFilter | None = None,
    ) -> None:
        self.function_logical_id = function_logical_id
        self.invoke = invoke
        self.client = client
        self.queue = queue
        self.region = region
        self.batch_size = max(1, batch_size)
        self.report_failures = report_failures
        self.to_event = to_event or (lambda records: {"Records": records})
        self.offset = offset
        self.visible_count = visible_count
        self.label = label or queue.name
        self.event_filter = event_filter
        self.delivered = 0
        self.dropped = 0

    @property
    def name(self) -> str:
        return f"{self.function_logical_id} <- {self.label}"

    def poll(self) -> bool:
        """Deliver until the queue has nothing visible; True if anything was received."""
        received_any = False
        while True:
            hint = self.visible_count()
            if hint is not None and hint <= 0:
                return received_any
            messages = self._receive()
            if not messages:
                return received_any
            received_any = True
            chosen = [m for m in messages if self._wanted(m)]
            self._delete([m for m in messages if m not in chosen])
            self.dropped += len(messages) - len(chosen)
            if chosen:
                self._settle_messages(chosen, self._deliver(chosen))

    def _wanted(self, message: Mapping[str, Any]) -> bool:
        if self.event_filter is None or not self.event_filter.patterns:
            return True
        record: dict[str, Any] = self._lambda_record(message)
        try:
            body = json.loads(record["body"])
        except ValueError:
            body = None
        if isinstance(body, dict):  # Lambda filters a JSON body by its fields
            record["body"] = body
        return self.event_filter.matches(record)

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            self.client.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages[start : start + 10])
                ],
            )

    def _receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self.batch_size:
            page = self.client.receive_message(
                QueueUrl=self.queue.url,
                MaxNumberOfMessages=min(10, self.batch_size - len(messages)),
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
                VisibilityTimeout=self.queue.visibility_timeout,
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not page:
                break
            messages.extend(page)
        return messages

    def _deliver(self, messages: list[dict[str, Any]]) -> set[str]:
        """Invoke with the batch; return the ids of the messages that failed."""
        records = [self._lambda_record(m) for m in messages]
        every_id = {m["MessageId"] for m in messages}
        try:
            result = self.invoke(self.function_logical_id, self.to_event(records))
        except InvocationError as error:
            log.warning("%s: batch of %d failed: %s", self.name, len(messages), error)
            return every_id
        if not self.report_failures:
            return set()
        ids = [m["MessageId"] for m in messages]
        first = first_failed_index(result, ids, self.name)
        if first is None:
            return set()
        failures = result.get("batchItemFailures") if isinstance(result, Mapping) else None
        named = {f.get("itemIdentifier") for f in failures or [] if isinstance(f, Mapping)}
        return {i for i in ids if i in named} or every_id

    def _settle_messages(self, messages: list[dict[str, Any]], failed: set[str]) -> None:
        done = [m for m in messages if m["MessageId"] not in failed]
        self.delivered += len(done)
        self._delete(done)
        retry = [m for m in messages if m["MessageId"] in failed]
        if not retry:
            return
        if self.queue.max_receive_count is None:
            # No dead-letter queue: the message comes back after the queue's visibility timeout (wall time).
            log.warning(
                "%s: %d message(s) failed and the queue has no redrive policy; retrying in %d s",
                self.name,
                len(retry),
                self.queue.visibility_timeout,
            )
            return
        # With a redrive policy: retry at once; the emulator moves a message to the DLQ on the
        # receive after maxReceiveCount.
        for start in range(0, len(retry), 10):
            self.client.change_message_visibility_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(retry[start : start + 10])
                ],
            )
        # The emulator counts a message visible only once its visibility instant is strictly past,
        # to the millisecond: step over that millisecond so the retry happens in this drain.
        time.sleep(0.002)

    def _lambda_record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        attributes = dict(message.get("Attributes") or {})
        shift_ms = int(self.offset().total_seconds() * 1000)
        for key in ("SentTimestamp", "ApproximateFirstReceiveTimestamp"):
            if str(attributes.get(key, "")).isdigit():
                attributes[key] = str(int(attributes[key]) + shift_ms)
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": attributes,
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": (
                        base64.b64encode(value["BinaryValue"]).decode("ascii") if "BinaryValue" in value else None
                    ),
                    "stringListValues": value.get("StringListValues", []),
                    "binaryListValues": [
                        base64.b64encode(v).decode("ascii") for v in value.get("BinaryListValues", [])
                    ],
                    "dataType": value.get("DataType", "String"),
                }
                for name, value in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue.arn,
            "awsRegion": self.region,
        }


def sns_event(subscription_arn: str) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    """Turn SQS records holding SNS envelopes into the event Lambda gets from an SNS subscription."""

    def build(records: list[dict[str, Any]]) -> dict[str, Any]:
        out = []
        for record in records:
            envelope = json.loads(record["body"])
            out.append(
                {
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": subscription_arn,
                    "EventSource": "aws:sns",
                    "Sns": {
                        "SignatureVersion": envelope.get("SignatureVersion", "1"),
                        "Timestamp": envelope.get("Timestamp"),
                        "Signature": envelope.get("Signature", ""),
                        "SigningCertUrl": envelope.get("SigningCertURL", ""),
                        "MessageId": envelope.get("MessageId"),
                        "Message": envelope.get("Message"),
                        "MessageAttributes": envelope.get("MessageAttributes", {}),
                        "Type": envelope.get("Type", "Notification"),
                        "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                        "TopicArn": envelope.get("TopicArn"),
                        "Subject": envelope.get("Subject"),
                    },
                }
            )
        return {"Records": out}

    return build


# ---------------------------------------------------------------------- the engine

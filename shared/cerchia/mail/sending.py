"""Sending through SES v2, with backoff on throttling, at most once per ledger entry, never to a suppressed address.

Every outcome is counted as an EMF metric per kind (`EmailsSent`, `EmailsSuppressed`), flushed at
once, so every function that sends email reports it without a decorator of its own.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from cerchia.errors import Transient
from cerchia.mail.mime import Outgoing, build

THROTTLING_CODES = {"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException"}
MAX_ATTEMPTS = 6
Delivery = Literal["sent", "already-sent", "unsubscribed", "suppressed"]


class Rejected(Exception):
    """SES refused this message for good (bad address, bad content); retrying cannot help."""


def send_raw(
    client: Any,
    raw: bytes,
    *,
    to_address: str,
    configuration_set: str,
    from_address: str,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Send one raw message; returns SES's message id. Throttling backs off and retries, then raises Transient."""
    from botocore.exceptions import ClientError

    request: dict[str, Any] = {
        "FromEmailAddress": from_address,
        "Destination": {"ToAddresses": [to_address]},
        "Content": {"Raw": {"Data": raw}},
    }
    if configuration_set:
        request["ConfigurationSetName"] = configuration_set
    for attempt in range(MAX_ATTEMPTS):
        try:
            return str(client.send_email(**request)["MessageId"])
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "MessageRejected":
                raise Rejected(code) from error
            if code not in THROTTLING_CODES:
                raise Transient(f"SES could not send ({code}).") from error
            if attempt == MAX_ATTEMPTS - 1:
                raise Transient("SES kept throttling; the email will be retried later.") from error
            # full jitter, capped: 0.1 s, 0.2 s, 0.4 s ... up to 3.2 s
            sleep(random.uniform(0, min(3.2, 0.1 * 2**attempt)))
    raise AssertionError("unreachable")


def deliver_once(
    store: Any,
    *,
    kind: str,
    community_id: str,
    recipient_id: str,
    period: str,
    compose: Callable[[], Outgoing],
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
    to_address: str | None = None,
) -> Delivery:
    """Send the email (kind, community, recipient, period) unless it already went out or may not go out.

    The ledger entry is claimed before sending and marked sent after; a failed send gives the
    claim back and raises, so the event source's retry sends it instead. An address on the
    suppression list (bounced, complained) gets nothing: 'suppressed', and the ledger is left as
    it was, so the email would go out if the address were ever lifted. Callers that know the
    address pass `to_address`, which checks it before claiming or composing anything.
    """
    from cerchia import aws
    from cerchia.settings import get_settings
    from cerchia.store.suppression import is_suppressed

    if to_address is not None and is_suppressed(store, to_address):
        _count("EmailsSuppressed", kind)
        return "suppressed"
    claim = store.claim_email(kind, community_id, recipient_id, period, now)
    if claim is None:
        return "already-sent"
    settings = get_settings()
    try:
        outgoing = compose()
        if to_address is None and is_suppressed(store, outgoing.to_address):
            store.release_email(claim)
            _count("EmailsSuppressed", kind)
            return "suppressed"
        message = build(outgoing, sender_address=settings.sender_address, sender_name=settings.sender_name, sent_at=now)
        message_id = send_raw(
            aws.sesv2(),
            message.as_bytes(),
            to_address=outgoing.to_address,
            configuration_set=settings.configuration_set,
            from_address=settings.sender_address,
            sleep=sleep,
        )
    except Rejected:
        store.mark_email_sent(claim, "rejected", now)
        raise
    except BaseException:
        store.release_email(claim)
        raise
    store.mark_email_sent(claim, message_id, now)
    _count("EmailsSent", kind)
    return "sent"


def _count(metric: str, kind: str) -> None:
    """One metric line (CloudWatch EMF on stdout) for one email, with its kind and stage as dimensions.

    Counting must never stop an email: a failure here is logged and forgotten.
    """
    import os

    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    from cerchia.settings import get_settings

    try:
        metrics = EphemeralMetrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Cerchia")
        metrics.add_dimension(name="stage", value=get_settings().stage)
        metrics.add_dimension(name="kind", value=kind)
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
        metrics.flush_metrics()
    except Exception:
        from cerchia.observability import logger

        logger().exception("could not count an email", extra={"metric": metric, "kind": kind})

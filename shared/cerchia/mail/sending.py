"""Sending through SES v2: paced, with backoff on throttling, at most once per ledger entry, never to a
suppressed address, and nothing lost when SES says no.

SES answers a failed SendEmail in two ways that must be told apart (SES v2 API reference, SendEmail
errors; SES developer guide, "Amazon SES email sending errors"):

- the account cannot send at all: `AccountSuspendedException`, `SendingPausedException`,
  `MailFromDomainNotVerifiedException`, `NotFoundException` (the configuration set is missing),
  throttling that outlasts our backoff, SES's own failures, and `MessageRejected` with "Email address
  is not verified" naming the sender's address or domain. Nothing is marked sent; the claim is given
  back and `SendingUnavailable` tells the caller to keep the work and retry it later
  (`SendAccountFailures` counts it, and an alarm watches that count);
- one recipient is refused: `MessageRejected` naming only the recipient (in the SES sandbox, an
  address that is not verified) or any other rejection of this one message, and `BadRequestException`
  (an address SES cannot use). Retrying cannot help: the ledger records the member as `refused`
  (never `sent`), `EmailsRefused` counts it, and the caller goes on with everyone else.

Every outcome is counted as an EMF metric per kind (`EmailsSent`, `EmailsSuppressed`, `EmailsRefused`),
flushed at once, so every function that sends email reports it without a decorator of its own.
`MaxSendRate` (settings.max_send_rate) paces every email this process sends, whatever its kind.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from cerchia import runtime
from cerchia.errors import Transient
from cerchia.mail.mime import Outgoing, UnwritableAddress, build
from cerchia.observability import count, logger
from cerchia.settings import get_settings
from cerchia.store import Store
from cerchia.store.suppression import is_suppressed

THROTTLING_CODES = {"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException"}
# The account (or its configuration) cannot send: nothing about this recipient is wrong.
ACCOUNT_CODES = {
    "AccountSuspendedException",
    "SendingPausedException",
    "MailFromDomainNotVerifiedException",
    "NotFoundException",
    # SES v1 names of the same conditions, should a client or proxy speak them
    "AccountSendingPausedException",
    "ConfigurationSetDoesNotExistException",
    "ConfigurationSetSendingPausedException",
}
# This one message (its recipient or content) cannot go out, however often it is tried.
RECIPIENT_CODES = {"MessageRejected", "BadRequestException"}
MAX_ATTEMPTS = 6
Delivery = Literal["sent", "already-sent", "unsubscribed", "suppressed", "refused"]


class Rejected(Exception):
    """SES refused this message for its recipient or content; retrying cannot help, others may still go out.

    `reason` is SES's own sentence, which may name the address: keep it out of logs and the table.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"SES refused the message ({code}).")
        self.code = code
        self.reason = reason


class SendingUnavailable(Transient):
    """SES cannot send for this account right now (not verified, paused, misconfigured, throttled).

    Nothing was sent and nothing is marked sent: keep the work and retry it later.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def classify(code: str, message: str, *, to_address: str, from_address: str) -> Literal["account", "recipient"]:
    """Whether an SES error is the account's (retry everything later) or this recipient's (record, go on).

    "Email address is not verified. The following identities failed the check in region R: a, b" names
    the identities at fault: the sender's address or domain makes it the account's; only the
    recipient's (the sandbox) makes it the recipient's; a message naming neither is treated as the
    account's, so nothing is given up on by mistake.
    """
    if code in THROTTLING_CODES or code in ACCOUNT_CODES or code not in RECIPIENT_CODES:
        return "account"
    lowered = message.lower()
    if "not verified" in lowered:
        named = {identity.strip().lower() for identity in lowered.rpartition(":")[2].split(",") if identity.strip()}
        sender = {from_address.lower(), from_address.lower().rpartition("@")[2]}
        recipient = {to_address.lower(), to_address.lower().rpartition("@")[2]}
        if named & sender or not named & recipient:
            return "account"
        return "recipient"
    if "sending paused" in lowered or "sending suspended" in lowered or ("account" in lowered and "paused" in lowered):
        return "account"
    return "recipient"


def send_raw(
    client: Any,
    raw: bytes,
    *,
    to_address: str,
    configuration_set: str,
    from_address: str,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Send one raw message; returns SES's message id.

    Throttling backs off and retries; what SES says then is classified: `Rejected` for this recipient,
    `SendingUnavailable` for the account.
    """
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
            details = error.response.get("Error", {})
            code, message = str(details.get("Code", "")), str(details.get("Message", ""))
            if code in THROTTLING_CODES and attempt < MAX_ATTEMPTS - 1:
                # full jitter, capped: 0.1 s, 0.2 s, 0.4 s ... up to 3.2 s
                sleep(random.uniform(0, min(3.2, 0.1 * 2**attempt)))
                continue
            # `from None`: SES's own message names addresses, and tracebacks end up in logs
            if classify(code, message, to_address=to_address, from_address=from_address) == "recipient":
                raise Rejected(code, message) from None
            if code in THROTTLING_CODES:
                raise SendingUnavailable(code, "SES kept throttling; the email will be retried later.") from None
            raise SendingUnavailable(
                code, f"SES cannot send for this account ({code}); the email will be retried later."
            ) from None
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ pacing and the SES client


class SendPacer:
    """A token bucket: at most `rate` emails per second from this worker (0: no limit of our own).

    Time and sleep are injected so tests move a fake clock instead of sleeping.
    """

    def __init__(
        self,
        rate: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        burst: float = 1.0,
    ) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.monotonic = monotonic
        self.sleep = sleep
        self._tokens = self.burst
        self._last = monotonic()

    def wait(self) -> None:
        """Return when one more email may go out, sleeping as long as the rate requires."""
        if self.rate <= 0:
            return
        now = self.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1.0:
            self.sleep((1.0 - self._tokens) / self.rate)
            self._last = self.monotonic()
            self._tokens = 1.0
        self._tokens -= 1.0


def pacer() -> SendPacer:
    """This process's pacer for every email, built from settings.max_send_rate (kept in the runtime)."""
    kept = runtime.cache("mail")
    if "pacer" not in kept:
        kept["pacer"] = SendPacer(get_settings().max_send_rate)
    return kept["pacer"]  # type: ignore[no-any-return]


def use_pacer(replacement: SendPacer | None) -> None:
    """Install a pacer (tests: a fake clock and sleep); None rebuilds it from the settings on next use."""
    kept = runtime.cache("mail")
    kept.pop("pacer", None)
    if replacement is not None:
        kept["pacer"] = replacement


def use_ses(client: Any) -> None:
    """Send through this SES v2 client instead of the default one (tests inject SES's real answers); None resets."""
    kept = runtime.cache("mail")
    kept.pop("ses", None)
    if client is not None:
        kept["ses"] = client


def ses_client() -> Any:
    return runtime.cache("mail").get("ses") or runtime.sesv2()


# ------------------------------------------------------------------ once per ledger entry


def deliver_once(
    store: Store,
    *,
    kind: str,
    community_id: str,
    recipient_id: str,
    period: str,
    compose: Callable[[], Outgoing],
    now: datetime,
    sleep: Callable[[float], None] | None = None,
    to_address: str | None = None,
    pace: Callable[[], None] | None = None,
) -> Delivery:
    """Send the email (kind, community, recipient, period) unless it already went out or may not go out.

    The ledger entry is claimed before sending and marked sent after. An address on the suppression
    list (bounced, complained) gets nothing: 'suppressed', and the ledger is left as it was, so the
    email would go out if the address were ever lifted. Callers that know the address pass
    `to_address`, which checks it before claiming or composing anything.

    SES refusing this recipient: the entry is marked `refused` and 'refused' returned (never retried).
    The account unable to send: the claim is given back and `SendingUnavailable` raised; the caller
    keeps the work for later. Any other failure gives the claim back and raises. Each email waits for
    `pace` (default: this process's pacer at MaxSendRate) just before it goes out; throttling backs
    off with `sleep` (default: the pacer's, so a test's fake time covers both).
    """
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
        try:
            message = build(
                outgoing, sender_address=settings.sender_address, sender_name=settings.sender_name, sent_at=now
            )
        except UnwritableAddress:
            # SES cannot take it either (no SMTPUTF8): this recipient is refused, the others go on.
            raise Rejected("UnwritableAddress", "The address cannot be written in a mail header.") from None
        (pace or pacer().wait)()
        message_id = send_raw(
            ses_client(),
            message.as_bytes(),
            to_address=outgoing.to_address,
            configuration_set=settings.configuration_set,
            from_address=settings.sender_address,
            sleep=sleep or pacer().sleep,
        )
    except Rejected as refusal:
        store.mark_email_refused(claim, refusal.code, now)
        _count("EmailsRefused", kind)
        return "refused"
    except SendingUnavailable as outage:
        store.release_email(claim)
        _count_account_failure(kind, outage.code)
        raise
    except BaseException:
        store.release_email(claim)
        raise
    store.mark_email_sent(claim, message_id, now)
    _count("EmailsSent", kind)
    return "sent"


def _count(metric: str, kind: str) -> None:
    """One metric line (CloudWatch EMF on stdout) for one email, with its kind and stage as dimensions."""
    count(metric, kind=kind)


def _count_account_failure(kind: str, code: str) -> None:
    """`SendAccountFailures` by stage only, so one alarm sees every kind; the kind and code are logged."""
    count("SendAccountFailures")
    logger().warning("SES cannot send for this account; the work is kept", extra={"kind": kind, "code": code})

"""SES feedback, the pure rules: what an SES event or notification says, and what a bounce or complaint does to an address.

The configuration set publishes its events (`eventType`: Send, Delivery, Bounce, Complaint,
Reject) to an SNS topic; an identity may also send classic notifications (`notificationType`).
Both carry the same `bounce` and `complaint` objects, so both are read here.

The rules, for an address in any community (suppression is per address, not per membership):
- a hard bounce (bounceType `Permanent`) or a complaint suppresses it at once;
- soft bounces (`Transient`, `Undetermined`) suppress it once three fall within 30 days;
- a complaint with feedback type `not-spam` is the member saying the opposite, and is ignored.

Each bounce or complaint is counted once per recipient, keyed on SES's `feedbackId`, so SNS's
at-least-once delivery (or the same event arriving both as an event and a notification) never
counts twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any, Literal

from cerchia.clock import parse_instant
from cerchia.errors import InvalidInput

SOFT_BOUNCE_LIMIT = 3
SOFT_BOUNCE_WINDOW = timedelta(days=30)

FeedbackKind = Literal["hard-bounce", "soft-bounce", "complaint"]
Recorded = Literal["suppressed", "counted", "duplicate"]

# SES event name -> the metric counting its recipients
EVENT_METRICS = {
    "Send": "Sends",
    "Delivery": "Deliveries",
    "Reject": "Rejects",
    "Bounce": "Bounces",
    "Complaint": "Complaints",
}


@dataclass(frozen=True)
class Feedback:
    """One recipient's bounce or complaint, as SES reported it."""

    kind: FeedbackKind
    address: str
    feedback_id: str
    at: datetime
    detail: str = ""  # bounceSubType or complaintFeedbackType, for the logs

    def __repr__(self) -> str:  # never print the address (logs, tracebacks, assertion messages)
        return f"Feedback(kind={self.kind!r}, feedback_id={self.feedback_id!r}, at={self.at!r})"


@dataclass(frozen=True)
class Notification:
    """What one SNS message from SES says: which event, for how many recipients, and any feedback."""

    event: str
    recipients: int = 0
    feedback: tuple[Feedback, ...] = ()
    ignored: tuple[str, ...] = field(default=())  # why some recipients count for nothing (e.g. not-spam)
    # The community the email was sent for, from its List-Id header (`<community-id.sender-domain>`).
    community_id: str | None = None


@dataclass(frozen=True)
class AddressStanding:
    """What Cerchia knows about one address's deliverability."""

    suppressed: bool = False
    reason: str | None = None
    soft_bounces: tuple[datetime, ...] = ()


def after_feedback(standing: AddressStanding, feedback: Feedback) -> AddressStanding:
    """The address's standing once this bounce or complaint is taken into account (a pure rule)."""
    if feedback.kind in ("hard-bounce", "complaint"):
        return AddressStanding(
            suppressed=True,
            reason=standing.reason if standing.suppressed else feedback.kind,
            soft_bounces=standing.soft_bounces,
        )
    every = sorted({*standing.soft_bounces, feedback.at})
    latest = every[-1]
    # Only the latest few inside the window matter; older ones are forgotten so the item stays small.
    recent = tuple(instant for instant in every if latest - instant <= SOFT_BOUNCE_WINDOW)[-SOFT_BOUNCE_LIMIT:]
    if standing.suppressed:
        return AddressStanding(True, standing.reason, recent)
    if len(recent) >= SOFT_BOUNCE_LIMIT:
        return AddressStanding(True, "soft-bounces", recent)
    return AddressStanding(False, None, recent)


def reported_at(raw: Any, fallback: datetime) -> datetime:
    """When SES says a bounce or complaint happened; `fallback` (its time zone, for a naive one) when it does not say."""
    if not isinstance(raw, str) or not raw:
        return fallback
    try:
        parsed = parse_instant(raw)
    except ValueError:
        return fallback
    if parsed is None:
        return fallback
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=fallback.tzinfo)


def _addresses(recipients: Any) -> list[str]:
    found = []
    for recipient in recipients if isinstance(recipients, list) else []:
        address = recipient.get("emailAddress") if isinstance(recipient, Mapping) else recipient
        if isinstance(address, str) and "@" in address:
            found.append(_bare(address))
    return found


def _bare(address: str) -> str:
    """`Giulia Rossi <giulia@example.com>` -> `giulia@example.com` (SES usually sends the bare address)."""
    return (parseaddr(address)[1] or address).strip()


def community_of(mail: Mapping[str, Any]) -> str | None:
    """The community id in the sent email's List-Id header (SES events carry the headers), if any."""
    headers = mail.get("headers")
    for header in headers if isinstance(headers, list) else []:
        if isinstance(header, Mapping) and str(header.get("name", "")).lower() == "list-id":
            list_id = str(header.get("value", "")).rpartition("<")[2].rstrip(">").strip()
            label = list_id.partition(".")[0]
            return label if label and len(label) <= 128 else None
    return None


def parse_notification(message: str | Mapping[str, Any], fallback_id: str, now: datetime) -> Notification:
    """Read an SES event or notification (the SNS message's text). Raises InvalidInput if it is not one.

    `fallback_id` (the SNS message id) names a bounce or complaint that lacks SES's feedbackId.
    """
    if isinstance(message, str):
        try:
            document = json.loads(message)
        except ValueError:
            # e.g. "Successfully validated SNS topic for Amazon SES event publishing."
            raise InvalidInput("The SNS message is not an SES event (not JSON).") from None
    else:
        document = message
    if not isinstance(document, Mapping):
        raise InvalidInput("The SNS message is not an SES event (not a JSON object).")
    event = document.get("eventType") or document.get("notificationType")
    if not isinstance(event, str) or not event:
        raise InvalidInput("The SES message has neither eventType nor notificationType.", {"eventType": "missing"})
    mail = document.get("mail")
    if not isinstance(mail, Mapping):
        mail = {}
    destination = [address for address in mail.get("destination") or [] if isinstance(address, str)]

    if event == "Bounce":
        bounce = document.get("bounce") or {}
        hard = bounce.get("bounceType") == "Permanent"
        return Notification(
            event,
            community_id=community_of(mail),
            recipients=len(_addresses(bounce.get("bouncedRecipients"))),
            feedback=tuple(
                Feedback(
                    kind="hard-bounce" if hard else "soft-bounce",
                    address=address,
                    feedback_id=str(bounce.get("feedbackId") or fallback_id),
                    at=reported_at(bounce.get("timestamp"), now),
                    detail=f"{bounce.get('bounceType', '?')}/{bounce.get('bounceSubType', '?')}",
                )
                for address in _addresses(bounce.get("bouncedRecipients"))
            ),
        )
    if event == "Complaint":
        complaint = document.get("complaint") or {}
        addresses = _addresses(complaint.get("complainedRecipients"))
        feedback_type = str(complaint.get("complaintFeedbackType") or "")
        if feedback_type == "not-spam":
            return Notification(event, recipients=0, ignored=("not-spam",) * len(addresses))
        return Notification(
            event,
            community_id=community_of(mail),
            recipients=len(addresses),
            feedback=tuple(
                Feedback(
                    kind="complaint",
                    address=address,
                    feedback_id=str(complaint.get("feedbackId") or fallback_id),
                    at=reported_at(complaint.get("timestamp"), now),
                    detail=feedback_type or "unspecified",
                )
                for address in addresses
            ),
        )
    if event == "Delivery":
        delivery = document.get("delivery") or {}
        delivered = [address for address in delivery.get("recipients") or [] if isinstance(address, str)]
        return Notification(event, recipients=len(delivered or destination))
    return Notification(event, recipients=len(destination))

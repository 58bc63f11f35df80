"""SES feedback, applied: each SNS message from SES counted as metrics, its bounces and complaints recorded once.

The rules (what a message says, when an address is suppressed) are in `cerchia.domain.feedback`.
"""

from __future__ import annotations

from datetime import datetime

from cerchia.digests.reach import note_lost_reach  # declared cross-feature call: the leader report counts lost reach
from cerchia.domain.feedback import EVENT_METRICS, Feedback, Recorded, parse_notification
from cerchia.errors import InvalidInput
from cerchia.observability import logger
from cerchia.store import Store, get_store, keys
from cerchia.store.suppression import address_hash, record_feedback


def record_notification(message: str, sns_message_id: str, now: datetime) -> dict[str, int]:
    """Apply one SES message; returns the metrics it adds up to (never counting a redelivery twice)."""
    try:
        notification = parse_notification(message, sns_message_id, now)
    except InvalidInput as error:
        # Not worth a retry: SES sends a plain-text test message when the destination is created.
        logger().warning("not an SES event; ignored", extra={"reason": str(error), "sns_message_id": sns_message_id})
        return {"IgnoredMessages": 1}
    counts: dict[str, int] = {}

    def add(metric: str, value: int = 1) -> None:
        if value:
            counts[metric] = counts.get(metric, 0) + value

    if notification.event in ("Send", "Delivery", "Reject"):
        add(EVENT_METRICS[notification.event], notification.recipients)
    store = get_store()
    for feedback in notification.feedback:
        outcome = record_feedback(store, feedback, now)
        if outcome == "duplicate":
            add("DuplicateFeedback")
            continue
        add(EVENT_METRICS[notification.event])
        if feedback.kind == "hard-bounce":
            add("HardBounces")
        if outcome == "suppressed":
            add("AddressesSuppressed")
        _count_in_report(store, notification.community_id, feedback, outcome)
        logger().info(
            "ses feedback",
            extra={
                "feedback": feedback.kind,
                "detail": feedback.detail,
                "outcome": outcome,
                "ses_event": notification.event,
            },
        )
    add("IgnoredComplaints", len(notification.ignored))
    return counts


def _count_in_report(store: Store, community_id: str | None, feedback: Feedback, outcome: Recorded) -> None:
    """The leader report of the community the email was for counts the bounce and the suppression."""
    community = store.get_community(community_id) if community_id else None
    if community is None:
        return
    hashed = address_hash(feedback.address)
    if feedback.kind != "complaint":
        note_lost_reach(store, community, feedback.at, keys.WEEK_BOUNCED, hashed)
    if outcome == "suppressed":
        note_lost_reach(store, community, feedback.at, keys.WEEK_SUPPRESSED, hashed)

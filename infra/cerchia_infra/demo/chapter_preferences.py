"""Preferences and SES feedback: a member chooses fewer emails, one unsubscribes in one click, an address bounces.

Everything happens as it would for real: the links come from the footers and headers of the emails
already sent, the forms are posted like a browser or a mailbox provider would, and the bounce is a
realistic SES event delivered to the feedback function through SNS (`/_local/invoke`).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any


def play(demo: Any) -> None:
    _choose_fewer_emails(demo, "it", "it_anna")
    _one_click_unsubscribe(demo, "en", "en_joe")
    _hard_bounce(demo, "it", "it_paolo")


def _member(demo: Any, key: str, member_id: str) -> dict[str, Any]:
    return next(member for member in demo.members[key] if member["member_id"] == member_id)


def _latest_email_to(demo: Any, address: str) -> dict[str, Any] | None:
    mails = [mail for mail in demo.outbox() if address.lower() in mail["to"].lower()]
    return mails[-1] if mails else None


def _choose_fewer_emails(demo: Any, key: str, member_id: str) -> None:
    member = _member(demo, key, member_id)
    mail = _latest_email_to(demo, member["email"])
    link = re.search(r"https?://\S+/p/[A-Za-z0-9_.\-]+", mail["text"]) if mail else None
    if link is None:
        demo.note(f"{member['name']} has no email with a preference link yet; skipped")
        return
    demo.get(link.group(0))  # opening the page changes nothing
    answer = demo.post(
        link.group(0),
        data={"emails": "on", "digest": "biweekly", "polls": "on", "locale": member.get("locale") or "en"},
    )
    saved = answer.status_code == 200
    demo.note(
        f"{member['name']} opened 'Choose which emails you get' and switched to a digest every two weeks"
        + ("" if saved else f" (refused: {answer.status_code})")
    )


def _one_click_unsubscribe(demo: Any, key: str, member_id: str) -> None:
    member = _member(demo, key, member_id)
    mail = _latest_email_to(demo, member["email"])
    if mail is None or "List-Unsubscribe" not in mail["headers"]:
        demo.note(f"{member['name']} has no email to unsubscribe from yet; skipped")
        return
    link = mail["headers"]["List-Unsubscribe"].strip("<>")
    demo.get(link)  # a mail scanner or the member opening the link: nothing changes
    answer = demo.post(
        link,
        data="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
    )
    demo.note(
        f"{member['name']} pressed Unsubscribe in the mail app (RFC 8058 one-click): "
        f"{answer.status_code}, no redirect; {demo.communities[key]['name']} sends nothing more"
    )


def _hard_bounce(demo: Any, key: str, member_id: str) -> None:
    member = _member(demo, key, member_id)
    counts = demo.invoke("RecordSesFeedbackFunction", bounce_event(member["email"], demo.now().isoformat()))
    demo.note(
        f"SES reported a hard bounce for {member['name']}'s address: suppressed in every community "
        f"({counts.get('AddressesSuppressed', 0)} address suppressed, stored hashed)"
    )


def bounce_event(address: str, at: str) -> dict[str, Any]:
    """An SES hard-bounce event (event publishing) as SNS hands it to Lambda."""
    stamp = at.replace("+00:00", "Z")
    topic = "arn:aws:sns:eu-west-1:123456789012:cerchia-local-SesFeedbackTopic"
    message = {
        "eventType": "Bounce",
        "bounce": {
            "feedbackType": "Bounce",
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": address,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 The email account that you tried to reach does not exist.",
                }
            ],
            "timestamp": stamp,
            "feedbackId": f"0102019a-{uuid.uuid4()}-000000",
            "reportingMTA": "dsn; a7-12.smtp-out.eu-west-1.amazonses.com",
        },
        "mail": {
            "timestamp": stamp,
            "source": "cerchia@example.org",
            "sendingAccountId": "123456789012",
            "messageId": f"0102019a-{uuid.uuid4()}-000000",
            "destination": [address],
            "headersTruncated": False,
            "tags": {"ses:configuration-set": ["cerchia-local"]},
        },
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": topic,
                    "Subject": "Amazon SES Email Event Notification",
                    "Message": json.dumps(message),
                    "Timestamp": stamp,
                    "SignatureVersion": "1",
                    "Signature": "",
                    "SigningCertUrl": "",
                    "UnsubscribeUrl": "",
                    "MessageAttributes": {},
                },
            }
        ]
    }

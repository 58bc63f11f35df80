"""Builds the MIME message of every email: text and HTML parts, and the headers mailbox providers expect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


@dataclass(frozen=True)
class Outgoing:
    """Everything that makes one email, before it becomes MIME."""

    kind: str
    to_address: str
    to_name: str
    subject: str
    text: str
    html: str
    unsubscribe_url: str | None = None


def header_text(value: str) -> str:
    """One line of header text: CR, LF and other control characters can never start a new header."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def build(outgoing: Outgoing, *, sender_address: str, sender_name: str, sent_at: datetime) -> EmailMessage:
    message = EmailMessage()
    local, _, domain = sender_address.partition("@")
    message["From"] = Address(display_name=header_text(sender_name), username=local, domain=domain)
    to_local, _, to_domain = outgoing.to_address.partition("@")
    message["To"] = Address(display_name=header_text(outgoing.to_name), username=to_local, domain=to_domain)
    message["Subject"] = header_text(outgoing.subject)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = make_msgid(idstring=outgoing.kind, domain=domain or None)
    message["X-Cerchia-Kind"] = outgoing.kind
    message["Auto-Submitted"] = "auto-generated"
    if outgoing.unsubscribe_url:
        # RFC 2369 + RFC 8058: one-click unsubscribe by POST, no session needed.
        message["List-Unsubscribe"] = f"<{outgoing.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(outgoing.text, subtype="plain", charset="utf-8")
    message.add_alternative(outgoing.html, subtype="html", charset="utf-8")
    return message

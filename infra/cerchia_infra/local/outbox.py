"""The outbox: every email the emulated SES accepted, as `.eml` files and a readable index.

Messages are collected from moto's in-process SES backend (where SES v2 `SendEmail` with raw
content lands) and written to `<state-dir>/outbox/NNNN-<kind>.eml`; `index.html` lists them. The
folder outlives the stack: a restarted stack continues the numbering and lists earlier emails too.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from cerchia_infra.local.clock import iso

_FILE_NAME = re.compile(r"^(\d{4,})-[a-z0-9-]+\.eml$")


@dataclass(frozen=True)
class SentEmail:
    number: int
    file_name: str
    to: str
    subject: str
    kind: str
    headers: dict[str, str]
    html: str
    text: str
    sent_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "subject": self.subject,
            "kind": self.kind,
            "headers": self.headers,
            "html": self.html,
            "text": self.text,
            "sent_at": iso(self.sent_at),
            "file": self.file_name,
        }


def parse_email(raw: bytes, number: int = 0, received_at: datetime | None = None) -> SentEmail:
    """Read one raw message. `sent_at` is its Date header (the mailer sets it from the virtual clock)."""
    message = BytesParser(policy=default_policy).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    headers: dict[str, str] = {}
    for name, value in message.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else str(value)
    kind = str(message.get("X-Cerchia-Kind", "") or "").strip()
    return SentEmail(
        number=number,
        file_name=eml_file_name(number, kind),
        to=", ".join(address for _, address in getaddresses([str(v) for v in message.get_all("To", [])]) if address),
        subject=str(message.get("Subject", "") or ""),
        kind=kind,
        headers=headers,
        html=_body(message, "html"),
        text=_body(message, "plain"),
        sent_at=_sent_at(message, received_at),
    )


def eml_file_name(number: int, kind: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", kind.lower()).strip("-") or "email"
    return f"{number:04d}-{slug}.eml"


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    try:
        # on the wire every line ends with CRLF (RFC 5322); shown here as a client shows it
        return str(part.get_content()).replace("\r\n", "\n")
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _sent_at(message: EmailMessage, received_at: datetime | None) -> datetime:
    header = message.get("Date")
    moment = getattr(header, "datetime", None) if header is not None else None
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return received_at or datetime.now(UTC)


def render_index(emails: Sequence[SentEmail]) -> str:
    """The outbox as an HTML page, newest first; every value from an email is escaped."""
    rows = []
    for email in reversed(emails):
        rows.append(
            "<tr>"
            f"<td class=num>{email.number}</td>"
            f"<td><time>{html.escape(email.sent_at.strftime('%Y-%m-%d %H:%M:%S'))} UTC</time></td>"
            f"<td><span class=kind>{html.escape(email.kind or '-')}</span></td>"
            f"<td>{html.escape(email.to)}</td>"
            f'<td><a href="{html.escape(email.file_name, quote=True)}">{html.escape(email.subject or "(no subject)")}</a></td>'
            "</tr>"
        )
    body = "\n".join(rows) or "<tr><td colspan=5 class=empty>No email sent yet.</td></tr>"
    return f"""<!doctype html>
<html lang=en>
<head>
<meta charset=utf-8>
<meta name=viewport content="width=device-width, initial-scale=1">
<title>Cerchia outbox ({len(emails)})</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem; color: #1d2430; background: #fafafa; }}
h1 {{ font-size: 1.3rem; }}
table {{ border-collapse: collapse; width: 100%; background: #fff; }}
th, td {{ text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #e4e7ec; vertical-align: top; }}
th {{ background: #f0f2f5; font-weight: 600; }}
tr:hover td {{ background: #f7f9fc; }}
.num {{ color: #8a94a6; }}
.kind {{ font: 12px ui-monospace, monospace; background: #eef1f8; border-radius: 4px; padding: 1px 6px; }}
.empty {{ color: #8a94a6; text-align: center; }}
</style>
</head>
<body>
<h1>Cerchia outbox: {len(emails)} email{"" if len(emails) == 1 else "s"}</h1>
<p>Newest first. Open a subject to read the raw message (.eml) in your mail client.</p>
<table>
<thead><tr><th>#</th><th>Sent (virtual time)</th><th>Kind</th><th>To</th><th>Subject</th></tr></thead>
<tbody>
{body}
</tbody>
</table>
</body>
</html>
"""


class Outbox:
    """Collects sent messages into `directory` and lists them."""

    def __init__(
        self,
        directory: Path,
        sent_messages: Callable[[], Sequence[Any]],
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.directory = directory
        self._sent_messages = sent_messages
        self._now = now or (lambda: datetime.now(UTC))
        self._seen = 0
        self._lock = threading.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._emails = self._load_existing()
        self._write_index()

    def _load_existing(self) -> list[SentEmail]:
        emails = []
        for path in sorted(self.directory.glob("*.eml")):
            match = _FILE_NAME.match(path.name)
            if not match:
                continue
            email = parse_email(path.read_bytes(), int(match.group(1)))
            emails.append(replace(email, file_name=path.name))
        return sorted(emails, key=lambda e: e.number)

    def collect(self) -> int:
        """Write messages sent since the last call; return how many."""
        with self._lock:
            messages = list(self._sent_messages())
            if len(messages) < self._seen:  # the emulator was reset
                self._seen = 0
            fresh = messages[self._seen :]
            self._seen = len(messages)
            number = self._emails[-1].number if self._emails else 0
            for message in fresh:
                raw = _raw_bytes(message)
                number += 1
                email = parse_email(raw, number, self._now())
                (self.directory / email.file_name).write_bytes(raw)
                self._emails.append(email)
            if fresh:
                self._write_index()
            return len(fresh)

    def emails(self) -> list[SentEmail]:
        with self._lock:
            return list(self._emails)

    def _write_index(self) -> None:
        temporary = self.directory / "index.html.tmp"
        temporary.write_text(render_index(self._emails), encoding="utf-8")
        temporary.replace(self.directory / "index.html")


def _raw_bytes(message: Any) -> bytes:
    raw = getattr(message, "raw_data", None)
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    # A simple (non-raw) SES message: rebuild a minimal MIME message so it still shows up.
    simple = EmailMessage()
    simple["From"] = str(getattr(message, "source", ""))
    destinations = getattr(message, "destinations", {}) or {}
    to = destinations.get("ToAddresses", []) if isinstance(destinations, dict) else list(destinations)
    simple["To"] = ", ".join(str(Address(addr_spec=a)) for a in to)
    simple["Subject"] = str(getattr(message, "subject", ""))
    simple.set_content(str(getattr(message, "body", "")))
    return bytes(simple)

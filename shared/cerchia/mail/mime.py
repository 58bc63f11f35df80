"""Builds the MIME message of every email: text and HTML parts, and the headers mailbox providers expect.

The address headers and the list headers are written by hand, byte for byte, not by `email.policy`:
the standard policy folds a long `List-Unsubscribe` by turning it into RFC 2047 encoded words, which
RFC 2369 and RFC 8058 forbid (clients then see no URL, and one-click unsubscribe disappears). Here
`List-Unsubscribe`, `List-Unsubscribe-Post`, `List-Id` and `Message-ID` are plain ASCII, folded only
at whitespace (a URL stays whole on its line); in `From`, `To` and `Reply-To` only the display name is
encoded, as whole RFC 2047 words, when it is not ASCII.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid
from typing import Any

from cerchia.domain.text import clean

# Headers stored and written verbatim by _Policy (lower case).
RAW_HEADERS = frozenset(
    {"from", "to", "reply-to", "message-id", "list-id", "list-unsubscribe", "list-unsubscribe-post"}
)
FOLD_AT = 78  # RFC 5322's recommended line length; a word longer than that keeps its line whole
MAX_LINE = 998  # RFC 5322's hard limit, CRLF excluded
_ENCODED_WORD_BYTES = 45  # 45 bytes -> 60 base64 characters -> a 72-character encoded word (limit 75)


@dataclass(frozen=True)
class Outgoing:
    """Everything that makes one email, before it becomes MIME.

    `from_name` is the display name of the sender (None: the deployment's SENDER_NAME); `reply_to`
    an address replies go to (None: no Reply-To); `list_id` the RFC 2919 list identifier without its
    angle brackets, `list_name` its description (ASCII only; left out otherwise).
    """

    kind: str
    to_address: str
    to_name: str
    subject: str
    text: str
    html: str
    unsubscribe_url: str | None = None
    from_name: str | None = None
    reply_to: str | None = None
    reply_to_name: str = ""
    list_id: str | None = None
    list_name: str = ""


def header_text(value: str) -> str:
    """One line of header text: CR, LF and other control characters can never start a new header."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in clean(value)).split())


class UnwritableAddress(ValueError):
    """The recipient's address cannot be written in a mail header (e.g. a non-ASCII local part)."""


def mailbox(display_name: str, address: str) -> str:
    """`"Name" <local@domain>` as it is written in the header: a quoted string when the name is ASCII,
    RFC 2047 encoded words (base64, UTF-8) when it is not. Raises ValueError for an address that
    cannot be written in a header."""
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if domain and not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    address = f"{local}{at}{domain}"
    if (
        not local
        or not at
        or not address.isascii()
        or any(not ch.isprintable() or ch.isspace() or ch in '<>()[],;:\\"' for ch in address)
    ):
        raise ValueError("This email address cannot be written in a mail header.")
    name = header_text(display_name)
    if not name:
        return f"<{address}>"
    if name.isascii():
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + f'" <{address}>'
    return " ".join(_encoded_words(name)) + f" <{address}>"


def _encoded_words(text: str) -> list[str]:
    """RFC 2047 encoded words for `text`, each at most 75 characters, never splitting a character.

    A name that fits is one word. A longer one is cut before a space where it can be, with the space
    kept at the start of the next word: clients join adjacent encoded words without the whitespace
    between them (RFC 2047, 6.2), so the name reads as written.
    """
    chunks: list[str] = []
    rest = text
    while rest:
        size, cut, last_space = 0, len(rest), 0
        for index, ch in enumerate(rest):
            size += len(ch.encode("utf-8"))
            if size > _ENCODED_WORD_BYTES:
                cut = last_space or index
                break
            if ch == " " and index:
                last_space = index
        chunks.append(rest[:cut])
        rest = rest[cut:]
    return [f"=?utf-8?b?{base64.b64encode(chunk.encode('utf-8')).decode('ascii')}?=" for chunk in chunks]


def fold_raw(name: str, value: str, linesep: str = "\r\n") -> str:
    """`Name: value` folded at whitespace only, never encoded. Raises ValueError if a line cannot fit."""
    words = header_text(value).split(" ")
    if not "".join(words).isascii():
        raise ValueError(f"The {name} header must be plain ASCII.")
    lines = [f"{name}: {words[0]}"]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) > FOLD_AT:
            lines.append(f" {word}")
        else:
            lines[-1] += f" {word}"
    if any(len(line) > MAX_LINE for line in lines):
        raise ValueError(f"The {name} header has a word longer than a mail line may be.")
    return linesep.join(lines) + linesep


class _Policy(EmailPolicy):
    """The standard policy, except that RAW_HEADERS are kept as written and folded by fold_raw."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if name.lower() in RAW_HEADERS:
            return (name, str(value))
        return super().header_store_parse(name, value)  # type: ignore[no-any-return]

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if name.lower() in RAW_HEADERS:
            return value
        return super().header_fetch_parse(name, value)

    def fold(self, name: str, value: Any) -> str:
        if name.lower() in RAW_HEADERS:
            return fold_raw(name, str(value), self.linesep)
        return super().fold(name, value)  # type: ignore[no-any-return]

    def fold_binary(self, name: str, value: Any) -> bytes:
        if name.lower() in RAW_HEADERS:
            return fold_raw(name, str(value), self.linesep).encode("ascii")
        return super().fold_binary(name, value)  # type: ignore[no-any-return]


POLICY = _Policy(linesep="\r\n", max_line_length=FOLD_AT, raise_on_defect=False)


def build(outgoing: Outgoing, *, sender_address: str, sender_name: str, sent_at: datetime) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    domain = sender_address.rpartition("@")[2]
    message["From"] = mailbox(outgoing.from_name or sender_name, sender_address)
    try:
        message["To"] = mailbox(outgoing.to_name, outgoing.to_address)
    except ValueError:
        raise UnwritableAddress("The recipient's address cannot be written in a mail header.") from None
    if outgoing.reply_to:
        message["Reply-To"] = mailbox(outgoing.reply_to_name, outgoing.reply_to)
    message["Subject"] = header_text(outgoing.subject)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = make_msgid(idstring=outgoing.kind, domain=domain or None)
    message["X-Cerchia-Kind"] = outgoing.kind
    message["Auto-Submitted"] = "auto-generated"
    if outgoing.list_id:
        # RFC 2919: a description (quoted, ASCII only: this header is never encoded) and <label.domain>.
        description = header_text(outgoing.list_name)
        phrase = '"' + description.replace("\\", "\\\\").replace('"', '\\"') + '" ' if description.isascii() else ""
        message["List-Id"] = f"{phrase if description else ''}<{outgoing.list_id}>"
    if outgoing.unsubscribe_url:
        # RFC 2369 + RFC 8058: one-click unsubscribe by POST, no session needed.
        message["List-Unsubscribe"] = f"<{outgoing.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(outgoing.text, subtype="plain", charset="utf-8")
    message.add_alternative(outgoing.html, subtype="html", charset="utf-8")
    return message

"""Reading an email as a client that does not decode reads it: its raw bytes, header lines and all.

Nothing here uses `email.parser` with a decoding policy: headers are split out of the bytes with
`bytes.split(b"\r\n")`, so an RFC 2047 encoded word stays visible as `=?...?=`.
"""

from __future__ import annotations

import base64
import re

MEMBER_KINDS = ("welcome", "nudge", "newcomer", "poll", "poll-reminder", "poll-results", "digest", "leader-digest")
STRUCTURED = (b"list-unsubscribe", b"list-unsubscribe-post", b"message-id", b"list-id")
_ENCODED_WORD = re.compile(rb"=\?utf-8\?b\?([A-Za-z0-9+/=]*)\?=", re.IGNORECASE)


def header_lines(raw: bytes) -> list[bytes]:
    """The physical lines of the header block, CRLF removed."""
    head, separator, _ = raw.partition(b"\r\n\r\n")
    assert separator, "no blank line ends the header block (lines must end with CRLF)"
    return head.split(b"\r\n")


def fields(raw: bytes) -> list[tuple[bytes, list[bytes]]]:
    """(lower-case name, its physical lines) for each header field, in order."""
    found: list[tuple[bytes, list[bytes]]] = []
    for line in header_lines(raw):
        if line[:1] in (b" ", b"\t"):
            assert found, "the first header line is a continuation"
            found[-1][1].append(line)
        else:
            name, colon, _ = line.partition(b":")
            assert colon, f"a header line with no colon: {line!r}"
            found.append((name.lower(), [line]))
    return found


def field(raw: bytes, name: str) -> list[bytes]:
    """The physical lines of the one `name` field; fails if there is none or several."""
    matches = [lines for found, lines in fields(raw) if found == name.lower().encode()]
    assert len(matches) == 1, f"{name}: {len(matches)} fields"
    return matches[0]


def unfolded(lines: list[bytes]) -> bytes:
    """A field's value with folding undone (CRLF before whitespace removed), as RFC 5322 unfolds it."""
    value = b"".join(lines)
    return value.partition(b":")[2].strip()


def decoded_display_name(lines: list[bytes]) -> str:
    """The display name of an address field: a quoted string, or base64 encoded words joined (RFC 2047 6.2)."""
    value = unfolded(lines)
    phrase = value.rpartition(b"<")[0].strip()
    if phrase.startswith(b'"'):
        return phrase[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\").decode("ascii")
    return b"".join(base64.b64decode(word) for word in _ENCODED_WORD.findall(phrase)).decode("utf-8")


def addr_spec(lines: list[bytes]) -> str:
    return unfolded(lines).rpartition(b"<")[2].rstrip(b">").decode("ascii")


def assert_client_readable(raw: bytes) -> None:
    """What every Cerchia email must be on the wire: lines within 998 octets, list headers raw."""
    for line in header_lines(raw):
        assert len(line) <= 998, f"header line of {len(line)} octets"
    for name, lines in fields(raw):
        if name in STRUCTURED:
            for line in lines:
                assert b"=?" not in line, f"{name!r} is encoded: {line!r}"
                assert line.isascii()
            # folded only at whitespace: every continuation starts with whitespace, and unfolding
            # gives back whole tokens (a URL is never cut)
            assert all(line[:1] in (b" ", b"\t") for line in lines[1:])
    unsubscribe = field(raw, "List-Unsubscribe")
    assert unsubscribe[0].startswith(b"List-Unsubscribe: <http"), unsubscribe[0]
    assert re.fullmatch(rb"<https?://[!-~]+>", unfolded(unsubscribe)), unsubscribe
    assert field(raw, "List-Unsubscribe-Post") == [b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
    assert re.fullmatch(rb"<[!-=?-~]+@[!-=?-~]+>", unfolded(field(raw, "Message-ID")))
    assert unfolded(field(raw, "X-Cerchia-Kind")).decode() in MEMBER_KINDS

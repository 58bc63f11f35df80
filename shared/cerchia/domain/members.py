"""Members brought in from a file, taken out on request, and shown what is held (pure: no AWS).

- Import reads Discourse's admin "Export users" CSV (columns found by header name) or a plain CSV
  `member_id,email,name[,locale,timezone,role]`. Staged, inactive and currently suspended users are
  skipped (counted, not sent); rows that break the contract are rejected with their line and reason.
- The API takes at most `MAX_IMPORT` members per call and answers one result per member.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError

from cerchia.domain.events import DisplayText, Identifier, Instant, Locale, Role, TimeZone, field_errors

MAX_IMPORT = 1000
PLAIN_COLUMNS = ("member_id", "email", "name", "locale", "timezone", "role")
DISCOURSE_REQUIRED = ("id", "username", "email")
TRUE = {"true", "t", "1", "yes"}


class ImportedMember(BaseModel):
    """One member as the import API takes it."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    member_id: Identifier
    email: EmailStr
    name: DisplayText
    locale: Locale | None = None
    timezone: TimeZone | None = None
    role: Role = "member"
    joined_at: Instant | None = Field(default=None, description="When they joined on the platform; default: now.")


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    members: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_IMPORT, description=f"1 to {MAX_IMPORT} members, each like ImportedMember."
    )


Outcome = Literal["imported", "already-there", "rejected"]


class ImportResult(BaseModel):
    model_config = ConfigDict(defer_build=True)

    index: int = Field(description="Position of the member in the request (0-based).")
    member_id: str | None = None
    outcome: Outcome
    reason: str | None = None


class ImportAnswer(BaseModel):
    model_config = ConfigDict(defer_build=True)

    imported: int
    already_there: int
    rejected: int
    results: list[ImportResult]


def validate_member(raw: Any) -> ImportedMember | str:
    """The member, or a sentence naming what is wrong with it."""
    if not isinstance(raw, dict):
        return "must be an object with member_id, email and name"
    try:
        return ImportedMember.model_validate({k: v for k, v in raw.items() if v not in (None, "")})
    except ValidationError as error:
        return "; ".join(f"{name}: {problem}" for name, problem in field_errors(error).items())


def answer(results: list[ImportResult]) -> ImportAnswer:
    count = {outcome: sum(1 for r in results if r.outcome == outcome) for outcome in ("imported", "already-there")}
    return ImportAnswer(
        imported=count["imported"],
        already_there=count["already-there"],
        rejected=sum(1 for r in results if r.outcome == "rejected"),
        results=results,
    )


# ---------------------------------------------------------------------- reading a file


@dataclass(frozen=True)
class Row:
    """One data line of an import file: the member to send, or why it was skipped or rejected."""

    line: int
    member: dict[str, Any] | None = None
    skipped: str = ""
    rejected: str = ""


def read_rows(lines: Iterable[str], now: datetime) -> Iterator[Row]:
    """The rows of a Discourse user export or of a plain CSV, decided by the header line."""
    reader = csv.reader(lines)
    header = [name.strip().lower() for name in next(reader, [])]
    if not header:
        return
    discourse = all(name in header for name in DISCOURSE_REQUIRED)
    if not discourse and header[: len(PLAIN_COLUMNS[:3])] != list(PLAIN_COLUMNS[:3]):
        raise ValueError(
            "The file's first line must name its columns: either Discourse's user export (id, name, username, "
            "email, …) or member_id,email,name[,locale,timezone,role]."
        )
    for number, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        fields = {name: value.strip() for name, value in zip(header, values, strict=False)}
        yield _discourse_row(number, fields, now) if discourse else Row(number, _plain(fields))


def _plain(fields: dict[str, str]) -> dict[str, Any]:
    return {name: fields.get(name) or None for name in PLAIN_COLUMNS}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE


def _discourse_row(number: int, fields: dict[str, str], now: datetime) -> Row:
    if _flag(fields.get("staged")):
        return Row(number, skipped="staged")
    if "active" in fields and not _flag(fields.get("active")):
        return Row(number, skipped="inactive")
    until = fields.get("suspended_till") or ""
    if until:
        try:
            suspended_till = datetime.fromisoformat(_export_time(until) or "")
        except ValueError:
            return Row(number, rejected=f"suspended_till: {until!r} is not a date")
        if suspended_till > now:
            return Row(number, skipped="suspended")
    user_id = fields.get("id", "")
    if user_id.lstrip("-").isdigit() and int(user_id) <= 0:
        return Row(number, skipped="system user")
    member = {
        "member_id": user_id,
        "email": fields.get("email"),
        "name": fields.get("name") or fields.get("username"),
        "role": "leader" if _flag(fields.get("admin")) or _flag(fields.get("moderator")) else "member",
        "joined_at": _export_time(fields.get("created_at")),
    }
    return Row(number, member=member)


def _export_time(value: str | None) -> str | None:
    """Discourse writes times like `2024-03-02 10:11:12 UTC` in its exports; ISO 8601 is read too."""
    if not value:
        return None
    text = value.strip().replace(" UTC", "+00:00")
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).isoformat()

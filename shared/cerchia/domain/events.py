"""The platform's events as Cerchia accepts them (DESIGN.md, "Public HTTP contract")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    StringConstraints,
    ValidationError,
)

from cerchia.domain.text import clean_input
from cerchia.errors import InvalidInput

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
# Names and titles: NUL and bidi override/isolate characters are removed first (domain/text.py).
DisplayText = Annotated[
    str, BeforeValidator(clean_input), StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
]
Role = Literal["member", "leader"]


def language(value: str) -> str:
    """Accept `it`, `it-IT`, `it_IT`; keep the language part. Unsupported languages fall back later."""
    primary = value.replace("_", "-").split("-")[0].lower()
    if not (2 <= len(primary) <= 3 and primary.isalpha()):
        raise ValueError("must be a language tag such as 'en' or 'it-IT'")
    return primary


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as 'Europe/Rome'") from None
    return value


# Instants Cerchia accepts: none before this, none more than a year ahead (see `instant_problems`).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
AT_MOST_AHEAD = timedelta(days=366)
# An event cannot have happened later than it arrived, give or take the signature's clock tolerance.
CLOCK_TOLERANCE = timedelta(minutes=5)
OUT_OF_RANGE = "must be between the year 2000 and one year from now"


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a time zone offset, e.g. 2026-11-26T09:00:00Z")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:30:00+01:00 is before the first representable UTC instant
        raise ValueError(OUT_OF_RANGE) from None
    if utc < EARLIEST:
        raise ValueError(OUT_OF_RANGE)
    return utc


def instant_problems(instants: dict[str, datetime | None], latest: datetime) -> dict[str, str]:
    """The named instants that are later than `latest` (the window's start is checked on parsing).

    Keeping every stored instant within a sane window keeps keys sortable and week and local-time
    arithmetic (which overflows near year 9999) safe for every later reader.
    """
    return {
        name: f"must not be later than {latest.isoformat().replace('+00:00', 'Z')}"
        for name, instant in instants.items()
        if instant is not None and instant > latest
    }


Locale = Annotated[str, AfterValidator(language)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Instant = Annotated[datetime, AfterValidator(_utc)]


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class MemberJoined(_Data):
    member_id: Identifier
    email: EmailStr
    name: DisplayText
    first_name: DisplayText | None = None
    locale: Locale | None = None
    timezone: TimeZone | None = None
    role: Role = "member"


class MemberUpdated(_Data):
    member_id: Identifier
    email: EmailStr | None = None
    name: DisplayText | None = None
    first_name: DisplayText | None = None
    locale: Locale | None = None
    timezone: TimeZone | None = None
    role: Role | None = None

    def changes(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump(exclude={"member_id"}).items() if v is not None}


class MemberLeft(_Data):
    member_id: Identifier


class MemberErased(_Data):
    """`member.erased`: remove the member's personal data now (handled by ingest, not stored as an event)."""

    member_id: Identifier


class PostCreated(_Data):
    post_id: Identifier
    author_id: Identifier
    title: DisplayText
    url: AnyHttpUrl
    body: Annotated[str, StringConstraints(max_length=100_000)] | None = None
    created_at: Instant | None = None


class PostDeleted(_Data):
    post_id: Identifier


class ReplyCreated(_Data):
    reply_id: Identifier
    post_id: Identifier
    author_id: Identifier
    created_at: Instant | None = None


class ReactionAdded(_Data):
    post_id: Identifier
    member_id: Identifier
    reaction: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = "like"


EventData = MemberJoined | MemberUpdated | MemberLeft | PostCreated | PostDeleted | ReplyCreated | ReactionAdded

DATA_MODELS: dict[str, type[_Data]] = {
    "member.joined": MemberJoined,
    "member.updated": MemberUpdated,
    "member.left": MemberLeft,
    "post.created": PostCreated,
    "post.deleted": PostDeleted,
    "reply.created": ReplyCreated,
    "reaction.added": ReactionAdded,
}


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    type: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    timestamp: Instant | None = None
    data: dict[str, Any]


@dataclass(frozen=True)
class PlatformEvent:
    """One accepted event: its type, when it happened (event time, else arrival), and its data.

    A plain value, not a model: its parts are validated on the way in (`parse_event`, the Discourse
    mapping), and validating `data` again against the union of every kind would build all seven
    models' validators on a cold start that needs one.
    """

    type: str
    occurred_at: datetime
    data: EventData


def field_errors(error: ValidationError, prefix: str = "") -> dict[str, str]:
    """What pydantic found wrong, by field name (`prefix` + its dotted path; "body" for the whole)."""
    fields: dict[str, str] = {}
    for problem in error.errors():
        name = prefix + ".".join(str(part) for part in problem["loc"]) if problem["loc"] else prefix.rstrip(".")
        fields[name or "body"] = problem["msg"]
    return fields


def parse_event(body: Any, received_at: datetime, arrived_at: datetime | None = None) -> PlatformEvent | None:
    """Validate a decoded webhook body. None means a well-formed event of a type Cerchia ignores.

    `received_at` is the business clock's now (the event's time when it carries none); `arrived_at`,
    when later, is when the platform signed it. Neither `timestamp` nor `created_at` may be later
    than the later of the two plus CLOCK_TOLERANCE, nor earlier than the year 2000.
    Raises InvalidInput naming every field that is wrong.
    """
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object with type, timestamp and data.", {"body": "not an object"})
    try:
        envelope = Envelope.model_validate(body)
    except ValidationError as error:
        raise InvalidInput("The event envelope is not valid.", field_errors(error)) from None
    model = DATA_MODELS.get(envelope.type)
    if model is None:
        return None
    try:
        data = model.model_validate(envelope.data)
    except ValidationError as error:
        raise InvalidInput(
            f"The data of this {envelope.type} event is not valid.", field_errors(error, "data.")
        ) from None
    latest = max(received_at, arrived_at or received_at) + CLOCK_TOLERANCE
    too_late = instant_problems(
        {"timestamp": envelope.timestamp, "data.created_at": getattr(data, "created_at", None)}, latest
    )
    if too_late:
        raise InvalidInput(
            f"The event is dated after it arrived: send the time it happened in {' and '.join(too_late)}.", too_late
        )
    occurred_at = envelope.timestamp or received_at
    return PlatformEvent(type=envelope.type, occurred_at=occurred_at, data=data)  # type: ignore[arg-type]

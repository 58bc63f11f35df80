"""Property-based tests (hypothesis) through the real handlers under moto: any body, any headers.

The events route and the polls API must never answer a 5xx, and a 4xx must leave the community
exactly as it was (its item collection and the due index, read back with Queries). Examples are
bounded and derandomized so that CI runs the same cases every time, in a few seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from polls_support import PollsWorld
from support import LambdaContext, http_event, load_handler

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Every example run, and every answer of 500 or more, so the suite's closing note can give the figures.
TALLY: dict[str, int] = {"cases": 0, "5xx": 0}

ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-1)), timezone(timedelta(hours=14)), None]
)
INSTANTS = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=ZONES).map(
        lambda instant: instant.isoformat()
    ),
    st.sampled_from(["0999-01-01T00:00:00Z", "9999-12-31T23:30:00Z", "0001-01-01T00:30:00+01:00", "2026-11-23"]),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)
IDS = st.one_of(st.text(max_size=300), st.sampled_from(["u_1042", "p_301", "founder", " ", "\x00", "\U0001f35e" * 128]))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
FIELD_VALUES = st.one_of(
    IDS, INSTANTS, JSON_VALUES, st.emails(), st.sampled_from(["leader", "member", "it", "Europe/Rome"])
)
EVENT_TYPES = st.sampled_from(
    [
        "member.joined",
        "member.updated",
        "member.left",
        "post.created",
        "post.deleted",
        "reply.created",
        "reaction.added",
        "something.else",
    ]
)
EVENT_FIELDS = [
    "member_id",
    "email",
    "name",
    "locale",
    "timezone",
    "role",
    "post_id",
    "author_id",
    "title",
    "url",
    "body",
    "created_at",
    "reply_id",
    "reaction",
]


def _mutated(base: dict[str, Any], values: st.SearchStrategy) -> st.SearchStrategy:
    """A valid body with one field replaced by anything, so the fuzz also reaches the code past validation."""
    names = st.sampled_from(sorted(base))
    return st.tuples(names, values).map(lambda change: {**base, change[0]: change[1]})


def _event_fixtures() -> list[dict[str, Any]]:
    from support import EVENTS

    return [
        json.loads((EVENTS / f"{name}.json").read_text())
        for name in (
            "member_joined",
            "post_created",
            "reply_created",
            "reaction_added",
            "member_updated",
            "member_left",
        )
    ]


DEEP = b"[" * 100_000 + b"]" * 100_000


def _event_body(name: str, **changes: Any) -> bytes:
    from support import event

    body = event(name)
    if "timestamp" in changes:
        body["timestamp"] = changes.pop("timestamp")
    body["data"].update(changes)
    return json.dumps(body).encode()


VALID_EVENTS = st.sampled_from(_event_fixtures()).flatmap(
    lambda body: _mutated(body["data"], FIELD_VALUES).map(lambda data: {**body, "data": data})
)
EVENT_BODIES = st.one_of(
    VALID_EVENTS.map(lambda body: json.dumps(body).encode()),
    st.fixed_dictionaries(
        {"type": EVENT_TYPES, "data": st.dictionaries(st.sampled_from(EVENT_FIELDS), FIELD_VALUES, max_size=8)},
        optional={"timestamp": INSTANTS},
    ).map(lambda body: json.dumps(body).encode()),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=300),
    st.integers(min_value=1, max_value=3000).map(lambda depth: b'{"data":' * depth + b"1" + b"}" * depth),
    st.sampled_from([DEEP, b"\xff\xfe{}", b"", b"null", b'{"type": "member.joined"}']),
)
HEADER_VALUES = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=300)


def _community_state(community_id: str) -> list[dict[str, Any]]:
    """The community's item collection and the due index, read with Queries."""
    import boto3

    from cerchia.settings import get_settings

    client, table = boto3.client("dynamodb"), get_settings().table_name
    state: list[dict[str, Any]] = []
    for request in (
        {"KeyConditionExpression": "pk = :k", "ExpressionAttributeValues": {":k": {"S": f"C#{community_id}"}}},
        {
            "IndexName": "due",
            "KeyConditionExpression": "due_pk = :k",
            "ExpressionAttributeValues": {":k": {"S": "DUE"}},
        },
    ):
        start = None
        while True:
            page = client.query(TableName=table, **request, **({"ExclusiveStartKey": start} if start else {}))
            state += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
    return sorted(state, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def _answer(handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    """The handler's answer; an exception escaping it is what API Gateway turns into a 500, so it counts as one."""
    TALLY["cases"] += 1
    try:
        response: dict[str, Any] = handler.lambda_handler(request, LambdaContext())
    except Exception:
        TALLY["5xx"] += 1
        raise
    return response


def _answer_keeps_the_contract(response: dict[str, Any], before: list, after: list) -> None:
    status = response["statusCode"]
    if status >= 500:
        TALLY["5xx"] += 1
    assert status < 500, response
    if 400 <= status < 500:
        assert after == before, f"a {status} changed the community"
        assert json.loads(response["body"]).get("error", "").strip(), response


def _signature(secret: str, webhook_id: str, at: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{webhook_id}.{at}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@pytest.fixture(scope="module", autouse=True)
def closing_note(request):
    """Prints how many fuzz cases ran and how many answered 5xx (the issue's closing note wants both)."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"fuzz cases run: {TALLY['cases']}, 5xx answers: {TALLY['5xx']}")


@pytest.fixture(scope="module")
def ingest_handler():
    return load_handler("ingest_event")


@given(
    body=EVENT_BODIES,
    webhook_id=st.one_of(st.just(None), HEADER_VALUES.filter(bool)),
    signed=st.sampled_from(["signed", "signed", "signed", "unsigned", "stale"]),
    extra_headers=st.dictionaries(
        st.sampled_from(["content-type", "webhook-timestamp", "webhook-signature", "x-forwarded-for", "accept"]),
        HEADER_VALUES,
        max_size=2,
    ),
    other_community=st.one_of(st.none(), st.none(), st.none(), IDS.filter(bool)),
)
# The hostile requests the issue found, always tried first (the generated ones come on top of them).
@example(body=DEEP, webhook_id=None, signed="signed", extra_headers={}, other_community=None)
@example(
    body=_event_body("post_created", created_at="9999-12-31T23:30:00Z"),
    webhook_id=None,
    signed="signed",
    extra_headers={},
    other_community=None,
)
@example(
    body=_event_body("member_joined", timestamp="0999-01-01T00:00:00Z"),
    webhook_id=None,
    signed="signed",
    extra_headers={},
    other_community=None,
)
@example(
    body=_event_body("reply_created", created_at="0001-01-01T00:30:00+01:00"),
    webhook_id=None,
    signed="signed",
    extra_headers={},
    other_community=None,
)
@example(
    body=_event_body("member_joined"),
    webhook_id="msg_" + "x" * 300,
    signed="signed",
    extra_headers={},
    other_community=None,
)
@FUZZ
def test_the_events_route_never_answers_5xx_and_a_4xx_changes_nothing(
    community, ingest_handler, body, webhook_id, signed, extra_headers, other_community
):
    community_id = community.community_id if other_community is None else other_community
    webhook_id = webhook_id or f"msg_{hashlib.sha256(body).hexdigest()[:16]}"
    at = int(datetime.now(UTC).timestamp()) - (600 if signed == "stale" else 0)
    headers = {"webhook-id": webhook_id, "webhook-timestamp": str(at), "content-type": "application/json"}
    if signed != "unsigned":
        headers["webhook-signature"] = _signature(community.webhook_secret, webhook_id, at, body)
    if signed == "unsigned":
        headers |= extra_headers
    path = f"/v1/communities/{quote(community_id, safe='')}/events"
    request = http_event(
        "POST", path, "/v1/communities/{community_id}/events", {"community_id": community_id}, body, headers
    )
    before = _community_state(community.community_id)

    response = _answer(ingest_handler, request)

    _answer_keeps_the_contract(response, before, _community_state(community.community_id))


POLL_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "question": st.one_of(st.text(max_size=320), JSON_VALUES),
        "options": st.one_of(st.lists(st.text(max_size=130), max_size=12), JSON_VALUES),
        "kind": st.one_of(st.sampled_from(["single", "multiple", "scale"]), JSON_VALUES),
        "send_at": INSTANTS,
        "close_at": INSTANTS,
        "anonymous": st.one_of(st.booleans(), JSON_VALUES),
        "extra": JSON_VALUES,
    },
)
VALID_POLL = {
    "question": "Quale giorno preferite per il laboratorio?",
    "options": ["Sabato", "Domenica"],
    "kind": "single",
    "send_at": "2026-11-23T09:00:00+01:00",
    "close_at": "2026-11-28T18:00:00+01:00",
    "anonymous": False,
}
POLL_BODIES = st.one_of(
    _mutated(VALID_POLL, FIELD_VALUES).map(lambda body: json.dumps(body).encode()),
    POLL_FIELDS.map(lambda body: json.dumps(body).encode()),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=300),
    st.sampled_from([DEEP, b'{"question": "\xff\xfe?"}', b"", b"{"]),
)


@pytest.fixture
def polls(community, clock, ingest, monkeypatch):
    return PollsWorld.start(community, clock, ingest, monkeypatch)


@given(
    body=POLL_BODIES,
    key=st.sampled_from(["right", "right", "right", "wrong", "missing", "garbage"]),
    idempotency_key=st.one_of(st.none(), HEADER_VALUES),
    content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]),
    read_instead=st.one_of(st.none(), st.none(), st.none(), IDS.filter(bool)),
)
@example(body=DEEP, key="right", idempotency_key=None, content_type="application/json", read_instead=None)
@example(
    body=b'{"question": "\xff\xfe?"}',
    key="right",
    idempotency_key=None,
    content_type="application/json",
    read_instead=None,
)
@example(
    body=json.dumps({**VALID_POLL, "send_at": "9999-12-31T23:30:00Z"}).encode(),
    key="right",
    idempotency_key=None,
    content_type="application/json",
    read_instead=None,
)
@example(
    body=json.dumps({**VALID_POLL, "close_at": "0001-01-01T00:30:00+01:00"}).encode(),
    key="right",
    idempotency_key=None,
    content_type="application/json",
    read_instead=None,
)
@example(
    body=json.dumps(VALID_POLL).encode(),
    key="right",
    idempotency_key=None,
    content_type="text/plain",
    read_instead=None,
)
@FUZZ
def test_the_polls_api_never_answers_5xx_and_a_4xx_changes_nothing(
    polls, body, key, idempotency_key, content_type, read_instead
):
    community_id = polls.community.community_id
    authorization = {
        "right": f"Bearer {polls.community.api_key}",
        "wrong": "Bearer ck_wrong",
        "missing": None,
        "garbage": "Basic \x7f\x00",
    }[key]
    headers = {"content-type": content_type, "authorization": authorization, "idempotency-key": idempotency_key}
    headers = {name: value for name, value in headers.items() if value is not None}
    if read_instead is None:
        path, route, parameters = (
            f"/v1/communities/{community_id}/polls",
            "/v1/communities/{community_id}/polls",
            {"community_id": community_id},
        )
        request = http_event("POST", path, route, parameters, body, headers)
    else:
        path = f"/v1/communities/{community_id}/polls/{quote(read_instead, safe='')}"
        route = "/v1/communities/{community_id}/polls/{poll_id}"
        request = http_event("GET", path, route, {"community_id": community_id, "poll_id": read_instead}, b"", headers)
    before = _community_state(community_id)

    response = _answer(polls.api, request)

    _answer_keeps_the_contract(response, before, _community_state(community_id))

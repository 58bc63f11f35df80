"""Handlers get the event API Gateway would send, and their answers become the response it would give."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from cerchia_infra.local.http_front import (
    ApiContext,
    HttpRequest,
    Route,
    Router,
    build_http_api_event,
    build_rest_api_event,
    map_http_api_result,
    map_rest_api_result,
)

CONTEXT = ApiContext(
    api_id="local",
    account_id="123456789012",
    domain_name="127.0.0.1:8000",
    now=datetime(2025, 3, 3, 9, 0, 1, 500000, tzinfo=UTC),
    request_id="req-1",
)
EVENTS_ROUTE = Route("POST", "/v1/communities/{community_id}/events", "IngestEventFunction")


def _request(
    method: str = "POST",
    target: str = "/v1/communities/c_1/events?a=1&a=2&b=",
    body: bytes = b'{"x": 1}',
    headers: list[tuple[str, str]] | None = None,
) -> HttpRequest:
    return HttpRequest(
        method=method,
        target=target,
        headers=headers
        if headers is not None
        else [
            ("Host", "127.0.0.1:8000"),
            ("Content-Type", "application/json"),
            ("User-Agent", "platform/1.0"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("Cookie", "a=1; b=2"),
        ],
        body=body,
        source_ip="127.0.0.1",
    )


def test_http_api_event_has_payload_2_0_shape():
    event = build_http_api_event(_request(), EVENTS_ROUTE, {"community_id": "c_1"}, CONTEXT)

    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/communities/{community_id}/events"
    assert event["rawPath"] == "/v1/communities/c_1/events"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["pathParameters"] == {"community_id": "c_1"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-multi"] == "one,two"
    assert event["headers"]["content-type"] == "application/json"
    assert "cookie" not in event["headers"]
    assert event["body"] == '{"x": 1}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/v1/communities/c_1/events",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "platform/1.0",
    }
    assert (context["apiId"], context["accountId"], context["stage"]) == ("local", "123456789012", "$default")
    assert (context["domainName"], context["domainPrefix"]) == ("127.0.0.1:8000", "127")
    assert context["routeKey"] == event["routeKey"]
    assert context["requestId"] == "req-1"
    assert context["time"] == "03/Mar/2025:09:00:01 +0000"
    assert context["timeEpoch"] == 1740992401500


def test_an_event_without_query_path_parameters_or_body_omits_them():
    event = build_http_api_event(_request("GET", "/plain", b"", headers=[]), Route("GET", "/plain", "F"), {}, CONTEXT)

    assert {"queryStringParameters", "pathParameters", "body", "cookies"}.isdisjoint(event)
    assert event["rawQueryString"] == ""


@pytest.mark.parametrize(
    ("content_type", "body", "encoded"),
    [
        ("application/json", b"{}", False),
        ("text/html; charset=utf-8", "<p>caffè</p>".encode(), False),
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click", True),
        ("application/octet-stream", b"\x00\x01", True),
        ("application/json", b"\xff\xfe", True),
    ],
)
def test_bodies_that_are_not_text_arrive_base64_encoded(content_type, body, encoded):
    request = _request(body=body, headers=[("Content-Type", content_type)])

    event = build_http_api_event(request, EVENTS_ROUTE, {}, CONTEXT)

    assert event["isBase64Encoded"] is encoded
    assert (base64.b64decode(event["body"]) if encoded else event["body"].encode()) == body


def test_rest_api_event_has_payload_1_0_shape():
    route = Route("GET", "/items/{id}", "F", payload_version="1.0", api_kind="rest")

    event = build_rest_api_event(_request("GET", "/items/7?a=1&a=2", b""), route, {"id": "7"}, CONTEXT)

    assert (event["resource"], event["path"], event["httpMethod"]) == ("/items/{id}", "/items/7", "GET")
    assert event["queryStringParameters"] == {"a": "2"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["pathParameters"] == {"id": "7"}
    assert event["body"] is None


def test_router_prefers_literal_segments_then_parameters_then_greedy_paths():
    router = Router(
        [
            Route("ANY", "/{proxy+}", "Catchall"),
            Route("GET", "/u/{token}", "Page"),
            Route("GET", "/u/help", "Help"),
            Route("POST", "/u/{token}", "Act"),
            Route("GET", "/files/{proxy+}", "Files"),
        ]
    )

    def target(method: str, path: str) -> tuple[str, dict[str, str]] | None:
        found = router.match(method, path)
        return (found[0].function_logical_id, found[1]) if found else None

    assert target("GET", "/u/help") == ("Help", {})
    assert target("GET", "/u/abc.def") == ("Page", {"token": "abc.def"})
    assert target("POST", "/u/abc") == ("Act", {"token": "abc"})
    assert target("GET", "/files/a/b%20c.txt") == ("Files", {"proxy": "a/b c.txt"})
    assert target("DELETE", "/anything/else") == ("Catchall", {"proxy": "anything/else"})
    assert Router([Route("GET", "/u/{token}", "Page")]).match("GET", "/u/a/b") is None


def test_two_functions_cannot_declare_the_same_route():
    with pytest.raises(ValueError, match="declared by both"):
        Router([Route("GET", "/x/{a}", "One"), Route("GET", "/x/{b}", "Two")])


def test_a_proxy_result_maps_status_headers_cookies_and_body():
    response = map_http_api_result(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "text/html", "X-Flag": True},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": "<p>ok</p>",
        }
    )

    assert response.status == 201
    assert ("Content-Type", "text/html") in response.headers
    assert ("X-Flag", "true") in response.headers
    assert [v for k, v in response.headers if k == "set-cookie"] == ["a=1; Path=/", "b=2"]
    assert response.body == b"<p>ok</p>"


def test_a_base64_result_is_decoded():
    response = map_http_api_result(
        {
            "statusCode": 200,
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
            "headers": {"content-type": "image/png"},
        }
    )

    assert response.body == b"\x89PNG"


def test_a_dict_without_status_code_is_json_200_and_a_string_is_the_body():
    as_json = map_http_api_result({"message": "hello"})
    as_text = map_http_api_result("Hello from Lambda!")

    assert (as_json.status, json.loads(as_json.body)) == (200, {"message": "hello"})
    assert ("content-type", "application/json") in as_json.headers
    assert (as_text.status, as_text.body) == (200, b"Hello from Lambda!")


def test_payload_1_0_needs_a_status_code():
    assert map_rest_api_result({"statusCode": 204}).status == 204
    assert map_rest_api_result({"message": "no status"}).status == 502


def test_a_204_answer_carries_no_body_even_when_the_handler_wrote_one():
    response = map_http_api_result({"statusCode": 204, "headers": {"Content-Type": "application/json"}, "body": "null"})

    assert (response.status, response.body) == (204, b"")

"""API Gateway's side of a request: the Lambda event it builds (HTTP API payload 2.0, REST API 1.0)
and how it turns the function's answer into the HTTP response. Pure functions, tested without sockets.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cerchia_infra.local.routes import Route

log = logging.getLogger("cerchia_infra.local.http")

_TEXT_TYPES = re.compile(r"^(text/.*|application/(.+\+)?json|application/(.+\+)?xml|application/javascript)$")


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str  # path and query, as received
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"

    @property
    def raw_path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def raw_query(self) -> str:
        return urlsplit(self.target).query

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ",".join(values) if values else None


@dataclass(frozen=True)
class ApiContext:
    api_id: str
    account_id: str
    domain_name: str  # 127.0.0.1:P
    now: datetime
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def _body_field(request: HttpRequest) -> tuple[str | None, bool]:
    """(body, isBase64Encoded): text bodies are passed as text, anything else base64 (as API Gateway)."""
    if not request.body:
        return None, False
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if not content_type or _TEXT_TYPES.match(content_type):
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(request.body).decode("ascii"), True


def _clf_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def build_http_api_event(
    request: HttpRequest, route: Route, path_parameters: Mapping[str, str], context: ApiContext
) -> dict[str, Any]:
    """The API Gateway HTTP API event, payload format 2.0."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    body, is_base64 = _body_field(request)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": context.account_id,
            "apiId": context.api_id,
            "domainName": context.domain_name,
            "domainPrefix": context.domain_name.split(".")[0],
            "http": {
                "method": request.method.upper(),
                "path": request.raw_path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": context.request_id,
            "routeKey": route.route_key,
            "stage": "$default",
            "time": _clf_time(context.now),
            "timeEpoch": int(context.now.timestamp() * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body is not None:
        event["body"] = body
    return event


def build_rest_api_event(
    request: HttpRequest, route: Route, path_parameters: Mapping[str, str], context: ApiContext
) -> dict[str, Any]:
    """The API Gateway (REST API, or HTTP API with format 1.0) proxy event, payload format 1.0."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.raw_query, keep_blank_values=True):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    body, is_base64 = _body_field(request)
    stage = "$default" if route.api_kind == "http" else "local"
    return {
        "version": "1.0",
        "resource": route.path,
        "path": request.raw_path,
        "httpMethod": request.method.upper(),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": context.account_id,
            "apiId": context.api_id,
            "domainName": context.domain_name,
            "httpMethod": request.method.upper(),
            "identity": {"sourceIp": request.source_ip, "userAgent": request.header("user-agent") or ""},
            "path": request.raw_path,
            "protocol": request.protocol,
            "requestId": context.request_id,
            "requestTime": _clf_time(context.now),
            "requestTimeEpoch": int(context.now.timestamp() * 1000),
            "resourcePath": route.path,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


# ---------------------------------------------------------------------- responses


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @classmethod
    def json(cls, status: int, value: Any) -> HttpResponse:
        return cls(status, [("content-type", "application/json")], json.dumps(value).encode())


def map_http_api_result(result: Any) -> HttpResponse:
    """How API Gateway (payload 2.0) turns a handler's result into an HTTP response."""
    if isinstance(result, Mapping) and "statusCode" in result:
        return _proxy_response(result, with_cookies=True)
    body = result.encode() if isinstance(result, str) else json.dumps(result).encode()
    return HttpResponse(200, [("content-type", "application/json")], body)


def map_rest_api_result(result: Any) -> HttpResponse:
    """Payload format 1.0: the handler must answer with a statusCode, else 502."""
    if isinstance(result, Mapping) and "statusCode" in result:
        return _proxy_response(result, with_cookies=False)
    log.error("Handler returned no statusCode for a payload 1.0 route: %.200r", result)
    return HttpResponse.json(502, {"message": "Internal server error"})


NO_BODY = (204, 304)


def _proxy_response(result: Mapping[str, Any], *, with_cookies: bool) -> HttpResponse:
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        return HttpResponse.json(502, {"message": "Internal Server Error"})
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), _header_text(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), _header_text(v)) for v in values or [])
    if with_cookies:
        headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
    body = result.get("body")
    if body is None:
        payload = b""
    elif result.get("isBase64Encoded"):
        payload = base64.b64decode(str(body))
    else:
        payload = (body if isinstance(body, str) else json.dumps(body)).encode()
    if status in NO_BODY:
        payload = b""  # as API Gateway: a 204 or 304 carries no body, whatever the handler returned
    if payload and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/json"))
    return HttpResponse(status, headers, payload)


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------- the server

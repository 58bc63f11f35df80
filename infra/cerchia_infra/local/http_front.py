"""The HTTP front: the template's API routes as API Gateway would call them, and `/_local/*`.

Routes come from functions' `HttpApi` events (payload format 2.0 unless the event says 1.0) and
`Api` events (REST API, payload format 1.0). The builders and the response mapping are pure
functions, so they are tested without sockets. Requests run concurrently, one thread each.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from cerchia_infra.local.clock import ClockMovedBackwards, iso, parse_iso

log = logging.getLogger("cerchia_infra.local.http")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's own payload limit
_TEXT_TYPES = re.compile(r"^(text/.*|application/(.+\+)?json|application/(.+\+)?xml|application/javascript)$")


# ---------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # as in the template: /v1/communities/{community_id}/events
    function_logical_id: str
    payload_version: str = "2.0"
    api_kind: str = "http"  # "http" (HttpApi) or "rest" (Api)
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(s for s in self.path.split("/") if s))

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path_segments: Sequence[str]) -> dict[str, str] | None:
        if self.method not in ("ANY", method):
            return None
        parameters: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.startswith("{") and segment.endswith("+}"):
                rest = path_segments[index:]
                if not rest:
                    return None
                parameters[segment[1:-2]] = "/".join(rest)
                return parameters
            if index >= len(path_segments):
                return None
            if segment.startswith("{") and segment.endswith("}"):
                parameters[segment[1:-1]] = path_segments[index]
            elif segment != path_segments[index]:
                return None
        return parameters if len(path_segments) == len(self.segments) else None

    def specificity(self) -> tuple[Any, ...]:
        """Sort key: literal segments beat parameters, which beat greedy ones; a method beats ANY."""
        ranks = tuple(2 if s.endswith("+}") else 1 if s.startswith("{") else 0 for s in self.segments)
        return (ranks, self.method == "ANY")


class Router:
    def __init__(self, routes: Sequence[Route] = ()) -> None:
        self.routes: list[Route] = []
        for route in routes:
            self.add(route)

    def add(self, route: Route) -> None:
        for existing in self.routes:
            if existing.method == route.method and _shape(existing) == _shape(route):
                raise ValueError(
                    f"Route {route.route_key} is declared by both {existing.function_logical_id} "
                    f"and {route.function_logical_id}."
                )
        self.routes.append(route)
        self.routes.sort(key=Route.specificity)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        segments = [unquote(s) for s in path.split("/") if s]
        for route in self.routes:
            parameters = route.match(method.upper(), segments)
            if parameters is not None:
                return route, parameters
        return None


def _shape(route: Route) -> tuple[str, ...]:
    """A route's path with parameter names erased: /u/{token} and /u/{id} are the same route."""
    return tuple("{+}" if s.endswith("+}") else "{}" if s.startswith("{") else s for s in route.segments)


# ---------------------------------------------------------------------- requests and events


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


_NO_BODY = (204, 304)


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
    if status in _NO_BODY:
        payload = b""  # as API Gateway: a 204 or 304 carries no body, whatever the handler returned
    if payload and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/json"))
    return HttpResponse(status, headers, payload)


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------- the server


class LocalControl(Protocol):
    """What the `/_local/*` routes and the API routes need from the stack."""

    def outbox_json(self) -> list[dict[str, Any]]: ...

    def clock_now(self) -> datetime: ...

    def move_clock(self, target: datetime | None, advance: float | None) -> datetime: ...

    def invoke(self, logical_id: str, event: Any) -> Any: ...

    def has_function(self, logical_id: str) -> bool: ...


class UnknownFunction(LookupError):
    pass


class HttpFront:
    """Serves the routes on host:port; `port=0` picks a free port (see `.port` once bound)."""

    def __init__(
        self,
        router: Router,
        control: LocalControl,
        api_context: Callable[[str], ApiContext],
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.router = router
        self.control = control
        self.api_context = api_context
        self._server = _Server((host, port), _handler_class(self))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="cerchia-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    # ------------------------------------------------------------------ dispatch

    def handle(self, request: HttpRequest) -> HttpResponse:
        path = request.raw_path
        if path == "/_local" or path.startswith("/_local/"):
            return self._local(request, path)
        found = self.router.match(request.method, path)
        if found is None:
            return HttpResponse.json(404, {"message": "Not Found"})
        route, parameters = found
        context = self.api_context(request.header("host") or "")
        if route.payload_version == "1.0":
            event = build_rest_api_event(request, route, parameters, context)
        else:
            event = build_http_api_event(request, route, parameters, context)
        try:
            result = self.control.invoke(route.function_logical_id, event)
        except Exception as error:
            log.error("%s %s: %s\n%s", request.method, path, error, _cause_traceback(error))
            return HttpResponse.json(500, {"message": "Internal Server Error"})
        if route.payload_version == "1.0":
            return map_rest_api_result(result)
        return map_http_api_result(result)

    def _local(self, request: HttpRequest, path: str) -> HttpResponse:
        method = request.method.upper()
        if path == "/_local/outbox" and method == "GET":
            return HttpResponse.json(200, self.control.outbox_json())
        if path == "/_local/clock" and method == "GET":
            return HttpResponse.json(200, {"now": iso(self.control.clock_now())})
        if path == "/_local/clock" and method == "POST":
            return self._move_clock(request)
        if path.startswith("/_local/invoke/") and method == "POST":
            return self._invoke(request, unquote(path[len("/_local/invoke/") :]))
        return HttpResponse.json(404, {"message": "Not Found"})

    def _move_clock(self, request: HttpRequest) -> HttpResponse:
        try:
            command = json.loads(request.body or b"{}")
        except ValueError:
            return HttpResponse.json(
                400, {"message": 'The body must be JSON: {"now": ISO-8601} or {"advance": seconds}.'}
            )
        if not isinstance(command, dict) or ("now" in command) == ("advance" in command):
            return HttpResponse.json(400, {"message": 'Send exactly one of {"now": ISO-8601} or {"advance": seconds}.'})
        target: datetime | None = None
        advance: float | None = None
        if "now" in command:
            try:
                target = parse_iso(command["now"])
            except (TypeError, ValueError):
                return HttpResponse.json(
                    400, {"message": f"{command['now']!r} is not an ISO-8601 time like 2025-03-03T09:00:00Z."}
                )
        else:
            value = command["advance"]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return HttpResponse.json(400, {"message": "advance must be a number of seconds."})
            advance = float(value)
        try:
            now = self.control.move_clock(target, advance)
        except ClockMovedBackwards as error:
            return HttpResponse.json(400, {"message": str(error)})
        except OverflowError:
            return HttpResponse.json(400, {"message": "That is further than the clock can go; ask for a nearer time."})
        return HttpResponse.json(200, {"now": iso(now)})

    def _invoke(self, request: HttpRequest, logical_id: str) -> HttpResponse:
        if not self.control.has_function(logical_id):
            return HttpResponse.json(404, {"message": f"No function {logical_id} in the template."})
        try:
            event = json.loads(request.body) if request.body else {}
        except ValueError:
            return HttpResponse.json(400, {"message": "The body must be the JSON event to invoke the function with."})
        try:
            result = self.control.invoke(logical_id, event)
        except Exception as error:
            cause = error.__cause__ or error
            return HttpResponse.json(
                500,
                {
                    "errorMessage": str(cause),
                    "errorType": type(cause).__name__,
                    "stackTrace": traceback.format_exception(cause),
                },
            )
        return HttpResponse.json(200, result)


def _cause_traceback(error: BaseException) -> str:
    cause = error.__cause__ or error
    return "".join(traceback.format_exception(cause))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # many clients at once must queue, not be refused
    allow_reuse_address = True


def _handler_class(front: HttpFront) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "CerchiaLocal"
        sys_version = ""

        def _serve(self) -> None:
            length = self.headers.get("content-length")
            if self.headers.get("transfer-encoding", "").lower() == "chunked":
                body = self._read_chunked()
            else:
                size = int(length) if length and length.isdigit() else 0
                if size > MAX_BODY_BYTES:
                    self._send(HttpResponse.json(413, {"message": "Request Entity Too Large"}), close=True)
                    return
                body = self.rfile.read(size) if size else b""
            request = HttpRequest(
                method=self.command,
                target=self.path,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
                protocol=self.request_version,
            )
            try:
                response = front.handle(request)
            except Exception:
                log.exception("%s %s failed in the local stack", self.command, self.path)
                response = HttpResponse.json(500, {"message": "Internal Server Error"})
            self._send(response)

        def _read_chunked(self) -> bytes:
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()

        def _send(self, response: HttpResponse, close: bool = False) -> None:
            self.send_response(response.status)
            for name, value in response.headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("apigw-requestid", uuid.uuid4().hex[:16])
            if response.status not in _NO_BODY:  # RFC 9110: no Content-Length on a 204
                self.send_header("content-length", str(len(response.body)))
            if close:
                self.send_header("connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD" and response.status not in _NO_BODY:
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return Handler

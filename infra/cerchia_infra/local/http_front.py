"""The HTTP front: the template's API routes as API Gateway would call them, and `/_local/*`.

Routes come from functions' `HttpApi` events (payload format 2.0 unless the event says 1.0) and
`Api` events (REST API, payload format 1.0). The builders and the response mapping are pure
functions, so they are tested without sockets. Requests run concurrently, one thread each.
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import unquote

from cerchia_infra.local.api_events import (
    NO_BODY,
    ApiContext,
    HttpRequest,
    HttpResponse,
    build_http_api_event,
    build_rest_api_event,
    map_http_api_result,
    map_rest_api_result,
)
from cerchia_infra.local.clock import ClockMovedBackwards, iso, parse_iso
from cerchia_infra.local.routes import Route, Router

log = logging.getLogger("cerchia_infra.local.http")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's own payload limit


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
            if response.status not in NO_BODY:  # RFC 9110: no Content-Length on a 204
                self.send_header("content-length", str(len(response.body)))
            if close:
                self.send_header("connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD" and response.status not in NO_BODY:
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return Handler


__all__ = [
    "ApiContext",
    "HttpFront",
    "HttpRequest",
    "HttpResponse",
    "LocalControl",
    "Route",
    "Router",
    "UnknownFunction",
    "build_http_api_event",
    "build_rest_api_event",
    "map_http_api_result",
    "map_rest_api_result",
]

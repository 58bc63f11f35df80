"""A small world for the poll tests under moto: members, the leader API, the sweep, the queue, the vote pages."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from support import EVENTS, LambdaContext, MovableClock, event, http_event, load_handler, sqs_records

VOTE_LINK = re.compile(r"https://cerchia\.example/v/([A-Za-z0-9._\-]+)")


def poll_request(name: str = "polls_create_single", **changes: Any) -> dict[str, Any]:
    """A realistic leader request from tests/events, with some fields changed."""
    body = json.loads((EVENTS / f"{name}.json").read_text())
    body.update(changes)
    return body


def iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


@dataclass
class PollsWorld:
    community: Any  # conftest's Community: community_id, webhook_secret, api_key
    clock: MovableClock
    ingest: Any
    queue_url: str
    api: Any = field(default_factory=lambda: load_handler("manage_polls"))
    pages: Any = field(default_factory=lambda: load_handler("serve_vote_pages"))
    sweeper: Any = field(default_factory=lambda: load_handler("run_due_jobs"))
    worker: Any = field(default_factory=lambda: load_handler("deliver_emails"))

    @classmethod
    def start(cls, community: Any, clock: MovableClock, ingest: Any, monkeypatch: Any) -> PollsWorld:
        import boto3

        from cerchia import runtime

        url = boto3.client("sqs").create_queue(QueueName="delivery")["QueueUrl"]
        monkeypatch.setenv("DELIVERY_QUEUE_URL", url)
        runtime.reset()
        return cls(community, clock, ingest, url)

    # ------------------------------------------------------------------ members
    def join(self, member_id: str, name: str, email: str, locale: str | None = None, role: str = "member") -> None:
        data: dict[str, Any] = {"member_id": member_id, "name": name, "email": email, "role": role}
        if locale:
            data["locale"] = locale
        answer = self.ingest(self.community, {**event("member_joined", **data), "timestamp": iso(self.clock.now())})
        assert answer["statusCode"] == 202, answer

    def leave(self, member_id: str) -> None:
        body = {**event("member_left", member_id=member_id), "timestamp": iso(self.clock.now())}
        assert self.ingest(self.community, body)["statusCode"] == 202

    # ------------------------------------------------------------------ leader API
    def create_poll(
        self,
        body: dict[str, Any] | bytes,
        key: str | None = None,
        community_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        community_id = community_id or self.community.community_id
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        route = "/v1/communities/{community_id}/polls"
        request = http_event(
            "POST",
            f"/v1/communities/{community_id}/polls",
            route,
            {"community_id": community_id},
            raw,
            {
                "authorization": f"Bearer {key or self.community.api_key}",
                "content-type": "application/json",
                **({"idempotency-key": idempotency_key} if idempotency_key else {}),
            },
        )
        # a body that is not text stays base64-encoded, as API Gateway sends it
        with contextlib.suppress(UnicodeDecodeError):
            request["body"], request["isBase64Encoded"] = raw.decode(), False
        return with_json(self.api.lambda_handler(request, LambdaContext()))

    def read_poll(self, poll_id: str, key: str | None = None) -> dict[str, Any]:
        community_id = self.community.community_id
        request = http_event(
            "GET",
            f"/v1/communities/{community_id}/polls/{poll_id}",
            "/v1/communities/{community_id}/polls/{poll_id}",
            {"community_id": community_id, "poll_id": poll_id},
            headers={"authorization": f"Bearer {key or self.community.api_key}"},
        )
        return with_json(self.api.lambda_handler(request, LambdaContext()))

    def openapi(self) -> dict[str, Any]:
        request = http_event("GET", "/v1/openapi.json", "/v1/openapi.json", {})
        return with_json(self.api.lambda_handler(request, LambdaContext()))

    def scheduled_poll(self, **changes: Any) -> str:
        """A poll sent now and closing in five days, unless changed."""
        body = poll_request(
            send_at=iso(self.clock.now()), close_at=iso(self.clock.now() + timedelta(days=5)), **changes
        )
        answer = self.create_poll(body)
        assert answer["statusCode"] == 201, answer
        return str(answer["json"]["poll_id"])

    # ------------------------------------------------------------------ time and fan-out
    def sweep(self) -> dict[str, Any]:
        """Run the due sweep, then deliver every chunk it queued (as the queue's worker would)."""
        ran = self.sweeper.lambda_handler({}, LambdaContext())
        records = self.queued()
        if records:
            answer = self.worker.lambda_handler({"Records": records}, LambdaContext())
            assert answer == {"batchItemFailures": []}, answer
        return dict(ran)

    def advance(self, **delta: float) -> dict[str, Any]:
        self.clock.advance(**delta)
        return self.sweep()

    def queued(self) -> list[dict[str, Any]]:
        return sqs_records(self.queue_url)

    # ------------------------------------------------------------------ vote pages
    def open(self, token: str, accept_language: str = "") -> dict[str, Any]:
        headers = {"accept-language": accept_language} if accept_language else {}
        request = http_event("GET", f"/v/{token}", "/v/{token}", {"token": token}, headers=headers)
        return dict(self.pages.lambda_handler(request, LambdaContext()))

    def submit(self, token: str, *choices: int | str) -> dict[str, Any]:
        body = urlencode([("choice", str(choice)) for choice in choices]).encode()
        request = http_event(
            "POST",
            f"/v/{token}",
            "/v/{token}",
            {"token": token},
            body,
            {"content-type": "application/x-www-form-urlencoded"},
        )
        return dict(self.pages.lambda_handler(request, LambdaContext()))


def with_json(response: dict[str, Any]) -> dict[str, Any]:
    response = dict(response)
    response["json"] = json.loads(response["body"]) if response.get("body") else None
    return response


def kind_of(message: Any) -> str:
    return str(message["X-Cerchia-Kind"])


def html_of(message: Any) -> str:
    return str(message.get_body(("html",)).get_content()).replace("\r\n", "\n")  # lines end with CRLF on the wire


def text_of(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content()).replace("\r\n", "\n")  # lines end with CRLF on the wire


def vote_tokens(message: Any) -> list[str]:
    """The vote links' tokens in an email, in the order of the buttons."""
    seen: list[str] = []
    for token in VOTE_LINK.findall(html_of(message)):
        if token not in seen:
            seen.append(token)
    return seen


def addressed_to(messages: list[Any], address: str) -> list[Any]:
    return [message for message in messages if address in str(message["To"])]

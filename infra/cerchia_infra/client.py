"""A client for a running local stack: what the e2e tests and the demo do to it, over HTTP like a user.

Communities are created with the real `cerchia community create` command; webhooks are signed with
the community's secret per Standard Webhooks; the clock and outbox use the `/_local/*` routes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests


class StackClient:
    def __init__(self, base_url: str, state_dir: Path | str) -> None:
        self.url = base_url.rstrip("/")
        self.state_dir = Path(state_dir)
        self.http = requests.Session()

    # ------------------------------------------------------------------ HTTP
    def get(self, path: str, **kwargs: Any) -> Any:
        return self.http.get(self._absolute(path), timeout=60, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.http.post(self._absolute(path), timeout=120, **kwargs)

    def _absolute(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.url}{path}"

    # ------------------------------------------------------------------ communities and events
    def create_community(
        self,
        name: str,
        timezone: str,
        locale: str,
        leader_email: str,
        leader_name: str | None = None,
        purpose: str | None = None,
    ) -> dict[str, Any]:
        command = [
            sys.executable,
            "-m",
            "cerchia_infra.cli",
            "community",
            "create",
            "--state-dir",
            str(self.state_dir),
            "--name",
            name,
            "--timezone",
            timezone,
            "--locale",
            locale,
            "--leader-email",
            leader_email,
        ]
        if leader_name:
            command += ["--leader-name", leader_name]
        if purpose:
            command += ["--purpose", purpose]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"cerchia community create failed: {done.stderr or done.stdout}")
        created: dict[str, Any] = json.loads(done.stdout)
        return {**created, "name": name, "timezone": timezone, "locale": locale}

    def send(
        self,
        community: dict[str, Any],
        body: dict[str, Any] | bytes,
        webhook_id: str | None = None,
        secret: str | None = None,
        sent_at: datetime | None = None,
    ) -> Any:
        """POST a webhook signed with the community's secret (or another, to prove it is refused)."""
        from standardwebhooks.webhooks import Webhook

        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
        at = sent_at or datetime.now(UTC)  # transport time: the wall clock, as the platform's
        signature = Webhook(secret or community["webhook_secret"]).sign(webhook_id, at, raw.decode("utf-8", "replace"))
        headers = {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
            "content-type": "application/json",
        }
        return self.post(f"/v1/communities/{community['community_id']}/events", data=raw, headers=headers)

    # ------------------------------------------------------------------ local stack controls
    def now(self) -> datetime:
        return datetime.fromisoformat(self.get("/_local/clock").json()["now"].replace("Z", "+00:00"))

    def advance(self, seconds: float) -> datetime:
        return self._clock({"advance": seconds})

    def set_clock(self, moment: str | datetime) -> datetime:
        return self._clock({"now": moment if isinstance(moment, str) else moment.isoformat()})

    def settle(self) -> datetime:
        return self.advance(0)

    def _clock(self, body: dict[str, Any]) -> datetime:
        response = self.post("/_local/clock", json=body)
        response.raise_for_status()
        return datetime.fromisoformat(response.json()["now"].replace("Z", "+00:00"))

    def outbox(self) -> list[dict[str, Any]]:
        response = self.get("/_local/outbox")
        response.raise_for_status()
        return list(response.json())

    def invoke(self, logical_id: str, event: Any) -> Any:
        response = self.post(f"/_local/invoke/{logical_id}", json=event)
        response.raise_for_status()
        return response.json()

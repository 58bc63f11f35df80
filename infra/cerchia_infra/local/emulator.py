"""The AWS emulator of the local stack: a moto server in this process, its clients, and cheap peeks.

moto's state is process-wide, so one `Emulator` runs per process; it starts from nothing.
"""

from __future__ import annotations

import logging
import urllib.request
from typing import Any

import boto3

from cerchia_infra.local.atomic_dynamodb import make_dynamodb_atomic

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class Emulator:
    """A moto server on `host` (any free port) whose clients all talk to it in `region`."""

    def __init__(self, host: str, region: str) -> None:
        self.host = host
        self.region = region
        self.endpoint_url = ""
        self.account_id = ""
        self._server: Any = None
        self._session: Any = None
        self._clients: dict[str, Any] = {}

    def start(self) -> None:
        # moto takes about a second to import: only a stack that starts needs it, not every CLI command.
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log is noise here
        make_dynamodb_atomic()
        self._server = ThreadedMotoServer(ip_address=self.host, port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self.account_id = DEFAULT_ACCOUNT_ID
        # moto's state is process-wide: start from nothing, whatever ran in this process before.
        reset = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(reset, timeout=10):  # noqa: S310 - our own emulator on loopback
            pass
        self._session = EndpointSession(
            boto3.session.Session(
                region_name=self.region,
                aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            ),
            self.endpoint_url,
        )

    @property
    def running(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def session(self) -> EndpointSession:
        return self._session  # type: ignore[no-any-return]

    def client(self, service: str) -> Any:
        """A boto3 client on the emulator (for tests and tools)."""
        if service not in self._clients:
            self._clients[service] = self._session.client(service)
        return self._clients[service]

    def sent_messages(self) -> list[Any]:
        from moto.ses.models import ses_backends

        return list(ses_backends[self.account_id][self.region].sent_messages)

    def stream_written_count(self, table_name: str) -> int | None:
        # A cheap in-process peek so an idle settle makes no request; None means "just read".
        try:
            from moto.dynamodb.models import dynamodb_backends

            shard = dynamodb_backends[self.account_id][self.region].get_table(table_name).stream_shard
            return len(shard.items) if shard is not None else 0
        except Exception:
            return None

    def queue_visible_count(self, queue_name: str) -> int | None:
        try:
            from moto.sqs.models import sqs_backends

            return len(sqs_backends[self.account_id][self.region].get_queue(queue_name).messages)
        except Exception:
            return None


class EndpointSession:
    """A boto3 session whose clients all talk to the emulator."""

    def __init__(self, session: Any, endpoint_url: str) -> None:
        self._session = session
        self._endpoint_url = endpoint_url

    def client(self, service: str) -> Any:
        return self._session.client(service, endpoint_url=self._endpoint_url)

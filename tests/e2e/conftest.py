"""End-to-end: `cerchia serve` in a child process, driven over HTTP as a user would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cerchia_infra.client import StackClient
from cerchia_infra.local.process import start_serve_subprocess, stop_serve_subprocess

pytestmark = pytest.mark.e2e


class Stack(StackClient):
    process = None


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A fresh local stack per test: virtual time only moves forward, so tests never share one."""
    state = tmp_path / "state"
    process, base_url = start_serve_subprocess(state, timeout=90)
    client = Stack(base_url, state)
    client.process = process
    try:
        yield client
    finally:
        stop_serve_subprocess(process)

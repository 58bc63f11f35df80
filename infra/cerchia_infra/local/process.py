"""Running `cerchia serve` as a child process, for end-to-end tests and tools.

    process, base_url = start_serve_subprocess(tmp_path / "state")
    try:
        ...  # HTTP against base_url
    finally:
        stop_serve_subprocess(process)

The child's output (handler logs included) is copied to `<state-dir>/serve.log` and kept flowing,
so a chatty stack never blocks on a full pipe.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

READY = re.compile(r"Cerchia local stack ready on (http://\S+)")


class ServeFailed(RuntimeError):
    """`cerchia serve` exited or stayed silent instead of becoming ready."""


def start_serve_subprocess(
    state_dir: Path | str,
    *,
    port: int = 0,
    template: Path | str | None = None,
    timeout: float = 60.0,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
) -> tuple[subprocess.Popen[str], str]:
    """Start `python -m cerchia_infra.cli serve` and return (process, base URL) once it is ready."""
    state = Path(state_dir)
    state.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "cerchia_infra.cli", "serve", "--port", str(port), "--state-dir", str(state)]
    if template is not None:
        command += ["--template", str(template)]
    command += list(extra_args)
    child_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=child_env,
        cwd=str(cwd) if cwd is not None else None,
    )
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    waiting = threading.Event()
    waiting.set()
    copier = threading.Thread(
        target=_copy_output,
        args=(process.stdout, state / "serve.log", lines, waiting),
        name="cerchia-serve-log",
        daemon=True,
    )
    copier.start()
    seen: list[str] = []
    deadline = _Deadline(timeout)
    while True:
        try:
            line = lines.get(timeout=deadline.remaining())
        except queue.Empty:
            stop_serve_subprocess(process)
            raise ServeFailed(
                f"cerchia serve was not ready within {timeout:g} s. Its output:\n" + "".join(seen[-50:])
            ) from None
        if line is None:
            process.wait(timeout=5)
            raise ServeFailed(
                f"cerchia serve exited with code {process.returncode}. Its output:\n" + "".join(seen[-50:])
            )
        seen.append(line)
        match = READY.search(line)
        if match:
            waiting.clear()  # from now on the output only goes to serve.log
            return process, match.group(1)


def stop_serve_subprocess(process: subprocess.Popen[str], timeout: float = 15.0) -> int:
    """Ask the stack to stop (SIGTERM), then kill it if it does not; return its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    return int(process.returncode)


def _copy_output(stream: IO[str], log_path: Path, lines: queue.Queue[str | None], waiting: threading.Event) -> None:
    with log_path.open("a", encoding="utf-8") as log:
        for line in stream:
            log.write(line)
            log.flush()
            if waiting.is_set():
                lines.put(line)
    lines.put(None)


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

"""Bench section `local-stack`: how long the local stack takes to play time (wall clock).

- a quiet virtual week: one community with nothing happening, the clock moved 7 days at once;
- `cerchia demo`: the scripted week for two seeded communities, start to summary, in a child process.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cerchia_infra.bench_world import ROOT


def quiet_week_seconds() -> tuple[float, int]:
    from cerchia.communities import create_community
    from cerchia_infra.local import LocalStack

    with tempfile.TemporaryDirectory() as state, LocalStack(Path(state), pump=False) as stack:
        create_community(name="Quiet", timezone="Europe/Rome", locale="en", leader_email="leader@example.com")
        stack.settle()
        started = time.perf_counter()
        stack.advance(7 * 86400)
        return time.perf_counter() - started, len(stack.outbox())


def demo_seconds() -> float:
    with tempfile.TemporaryDirectory() as state:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cerchia_infra.cli", "demo", "--state-dir", state],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=900,
        )
        return time.perf_counter() - started


def section() -> tuple[str, list[str], list[list[str]]]:
    week, emails = quiet_week_seconds()
    demo = demo_seconds()
    rows = [
        ["a quiet virtual week (advance 7 days, one community)", f"{week:.2f}", f"{emails} emails"],
        ["cerchia demo (start, scripted week, summary)", f"{demo:.1f}", ""],
    ]
    return "The local stack's wall time", ["what", "seconds", "note"], rows

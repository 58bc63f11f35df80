"""Runs the demo: starts the local stack, plays the chapters, prints the summary."""

from __future__ import annotations

import importlib
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cerchia_infra.client import StackClient
from cerchia_infra.demo import seed

# In the order the week unfolds; each moves the virtual clock only forward.
CHAPTERS = ["welcome", "nudges", "polls", "preferences", "digests"]


class Demo(StackClient):
    """The stack client, plus the seeded communities and members and a running summary."""

    def __init__(self, base_url: str, state_dir: Path) -> None:
        super().__init__(base_url, state_dir)
        self.communities: dict[str, dict[str, Any]] = {}
        self.members: dict[str, list[dict[str, Any]]] = {}
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  - {text}", flush=True)

    def event(self, key: str, event_type: str, data: dict[str, Any], **kwargs: Any) -> Any:
        """Send one platform event for a seeded community; a refusal stops the demo with its reason."""
        response = self.send(
            self.communities[key], {"type": event_type, "timestamp": self.now().isoformat(), "data": data}, **kwargs
        )
        if response.status_code >= 300:
            raise RuntimeError(f"{event_type} was refused ({response.status_code}): {response.text}")
        return response


def start_of_demo_week(now: datetime) -> datetime:
    """The next Monday 07:00 UTC: the week the demo plays."""
    monday = (now + timedelta(days=(7 - now.weekday()) % 7 or 7)).replace(hour=7, minute=0, second=0, microsecond=0)
    return monday.astimezone(UTC)


def play(state_dir: Path, port: int = 0, keep_serving: bool = False) -> int:
    from cerchia_infra.local.process import start_serve_subprocess, stop_serve_subprocess

    if state_dir.exists():
        shutil.rmtree(state_dir)
    print("Starting the local stack (moto as AWS, wired from template.yaml)...", flush=True)
    process, base_url = start_serve_subprocess(state_dir, port=port, timeout=120)
    demo = Demo(base_url, state_dir)
    try:
        demo.set_clock(start_of_demo_week(demo.now()))
        for key, settings in seed.COMMUNITIES.items():
            demo.communities[key] = demo.create_community(**settings)
            demo.members[key] = list(seed.MEMBERS[key])
        for chapter in CHAPTERS:
            print(f"\n== {chapter} ==", flush=True)
            importlib.import_module(f"cerchia_infra.demo.chapter_{chapter}").play(demo)
        demo.settle()
        print_summary(demo)
        if keep_serving:
            print(f"\nThe stack keeps serving on {base_url} (links in the emails work). Ctrl-C to stop.", flush=True)
            process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop_serve_subprocess(process)
    return 0


def print_summary(demo: Demo) -> None:
    outbox = demo.outbox()
    by_kind = Counter(mail["kind"] for mail in outbox)
    print("\n" + "=" * 64)
    print("Cerchia demo: what happened this week")
    print("=" * 64)
    for note in demo.notes:
        print(f"  * {note}")
    print("\nEmails sent, by kind")
    print(f"  {'kind':<16} {'count':>5}")
    for kind, count in sorted(by_kind.items()):
        print(f"  {kind:<16} {count:>5}")
    print(f"  {'total':<16} {len(outbox):>5}")
    index = (demo.state_dir / "outbox" / "index.html").resolve()
    print(f"\nOpen the outbox: file://{index}")
    print(f"(each email is also a .eml file in {index.parent})")

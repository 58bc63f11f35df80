"""Cerchia's bench: the costs that matter in production, measured in one run.

    python -m cerchia_infra.bench            (or `make bench`)

Sections, each an entry of SECTIONS (add one as a function here, or as a module with a `section()`
function, see `from_module`):

- cold first call: each function imported and serving one real-shaped event in a fresh
  interpreter, against boto3 alone making the same AWS requests (cerchia_infra.bench_cold);
- import only: each `functions/*/handler.py` imported in a fresh interpreter, against
  `import boto3`; work deferred to the first call hides here, so this is not the cold-start figure;
- DynamoDB requests per ingested event: signed webhooks sent to the ingest handler under moto,
  counting the DynamoDB API calls each event type costs;
- one nudge sweep's reads as the table grows (cerchia_infra.bench_nudges);
- one weekly digest run's AWS usage and cost (cerchia_infra.bench_digests);
- the local stack's wall time for a quiet virtual week and for `cerchia demo` (cerchia_infra.bench_local).

A section whose code does not exist yet prints "not available yet" instead of failing the run.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cerchia_infra import bench_cold
from cerchia_infra.bench_world import (
    LAMBDA_ENV,
    ROOT,
    TEMPLATE,
    LambdaContext,
    Unavailable,
    http_api_event,
    lambda_environment,
    load_handler,
)


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        widths = [max(len(str(cell)) for cell in column) for column in zip(self.headers, *self.rows, strict=True)]

        def line(cells: list[str]) -> str:
            padded = [
                str(cell).rjust(width) if index and _numeric(str(cell)) else str(cell).ljust(width)
                for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
            ]
            return "| " + " | ".join(padded) + " |"

        out = [
            f"## {self.title}",
            "",
            line(self.headers),
            "|" + "|".join("-" * (w + 2) for w in widths) + "|",
        ]
        out += [line(row) for row in self.rows]
        out += [f"  {note}" for note in self.notes]
        return "\n".join(out)


def _numeric(cell: str) -> bool:
    return cell.replace(",", "").replace(".", "", 1).replace("-", "", 1).strip().isdigit()


@dataclass
class Options:
    repeat: int = 5
    pairs: int = 7  # cold-first-call: counted (handler, floor) pairs per function
    handlers: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    run: Callable[[Options], Table]


# ------------------------------------------------------------------ (a) import time

_TIME_IMPORT = """
import importlib, importlib.util, sys, time
target = sys.argv[1]
if target.endswith(".py"):
    sys.path.insert(0, target.rsplit("/", 1)[0])
    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location("handler", target)
    module = importlib.util.module_from_spec(spec)
    sys.modules["handler"] = module
    spec.loader.exec_module(module)
else:
    started = time.perf_counter()
    importlib.import_module(target)
print(time.perf_counter() - started)
"""


def handler_files() -> list[Path]:
    return sorted((ROOT / "functions").glob("*/handler.py"))


def time_import(target: str, repeat: int) -> list[float]:
    """Seconds to import `target` (a module name or a file path) in `repeat` fresh interpreters.

    One untimed run first writes the bytecode, as the layer ships it compiled.
    """
    env = {**os.environ, **LAMBDA_ENV}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # else the untimed run writes no bytecode
    timings = []
    for attempt in range(repeat + 1):
        result = subprocess.run(
            [sys.executable, "-c", _TIME_IMPORT, target],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"importing {target} failed: {last}")
        if attempt:
            timings.append(float(result.stdout.strip().splitlines()[-1]))
    return timings


def import_times(options: Options) -> Table:
    handlers = options.handlers or handler_files()
    if not handlers:
        raise Unavailable("no functions/*/handler.py yet")
    table = Table(
        f"Handler import only (not the cold-start figure: see cold-first-call), median of {options.repeat} "
        "fresh interpreters",
        ["module", "median ms", "× boto3", "runs"],
    )
    floor = statistics.median(time_import("boto3", options.repeat))
    table.rows.append(["import boto3 (floor)", f"{floor * 1000:.1f}", "1.00", str(options.repeat)])
    for handler in handlers:
        name = handler.parent.name if handler.is_relative_to(ROOT / "functions") else str(handler)
        try:
            median = statistics.median(time_import(str(handler), options.repeat))
        except RuntimeError as error:
            table.rows.append([name, "error", "-", "0"])
            table.notes.append(f"{name}: {error}")
            continue
        table.rows.append([name, f"{median * 1000:.1f}", f"{median / floor:.2f}", str(options.repeat)])
    table.notes.append(f"python {sys.version.split()[0]} on this machine; Lambda arm64 differs in scale, not order.")
    return table


# ------------------------------------------------------------------ (b) DynamoDB requests per event

EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("member.joined", {"member_id": "m_1", "email": "ada@example.com", "name": "Ada", "locale": "en"}),
    ("member.joined", {"member_id": "m_2", "email": "bruno@example.com", "name": "Bruno", "locale": "it"}),
    ("member.updated", {"member_id": "m_1", "name": "Ada L."}),
    (
        "post.created",
        {
            "post_id": "p_1",
            "author_id": "m_1",
            "title": "Sourdough in summer?",
            "url": "https://forum.example/t/1",
        },
    ),
    ("reply.created", {"reply_id": "r_1", "post_id": "p_1", "author_id": "m_2"}),
    ("reaction.added", {"post_id": "p_1", "member_id": "m_2", "reaction": "heart"}),
    ("post.deleted", {"post_id": "p_1"}),
    ("member.left", {"member_id": "m_2"}),
]


class DynamoDBCalls:
    """Counts DynamoDB API calls (not HTTP retries) made by any boto3 client while installed."""

    def __init__(self) -> None:
        self.operations: Counter[str] = Counter()

    def __call__(self, model: Any = None, **_: Any) -> None:
        self.operations[getattr(model, "name", "?")] += 1

    @contextlib.contextmanager
    def installed(self) -> Iterator[DynamoDBCalls]:
        import boto3
        import botocore.handlers

        # Sessions created from now on get the hook from botocore's built-in handlers; the default
        # session may exist already, so it gets it directly. Clients copy their session's hooks when
        # built, so cached clients must be rebuilt afterwards (cerchia.runtime.reset()).
        entry = ("before-call.dynamodb", self)
        botocore.handlers.BUILTIN_HANDLERS.append(entry)
        existing = boto3.DEFAULT_SESSION
        if existing is not None:
            existing.events.register("before-call.dynamodb", self, unique_id="cerchia-bench")
        try:
            yield self
        finally:
            botocore.handlers.BUILTIN_HANDLERS.remove(entry)
            if existing is not None:
                existing.events.unregister("before-call.dynamodb", unique_id="cerchia-bench")

    def take(self) -> Counter[str]:
        taken, self.operations = self.operations, Counter()
        return taken


def dynamodb_requests_per_event(options: Options) -> Table:
    try:
        from moto import mock_aws

        from cerchia import runtime
        from cerchia.communities import create_community
    except ImportError as error:
        raise Unavailable(f"{error.name or error} is not importable yet") from error
    import boto3

    from cerchia_infra.template_table import create_table_from_template

    calls = DynamoDBCalls()
    per_type: dict[str, list[Counter[str]]] = {}
    statuses: dict[str, set[int]] = {}
    with lambda_environment(), mock_aws(), calls.installed():
        runtime.reset()
        create_table_from_template(boto3.client("dynamodb"), TEMPLATE, LAMBDA_ENV["TABLE_NAME"])
        community = create_community(
            name="Bench Bakers", timezone="Europe/Rome", locale="en", leader_email="leader@example.com"
        )
        handler = load_handler("ingest_event")
        sent: list[tuple[str, str]] = []
        for event_type, data in EVENTS:
            body = json.dumps({"type": event_type, "timestamp": datetime.now(UTC).isoformat(), "data": data})
            webhook_id = f"msg_{uuid.uuid4().hex}"
            sent.append((webhook_id, body))
            calls.take()
            response = handler.lambda_handler(
                http_api_event(community.community_id, community.webhook_secret, body, webhook_id),
                LambdaContext(),
            )
            per_type.setdefault(event_type, []).append(calls.take())
            statuses.setdefault(event_type, set()).add(int(response["statusCode"]))
        # The platform redelivers: the same webhook-id again must cost little and change nothing.
        webhook_id, body = sent[0]
        calls.take()
        response = handler.lambda_handler(
            http_api_event(community.community_id, community.webhook_secret, body, webhook_id),
            LambdaContext(),
        )
        per_type["duplicate delivery"] = [calls.take()]
        statuses["duplicate delivery"] = {int(response["statusCode"])}
    runtime.reset()

    table = Table("DynamoDB requests per ingested event (under moto)", ["event", "status", "requests", "operations"])
    total_requests, total_events = 0, 0
    for event_type, counters in per_type.items():
        requests = sum(sum(counter.values()) for counter in counters)
        merged: Counter[str] = sum(counters, Counter())
        operations = ", ".join(
            f"{name} {count / len(counters):g}" for name, count in sorted(merged.items(), key=lambda kv: -kv[1])
        )
        status = "/".join(str(code) for code in sorted(statuses[event_type]))
        table.rows.append([event_type, status, f"{requests / len(counters):g}", operations or "-"])
        total_requests += requests
        total_events += len(counters)
    table.rows.append(
        [
            "total",
            "",
            f"{total_requests} for {total_events} events",
            f"{total_requests / total_events:.2f} per event",
        ]
    )
    table.notes.append("requests = DynamoDB API calls made by the handler (before-call hook), averaged per event.")
    if not total_requests:
        table.notes.append("warning: no DynamoDB call was counted: the hook missed the handler's clients.")
    unexpected = {kind: codes for kind, codes in statuses.items() if not all(200 <= code < 300 for code in codes)}
    if unexpected:
        table.notes.append(f"warning: non-2xx answers {unexpected}: those rows do not measure the stored path.")
    return table


# ------------------------------------------------------------------ sections in their own modules


def from_module(module_name: str, function: str = "section") -> Callable[[Options], Table]:
    """A section kept in its own module, whose `section()` (or `function`) returns `(title, headers, rows)`.

    Such a module imports LAMBDA_ENV, REGION, TEMPLATE and lambda_environment from cerchia_infra.bench_world.
    """

    def run(options: Options) -> Table:
        try:
            module = importlib.import_module(module_name)
            title, headers, rows = getattr(module, function)()
        except ImportError as error:
            raise Unavailable(f"{error.name or error} is not importable yet") from error
        return Table(title, [str(header) for header in headers], [[str(cell) for cell in row] for row in rows])

    return run


# ------------------------------------------------------------------ running


def cold_first_call(options: Options) -> Table:
    names = [handler.parent.name for handler in options.handlers] or None
    title, headers, rows = bench_cold.section(options.pairs, names)
    return Table(title, headers, rows, notes=[bench_cold.NOTE])


SECTIONS: list[Section] = [
    Section("cold-first-call", "Cold first call", cold_first_call),
    Section("import-time", "Handler import only (not the cold-start figure)", import_times),
    Section("ingest-requests", "DynamoDB requests per ingested event", dynamodb_requests_per_event),
    Section("nudge-sweep-reads", "One nudge sweep's reads", from_module("cerchia_infra.bench_nudges")),
    Section("digest-cost", "One digest run's AWS usage and cost", from_module("cerchia_infra.bench_digests")),
    Section("local-stack", "The local stack's wall time", from_module("cerchia_infra.bench_local")),
    Section("week-volume", "10,000 posts in one week", from_module("cerchia_infra.bench_dynamo", "week_volume")),
    Section("hot-post", "20 concurrent writers on one post", from_module("cerchia_infra.bench_dynamo", "hot_post")),
    Section(
        "requests-per-event",
        "DynamoDB requests per event, cold and warm",
        from_module("cerchia_infra.bench_dynamo", "requests_per_event"),
    ),
]


def run(options: Options, keys: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    failures = 0
    for section in SECTIONS:
        if keys and section.key not in keys:
            continue
        try:
            out(section.run(options).render())
        except Unavailable as missing:
            out(f"## {section.title}\n\nnot available yet: {missing}")
        except Exception as error:  # one broken section must not hide the others' numbers
            failures += 1
            out(f"## {section.title}\n\nfailed: {type(error).__name__}: {error}")
        out("")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cerchia_infra.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh interpreters per import measurement")
    parser.add_argument("--pairs", type=int, default=7, help="cold-first-call: alternating pairs per function")
    parser.add_argument(
        "--section",
        action="append",
        choices=[section.key for section in SECTIONS],
        help="run only this section (repeatable); default: all",
    )
    parser.add_argument(
        "--handler",
        action="append",
        default=[],
        help="a function name under functions/ or a handler.py path (repeatable); default: every handler",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    handlers = []
    for handler in args.handler:
        path = Path(handler) if handler.endswith(".py") else ROOT / "functions" / handler / "handler.py"
        if not path.exists():
            parser.error(f"no handler at {path}")
        handlers.append(path.resolve())
    return run(Options(repeat=args.repeat, pairs=max(1, args.pairs), handlers=handlers), args.section)


if __name__ == "__main__":
    sys.exit(main())

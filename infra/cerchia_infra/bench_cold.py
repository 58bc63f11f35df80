"""Bench section `cold-first-call`: what a cold Lambda pays to serve its first event, against a floor.

For every `functions/*/handler.py`: a fresh interpreter imports the handler and serves one
representative event, shaped as its real source sends it, against the emulator (a moto server this
section starts); it records every AWS request the call made. Then a fresh *floor* interpreter imports
boto3 alone and makes those same requests. Pairs alternate (handler, floor, handler, floor...) so
both see the same machine; each pair gives a ratio, and the table shows medians. The first pair of
each function is a warm-up (it writes the bytecode and the compiled templates, as the layer ships
them) and is not counted.

A third interpreter, the *libraries floor*, imports boto3 and every third-party module the handler
had loaded by its answer (pydantic, Powertools, Jinja, Babel...), then makes the same requests. What
the handler costs beyond it is Cerchia's own: its modules, its models' validators, its rendering.

Each run gets its own event (a new member, post, poll, address...), prepared by this process
through `cerchia` against the emulator, so every run takes the same real path, never a duplicate one.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cerchia_infra.bench_cold_events import World
from cerchia_infra.bench_world import ROOT, lambda_environment

PAIRS = 7
NOTE = (
    "handler ms: fresh interpreter, from the handler's first import to its answer; floor ms: fresh interpreter, "
    "`import boto3` and the same AWS requests; × floor: median of the per-pair wall-time ratios; CPU × floor: "
    "the same with each interpreter's own CPU time (steadier on a busy machine; the emulator's time is in neither); "
    "libraries CPU × floor: what importing the third-party modules the handler loaded costs (boto3 excepted), "
    "with the same requests; CPU × libraries: the handler against that, i.e. Cerchia's own share."
)

# The timed part starts before the handler's first import and ends when it has answered. AWS
# requests are recorded by a hook botocore gets the moment it is first imported (no earlier import).
_HANDLER_RUN = r"""
import importlib.util, json, pickle, sys, time
handler_path, event_path, calls_path = sys.argv[1:4]
event = json.loads(open(event_path, encoding="utf-8").read())
calls = []

def record(params, model, **_):
    import copy
    calls.append((model.service_model.service_name, model.name, copy.deepcopy(params)))

class Recorder:
    def find_spec(self, name, path=None, target=None):
        if name != "botocore.handlers":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            module.BUILTIN_HANDLERS.append(("before-parameter-build", record))
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, Recorder())
sys.path.insert(0, handler_path.rsplit("/", 1)[0])

class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    aws_request_id = "bench-cold"
    def get_remaining_time_in_millis(self):
        return 30000

started, cpu = time.perf_counter(), time.process_time()
spec = importlib.util.spec_from_file_location("handler", handler_path)
module = importlib.util.module_from_spec(spec)
sys.modules["handler"] = module
spec.loader.exec_module(module)
answer = module.lambda_handler(event, Context())
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
from botocore import xform_name
with open(calls_path, "wb") as out:
    pickle.dump([(service, xform_name(name), params) for service, name, params in calls], out)
libraries = sorted(
    name for name in sys.modules
    if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] not in ("cerchia", "handler", "__main__")
)
with open(calls_path + ".libraries", "w", encoding="utf-8") as out:
    out.write("\n".join(libraries))
status = answer.get("statusCode") if isinstance(answer, dict) else None
failures = answer.get("batchItemFailures") if isinstance(answer, dict) else None
print(json.dumps({"seconds": elapsed, "cpu": cpu, "status": status, "failures": failures, "requests": len(calls)}))
"""

# The floor: boto3 alone, making the very requests the handler made (answers and errors ignored).
# With a second argument, the libraries floor: first every third-party module the handler loaded.
_FLOOR_RUN = r"""
import importlib, json, pickle, sys, time
calls = pickle.loads(open(sys.argv[1], "rb").read())
libraries = open(sys.argv[2], encoding="utf-8").read().split() if len(sys.argv) > 2 else []
started, cpu = time.perf_counter(), time.process_time()
import boto3
for name in libraries:
    try:
        importlib.import_module(name)
    except Exception:
        pass  # a module some other import loads by hand (a vendored copy, a platform-only backend)
clients = {}
for service, operation, params in calls:
    client = clients.get(service) or clients.setdefault(service, boto3.client(service))
    try:
        getattr(client, operation)(**params)
    except Exception:
        pass
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}))
"""


def _child(script: str, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(last)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(world: World, name: str, pairs: int, workdir: Path) -> dict[str, Any]:
    """`pairs` counted (handler, floor) pairs after one warm-up pair."""
    prepare: Callable[[], dict[str, Any]] = getattr(world, name)
    handler = ROOT / "functions" / name / "handler.py"
    # Lambda names the function in every execution environment (cerchia.coldstart reads it)
    env = {**os.environ, **world.env, "AWS_LAMBDA_FUNCTION_NAME": name}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the warm-up writes the bytecode, as the layer ships compiled
    handler_s, floor_s, ratios, cpu_ratios, requests, statuses = [], [], [], [], [], set()
    library_ratios, own_ratios = [], []
    for index in range(pairs + 1):
        event_path, calls_path = workdir / f"{name}-{index}.json", workdir / f"{name}-{index}.calls"
        event_path.write_text(json.dumps(prepare()), encoding="utf-8")
        served = _child(_HANDLER_RUN, [str(handler), str(event_path), str(calls_path)], env)
        floor = _child(_FLOOR_RUN, [str(calls_path)], env)
        libraries = _child(_FLOOR_RUN, [str(calls_path), f"{calls_path}.libraries"], env)
        if index == 0:
            continue
        library_ratios.append(libraries["cpu"] / floor["cpu"])
        own_ratios.append(served["cpu"] / libraries["cpu"])
        handler_s.append(served["seconds"])
        floor_s.append(floor["seconds"])
        ratios.append(served["seconds"] / floor["seconds"])
        cpu_ratios.append(served["cpu"] / floor["cpu"])
        requests.append(served["requests"])
        statuses.add(str(served["status"] if served["status"] is not None else "ok"))
        if served.get("failures"):
            statuses.add("batch failures")
    return {
        "handler_ms": statistics.median(handler_s) * 1000,
        "floor_ms": statistics.median(floor_s) * 1000,
        "ratio": statistics.median(ratios),
        "worst": max(ratios),
        "cpu_ratio": statistics.median(cpu_ratios),
        "library_ratio": statistics.median(library_ratios),
        "own_ratio": statistics.median(own_ratios),
        "requests": statistics.median(requests),
        "status": "/".join(sorted(statuses)),
    }


def section(pairs: int = PAIRS, names: list[str] | None = None) -> tuple[str, list[str], list[list[str]]]:
    from moto.server import ThreadedMotoServer

    from cerchia import runtime

    names = names or sorted(path.parent.name for path in (ROOT / "functions").glob("*/handler.py"))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's access log is noise here
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    rows = []
    try:
        with lambda_environment(), tempfile.TemporaryDirectory() as workdir:
            os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
            runtime.reset()
            world = World(os.environ["AWS_ENDPOINT_URL"])
            for name in names:
                try:
                    got = measure(world, name, pairs, Path(workdir))
                except RuntimeError as error:
                    rows.append([name, "error", "-", "-", "-", "-", "-", "-", "-", str(error)[:80]])
                    continue
                rows.append(
                    [
                        name,
                        f"{got['handler_ms']:.0f}",
                        f"{got['floor_ms']:.0f}",
                        f"{got['ratio']:.2f}",
                        f"{got['worst']:.2f}",
                        f"{got['cpu_ratio']:.2f}",
                        f"{got['library_ratio']:.2f}",
                        f"{got['own_ratio']:.2f}",
                        f"{got['requests']:g}",
                        got["status"],
                    ]
                )
    finally:
        os.environ.pop("AWS_ENDPOINT_URL", None)
        os.environ.pop("DELIVERY_QUEUE_URL", None)
        runtime.reset()
        server.stop()
    title = (
        f"Cold first call: import the handler and serve one real-shaped event, against boto3 alone making "
        f"the same AWS requests (median of {pairs} alternating pairs; ratio per pair)"
    )
    headers = [
        "function",
        "handler ms",
        "floor ms",
        "× floor",
        "worst ×",
        "CPU × floor",
        "libraries CPU × floor",
        "CPU × libraries",
        "AWS requests",
        "answer",
    ]
    return title, headers, rows

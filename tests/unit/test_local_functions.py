"""Execution environments: like Lambda, one invocation at a time per loaded copy of the handler."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from cerchia_infra.local.functions import FunctionRuntime, FunctionSpec

HANDLER = """
current = {}

def lambda_handler(event, context):
    current["event"] = event          # module state, like Powertools' resolver keeps
    if event.get("barrier"):
        event["barrier"].wait()       # both invocations are inside a handler at once
    return {"seen": current["event"]["n"], "module": __name__}
"""


def _runtime(tmp_path):
    (tmp_path / "handler.py").write_text(HANDLER)
    spec = FunctionSpec(
        logical_id="Probe",
        function_name="probe",
        arn="arn:aws:lambda:eu-west-1:1:function:probe",
        code_dir=tmp_path,
        handler="handler.lambda_handler",
        memory_mb=128,
        timeout_s=3,
        environment={},
    )
    return FunctionRuntime(spec)


def test_concurrent_invocations_run_in_separate_environments_and_never_see_each_others_event(tmp_path):
    runtime = _runtime(tmp_path)
    try:
        barrier = threading.Barrier(2, timeout=10)
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(runtime.invoke, [{"n": 1, "barrier": barrier}, {"n": 2, "barrier": barrier}]))

        assert [result["seen"] for result in results] == [1, 2]
        assert len({result["module"] for result in results}) == 2
        assert runtime.environments == 2
    finally:
        runtime.unload()


def test_sequential_invocations_reuse_a_warm_environment(tmp_path):
    runtime = _runtime(tmp_path)
    try:
        first = runtime.invoke({"n": 1})
        second = runtime.invoke({"n": 2})

        assert (first["module"], second["seen"]) == (second["module"], 2)
        assert runtime.environments == 1
    finally:
        runtime.unload()

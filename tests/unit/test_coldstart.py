"""Garbage collection pauses for a Lambda's cold start only (cerchia.coldstart), and every handler opts in."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted((ROOT / "functions").glob("*/handler.py"))

# A fresh interpreter: import the module as a handler does, serve a first call that fails, then a second.
PROBE = r"""
import gc, json
from cerchia import coldstart
seen = {"after_import": gc.isenabled()}

@coldstart.first_call_resumes
def lambda_handler(event, context):
    seen.setdefault("during_first_call", gc.isenabled())
    if event == "fail":
        raise ValueError(event)
    return event

try:
    lambda_handler("fail", None)
except ValueError:
    pass
seen["after_first_call"] = gc.isenabled()
seen["frozen"] = gc.get_freeze_count()
seen["second_answer"] = lambda_handler("ok", None)
seen["after_second_call"] = gc.isenabled()
print(json.dumps(seen))
"""


def probe(**extra: str) -> dict[str, object]:
    env = {key: value for key, value in os.environ.items() if key != "AWS_LAMBDA_FUNCTION_NAME"} | extra
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


def test_in_a_lambda_collection_waits_for_the_end_of_the_first_call_even_a_failed_one() -> None:
    seen = probe(AWS_LAMBDA_FUNCTION_NAME="cerchia-prod-IngestEventFunction")

    assert seen["after_import"] is False and seen["during_first_call"] is False
    assert seen["after_first_call"] is True
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 1_000  # what initialisation built, frozen
    assert seen["second_answer"] == "ok" and seen["after_second_call"] is True


def test_outside_a_lambda_nothing_changes() -> None:
    seen = probe()

    assert seen["after_import"] is True and seen["during_first_call"] is True
    assert seen["frozen"] == 0


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda path: path.parent.name)
def test_every_handler_pauses_collection_before_its_first_import_and_resumes_after_its_first_call(
    handler: Path,
) -> None:
    tree = ast.parse(handler.read_text(encoding="utf-8"))
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    first = next(node for node in imports if not (isinstance(node, ast.ImportFrom) and node.module == "__future__"))
    assert isinstance(first, ast.ImportFrom) and first.module == "cerchia"
    assert [alias.name for alias in first.names] == ["coldstart"]

    entry = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "lambda_handler")
    outermost = entry.decorator_list[0]
    assert ast.unparse(outermost) == "coldstart.first_call_resumes"

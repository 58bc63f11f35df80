"""`make deploy STAGE=...`: the first deploy of a stage names its sender (asked at a terminal, a
sentence in CI), later ones keep it, and CI never waits on a prompt. SAM is a stand-in that records
its arguments: nothing reaches AWS."""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAKE_SAM = """#!/bin/bash
printf '%s\\n' "$*" >> "$FAKE_SAM_LOG"
if [ "$1 $2" = "list stack-outputs" ]; then exit "${FAKE_STACK_MISSING:-0}"; fi
exit 0
"""


@pytest.fixture
def deploy(tmp_path):
    sam = tmp_path / "sam"
    sam.write_text(FAKE_SAM)
    sam.chmod(0o755)
    stamp = tmp_path / "sam-installed"
    stamp.touch()
    log = tmp_path / "sam.log"

    def run(*variables: str, stack_exists: bool) -> tuple[subprocess.CompletedProcess[str], list[str]]:
        env = {**os.environ, "CI": "1", "FAKE_SAM_LOG": str(log), "FAKE_STACK_MISSING": "0" if stack_exists else "1"}
        done = subprocess.run(
            ["make", "--no-print-directory", "deploy", f"SAM={sam}", f"SAM_STAMP={stamp}", *variables],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        calls = log.read_text().splitlines() if log.exists() else []
        return done, [call for call in calls if call.startswith("deploy")]

    return run


def test_the_first_deploy_of_a_stage_in_ci_without_a_sender_stops_with_a_sentence_not_a_prompt(deploy):
    done, deploys = deploy("STAGE=prod", stack_exists=False)

    assert done.returncode != 0
    assert deploys == []
    assert "make deploy STAGE=prod SENDER=<an address verified in SES>" in done.stderr


def test_the_first_deploy_of_a_stage_with_its_sender_deploys_that_stage_without_a_prompt(deploy):
    done, [call] = deploy("STAGE=prod", "SENDER=news@club.example", stack_exists=False)

    assert done.returncode == 0, done.stderr
    assert "--stack-name cerchia-prod" in call and "--s3-prefix cerchia-prod" in call
    assert "--parameter-overrides Stage=prod SenderAddress=news@club.example" in call
    assert "--no-confirm-changeset" in call and "--guided" not in call


def test_a_later_deploy_keeps_the_stacks_sender_and_passes_extra_parameters(deploy):
    done, [call] = deploy("STAGE=staging", "PARAMS=MaxSendRate=2", stack_exists=True)

    assert done.returncode == 0, done.stderr
    assert "--parameter-overrides Stage=staging MaxSendRate=2" in call
    assert "SenderAddress" not in call  # SAM keeps the stack's previous value


def test_samconfig_commits_no_sender_address():
    config = tomllib.loads((ROOT / "infra" / "samconfig.toml").read_text(encoding="utf-8"))

    assert "SenderAddress" not in str(config)
    assert "example.org" not in (ROOT / "infra" / "samconfig.toml").read_text(encoding="utf-8")

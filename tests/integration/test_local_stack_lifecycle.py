"""Starting and stopping the local stack: the pump, the process it changes, `cerchia serve` and the CLI."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from cerchia_infra import cli
from cerchia_infra.local import LocalStack, StackError
from cerchia_infra.local.process import start_serve_subprocess, stop_serve_subprocess

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "tests" / "fixtures" / "local" / "template.yaml"


def test_the_background_pump_delivers_stream_records_without_moving_the_clock(tmp_path: Path):
    with LocalStack(tmp_path / "state", template_path=TEMPLATE, pump_interval=0.05) as stack:
        recorder = stack.functions["RecorderFunction"]
        recorder.handler()
        delivered = sys.modules[recorder.module_name].DELIVERED

        requests.post(f"{stack.url}/things/pumped", json={"kind": "wanted"}, timeout=10).raise_for_status()

        assert delivered.wait(timeout=10)


def test_stopping_gives_the_process_back_its_environment_and_wall_clock(tmp_path: Path):
    from cerchia import clock

    before = dict(os.environ)
    stack = LocalStack(tmp_path / "state", template_path=TEMPLATE, pump=False).start()
    stack.advance(7 * 86400)
    assert os.environ["AWS_ENDPOINT_URL"] == stack.aws_endpoint_url
    assert clock.now() - datetime.now(UTC) > timedelta(days=6)

    stack.stop()
    stack.stop()  # twice is harmless

    assert dict(os.environ) == before
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_template_that_asks_for_an_unsupported_event_is_refused_with_a_sentence(tmp_path: Path):
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE.read_text().replace("Type: SNS\n", "Type: Kinesis\n"))
    before = dict(os.environ)

    with pytest.raises(StackError, match="events of type Kinesis are not emulated"):
        LocalStack(tmp_path / "state", template_path=template, pump=False).start()
    assert dict(os.environ) == before


def test_serve_prints_the_ready_line_writes_stack_json_and_stops_on_sigterm(tmp_path: Path):
    state = tmp_path / "state"
    process, base_url = start_serve_subprocess(state, template=TEMPLATE, timeout=60)
    try:
        plain = requests.get(f"{base_url}/plain", timeout=10)
        written = json.loads((state / "stack.json").read_text())
    finally:
        code = stop_serve_subprocess(process)

    assert plain.status_code == 200
    assert written["api_url"] == base_url and written["pid"] == process.pid
    assert written["env"]["PUBLIC_BASE_URL"] == base_url
    assert code == 0
    assert "Cerchia local stack ready on " + base_url in (state / "serve.log").read_text()


def test_serve_with_aws_says_it_is_not_supported_yet(capsys: pytest.CaptureFixture[str]):
    code = cli.main(["serve", "--aws"])

    assert code == 2
    assert "not supported yet" in capsys.readouterr().err


def test_the_real_template_starts_and_community_create_prints_one_json_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    state = tmp_path / "state"
    with LocalStack(state, template_path=ROOT / "template.yaml", pump=False) as stack:
        routes = {route.route_key for route in stack.routes}
        code = cli.main(
            [
                "community",
                "create",
                "--state-dir",
                str(state),
                "--name",
                "Lievito & Co.",
                "--timezone",
                "Europe/Rome",
                "--locale",
                "it",
                "--leader-email",
                "marco@example.com",
            ]
        )
        printed = capsys.readouterr().out.strip().splitlines()

    assert "POST /v1/communities/{community_id}/events" in routes
    assert code == 0 and len(printed) == 1
    created = json.loads(printed[0])
    assert set(created) == {"community_id", "webhook_secret", "api_key"}
    assert created["webhook_secret"].startswith("whsec_")


def test_community_create_without_a_running_stack_says_how_to_start_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    code = cli.main(
        [
            "community",
            "create",
            "--state-dir",
            str(tmp_path),
            "--name",
            "N",
            "--timezone",
            "UTC",
            "--locale",
            "en",
            "--leader-email",
            "a@example.com",
        ]
    )

    assert code == 2
    assert "cerchia serve --state-dir" in capsys.readouterr().err

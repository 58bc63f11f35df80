"""The mailer's per-kind counts: one EMF line per email, and never a reason for an email to fail."""

from __future__ import annotations

import json

import pytest

from cerchia import observability


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    from cerchia import runtime

    monkeypatch.setenv("TABLE_NAME", "unit")
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "cerchia")
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    runtime.reset()
    yield
    runtime.reset()


def test_each_email_is_one_emf_line_with_its_kind_stage_and_service(capsys):
    observability.count("EmailsSent", kind="digest")

    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    document = json.loads(line)
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Cerchia"
    assert directive["Metrics"] == [{"Name": "EmailsSent", "Unit": "Count"}]
    assert (document["kind"], document["stage"], document["service"]) == ("digest", "prod", "cerchia")
    assert document["EmailsSent"] == [1.0]


def test_a_metrics_failure_is_logged_and_does_not_raise(monkeypatch, capsys):
    class Broken:
        def __init__(self, *args, **kwargs):
            raise RuntimeError("stdout is gone")

    monkeypatch.setattr(observability, "EphemeralMetrics", Broken)

    observability.count("EmailsSent", kind="welcome")

    assert "_aws" not in capsys.readouterr().out

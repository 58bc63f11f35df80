"""The bench runs and prints its tables in the expected shape (kept fast: one repetition, one handler)."""

from __future__ import annotations

import pytest

from cerchia_infra import bench


def table_rows(output: str) -> list[list[str]]:
    """Cells of each `| a | b |` line, header first, the `|---|` rule left out."""
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in output.splitlines()
        if line.startswith("|") and not line.startswith("|-")
    ]


def test_import_time_section_prints_the_floor_and_one_handler(capsys: pytest.CaptureFixture[str]) -> None:
    handler = bench.handler_files()[0]

    exit_code = bench.main(["--section", "import-time", "--repeat", "1", "--handler", str(handler)])

    output = capsys.readouterr().out
    assert exit_code == 0, output
    assert "## Handler import only" in output
    header, floor, measured = table_rows(output)
    assert header == ["module", "median ms", "× boto3", "runs"]
    assert floor[0] == "import boto3 (floor)" and floor[2:] == ["1.00", "1"]
    assert measured[0] == handler.parent.name
    assert float(measured[1]) > 0 and float(measured[2]) > 0 and measured[3] == "1"


def test_ingest_section_counts_requests_for_every_event_type(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = bench.main(["--section", "ingest-requests"])

    output = capsys.readouterr().out
    assert exit_code == 0, output
    header, *rows = table_rows(output)
    assert header == ["event", "status", "requests", "operations"]
    kinds = [row[0] for row in rows]
    assert kinds == [*dict.fromkeys(kind for kind, _ in bench.EVENTS), "duplicate delivery", "total"]
    assert all(float(row[2]) > 0 for row in rows[:-1]), output


def test_a_section_whose_code_is_missing_says_so_and_others_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(options: bench.Options) -> bench.Table:
        raise bench.Unavailable("functions/sweep/handler.py does not exist yet")

    def present(options: bench.Options) -> bench.Table:
        return bench.Table("Present", ["a", "b"], [["x", "1"]])

    monkeypatch.setattr(
        bench,
        "SECTIONS",
        [bench.Section("missing", "Missing", missing), bench.Section("present", "Present", present)],
    )
    printed: list[str] = []

    assert bench.run(bench.Options(repeat=1), out=printed.append) == 0
    assert "not available yet: functions/sweep/handler.py does not exist yet" in printed[0]
    assert table_rows(printed[2]) == [["a", "b"], ["x", "1"]]


def test_cold_first_call_section_serves_a_signed_webhook_in_a_fresh_interpreter_against_its_floor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_code = bench.main(["--section", "cold-first-call", "--pairs", "1", "--handler", "ingest_event"])

    output = capsys.readouterr().out
    assert exit_code == 0, output
    header, row = table_rows(output)
    assert header == [
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
    assert row[0] == "ingest_event" and row[9] == "202", output  # the event was stored, not refused
    assert float(row[1]) > 0 and float(row[2]) > 0 and float(row[3]) > 0 and float(row[5]) > 0
    # importing pydantic, Powertools and the rest costs something beyond boto3 alone
    assert float(row[6]) > 1 and float(row[7]) > 0
    assert int(row[8]) >= 1  # the floor replayed the handler's own DynamoDB requests


def test_local_stack_section_plays_a_quiet_week_in_which_nothing_is_sent() -> None:
    from cerchia_infra import bench_local

    seconds, emails = bench_local.quiet_week_seconds()

    assert seconds > 0 and emails == 0

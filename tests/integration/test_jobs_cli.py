"""`cerchia jobs parked` lists what failed too often; `cerchia jobs retry` puts it back in the due work."""

from __future__ import annotations

import argparse
import json

import pytest


@pytest.fixture
def jobs_cli(aws, clock, monkeypatch):
    from cerchia_infra import cli_jobs

    monkeypatch.setattr(cli_jobs, "use_stack", lambda args: None)  # the aws fixture already points cerchia at moto
    parser = argparse.ArgumentParser(prog="cerchia")
    cli_jobs.register(parser.add_subparsers(dest="command", required=True))

    def run(*arguments: str) -> int:
        args = parser.parse_args(["jobs", arguments[0], "--stack-name", "cerchia-test", *arguments[1:]])
        return int(args.run(args))

    return run


def park(community_id: str, kind: str, ref: str, now) -> None:
    from cerchia.store import get_store

    store = get_store()
    store.schedule_job(kind, ref, community_id, now, {"poll_id": "p_1"})
    store.park_job(store.get_job(kind, ref), 8, "RuntimeError: the poll could not be read", now)


def test_jobs_parked_prints_one_json_line_per_parked_job(community, jobs_cli, clock, capsys):
    park(community.community_id, "poll", f"{community.community_id}#p_1", clock.now())

    assert jobs_cli("parked") == 0

    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line) == {
        "kind": "poll",
        "ref": f"{community.community_id}#p_1",
        "community_id": community.community_id,
        "attempts": 8,
        "last_error": "RuntimeError: the poll could not be read",
        "due": "2026-11-23T08:00:00.000000Z",
    }


def test_jobs_retry_puts_one_parked_job_back_due_now(community, jobs_cli, clock, capsys):
    from cerchia.store import get_store

    ref = f"{community.community_id}#p_1"
    park(community.community_id, "poll", ref, clock.now())
    clock.advance(hours=3)

    assert jobs_cli("retry", "poll", ref) == 0

    assert json.loads(capsys.readouterr().out) == {"requeued": [{"kind": "poll", "ref": ref}]}
    assert get_store().parked_jobs() == []
    [job] = [job for job in get_store().due_jobs(clock.now()) if job.kind == "poll"]
    assert (job.due, job.attempts) == (clock.now(), 0)


def test_jobs_retry_all_requeues_every_parked_job(community, jobs_cli, clock, capsys):
    from cerchia.store import get_store

    for number in range(3):
        park(community.community_id, "poll", f"{community.community_id}#p_{number}", clock.now())

    assert jobs_cli("retry", "--all") == 0

    assert len(json.loads(capsys.readouterr().out)["requeued"]) == 3
    assert get_store().parked_jobs() == []


def test_jobs_retry_of_a_job_that_is_not_parked_says_how_to_find_the_parked_ones(community, jobs_cli):
    from cerchia_infra.cli import CliError

    with pytest.raises(CliError, match="cerchia jobs parked"):
        jobs_cli("retry", "poll", "c_nope#p_1")
    with pytest.raises(CliError, match="--all"):
        jobs_cli("retry")


def test_the_cerchia_command_offers_jobs_parked_and_retry():
    from cerchia_infra import cli, cli_jobs

    parser = cli.build_parser()

    assert parser.parse_args(["jobs", "parked", "--state-dir", "D"]).run is cli_jobs.run_jobs_parked
    retry = parser.parse_args(["jobs", "retry", "--stack-name", "cerchia-prod", "--all"])
    assert (retry.run, retry.all, retry.stack_name) == (cli_jobs.run_jobs_retry, True, "cerchia-prod")

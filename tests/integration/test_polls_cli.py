"""`cerchia poll create`: the same poll as the leader API, and mistakes explained with the command's own flags."""

from __future__ import annotations

import argparse
import json

import pytest


@pytest.fixture
def poll_create(aws, clock, monkeypatch):
    from cerchia_infra import cli_polls

    monkeypatch.setattr(cli_polls, "use_stack", lambda args: None)  # the aws fixture already points cerchia at moto
    parser = argparse.ArgumentParser(prog="cerchia")
    cli_polls.register(parser.add_subparsers(dest="command", required=True))

    def run(*arguments: str) -> int:
        args = parser.parse_args(["poll", "create", "--state-dir", "unused", *arguments])
        return int(args.run(args))

    return run


def test_poll_create_schedules_the_poll_and_prints_the_api_answer(community, poll_create, capsys):
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll

    code = poll_create(
        "--community-id", community.community_id, "--question", "Facciamo una gita al mulino?",
        "--option", "Sì, volentieri", "--option", "No, grazie", "--close-at", "2026-11-30T18:00:00+01:00", "--anonymous",
    )  # fmt: skip

    answer = json.loads(capsys.readouterr().out)
    poll = get_poll(get_store(), community.community_id, answer["poll_id"])
    assert code == 0 and list(answer) == ["poll_id"]
    assert (poll.question, poll.options, poll.anonymous, poll.kind) == (
        "Facciamo una gita al mulino?",
        ("Sì, volentieri", "No, grazie"),
        True,
        "single",
    )
    assert get_store().get_job("poll", answer["poll_id"]) is not None


@pytest.mark.parametrize(
    ("arguments", "flag"),
    [
        (["--option", "Only one", "--close-at", "2026-11-30T18:00:00Z"], "--option"),
        (["--option", "A", "--option", "B", "--close-at", "tomorrow"], "--close-at"),
        (["--option", "A", "--option", "B", "--close-at", "2026-11-23T08:10:00Z"], "--close-at"),
    ],
)
def test_poll_create_names_the_flag_that_is_wrong(community, poll_create, arguments, flag):
    from cerchia_infra.cli import CliError

    with pytest.raises(CliError) as caught:
        poll_create("--community-id", community.community_id, "--question", "Which day?", *arguments)

    assert flag in str(caught.value) and str(caught.value).startswith("The poll cannot be created")


def test_poll_create_for_an_unknown_community_says_so(aws, poll_create):
    from cerchia_infra.cli import CliError

    with pytest.raises(CliError, match="no community c_nope"):
        poll_create("--community-id", "c_nope", "--question", "Which day?", "--option", "A", "--option", "B",
                    "--close-at", "2026-11-30T18:00:00Z")  # fmt: skip

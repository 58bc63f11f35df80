"""The `cerchia` command: run the local stack, and operate a stack (local or in AWS).

Each subcommand is a `register_*` function that adds its parser and sets `run`; add one to
`COMMANDS` to add a command. Commands that act on a stack take `add_stack_target` arguments
(`--state-dir D` for a local stack, `--stack-name S` for one deployed with SAM) and call
`use_stack(args)` before touching `cerchia` (both in `cerchia_infra.cli_base`).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cerchia import communities
from cerchia.errors import CerchiaError
from cerchia.i18n import LOCALES
from cerchia_infra import cli_jobs, cli_members, cli_polls
from cerchia_infra.cli_base import CliError, Subcommands, add_stack_target, command_group, use_stack
from cerchia_infra.demo.scenario import play
from cerchia_infra.local.stack import DEFAULT_REGION, LocalStack, StackError
from cerchia_infra.local.template import TemplateError

__all__ = ["COMMANDS", "CliError", "build_parser", "main"]


# ---------------------------------------------------------------------- serve


def register_serve(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the whole system on this machine (AWS emulated in-process)",
        description="Run Cerchia locally: the HTTP API, streams, queues and schedules of template.yaml, "
        "on an in-process AWS emulator, with a virtual clock and an outbox for sent emails.",
    )
    parser.add_argument("--port", type=int, default=8000, help="HTTP port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--state-dir", type=Path, default=Path(".state"), help="where stack.json and outbox/ go")
    parser.add_argument("--template", type=Path, default=None, help="SAM template (default: ./template.yaml)")
    parser.add_argument("--region", default=None, help="emulated AWS region (default eu-west-1)")
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="template parameter override (repeatable)",
    )
    parser.add_argument("--aws", action="store_true", help="talk to real AWS instead (not supported yet)")
    parser.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    if args.aws:
        raise CliError(
            "`cerchia serve --aws` is not supported yet: deploy with `sam deploy`, then use the other "
            "commands with --stack-name."
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    parameters = {}
    for item in args.parameter:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise CliError(f"--parameter {item!r} must look like NAME=VALUE.")
        parameters[name] = value
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stack = LocalStack(
        args.state_dir,
        port=args.port,
        template_path=args.template,
        region=args.region or DEFAULT_REGION,
        parameters=parameters,
    )
    _start_or_explain(stack)
    print(f"Cerchia local stack ready on {stack.url}", flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        stack.stop()
    print("Cerchia local stack stopped.", file=sys.stderr, flush=True)
    return 0


def _start_or_explain(stack: Any) -> None:
    try:
        stack.start()
    except (StackError, TemplateError) as error:
        raise CliError(str(error)) from error
    except OSError as error:
        raise CliError(f"Cannot start the local stack: {error}. Is port {stack.port} already in use?") from error


# ---------------------------------------------------------------------- community


def register_community(commands: Subcommands) -> None:
    community = command_group(commands, "community", "manage communities")
    create = community.add_parser(
        "create",
        help="create a community; prints its id, webhook secret and API key as JSON",
        description="Create a community and print one JSON object: community_id, webhook_secret, api_key.",
    )
    add_stack_target(create)
    create.add_argument("--name", required=True)
    create.add_argument("--timezone", required=True, help="IANA time zone, e.g. Europe/Rome")
    create.add_argument("--locale", required=True, choices=list(LOCALES))
    create.add_argument("--leader-email", required=True)
    create.add_argument("--leader-name")
    create.add_argument("--purpose", help="what the community is for, in a sentence")
    create.set_defaults(run=run_community_create)
    register_community_configure(community)
    cli_members.register_connect(community)


def run_community_create(args: argparse.Namespace) -> int:
    use_stack(args)
    optional = {"leader_name": args.leader_name, "purpose": args.purpose}
    try:
        community = communities.create_community(  # type: ignore[attr-defined]
            name=args.name,
            timezone=args.timezone,
            locale=args.locale,
            leader_email=args.leader_email,
            **{key: value for key, value in optional.items() if value is not None},
        )
    except CerchiaError as error:
        raise CliError(str(error)) from error
    print(
        json.dumps(
            {
                "community_id": community.community_id,
                "webhook_secret": community.webhook_secret,
                "api_key": community.api_key,
            }
        ),
        flush=True,
    )
    return 0


def register_community_configure(community: Subcommands) -> None:
    configure = community.add_parser(
        "configure",
        help="change a community's settings (nudge threshold, quiet hours, digest day and hour, ...)",
        description="Change settings of a community and print them as JSON. "
        "Settings: name, purpose, timezone, locale, leader_name, unanswered_after_hours (1-336), "
        "include_leader_posts, newcomer_after_days, quiet_start_hour, quiet_end_hour, digest_day (1=Monday..7), "
        "digest_hour (0-23), reply_to (where replies to welcome, newcomer and poll emails go; empty: the leader).",
    )
    add_stack_target(configure)
    configure.add_argument("--community-id", required=True)
    configure.add_argument(
        "--set",
        action="append",
        required=True,
        metavar="NAME=VALUE",
        dest="settings",
        help="a setting to change; repeat for several",
    )
    configure.set_defaults(run=run_community_configure)


def run_community_configure(args: argparse.Namespace) -> int:
    changes: dict[str, str] = {}
    for setting in args.settings:
        name, equals, value = setting.partition("=")
        if not equals or not name.strip():
            raise CliError(f"--set {setting!r}: write NAME=VALUE, e.g. --set digest_hour=8.")
        changes[name.strip()] = value
    use_stack(args)
    try:
        community = communities.configure_community(args.community_id, changes)
    except CerchiaError as error:
        raise CliError(str(error)) from error
    print(json.dumps({name: getattr(community, name) for name in communities.CONFIGURABLE}), flush=True)
    return 0


# ---------------------------------------------------------------------- demo


def register_demo(commands: Subcommands) -> None:
    demo = commands.add_parser(
        "demo",
        help="play a scripted week of two communities on the local stack and print what happened",
        description="Start the local stack, play a scripted week (joins, posts, nudges, polls, digests), "
        "print a summary and leave every email in <state-dir>/outbox.",
    )
    demo.add_argument(
        "--state-dir", type=Path, default=Path(".state/demo"), help="wiped and reused (default .state/demo)"
    )
    demo.add_argument("--port", type=int, default=0, help="HTTP port of the stack (default: any free port)")
    demo.add_argument("--keep-serving", action="store_true", help="keep the stack running afterwards to click links")
    demo.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    return play(Path(args.state_dir), port=args.port, keep_serving=args.keep_serving)


# ---------------------------------------------------------------------- entry point


def register_poll(commands: Subcommands) -> None:
    cli_polls.register(commands)


def register_members(commands: Subcommands) -> None:
    cli_members.register(commands)


def register_jobs(commands: Subcommands) -> None:
    cli_jobs.register(commands)


COMMANDS: list[Callable[[Subcommands], None]] = [
    register_serve,
    register_community,
    register_poll,
    register_members,
    register_jobs,
    register_demo,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cerchia", description="Cerchia: engagement automation for small online communities."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CliError as error:
        print(f"cerchia: {error}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

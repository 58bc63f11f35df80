"""`cerchia poll create`: schedule a poll from the command line, as the leader API does.

    cerchia poll create --state-dir .state --community-id c_1a2b3c --question "Which day?" \
        --option Saturday --option Sunday --close-at 2026-11-30T18:00:00Z

prints the API's answer, `{"poll_id": "p_..."}`. Wired into `cerchia` by adding `register` to
`cerchia_infra.cli.COMMANDS`.
"""

from __future__ import annotations

import argparse
import json

from pydantic import ValidationError

from cerchia import clock
from cerchia.domain.polls import CreatedPoll, NewPoll
from cerchia.errors import CerchiaError, InvalidInput
from cerchia.polls import create_poll
from cerchia.store import get_store
from cerchia_infra.cli_base import CliError, Subcommands, add_stack_target, command_group, use_stack

# The API's field names, as this command's options are spelled.
FLAGS = {
    "question": "--question",
    "options": "--option",
    "kind": "--kind",
    "send_at": "--send-at",
    "close_at": "--close-at",
}


def register(commands: Subcommands) -> None:
    polls = command_group(commands, "poll", "ask members for their opinion")
    create = polls.add_parser(
        "create",
        help="schedule a poll; prints its id as JSON",
        description="Schedule a poll: at --send-at every member with polls on gets it by email. "
        'Prints the same JSON as the leader API: {"poll_id": ...}.',
    )
    add_stack_target(create)
    create.add_argument("--community-id", required=True)
    create.add_argument("--question", required=True, help="what members are asked (3-300 characters)")
    create.add_argument(
        "--option",
        dest="options",
        action="append",
        required=True,
        metavar="ANSWER",
        help="an answer; repeat 2-10 times (for --kind scale: twice, the labels of 1 and of 5)",
    )
    create.add_argument("--kind", choices=["single", "multiple", "scale"], default="single")
    create.add_argument("--send-at", help="ISO 8601 with an offset, e.g. 2026-11-26T09:00:00+01:00 (default: now)")
    create.add_argument("--close-at", required=True, help="ISO 8601 with an offset, at least an hour after --send-at")
    create.add_argument("--anonymous", action="store_true", help="keep no link between members and their answers")
    create.set_defaults(run=run_poll_create)


def run_poll_create(args: argparse.Namespace) -> int:
    use_stack(args)

    community = get_store().get_community(args.community_id)
    if community is None:
        raise CliError(f"There is no community {args.community_id} in this stack; check --community-id.")
    try:
        new_poll = NewPoll.model_validate(
            {
                "question": args.question,
                "options": args.options,
                "kind": args.kind,
                "send_at": args.send_at,
                "close_at": args.close_at,
                "anonymous": args.anonymous,
            }
        )
        poll = create_poll(community, new_poll, clock.now())
    except ValidationError as error:
        problems = {str(e["loc"][0]) if e["loc"] else "poll": e["msg"] for e in error.errors()}
        raise CliError(_explain(problems)) from None
    except InvalidInput as error:
        raise CliError(_explain(error.fields)) from None
    except CerchiaError as error:
        raise CliError(str(error)) from error
    print(json.dumps(CreatedPoll(poll_id=poll.poll_id).model_dump()), flush=True)
    return 0


def _explain(problems: dict[str, str]) -> str:
    return (
        "The poll cannot be created: "
        + "; ".join(f"{FLAGS.get(field, field)} {message}" for field, message in problems.items())
        + "."
    )

"""What every `cerchia` command shares: the error a user can fix, command groups, and the stack it acts on.

Commands that act on a stack take `add_stack_target` arguments (`--state-dir D` for a local stack,
`--stack-name S` for one deployed with SAM) and call `use_stack(args)` before touching `cerchia`:
it configures `cerchia.runtime` with that stack's settings and AWS endpoint (this process's
`os.environ` is left as it was).
"""

from __future__ import annotations

import argparse
import json
import os
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from cerchia import clock, runtime
from cerchia.settings import Settings
from cerchia_infra.local.clock import parse_iso
from cerchia_infra.local.emulator import FAKE_CREDENTIALS

Subcommands = Any  # argparse's _SubParsersAction, which has no public name

# CloudFormation outputs of a Cerchia stack -> the settings they give (template.yaml's Outputs).
STACK_OUTPUTS = {
    "TableName": "TABLE_NAME",
    "ConfigurationSetName": "CONFIGURATION_SET",
    "LinkSigningSecretArn": "LINK_SECRET_ARN",
}


class CliError(Exception):
    """A mistake the user can fix; the message says how."""


def command_group(commands: Subcommands, name: str, help_text: str) -> Subcommands:
    """A command with subcommands of its own (`cerchia community create`)."""
    group = commands.add_parser(name, help=help_text, description=help_text)
    return group.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")


def add_stack_target(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--state-dir", type=Path, help="state folder of a running `cerchia serve`")
    target.add_argument("--stack-name", help="CloudFormation stack deployed with `sam deploy`")
    parser.add_argument("--region", help="AWS region of --stack-name (default: your AWS configuration)")


def use_stack(args: argparse.Namespace) -> None:
    """Point this process's `cerchia` at the stack chosen by --state-dir or --stack-name."""
    if args.state_dir is not None:
        settings, target, offset = local_stack_target(Path(args.state_dir))
        runtime.configure(settings=settings, aws=target)
        # Business time is the stack's virtual time, not this process's wall clock.
        clock.use(lambda: datetime.now(UTC) + offset)
    else:
        settings, target = aws_stack_target(args.stack_name, args.region)
        runtime.configure(settings=settings, aws=target)


def local_stack_target(state_dir: Path) -> tuple[Settings, runtime.AwsTarget, timedelta]:
    """The settings, emulator endpoint and virtual-clock offset of the local stack in `state_dir`."""
    stack_file = state_dir / "stack.json"
    try:
        stack = json.loads(stack_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(
            f"There is no local stack in {state_dir}: start one with `cerchia serve --state-dir {state_dir}`."
        ) from None
    except ValueError as error:
        raise CliError(f"{stack_file} is not valid JSON ({error}); restart `cerchia serve`.") from error
    target = runtime.AwsTarget(
        endpoint_url=stack["aws_endpoint_url"],
        region=stack["region"],
        access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    settings = Settings.from_environment({**os.environ, **stack["env"]})
    return settings, target, virtual_offset(stack["api_url"], state_dir)


def virtual_offset(api_url: str, state_dir: Path) -> timedelta:
    """How far the local stack's virtual clock is ahead of the wall clock."""
    try:
        with urllib.request.urlopen(f"{api_url}/_local/clock", timeout=10) as response:  # noqa: S310 - loopback
            virtual = parse_iso(json.loads(response.read())["now"])
    except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
        raise CliError(
            f"The local stack in {state_dir} does not answer at {api_url} ({error}); "
            f"start it with `cerchia serve --state-dir {state_dir}`."
        ) from error
    return virtual - datetime.now(UTC)


def stack_outputs(stack_name: str, region: str | None) -> dict[str, str]:
    """The CloudFormation outputs of a deployed stack."""
    try:
        stacks = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=stack_name)["Stacks"]
    except (BotoCoreError, ClientError) as error:
        raise CliError(
            f"Cannot read the CloudFormation stack {stack_name} ({error}); check its name, --region and your AWS credentials."
        ) from error
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def aws_stack_target(stack_name: str, region: str | None) -> tuple[Settings, runtime.AwsTarget]:
    """The settings of a stack deployed with SAM, read from its outputs, and its region."""
    outputs = stack_outputs(stack_name, region)
    if "TableName" not in outputs:
        raise CliError(f"The stack {stack_name} has no TableName output; is it a Cerchia stack?")
    variables = {variable: outputs[key] for key, variable in STACK_OUTPUTS.items() if key in outputs}
    return Settings.from_environment({**os.environ, **variables}), runtime.AwsTarget(region=region)

"""`cerchia members import` and `cerchia community connect-discourse`: bring a real community in.

    cerchia community connect-discourse --state-dir .state --community-id c_1a2b3c \
        --instance-url https://forum.example.org
    cerchia members import --state-dir .state --community-id c_1a2b3c user-export.csv.gz

With --state-dir the commands act on the local stack directly (like `cerchia poll create`); with
--stack-name the import goes through the deployed admin API (`POST …/members:import`, 1,000 members
per call) with --api-key.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import sys
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from cerchia import clock
from cerchia.domain.discourse import EVENT_GROUPS
from cerchia.domain.members import read_rows
from cerchia.errors import CerchiaError
from cerchia.members import import_members
from cerchia.store import get_store
from cerchia_infra.cli_base import (
    CliError,
    Subcommands,
    add_stack_target,
    command_group,
    stack_outputs,
    use_stack,
)

LOCAL_BATCH = 100  # members per store call on the local stack (the progress bar moves per batch)
API_BATCH = 1000  # the admin API's limit per call


# ---------------------------------------------------------------------- connect-discourse


def register_connect(community: Subcommands) -> None:
    connect = community.add_parser(
        "connect-discourse",
        help="print what to enter in Discourse's webhook form; remembers the forum's URL for links in emails",
        description="Print the payload URL, content type, secret and events to tick in Discourse "
        "(Admin > API > Webhooks > New Webhook), and store --instance-url as the community's URL.",
    )
    add_stack_target(connect)
    connect.add_argument("--community-id", required=True)
    connect.add_argument("--instance-url", required=True, help="the forum's address, e.g. https://forum.example.org")
    connect.set_defaults(run=run_connect_discourse)


def run_connect_discourse(args: argparse.Namespace) -> int:
    instance = args.instance_url.strip().rstrip("/")
    parts = urlsplit(instance)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise CliError(
            f"--instance-url {args.instance_url!r} must be the forum's address, e.g. https://forum.example.org."
        )
    use_stack(args)

    store = get_store()
    community = store.get_community(args.community_id)
    if community is None:
        raise CliError(f"There is no community {args.community_id} in this stack; check --community-id.")
    store.update_community_settings(community.community_id, {"community_url": instance})
    payload_url = f"{api_url(args)}/v1/communities/{community.community_id}/discourse"
    lines = [
        f"In Discourse ({instance}/admin/api/web_hooks), as an admin, create a webhook:",
        f"  Payload URL:   {payload_url}",
        "  Content Type:  application/json",
        f"  Secret:        {community.webhook_secret}",
        '  Which events:  "Select individual events", then tick:',
        *(f"    {group}: {', '.join(names)}" for group, names in EVENT_GROUPS.items()),
        "  Keep TLS certificate checking and Active ticked. An admin must create it: only then does Discourse",
        "  include users' email addresses, which Cerchia needs to welcome them.",
    ]
    print("\n".join(lines), flush=True)
    return 0


def api_url(args: argparse.Namespace) -> str:
    if args.state_dir is not None:
        return str(json.loads((Path(args.state_dir) / "stack.json").read_text(encoding="utf-8"))["api_url"]).rstrip("/")
    outputs = stack_outputs(args.stack_name, args.region)
    if "ApiUrl" not in outputs:
        raise CliError(f"The stack {args.stack_name} has no ApiUrl output; is it a Cerchia stack?")
    return str(outputs["ApiUrl"]).rstrip("/")


# ---------------------------------------------------------------------- members import


def register(commands: Subcommands) -> None:
    members = command_group(commands, "members", "bring members in (no welcome emails)")
    importer = members.add_parser(
        "import",
        help="import members from Discourse's user export (.csv, .csv.gz) or a plain CSV; no welcomes",
        description="Import members without welcome emails: Discourse's admin 'Export users' file (.csv or .csv.gz) "
        "or a plain CSV member_id,email,name[,locale,timezone,role]. Staged, inactive and suspended users are "
        "skipped. Running it again changes nothing. Prints a JSON summary.",
    )
    add_stack_target(importer)
    importer.add_argument("--community-id", required=True)
    importer.add_argument("--api-key", help="the community's API key (with --stack-name; or CERCHIA_API_KEY)")
    importer.add_argument("file", type=Path, metavar="FILE")
    importer.set_defaults(run=run_members_import)


def _open(path: Path) -> TextIO:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CliError(f"Cannot read {path}: {error.strerror}.") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except OSError as error:
            raise CliError(f"{path} looks gzipped but cannot be read ({error}); export it again.") from None
    try:
        return io.StringIO(raw.decode("utf-8-sig"), newline="")
    except UnicodeDecodeError:
        raise CliError(f"{path} is not UTF-8 text; save it as UTF-8 CSV.") from None


def run_members_import(args: argparse.Namespace) -> int:
    api_key = args.api_key or os.environ.get("CERCHIA_API_KEY")
    if args.stack_name and not api_key:
        raise CliError("With --stack-name, give the community's API key: --api-key ck_… (or CERCHIA_API_KEY).")
    text = _open(args.file)
    use_stack(args)

    try:
        rows = list(read_rows(text, clock.now()))
    except ValueError as error:
        raise CliError(f"{args.file}: {error}") from None
    send = _local_sender(args) if args.state_dir is not None else _api_sender(args, api_key or "")
    to_send = [row for row in rows if row.member is not None]
    summary: dict[str, Any] = {
        "imported": 0,
        "already_there": 0,
        "skipped": dict(Counter(r.skipped for r in rows if r.skipped)),
    }
    rejected = [{"line": row.line, "reason": row.rejected} for row in rows if row.rejected]
    batch_size = LOCAL_BATCH if args.state_dir is not None else API_BATCH
    progress = Progress(len(to_send))
    for start in range(0, len(to_send), batch_size):
        batch = to_send[start : start + batch_size]
        answer = send([row.member for row in batch])
        summary["imported"] += answer["imported"]
        summary["already_there"] += answer["already_there"]
        rejected += [
            {"line": batch[result["index"]].line, "reason": result["reason"]}
            for result in answer["results"]
            if result["outcome"] == "rejected"
        ]
        progress.advance(len(batch))
    progress.done()
    summary["rejected"] = sorted(rejected, key=lambda entry: entry["line"])
    skipped = sum(summary["skipped"].values())
    print(
        f"{summary['imported']} imported, {summary['already_there']} already there, {skipped} skipped, "
        f"{len(summary['rejected'])} rejected.",
        file=sys.stderr,
        flush=True,
    )
    print(json.dumps(summary), flush=True)
    return 0


def _local_sender(args: argparse.Namespace) -> Any:
    community = get_store().get_community(args.community_id)
    if community is None:
        raise CliError(f"There is no community {args.community_id} in this stack; check --community-id.")

    def send(members: list[Any]) -> dict[str, Any]:
        try:
            return import_members(community, members, clock.now()).model_dump()
        except CerchiaError as error:
            raise CliError(str(error)) from error

    return send


def _api_sender(args: argparse.Namespace, api_key: str) -> Any:
    url = f"{api_url(args)}/v1/communities/{args.community_id}/members:import"

    def send(members: list[Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the stack's own https API
            url,
            data=json.dumps({"members": members}).encode(),
            headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:500]
            raise CliError(f"The API answered {error.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            raise CliError(f"Cannot reach {url} ({error}); check --stack-name and --region.") from None

    return send


class Progress:
    """A progress bar on stderr (only when it is a terminal, or for files of 1,000 rows and more)."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total, self.count = total, 0
        self.stream = stream or sys.stderr
        self.shown = total >= 1000 or self.stream.isatty()

    def advance(self, count: int) -> None:
        self.count += count
        if self.shown and self.total:
            filled = self.WIDTH * self.count // self.total
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {self.count}/{self.total} members")
            self.stream.flush()

    def done(self) -> None:
        if self.shown and self.total:
            self.stream.write("\n")
            self.stream.flush()

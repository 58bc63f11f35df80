"""`cerchia jobs parked` and `cerchia jobs retry`: the jobs that failed too often, and putting them back.

    cerchia jobs parked --stack-name cerchia-prod          # one JSON object per parked job
    cerchia jobs retry --stack-name cerchia-prod --all     # every parked job is due again now
    cerchia jobs retry --state-dir .state poll c_1#p_2     # one job, by kind and ref

A job is parked after cerchia.jobs.MAX_JOB_ATTEMPTS failures in a row (metric `JobsParked`, which
raises an alarm); fix what its `last_error` says, then retry it. Wired into `cerchia` by adding
`register` to `cerchia_infra.cli.COMMANDS`.
"""

from __future__ import annotations

import argparse
import json

from cerchia import clock
from cerchia.store import get_store, keys
from cerchia_infra.cli_base import CliError, Subcommands, add_stack_target, command_group, use_stack


def register(commands: Subcommands) -> None:
    jobs = command_group(commands, "jobs", "time-driven work: the jobs that failed too often")
    parked = jobs.add_parser(
        "parked",
        help="list parked jobs as JSON lines",
        description="Print one JSON object per parked job: kind, ref, community_id, attempts, last_error, due.",
    )
    add_stack_target(parked)
    parked.set_defaults(run=run_jobs_parked)

    retry = jobs.add_parser(
        "retry",
        help="make parked jobs due again now",
        description="Put parked jobs back in the due work, due now with no failed attempts; "
        "the next sweep (every minute) runs them. Name one job (KIND REF, as `jobs parked` prints) or --all.",
    )
    add_stack_target(retry)
    retry.add_argument("kind", nargs="?", help="the job's kind, e.g. poll")
    retry.add_argument("ref", nargs="?", help="the job's ref, as `cerchia jobs parked` prints it")
    retry.add_argument("--all", action="store_true", help="every parked job")
    retry.set_defaults(run=run_jobs_retry)


def run_jobs_parked(args: argparse.Namespace) -> int:
    use_stack(args)

    for job in get_store().parked_jobs():
        print(
            json.dumps(
                {
                    "kind": job.kind,
                    "ref": job.ref,
                    "community_id": job.community_id,
                    "attempts": job.attempts,
                    "last_error": job.last_error,
                    "due": keys.iso(job.due),
                }
            ),
            flush=True,
        )
    return 0


def run_jobs_retry(args: argparse.Namespace) -> int:
    if args.all == bool(args.kind):
        raise CliError("Name one parked job (KIND REF, as `cerchia jobs parked` prints them) or pass --all.")
    if args.kind and not args.ref:
        raise CliError(f"Give the ref of the {args.kind} job too, as `cerchia jobs parked` prints it.")
    use_stack(args)

    store = get_store()
    wanted = [(job.kind, job.ref) for job in store.parked_jobs()] if args.all else [(args.kind, args.ref)]
    requeued = [job for kind, ref in wanted if (job := store.requeue_job(kind, ref, clock.now())) is not None]
    if not args.all and not requeued:
        raise CliError(f"No parked job {args.kind} {args.ref}; `cerchia jobs parked` lists the parked ones.")
    print(json.dumps({"requeued": [{"kind": job.kind, "ref": job.ref} for job in requeued]}), flush=True)
    return 0

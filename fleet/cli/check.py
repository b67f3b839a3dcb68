"""`fleet check STACK [FILE]`: live checks (AWS, Kubernetes, ArgoCD) before a swap's next step
(fleet/ops/check_command.py). Exit 0 passed, 1 failed, 2 could not run."""

from __future__ import annotations

import argparse

from fleet.cli.args import add_file
from fleet.ops.defaults import DEFAULT_WINDOW_MINUTES, GROUPS, MAX_WAIT_MINUTES, RETRY_SECONDS

HELP = "live checks of STACK before the next step of a swap"


def add(cli: argparse.ArgumentParser, default_file: str) -> None:
    cli.add_argument("stack")
    add_file(cli, default_file)
    cli.add_argument("--before-destroy", action="store_true", help="target-<gen>: no requests over the window")
    cli.add_argument(
        "--window-minutes",
        type=int,
        default=DEFAULT_WINDOW_MINUTES,
        help=f"--before-destroy window, default {DEFAULT_WINDOW_MINUTES}",
    )
    cli.add_argument(
        "--api-endpoint", action="append", default=[], metavar="CLUSTER=URL", help="reach CLUSTER's API at URL"
    )
    cli.add_argument("--only", action="append", default=[], metavar="GROUP", help=", ".join(GROUPS))
    cli.add_argument(
        "--wait-minutes",
        type=int,
        default=0,
        help=f"run failed checks again every {RETRY_SECONDS} s until they pass or this many minutes pass "
        f"(0 to {MAX_WAIT_MINUTES}, default 0)",
    )


def run(args: argparse.Namespace) -> int:
    from fleet.ops.check_command import run as check

    return check(
        args.file,
        args.stack,
        before_destroy=args.before_destroy,
        window_minutes=args.window_minutes,
        api_endpoints=args.api_endpoint,
        groups=args.only,
        wait_minutes=args.wait_minutes,
    )

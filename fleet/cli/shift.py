"""`fleet shift SERVICE [FILE]`: move a service's weights to the file's, in steps, under analysis
(fleet/ops/shift_command.py; docs/shift.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from fleet.cli.args import add_file

HELP = "move SERVICE's traffic to the file's weights in steps, rolling back when its metrics fail"
DESCRIPTION = (
    "Apply each step of services.SERVICE.traffic.shift to the synthesized shared stack with "
    "terraform, read the weights back, judge the incoming generations' target groups in CloudWatch, and "
    "restore the weights live before the shift when they fail (exit 1)."
)


def add(cli: argparse.ArgumentParser, default_file: str) -> None:
    cli.add_argument("service")
    add_file(cli, default_file)
    cli.add_argument(
        "--synth-dir", default="cdktf.out", help="the synthesized app (`npx cdktf synth`), default cdktf.out"
    )
    way = cli.add_mutually_exclusive_group()
    way.add_argument("--resume", action="store_true", help="go on with a shift whose runner stopped mid-way")
    way.add_argument("--abort", action="store_true", help="restore the weights live before a shift under way")
    cli.add_argument("--json", action="store_true", help="one JSON object per line instead of text")


def run(args: argparse.Namespace) -> int:
    from fleet.ops.shift_command import run as shift

    return shift(args.file, args.service, Path(args.synth_dir), resume=args.resume, abort=args.abort, as_json=args.json)

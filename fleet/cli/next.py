"""`fleet next [FILE]`: write the file the plan's next step leads to (its PR's file), editing only
the lines the step changes (fleet/ops/next_step.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from fleet.cli.args import add_file, add_weight_steps
from fleet.errors import Said
from fleet.model.load import load_fleet

HELP = "write the file the plan's next step leads to, editing only the lines the step changes"
DESCRIPTION = (
    "Write FILE as the plan's next step leaves it (comments, order and quoting kept). One line "
    "and exit 0 when nothing is under way; one line and exit 2 when the step is refused (mid-shift, a "
    "rolled-back shift, a person's decision); one line and exit 3 while the step waits for a rollback window."
)


def add(cli: argparse.ArgumentParser, default_file: str) -> None:
    add_file(cli, default_file)
    out = cli.add_mutually_exclusive_group()
    out.add_argument("--print", action="store_true", help="print the next file instead of writing it")
    out.add_argument(
        "--json", action="store_true", help="print what the workflow reads: status, title, branch, the step"
    )
    cli.add_argument(
        "--since",
        type=float,
        metavar="EPOCH",
        help="when the file's content took effect, for the rollback window (default: its last git commit)",
    )
    add_weight_steps(cli)


def run(args: argparse.Namespace) -> int:
    output = "print" if args.print else "json" if args.json else "write"
    return next_step(file=args.file, output=output, since=args.since, weight_steps=args.weight_steps)


def next_step(*, file: str, output: str, since: float | None, weight_steps: tuple[int, ...]) -> int:
    from fleet.ops.next_step import NextRefused, NextWaits, last_change, propose
    from fleet.ops.shift_record import RecordError, read_records

    as_json = output == "json"

    def said(status: str, line: str, code: int, **extra: Any) -> int:
        """One line: on stderr when refused, on stdout otherwise; as JSON with --json."""
        if as_json:
            print(json.dumps({"status": status, "line": line, **extra}))
            return code
        if code == 2:
            raise Said(line)
        print(line)
        return code

    fleet = load_fleet(file)
    path = Path(file)
    try:
        records, _ = read_records(fleet)
        proposal = propose(
            path.read_text(encoding="utf-8"),
            fleet,
            weight_steps,
            records,
            since=last_change(path) if since is None else since,
        )
    except (NextRefused, RecordError) as err:
        return said("refused", f"{file}: next step refused: {err}", 2)
    except NextWaits as waits:
        return said("waits", f"{file}: next step waits: {waits}", waits.exit_code, wait_until=waits.until)
    if proposal is None:
        return said("nothing", f"{file}: nothing under way: no next step (the chain ends here)", 0)
    if output == "print":
        print(proposal.text, end="")
    else:
        path.write_text(proposal.text, encoding="utf-8")
        if as_json:
            print(json.dumps(proposal.as_json(), indent=2))
        else:
            print(f"{file}: {proposal.title} ({proposal.left} PR(s) left); written")
    return 0

"""The fleet's command line, none of which imports cdktf in this process:

python -m fleet validate [FILE]            check a fleet file and summarize it
python -m fleet plan [FILE] [--base REV]   the steps that finish every swap under way
python -m fleet diff --base REV            per-stack diff of the synthesized fleet, and the guard
python -m fleet action STACK [FILE]        what the deploy workflow runs for a stack: deploy or destroy
python -m fleet step [FILE] --base REV     the stacks a merge deploys, in order, and the checks after them
python -m fleet next [FILE] [--print]      write the file the plan's next step leads to (its PR's file)
python -m fleet check [FILE] STACK         live checks (AWS, Kubernetes, ArgoCD) before a swap's next step
python -m fleet shift SERVICE [FILE]       move a service's weights to the file's, in steps, under analysis

This module only reads the arguments and calls one function per command. Every command prints
one line per mistake and exits 2 when it cannot run; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fleet.model import Fleet
from fleet.model.load import DEFAULT_FLEET, FleetError, default_fleet, load_fleet
from fleet.names import PROJECT_ROOT
from fleet.ops.defaults import (
    DEFAULT_WEIGHT_STEPS,
    DEFAULT_WINDOW_MINUTES,
    GROUPS,
    MAX_WAIT_MINUTES,
    RETRY_SECONDS,
)


def _weight_steps(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of weights such as {_listed(DEFAULT_WEIGHT_STEPS)}"
        ) from None


def _listed(values: tuple[int, ...]) -> str:
    return ",".join(str(v) for v in values)


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m fleet", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = cli.add_subparsers(dest="command", required=True)
    default_file = default_fleet()

    validating = sub.add_parser("validate", help="validate a fleet file and summarize it")
    validating.add_argument("file", nargs="?", default=default_file)

    planning = sub.add_parser("plan", help="print the steps that finish every swap under way")
    planning.add_argument("file", nargs="?", default=default_file)
    planning.add_argument("--base", help="the fleet before this PR: a file or a git revision; refuses an unsafe change")
    planning.add_argument("--json", action="store_true", help="print the plan as JSON")
    _weight_steps_argument(planning)

    diffing = sub.add_parser(
        "diff",
        help="per-stack diff against a base revision, and the live-generation guard",
        description="Compare the synthesized stacks of a base and a head, and refuse what would replace, "
        "destroy or change what a live generation runs or stands on (exit 1).",
    )
    _diff_arguments(diffing)

    acting = sub.add_parser("action", help="print deploy or destroy: what the deploy workflow runs for STACK")
    acting.add_argument("stack")
    acting.add_argument("file", nargs="?", default=default_file)

    stepping = sub.add_parser("step", help="the stacks a merge deploys, in order, and the checks after them")
    stepping.add_argument("file", nargs="?", default=default_file)
    stepping.add_argument("--base", required=True, help="the fleet before the merge: a file or a git revision")
    stepping.add_argument(
        "--changed", metavar="FILE", help="the stacks whose JSON changed, one a line (fleet diff --stacks-out)"
    )
    printing = stepping.add_mutually_exclusive_group()
    printing.add_argument("--json", action="store_true", help="print the step as JSON (what the workflow reads)")
    printing.add_argument("--markdown", action="store_true", help="print the step for the PR comment")
    _weight_steps_argument(stepping)

    nexting = sub.add_parser(
        "next",
        help="write the file the plan's next step leads to, editing only the lines the step changes",
        description="Write FILE as the plan's next step leaves it (comments, order and quoting kept). One line "
        "and exit 0 when nothing is under way; one line and exit 2 when the step is refused (mid-shift, a "
        "rolled-back shift, a person's decision); one line and exit 3 while the step waits for a rollback window.",
    )
    nexting.add_argument("file", nargs="?", default=default_file)
    nexting_out = nexting.add_mutually_exclusive_group()
    nexting_out.add_argument("--print", action="store_true", help="print the next file instead of writing it")
    nexting_out.add_argument(
        "--json", action="store_true", help="print what the workflow reads: status, title, branch, the step"
    )
    nexting.add_argument(
        "--since",
        type=float,
        metavar="EPOCH",
        help="when the file's content took effect, for the rollback window (default: its last git commit)",
    )
    _weight_steps_argument(nexting)

    checking = sub.add_parser("check", help="live checks of STACK before the next step of a swap")
    checking.add_argument("file", nargs="?", default=default_file)
    checking.add_argument("stack")
    checking.add_argument("--before-destroy", action="store_true", help="target-<gen>: no requests over the window")
    checking.add_argument(
        "--window-minutes",
        type=int,
        default=DEFAULT_WINDOW_MINUTES,
        help=f"--before-destroy window, default {DEFAULT_WINDOW_MINUTES}",
    )
    checking.add_argument(
        "--api-endpoint", action="append", default=[], metavar="CLUSTER=URL", help="reach CLUSTER's API at URL"
    )
    checking.add_argument("--only", action="append", default=[], metavar="GROUP", help=", ".join(GROUPS))
    checking.add_argument(
        "--wait-minutes",
        type=int,
        default=0,
        help=f"run failed checks again every {RETRY_SECONDS} s until they pass or this many minutes pass "
        f"(0 to {MAX_WAIT_MINUTES}, default 0)",
    )

    shifting = sub.add_parser(
        "shift",
        help="move SERVICE's traffic to the file's weights in steps, rolling back when its metrics fail",
        description="Apply each step of services.SERVICE.traffic.shift to the synthesized shared stack with "
        "terraform, read the weights back, judge the incoming generations' target groups in CloudWatch, and "
        "restore the weights live before the shift when they fail (exit 1).",
    )
    shifting.add_argument("service")
    shifting.add_argument("file", nargs="?", default=default_file)
    shifting.add_argument(
        "--synth-dir", default="cdktf.out", help="the synthesized app (`npx cdktf synth`), default cdktf.out"
    )
    way = shifting.add_mutually_exclusive_group()
    way.add_argument("--resume", action="store_true", help="go on with a shift whose runner stopped mid-way")
    way.add_argument("--abort", action="store_true", help="restore the weights live before a shift under way")
    shifting.add_argument("--json", action="store_true", help="one JSON object per line instead of text")
    return cli


def _weight_steps_argument(cli: argparse.ArgumentParser) -> None:
    cli.add_argument(
        "--weight-steps",
        type=_weight_steps,
        default=DEFAULT_WEIGHT_STEPS,
        help=f"traffic steps, default {_listed(DEFAULT_WEIGHT_STEPS)}",
    )


def _diff_arguments(cli: argparse.ArgumentParser) -> None:
    cli.add_argument(
        "--base",
        required=True,
        metavar="GIT_REV|DIR",
        help="a cdktf.out directory, or a git revision of --repo to synthesize the fleet file at",
    )
    cli.add_argument("--head", metavar="DIR", help="a cdktf.out directory (default: synthesize --repo's working tree)")
    cli.add_argument(
        "--fleet",
        metavar="FILE",
        help=f"the head's fleet file, relative to --repo, and its path at a git --base (default: $FLEET, then {DEFAULT_FLEET})",
    )
    cli.add_argument(
        "--base-fleet",
        metavar="FILE",
        help="with a --base directory: the fleet file it was synthesized from, for the generations' "
        "phases (default: unknown, every generation stack in base counts as live)",
    )
    cli.add_argument(
        "--repo",
        metavar="DIR",
        default=str(PROJECT_ROOT),
        help="the repository to synthesize the head in and to read a --base revision from (default: this project)",
    )
    cli.add_argument(
        "--state-migrated",
        action="store_true",
        help="every stack's state was migrated to the head's backend already (the PR label migrate-state)",
    )
    cli.add_argument("--markdown-out", metavar="FILE", help="also write the PR comment body to FILE")
    cli.add_argument("--stacks-out", metavar="FILE", help="also write the changed stack ids to FILE")
    mode = cli.add_mutually_exclusive_group()
    mode.add_argument("--markdown", action="store_true", help="print a PR comment body")
    mode.add_argument("--stacks", action="store_true", help="print only the added or changed stack ids")


# --- one function per command -------------------------------------------------------------------


def validate(args: argparse.Namespace) -> int:
    from fleet.model.summary import summary

    fleet = load_fleet(args.file)
    _warn(args.file, fleet)
    print(f"{args.file}: valid")
    print(summary(fleet))
    return 0


def plan(args: argparse.Namespace) -> int:
    from fleet.gate.phases import pr_refusals
    from fleet.ops.planner import PlanRefused
    from fleet.ops.planner import plan as steps_of
    from fleet.ops.render import render_json, render_text

    fleet = load_fleet(args.file)
    try:
        if args.base:
            refusals = pr_refusals(args.base, args.file, fleet, args.weight_steps)
            if refusals:
                raise PlanRefused(refusals)
        steps = steps_of(fleet, args.weight_steps)
    except PlanRefused as refused:
        for reason in refused.reasons:
            print(f"{args.file}: refused: {reason}", file=sys.stderr)
        return 2
    _warn(args.file, fleet)
    if args.json:
        print(json.dumps(render_json(args.file, steps), indent=2))
    else:
        print(render_text(args.file, fleet, steps))
    return 0


def diff(args: argparse.Namespace) -> int:
    from fleet.gate.comment import run_diff

    return run_diff(args)


def action(args: argparse.Namespace) -> int:
    from fleet.ops.pipeline import PipelineRefused, stack_action

    try:
        print(stack_action(load_fleet(args.file), args.stack))
    except PipelineRefused as err:
        print(err, file=sys.stderr)
        return 2
    return 0


def step(args: argparse.Namespace) -> int:
    """The merge's step (`fleet.ops.merge`): what the PR gate shows and the deploy runs."""
    from fleet.ops.pipeline import PipelineRefused, merged_step
    from fleet.ops.shift_record import RecordError, read_records

    head = load_fleet(args.file)
    changed = _changed_stacks(args.changed)
    base = _base_side(args.base, args.file)
    try:
        records, unread = read_records(head, base.shifts)
        merged = merged_step(base, head, changed, args.weight_steps, records)
    except (PipelineRefused, RecordError) as err:
        print(f"{args.file}: step refused: {err}", file=sys.stderr)
        return 2
    if unread:
        print(f"{args.file}: warning: {unread}", file=sys.stderr)
    if args.json:
        print(json.dumps(merged.as_json(), indent=2))
    elif args.markdown:
        print(merged.as_markdown(), end="")
    else:
        print(merged.as_text())
    return 0


def _changed_stacks(path: str | None) -> list[str]:
    """The stack ids `fleet diff --stacks-out` wrote, one a line; one line naming the file otherwise."""
    from fleet.gate.sources import STACK_ID, SourceError

    if path is None:
        return []
    try:
        words = Path(path).read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise SourceError(
            f"--changed {path}: cannot read it ({reason}); pass the file `fleet diff --stacks-out` wrote"
        ) from None
    bad = [w for w in words if not STACK_ID.fullmatch(w)]
    if bad:
        raise SourceError(f"--changed {path}: {bad[0]!r} is not a stack id; the file lists stack ids, one a line")
    return words


def _base_side(reference: str, fleet_path: str) -> Any:
    """The fleet before the merge (a file or a git revision). A base this release's schema refuses
    (a key a past release accepted) still gives its raw weights and shifts, with the reason."""
    from fleet.gate.sources import base_fleet, base_text
    from fleet.model.load import parse_yaml
    from fleet.ops.merge import Base

    try:
        return Base.of(base_fleet(reference, fleet_path), f"the base ({reference})")
    except FleetError as err:
        text, source = base_text(reference, fleet_path)
        try:
            data = parse_yaml(text, source)
        except FleetError:
            data = {}
        first = err.problems[0] if err.problems else "invalid"
        return Base.unloaded(data, f"the base fleet file ({source})", first)


def next_(args: argparse.Namespace) -> int:
    """The plan's next step, written into the file's own text (`fleet.ops.next_step`)."""
    from fleet.ops.next_step import NextRefused, NextWaits, last_change, propose
    from fleet.ops.shift_record import RecordError, read_records

    def said(status: str, line: str, code: int, **extra: Any) -> int:
        """One line: on stderr when refused, on stdout otherwise; as JSON with --json."""
        if args.json:
            print(json.dumps({"status": status, "line": line, **extra}))
        else:
            print(line, file=sys.stderr if code == 2 else sys.stdout)
        return code

    fleet = load_fleet(args.file)
    path = Path(args.file)
    try:
        records, _ = read_records(fleet)
        proposal = propose(
            path.read_text(encoding="utf-8"),
            fleet,
            args.weight_steps,
            records,
            since=last_change(path) if args.since is None else args.since,
        )
    except (NextRefused, RecordError) as err:
        return said("refused", f"{args.file}: next step refused: {err}", 2)
    except NextWaits as waits:
        return said("waits", f"{args.file}: next step waits: {waits}", 3, wait_until=waits.until)
    if proposal is None:
        return said("nothing", f"{args.file}: nothing under way: no next step (the chain ends here)", 0)
    if args.print:
        print(proposal.text, end="")
    else:
        path.write_text(proposal.text, encoding="utf-8")
        if args.json:
            print(json.dumps(proposal.as_json(), indent=2))
        else:
            print(f"{args.file}: {proposal.title} ({proposal.left} PR(s) left); written")
    return 0


def check(args: argparse.Namespace) -> int:
    from fleet.ops.check_command import run

    return run(
        args.file,
        args.stack,
        before_destroy=args.before_destroy,
        window_minutes=args.window_minutes,
        api_endpoints=args.api_endpoint,
        groups=args.only,
        wait_minutes=args.wait_minutes,
    )


def shift(args: argparse.Namespace) -> int:
    from fleet.ops.shift_command import run

    return run(args.file, args.service, Path(args.synth_dir), resume=args.resume, abort=args.abort, as_json=args.json)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "validate": validate,
    "plan": plan,
    "diff": diff,
    "action": action,
    "step": step,
    "next": next_,
    "check": check,
    "shift": shift,
}


def _warn(file: str, fleet: Fleet) -> None:
    for warning in fleet.warnings():
        print(f"{file}: warning: {warning}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    from fleet.gate.sources import SourceError

    try:
        return COMMANDS[args.command](args)
    except (FleetError, SourceError) as err:
        print(err, file=sys.stderr)
        return 2


def run() -> int:
    """`main`, quiet when the reader of its output goes away (`python -m fleet plan | head`)."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 1
    return code


if __name__ == "__main__":
    sys.exit(run())

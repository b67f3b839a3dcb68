"""`fleet plan [FILE] [--base REV]`: the steps that finish every swap under way."""

from __future__ import annotations

import argparse
import json

from fleet.cli.args import add_file, add_weight_steps
from fleet.cli.validate import warn
from fleet.errors import Said
from fleet.model.load import load_fleet

HELP = "print the steps that finish every swap under way"


def add(cli: argparse.ArgumentParser, default_file: str) -> None:
    add_file(cli, default_file)
    cli.add_argument("--base", help="the fleet before this PR: a file or a git revision; refuses an unsafe change")
    cli.add_argument("--json", action="store_true", help="print the plan as JSON")
    add_weight_steps(cli)


def run(args: argparse.Namespace) -> int:
    return plan(file=args.file, base=args.base, as_json=args.json, weight_steps=args.weight_steps)


def plan(*, file: str, base: str | None, as_json: bool, weight_steps: tuple[int, ...]) -> int:
    from fleet.gate.phases import pr_refusals
    from fleet.ops.planner import PlanRefused
    from fleet.ops.planner import plan as steps_of
    from fleet.ops.render import render_json, render_text

    fleet = load_fleet(file)
    try:
        if base:
            refusals = pr_refusals(base, file, fleet, weight_steps)
            if refusals:
                raise PlanRefused(refusals)
        steps = steps_of(fleet, weight_steps)
    except PlanRefused as refused:
        raise Said("\n".join(f"{file}: refused: {reason}" for reason in refused.reasons)) from None
    warn(file, fleet)
    if as_json:
        print(json.dumps(render_json(file, steps), indent=2))
    else:
        print(render_text(file, fleet, steps))
    return 0

"""The fleet's command line, none of which imports cdktf in this process:

python -m fleet validate [FILE]            check a fleet file and summarize it
python -m fleet plan [FILE] [--base REV]   the steps that finish every swap under way
python -m fleet diff --base REV            per-stack diff of the synthesized fleet, and the guard
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from fleet import names
from fleet.load import FleetError, load_fleet
from fleet.model import Fleet
from fleet.planner import DEFAULT_WEIGHT_STEPS, PlanRefused, check_transition, load_base, plan, render_json, render_text

DEFAULT_FLEET = "fleet.yaml"


def summary(fleet: Fleet) -> str:
    stacks = [names.SHARED_STACK]
    stacks += [names.stack_id("argocd", n) for n in fleet.hubs]
    stacks += [names.stack_id("target", n) for n in fleet.targets]
    hubs = ", ".join(f"{n} ({h.phase}, {h.kubernetes_version})" for n, h in fleet.hubs.items())
    targets = ", ".join(f"{n} ({t.phase}, {t.kubernetes_version}, weight {t.weight})" for n, t in fleet.targets.items())
    network = f"reuse {fleet.network.vpc_id}" if fleet.network.vpc_id else f"create {fleet.network.cidr}"
    return "\n".join(
        [
            f"fleet {fleet.name} in {fleet.region}, network: {network}, state: {fleet.state.backend}",
            f"stacks:  {' '.join(stacks)}",
            f"hubs:    {hubs}",
            f"targets: {targets}",
            f"apps:    {', '.join(f'{n} {a.chart}@{a.version}' for n, a in fleet.apps.items())}"
            f" (ALB serves {fleet.traffic.app})",
        ]
    )


def _weight_steps(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of weights such as 10,50,100"
        ) from None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["diff"]:
        from fleet.stackdiff import main as diff_main

        return diff_main(argv[1:])

    parser = argparse.ArgumentParser(
        prog="python -m fleet", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    default_file = os.environ.get("FLEET", DEFAULT_FLEET)
    check = sub.add_parser("validate", help="validate a fleet file and summarize it")
    check.add_argument("file", nargs="?", default=default_file)
    planning = sub.add_parser("plan", help="print the steps that finish every swap under way")
    planning.add_argument("file", nargs="?", default=default_file)
    planning.add_argument("--base", help="the fleet before this PR: a file or a git revision; refuses an unsafe change")
    planning.add_argument("--json", action="store_true", help="print the plan as JSON")
    planning.add_argument(
        "--weight-steps", type=_weight_steps, default=DEFAULT_WEIGHT_STEPS, help="traffic steps, default 10,50,100"
    )
    sub.add_parser(
        "diff", help="per-stack diff against a base revision, and the live-generation guard (see diff --help)"
    )
    args = parser.parse_args(argv)

    try:
        fleet = load_fleet(args.file)
        if args.command == "plan":
            reasons = check_transition(load_base(args.base, args.file), fleet) if args.base else []
            if reasons:
                raise PlanRefused(reasons)
            steps = plan(fleet, args.weight_steps)
    except FleetError as err:
        print(err, file=sys.stderr)
        return 2
    except PlanRefused as refused:
        for reason in refused.reasons:
            print(f"{args.file}: refused: {reason}", file=sys.stderr)
        return 2
    if args.command == "validate":
        print(f"{args.file}: valid")
        print(summary(fleet))
    elif args.json:
        print(json.dumps(render_json(args.file, steps), indent=2))
    else:
        print(render_text(args.file, fleet, steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The fleet's command line, none of which imports cdktf in this process:

python -m fleet validate [FILE]            check a fleet file and summarize it
python -m fleet plan [FILE] [--base REV]   the steps that finish every swap under way
python -m fleet diff --base REV            per-stack diff of the synthesized fleet, and the guard
python -m fleet action STACK [FILE]        what the deploy workflow runs for a stack: deploy or destroy
python -m fleet check [FILE] STACK         live checks (AWS, Kubernetes, ArgoCD) before a swap's next step
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from fleet import names
from fleet.lifecycle import DESTROYED
from fleet.load import FleetError, default_fleet, load_fleet
from fleet.model import Fleet
from fleet.planner import DEFAULT_WEIGHT_STEPS, PlanRefused, check_transition, plan, render_json, render_text
from fleet.sources import SourceError, base_fleet
from fleet.state import read_state


def summary(fleet: Fleet) -> str:
    stacks = [names.SHARED_STACK]
    stacks += [names.stack_id("argocd", n) for n in fleet.hubs]
    stacks += [names.stack_id("target", n) for n in fleet.targets]
    hubs = ", ".join(f"{n} ({h.phase}, {h.kubernetes_version})" for n, h in fleet.hubs.items())
    network = f"reuse {fleet.network.vpc_id}" if fleet.network.vpc_id else f"create {fleet.network.cidr}"
    lines = [
        f"fleet {fleet.name} in {fleet.region}, network: {network}, state: {fleet.state.backend}",
        f"stacks:  {' '.join(stacks)}",
        f"hubs:    {hubs} (every hub serves every service)",
    ]
    for name, service in fleet.services.items():
        targets = ", ".join(
            f"{n} ({t.phase}, {t.kubernetes_version}, weight {t.weight})" for n, t in service.targets.items()
        )
        apps = ", ".join(
            f"{n} {a.chart}@{a.version}" if a.helm else f"{n} {a.path}@{a.revision}" for n, a in service.apps.items()
        )
        lines += [
            f"service {name}: ALB {names.alb_name(fleet.name, name)} serves {service.traffic.app}, "
            f"ArgoCD project {names.project_name(name)}",
            f"  targets: {targets}",
            f"  apps:    {apps}",
        ]
    return "\n".join(lines)


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
    default_file = default_fleet()
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
    action = sub.add_parser("action", help="print deploy or destroy: what the deploy workflow runs for STACK")
    action.add_argument("stack")
    action.add_argument("file", nargs="?", default=default_file)
    live = sub.add_parser("check", help="live checks of STACK before the next step of a swap (see fleet/check.py)")
    live.add_argument("file", nargs="?", default=default_file)
    live.add_argument("stack")
    live.add_argument("--before-destroy", action="store_true", help="target-<gen>: no requests over the window")
    live.add_argument("--window-minutes", type=int, default=30, help="--before-destroy window, default 30")
    live.add_argument(
        "--api-endpoint", action="append", default=[], metavar="CLUSTER=URL", help="reach CLUSTER's API at URL"
    )
    live.add_argument("--only", action="append", default=[], metavar="GROUP", help="cluster, argocd or traffic")
    args = parser.parse_args(argv)
    if args.command == "check":
        from fleet.check import run as check_run

        return check_run(
            args.file,
            args.stack,
            before_destroy=args.before_destroy,
            window_minutes=args.window_minutes,
            api_endpoints=args.api_endpoint,
            groups=args.only,
        )

    try:
        fleet = load_fleet(args.file)
        if args.command == "action":
            return _action(fleet, args.stack)
        if args.command == "plan":
            reasons: list[str] = []
            if args.base:
                base = base_fleet(args.base, args.file)
                reasons = check_transition(base, fleet) + _left_with_state(base, fleet)
            if reasons:
                raise PlanRefused(reasons)
            steps = plan(fleet, args.weight_steps)
    except (FleetError, SourceError) as err:
        print(err, file=sys.stderr)
        return 2
    except PlanRefused as refused:
        for reason in refused.reasons:
            print(f"{args.file}: refused: {reason}", file=sys.stderr)
        return 2
    for warning in fleet.support_warnings():
        print(f"{args.file}: warning: {warning}", file=sys.stderr)
    if args.command == "validate":
        print(f"{args.file}: valid")
        print(summary(fleet))
    elif args.json:
        print(json.dumps(render_json(args.file, steps), indent=2))
    else:
        print(render_text(args.file, fleet, steps))
    return 0


def _left_with_state(base: Fleet, head: Fleet) -> list[str]:
    """A destroyed generation leaving the file: its state must be empty where it can be read."""
    reasons = []
    for where, kind, spec in base.generations():
        name = where.rsplit(".", 1)[1]
        if name in (head.hubs if kind == "argocd" else head.targets) or spec.phase != DESTROYED:
            continue
        stack = names.stack_id(kind, name)
        reading = read_state(base, stack)
        if reading.resources is None:
            print(f"note: {where}: state {reading.where} {reading.why}; make sure it is empty", file=sys.stderr)
        elif reading.resources:
            reasons.append(
                f"{where}: its state {reading.where} still lists {reading.resources} resource(s); "
                f"run `cdktf destroy {stack}` before removing it from the file"
            )
    return reasons


def _action(fleet: Fleet, stack: str) -> int:
    """deploy, or destroy for a generation in phase destroyed; exit 2 for a stack not in the fleet."""
    if stack == names.SHARED_STACK:
        print("deploy")
        return 0
    parsed = names.parse_stack_id(stack)
    spec = None
    if parsed is not None:
        spec = (fleet.hubs if parsed[0] == "argocd" else fleet.targets).get(parsed[1])
    if spec is None:
        print(
            f"{stack}: not a stack of fleet {fleet.name}; use shared, argocd-<hub> or target-<target>", file=sys.stderr
        )
        return 2
    print("destroy" if spec.phase == DESTROYED else "deploy")
    return 0


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

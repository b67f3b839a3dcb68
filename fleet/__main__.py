"""`python -m fleet validate [FILE]`: check a fleet file without importing cdktf."""

from __future__ import annotations

import argparse
import os
import sys

from fleet import names
from fleet.load import FleetError, load_fleet
from fleet.model import Fleet

DEFAULT_FLEET = "fleet.yaml"


def summary(fleet: Fleet) -> str:
    stacks = [names.SHARED_STACK]
    stacks += [names.stack_id("argocd", n) for n in fleet.hubs]
    stacks += [names.stack_id("target", n) for n in fleet.targets]
    hubs = ", ".join(f"{n} ({h.phase}, {h.kubernetes_version})" for n, h in fleet.hubs.items())
    targets = ", ".join(f"{n} ({t.kubernetes_version}, weight {t.weight})" for n, t in fleet.targets.items())
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fleet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("validate", help="validate a fleet file and summarize it")
    check.add_argument("file", nargs="?", default=os.environ.get("FLEET", DEFAULT_FLEET))
    args = parser.parse_args(argv)

    try:
        fleet = load_fleet(args.file)
    except FleetError as err:
        print(err, file=sys.stderr)
        return 2
    print(f"{args.file}: valid")
    print(summary(fleet))
    return 0


if __name__ == "__main__":
    sys.exit(main())

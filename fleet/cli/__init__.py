"""The fleet's command line, none of which imports cdktf in this process:

fleet validate [FILE]            check a fleet file and summarize it
fleet plan [FILE] [--base REV]   the steps that finish every swap under way
fleet diff --base REV            per-stack diff of the synthesized fleet, and the guard
fleet action STACK [FILE]        what the deploy workflow runs for a stack: deploy or destroy
fleet step [FILE] --base REV     the stacks a merge deploys, in order, and the checks after them
fleet next [FILE] [--print]      write the file the plan's next step leads to (its PR's file)
fleet check STACK [FILE]         live checks (AWS, Kubernetes, ArgoCD) before a swap's next step
fleet shift SERVICE [FILE]       move a service's weights to the file's, in steps, under analysis

One order for every command: the stack or service it acts on, then the fleet file (default $FLEET,
then fleet.yaml), then options. `pipenv run fleet ...` and `python -m fleet ...` are the same.

One module per command (fleet/cli/<command>.py) reads its arguments and calls one function with
them as keyword arguments. Every error is a `fleet.errors.FleetFailure`, handled here only: its
message on stderr, one line per mistake, and its exit code; never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from types import ModuleType

from fleet.cli import action, check, diff, next, plan, shift, step, validate
from fleet.errors import FleetFailure
from fleet.model.load import default_fleet

COMMANDS: dict[str, ModuleType] = {
    "validate": validate,
    "plan": plan,
    "diff": diff,
    "action": action,
    "step": step,
    "next": next,
    "check": check,
    "shift": shift,
}
SUBJECTS = {"action": "stack", "check": "stack", "shift": "service"}
"""The commands that act on one stack or service, named before the fleet file."""


def parser(prog: str = "fleet") -> argparse.ArgumentParser:
    return _parser(prog, default_fleet())


@functools.lru_cache(maxsize=8)
def _parser(prog: str, default_file: str) -> argparse.ArgumentParser:
    """Built once per program name and default file: a process that runs many commands (the gate,
    the tests) reuses it; parsing leaves it as it was."""
    cli = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = cli.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        description = getattr(command, "DESCRIPTION", None)
        command.add(sub.add_parser(name, help=command.HELP, description=description), default_file)
    return cli


def main(argv: list[str] | None = None, prog: str = "fleet") -> int:
    args = parser(prog).parse_args(sys.argv[1:] if argv is None else argv)
    try:
        _refuse_swapped_order(args)
        code: int = COMMANDS[args.command].run(args)
        return code
    except FleetFailure as err:
        print(err, file=sys.stderr)
        return err.exit_code


def _refuse_swapped_order(args: argparse.Namespace) -> None:
    """`fleet check fleet.yaml target-blue` (the order before one order): one line, not a wrong stack."""
    from fleet.errors import Said

    subject = SUBJECTS.get(args.command)
    if subject is None:
        return
    value = getattr(args, subject)
    if value.endswith((".yaml", ".yml")):
        raise Said(
            f"fleet {args.command}: {value!r} is a fleet file, not a {subject}: "
            f"the order is `fleet {args.command} {subject.upper()} [FILE]`"
        )


def run(prog: str = "fleet") -> int:
    """`main`, quiet when the reader of its output goes away (`fleet plan | head`)."""
    try:
        code = main(prog=prog)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 1
    return code


def console() -> None:
    """The `fleet` console script."""
    sys.exit(run())

"""`fleet action STACK [FILE]`: what the deploy workflow runs for a stack, deploy or destroy."""

from __future__ import annotations

import argparse

from fleet.cli.args import add_file
from fleet.errors import Said
from fleet.model.load import load_fleet

HELP = "print deploy or destroy: what the deploy workflow runs for STACK"


def add(cli: argparse.ArgumentParser, default_file: str) -> None:
    cli.add_argument("stack")
    add_file(cli, default_file)


def run(args: argparse.Namespace) -> int:
    return action(stack=args.stack, file=args.file)


def action(*, stack: str, file: str) -> int:
    from fleet.ops.pipeline import PipelineRefused, stack_action

    try:
        print(stack_action(load_fleet(file), stack))
    except PipelineRefused as err:
        raise Said(str(err)) from None
    return 0

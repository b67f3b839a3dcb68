"""`fleet validate [FILE]`: check a fleet file and summarize it."""

from __future__ import annotations

import argparse
import sys

from fleet.cli.args import add_file
from fleet.model import Fleet
from fleet.model.load import load_fleet
from fleet.model.warnings import warnings

HELP = "validate a fleet file and summarize it"


def add(cli: argparse.ArgumentParser, default_file: str) -> None:
    add_file(cli, default_file)


def run(args: argparse.Namespace) -> int:
    return validate(file=args.file)


def validate(*, file: str) -> int:
    from fleet.model.summary import summary

    fleet = load_fleet(file)
    warn(file, fleet)
    print(f"{file}: valid")
    print(summary(fleet))
    return 0


def warn(file: str, fleet: Fleet) -> None:
    """The fleet's warnings, one line each on stderr: every command that reads a file says them."""
    for warning in warnings(fleet):
        print(f"{file}: warning: {warning}", file=sys.stderr)

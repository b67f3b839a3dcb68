"""Argument types and groups more than one command takes."""

from __future__ import annotations

import argparse

from fleet.ops.defaults import DEFAULT_WEIGHT_STEPS


def listed(values: tuple[int, ...]) -> str:
    return ",".join(str(v) for v in values)


def weight_steps(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of weights such as {listed(DEFAULT_WEIGHT_STEPS)}"
        ) from None


def add_weight_steps(cli: argparse.ArgumentParser) -> None:
    cli.add_argument(
        "--weight-steps",
        type=weight_steps,
        default=DEFAULT_WEIGHT_STEPS,
        help=f"traffic steps, default {listed(DEFAULT_WEIGHT_STEPS)}",
    )


def add_file(cli: argparse.ArgumentParser, default_file: str) -> None:
    """FILE, the fleet file: always the last positional argument, always optional."""
    cli.add_argument("file", nargs="?", default=default_file, help=f"the fleet file (default: {default_file})")

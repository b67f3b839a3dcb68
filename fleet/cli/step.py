"""`fleet step [FILE] --base REV`: the runs a merge makes, in order, and the checks after them
(fleet/ops/merge.py): what the PR gate shows and the deploy runs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fleet.cli.args import add_file, add_weight_steps
from fleet.errors import Said
from fleet.model.load import FleetError, load_fleet

HELP = "the stacks a merge deploys, in order, and the checks after them"


def add(cli: argparse.ArgumentParser, default_file: str) -> None:
    add_file(cli, default_file)
    cli.add_argument("--base", required=True, help="the fleet before the merge: a file or a git revision")
    cli.add_argument(
        "--changed", metavar="FILE", help="the stacks whose JSON changed, one a line (fleet diff --stacks-out)"
    )
    printing = cli.add_mutually_exclusive_group()
    printing.add_argument("--json", action="store_true", help="print the step as JSON (what the workflow reads)")
    printing.add_argument("--markdown", action="store_true", help="print the step for the PR comment")
    add_weight_steps(cli)


def run(args: argparse.Namespace) -> int:
    return step(
        file=args.file,
        base=args.base,
        changed=args.changed,
        output="json" if args.json else "markdown" if args.markdown else "text",
        weight_steps=args.weight_steps,
    )


def step(*, file: str, base: str, changed: str | None, output: str, weight_steps: tuple[int, ...]) -> int:
    from fleet.ops.pipeline import PipelineRefused, merged_step
    from fleet.ops.shift_record import RecordError, read_records
    from fleet.ops.step import PlanRefused

    head = load_fleet(file)
    stacks = changed_stacks(changed)
    before = base_side(base, file)
    try:
        records, unread = read_records(head, before.shifts)
        merged = merged_step(before, head, stacks, weight_steps, records)
    except (PipelineRefused, RecordError) as err:
        raise Said(f"{file}: step refused: {err}") from None
    except PlanRefused as refused:  # the planner's own refusal of the head (a state no plan leaves)
        raise Said(f"{file}: step refused: {'; '.join(refused.reasons)}") from None
    if unread:
        print(f"{file}: warning: {unread}", file=sys.stderr)
    if output == "json":
        print(json.dumps(merged.as_json(), indent=2))
    elif output == "markdown":
        print(merged.as_markdown(), end="")
    else:
        print(merged.as_text())
    return 0


def changed_stacks(path: str | None) -> list[str]:
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


def base_side(reference: str, fleet_path: str) -> Any:
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

"""`fleet diff --base REV|DIR`: the per-stack diff of the synthesized fleet, and the live-generation guard.

Exit codes: 0 nothing refused, 1 the guard refused a change, 2 the diff could not be made."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fleet.model.load import DEFAULT_FLEET
from fleet.names import PROJECT_ROOT

HELP = "per-stack diff against a base revision, and the live-generation guard"
DESCRIPTION = (
    "Compare the synthesized stacks of a base and a head, and refuse what would replace, "
    "destroy or change what a live generation runs or stands on (exit 1)."
)


def add(cli: argparse.ArgumentParser, default_file: str) -> None:
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


def run(args: argparse.Namespace) -> int:
    return diff(
        base=args.base,
        head=args.head,
        fleet=args.fleet,
        base_fleet=args.base_fleet,
        repo=Path(args.repo).resolve(),
        state_migrated=args.state_migrated,
        markdown_out=args.markdown_out,
        stacks_out=args.stacks_out,
        output="markdown" if args.markdown else "stacks" if args.stacks else "text",
    )


def diff(
    *,
    base: str,
    head: str | None,
    fleet: str | None,
    base_fleet: str | None,
    repo: Path,
    state_migrated: bool,
    markdown_out: str | None,
    stacks_out: str | None,
    output: str,
) -> int:
    """Print (and write) what the PR needs; 0 nothing refused, 1 the guard refused a change."""
    from fleet.gate import comment
    from fleet.gate.diff import diff_stacks
    from fleet.gate.guard import refusals as guard_refusals
    from fleet.gate.sources import collect

    sides = collect(base, head, fleet, base_fleet, repo, say=_progress)
    diffs = diff_stacks(sides.base, sides.head)
    refusals = guard_refusals(
        diffs, sides.base, sides.head, sides.base_fleet, sides.head_fleet, state_migrated=state_migrated
    )
    markdown = comment.as_markdown(diffs, refusals, sides.base_label, sides.head_label, sides.notes, sides.gate_files)
    listed = comment.render_stacks(diffs)
    if markdown_out:
        Path(markdown_out).write_text(markdown + "\n")
    if stacks_out:
        Path(stacks_out).write_text(listed + "\n" if listed else "")
    if output == "stacks":
        if listed:
            print(listed)
        for note in sides.notes:  # stdout is the stack list alone
            print(f"note: {note}", file=sys.stderr)
        for line in comment.refusal_lines(refusals, bullet="guard: "):
            print(line, file=sys.stderr)
    elif output == "markdown":
        print(markdown)
    else:
        print(comment.as_text(diffs, refusals, sides.notes, sides.gate_files))
    return 1 if refusals else 0


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)

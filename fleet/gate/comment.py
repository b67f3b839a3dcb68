"""The `diff` command and the PR comment: what a change does to each stack, and whether the guard allows it.

Synthesizes the base (a git revision, or a cdktf.out directory) and the head (the working tree of
`--repo`, or a cdktf.out directory) once each, compares them stack by stack and resource by
resource (fleet/gate/diff.py), and applies the guard (fleet/gate/guard.py). One run can write every output
a PR needs:

    python -m fleet diff --base origin/main                     # text, for a terminal
    python -m fleet diff --base origin/main --markdown          # a PR comment
    python -m fleet diff --base origin/main --stacks            # stacks to `cdktf diff` (a CI matrix)
    python -m fleet diff --base origin/main --markdown-out diff.md --stacks-out stacks.txt

The PR gate runs this module from the base branch's checkout with `--repo <the PR's checkout>`,
so the guard's code and rules are the base's: a PR cannot loosen its own guard.

Exit codes: 0 nothing refused, 1 the guard refused a change, 2 the diff could not be made (a bad
fleet file, a failed synth, an unknown revision).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from fleet.gate.diff import StackDiff, diff_stacks
from fleet.gate.guard import Refusal
from fleet.gate.guard import refusals as guard_refusals
from fleet.gate.sources import SourceError, collect
from fleet.model.load import FleetError

MARKER = "<!-- ephemeral-eks-diff -->"
"""First line of the --markdown output, so a CI step can find and update its own PR comment."""


def refusal_lines(refusals: Sequence[Refusal], bullet: str = "  ") -> list[str]:
    lines = []
    for refusal in refusals:
        lines.append(f"{bullet}{refusal}")
        lines += [f"{bullet}    {step}" for step in refusal.steps]
    return lines


GATE_NOTE = "changes what the gate runs or how the deploy synthesizes: it needs an owner's review (.github/CODEOWNERS)"


def render_text(
    diffs: list[StackDiff], refusals: list[Refusal], notes: Sequence[str] = (), gate_files: Sequence[str] = ()
) -> str:
    width = max((len(d.stack) for d in diffs), default=0) + 2
    lines = []
    for diff in diffs:
        lines.append(f"{diff.stack:<{width}}{diff.verdict}")
        if diff.verdict == "changed":
            lines += [f"    {c.line()}" for c in diff.changes]
    if not diffs:
        lines.append("no stacks on either side")
    lines += [f"note: {n}" for n in notes]
    lines += [f"gate-affecting: {path} {GATE_NOTE}" for path in gate_files]
    lines.append("")
    if refusals:
        lines.append(f"guard: {len(refusals)} change(s) refused")
        lines += refusal_lines(refusals)
    else:
        lines.append("guard: ok")
    return "\n".join(lines)


def render_markdown(
    diffs: list[StackDiff],
    refusals: list[Refusal],
    base_label: str,
    head_label: str,
    notes: Sequence[str] = (),
    gate_files: Sequence[str] = (),
) -> str:
    lines = [MARKER, "## Ephemeral EKS: stack diff", "", f"Base {base_label}, head {head_label}.", ""]
    lines += ["| stack | verdict | resources (+added ~changed -removed) |", "| --- | --- | --- |"]
    for diff in diffs:
        lines.append(f"| `{diff.stack}` | {diff.verdict} | {diff.summary()} |")
    for note in notes:
        lines += ["", f"> {note}"]
    for diff in diffs:
        if diff.verdict != "changed":
            continue
        lines += [
            "",
            f"<details><summary><code>{diff.stack}</code>: {diff.summary()}</summary>",
            "",
            "```diff",
            *(c.line() for c in diff.changes),
            "```",
            "",
            "</details>",
        ]
    if gate_files:
        lines += ["", "### Gate-affecting files", "", f"This PR {GATE_NOTE}:", ""]
        lines += [f"- `{path}`" for path in gate_files]
    lines += ["", "### Guard", ""]
    if refusals:
        lines += [f"❌ {len(refusals)} change(s) refused:", ""]
        lines += refusal_lines(refusals, bullet="- ")
    else:
        lines.append("✅ Nothing live is replaced, destroyed or changed in place.")
    return "\n".join(lines)


def render_stacks(diffs: list[StackDiff]) -> str:
    """The stacks a `cdktf diff` has something to show for (added or changed), one id a line."""
    return "\n".join(d.stack for d in diffs if d.verdict in ("added", "changed"))


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_diff(args: argparse.Namespace) -> int:
    """The `diff` command (its arguments: `fleet.__main__`): print or write what the PR needs,
    return 0 (nothing refused), 1 (the guard refused a change) or 2 (no diff could be made)."""
    try:
        sides = collect(args.base, args.head, args.fleet, args.base_fleet, Path(args.repo).resolve(), say=_progress)
    except (FleetError, SourceError) as err:
        print(err, file=sys.stderr)
        return 2

    diffs = diff_stacks(sides.base, sides.head)
    refusals = guard_refusals(
        diffs, sides.base, sides.head, sides.base_fleet, sides.head_fleet, state_migrated=args.state_migrated
    )
    markdown = render_markdown(diffs, refusals, sides.base_label, sides.head_label, sides.notes, sides.gate_files)
    if args.markdown_out:
        Path(args.markdown_out).write_text(markdown + "\n")
    if args.stacks_out:
        listed = render_stacks(diffs)
        Path(args.stacks_out).write_text(listed + "\n" if listed else "")
    if args.stacks:
        listed = render_stacks(diffs)
        if listed:
            print(listed)
        for note in sides.notes:  # stdout is the stack list alone
            print(f"note: {note}", file=sys.stderr)
        for line in refusal_lines(refusals, bullet="guard: "):
            print(line, file=sys.stderr)
    elif args.markdown:
        print(markdown)
    else:
        print(render_text(diffs, refusals, sides.notes, sides.gate_files))
    return 1 if refusals else 0

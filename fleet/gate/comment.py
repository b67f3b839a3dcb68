"""What `fleet diff` prints and the PR comment says: what a change does to each stack, and whether
the guard allows it (the command itself: fleet/cli/diff.py).

`fleet diff` synthesizes the base (a git revision, or a cdktf.out directory) and the head (the working tree of
`--repo`, or a cdktf.out directory) once each, compares them stack by stack and resource by
resource (fleet/gate/diff.py), and applies the guard (fleet/gate/guard.py). One run can write every output
a PR needs:

    python -m fleet diff --base origin/main                     # text, for a terminal
    python -m fleet diff --base origin/main --markdown          # a PR comment
    python -m fleet diff --base origin/main --stacks            # stacks to `cdktf diff` (a CI matrix)
    python -m fleet diff --base origin/main --markdown-out diff.md --stacks-out stacks.txt

The PR gate runs the command from the base branch's checkout with `--repo <the PR's checkout>`,
so the guard's code and rules are the base's: a PR cannot loosen its own guard.

Exit codes: 0 nothing refused, 1 the guard refused a change, 2 the diff could not be made (a bad
fleet file, a failed synth, an unknown revision).
"""

from __future__ import annotations

from collections.abc import Sequence

from fleet.gate.diff import StackDiff
from fleet.gate.guard import Refusal

MARKER = "<!-- ephemeral-eks-diff -->"
"""First line of the --markdown output, so a CI step can find and update its own PR comment."""


def refusal_lines(refusals: Sequence[Refusal], bullet: str = "  ") -> list[str]:
    lines = []
    for refusal in refusals:
        lines.append(f"{bullet}{refusal}")
        lines += [f"{bullet}    {step}" for step in refusal.steps]
    return lines


GATE_NOTE = "changes what the gate runs or how the deploy synthesizes: it needs an owner's review (.github/CODEOWNERS)"


def as_text(
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


def as_markdown(
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

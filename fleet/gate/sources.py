"""Where the two sides of a PR come from: git revisions, fleet files and synthesized stacks.

The one place that runs git and `main.py`: `python -m fleet plan --base` reads the base fleet
through `base_fleet`, `python -m fleet diff` reads both sides through `collect`. Synthesis runs
`main.py` in a subprocess, so nothing here imports cdktf.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fleet import names
from fleet.gate.diff import Stacks
from fleet.spec import Fleet
from fleet.spec.load import FleetError, default_fleet, load_fleet, parse_yaml, validate

ROOT = names.PROJECT_ROOT
"""The repository synthesized for the head and read for a base revision (`--repo`)."""


class SourceError(Exception):
    """A side cannot be read: a missing directory, an unknown revision, a failed synth."""


def read_outdir(outdir: Path) -> Stacks:
    """The stacks of a cdktf.out directory, by the paths its manifest.json names."""
    if not outdir.is_dir():
        raise SourceError(f"{outdir}: no such directory; pass a cdktf.out directory")
    manifest = outdir / "manifest.json"
    try:
        if manifest.is_file():
            listed = json.loads(manifest.read_text()).get("stacks", {})
            files = {
                stack: outdir / info.get("synthesizedStackPath", f"stacks/{stack}/cdk.tf.json")
                for stack, info in listed.items()
            }
        elif (outdir / "stacks").is_dir():
            files = {f.parent.name: f for f in sorted((outdir / "stacks").glob("*/cdk.tf.json"))}
        else:
            raise SourceError(f"{outdir}: not a cdktf.out directory (no manifest.json, no stacks/<id>/cdk.tf.json)")
        return {stack: json.loads(file.read_text()) for stack, file in files.items()}
    except (OSError, ValueError, AttributeError) as err:
        raise SourceError(f"{outdir}: cannot read the synthesized stacks: {err}") from None


def synthesize(cwd: Path, fleet: str, label: str) -> Stacks:
    """Run `main.py` of the checkout at `cwd` on `fleet` (a path relative to `cwd`, or absolute) in
    a subprocess, into a temporary directory, and read the result."""
    out = Path(tempfile.mkdtemp(prefix="fleet-diff-out-"))
    try:
        env = {
            **os.environ,
            "FLEET": fleet,
            "CDKTF_OUTDIR": str(out / "cdktf.out"),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
        try:
            proc = subprocess.run(
                [sys.executable, "-O", "main.py"], cwd=cwd, env=env, capture_output=True, text=True, check=False
            )
        except OSError as err:
            raise SourceError(f"synth of {label} failed: {err}") from None
        if proc.returncode != 0:
            said = [line for line in proc.stderr.splitlines() if line.strip()][-6:]
            detail = "".join(f"\n  {line}" for line in said)
            raise SourceError(f"synth of {label} failed (main.py exit code {proc.returncode}){detail}")
        return read_outdir(out / "cdktf.out")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def git(repo: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except OSError as err:
        raise SourceError(f"cannot run git: {err}") from None
    if proc.returncode != 0:
        said = [line for line in proc.stderr.splitlines() if line.strip()]
        raise SourceError(f"git {' '.join(args)} in {repo} failed: {said[-1] if said else proc.returncode}")
    return proc.stdout.strip()


def resolve(repo: Path, rev: str) -> str:
    """The commit `rev` names in `repo`, or one clear error."""
    try:
        git(repo, "rev-parse", "--git-dir")
    except SourceError:
        raise SourceError(f"--base {rev}: not a file or directory, and {repo} is not a git repository") from None
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except SourceError:
        raise SourceError(f"--base {rev}: not a file or directory, nor a git revision of {repo}") from None


@contextmanager
def worktree(repo: Path, rev: str) -> Iterator[Path]:
    """A detached checkout of `rev` in a temporary directory, removed again on the way out."""
    tmp = Path(tempfile.mkdtemp(prefix="fleet-diff-base-"))
    tree = tmp / "tree"
    added = False
    try:
        git(repo, "worktree", "add", "--detach", str(tree), rev)
        added = True
        yield tree
    finally:
        if added:
            done = subprocess.run(
                ["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], capture_output=True, check=False
            )
            if done.returncode != 0:
                shutil.rmtree(tmp, ignore_errors=True)
                subprocess.run(["git", "-C", str(repo), "worktree", "prune"], capture_output=True, check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def _relative(repo: Path, fleet_path: Path, rev: str) -> str:
    try:
        return fleet_path.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        raise SourceError(
            f"{fleet_path}: the fleet file is outside the repository {repo}, so it has no version at "
            f"--base {rev}; pass --base a file or a cdktf.out directory instead"
        ) from None


def base_fleet(reference: str, fleet_path: str | Path, repo: Path = ROOT) -> Fleet:
    """The fleet before the PR: a fleet file, or the fleet file at a git revision of `repo`."""
    if Path(reference).is_file():
        return load_fleet(reference)
    sha = resolve(repo, reference)
    relative = _relative(repo, Path(fleet_path), reference)
    try:
        text = git(repo, "show", f"{sha}:{relative}")
    except SourceError:
        raise FleetError(reference, [f"{relative} does not exist at {reference}"]) from None
    source = f"{reference}:{relative}"
    return validate(parse_yaml(text, source), source)


@dataclass
class Sides:
    base: Stacks
    head: Stacks
    base_fleet: Fleet | None
    head_fleet: Fleet | None
    base_label: str
    head_label: str
    notes: list[str] = field(default_factory=list)


def _base_from_git(repo: Path, rev: str, fleet_path: Path) -> tuple[Stacks, Fleet | None, str, list[str]]:
    relative = _relative(repo, fleet_path, rev)
    sha = resolve(repo, rev)
    label = f"`{rev}` ({sha[:12]})"
    with worktree(repo, sha) as tree:
        base_file = tree / relative
        if not base_file.is_file():
            return {}, None, label, [f"{relative} does not exist at {rev}: every stack is new"]
        stacks = synthesize(tree, relative, f"--base {rev} ({relative})")
        try:
            return stacks, load_fleet(base_file), label, []
        except FleetError as err:
            first = err.problems[0] if err.problems else "invalid"
            note = (
                f"{relative} at {rev} does not load with this version's fleet schema ({first}); "
                "every generation stack in base counts as live"
            )
            return stacks, None, label, [note]


def collect(base: str, head: str | None, fleet: str | None, base_fleet_file: str | None, repo: Path) -> Sides:
    """Both sides of a diff, each synthesized at most once."""
    fleet_path = repo / (fleet or default_fleet())  # relative to the repository synthesized
    head_fleet = None
    if head is None or fleet is not None:
        head_fleet = load_fleet(fleet_path)  # one clear message before seconds of synth

    notes: list[str] = []
    if Path(base).is_dir():
        base_stacks = read_outdir(Path(base))
        known = load_fleet(base_fleet_file) if base_fleet_file else None
        base_label = f"`{base}`"
        if known is None:
            notes.append("no --base-fleet: every generation stack in base counts as live")
    else:
        if base_fleet_file:
            raise SourceError(
                f"--base-fleet goes with a --base directory; at --base {base} the fleet file is read from git"
            )
        base_stacks, known, base_label, notes = _base_from_git(repo, base, fleet_path)

    if head is not None:
        head_stacks, head_label = read_outdir(Path(head)), f"`{head}`"
    else:
        head_stacks = synthesize(repo, str(fleet_path), f"the working tree ({fleet_path})")
        head_label = "the working tree"
    return Sides(base_stacks, head_stacks, known, head_fleet, base_label, head_label, notes)

"""Where the two sides of a PR come from: git revisions, fleet files and synthesized stacks.

The one place that runs git and the synth: `python -m fleet plan --base` reads the base fleet
through `base_fleet`, `python -m fleet diff` reads both sides through `collect`. Each side is
synthesized by its own checkout's entry point (the `app` command of its cdktf.json, as `cdktf
deploy` runs it), in a subprocess, base and head at once; nothing here imports cdktf. A head given
as a cdktf.out directory (the PR gate: another job synthesized it with the PR's code) is read as
data and never synthesized.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fleet import names
from fleet.errors import FleetFailure
from fleet.gate.diff import Stacks
from fleet.gate.owners import gate_affecting
from fleet.model import Fleet
from fleet.model.load import FleetError, default_fleet, load_fleet, parse_yaml, validate
from fleet.text import printable

ROOT = names.PROJECT_ROOT
"""The repository synthesized for the head and read for a base revision (`--repo`)."""


class SourceError(FleetFailure):
    """A side cannot be read: a missing directory, an unknown revision, a failed synth."""


STACK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
"""A stack id as a cdktf.out directory may name it: the PR gate reads the head's directory as
data (another job synthesized it with the PR's code), so an id is never a path or a shell word."""


def read_outdir(outdir: Path) -> Stacks:
    """The stacks of a cdktf.out directory, by the paths its manifest.json names (each inside
    `outdir`, under an id `STACK_ID` accepts)."""
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
        inside = outdir.resolve()
        for stack, file in files.items():
            if not (isinstance(stack, str) and STACK_ID.fullmatch(stack)):
                raise SourceError(
                    f"{outdir}: stack id {printable(str(stack))!r} is not a plain name ({STACK_ID.pattern})"
                )
            if not file.resolve().is_relative_to(inside):
                raise SourceError(f"{outdir}: stack {stack}'s synthesized file is outside the directory")
        return {stack: json.loads(file.read_text()) for stack, file in files.items()}
    except (OSError, ValueError, AttributeError, TypeError, RecursionError) as err:
        raise SourceError(f"{outdir}: cannot read the synthesized stacks: {err}") from None


APP_PREFIXES = (("pipenv", "run"),)
"""What may come before `python` in cdktf.json's app command: it then runs with this interpreter."""


def app_command(cwd: Path) -> list[str]:
    """The synth entry point of the checkout at `cwd`: the `app` command of its cdktf.json, which
    `cdktf deploy` runs too, so what the gate judges is what the deploy applies. `pipenv run python`
    means this interpreter; anything but `[VAR=value ...] [pipenv run] python[3] [options] FILE ...`
    is refused rather than run."""
    try:
        app = json.loads((cwd / "cdktf.json").read_text())["app"]
        words = shlex.split(app)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise SourceError(f"{cwd / 'cdktf.json'}: no app command to synthesize with ({err})") from None
    count = 0
    while count < len(words) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[count]):
        count += 1
    env, rest = words[:count], words[count:]
    for prefix in APP_PREFIXES:
        if tuple(rest[: len(prefix)]) == prefix:
            rest = rest[len(prefix) :]
    if not rest or rest[0] not in ("python", "python3"):
        raise SourceError(
            f"{cwd / 'cdktf.json'}: app {app!r} is not `[pipenv run] python ... main.py`; the gate synthesizes "
            "only through the command the deploy runs"
        )
    return ["env", *env, sys.executable, *rest[1:]]


@dataclass
class Synth:
    """One synth running in a subprocess; `result()` waits for it and reads the stacks."""

    label: str
    out: Path
    proc: subprocess.Popen[str]

    def result(self) -> Stacks:
        try:
            _, stderr = self.proc.communicate()
            if self.proc.returncode != 0:
                said = [line for line in stderr.splitlines() if line.strip()][-6:]
                detail = "".join(f"\n  {line}" for line in said)
                raise SourceError(f"synth of {self.label} failed (exit code {self.proc.returncode}){detail}")
            return read_outdir(self.out / "cdktf.out")
        finally:
            shutil.rmtree(self.out, ignore_errors=True)


def start_synth(cwd: Path, fleet: str, label: str) -> Synth:
    """Start the synth entry point of the checkout at `cwd` (`app_command`) on `fleet` (a path
    relative to `cwd`, or absolute), into a temporary directory."""
    try:
        command = app_command(cwd)
    except SourceError as err:
        raise SourceError(f"synth of {label} failed: {err}") from None
    out = Path(tempfile.mkdtemp(prefix="fleet-diff-out-"))
    env = {
        **os.environ,
        "FLEET": fleet,
        "CDKTF_OUTDIR": str(out / "cdktf.out"),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    try:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except OSError as err:
        shutil.rmtree(out, ignore_errors=True)
        raise SourceError(f"synth of {label} failed: {err}") from None
    return Synth(label, out, proc)


def synthesize(cwd: Path, fleet: str, label: str) -> Stacks:
    """One synth, waited for."""
    return start_synth(cwd, fleet, label).result()


def wait_for(synths: list[Synth], say: Callable[[str], None] | None = None, every: float = 5.0) -> list[Stacks]:
    """The stacks of every synth, run at once; `say` hears one progress line every `every` seconds."""
    started = time.monotonic()
    labels = " and ".join(s.label for s in synths)
    while say is not None and any(s.proc.poll() is None for s in synths):
        try:
            next(s for s in synths if s.proc.poll() is None).proc.wait(timeout=every)
        except subprocess.TimeoutExpired:
            say(f"synthesizing {labels} at once: {time.monotonic() - started:.0f} s")
    results: list[Stacks] = []
    errors: list[SourceError] = []
    for synth in synths:
        try:
            results.append(synth.result())
        except SourceError as err:
            errors.append(err)
    if errors:
        raise errors[0]
    return results


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
    text, source = base_text(reference, fleet_path, repo)
    return validate(parse_yaml(text, source), source)


def base_text(reference: str, fleet_path: str | Path, repo: Path = ROOT) -> tuple[str, str]:
    """(the text, where it came from) of the fleet file before the PR: a file, or the fleet file
    at a git revision of `repo`; read as text, so a file the schema refuses can still be read."""
    if Path(reference).is_file():
        try:
            return Path(reference).read_text(encoding="utf-8"), reference
        except (OSError, UnicodeDecodeError) as err:
            raise FleetError(reference, [f"cannot read it: {err}"]) from None
    sha = resolve(repo, reference)
    relative = _relative(repo, Path(fleet_path), reference)
    try:
        text = git(repo, "show", f"{sha}:{relative}")
    except SourceError:
        raise FleetError(reference, [f"{relative} does not exist at {reference}"]) from None
    return text, f"{reference}:{relative}"


@dataclass
class Sides:
    base: Stacks
    head: Stacks
    base_fleet: Fleet | None
    head_fleet: Fleet | None
    base_label: str
    head_label: str
    notes: list[str] = field(default_factory=list)
    gate_files: list[str] = field(default_factory=list)
    """Gate-affecting paths (all but `NOT_GATE_AFFECTING`) that `--repo`'s working tree changes
    against a git base, also when the head's stacks come from a directory (the PR gate)."""


def _base_from_git(
    repo: Path, rev: str, fleet_path: Path, started: Synth | None, say: Callable[[str], None] | None
) -> tuple[Stacks, Stacks | None, Fleet | None, str, list[str]]:
    """The base side from git, synthesized while the head's synth (`started`) runs."""
    relative = _relative(repo, fleet_path, rev)
    sha = resolve(repo, rev)
    label = f"`{rev}` ({sha[:12]})"
    with worktree(repo, sha) as tree:
        base_file = tree / relative
        if not base_file.is_file():
            head_stacks = wait_for([started], say)[0] if started else None
            return {}, head_stacks, None, label, [f"{relative} does not exist at {rev}: every stack is new"]
        base_synth = start_synth(tree, relative, f"--base {rev} ({relative})")
        stacks = wait_for([base_synth, *([started] if started else [])], say)
        base_stacks, head_stacks = stacks[0], (stacks[1] if started else None)
        try:
            return base_stacks, head_stacks, load_fleet(base_file), label, []
        except FleetError as err:
            first = err.problems[0] if err.problems else "invalid"
            note = (
                f"{relative} at {rev} does not load with this version's fleet schema ({first}); "
                "every generation stack in base counts as live"
            )
            return base_stacks, head_stacks, None, label, [note]


def collect(
    base: str,
    head: str | None,
    fleet: str | None,
    base_fleet_file: str | None,
    repo: Path,
    say: Callable[[str], None] | None = None,
) -> Sides:
    """Both sides of a diff, each synthesized at most once, both at once; `say` hears progress."""
    fleet_path = repo / (fleet or default_fleet())  # relative to the repository synthesized
    head_fleet = None
    if head is None or fleet is not None:
        head_fleet = load_fleet(fleet_path)  # one clear message before seconds of synth

    if base_fleet_file and not Path(base).is_dir():
        raise SourceError(
            f"--base-fleet goes with a --base directory; at --base {base} the fleet file is read from git"
        )
    if not Path(base).is_dir():
        _relative(repo, fleet_path, base), resolve(repo, base)  # a bad base says so before any synth
    # The head's synth starts first and runs while the base is checked out and synthesized.
    started = None if head is not None else start_synth(repo, str(fleet_path), f"the working tree ({fleet_path})")
    notes: list[str] = []
    head_stacks: Stacks | None = None
    try:
        if Path(base).is_dir():
            base_stacks = read_outdir(Path(base))
            known = load_fleet(base_fleet_file) if base_fleet_file else None
            base_label = f"`{base}`"
            if known is None:
                notes.append("no --base-fleet: every generation stack in base counts as live")
            head_stacks = wait_for([started], say)[0] if started else None
        else:
            base_stacks, head_stacks, known, base_label, notes = _base_from_git(repo, base, fleet_path, started, say)
    finally:
        if started is not None and started.proc.poll() is None:  # an error on the base side
            started.proc.kill()
            started.proc.wait()
            shutil.rmtree(started.out, ignore_errors=True)

    if head is not None:
        head_stacks, head_label = read_outdir(Path(head)), f"`{head}`"
    else:
        head_label = "the working tree"
    assert head_stacks is not None
    gate_files: list[str] = []
    if not Path(base).is_dir():
        changed = git(repo, "diff", "--name-only", resolve(repo, base)).splitlines()
        changed += git(repo, "ls-files", "--others", "--exclude-standard").splitlines()
        gate_files = gate_affecting(sorted(set(changed)))
    return Sides(base_stacks, head_stacks, known, head_fleet, base_label, head_label, notes, gate_files)

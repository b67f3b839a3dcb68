"""Read the fleet file named by $FLEET (`fleet.model.load.default_fleet`), build its stacks, synthesize them.

A bad fleet file ends in one message per mistake and exit code 2, before anything is written.
The synthesized tree is built beside the output directory and swapped in only when complete,
so a failed synth never leaves a half-written cdktf.out/. Under the cdktf CLI the directory of a
stack that left the fleet is handed over in the new tree for the CLI to delete (`_swap_in`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from fleet.model.load import FleetError, default_fleet, load_fleet
from fleet.model.warnings import warnings

DEFAULT_OUTDIR = "cdktf.out"


def synthesize(fleet_path: str, outdir: Path) -> None:
    fleet = load_fleet(fleet_path)  # validated before jsii starts
    for warning in warnings(fleet):
        print(f"{fleet_path}: warning: {warning}", file=sys.stderr)

    # The bindings load only for a valid fleet, and only the submodules the stacks use
    # (stacks/bindings.py, when the package `stacks` is imported).
    from cdktf import App

    from fleet.versions import today
    from stacks.app import build

    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
    try:
        app = App(outdir=str(staging), skip_validation=False)
        build(app, fleet, today())
        app.synth()
        _refuse_error_annotations(staging)
        _swap_in(staging, outdir, leave_removed_stacks=_run_by_cdktf_cli())
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class SynthError(Exception):
    """The app synthesized, but with error annotations (a failed validation)."""


def _refuse_error_annotations(staging: Path) -> None:
    """The cdktf CLI sets CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS, so under it `app.synth()`
    writes the stacks even when a validation failed, and the CLI fails afterwards. Such a synth
    is a failed one: refuse it before anything is swapped in."""
    manifest = json.loads((staging / "manifest.json").read_text())
    errors = [
        f"[{note['constructPath']}] {note['message']}"
        for stack in manifest.get("stacks", {}).values()
        for note in stack.get("annotations", [])
        if note.get("level") == "@cdktf/error"
    ]
    if errors:
        raise SynthError("; ".join(errors))


def _run_by_cdktf_cli() -> bool:
    """True when `cdktf synth/diff/deploy/destroy` runs this app. Before it runs the app, the CLI
    lists the directories in `<outdir>/stacks/`; afterwards it deletes each one the new manifest
    does not name, with `fs.rmSync(dir, {recursive: true})` - no `force`, so a directory that is
    already gone fails the command with ENOENT (cdktf-cli 0.21, @cdktf/cli-core
    `SynthStack.synth`). The same function passes `cdktfRelativeModules` in CDKTF_CONTEXT_JSON,
    which is how this app tells it runs under the CLI."""
    try:
        context = json.loads(os.environ.get("CDKTF_CONTEXT_JSON") or "{}")
    except ValueError:
        return False
    return isinstance(context, dict) and "cdktfRelativeModules" in context


KEPT = (".terraform", ".terraform.lock.hcl")
"""What terraform left in a stack's directory (providers, lock file) survives a re-synth."""


def _swap_in(staging: Path, outdir: Path, *, leave_removed_stacks: bool = False) -> None:
    """Replace `outdir` with the complete tree in `staging`, in two renames.

    Each stack that is still in the fleet keeps its `KEPT` entries. The directory of a stack
    that left the fleet goes with the old tree, unless `leave_removed_stacks`: then it is moved
    into the new tree as it was, for the cdktf CLI to delete (see `_run_by_cdktf_cli`); it is not
    in the new manifest, so nothing runs it."""
    old = None
    if outdir.exists():
        old_stacks, new_stacks = outdir / "stacks", staging / "stacks"
        for stack_dir in sorted(old_stacks.iterdir()) if old_stacks.is_dir() else ():
            if stack_dir.is_symlink() or not stack_dir.is_dir():
                continue  # the CLI lists directories only (lstat)
            target = new_stacks / stack_dir.name
            if target.is_dir():
                for kept in KEPT:
                    if (stack_dir / kept).exists() or (stack_dir / kept).is_symlink():
                        (stack_dir / kept).rename(target / kept)
            elif leave_removed_stacks:
                new_stacks.mkdir(exist_ok=True)
                stack_dir.rename(target)
        old = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.old.", dir=outdir.parent))
        old.rmdir()
        outdir.rename(old)
    staging.rename(outdir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """`--summary` (what `make synth` passes): also say on stdout which fleet file went into which
    stacks, so nothing but this module and fleet/model/load.py knows the defaults."""
    summary = (sys.argv[1:] if argv is None else argv) == ["--summary"]
    fleet_path = default_fleet()
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or DEFAULT_OUTDIR)
    try:
        synthesize(fleet_path, outdir)
    except FleetError as err:
        print(err, file=sys.stderr)  # one line per mistake, each naming its field; nothing is written
        return 2
    except Exception as err:  # a jsii error carries a JavaScript stack nobody can act on
        if os.environ.get("EPHEMERAL_EKS_DEBUG"):
            raise
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"{fleet_path}: synth failed: {first}", file=sys.stderr)
        print("nothing was written; EPHEMERAL_EKS_DEBUG=1 shows the full trace", file=sys.stderr)
        return 1
    if summary:
        stacks = sorted(json.loads((outdir / "manifest.json").read_text())["stacks"])
        print(f"synthesized {fleet_path} into {outdir / 'stacks'}/: {' '.join(stacks)}")
    return 0


def _exit_now(code: int) -> None:
    """Leave without tearing down the interpreter and the jsii runtime: that teardown (thousands
    of binding modules, the node child) costs seconds and saves nothing - every file is written
    and closed by now, and the node child exits when its stdin closes."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit_now(main())

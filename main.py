"""Read the fleet file named by $FLEET (default fleet.yaml), build its stacks, synthesize them.

A bad fleet file ends in one message per mistake and exit code 2, before anything is written.
The synthesized tree is built beside the output directory and swapped in only when complete,
so a failed synth never leaves a half-written cdktf.out/.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from fleet.load import FleetError, default_fleet, load_fleet

DEFAULT_OUTDIR = "cdktf.out"


def synthesize(fleet_path: str, outdir: Path) -> None:
    fleet = load_fleet(fleet_path)  # validated before jsii starts
    for warning in fleet.support_warnings():
        print(f"{fleet_path}: warning: {warning}", file=sys.stderr)

    from cdktf import App  # the bindings load only for a valid fleet

    from stacks.app import build

    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
    try:
        app = App(outdir=str(staging), skip_validation=False)
        build(app, fleet)
        app.synth()
        _swap_in(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


KEPT = (".terraform", ".terraform.lock.hcl")
"""What terraform left in a stack's directory (providers, lock file) survives a re-synth."""


def _swap_in(staging: Path, outdir: Path) -> None:
    old = None
    if outdir.exists():
        for kept in sorted((outdir / "stacks").glob(f"*/{KEPT[0]}*")):
            stack_dir = staging / "stacks" / kept.parent.name
            if kept.name in KEPT and stack_dir.is_dir():
                kept.rename(stack_dir / kept.name)
        old = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.old.", dir=outdir.parent))
        old.rmdir()
        outdir.rename(old)
    staging.rename(outdir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def main() -> int:
    fleet_path = default_fleet()
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or DEFAULT_OUTDIR)
    try:
        synthesize(fleet_path, outdir)
    except FleetError as err:
        print(err, file=sys.stderr)
        print("nothing was synthesized; fix the fleet file and run again", file=sys.stderr)
        return 2
    except Exception as err:  # a jsii error carries a JavaScript stack nobody can act on
        if os.environ.get("EPHEMERAL_EKS_DEBUG"):
            raise
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"{fleet_path}: synth failed: {first}", file=sys.stderr)
        print("nothing was written; EPHEMERAL_EKS_DEBUG=1 shows the full trace", file=sys.stderr)
        return 1
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

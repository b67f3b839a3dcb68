"""The two ways tests run the `fleet` command: a child process, as a user or a workflow runs it
(`run_fleet`), or its `main` in this process (`fleet_here`) - the same function `python -m fleet`
calls, without an interpreter's start and imports for each of hundreds of runs."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from support.paths import ROOT


def fleet_command(*args: str | Path) -> list[str]:
    """The argv of `python -m fleet ARGS` with this interpreter (for a test that drives the process itself)."""
    return [sys.executable, "-m", "fleet", *map(str, args)]


def run_fleet(
    *args: str | Path,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`python -m fleet ARGS` in `cwd` (the repository by default), the repository importable from
    anywhere; `env` replaces the environment (the test session's when None). Text out, never raises
    on a non-zero exit: the exit code is part of what the tests check."""
    environment = dict(os.environ if env is None else env)
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        fleet_command(*args),
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def fleet_here(*args: str | Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`fleet ARGS` through `fleet.cli.main` in this process, its output captured; `env` replaces
    the environment for the call (put back after). What `run_fleet` gives, exit code and all: an
    argument argparse refuses is its exit 2 and its message."""
    from fleet.cli import main

    saved = dict(os.environ)
    out, err = io.StringIO(), io.StringIO()
    try:
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as done:  # argparse's refusal
                code = done.code if isinstance(done.code, int) else 1
    finally:
        if env is not None:
            os.environ.clear()
            os.environ.update(saved)
    return subprocess.CompletedProcess(["fleet", *map(str, args)], code, out.getvalue(), err.getvalue())

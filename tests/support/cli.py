"""The one way tests run the `fleet` command: a child process, as a user or a workflow runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from support.paths import ROOT


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
        [sys.executable, "-m", "fleet", *map(str, args)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )

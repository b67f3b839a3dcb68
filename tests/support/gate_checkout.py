"""The PR gate's `phases` step, run as pr.yml runs it: a throwaway checkout of the project (the
fleet package, the entry point, the examples), the step's command read from the workflow (only
`pipenv run python` becomes this interpreter), and a run of it that returns what it wrote.
Read by tests/test_gate_base_rules.py and tests/test_shift_plan.py."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from support.paths import ROOT

PR = ROOT / ".github" / "workflows" / "pr.yml"
EXAMPLE = ROOT / "examples" / "target-swap-1-provisioning.yaml"


def phases_command() -> str:
    """The line of pr.yml's `phases` step that runs `fleet validate` and `fleet plan --base`, and
    the directory it runs in (the step's `cd` before it)."""
    job = yaml.safe_load(PR.read_text())["jobs"]["phases"]
    (step,) = [s for s in job["steps"] if s.get("id") == "phases"]
    lines = [line.strip() for line in step["run"].splitlines()]
    (command,) = [line for line in lines if "python -m fleet plan" in line]
    assert lines.index("cd .gate-base") < lines.index(command), "the command runs in the base checkout"
    assert "pipenv run python -m fleet plan ../head/fleet.yaml --base fleet.yaml" in command
    return command.replace("pipenv run python", shlex.quote(sys.executable))


def checkout(path: Path) -> Path:
    """The files the phase check reads: the fleet package, the entry point and the examples."""
    path.mkdir()
    shutil.copytree(ROOT / "fleet", path / "fleet", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("main.py", "cdktf.json"):
        shutil.copy2(ROOT / name, path / name)
    shutil.copytree(ROOT / "examples", path / "examples")
    shutil.copy2(EXAMPLE, path / "fleet.yaml")
    return path


def run(command: str, cwd: Path) -> tuple[int, str]:
    """Run the command as the step does (bash -e); it writes its output to ../phases.txt."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTHONPATH", "FLEET")}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = (cwd.parent / "phases.txt").read_text()
    (cwd.parent / "phases.txt").unlink()
    return done.returncode, output

"""The command line: one argument order for every command, one way errors end, and `pipenv run fleet`."""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import subprocess

import pytest

from fleet.cli import COMMANDS, SUBJECTS, parser
from fleet.errors import FleetFailure
from support.cli import run_fleet
from support.paths import ROOT


def _positionals(name: str) -> list[argparse.Action]:
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return [a for a in sub.choices[name]._actions if not a.option_strings]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_names_its_subject_first_and_the_fleet_file_last_and_optional(name):
    positionals = _positionals(name)
    subject = SUBJECTS.get(name)
    assert [a.dest for a in positionals] == ([subject] if subject else []) + ([] if name == "diff" else ["file"])
    if name != "diff":
        assert positionals[-1].nargs == "?", "FILE is optional: $FLEET, then fleet.yaml"


@pytest.mark.parametrize("name", sorted(SUBJECTS))
def test_the_order_before_one_order_is_one_line_naming_the_order(name):
    done = run_fleet(name, "examples/steady.yaml", "target-blue")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"fleet {name}: 'examples/steady.yaml' is a fleet file, not a {SUBJECTS[name]}: "
        f"the order is `fleet {name} {SUBJECTS[name].upper()} [FILE]`"
    )


NOT_REPORTED = {
    "CheckFailed": "a check's outcome: fleet check prints it as one failed line and exits 1 itself",
    "FormatError": "a pydantic validator's ValueError: it reaches the user inside a FleetError",
    "_Refused": "a YAML loader error: it reaches the user inside a FleetError",
    "RolledBack": "the shift's own outcome: fleet shift reports it and exits 1 itself",
    "Cancelled": "a signal inside the shift: it rolls back, then reports",
    "QueryFailed": "a check's query failing: the period is judged failed, not the command",
}
"""Exception classes of fleet/ that never reach fleet.cli.main, each with where it ends instead."""


def test_every_error_a_command_reports_shares_one_base_with_an_exit_code():
    """fleet.cli.main catches FleetFailure only: any other exception class in fleet/ that reached it
    would be a traceback. Every class defined in fleet/ is a FleetFailure or says where it ends."""
    import ast

    from support.paths import ROOT

    defined: dict[str, str] = {}
    for path in sorted((ROOT / "fleet").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name)
                and b.id.endswith(("Exception", "Error", "Failure", "Refused", "Waits"))
                or isinstance(b, ast.Attribute)
                and b.attr.endswith("Error")
                for b in node.bases
            ):
                defined[node.name] = str(path.relative_to(ROOT))
    assert "FleetError" in defined and "PipelineRefused" in defined
    for name, where in defined.items():
        module = importlib.import_module(where.removesuffix(".py").replace("/", "."))
        cls = getattr(module, name)
        if name in NOT_REPORTED or cls is FleetFailure:
            continue
        assert issubclass(cls, FleetFailure), f"{where}: {name} is not a FleetFailure (or add it to NOT_REPORTED)"
        assert isinstance(cls.exit_code, int) and 1 <= cls.exit_code <= 3, name


@pytest.mark.parametrize("command", ["plan", "step", "next"])
def test_a_weight_step_list_the_planner_refuses_is_one_line_and_exit_2(command):
    base = ["--base", "examples/steady.yaml"] if command == "step" else []
    done = run_fleet(command, "examples/target-swap-1-provisioning.yaml", *base, "--weight-steps", "100")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "weight steps must rise strictly" in done.stderr


@pytest.mark.skipif(shutil.which("pipenv") is None, reason="pipenv is not on PATH (make deps installs it)")
def test_pipenv_run_fleet_is_the_command_line():
    env = {**os.environ, "PIPENV_VENV_IN_PROJECT": "1", "PIPENV_VERBOSITY": "-1"}
    done = subprocess.run(
        ["pipenv", "run", "fleet", "validate", "examples/steady.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "examples/steady.yaml: valid"

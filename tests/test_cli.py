"""The command line: one argument order for every command, one way errors end, and `pipenv run fleet`."""

from __future__ import annotations

import argparse
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


def test_every_error_a_command_raises_shares_one_base_with_an_exit_code():
    """The handler in fleet.cli catches FleetFailure only: an error class outside it would be a traceback."""
    import fleet.gate.sources
    import fleet.model.load
    import fleet.ops.next_step
    import fleet.ops.pipeline
    import fleet.ops.shift_record

    def subclasses(cls: type) -> set[type]:
        return {cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))}

    raised = subclasses(FleetFailure)
    for error in (fleet.model.load.FleetError, fleet.gate.sources.SourceError):
        assert error in raised
    assert all(isinstance(cls.exit_code, int) and 1 <= cls.exit_code <= 3 for cls in raised)


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

"""A PR which loosens the phase rules is still judged by the base's rules.

pr.yml's `phases` job checks out the PR (`head/`) and the base branch (`.gate-base/`) and runs the
phase check from the base checkout, reading the PR's fleet file as data. Here two throwaway
checkouts stand in for them: the base as the project is, and a head whose `fleet/lifecycle.py`
allows provisioning -> serving and whose fleet file makes exactly that jump. The command is the one
pr.yml runs, read from the workflow (only `pipenv run python` becomes this interpreter).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from support.gate_checkout import EXAMPLE, checkout, phases_command, run

ALLOWED = "PROVISIONING: frozenset({REGISTERED, DESTROYED}),"
LOOSENED = "PROVISIONING: frozenset({REGISTERED, SERVING, DESTROYED}),"
REFUSAL = "../head/fleet.yaml: refused: services.web.targets.green: provisioning -> serving skips registered"


def loosen(path: Path) -> None:
    """The PR's one-line change to the rules: provisioning -> serving becomes an allowed move."""
    lifecycle = path / "fleet" / "lifecycle.py"
    text = lifecycle.read_text()
    assert text.count(ALLOWED) == 1, "fleet/lifecycle.py no longer holds the rule this test loosens"
    lifecycle.write_text(text.replace(ALLOWED, LOOSENED))


def jump_to_serving(path: Path) -> None:
    """green goes provisioning -> serving with 10% of the traffic, blue keeps 90%."""
    data = yaml.safe_load((path / "fleet.yaml").read_text())
    targets = data["services"]["web"]["targets"]
    assert (targets["green"]["phase"], targets["blue"]["phase"]) == ("provisioning", "serving")
    targets["green"].update(phase="serving", weight=10)
    targets["blue"].update(weight=90)
    (path / "fleet.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    base = checkout(tmp_path / "base")
    head = checkout(tmp_path / "head")
    loosen(head)
    jump_to_serving(head)
    assert (base / "fleet.yaml").read_text() == EXAMPLE.read_text()
    return tmp_path


def test_the_base_checkout_refuses_the_jump_the_pr_allowed_itself(workspace):
    code, output = run(phases_command(), workspace / "base")
    assert code == 2, output
    assert "../head/fleet.yaml: valid" in output, "validate passes: only the phase rules refuse"
    refusals = [line for line in output.splitlines() if ": refused: " in line]
    assert len(refusals) == 1 and refusals[0].startswith(REFUSAL), output


def test_the_same_command_passes_where_the_prs_rules_run(workspace):
    """The control: the PR's code in the base checkout's place (the base's fleet file, the same
    judged file and command) lets the jump through, so the refusal above comes from the code in
    the directory the command runs in, and this test file can fail."""
    gate = workspace / "gate-with-the-prs-code"
    shutil.copytree(workspace / "head", gate)
    shutil.copy2(workspace / "base" / "fleet.yaml", gate / "fleet.yaml")
    assert (gate / "fleet" / "lifecycle.py").read_text() != (workspace / "base" / "fleet" / "lifecycle.py").read_text()
    code, output = run(phases_command(), gate)
    assert code == 0, output
    assert "refused" not in output


def test_the_head_checkout_is_the_only_difference(workspace):
    """Between base and head: the loosened rule and the fleet file, nothing else."""
    base, head = workspace / "base", workspace / "head"
    differ = sorted(
        str(p.relative_to(head))
        for p in head.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.read_bytes() != (base / p.relative_to(head)).read_bytes()
    )
    assert differ == ["fleet.yaml", "fleet/lifecycle.py"]

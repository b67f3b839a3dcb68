"""Session fixtures: each fleet file is synthesized once per test session (a synth costs ~15 s)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import stacks  # noqa: F401  (the provider bindings load lazily for every test: stacks/bindings.py)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_SCHEMAS = ROOT.parent / "shared" / "schemas"

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
TODAY = "2026-11-27"
os.environ["EPHEMERAL_EKS_TODAY"] = TODAY
"""EKS support dates move with the calendar: every test (and every command it runs) sees this day."""
os.environ.pop("EPHEMERAL_EKS_AWS_ENDPOINT", None)  # the emulator option would change every synthesized stack
os.environ.pop("CI", None)
"""CI runners set `CI`, which makes `fleet action`/`fleet step` refuse local state: the example fleets
use local state, so tests run as on a workstation and the tests of that refusal set `CI` themselves."""

Stacks = dict[str, dict[str, Any]]


class Synth:
    """Synthesize fleet files into a session temp dir; each file at most once."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._done: dict[Path, Path] = {}

    def outdir(self, fleet: str | Path) -> Path:
        path = (ROOT / fleet).resolve()
        if path not in self._done:
            from main import synthesize  # imports cdktf and the bindings once per session

            out = self.base / f"{len(self._done):02d}-{path.stem}"
            synthesize(str(path), out)
            self._done[path] = out
        return self._done[path]

    def __call__(self, fleet: str | Path) -> Stacks:
        stacks_dir = self.outdir(fleet) / "stacks"
        return {d.name: json.loads((d / "cdk.tf.json").read_text()) for d in sorted(stacks_dir.iterdir())}


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return Synth(tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="session")
def steady(synth: Synth) -> Stacks:
    return synth("examples/steady.yaml")


@pytest.fixture(scope="session")
def hub_swap(synth: Synth) -> Stacks:
    return synth("examples/hub-swap.yaml")


@pytest.fixture(scope="session")
def target_swap(synth: Synth) -> Stacks:
    return synth("examples/target-swap.yaml")


@pytest.fixture(scope="session")
def two_services(synth: Synth) -> Stacks:
    """Services web (target blue) and api (apiblue serving, apigreen registered; its apps a chart
    and a Git path), each with its own ALB, on hub blue: the one example whose argocd-apps release
    carries more than one project."""
    return synth("examples/two-services.yaml")


@pytest.fixture(scope="session")
def derived_fleet(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Write a fleet file derived from an example by a function of its parsed YAML."""
    import yaml

    base = tmp_path_factory.mktemp("fleets")

    def make(example: str, name: str, edit: Callable[[dict[str, Any]], None]) -> Path:
        data = yaml.safe_load((ROOT / example).read_text())
        edit(data)
        path = base / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return make


def resources(stack: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return stack.get("resource", {}).get(kind, {})


def only(stack: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(stack, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.values()))


def which(tool: str) -> str | None:
    return shutil.which(tool)


SLOW_MARKERS = ("lifecycle", "fuzz", "terraform", "checkov")
"""Families that run real tools or many synths: all of them are `slow`."""
SLOW_MODULES = ("test_bench.py", "test_cdktf_cli.py", "test_pipeline.py", "test_platform_versions.py")
"""Modules measured above ~30 s on their own (`pytest --durations=60`, see CONTRIBUTING.md)."""
SLOW_TESTS = (
    "test_the_gate_synthesizes_through_the_entry_point_the_deploy_runs",
    "test_git_base_revision",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tests `slow`, so `pytest -m "not slow"` is a loop of a few minutes."""
    for item in items:
        if (
            any(item.get_closest_marker(m) for m in SLOW_MARKERS)
            or item.path.name in SLOW_MODULES
            or item.originalname in SLOW_TESTS
        ):
            item.add_marker(pytest.mark.slow)

"""Session fixtures: each fleet file is synthesized once per test session (a synth costs ~15 s)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import stacks  # noqa: F401  (the provider bindings load lazily for every test: stacks/bindings.py)
from support.paths import ROOT
from support.synth import Stacks, Synth

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
TODAY = "2026-11-27"
os.environ["EPHEMERAL_EKS_TODAY"] = TODAY
"""EKS support dates move with the calendar: every test (and every command it runs) sees this day."""
os.environ.pop("EPHEMERAL_EKS_AWS_ENDPOINT", None)  # the emulator option would change every synthesized stack
os.environ.pop("CI", None)
"""CI runners set `CI`, which makes `fleet action`/`fleet step` refuse local state: the example fleets
use local state, so tests run as on a workstation and the tests of that refusal set `CI` themselves."""


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

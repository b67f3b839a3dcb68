"""Platform software is versioned per generation, like its Kubernetes version: a bump of the
fleet-level chart versions reaches new generations only; a live generation keeps what it was
born with (its pin), and a change of that pin is refused on a live generation."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.gate.diff import diff_stacks
from fleet.gate.guard import refusals as guard_refusals
from fleet.model.load import load_fleet

TARGET_SWAP = "examples/target-swap.yaml"


def _pinned(data: dict[str, Any]) -> None:
    """Every generation pinned to what the fleet-level versions say today."""
    for hub in data["hubs"].values():
        hub.update(argocd_chart=data["argocd"]["chart_version"], apps_chart=data["argocd"]["apps_chart_version"])
    for service in data["services"].values():
        for target in service["targets"].values():
            target["lbc_chart"] = data["load_balancer_controller"]["chart_version"]


def _bumped(data: dict[str, Any]) -> None:
    _pinned(data)
    data["argocd"].update(chart_version="9.0.0", apps_chart_version="2.1.0")
    data["load_balancer_controller"]["chart_version"] = "2.0.0"


@pytest.fixture(scope="module")
def sides(synth, derived_fleet):
    pinned = derived_fleet(TARGET_SWAP, "versions-pinned", _pinned)
    bumped = derived_fleet(TARGET_SWAP, "versions-bumped", _bumped)
    return synth(TARGET_SWAP), synth(pinned), synth(bumped), pinned, bumped


def test_pins_of_todays_versions_change_no_stack(sides):
    today, pinned, *_ = sides
    assert pinned == today


def test_a_bump_of_the_fleet_defaults_leaves_every_pinned_stack_byte_identical(sides):
    _, pinned, bumped, *_ = sides
    assert set(pinned) == set(bumped)
    for stack_id in pinned:
        assert bumped[stack_id] == pinned[stack_id], stack_id


def test_a_new_generation_takes_the_new_defaults(synth, derived_fleet):
    def add_standby_hub(data: dict[str, Any]) -> None:
        _bumped(data)
        data["hubs"]["green"] = {"kubernetes_version": "1.36", "phase": "standby"}

    stacks = synth(derived_fleet(TARGET_SWAP, "versions-new-hub", add_standby_hub))
    versions = {
        release["chart"]: release["version"]
        for release in stacks["argocd-green"]["resource"]["helm_release"].values()
        if "version" in release
    }
    assert versions == {"argo-cd": "9.0.0", "argocd-apps": "2.1.0"}


def test_a_pin_change_on_a_live_generation_is_refused_with_the_way_out(sides, synth, derived_fleet):
    _, pinned, _, pinned_file, _ = sides

    def upgrade_in_place(data: dict[str, Any]) -> None:
        _pinned(data)
        data["services"]["web"]["targets"]["blue"]["lbc_chart"] = "2.0.0"

    head_file = derived_fleet(TARGET_SWAP, "versions-in-place", upgrade_in_place)
    head = synth(head_file)
    refusals = guard_refusals(diff_stacks(pinned, head), pinned, head, load_fleet(pinned_file), load_fleet(head_file))
    assert [(r.stack, r.phase) for r in refusals] == [("target-blue", "serving")]
    assert "version" in refusals[0].happens
    assert refusals[0].way.startswith("add a new generation with this change instead")

"""Merge is the deploy: for every example transition, the stacks the pipeline deploys or destroys,
in order, and the checks after them (`python -m fleet step`, which the deploy workflow runs)."""

from __future__ import annotations

import os

import pytest

from fleet.gate.comment import render_stacks
from fleet.gate.diff import diff_stacks
from fleet.model.load import load_fleet
from fleet.ops.pipeline import LOCAL_STATE, PipelineRefused, merged_step, stack_action
from support.cli import run_fleet
from support.paths import ROOT
from support.transitions import CHECK, TRANSITIONS


def _step(synth, base: str, head: str):
    before, after = synth(f"examples/{base}.yaml"), synth(f"examples/{head}.yaml")
    changed = render_stacks(diff_stacks(before, after)).split()
    step = merged_step(
        load_fleet(ROOT / f"examples/{base}.yaml"), load_fleet(ROOT / f"examples/{head}.yaml"), changed, (50, 100)
    )
    return [f"{run.action} {run.name}" for run in step.runs], list(step.checks)


@pytest.mark.parametrize("transition", sorted(TRANSITIONS), ids=lambda t: f"{t[0]}->{t[1]}")
def test_a_merge_deploys_its_step_in_order_then_checks_it(synth, transition):
    assert _step(synth, *transition) == TRANSITIONS[transition]


def test_an_app_change_deploys_the_hubs_and_checks_every_registered_target(synth, derived_fleet):
    """Values, chart or revision: the hubs redeploy the ApplicationSets, and the pipeline waits
    for ArgoCD to sync each live generation and its target group to stay healthy."""
    head = derived_fleet(
        "examples/target-swap.yaml",
        "app-values-change",
        lambda d: d["services"]["web"]["apps"]["podinfo"].update(values={"replicaCount": 3}),
    )
    base = synth("examples/target-swap.yaml")
    changed = render_stacks(diff_stacks(base, synth(head))).split()
    step = merged_step(load_fleet(ROOT / "examples/target-swap.yaml"), load_fleet(head), changed)
    assert [f"{run.action} {run.name}" for run in step.runs] == ["deploy argocd-blue"]
    assert step.checks == (f"{CHECK} target-blue", f"{CHECK} target-green")


def test_local_state_is_refused_on_a_ci_runner(monkeypatch):
    fleet = load_fleet(ROOT / "examples/steady.yaml")
    assert stack_action(fleet, "shared") == "deploy"
    monkeypatch.setenv("CI", "true")
    with pytest.raises(PipelineRefused, match="state: local state lives on the runner"):
        stack_action(fleet, "shared")
    done = run_fleet("action", "target-blue", "examples/steady.yaml", env={**os.environ, "CI": "true"})
    assert (done.returncode, done.stderr.strip()) == (2, LOCAL_STATE)

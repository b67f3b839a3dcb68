"""One PR, one shift: with `services.<svc>.traffic.shift` the planner asks for one traffic PR (the
last weight step's edit) run by `python -m fleet shift <svc>`; the PR gate accepts exactly that
move and nothing else in the same PR; the merge pipeline runs the shift instead of `cdktf deploy
shared`. Without `shift` everything is as before (tests/test_planner.py, tests/test_pipeline.py).

examples/target-swap-shift-0-ready.yaml is examples/target-swap.yaml with `shift` set (green
registered at weight 0); examples/target-swap-shift.yaml is the same fleet after the shift's PR.
"""

from __future__ import annotations

import copy
import subprocess

import pytest

from fleet.gate.comment import render_stacks
from fleet.gate.diff import diff_stacks
from fleet.gate.guard import refusals
from fleet.gate.phases import transition_refusals
from fleet.model import Fleet
from fleet.model.load import load_fleet
from fleet.ops.edits import apply_edit, fleet_data
from fleet.ops.pipeline import Run, merged_step
from fleet.ops.planner import plan
from fleet.ops.shift_record import ShiftRecord, file_weights
from fleet.ref import Section
from support.cli import run_fleet
from support.gate_checkout import checkout, phases_command, run
from support.paths import EXAMPLES

READY, MID = "target-swap-shift-0-ready", "target-swap-shift"
WEB = Section.targets("web")
SHIFT_WEB = "python -m fleet shift web"
FINAL = {"green": {"phase": "serving", "weight": 100}, "blue": {"phase": "registered", "weight": 0}}
"""The shift's PR: today's 100% step (green serving with all the traffic, blue registered at 0)."""


def example(name: str) -> Fleet:
    return load_fleet(EXAMPLES / f"{name}.yaml")


def changed(name: str, change) -> Fleet:
    """An example with `change` applied to its data (a dict of the fleet file)."""
    data = copy.deepcopy(fleet_data(example(name)))
    change(data)
    return Fleet.model_validate(data)


def without_shift(data: dict) -> None:
    data["services"]["web"]["traffic"]["shift"] = None


def shifted(data: dict) -> None:
    """The shift's PR on the data: green takes all of web's traffic, blue stays registered at 0."""
    for name, fields in FINAL.items():
        data["services"]["web"]["targets"][name].update(fields)


def weight_steps(steps) -> list:
    return [s for s in steps if s.edit and any("weight" in (c or {}) for c in s.edit.get(WEB, {}).values())]


# --- the planner -------------------------------------------------------------------------------


def test_the_examples_differ_from_the_target_swap_by_the_shift_and_the_prs_weights():
    assert fleet_data(changed(READY, without_shift)) == fleet_data(example("target-swap"))
    assert fleet_data(changed(MID, without_shift)) == fleet_data(example("target-swap-4-drained"))
    assert fleet_data(apply_edit(example(READY), {WEB: FINAL})) == fleet_data(example(MID))


def test_a_shifted_service_moves_its_traffic_in_one_pr_run_by_fleet_shift():
    (step,) = weight_steps(plan(example(READY)))
    assert step.edit == {WEB: FINAL}
    assert step.commands == (SHIFT_WEB,), "the shift applies shared itself, step by step"
    assert step.checks == ("python -m fleet check target-green",)
    assert "5%, 25%, 50%, 100%" in step.title
    assert "applies the weights live before it started" in step.rollback
    assert "revert this PR (blue back to serving with its weights, green registered at weight 0)" in step.rollback


def test_the_shifts_edit_is_the_last_weight_step_of_the_plan_without_shift():
    before = weight_steps(plan(example("target-swap")))
    assert len(before) == 3 and all(s.commands == ("cdktf deploy shared",) for s in before)
    (step,) = weight_steps(plan(example(READY)))
    assert apply_edit(example(READY), step.edit) == apply_edit(
        apply_edit(apply_edit(example(READY), before[0].edit), before[1].edit), before[2].edit
    )


def test_without_shift_the_plan_is_as_today():
    assert plan(changed(READY, without_shift)) == plan(example("target-swap"))


def test_every_other_step_is_the_same_with_and_without_shift():
    ours = [s for s in plan(example(READY)) if s not in weight_steps(plan(example(READY)))]
    theirs = [s for s in plan(example("target-swap")) if s not in weight_steps(plan(example("target-swap")))]
    assert ours == theirs


def test_a_new_services_first_generation_opens_at_100_with_deploy_shared():
    """Nothing to shift from: the service opens in one step, as without `shift`."""

    def only_green(data: dict) -> None:
        del data["services"]["web"]["targets"]["blue"]

    (step,) = weight_steps(plan(changed(READY, only_green)))
    assert step.title == "Open service web: send all its traffic to green"
    assert step.commands == ("cdktf deploy shared",)


def test_mid_shift_the_settle_step_runs_the_shift_before_shared():
    """After the shift's PR merged, re-running its deploy is the shift (it finds nothing left to
    move once it finished), never a plain `cdktf deploy shared` of the new weights first."""
    settle = plan(example(MID))[0]
    assert settle.edit is None
    assert settle.commands[:2] == (SHIFT_WEB, "cdktf deploy shared")
    assert SHIFT_WEB not in plan(example(READY))[0].commands, "before the PR there is nothing to shift"
    assert SHIFT_WEB not in plan(example("target-swap-4-drained"))[0].commands


# --- the PR gate ------------------------------------------------------------------------------


def test_the_gate_accepts_the_shifts_pr():
    assert transition_refusals(example(READY), example(MID)) == []


def test_the_gate_accepts_the_revert_of_a_shift():
    """After a rollback, `fleet shift` prints the revert edit: that PR must pass."""
    assert transition_refusals(example(MID), example(READY)) == []


def test_the_gate_refuses_the_jump_without_shift():
    reasons = transition_refusals(example("target-swap"), example("target-swap-4-drained"))
    assert len(reasons) == 2
    assert reasons[0].startswith("2 phase changes in one PR")
    assert reasons[1].startswith("services.web.targets.green.weight: 0 -> 100 sends 100% of web's traffic")


def test_the_gate_refuses_adding_shift_and_jumping_in_one_pr():
    """The head's shift decides, and nothing else may change: a shift PR's rules were merged first."""
    (reason,) = transition_refusals(example("target-swap"), example(MID))
    assert reason.startswith("services.web.traffic.shift: this PR moves web's traffic to its final weights")
    assert "also changes services.web.traffic.shift;" in reason
    assert reason.endswith("set traffic.shift in a PR of its own first, then move the weights")


def test_the_gate_refuses_removing_shift_and_jumping_in_one_pr():
    reasons = transition_refusals(example(READY), example("target-swap-4-drained"))
    assert len(reasons) == 2 and reasons[0].startswith("2 phase changes in one PR")


@pytest.mark.parametrize(
    ("what", "change", "path"),
    [
        (
            "node count",
            lambda d: d["services"]["web"]["targets"]["green"]["nodes"].update(desired_size=4),
            "services.web.targets.green.nodes.desired_size",
        ),
        (
            "a looser threshold",
            lambda d: d["services"]["web"]["traffic"]["shift"].update(max_5xx_percent=5),
            "services.web.traffic.shift.max_5xx_percent",
        ),
        ("a tag", lambda d: d["tags"].update(owner="ops"), "tags.owner"),
        ("a hub's phase", lambda d: d["hubs"].update(green={**d["hubs"]["blue"], "phase": "standby"}), "hubs.green"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else "",
)
def test_the_gate_refuses_a_shift_pr_that_changes_anything_else(what, change, path):
    def both(data: dict) -> None:
        shifted(data)
        change(data)

    (reason,) = transition_refusals(example(READY), changed(READY, both))
    assert f"and also changes {path};" in reason, what
    assert reason.endswith("make the other changes in a PR of their own")


def test_the_same_change_alone_passes():
    """The control: each refusal above comes from the shift, not from the other change."""
    node_count = changed(READY, lambda d: d["services"]["web"]["targets"]["green"]["nodes"].update(desired_size=4))
    assert transition_refusals(example(READY), node_count) == []


def test_with_shift_a_partial_jump_is_still_refused():
    """The one shift PR sets the final weights; anything in between keeps the weight-step rules."""

    def half(data: dict) -> None:
        data["services"]["web"]["targets"]["green"].update(phase="serving", weight=50)
        data["services"]["web"]["targets"]["blue"].update(weight=50)

    by_hand, jump = transition_refusals(example(READY), changed(READY, half))
    assert by_hand.startswith("services.web.targets: with traffic.shift, web's weights move only by one shift PR")
    assert "services.web.targets.green.weight: 0 -> 50" in jump


def test_with_shift_a_weight_step_written_by_hand_is_refused():
    """A 10% step passes the weight-step rules, but `deploy shared` would apply it without analysis."""

    def first_step(data: dict) -> None:
        data["services"]["web"]["targets"]["green"].update(phase="serving", weight=10)
        data["services"]["web"]["targets"]["blue"].update(weight=90)

    assert transition_refusals(example(READY), changed(READY, first_step)) == [
        "services.web.targets: with traffic.shift, web's weights move only by one shift PR - the incoming "
        "generations serving with all the traffic, the serving ones registered at weight 0, nothing else changed - "
        "which `python -m fleet shift web` walks under analysis; a weight step written by hand would be deployed "
        "without analysis (remove traffic.shift in a PR of its own to move weights by PRs)"
    ]
    assert (
        transition_refusals(changed(READY, without_shift), changed(READY, lambda d: (without_shift(d), first_step(d))))
        == []
    )


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_fleet(*args)


def test_fleet_plan_base_passes_the_shift_pr_and_refuses_it_with_the_shift_added(tmp_path):
    assert _cli("plan", f"examples/{MID}.yaml", "--base", f"examples/{READY}.yaml").returncode == 0
    refused = _cli("plan", f"examples/{MID}.yaml", "--base", "examples/target-swap.yaml")
    assert refused.returncode == 2
    (line,) = [line for line in refused.stderr.splitlines() if ": refused: " in line]
    assert line.startswith(f"examples/{MID}.yaml: refused: services.web.traffic.shift: ")


def test_the_pr_gates_phases_command_passes_the_shift_pr(tmp_path):
    """pr.yml's own `phases` command, from a base checkout, on the shift's PR as the head's file."""
    base = checkout(tmp_path / "base")
    (base / "fleet.yaml").write_bytes((EXAMPLES / f"{READY}.yaml").read_bytes())
    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "fleet.yaml").write_bytes((EXAMPLES / f"{MID}.yaml").read_bytes())
    code, output = run(phases_command(), base)
    assert code == 0, output
    assert "refused" not in output


@pytest.mark.slow
def test_the_guard_sees_only_shared_change_and_refuses_nothing(synth):
    """The shift's PR changes `shared` alone (its weights) and the guard lets it through."""
    before, after = synth(f"examples/{READY}.yaml"), synth(f"examples/{MID}.yaml")
    diffs = diff_stacks(before, after)
    assert render_stacks(diffs).split() == ["shared"]
    assert refusals(diffs, before, after, example(READY), example(MID)) == []


# --- the merge pipeline ---------------------------------------------------------------------


def test_the_merge_of_the_shifts_pr_runs_the_shift_instead_of_deploying_shared():
    step = merged_step(example(READY), example(MID), ["shared"])
    assert step.runs == (Run("shift", "web"),)
    assert step.checks == ("python -m fleet check target-green",)
    assert step.as_json()["runs"] == [{"action": "shift", "service": "web"}]


def test_the_merge_of_a_revert_to_the_weights_before_the_last_shift_deploys_shared_at_once():
    """The shift's record keeps the weights before it (`done`): going back to them is a rollback."""
    before, after = file_weights(example(READY), "web"), file_weights(example(MID), "web")
    record = ShiftRecord("web", before=before, after=after, steps=(5, 25, 50, 100), applied=3, status="done")
    step = merged_step(example(MID), example(READY), ["shared"], records={"web": record})
    assert step.runs == (Run("deploy", "shared"),)
    assert any("rollback" in note for note in step.notes)


def test_the_merge_of_a_revert_without_the_record_is_a_shift():
    """Without the record nothing says the old generation's weights were live before: the move
    sends it more traffic than it carries, so it runs under analysis."""
    step = merged_step(example(MID), example(READY), ["shared"], records={})
    assert step.runs == (Run("shift", "web"),)


def test_without_shift_the_same_merge_deploys_shared():
    step = merged_step(changed(READY, without_shift), changed(MID, without_shift), ["shared"], (50, 100))
    assert step.runs == (Run("deploy", "shared"),)

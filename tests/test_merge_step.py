"""What the gate approved is what the deploy runs: the merge's step (`fleet.ops.merge`), as
properties over generated transitions - every example as a base; heads made of the base's plan
steps, generations listed in another order, weights split among more incoming generations, and
edits unrelated to the step; shift records of every status; bases this release's schema refuses.

Promises: the step covers every changed stack (or refuses with one line); a shifted service's
weights rise over what is live only in a shift run; runs keep the planner's order; the same
inputs give the same step, which `fleet step --markdown` (the gate's comment) and `--json` (the
deploy) both print."""

from __future__ import annotations

import copy
import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from fleet import names
from fleet.lifecycle import DESTROYED, REGISTERED, REGISTERED_PHASES, SERVING
from fleet.model import Fleet
from fleet.model.load import FleetError, validate
from fleet.ops.edits import apply_edit
from fleet.ops.merge import Base, MergedStep, Run, StepRefused, merged_step
from fleet.ops.planner import PlanRefused, plan
from fleet.ops.shift_record import ShiftRecord, file_weights
from support.cli import run_fleet
from support.examples import examples
from support.fleets import example_data
from support.paths import ROOT

EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.yaml"))
SETTINGS = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fleet(data: dict[str, Any]) -> Fleet | None:
    try:
        return validate(copy.deepcopy(data), "generated")
    except FleetError:
        return None


def _data(fleet: Fleet) -> dict[str, Any]:
    return fleet.model_dump(mode="json", exclude_none=True)


# --- generated transitions -----------------------------------------------------------------------


@st.composite
def transitions(draw: st.DrawFn) -> tuple[Fleet, Fleet, dict[str, ShiftRecord]]:
    """(base, head, records): an example, then a head built from it."""
    name = draw(st.sampled_from(EXAMPLES))
    raw = example_data(name)
    if draw(st.booleans()):  # every service shifts, in base and head alike
        for service in raw["services"].values():
            service.setdefault("traffic", {}).setdefault("shift", {})
    for name_, service in raw["services"].items():
        if draw(st.integers(0, 2)) == 0 and service["targets"]:  # another incoming generation, registered
            first = next(iter(service["targets"].values()))
            extra = f"{name_[:3]}x{draw(st.sampled_from('abc'))}"
            service["targets"][extra] = {**copy.deepcopy(first), "phase": REGISTERED, "weight": 0}
    base = _fleet(raw)
    assume(base is not None)
    assert base is not None
    head = base
    if draw(st.booleans()):  # one of the base's plan steps
        try:
            steps = [s for s in plan(base, (50, 100)) if s.edit]
        except PlanRefused:
            steps = []
        if steps:
            step = draw(st.sampled_from(steps))
            try:
                head = apply_edit(base, step.edit)
            except AssertionError:
                pass
    data = _data(head)
    for service in data["services"].values():
        targets = service["targets"]
        if draw(st.booleans()):  # the same generations, listed in another order
            order = draw(st.permutations(list(targets)))
            service["targets"] = {n: targets[n] for n in order}
        if draw(st.integers(0, 3)) > 0:  # the weights split among the registered ones, any way
            weighed = [n for n, t in service["targets"].items() if t["phase"] in REGISTERED_PHASES]
            if weighed and not service.get("closed"):
                cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=len(weighed) - 1, max_size=len(weighed) - 1)))
                shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
                for gen, share in zip(weighed, shares, strict=True):
                    service["targets"][gen]["weight"] = share
                    service["targets"][gen]["phase"] = SERVING if share else REGISTERED
        if draw(st.integers(0, 3)) == 0:  # a shift on, off, or with other thresholds
            service.setdefault("traffic", {})["shift"] = draw(
                st.sampled_from([None, {}, {"max_5xx_percent": 5}, {"steps": [50, 100]}])
            )
            if service["traffic"]["shift"] is None:
                del service["traffic"]["shift"]
    if draw(st.integers(0, 3)) == 0:  # an edit the plan never makes
        service = draw(st.sampled_from(sorted(data["services"])))
        for target in data["services"][service]["targets"].values():
            target.setdefault("nodes", {})["desired_size"] = draw(st.integers(2, 6))
    candidate = _fleet(data)
    assume(candidate is not None)
    assert candidate is not None
    records = {}
    for service in candidate.services:
        status = draw(st.sampled_from([None, None, None, "running", "rolled-back", "done"]))
        if status is not None and service in base.services:
            before = file_weights(base, service)
            after = file_weights(candidate, service)
            before, after = draw(st.sampled_from([(before, after), (after, before)]))
            records[service] = ShiftRecord(service, before, after, (50, 100), 1, status)  # type: ignore[arg-type]
    return base, candidate, records


def _stacks(fleet: Fleet) -> list[str]:
    return [names.SHARED_STACK, *(ref.stack_id for ref, _ in fleet.generations())]


def _changed(fleet: Fleet) -> st.SearchStrategy[list[str]]:
    """What the synth says changed: often `shared` alone (a weight move), any set of stacks else."""
    return st.one_of(st.just([names.SHARED_STACK]), st.just([]), st.lists(st.sampled_from(_stacks(fleet)), unique=True))


def _live(base: Fleet, service: str, record: ShiftRecord | None) -> dict[str, int]:
    if record is not None and record.status == "rolled-back":
        return record.before
    return file_weights(base, service) if service in base.services else {}


def _shifts(base: Fleet, head: Fleet, service: str, record: ShiftRecord | None) -> bool:
    return bool(
        head.services[service].traffic.shift
        or (service in base.services and base.services[service].traffic.shift)
        or (record is not None and record.status in ("running", "rolled-back"))
    )


def _step_or_refusal(
    base: Fleet, head: Fleet, changed: list[str], records: dict[str, ShiftRecord]
) -> MergedStep | None:
    """The merge's step, or None when it is refused - in one line, which every refusal must be."""
    try:
        return merged_step(base, head, changed, (50, 100), records)
    except StepRefused as refused:
        assert "\n" not in str(refused) and str(refused).strip()
        return None


@SETTINGS
@given(transitions(), st.data())
def test_the_step_covers_every_changed_stack_or_refuses(transition, data):
    base, head, records = transition
    changed = data.draw(_changed(head))
    step = _step_or_refusal(base, head, changed, records)
    if step is None:
        event("refused")
        return
    event("a shift run" if any(run.action == "shift" for run in step.runs) else f"{len(step.runs)} stack runs")
    ran = {run.name for run in step.runs if run.action != "shift"}
    if any(run.action == "shift" for run in step.runs):
        assert len(step.runs) == 1 and set(changed) <= {names.SHARED_STACK}, step
    else:
        assert set(changed) <= ran, (changed, step.runs)
    for run in step.runs:  # a destroyed generation is destroyed, every other stack deployed
        if run.action == "shift":
            continue
        ref = head.find(run.name)
        destroyed = ref is not None and head.spec(ref).phase == DESTROYED
        assert run.action == ("destroy" if destroyed else "deploy"), run


@SETTINGS
@given(transitions(), st.data())
def test_a_shifted_services_weights_rise_over_what_is_live_only_in_a_shift_run(transition, data):
    base, head, records = transition
    changed = data.draw(_changed(head))
    step = _step_or_refusal(base, head, changed, records)
    if step is None:
        return
    shifted = {run.name for run in step.runs if run.action == "shift"}
    for service, spec in head.services.items():
        record = records.get(service)
        if spec.closed or not _shifts(base, head, service, record) or service in shifted:
            continue
        live, new = _live(base, service, record), file_weights(head, service)
        if not any(live.values()):
            continue  # nothing served yet: a new service opens at 100
        back = (
            record is not None
            and record.status == "done"
            and new == record.before
            and file_weights(base, service) == record.after
        )
        rises = [g for g in new if new[g] > live.get(g, 0)]
        assert back or not rises, f"{service}: {live} -> {new} in {[str(r) for r in step.runs]}"


RANK = {"destroy": 0, "shift": 1}


@SETTINGS
@given(transitions(), st.data())
def test_runs_keep_the_planners_order(transition, data):
    base, head, records = transition
    changed = data.draw(_changed(head))
    step = _step_or_refusal(base, head, changed, records)
    if step is None:
        return
    hubs = [names.stack_id("hub", n) for n in head.hubs]
    active = names.stack_id("hub", head.active_hub)

    def rank(run: Run) -> int:
        if run.action in RANK:
            return RANK[run.action]
        if run.name == names.SHARED_STACK:
            return 2
        return 4 if run.name in hubs else 3

    ranks = [rank(run) for run in step.runs]
    assert ranks == sorted(ranks), step.runs
    deployed_hubs = [run.name for run in step.runs if run.action == "deploy" and run.name in hubs]
    if active in deployed_hubs:
        assert deployed_hubs[-1] == active, step.runs  # the active hub last: nothing is ever active twice


@SETTINGS
@given(transitions(), st.data())
def test_the_same_inputs_give_the_same_step(transition, data):
    base, head, records = transition
    changed = data.draw(_changed(head))
    outcomes = []
    for order in (changed, list(reversed(changed))):
        try:
            outcomes.append(merged_step(base, head, order, (50, 100), records).as_json())
        except StepRefused as refused:
            outcomes.append(str(refused))
    assert outcomes[0] == outcomes[1]


# --- bases this release refuses ------------------------------------------------------------------

PAST_KEYS = (
    ("api_access", {"plan_role_arn": "arn:aws:iam::111122223333:role/plan"}),
    ("removed_setting", True),
)
"""Keys a past release accepted and this one refuses (`api_access.plan_role_arn` was one)."""


@SETTINGS
@given(transitions(), st.sampled_from(PAST_KEYS), st.data())
def test_a_base_this_release_refuses_still_yields_a_step_of_every_changed_stack(transition, key, data):
    base, head, _ = transition
    raw = _data(base)
    field, value = key
    raw[field] = value if not isinstance(value, dict) else {**raw.get(field, {}), **value}
    assert _fleet(raw) is None, "the schema must refuse the old key for this test to mean anything"
    changed = data.draw(_changed(head))
    side = Base.unloaded(raw, "the base", "an old key")
    try:
        step = merged_step(side, head, changed, (50, 100), {})
    except StepRefused as refused:  # only the shift's own rules may refuse, never the schema
        assert "schema" not in str(refused)
        return
    assert step.notes and "does not load with this release's fleet schema" in step.notes[0]
    if not any(run.action == "shift" for run in step.runs):
        assert set(changed) <= {run.name for run in step.runs}


# --- the named cases, through the command line ---------------------------------------------------


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _step(tmp_path: Path, base: Path, head: Path, changed: list[str], *mode: str) -> subprocess.CompletedProcess[str]:
    listed = tmp_path / "changed.txt"
    listed.write_text("".join(f"{s}\n" for s in changed))
    return run_fleet("step", head, "--base", base, "--changed", listed, *mode)


def test_a_shift_with_the_generations_listed_in_another_order_is_a_shift_run(tmp_path):
    base = _write(tmp_path / "base.yaml", example_data("target-swap-shift-0-ready"))
    data = example_data("target-swap-shift")
    targets = data["services"]["web"]["targets"]
    data["services"]["web"]["targets"] = dict(reversed(list(targets.items())))
    head = _write(tmp_path / "head.yaml", data)
    done = _step(tmp_path, base, head, ["shared"], "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["runs"] == [{"action": "shift", "service": "web"}]


def test_the_gates_comment_and_the_deploy_print_the_same_step(tmp_path):
    base = _write(tmp_path / "base.yaml", example_data("target-swap-1-provisioning"))
    head = _write(tmp_path / "head.yaml", example_data("target-swap"))
    printed = _step(tmp_path, base, head, ["argocd-blue"], "--json")
    shown = _step(tmp_path, base, head, ["argocd-blue"], "--markdown")
    assert printed.returncode == shown.returncode == 0, printed.stderr + shown.stderr
    step = json.loads(printed.stdout)
    listed = [line.split("`")[1] for line in shown.stdout.splitlines() if line[:1].isdigit()]
    expected = [str(Run(r["action"], r.get("stack") or r["service"])) for r in step["runs"]]
    assert listed == expected and shown.stdout.startswith("### On merge this runs")
    assert all(f"`{check}`" in shown.stdout for check in step["checks"])


def test_an_old_base_with_a_key_a_past_release_accepted_does_not_block_the_deploy(tmp_path):
    old = example_data("target-swap-1-provisioning")
    old.setdefault("api_access", {})["plan_role_arn"] = "arn:aws:iam::111122223333:role/plan"
    base = _write(tmp_path / "base.yaml", old)
    head = _write(tmp_path / "head.yaml", example_data("target-swap"))
    done = _step(tmp_path, base, head, ["argocd-blue"], "--json")
    assert done.returncode == 0, done.stderr
    step = json.loads(done.stdout)
    assert step["runs"] == [{"action": "deploy", "stack": "argocd-blue"}]
    assert "plan_role_arn" in step["notes"][0]


@pytest.mark.parametrize(
    "content, said",
    [(None, "cannot read it"), ("shared\n../etc\n", "is not a stack id")],
    ids=["missing", "not-stack-ids"],
)
def test_a_bad_changed_file_is_one_line(tmp_path, content, said):
    base = head = _write(tmp_path / "f.yaml", example_data("steady"))
    listed = tmp_path / "changed.txt"
    if content is not None:
        listed.write_text(content)
    done = run_fleet("step", head, "--base", base, "--changed", listed)
    assert done.returncode == 2 and said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_malformed_shift_record_is_one_line(tmp_path, capsys):
    from fleet.cli import main

    fleet = example_data("target-swap-shift")
    fleet["name"] = f"rec{random.Random().randrange(10**6)}"  # its own records directory under state/
    head = _write(tmp_path / "f.yaml", fleet)
    record = ROOT / names.STATE_DIR / fleet["name"] / fleet["region"] / "shift" / "web.json"
    record.parent.mkdir(parents=True)
    try:
        for text in ("{not json", json.dumps({"service": "web", "before": [], "after": {}}), '"a string"', "\xff"):
            record.write_bytes(text.encode("latin-1"))
            for command in (["step", str(head), "--base", str(head)], ["action", "shared", str(head)]):
                assert main(command) == 2
                said = capsys.readouterr().err
                assert len(said.strip().splitlines()) == 1 and "shift record" in said, said
    finally:
        import shutil

        shutil.rmtree(ROOT / names.STATE_DIR / fleet["name"])


def test_a_random_step_is_rendered_the_same_by_both_printers():
    """Markdown for the gate, JSON for the deploy: both list the runs of the one step."""
    rng = random.Random(7)
    for _ in range(20):
        runs = tuple(
            Run(rng.choice(["deploy", "destroy"]), f"target-{rng.choice('abcdef')}") for _ in range(rng.randint(0, 4))
        )
        step = MergedStep("t", runs, ("python -m fleet check shared",))
        shown = [line.split("`")[1] for line in step.as_markdown().splitlines() if line[:1].isdigit()]
        assert shown == [str(Run(r["action"], r["stack"])) for r in step.as_json()["runs"]]


# --- a plan step mixed with other edits, through the real synth -----------------------------------


def _narrower_cidrs(data: dict[str, Any]) -> None:
    traffic = data["services"]["web"]["traffic"]
    traffic["internet_facing"] = False
    traffic["allowed_cidrs"] = ["10.0.0.0/8"]


def _more_nodes(data: dict[str, Any]) -> None:
    data["services"]["web"]["targets"]["blue"]["nodes"]["desired_size"] = 4


@pytest.mark.slow
@pytest.mark.parametrize("other", [_narrower_cidrs, _more_nodes], ids=["allowed-cidrs", "live-node-count"])
def test_a_registration_merged_with_another_change_deploys_every_stack_the_synth_changed(synth, derived_fleet, other):
    """The registration of green (a plan step: the hubs) with a change the plan never makes: the
    step deploys the hubs and every other stack whose synthesized JSON changed, in order."""
    from fleet.gate.comment import render_stacks
    from fleet.gate.diff import diff_stacks
    from fleet.model.load import load_fleet

    base_file = derived_fleet(
        "examples/target-swap-1-provisioning.yaml", f"mixed-base-{other.__name__}", lambda d: None
    )
    head_file = derived_fleet("examples/target-swap.yaml", f"mixed-head-{other.__name__}", other)
    changed = render_stacks(diff_stacks(synth(base_file), synth(head_file))).split()
    assert len(changed) >= 2, changed  # the hub and what the other edit touched
    step = merged_step(load_fleet(base_file), load_fleet(head_file), changed, (50, 100), {})
    assert {run.name for run in step.runs} == set(changed)
    assert [run.name for run in step.runs][-1] == "argocd-blue", "the active hub deploys last"

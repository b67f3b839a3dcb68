"""The swap planner: each example's plan, each refusal, and property tests over random edits."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from fleet.gate.phases import transition_refusals
from fleet.lifecycle import HUB_PHASES, TARGET_PHASES
from fleet.model import Fleet
from fleet.model.load import load_fleet
from fleet.ops.commands import SHIFT
from fleet.ops.edits import apply_edit, fleet_data
from fleet.ops.planner import PlanRefused, Step, plan
from fleet.ref import Section, parse_stack_id
from support import fleets
from support.cli import fleet_command, run_fleet
from support.examples import examples
from support.fleets import example_data
from support.paths import EXAMPLES, ROOT

TARGET_SWAP = ["steady", *fleets.TARGET_SWAP]
HUB_SWAP = ["steady", *fleets.HUB_SWAP]
WEB = Section.targets("web")
"""Where the examples' one service keeps its target generations: services.web.targets."""


def example(name: str) -> Fleet:
    return load_fleet(EXAMPLES / f"{name}.yaml")


def web(data: dict) -> dict:
    """A fleet file's (or its data's) targets of service web."""
    return data["services"]["web"]["targets"]


def commands(steps: list[Step]) -> list[str]:
    return [c for s in steps for c in s.commands]


def first(steps: list[Step], predicate) -> int:
    return next(i for i, s in enumerate(steps) if predicate(s))


def test_a_steady_fleet_has_nothing_to_do():
    assert plan(example("steady")) == []


def test_target_swap_deploys_green_before_registering_it_or_moving_any_weight():
    steps = plan(example("target-swap-1-provisioning"))
    deploy_green = first(steps, lambda s: "cdktf deploy target-green" in s.commands)
    assert steps[deploy_green].commands.index("cdktf deploy shared") < steps[deploy_green].commands.index(
        "cdktf deploy target-green"
    ), "shared first, each stack its own command"
    register = first(steps, lambda s: s.edit and s.edit[WEB].get("green", {}).get("phase") == "registered")
    weights = [i for i, s in enumerate(steps) if s.edit and "weight" in (s.edit[WEB].get("green") or {})]
    assert deploy_green < register < weights[0]


def test_target_swap_destroys_blue_only_after_weight_zero_and_deregistration():
    steps = plan(example("target-swap"))
    cmds = commands(steps)
    assert cmds.index("cdktf deploy target-green") < cmds.index("cdktf destroy target-blue")
    drain = first(steps, lambda s: s.edit and s.edit[WEB].get("blue") == {"phase": "registered", "weight": 0})
    assert steps[drain].commands == ("cdktf deploy shared",), "the 100% shift moves weights alone"
    retire = first(steps, lambda s: s.edit and s.edit[WEB].get("blue") == {"phase": "retiring"})
    assert drain < retire, "the retirement is a PR of its own"
    assert steps[retire].commands == ("cdktf deploy shared", "cdktf deploy argocd-blue")  # rule, then deregister
    assert steps[retire].checks == ("python -m fleet check target-blue --before-destroy",), "drained before destroy"
    destroy = first(steps, lambda s: "cdktf destroy target-blue" in s.commands)
    assert steps[destroy].edit == {WEB: {"blue": {"phase": "destroyed"}}}, "destroyed: its own PR"
    remove = first(steps, lambda s: s.edit == {WEB: {"blue": None}})
    assert retire < destroy < remove
    assert [s.edit[WEB]["green"]["weight"] for s in steps if s.edit and "green" in s.edit[WEB]] == [
        10,
        50,
        100,
    ]


def test_weight_steps_can_be_set():
    steps = plan(example("target-swap"), weight_steps=(25, 100))
    assert [s.edit[WEB]["green"]["weight"] for s in steps if s.edit and "green" in s.edit[WEB]] == [25, 100]
    with pytest.raises(PlanRefused, match="weight steps"):
        plan(example("target-swap"), weight_steps=(50, 10, 100))


def test_mid_swap_plan_continues_from_the_current_weights():
    steps = plan(example("target-swap-3-serving"))
    assert [s.edit[WEB]["green"]["weight"] for s in steps if s.edit and "green" in s.edit[WEB]] == [100]


def test_hub_promotion_pauses_the_old_hub_before_activating_the_new_one():
    steps = plan(example("hub-swap"))
    promote = first(steps, lambda s: s.edit and s.edit.get(Section.hubs(), {}).get("green") == {"phase": "active"})
    assert steps[promote].edit == {Section.hubs(): {"blue": {"phase": "retiring"}, "green": {"phase": "active"}}}
    assert steps[promote].commands == ("cdktf deploy argocd-blue", "cdktf deploy argocd-green")
    destroy = first(steps, lambda s: "cdktf destroy argocd-blue" in s.commands)
    assert promote < destroy
    kinds = {parsed[0] for c in commands(steps) if (parsed := parse_stack_id(c.split()[-1]))}
    assert kinds == {"hub"}, "a hub swap touches no target stack"


def test_every_step_has_a_rollback_and_checks_come_before_traffic_moves():
    for name in [
        "target-swap-1-provisioning",
        "target-swap",
        "hub-swap",
        "target-swap-5-retiring",
        "hub-swap-2-promoted",
    ]:
        for step in plan(example(name)):
            assert step.rollback, f"{name}: {step.title}"
            if step.edit and any("weight" in (c or {}) for c in step.edit.get(WEB, {}).values()):
                assert step.checks and all(c.startswith("python -m fleet check target-") for c in step.checks)


@pytest.mark.parametrize("chain", [TARGET_SWAP, HUB_SWAP], ids=["target swap", "hub swap"])
def test_each_example_follows_from_the_one_before_as_one_safe_pr(chain):
    """The examples move traffic in two steps, 50% then 100% (`fleet plan --weight-steps 50,100`)."""
    for before, after in zip(chain, chain[1:], strict=False):
        assert transition_refusals(example(before), example(after), (50, 100)) == [], f"{before} -> {after}"


def test_the_examples_jump_a_step_of_the_default_weight_steps():
    """With the default steps (10, 50, 100) the same PR is refused: green enters with 10% at most."""
    (reason,) = transition_refusals(example("target-swap"), example("target-swap-3-serving"))
    assert reason.startswith("services.web.targets.green.weight: 0 -> 50 sends 50% of web's traffic to a generation")


def _steps_from(start: str, edit, weight_steps=(10, 50, 100)) -> list[str]:
    base = example(start)
    data = fleet_data(base)
    edit(data)
    return transition_refusals(base, Fleet.model_validate(data), weight_steps)


ONE_STEP_PRS = {
    # name -> (example, edit, the refusal's opening; None when it is one safe step)
    "traffic flipped in one go (blue out, green in at 100)": (
        "target-swap",
        lambda d: (
            web(d)["blue"].update(phase="registered", weight=0),
            web(d)["green"].update(phase="serving", weight=100),
        ),
        "2 phase changes in one PR (services.web.targets.blue serving -> registered, services.web.targets.green "
        "registered -> serving)",
    ),
    "a generation enters traffic at 50%": (
        "target-swap",
        lambda d: (web(d)["blue"].update(weight=50), web(d)["green"].update(phase="serving", weight=50)),
        "services.web.targets.green.weight: 0 -> 50 sends 50% of web's traffic",
    ),
    "a generation enters traffic at 10%": (
        "target-swap",
        lambda d: (web(d)["blue"].update(weight=90), web(d)["green"].update(phase="serving", weight=10)),
        None,
    ),
    "50% to 100%, the old generation leaving traffic": (
        "target-swap-3-serving",
        lambda d: (web(d)["blue"].update(phase="registered", weight=0), web(d)["green"].update(weight=100)),
        None,
    ),
    "rollback from 50% straight back to the old generation": (
        "target-swap-3-serving",
        lambda d: (web(d)["blue"].update(weight=100), web(d)["green"].update(phase="registered", weight=0)),
        None,
    ),
    "two unrelated generations move in one PR": (
        "target-swap-1-provisioning",
        lambda d: (
            web(d)["green"].update(phase="registered"),
            d["hubs"].update(green={**d["hubs"]["blue"], "phase": "standby"}),
        ),
        "2 phase changes in one PR",
    ),
    "a hub promotion (two hubs, one step)": (
        "hub-swap",
        lambda d: (d["hubs"]["blue"].update(phase="retiring"), d["hubs"]["green"].update(phase="active")),
        None,
    ),
    "a hub promotion and a target registration in one PR": (
        "hub-swap",
        lambda d: (
            d["hubs"]["blue"].update(phase="retiring"),
            d["hubs"]["green"].update(phase="active"),
            web(d).update(green={**web(d)["blue"], "phase": "provisioning", "weight": 0}),
        ),
        "3 phase changes in one PR",
    ),
}


@pytest.mark.parametrize("case", sorted(ONE_STEP_PRS))
def test_a_pr_is_one_step_of_the_plan(case):
    """One phase change per PR (or one compound planner step), and traffic one weight step at a time."""
    start, edit, opening = ONE_STEP_PRS[case]
    reasons = _steps_from(start, edit)
    if opening is None:
        assert reasons == []
    else:
        assert reasons and reasons[0].startswith(opening), reasons


def test_ten_percent_straight_to_all_traffic_jumps_the_fifty_percent_step():
    base = example("target-swap")
    data = fleet_data(base)
    web(data)["blue"].update(weight=90)
    web(data)["green"].update(phase="serving", weight=10)
    at_ten = Fleet.model_validate(data)
    web(data)["blue"].update(phase="registered", weight=0)
    web(data)["green"].update(weight=100)
    (reason,) = transition_refusals(at_ten, Fleet.model_validate(data))
    assert reason.startswith("services.web.targets.green.weight: 10 -> 100 jumps over the 50% step")
    assert transition_refusals(at_ten, Fleet.model_validate(data), (10, 100)) == []


REFUSALS = {
    "skip registration": (
        "target-swap-1-provisioning",
        lambda d: (web(d)["green"].update(phase="serving", weight=10), web(d)["blue"].update(weight=90)),
        "provisioning -> serving skips registered",
    ),
    "destroy a serving target": (
        "target-swap-3-serving",
        lambda d: (web(d).pop("blue"), web(d)["green"].update(weight=100)),
        "removing it while serving would orphan a serving target",
    ),
    "destroy a registered target": ("target-swap", lambda d: web(d).pop("green"), "removing it while registered"),
    "destroy the active hub": (
        "hub-swap",
        lambda d: (d["hubs"].pop("blue"), d["hubs"]["green"].update(phase="active")),
        "removing it while active would orphan the active hub",
    ),
    "a new target straight to registered": (
        "steady",
        lambda d: web(d).update(green={**web(d)["blue"], "phase": "registered", "weight": 0}),
        "a new generation starts as provisioning",
    ),
    "a new hub straight to active": (
        "steady",
        lambda d: (d["hubs"].update(green={**d["hubs"]["blue"]}), d["hubs"]["blue"].update(phase="retiring")),
        "a new generation starts as standby",
    ),
    "retire before registering": (
        "target-swap-1-provisioning",
        lambda d: web(d)["green"].update(phase="retiring"),
        "provisioning -> retiring skips a phase",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_unsafe_pr_is_refused_with_what_to_do_instead(case):
    start, edit, expected = REFUSALS[case]
    base = example(start)
    data = fleet_data(base)
    edit(data)
    head = Fleet.model_validate(data)
    reasons = transition_refusals(base, head)
    assert any(expected in r for r in reasons), reasons


def test_leaving_a_serving_service_without_a_serving_target_is_refused():
    """A service may have no serving target only before it first serves (its ALB answers 503):
    the file is valid, the PR that takes a serving service's last serving generation away is not."""
    base = example("target-swap")
    data = fleet_data(base)
    web(data)["blue"].update(phase="registered", weight=0)
    head = Fleet.model_validate(data)
    assert not any(t.phase == "serving" for t in head.services["web"].targets.values())
    assert transition_refusals(base, head) == [
        "services.web.targets: no generation would serve web (blue serves now) and its ALB would answer 503 to "
        "every request; keep one serving, or set services.web.closed: true to take the service down"
    ]


# --- one fleet, two services (examples/two-services.yaml: web steady, api mid-swap) ------------


def _api(d: dict) -> dict:
    return d["services"]["api"]["targets"]


def _new_service(phase: str, weight: int):
    def edit(d: dict) -> None:
        web_spec = d["services"]["web"]
        d["services"]["shop"] = {
            "targets": {"shopblue": {"kubernetes_version": "1.36", "phase": phase, "weight": weight}},
            "apps": copy.deepcopy(web_spec["apps"]),
            "traffic": copy.deepcopy(web_spec["traffic"]),
        }

    return edit


def _all_destroyed(service: str):
    def edit(d: dict) -> None:
        for target in d["services"][service]["targets"].values():
            target.update(phase="destroyed", weight=0)

    return edit


def _move_apigreen_to_web(d: dict) -> None:
    moved = _api(d).pop("apigreen")
    moved.pop("values")  # values of api's apps, which web does not have
    web(d)["apigreen"] = moved


NO_SERVING_API = (
    "services.api.targets: no generation would serve api (apiblue serves now) and its ALB would answer 503 to every "
    "request; keep one serving, or set services.api.closed: true to take the service down"
)
TWO_SERVICE_PRS = {
    # name -> (edit of the base, edit of the head, the reasons' openings; [] when safe)
    "api's last serving generation leaves traffic": (
        None,
        lambda d: _api(d)["apiblue"].update(phase="registered", weight=0),
        [NO_SERVING_API],
    ),
    "api's serving generation is removed": (
        None,
        lambda d: _api(d).pop("apiblue"),
        ["services.api.targets.apiblue: removing it while serving would orphan a serving target", NO_SERVING_API],
    ),
    "a service with live generations is removed": (
        None,
        lambda d: d["services"].pop("api"),
        [
            "services.api.targets.apiblue: removing it while serving",
            "services.api.targets.apigreen: removing it while registered",
        ],
    ),
    "a generation moves to another service": (
        None,
        _move_apigreen_to_web,
        [
            "services.api.targets.apigreen: removing it while registered",
            "services.web.targets.apigreen: a new generation starts as provisioning",
        ],
    ),
    "a new service straight to serving": (
        None,
        _new_service("serving", 100),
        ["services.shop.targets.shopblue: a new generation starts as provisioning"],
    ),
    "api's traffic flips to apigreen in one PR": (
        None,
        lambda d: (
            _api(d)["apiblue"].update(phase="registered", weight=0),
            _api(d)["apigreen"].update(phase="serving", weight=100),
        ),
        ["2 phase changes in one PR", "services.api.targets.apigreen.weight: 0 -> 100 sends 100% of api's traffic"],
    ),
    "a new service, nothing serving yet": (None, _new_service("provisioning", 0), []),
    "a service whose generations are all destroyed is removed": (
        _all_destroyed("api"),
        lambda d: d["services"].pop("api"),
        [],
    ),
}


@pytest.mark.parametrize("case", sorted(TWO_SERVICE_PRS))
def test_check_transition_keeps_each_service_to_itself(case):
    base_edit, head_edit, expected = TWO_SERVICE_PRS[case]
    data = fleet_data(example("two-services"))
    if base_edit is not None:
        base_edit(data)
    base = Fleet.model_validate(data)
    data = copy.deepcopy(data)
    head_edit(data)
    head = Fleet.model_validate(data)
    reasons = transition_refusals(base, head)
    assert len(reasons) == len(expected), reasons
    for opening in expected:
        assert [r for r in reasons if r.startswith(opening)], reasons
    assert "target-blue" not in " ".join(reasons), "web's stack is in no reason about api"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_fleet(*args)


def test_plan_command_refuses_with_exit_2_and_says_why(tmp_path):
    head = tmp_path / "fleet.yaml"
    data = fleet_data(example("target-swap-1-provisioning"))
    web(data)["green"].update(phase="serving", weight=10)
    web(data)["blue"].update(weight=90)
    import yaml

    head.write_text(yaml.safe_dump(data))
    done = _cli("plan", str(head), "--base", str(EXAMPLES / "target-swap-1-provisioning.yaml"))
    assert done.returncode == 2
    assert "refused: services.web.targets.green: provisioning -> serving skips registered" in done.stderr
    assert "Traceback" not in done.stderr


def test_plan_command_prints_numbered_steps_and_json():
    text = _cli("plan", "examples/target-swap.yaml")
    assert text.returncode == 0, text.stderr
    assert "1. Deploy the fleet file as it stands" in text.stdout
    assert text.stdout.index("cdktf deploy target-green") < text.stdout.index("cdktf destroy target-blue")
    assert "cdktf deploy shared target-green" not in text.stdout
    as_json = _cli("plan", "examples/target-swap.yaml", "--json")
    report = json.loads(as_json.stdout)
    assert report["steady"] is False
    assert [s["number"] for s in report["steps"]] == list(range(1, len(report["steps"]) + 1))
    assert all(s["rollback"] for s in report["steps"])


def test_plan_command_reads_the_base_from_a_git_revision(tmp_path):
    done = _cli("plan", "examples/target-swap.yaml", "--base", "HEAD")
    assert done.returncode == 0, done.stderr  # the same file at HEAD: no phase change at all


# --- property tests -----------------------------------------------------------------------------

NAMES = ["blue", "green", "red", "v2"]


def _try(base: Fleet, data: dict) -> Fleet | None:
    """The edited fleet, if it is valid and the PR from `base` is safe; None when refused."""
    try:
        head = Fleet.model_validate(data)
    except ValidationError:
        return None
    return None if transition_refusals(base, head) else head


edits = st.one_of(
    st.tuples(st.just("target"), st.sampled_from(NAMES), st.sampled_from([*TARGET_PHASES, None]), st.integers(0, 100)),
    st.tuples(st.just("hub"), st.sampled_from(NAMES), st.sampled_from([*HUB_PHASES, None]), st.just(0)),
    st.tuples(st.just("planner"), st.just(""), st.just(None), st.just(0)),
)
two_service_edits = st.one_of(
    edits,
    st.tuples(
        st.just("target"),
        st.sampled_from(NAMES),
        st.sampled_from([*TARGET_PHASES, None]),
        st.integers(0, 100),
        st.just("api"),  # names prefixed: apiblue, apigreen, ... (generation names are fleet-wide)
    ),
)


def _edit(fleet: Fleet, op: tuple) -> dict | None:
    kind, name, phase, weight, *rest = op
    service = rest[0] if rest else "web"
    if kind == "planner":
        steps = [s for s in plan(fleet) if s.edit]
        return None if not steps else fleet_data(apply_edit(fleet, steps[0].edit))
    data = copy.deepcopy(fleet_data(fleet))
    if service != "web":
        name = f"{service}{name}"
    generations = data["services"][service]["targets"] if kind == "target" else data["hubs"]
    if phase is None:
        generations.pop(name, None)
        return data
    template = next(iter(generations.values()))
    entry = {**template, **generations.get(name, {}), "phase": phase}
    if kind == "target":
        entry["weight"] = weight if phase == "serving" else 0
        others = [n for n, t in generations.items() if n != name and t["phase"] == "serving"]
        if others:  # keep the total at 100 where possible, so more random edits are valid
            generations[others[0]]["weight"] = max(
                0, 100 - entry["weight"] - sum(generations[o]["weight"] for o in others[1:])
            )
    generations[name] = entry
    return data


def _assert_safe_state(fleet: Fleet) -> None:
    for service, spec in fleet.services.items():
        serving = {n: t.weight for n, t in spec.targets.items() if t.phase == "serving"}
        assert serving and all(w > 0 for w in serving.values()) and sum(serving.values()) == 100, service
    assert [h.phase for h in fleet.hubs.values()].count("active") == 1


def _run_plan_to_the_end(fleet: Fleet) -> Fleet:
    """Follow the planner: every PR it asks for is safe, nothing live is destroyed, and it ends
    in a steady fleet."""
    current = fleet
    for step in plan(fleet):
        for command in step.commands:
            if command.startswith("cdktf destroy "):
                parsed = parse_stack_id(command.removeprefix("cdktf destroy "))
                assert parsed is not None, command
                kind, gen = parsed
                if kind == "target":
                    assert current.targets[gen].phase in ("retiring", "provisioning", "destroyed"), (
                        command
                    )  # nothing routes to or deploys to it
                else:
                    assert current.hubs[gen].phase in ("retiring", "standby", "destroyed"), command
                    assert gen != current.active_hub
        if step.edit:
            nxt = apply_edit(current, step.edit)
            assert transition_refusals(current, nxt) == [], step.title
            _assert_safe_state(nxt)
            for name, target in nxt.targets.items():
                if target.weight > current.targets.get(name, target).weight:
                    assert name in current.targets and current.targets[name].registered, (
                        f"weight to unregistered {name}"
                    )
            current = nxt
    assert plan(current) == []
    assert all(len(spec.targets) == 1 for spec in current.services.values()) and len(current.hubs) == 1
    return current


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edits, min_size=1, max_size=12))
def test_no_accepted_sequence_leaves_an_app_unserved_or_destroys_the_active_hub_and_every_swap_finishes(ops):
    _follow(example("steady"), ops)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(two_service_edits, min_size=1, max_size=12))
def test_the_same_holds_for_every_service_of_a_two_service_fleet(ops):
    """examples/two-services.yaml: web steady, api mid-swap; random edits to either service."""
    _follow(example("two-services"), ops)


def _follow(start: Fleet, ops: list[tuple]) -> None:
    current = start
    for op in ops:
        data = _edit(current, op)
        if data is None:
            continue
        head = _try(current, data)
        if head is None:
            continue
        for name in set(current.targets) - set(head.targets):
            assert current.targets[name].phase == "destroyed", f"removed a {current.targets[name].phase} target"
        for name in set(current.hubs) - set(head.hubs):
            assert current.hubs[name].phase == "destroyed", "removed a hub before its stack was destroyed"
        _assert_safe_state(head)
        current = head
        _run_plan_to_the_end(current)


def _named(example_name: str, name: str, tmp_path: Path) -> Path:
    import yaml

    data = example_data(example_name)
    data["name"] = name
    path = tmp_path / f"{example_name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_destroyed_generation_leaves_the_file_only_once_its_state_is_empty(tmp_path):
    """Local state is read where `cdktf destroy` left it: state/<fleet>/<stack>.tfstate."""
    fleet = "zplanstate"
    base, head = _named("target-swap-6-destroyed", fleet, tmp_path), _named("target-swap-7-done", fleet, tmp_path)
    state = ROOT / "state" / fleet / "eu-west-1" / "target-blue.tfstate"
    state.parent.mkdir(parents=True, exist_ok=True)
    try:
        instance = {"mode": "managed", "type": "aws_eks_cluster", "name": "c", "instances": [{"attributes": {}}]}
        state.write_text(json.dumps({"version": 4, "resources": [instance]}))
        done = _cli("plan", str(head), "--base", str(base))
        assert done.returncode == 2, done.stdout
        assert (
            f"refused: services.web.targets.blue: its state state/{fleet}/eu-west-1/target-blue.tfstate still lists 1 resource(s); "
            "run `cdktf destroy target-blue` before removing it from the file"
        ) in done.stderr

        state.write_text(json.dumps({"version": 4, "resources": []}))  # what `cdktf destroy` leaves
        assert _cli("plan", str(head), "--base", str(base)).returncode == 0
    finally:
        shutil.rmtree(state.parent.parent, ignore_errors=True)


def test_the_deploy_workflow_is_told_to_destroy_a_destroyed_generation():
    said = {
        stack: _cli("action", stack, "examples/target-swap-6-destroyed.yaml").stdout.strip()
        for stack in ("shared", "argocd-blue", "target-blue", "target-green")
    }
    assert said == {"shared": "deploy", "argocd-blue": "deploy", "target-blue": "destroy", "target-green": "deploy"}
    unknown = _cli("action", "target-red", "examples/target-swap-6-destroyed.yaml")
    assert unknown.returncode == 2 and "not a stack of fleet acme" in unknown.stderr


@pytest.mark.parametrize("name", [p.stem for p in sorted(EXAMPLES.glob("*.yaml"))])
def test_every_pr_the_planner_asks_for_changes_one_phase_and_every_deploy_is_one_stack(name):
    """One phase move per PR (the hub promotion moves two hubs at once, so that exactly one is
    active; a service with `traffic.shift` moves its traffic in one PR, run by `fleet shift`), and
    `shared` is never deployed together with another stack."""
    current = example(name)
    for step in plan(current):
        shifts = [c for c in step.commands if c.startswith(f"{SHIFT} ")]
        for command in step.commands:
            if command in shifts:  # python -m fleet shift <service>: a service whose traffic.shift is set
                assert current.services[command.split()[-1]].traffic.shift is not None, command
            else:
                assert len(command.split()) == 3 and command.split()[0] == "cdktf", command
        if not step.edit:
            continue
        after = apply_edit(current, step.edit)
        if shifts and step.commands == tuple(shifts):  # the one PR of a shift: the gate accepts it
            (service,) = [c.split()[-1] for c in shifts]
            assert list(step.edit) == [Section.targets(service)], step.title
            assert transition_refusals(current, after) == [], step.title
            current = after
            continue
        moved = [
            (section, gen)
            for section in ("hubs", "targets")
            for gen in set(getattr(current, section)) | set(getattr(after, section))
            if (getattr(current, section).get(gen) or getattr(after, section).get(gen)) is not None
            and getattr(getattr(current, section).get(gen), "phase", None)
            != getattr(getattr(after, section).get(gen), "phase", None)
        ]
        if after.active_hub != current.active_hub:
            assert sorted(moved) == sorted([("hubs", after.active_hub), ("hubs", current.active_hub)]), step.title
        else:
            assert len(moved) <= 1, f"{step.title}: {moved}"
        current = after


@pytest.mark.parametrize(
    "example_name",
    [
        "target-swap-1-provisioning",
        "hub-swap",
        "service-close",
        "platform-target-swap",
        "platform-hub-swap",
        "target-swap-shift-0-ready",
        "target-swap-shift",
    ],
)
def test_the_runbook_is_the_planners_real_output(example_name):
    printed = _cli("plan", f"examples/{example_name}.yaml")
    assert printed.returncode == 0, printed.stderr
    assert f"```text\n{printed.stdout.rstrip()}\n```" in (ROOT / "docs" / "runbook.md").read_text()


def test_plan_whose_reader_left_ends_quietly():
    """`python -m fleet plan | head -0`: the reader is gone before the plan is printed (the pipe is
    closed before the interpreter has even started), and no traceback follows."""
    run = subprocess.Popen(
        fleet_command("plan", "examples/target-swap.yaml"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert run.stdout is not None and run.stderr is not None
    run.stdout.close()
    stderr = run.stderr.read()
    assert run.wait(timeout=60) == 1
    assert "Traceback" not in stderr and all(": warning: " in line for line in stderr.splitlines()), stderr


def test_the_removal_check_fails_closed_when_the_state_cannot_be_read(tmp_path):
    """S3 state the gate cannot read (here: an endpoint that refuses every connection) is a refusal,
    not a note: a generation whose destroy failed half-way is never dropped unseen."""
    import socket

    import yaml

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        paths = []
        for name in ("target-swap-6-destroyed", "target-swap-7-done"):
            data = example_data(name)
            data["state"] = {"backend": "s3", "bucket": "acme-tfstate", "region": "eu-west-1"}
            paths.append(tmp_path / f"{name}.yaml")
            paths[-1].write_text(yaml.safe_dump(data, sort_keys=False))
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        done = run_fleet(
            "plan",
            paths[1],
            "--base",
            paths[0],
            env=env,
        )
    assert done.returncode == 2, done.stdout
    (line,) = [line for line in done.stderr.splitlines() if "refused:" in line]
    assert "services.web.targets.blue: its state s3://acme-tfstate/" in line
    assert "the gate removes a generation only once it has read that its state is empty" in line

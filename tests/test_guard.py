"""The PR gate's guard on real fleet edits: every edit that would replace, destroy, orphan or move
what a live generation runs or stands on is refused with one line that names the stack, what would
happen and the way out; the ordinary safe edits pass.

Each edit is a derived fleet file synthesized once (in-process, session cache); the guard runs on
the synthesized JSON exactly as `python -m fleet diff` runs it.
"""

from __future__ import annotations

from typing import Any

import pytest

from fleet.gate.diff import diff_stacks
from fleet.gate.guard import Refusal
from fleet.gate.guard import refusals as guard_refusals
from fleet.model.load import load_fleet
from support.fleets import Edit, both, put
from support.paths import ROOT

STEADY = "examples/steady.yaml"


def _remove_target_blue_add_green(data: dict[str, Any]) -> None:
    targets = data["services"]["web"]["targets"]
    targets["green"] = {**targets.pop("blue")}


# edit -> (stack the first refusal names, words it says, words of the way out)
REFUSED: dict[str, tuple[Edit, str, str, str]] = {
    # platform software is versioned per generation: a bump of the fleet's default reaches a live
    # generation only while it is not pinned, and is refused with the pin as the way out
    "argo-cd chart bump reaches the live hub": (
        put("argocd.chart_version", "9.0.0"),
        "argocd-blue",
        "helm_release.",
        "pin hubs.blue.argocd_chart: 8.1.3 (what it was born with); new generations take the new value",
    ),
    "load balancer controller bump reaches the live target": (
        put("load_balancer_controller.chart_version", "2.0.0"),
        "target-blue",
        "helm_release.",
        "pin services.web.targets.blue.lbc_chart: 1.13.3 (what it was born with)",
    ),
    "served app's namespace moves": (
        put("services.web.apps.podinfo.namespace", "web"),
        "target-blue",
        "replaced (destroy + create), forced by metadata.name",
        "services.web.apps.podinfo.namespace reaches every generation, live ones included: keep it while target-blue is live",
    ),
    "a zone is added": (
        put("network.zones", ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1a"[:-1] + "d"]),
        "argocd-blue",
        "the lookup changes",
        "pin hubs.blue.zones: [eu-west-1a, eu-west-1b, eu-west-1c] (what it was born with)",
    ),
    "a zone is dropped": (
        put("network.zones", ["eu-west-1a", "eu-west-1b"]),
        "shared",
        "destroys it: subnets live generations run in",
        "only append a zone",
    ),
    "network cidr changes": (
        put("network.cidr", "10.50.0.0/16"),
        "shared",
        "replaced (destroy + create), forced by cidr_block: the VPC every live generation runs in",
        "new fleet",
    ),
    "state moves from local to s3": (
        put("state", {"backend": "s3", "bucket": "acme-tfstate", "region": "eu-west-1"}),
        "state",
        "changes (local state/acme/eu-west-1/shared.tfstate -> s3 s3://acme-tfstate/ephemeral-eks/acme/eu-west-1/shared.tfstate)",
        "migrate each stack's state first",
    ),
    "a live target is renamed": (
        _remove_target_blue_add_green,
        "target-blue",
        "stack removed",
        "set its phase to destroyed first",
    ),
    "kubernetes version changes in place": (
        put("services.web.targets.blue.kubernetes_version", "1.32"),
        "target-blue",
        "version would change in place",
        "add a new generation",
    ),
    "instance type changes": (
        put("services.web.targets.blue.nodes.instance_types", ["m6i.xlarge"]),
        "target-blue",
        "forced by instance_types",
        "add a new generation",
    ),
    "node disk grows": (
        put("services.web.targets.blue.nodes.disk_size_gib", 80),
        "target-blue",
        "block_device_mappings",
        "add a new generation",
    ),
    "service range changes": (
        put("service_cidr", "172.21.0.0/16"),
        "argocd-blue",
        "kubernetes_network_config.service_ipv4_cidr",
        "pin hubs.blue.service_cidr: 172.20.0.0/16 (what it was born with)",
    ),
    "public API endpoint opened": (
        put("hubs.blue.public_access_cidrs", ["203.0.113.0/24"]),
        "argocd-blue",
        "vpc_config",
        "add a new generation",
    ),
    "the served app's Service is renamed": (
        put("services.web.apps.podinfo.service", "podinfo-v2"),
        "target-blue",
        "rebinds the serving target group (serviceName: podinfo -> podinfo-v2)",
        "in a new generation",
    ),
    "app port changes": (
        put("services.web.apps.podinfo.port", 8080),
        "shared",
        "the target group of a live generation (blue)",
        "change them only while no target generation is live",
    ),
    "fleet renamed": (
        put("name", "acme2"),
        "target-blue",
        "replaced",
        "that is a new fleet",
    ),
    "region changes": (
        both(
            put("region", "eu-west-2"),
            put("network.zones", ["eu-west-2a", "eu-west-2b", "eu-west-2c"]),
            put(
                "services.web.traffic.certificate_arn",
                "arn:aws:acm:eu-west-2:111122223333:certificate/0e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b",
            ),
            put("services.web.traffic.waf_acl_arn", None),
        ),
        "shared",
        "provider settings change (region)",
        "",
    ),
}

PASSES: dict[str, Edit] = {
    "more nodes": put("services.web.targets.blue.nodes.desired_size", 4),
    "app version bump": put("services.web.apps.podinfo.version", "6.9.3"),
    "a tag": put("tags.cost-center", "cc-42"),
    "new target as provisioning": put(
        "services.web.targets.green", {"kubernetes_version": "1.36", "phase": "provisioning", "weight": 0}
    ),
    "new hub as standby": put("hubs.green", {"kubernetes_version": "1.36", "phase": "standby"}),
    "who may reach the ALB": put("services.web.traffic.allowed_cidrs", ["198.51.100.0/24"]),
    "operators who may try a generation": put("services.web.traffic.operator_cidrs", ["198.51.100.0/28"]),
    "a new WAF web ACL": put(
        "services.web.traffic.waf_acl_arn",
        "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/acme-edge2/2a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
    ),
    "a new logs bucket": put("logs_bucket", "acme-fleet-logs-2"),
    "certificate rotation": put(
        "services.web.traffic.certificate_arn",
        "arn:aws:acm:eu-west-1:111122223333:certificate/1e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b",
    ),
    "a new service range with the live generations pinned": both(
        put("service_cidr", "172.21.0.0/16"),
        put("hubs.blue.service_cidr", "172.20.0.0/16"),
        put("services.web.targets.blue.service_cidr", "172.20.0.0/16"),
    ),
    "a zone added with the live generations pinned": both(
        put("network.zones", ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]),
        put("hubs.blue.zones", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        put("services.web.targets.blue.zones", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ),
}


@pytest.fixture(scope="module")
def steady_side(synth):
    return synth(STEADY), load_fleet(ROOT / STEADY)


def refusals_for(synth, derived_fleet, steady_side, name: str, edit: Edit) -> list[Refusal]:
    base, base_fleet = steady_side
    path = derived_fleet(STEADY, name.replace(" ", "-").replace("'", ""), edit)
    head = synth(path)
    return guard_refusals(diff_stacks(base, head), base, head, base_fleet, load_fleet(path))


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_an_edit_that_would_take_down_or_orphan_something_live_is_refused(case, synth, derived_fleet, steady_side):
    edit, stack, says, way = REFUSED[case]
    refusals = refusals_for(synth, derived_fleet, steady_side, case, edit)
    assert refusals, f"{case}: guard ok"
    lines = [str(r) for r in refusals]
    matching = [line for line in lines if line.startswith(f"{stack}") and says in line and way in line]
    assert matching, "\n".join(lines)
    for line in lines:
        assert "\n" not in line and "; " in line, "one line each: what would happen; the way out"


@pytest.mark.parametrize("case", sorted(PASSES))
def test_an_ordinary_safe_edit_passes(case, synth, derived_fleet, steady_side):
    refusals = refusals_for(synth, derived_fleet, steady_side, case, PASSES[case])
    assert refusals == [], "\n".join(map(str, refusals))


def test_a_state_migration_passes_once_its_state_was_migrated(synth, derived_fleet, steady_side):
    base, base_fleet = steady_side
    edit, *_ = REFUSED["state moves from local to s3"]
    head = synth(derived_fleet(STEADY, "state-moves-from-local-to-s3", edit))
    (refusal,) = guard_refusals(diff_stacks(base, head), base, head, base_fleet)
    assert str(refusal).startswith("state: terraform.backend: the state backend of 3 stack(s) changes")
    assert any("init -migrate-state" in step and "target-blue" in step for step in refusal.steps)
    assert guard_refusals(diff_stacks(base, head), base, head, base_fleet, state_migrated=True) == []


def test_a_generation_leaves_only_from_phase_destroyed(synth):
    retiring, destroyed, done = (
        synth(f"examples/{name}.yaml")
        for name in ("target-swap-5-retiring", "target-swap-6-destroyed", "target-swap-7-done")
    )
    retiring_fleet = load_fleet(ROOT / "examples/target-swap-5-retiring.yaml")
    destroyed_fleet = load_fleet(ROOT / "examples/target-swap-6-destroyed.yaml")
    skipped = guard_refusals(diff_stacks(retiring, done), retiring, done, retiring_fleet)
    assert [r.subject for r in skipped if r.stack == "target-blue"] == ["stack removed"]
    assert guard_refusals(diff_stacks(retiring, destroyed), retiring, destroyed, retiring_fleet) == []
    assert guard_refusals(diff_stacks(destroyed, done), destroyed, done, destroyed_fleet) == []


def test_removing_a_stack_with_no_base_fleet_is_refused(synth):
    base, head = synth("examples/target-swap.yaml"), synth(STEADY)
    refusals = guard_refusals(diff_stacks(base, head), base, head, None)
    assert [r.stack for r in refusals if r.subject == "stack removed"] == ["target-green"]


def test_a_new_lock_moves_no_state_and_passes(synth, derived_fleet):
    s3 = {"backend": "s3", "bucket": "acme-tfstate", "region": "eu-west-1"}
    base_file = derived_fleet(STEADY, "s3-lockfile", put("state", s3))
    head_file = derived_fleet(STEADY, "s3-lock-table", put("state", {**s3, "dynamodb_table": "tf-locks"}))
    base, head = synth(base_file), synth(head_file)
    diffs = diff_stacks(base, head)
    assert {d.stack for d in diffs if d.verdict == "changed"} == {"shared", "argocd-blue", "target-blue"}
    assert guard_refusals(diffs, base, head, load_fleet(base_file), load_fleet(head_file)) == []


# --- one fleet, two services --------------------------------------------------------------------

TWO = "examples/two-services.yaml"


@pytest.fixture(scope="module")
def two_side(synth):
    return synth(TWO), load_fleet(ROOT / TWO)


def _destroy_service(service: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        for target in data["services"][service]["targets"].values():
            target.update(phase="destroyed", weight=0)

    return edit


def _remove_service(service: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        del data["services"][service]

    return edit


@pytest.mark.parametrize(
    ("setting", "value", "live"),
    [
        ("services.api.apps.api.namespace", "api2", {"target-apiblue", "target-apigreen"}),
        ("services.web.apps.podinfo.namespace", "web", {"target-blue"}),
    ],
    ids=["api", "web"],
)
def test_a_service_wide_edit_is_refused_only_on_that_services_live_generations(
    setting, value, live, synth, derived_fleet, two_side
):
    base, base_fleet = two_side
    path = derived_fleet(TWO, f"two-{setting.replace('.', '-')}", put(setting, value))
    head = synth(path)
    refusals = guard_refusals(diff_stacks(base, head), base, head, base_fleet, load_fleet(path))
    lines = [str(r) for r in refusals]
    assert {r.stack for r in refusals} == live, "\n".join(lines)
    service = setting.split(".")[1]
    other = "web" if service == "api" else "api"
    for refusal in refusals:
        assert refusal.way.startswith(f"{setting} reaches every generation, live ones included: keep it while "), lines
        assert f"services.{other}." not in str(refusal), lines


def test_removing_a_service_whose_generations_are_all_destroyed_passes(synth, derived_fleet):
    base_file = derived_fleet(TWO, "two-api-destroyed", _destroy_service("api"))
    head_file = derived_fleet(TWO, "two-api-removed", _remove_service("api"))
    base, head = synth(base_file), synth(head_file)
    diffs = diff_stacks(base, head)
    verdicts = {d.stack: d.verdict for d in diffs}
    assert verdicts["target-apiblue"] == verdicts["target-apigreen"] == "removed"
    assert verdicts["shared"] == "changed", "api's ALB goes with it"
    assert verdicts["target-blue"] == "unchanged"
    assert guard_refusals(diffs, base, head, load_fleet(base_file), load_fleet(head_file)) == []


def test_removing_a_service_with_live_generations_is_refused(synth, derived_fleet, two_side):
    base, base_fleet = two_side
    head_file = derived_fleet(TWO, "two-api-removed", _remove_service("api"))
    head = synth(head_file)
    refusals = guard_refusals(diff_stacks(base, head), base, head, base_fleet, load_fleet(head_file))
    removed = {(r.stack, r.phase) for r in refusals if r.subject == "stack removed"}
    assert removed == {("target-apiblue", "serving"), ("target-apigreen", "registered")}
    shared = [r for r in refusals if r.stack == "shared"]
    assert shared and any(r.subject.startswith("aws_lb.traffic-api_") for r in shared), [str(r) for r in shared]
    assert not any("traffic-web" in r.subject for r in shared), [str(r) for r in shared]


# --- a reused VPC: the serving ALB's subnets ------------------------------------------------------

REUSED_NETWORK = {
    "vpc_id": "vpc-0123456789abcdef0",
    "private_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
    "public_subnet_ids": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
}


@pytest.mark.parametrize(
    ("case", "public", "refused"),
    [
        (
            "a public subnet is added",
            ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"],
            False,
        ),
        ("a public subnet is swapped", ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb3"], True),
        ("a public subnet is dropped", ["subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"], True),
    ],
)
def test_a_serving_albs_subnets_may_only_grow(case, public, refused, synth, derived_fleet):
    """With a reused VPC the ALB's subnets are ids in the fleet file: a serving ALB may gain one
    (a new zone), never lose or swap one in place."""
    base_file = derived_fleet(STEADY, "reused-vpc", put("network", REUSED_NETWORK))
    head_file = derived_fleet(
        STEADY, f"reused-vpc-{case.replace(' ', '-')}", put("network", {**REUSED_NETWORK, "public_subnet_ids": public})
    )
    base, head = synth(base_file), synth(head_file)
    refusals = guard_refusals(diff_stacks(base, head), base, head, load_fleet(base_file), load_fleet(head_file))
    lines = [str(r) for r in refusals if r.stack == "shared" and "aws_lb." in r.subject]
    if refused:
        assert len(lines) == 1 and "would leave subnets subnet-0bbbbbbbbbbbbbbb" in lines[0], lines
        assert "add subnets to network.public_subnet_ids while the service serves" in lines[0]
    else:
        assert lines == [], lines

"""The generation invariants (docs/architecture.md, "Invariants"; README, "Stacks"; docs/gate.md), proven on the example fleets."""

from __future__ import annotations

import json

import pytest

from support.synth import addresses, dangling, references, resources

EXAMPLES = ("steady", "target_swap", "hub_swap", "two_services")


@pytest.mark.parametrize("example", EXAMPLES)
def test_no_generation_stack_reads_remote_state_or_references_another_stack(request, example):
    stacks = request.getfixturevalue(example)
    for stack_id, stack in stacks.items():
        if stack_id == "shared":
            continue
        assert "terraform_remote_state" not in json.dumps(stack), stack_id
        assert not stack.get("variable"), f"{stack_id} takes variables (a cross-stack reference)"
        assert not dangling(stack), f"{stack_id} references what it does not hold: {sorted(dangling(stack))}"


def test_reference_check_catches_a_reference_into_another_stack(steady):
    """The check above can fail: a reference to a resource the stack does not hold is caught."""
    stack = json.loads(json.dumps(steady["target-blue"]))
    stack["resource"]["aws_eks_cluster"] = {
        k: {**v, "role_arn": "${aws_iam_role.argocd-role_role_ABC.arn}"}
        for k, v in stack["resource"]["aws_eks_cluster"].items()
    }
    assert "aws_iam_role.argocd-role_role_ABC" in references(stack) - addresses(stack)


def test_stack_ids_are_shared_argocd_gen_and_target_gen(steady, target_swap, hub_swap, two_services):
    assert sorted(steady) == ["argocd-blue", "shared", "target-blue"]
    assert sorted(target_swap) == ["argocd-blue", "shared", "target-blue", "target-green"]
    assert sorted(hub_swap) == ["argocd-blue", "argocd-green", "shared", "target-blue"]
    # generation names are unique across the fleet: no service in a stack id
    assert sorted(two_services) == ["argocd-blue", "shared", "target-apiblue", "target-apigreen", "target-blue"]


def _without(stack: dict, kind: str, names: set[str], data: bool = False) -> dict:
    copy = json.loads(json.dumps(stack))
    block = copy["data" if data else "resource"][kind]
    for name in names:
        del block[name]
    return copy


def test_adding_a_target_generation_leaves_target_blue_byte_identical(steady, target_swap):
    assert json.dumps(target_swap["target-blue"], sort_keys=True) == json.dumps(steady["target-blue"], sort_keys=True)


def _apps_values(stack: dict) -> tuple[str, dict]:
    [(key, release)] = [(k, r) for k, r in resources(stack, "helm_release").items() if r["name"] == "applicationsets"]
    return key, json.loads(release["values"][0])


def test_adding_a_target_generation_changes_a_hub_only_by_its_registration(steady, target_swap):
    """Its cluster Secret, the lookup of its endpoint, and its destinations in its service's
    AppProject (a project lists the clusters its apps may reach); nothing else."""
    before, after = steady["argocd-blue"], target_swap["argocd-blue"]
    added_secrets = set(resources(after, "kubernetes_secret_v1")) - set(resources(before, "kubernetes_secret_v1"))
    added_lookups = set(after["data"]["aws_eks_cluster"]) - set(before["data"]["aws_eks_cluster"])
    assert len(added_secrets) == 1 and added_lookups == {"target-green"}
    trimmed = _without(
        _without(after, "kubernetes_secret_v1", added_secrets), "aws_eks_cluster", added_lookups, data=True
    )
    key, values_before = _apps_values(before)
    _, values_after = _apps_values(trimmed)
    web_before, web_after = values_before["projects"]["web"], values_after["projects"]["web"]
    assert web_after["destinations"] == [
        *web_before["destinations"],
        {"name": "acme-target-green", "namespace": "podinfo"},
    ]
    web_after["destinations"] = web_before["destinations"]
    assert values_after == values_before, "the ApplicationSets and the rest of the project stay as they were"
    trimmed["resource"]["helm_release"][key]["values"] = before["resource"]["helm_release"][key]["values"]
    assert trimmed == before


def test_adding_a_target_generation_adds_exactly_one_target_group_to_shared(steady, target_swap):
    before, after = (
        resources(steady["shared"], "aws_lb_target_group"),
        resources(target_swap["shared"], "aws_lb_target_group"),
    )
    added = set(after) - set(before)
    assert len(added) == 1
    assert after[next(iter(added))]["name"] == "acme-green"
    assert {k: after[k] for k in before} == before


def test_adding_a_hub_generation_leaves_every_other_stack_byte_identical(steady, hub_swap):
    for stack_id in ("argocd-blue", "target-blue", "shared"):
        assert json.dumps(hub_swap[stack_id], sort_keys=True) == json.dumps(steady[stack_id], sort_keys=True), stack_id


def test_moving_weights_changes_shared_only(synth, target_swap, derived_fleet):
    def move(data):
        targets = data["services"]["web"]["targets"]
        targets["blue"]["weight"] = 50
        targets["green"].update(phase="serving", weight=50)

    moved = synth(derived_fleet("examples/target-swap.yaml", "weights-50-50", move))
    for stack_id in ("argocd-blue", "target-blue", "target-green"):
        assert moved[stack_id] == target_swap[stack_id], stack_id
    assert moved["shared"] != target_swap["shared"]
    [listener] = [x for x in resources(moved["shared"], "aws_lb_listener").values() if x["port"] == 443]
    weights = sorted(t["weight"] for t in listener["default_action"][0]["forward"]["target_group"])
    assert weights == [50, 50]


def test_exactly_one_hub_reconciles_and_the_standby_one_is_paused(hub_swap):
    def paused(stack):
        secrets = resources(stack, "kubernetes_secret_v1").values()
        return {s["metadata"]["annotations"].get("argocd.argoproj.io/skip-reconcile") for s in secrets}

    assert paused(hub_swap["argocd-blue"]) == {None}
    assert paused(hub_swap["argocd-green"]) == {"true"}


def test_a_new_generation_is_reachable_by_header_before_it_takes_weight(steady, target_swap):
    rules = resources(target_swap["shared"], "aws_lb_listener_rule")
    headers = sorted(r["condition"][0]["http_header"]["values"][0] for r in rules.values())
    assert headers == ["blue", "green"]
    assert len({r["priority"] for r in rules.values()}) == 2
    before = {k: v for k, v in resources(steady["shared"], "aws_lb_listener_rule").items()}
    assert {k: rules[k] for k in before} == before, "adding green leaves blue's rule as it was"
    [listener] = [x for x in resources(target_swap["shared"], "aws_lb_listener").values() if x["port"] == 443]
    assert [t["weight"] for t in listener["default_action"][0]["forward"]["target_group"]] == [100]


@pytest.mark.parametrize("example", ["target_swap", "two_services"])
def test_load_balancers_and_target_groups_belong_to_shared_only(request, example):
    for stack_id, stack in request.getfixturevalue(example).items():
        owned = {k for k in stack.get("resource", {}) if k.startswith(("aws_lb", "aws_alb"))}
        assert (stack_id == "shared") == bool(owned), f"{stack_id} owns {owned}"


def test_each_service_forwards_only_to_its_own_generations_target_groups(two_services):
    shared = two_services["shared"]
    groups = {
        f"${{aws_lb_target_group.{k}.arn}}": g["name"] for k, g in resources(shared, "aws_lb_target_group").items()
    }
    albs = {f"${{aws_lb.{k}.arn}}": lb["name"] for k, lb in resources(shared, "aws_lb").items()}
    assert sorted(albs.values()) == ["acme-api-alb", "acme-web-alb"]
    https = {albs[x["load_balancer_arn"]]: x for x in resources(shared, "aws_lb_listener").values() if x["port"] == 443}
    forwards = {
        alb: {groups[t["arn"]]: t["weight"] for t in listener["default_action"][0]["forward"]["target_group"]}
        for alb, listener in https.items()
    }
    assert forwards == {"acme-web-alb": {"acme-blue": 100}, "acme-api-alb": {"acme-apiblue": 100}}
    # every rule sits on its own service's listener, in front of its own service's group
    listener_alb = {
        f"${{aws_lb_listener.{k}.arn}}": albs[x["load_balancer_arn"]]
        for k, x in resources(shared, "aws_lb_listener").items()
    }
    rules = {
        groups[r["action"][0]["target_group_arn"]]: listener_alb[r["listener_arn"]]
        for r in resources(shared, "aws_lb_listener_rule").values()
    }
    assert rules == {"acme-blue": "acme-web-alb", "acme-apiblue": "acme-api-alb", "acme-apigreen": "acme-api-alb"}
    assert len({r["priority"] for r in resources(shared, "aws_lb_listener_rule").values()}) == 3
    assert sorted(shared["output"]) == ["alb-dns-name-api", "alb-dns-name-web"]


# --- lifecycle phases -------------------------------------------------------------------------


def test_a_provisioning_target_gets_its_stack_and_target_group_but_no_hub_knows_it(synth, steady):
    provisioning = synth("examples/target-swap-1-provisioning.yaml")
    assert "target-green" in provisioning
    assert provisioning["argocd-blue"] == steady["argocd-blue"]
    groups = {g["name"] for g in resources(provisioning["shared"], "aws_lb_target_group").values()}
    assert groups == {"acme-blue", "acme-green"}


def test_target_blue_stays_byte_identical_through_every_step_of_its_replacement(synth, steady):
    for step in ("target-swap-1-provisioning", "target-swap", "target-swap-3-serving", "target-swap-5-retiring"):
        assert synth(f"examples/{step}.yaml")["target-blue"] == steady["target-blue"], step


def test_a_retiring_target_is_deregistered_from_every_hub_yet_still_synthesizes(synth):
    retiring = synth("examples/target-swap-5-retiring.yaml")
    registered = {
        s["metadata"]["labels"]["ephemeral-eks.io/generation"]
        for s in resources(retiring["argocd-blue"], "kubernetes_secret_v1").values()
    }
    assert registered == {"green"}
    assert "target-blue" in retiring, "cdktf destroy target-blue needs the stack"
    [listener] = [x for x in resources(retiring["shared"], "aws_lb_listener").values() if x["port"] == 443]
    forward = listener["default_action"][0]["forward"]["target_group"]
    assert [t["weight"] for t in forward] == [100], "only serving target groups are in the weighted forward"
    groups = {g["name"] for g in resources(retiring["shared"], "aws_lb_target_group").values()}
    assert groups == {"acme-blue", "acme-green"}, "blue's target group stays until blue leaves the file"


def test_a_retiring_hub_is_paused_and_the_promoted_one_reconciles(synth, hub_swap):
    promoted = synth("examples/hub-swap-2-promoted.yaml")
    for stack_id, paused in (("argocd-blue", {"true"}), ("argocd-green", {None})):
        secrets = resources(promoted[stack_id], "kubernetes_secret_v1").values()
        assert {s["metadata"]["annotations"].get("argocd.argoproj.io/skip-reconcile") for s in secrets} == paused
    assert promoted["target-blue"] == hub_swap["target-blue"] and promoted["shared"] == hub_swap["shared"]

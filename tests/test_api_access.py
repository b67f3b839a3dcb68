"""CI runners and operators can reach the clusters: `api_access` opens 443 on every control
plane's private endpoint to the runners' CIDRs and SGs (adding them to a live generation is an
addition the guard lets through). No principal but SharedArgoRole gets an access entry: PR plans
read no cluster."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.gate.diff import diff_stacks
from fleet.gate.guard import refusals as guard_refusals
from fleet.model.load import load_fleet
from support.fleets import example_data
from support.paths import ROOT
from support.synth import resources

ACCESS = {"cidrs": ["10.99.0.0/24"], "security_group_ids": ["sg-0123456789abcdef0"]}


@pytest.fixture(scope="module")
def with_access(synth, derived_fleet):
    path = derived_fleet("examples/steady.yaml", "api-access", lambda d: d.update(api_access=ACCESS))
    return synth(path), load_fleet(path)


def _api_rules(stack: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r
        for address, r in resources(stack, "aws_vpc_security_group_ingress_rule").items()
        if "endpoint-access" in address and r["from_port"] == 443
    ]


@pytest.mark.parametrize("stack_id", ["argocd-blue", "target-blue"])
def test_runners_reach_every_control_plane_on_443_only(with_access, stack_id):
    stack = with_access[0][stack_id]
    rules = _api_rules(stack)
    assert {r.get("cidr_ipv4") for r in rules} >= {"10.99.0.0/24"}
    assert {r.get("referenced_security_group_id") for r in rules} >= {"sg-0123456789abcdef0"}
    assert all(r["to_port"] == 443 and r["ip_protocol"] == "tcp" for r in rules)
    (cluster,) = resources(stack, "aws_eks_cluster").values()
    (sg_address,) = [a for a in resources(stack, "aws_security_group") if "endpoint-access" in a]
    assert f"${{aws_security_group.{sg_address}.id}}" in cluster["vpc_config"]["security_group_ids"]


@pytest.mark.parametrize("stack_id", ["argocd-blue", "target-blue"])
def test_no_principal_but_argocds_role_gets_an_access_entry(with_access, stack_id):
    stack = with_access[0][stack_id]
    principals = {e["principal_arn"] for e in resources(stack, "aws_eks_access_entry").values()}
    assert all(p.startswith("${data.aws_iam_role.argocd-role") for p in principals), principals
    assert len(principals) == (1 if stack_id.startswith("target-") else 0), "SharedArgoRole on a target only"


def test_a_plan_role_in_the_fleet_file_gets_one_line_saying_to_delete_it(tmp_path):
    import yaml

    from fleet.model.load import FleetError

    data = example_data("steady")
    data["api_access"] = {"plan_role_arn": "arn:aws:iam::111122223333:role/fleet-plan"}
    path = tmp_path / "plan-role.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(FleetError) as refused:
        load_fleet(path)
    (line,) = str(refused.value).splitlines()
    assert line.startswith(f"{path}: api_access.plan_role_arn: PR plans compare configuration with state")
    assert line.endswith("delete this key")


def test_without_api_access_only_argocd_reaches_a_target(steady):
    assert [r.get("referenced_security_group_id", "").split(".")[0] for r in _api_rules(steady["target-blue"])] == [
        "${data"
    ], "one rule: the ArgoCD-client SG"
    assert _api_rules(steady["argocd-blue"]) == []


def test_letting_runners_in_passes_the_guard_and_shutting_them_out_does_not(steady, with_access):
    opened, opened_fleet = with_access
    base_fleet = load_fleet(ROOT / "examples/steady.yaml")
    assert guard_refusals(diff_stacks(steady, opened), steady, opened, base_fleet, opened_fleet) == []
    refusals = guard_refusals(diff_stacks(opened, steady), opened, steady, opened_fleet, base_fleet)
    assert refusals and all("destroys it" in r.happens for r in refusals)
    assert {r.stack for r in refusals} == {"argocd-blue", "target-blue"}

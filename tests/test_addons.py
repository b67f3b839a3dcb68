"""EKS add-ons are versioned per generation, like its charts and its Kubernetes version: the
table of what EKS offers per minor (fleet/addons.py) agrees with fleet/versions.py, a version EKS
does not offer is one line naming the field, the stacks install exactly the versions a generation
runs (the EBS CSI driver with its Pod Identity role and an encrypted default StorageClass), a bump
of the fleet-level defaults leaves every pinned stack byte-identical, and the guard refuses a
change of what a live generation runs with the way out."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest

import fleet.addons as addons_module
from fleet.addons import ADDONS, BY_FIELD, KUBE_PROXY, NONE, missing_minors
from fleet.gate.diff import diff_stacks
from fleet.gate.guard import refusals as guard_refusals
from fleet.model.load import FleetError, load_fleet
from fleet.model.resolved import resolve
from fleet.versions import KUBERNETES_VERSIONS
from support.emulator import EMULATOR_EXCLUSIONS, emulated_config
from support.paths import ROOT
from support.synth import resources

TARGET_SWAP = "examples/platform-target-swap.yaml"
HUB_SWAP = "examples/platform-hub-swap.yaml"
VERSION = re.compile(r"v\d+\.\d+\.\d+-eksbuild\.\d+")


# --- the table ----------------------------------------------------------------------------------


def test_every_supported_minor_has_a_row_or_is_listed_as_missing_with_the_reason():
    doc = addons_module.__doc__ or ""
    missing_section = doc[doc.index("Not found, so left out") :]
    for addon in ADDONS:
        assert set(addon.offered) <= set(KUBERNETES_VERSIONS), f"{addon.name}: a row for a minor EKS does not offer"
        for minor in missing_minors(addon):
            assert addon.name in missing_section, f"{addon.name} {minor}: no row and no reason in the docstring"
        for minor, versions in addon.offered.items():
            assert versions, f"{addon.name} {minor}: an empty row"
            assert all(VERSION.fullmatch(v) for v in versions), f"{addon.name} {minor}: {versions}"


def test_kube_proxy_follows_its_minor():
    for minor, versions in KUBE_PROXY.offered.items():
        assert all(v.startswith(f"v{minor}.") for v in versions), (minor, versions)


def test_every_row_names_its_source():
    source = (ROOT / "fleet" / "addons.py").read_text()
    rows = [line for line in source.splitlines() if re.match(r"\s+\(\(\"1\.\d+\"", line)]
    assert rows and all(re.search(r"#.*(\[[a-z0-9-]+\]|ja|cn)", row) for row in rows), rows


def test_the_model_names_each_addon_of_the_table():
    from fleet.model.platform import Addons

    assert set(Addons.model_fields) == set(BY_FIELD)


# --- the fleet file -----------------------------------------------------------------------------


def _write(tmp_path, example: str, edit) -> str:
    import yaml

    data = yaml.safe_load((ROOT / example).read_text())
    edit(data)
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def _refusal(tmp_path, edit) -> str:
    with pytest.raises(FleetError) as err:
        load_fleet(_write(tmp_path, TARGET_SWAP, edit))
    (line,) = str(err.value).splitlines()
    return line


def test_a_version_eks_does_not_offer_for_the_minor_is_one_line_naming_the_field(tmp_path):
    def pin(data: dict[str, Any]) -> None:
        data["services"]["web"]["targets"]["blue"]["addons"]["kube_proxy"] = "v1.36.0-eksbuild.14"

    line = _refusal(tmp_path, pin)
    assert "services.web.targets.blue.addons.kube_proxy: kube-proxy v1.36.0-eksbuild.14 is not offered" in line
    assert "for Kubernetes 1.35; set services.web.targets.blue.addons.kube_proxy to one EKS offers" in line
    assert "v1.35.3-eksbuild.13" in line


def test_a_default_a_generation_cannot_run_names_the_pin_that_fixes_it(tmp_path):
    def unpin(data: dict[str, Any]) -> None:
        del data["hubs"]["blue"]["addons"]["kube_proxy"]

    line = _refusal(tmp_path, unpin)
    assert "addons.kube_proxy (the fleet's default, which hubs.blue takes): kube-proxy v1.36.0-eksbuild.14" in line
    assert "set hubs.blue.addons.kube_proxy to one EKS offers for 1.35" in line


def test_a_minor_without_a_row_says_how_to_add_one(tmp_path):
    def pin(data: dict[str, Any]) -> None:
        data["services"]["web"]["targets"]["blue"]["addons"]["aws_ebs_csi_driver"] = "v1.66.0-eksbuild.1"

    line = _refusal(tmp_path, pin)
    assert "no version of aws-ebs-csi-driver for 1.35 is recorded in fleet/addons.py" in line
    assert "set services.web.targets.blue.addons.aws_ebs_csi_driver to none" in line
    assert "aws eks describe-addon-versions --addon-name aws-ebs-csi-driver --kubernetes-version 1.35" in line


def test_a_malformed_version_is_one_line(tmp_path):
    def pin(data: dict[str, Any]) -> None:
        data["addons"]["coredns"] = "1.14.3"

    line = _refusal(tmp_path, pin)
    assert "addons.coredns" in line and "v1.14.3-eksbuild.3" in line, line


def test_fleet_files_without_addons_run_only_the_pod_identity_agent_unversioned():
    view = resolve(load_fleet(ROOT / "examples" / "target-swap.yaml"), date(2026, 11, 27))
    for generation in view:
        assert set(generation.addon_versions().values()) == {None}


# --- the stacks ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def platform(synth):
    return synth(TARGET_SWAP)


def _addons(stack: dict[str, Any]) -> dict[str, str | None]:
    return {body["addon_name"]: body.get("addon_version") for body in resources(stack, "aws_eks_addon").values()}


def test_each_generation_installs_the_versions_it_runs(platform):
    assert _addons(platform["target-green"]) == {
        "eks-pod-identity-agent": None,
        "coredns": "v1.14.3-eksbuild.3",
        "kube-proxy": "v1.36.0-eksbuild.14",
        "aws-ebs-csi-driver": "v1.66.0-eksbuild.1",
    }
    assert _addons(platform["target-blue"]) == {
        "eks-pod-identity-agent": None,
        "coredns": "v1.13.2-eksbuild.4",
        "kube-proxy": "v1.35.3-eksbuild.2",
    }
    assert _addons(platform["argocd-blue"]) == {"eks-pod-identity-agent": None}
    for body in resources(platform["target-green"], "aws_eks_addon").values():
        assert body["resolve_conflicts_on_create"] == body["resolve_conflicts_on_update"] == "OVERWRITE"


def test_the_ebs_csi_driver_acts_through_pod_identity_with_its_managed_policy_only(platform):
    green = platform["target-green"]
    (role,) = [r for r in resources(green, "aws_iam_role").values() if r["name"].endswith("-ebs-csi")]
    trust = json.loads(role["assume_role_policy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-namespace"] == "kube-system"
    assert statement["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == [
        "ebs-csi-controller-sa"
    ]
    assert statement["Condition"]["StringLike"]["aws:RequestTag/eks-cluster-name"] == "acme-target-green"
    attached = [
        a["policy_arn"] for a in resources(green, "aws_iam_role_policy_attachment").values() if "ebs-csi" in a["role"]
    ]
    assert attached == ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
    (association,) = [
        a
        for a in resources(green, "aws_eks_pod_identity_association").values()
        if a["service_account"] == "ebs-csi-controller-sa"
    ]
    assert association["namespace"] == "kube-system"
    (addon,) = [a for a in resources(green, "aws_eks_addon").values() if a["addon_name"] == "aws-ebs-csi-driver"]
    assert any("ebs-csi-pod-identity" in d for d in addon["depends_on"]), "the driver starts before its identity"
    assert not [r for r in resources(platform["target-blue"], "aws_iam_role").values() if "ebs-csi" in r["name"]]


def test_volumes_are_encrypted_gp3_by_default(platform):
    (storage_class,) = resources(platform["target-green"], "kubernetes_storage_class_v1").values()
    assert storage_class["storage_provisioner"] == "ebs.csi.aws.com"
    assert storage_class["parameters"] == {"type": "gp3", "encrypted": "true"}
    metadata = storage_class["metadata"]
    assert metadata["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storage_class["volume_binding_mode"] == "WaitForFirstConsumer"
    assert not resources(platform["target-blue"], "kubernetes_storage_class_v1")


# --- defaults and pins --------------------------------------------------------------------------


def _pin_everything(data: dict[str, Any]) -> None:
    """Every generation pinned to what it runs today (charts and add-ons)."""
    fleet = load_fleet(ROOT / TARGET_SWAP)
    for ref, spec in fleet.generations():
        entry = data["hubs"][ref.name] if ref.kind == "hub" else data["services"][ref.service]["targets"][ref.name]
        entry["addons"] = {a.field: fleet.addon_version(spec, a.field) for a in ADDONS}
        if ref.kind == "hub":
            entry.update(argocd_chart=fleet.argocd_chart(spec), apps_chart=fleet.apps_chart(spec))  # type: ignore[arg-type]
        else:
            entry["lbc_chart"] = fleet.lbc_chart(spec)  # type: ignore[arg-type]


def _bump_defaults(data: dict[str, Any]) -> None:
    _pin_everything(data)
    data["argocd"].update(chart_version="9.0.0", apps_chart_version="2.1.0")
    data["load_balancer_controller"]["chart_version"] = "3.4.2"
    data["addons"] = {
        "vpc_cni": "v1.21.1-eksbuild.3",
        "coredns": "v1.13.2-eksbuild.11",
        "kube_proxy": "v1.34.6-eksbuild.13",
        "eks_pod_identity_agent": "v1.3.8-eksbuild.2",
        "aws_ebs_csi_driver": "v1.65.0-eksbuild.1",
        "metrics_server": NONE,
    }


def test_pins_of_what_generations_run_change_no_stack(platform, synth, derived_fleet):
    assert synth(derived_fleet(TARGET_SWAP, "addons-pinned", _pin_everything)) == platform


def test_a_bump_of_the_fleet_level_defaults_leaves_every_pinned_stack_byte_identical(platform, synth, derived_fleet):
    bumped = synth(derived_fleet(TARGET_SWAP, "addons-bumped", _bump_defaults))
    assert set(bumped) == set(platform)
    for stack_id in platform:
        assert json.dumps(bumped[stack_id], sort_keys=True) == json.dumps(platform[stack_id], sort_keys=True), stack_id


def _guard(base_file, head_file, synth) -> list[Any]:
    base, head = synth(base_file), synth(head_file)
    return guard_refusals(diff_stacks(base, head), base, head, load_fleet(base_file), load_fleet(head_file))


def test_an_addon_pin_change_on_a_live_generation_is_refused_with_the_way_out(platform, synth, derived_fleet):
    def upgrade_in_place(data: dict[str, Any]) -> None:
        data["services"]["web"]["targets"]["blue"]["addons"]["coredns"] = "v1.14.3-eksbuild.3"

    refusals = _guard(ROOT / TARGET_SWAP, derived_fleet(TARGET_SWAP, "addons-in-place", upgrade_in_place), synth)
    assert [(r.stack, r.phase) for r in refusals] == [("target-blue", "serving")]
    assert "addon_version would change in place" in refusals[0].happens
    assert refusals[0].way.startswith("add a new generation with this change instead")


def test_an_addon_added_to_a_live_generation_is_refused(synth, derived_fleet):
    def unpin(data: dict[str, Any]) -> None:
        del data["hubs"]["blue"]["addons"]["coredns"]  # now takes the fleet's v1.14.3-eksbuild.3

    refusals = _guard(ROOT / TARGET_SWAP, derived_fleet(TARGET_SWAP, "addons-unpinned", unpin), synth)
    assert {(r.stack, r.happens) for r in refusals} == {("argocd-blue", "adds aws_eks_addon to a live generation")}


def test_a_default_bump_that_reaches_a_live_generation_names_the_pin(synth, derived_fleet):
    def hub_takes_default(data: dict[str, Any]) -> None:
        del data["hubs"]["blue"]["addons"]["coredns"]

    def bump(data: dict[str, Any]) -> None:
        hub_takes_default(data)
        data["addons"]["coredns"] = "v1.13.2-eksbuild.4"
        data["services"]["web"]["targets"]["green"]["addons"] = {"coredns": "v1.14.3-eksbuild.3"}

    base = derived_fleet(TARGET_SWAP, "addons-hub-default", hub_takes_default)
    refusals = _guard(base, derived_fleet(TARGET_SWAP, "addons-default-bumped", bump), synth)
    assert {r.stack for r in refusals} == {"argocd-blue"}
    assert refusals[0].way == (
        "pin hubs.blue.addons.coredns: v1.14.3-eksbuild.3 (what it was born with); new generations take the new value"
    )


# --- the emulator -------------------------------------------------------------------------------


def test_the_emulator_applies_the_ebs_csi_role_and_leaves_out_what_moto_cannot_take(platform):
    """moto 5.2.5 has no EKS add-on or Pod Identity API (EMULATOR_EXCLUSIONS says so): the add-ons
    and the association are left out of the emulated apply, the IAM role and its policy stay."""
    green = platform["target-green"]
    emulated = emulated_config(green)
    assert {"aws_eks_addon", "aws_eks_pod_identity_association"} <= set(EMULATOR_EXCLUSIONS)
    assert "aws_eks_addon" not in emulated["resource"]
    assert "aws_eks_pod_identity_association" not in emulated["resource"]
    assert any(r["name"].endswith("-ebs-csi") for r in emulated["resource"]["aws_iam_role"].values())
    assert any(
        a["policy_arn"].endswith("AmazonEBSCSIDriverPolicy")
        for a in emulated["resource"]["aws_iam_role_policy_attachment"].values()
    )

"""`python -m fleet diff`: per-stack verdicts, resource and attribute changes (fleet/gate/diff.py),
replacements shown as replacements, the guard on hand-edited JSON (fleet/gate/guard.py; real fleet
edits are in test_guard.py), and the command line.

Pure-function tests run on the session's synthesized examples (and on copies of their JSON
mutated by hand); derived fleets are synthesized in-process once each; the CLI tests pass
cdktf.out directories; one test synthesizes a real git revision in a throwaway repository.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

import fleet.cli as cli
from fleet.gate import comment
from fleet.gate.diff import Change, attribute_paths, diff_stack, diff_stacks, entries
from fleet.gate.guard import Refusal
from fleet.gate.guard import refusals as guard_refusals
from fleet.gate.replacement import FORCES_REPLACEMENT
from fleet.gate.sources import SourceError, app_command
from fleet.model.load import load_fleet
from support.paths import ROOT

STEADY = ROOT / "examples" / "steady.yaml"
TARGET_SWAP = ROOT / "examples" / "target-swap.yaml"
HUB_SWAP = ROOT / "examples" / "hub-swap.yaml"


def guard(base, head, base_fleet) -> list[Refusal]:
    return guard_refusals(diff_stacks(base, head), base, head, base_fleet)


def verdicts(base, head) -> dict[str, str]:
    return {d.stack: d.verdict for d in diff_stacks(base, head)}


def changes_of(base, head, stack: str) -> dict[str, Change]:
    found = {d.stack: d for d in diff_stacks(base, head)}[stack]
    return {c.address: c for c in found.changes}


def only_key(stack: dict[str, Any], rtype: str, contains: str = "") -> str:
    keys = [k for k in stack["resource"][rtype] if contains in k]
    assert len(keys) == 1, f"expected one {rtype} *{contains}*, found {keys}"
    return keys[0]


def mutated(stacks: dict[str, Any], stack: str, edit) -> dict[str, Any]:
    """A deep copy of `stacks` with `edit` applied to one stack's JSON."""
    copied = copy.deepcopy(stacks)
    edit(copied[stack])
    return copied


@pytest.fixture(scope="module")
def steady_fleet():
    return load_fleet(STEADY)


def _edit_target(name: str, **changes: Any):
    def edit(data: dict[str, Any]) -> None:
        target = data["services"]["web"]["targets"][name]
        for key, value in changes.items():
            if key in ("instance_types", "desired_size"):
                target["nodes"][key] = value
            else:
                target[key] = value

    return edit


# --- 1. the examples' verdicts ------------------------------------------------------------------


def test_steady_to_target_swap_verdicts(steady, target_swap, steady_fleet):
    assert verdicts(steady, target_swap) == {
        "shared": "changed",
        "argocd-blue": "changed",
        "target-blue": "unchanged",
        "target-green": "added",
    }
    shared = changes_of(steady, target_swap, "shared")
    # green's target group and the header rule that reaches it; the weighted forward is untouched
    assert sorted((c.type, c.kind) for c in shared.values()) == [
        ("aws_lb_listener_rule", "added"),
        ("aws_lb_target_group", "added"),
    ]
    assert any(a.startswith("aws_lb_target_group.traffic-web_tg-green") for a in shared)
    hub = changes_of(steady, target_swap, "argocd-blue")
    assert sorted(c.kind for c in hub.values()) == ["added", "added", "changed"]
    assert "data.aws_eks_cluster.target-green" in hub
    # the service's ArgoCD project gains green's cluster as a destination
    (project,) = [c for c in hub.values() if c.kind == "changed"]
    assert (project.type, project.paths) == ("helm_release", ("values",))
    assert guard(steady, target_swap, steady_fleet) == []
    assert guard(steady, target_swap, None) == [], "nothing refused, whatever the phases"


def test_steady_to_hub_swap_only_adds_the_new_hub(steady, hub_swap, steady_fleet):
    assert verdicts(steady, hub_swap) == {
        "shared": "unchanged",
        "argocd-blue": "unchanged",
        "argocd-green": "added",
        "target-blue": "unchanged",
    }
    assert guard(steady, hub_swap, steady_fleet) == []


def test_a_removed_stack_is_removed_and_refused_unless_destroyed(steady, target_swap):
    diffs = diff_stacks(target_swap, steady)
    assert {d.stack: d.verdict for d in diffs}["target-green"] == "removed"
    refusals = guard(target_swap, steady, load_fleet(TARGET_SWAP))
    assert [(r.stack, r.subject, r.phase) for r in refusals if r.stack != "shared"] == [
        ("target-green", "stack removed", "registered")
    ]
    (group,) = [r for r in refusals if r.stack == "shared"]
    assert group.subject.startswith("aws_lb_target_group.traffic-web_tg-green") and "(green)" in group.happens


# --- 2. unsafe changes: refused on a live generation, allowed on a candidate --------------------

UNSAFE = {
    "version": (
        {"kubernetes_version": "1.32"},
        {("aws_eks_cluster", "version would change in place")},
    ),
    "endpoint-access": (
        {"public_access_cidrs": ["203.0.113.0/24"]},
        {
            (
                "aws_eks_cluster",
                "vpc_config.endpoint_public_access, vpc_config.public_access_cidrs would change in place",
            ),
        },
    ),
    "instance-types": (
        {"instance_types": ["m6i.xlarge"]},
        {("aws_eks_node_group", "replaced (destroy + create), forced by instance_types")},
    ),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_change_to_a_live_target_is_refused(case, synth, derived_fleet, steady, steady_fleet):
    edits, expected = UNSAFE[case]
    head = synth(derived_fleet("examples/steady.yaml", f"blue-{case}", _edit_target("blue", **edits)))
    diffs = diff_stacks(steady, head)
    assert {d.stack: d.verdict for d in diffs} == {
        "shared": "unchanged",
        "argocd-blue": "unchanged",
        "target-blue": "changed",
    }
    refusals = guard(steady, head, steady_fleet)
    assert {(r.subject.split(".")[0], r.happens) for r in refusals} == expected
    for refusal in refusals:
        assert refusal.stack == "target-blue" and refusal.phase == "serving"
        assert str(refusal).startswith(f"target-blue (phase serving): {refusal.subject}: {refusal.happens}; ")
        assert str(refusal).endswith(
            "add a new generation with this change instead (phase: provisioning) and swap to it"
        )


def _green(phase: str, **changes: Any):
    def edit(data: dict[str, Any]) -> None:
        data["services"]["web"]["targets"]["green"]["phase"] = phase
        _edit_target("green", **changes)(data)

    return edit


@pytest.fixture(scope="module")
def green_candidate(synth, derived_fleet):
    """Base: target-swap with green still provisioning. Head: green's version, endpoint access and
    instance types all changed in place."""
    base_file = derived_fleet("examples/target-swap.yaml", "green-provisioning", _green("provisioning"))
    head_file = derived_fleet(
        "examples/target-swap.yaml",
        "green-provisioning-changed",
        _green("provisioning", **{k: v for edits, _ in UNSAFE.values() for k, v in edits.items()}),
    )
    return synth(base_file), synth(head_file), load_fleet(base_file)


def test_unsafe_changes_to_a_candidate_are_allowed(green_candidate):
    base, head, base_fleet = green_candidate
    diffs = diff_stacks(base, head)
    assert {d.stack: d.verdict for d in diffs}["target-green"] == "changed"
    assert {d.stack: d.verdict for d in diffs}["target-blue"] == "unchanged"
    changed = {c.type for c in changes_of(base, head, "target-green").values()}
    for _, expected in UNSAFE.values():
        assert {rtype for rtype, _ in expected} <= changed
    assert base_fleet.targets["green"].phase == "provisioning"
    assert guard(base, head, base_fleet) == []


def test_the_same_changes_are_refused_once_the_candidate_is_registered(green_candidate):
    """`registered` is live: every hub already deploys to it."""
    base, head, _ = green_candidate
    refusals = guard(base, head, load_fleet(TARGET_SWAP))
    said = " ".join(r.happens for r in refusals)
    for words in ("version", "vpc_config.public_access_cidrs", "forced by instance_types"):
        assert words in said, said
    assert {(r.stack, r.phase) for r in refusals} == {("target-green", "registered")}


def _set(rtype: str, contains: str, path: tuple[str, ...], value: Any):
    def edit(stack: dict[str, Any]) -> None:
        body = stack["resource"][rtype][only_key(stack, rtype, contains)]
        for key in path[:-1]:
            body = body[key]
        body[path[-1]] = value

    return edit


def _set_data(rtype: str, path: tuple[str, ...], value: Any):
    def edit(stack: dict[str, Any]) -> None:
        (body,) = stack["data"][rtype].values()
        for key in path[:-1]:
            body = body[key]
        body[path[-1]] = value

    return edit


def _add_policy_attachment(stack: dict[str, Any]) -> None:
    stack["resource"]["aws_iam_role_policy_attachment"]["target_eks_node-role-Extra_0123ABCD"] = {
        "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess",
        "role": "${aws_iam_role.target_eks_node-role_6D112980.name}",
    }


def _remove(rtype: str, contains: str = ""):
    def edit(stack: dict[str, Any]) -> None:
        del stack["resource"][rtype][only_key(stack, rtype, contains)]

    return edit


HAND_EDITS = {
    # what is edited in target-blue's JSON -> (address prefix, what the refusal says happens)
    "443 rule port": (
        _set("aws_vpc_security_group_ingress_rule", "api-from-argocd", ("from_port",), 8443),
        (
            "aws_vpc_security_group_ingress_rule.target_endpoint-access_api-from-argocd",
            "from_port would change in place",
        ),
    ),
    "node role trust": (
        _set("aws_iam_role", "node-role", ("assume_role_policy",), '{"Statement": []}'),
        ("aws_iam_role.target_eks_node-role", "assume_role_policy would change in place"),
    ),
    "KMS deletion window": (
        _set("aws_kms_key", "", ("deletion_window_in_days",), 7),
        ("aws_kms_key.target_eks_key", "deletion_window_in_days would change in place"),
    ),
    "IMDS tokens": (
        _set("aws_launch_template", "", ("metadata_options", "http_tokens"), "optional"),
        ("aws_launch_template.target_eks_nodes-template", "metadata_options.http_tokens would change in place"),
    ),
    "subnets": (
        _set("aws_eks_cluster", "", ("vpc_config", "subnet_ids"), ["subnet-0123456789abcdef0"]),
        ("aws_eks_cluster.target_eks_cluster", "vpc_config.subnet_ids would change in place"),
    ),
    "added policy attachment": (
        _add_policy_attachment,
        ("aws_iam_role_policy_attachment.target_eks_node-role-Extra", "adds aws_iam_role_policy_attachment"),
    ),
    "removed node group": (
        _remove("aws_eks_node_group"),
        ("aws_eks_node_group.target_eks_nodes", "destroys it"),
    ),
    "lookup of the target group": (
        _set_data("aws_lb_target_group", ("name",), "acme-other"),
        ("data.aws_lb_target_group.target-group", "the lookup changes (name)"),
    ),
    "an addon version": (
        _set("aws_eks_addon", "pod-identity", ("addon_version",), "v1.3.4-eksbuild.1"),
        ("aws_eks_addon.target_eks_pod-identity-agent", "addon_version would change in place"),
    ),
    "the access entry's policy": (
        _set(
            "aws_eks_access_policy_association",
            "",
            ("policy_arn",),
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
        ),
        ("aws_eks_access_policy_association.", "forced by policy_arn"),
    ),
}


@pytest.mark.parametrize("case", sorted(HAND_EDITS))
def test_sg_iam_kms_and_node_edits_to_a_live_target_are_refused(case, steady, steady_fleet):
    edit, (address, happens) = HAND_EDITS[case]
    head = mutated(steady, "target-blue", edit)
    refusals = guard(steady, head, steady_fleet)
    assert len(refusals) == 1, refusals
    (refusal,) = refusals
    assert refusal.subject.startswith(address)
    assert happens in refusal.happens
    assert (refusal.stack, refusal.phase) == ("target-blue", "serving")


@pytest.mark.parametrize("case", sorted(HAND_EDITS))
def test_the_same_edits_to_a_candidate_pass(case, steady, green_candidate):
    """Target green is provisioning in the base fleet: nobody depends on it yet."""
    base, _, base_fleet = green_candidate
    edit, _ = HAND_EDITS[case]
    head = mutated(base, "target-green", edit)
    diffs = diff_stacks(base, head)
    assert {d.stack: d.verdict for d in diffs}["target-green"] == "changed"
    assert guard_refusals(diffs, base, head, base_fleet) == []


def test_hub_standby_is_a_candidate_and_active_is_live(hub_swap):
    hub_fleet = load_fleet(HUB_SWAP)
    edit = _set("aws_eks_cluster", "", ("version",), "1.32")
    standby = mutated(hub_swap, "argocd-green", edit)
    assert guard(hub_swap, standby, hub_fleet) == []
    active = mutated(hub_swap, "argocd-blue", edit)
    (refusal,) = guard(hub_swap, active, hub_fleet)
    assert (refusal.stack, refusal.happens, refusal.phase) == ("argocd-blue", "version would change in place", "active")


def test_shared_is_guarded_while_a_generation_is_live(steady, steady_fleet):
    def edit(stack: dict[str, Any]) -> None:
        egress = stack["resource"]["aws_vpc_security_group_egress_rule"]
        next(iter(egress.values()))["from_port"] = 8443
        next(iter(stack["resource"]["aws_iam_role"].values()))["assume_role_policy"] = "{}"

    head = mutated(steady, "shared", edit)
    assert verdicts(steady, head)["shared"] == "changed"
    refusals = guard(steady, head, steady_fleet)
    assert sorted(r.subject.split(".")[0] for r in refusals) == ["aws_iam_role", "aws_vpc_security_group_egress_rule"]
    assert all(r.stack == "shared" and "while argocd-blue, target-blue are live" in r.happens for r in refusals)
    role = next(r for r in refusals if r.subject.startswith("aws_iam_role"))
    assert "SharedArgoRole" in role.happens and "keep the fleet name" in role.way


def test_without_a_base_fleet_every_generation_in_base_counts_as_live(steady):
    head = mutated(steady, "target-blue", _set("aws_kms_key", "", ("deletion_window_in_days",), 7))
    (refusal,) = guard(steady, head, None)
    assert refusal.phase is None
    assert "counts as live" in str(refusal)


def test_a_generation_missing_from_the_base_fleet_is_a_candidate(steady):
    """Base stacks from target-swap, base fleet steady (no green): green is a candidate."""
    head = mutated(steady, "target-blue", _set("aws_eks_cluster", "", ("version",), "1.32"))
    head["target-green"] = head.pop("target-blue")
    base = {"target-green": steady["target-blue"]}
    assert guard(base, head, load_fleet(STEADY)) == []


# --- 3. safe changes pass -----------------------------------------------------------------------


def _podinfo_version(data: dict[str, Any]) -> None:
    data["services"]["web"]["apps"]["podinfo"]["version"] = "6.9.3"


def _fifty_fifty(data: dict[str, Any]) -> None:
    targets = data["services"]["web"]["targets"]
    targets["blue"]["weight"] = 50
    targets["green"].update(phase="serving", weight=50)


def _cost_center_tag(data: dict[str, Any]) -> None:
    data["tags"]["cost-center"] = "1234"


SAFE = {
    # name -> (edit of examples/target-swap.yaml, {stack: (resource type, attribute path) that changes})
    "desired-size": (
        _edit_target("blue", desired_size=4),
        {"target-blue": ("aws_eks_node_group", "scaling_config.desired_size")},
    ),
    "app-version": (_podinfo_version, {"argocd-blue": ("helm_release", "values")}),
    "weights": (
        _fifty_fifty,
        {"shared": ("aws_lb_listener", "default_action[0].forward.target_group[0].weight")},
    ),
    "tags": (
        _cost_center_tag,
        {s: ("", "default_tags[0].tags.cost-center") for s in ("shared", "argocd-blue", "target-blue", "target-green")},
    ),
}


@pytest.mark.parametrize("case", sorted(SAFE))
def test_safe_changes_pass(case, synth, derived_fleet, target_swap):
    edit, expected = SAFE[case]
    head = synth(derived_fleet("examples/target-swap.yaml", f"safe-{case}", edit))
    diffs = diff_stacks(target_swap, head)
    assert {d.stack for d in diffs if d.verdict == "changed"} == set(expected)
    for stack, (rtype, path) in expected.items():
        assert (rtype, path) in {(c.type, p) for c in changes_of(target_swap, head, stack).values() for p in c.paths}
    assert guard_refusals(diffs, target_swap, head, load_fleet(TARGET_SWAP)) == []


# --- 4. a renamed construct id is a destroy + create ----------------------------------------------


def _rename(rtype: str, contains: str = ""):
    def edit(stack: dict[str, Any]) -> None:
        items = stack["resource"][rtype]
        old = only_key(stack, rtype, contains)
        items[old.replace("_", "-renamed_", 1)] = items.pop(old)

    return edit


def test_a_renamed_cluster_is_a_destroy_and_create_and_refused(steady, steady_fleet):
    head = mutated(steady, "target-blue", _rename("aws_eks_cluster"))
    (change,) = diff_stack(steady["target-blue"], head["target-blue"])
    assert change.kind == "replaced"
    assert change.address == "aws_eks_cluster.target_eks_cluster_AD219224"
    assert change.new_address == "aws_eks_cluster.target-renamed_eks_cluster_AD219224"
    assert change.line() == (
        "! aws_eks_cluster.target_eks_cluster_AD219224: replaced (destroy + create) as "
        "aws_eks_cluster.target-renamed_eks_cluster_AD219224"
    )
    (refusal,) = guard(steady, head, steady_fleet)
    assert refusal.subject == change.address
    assert "replaced (destroy + create) as aws_eks_cluster.target-renamed" in str(refusal)


def test_a_renamed_nameless_rule_is_a_replacement_too(steady):
    head = mutated(steady, "target-blue", _rename("aws_vpc_security_group_ingress_rule", "api-from-argocd"))
    (change,) = diff_stack(steady["target-blue"], head["target-blue"])
    assert change.kind == "replaced"


def test_two_differently_named_resources_are_not_a_rename(steady, target_swap):
    """Target group blue removed and green added: two real objects (their names differ), no rename."""
    head = mutated(target_swap, "shared", _remove("aws_lb_target_group", "tg-blue"))
    kinds = {
        c.address.split("_")[-2]: c.kind
        for c in diff_stack(steady["shared"], head["shared"])
        if c.type == "aws_lb_target_group"
    }
    assert kinds == {"tg-blue": "removed", "tg-green": "added"}


# --- the comparison's details -------------------------------------------------------------------


def test_attribute_paths():
    paths = attribute_paths
    assert paths({"a": {"b": [1, 2]}}, {"a": {"b": [1, 3]}}) == ["a.b"]
    assert paths({"l": [{"w": 1}, {"w": 2}]}, {"l": [{"w": 1}, {"w": 3}]}) == ["l[1].w"]
    assert paths({"l": [{"w": 1}]}, {"l": [{"w": 1}, {"w": 2}]}) == ["l[1]"]
    assert paths({"tags": {"k8s.io/x": "1"}}, {"tags": {}}) == ['tags["k8s.io/x"]']
    assert paths({"a": 1}, {"a": 1, "b": 2}) == ["b"]
    assert paths({"a": "x"}, {"a": ["x"]}) == ["a"]


def test_comment_blocks_are_ignored(steady):
    def edit(stack: dict[str, Any]) -> None:
        stack["//"]["metadata"]["version"] = "9.9.9"
        body = stack["resource"]["aws_eks_cluster"][only_key(stack, "aws_eks_cluster")]
        body["//"] = {"checkov": ["checkov:skip=CKV_AWS_39:reason"]}

    assert verdicts(steady, mutated(steady, "target-blue", edit))["target-blue"] == "unchanged"


def test_provider_and_backend_changes_are_reported_and_refused_on_a_live_generation(steady, steady_fleet):
    def edit(stack: dict[str, Any]) -> None:
        stack["terraform"]["backend"]["local"]["path"] = "../../../state/beta/eu-west-1/target-blue.tfstate"
        stack["provider"]["aws"][0]["region"] = "eu-central-1"

    head = mutated(steady, "target-blue", edit)
    changes = changes_of(steady, head, "target-blue")
    assert changes["terraform.backend"].paths == ("local.path",)
    assert changes["provider.aws"].paths == ("region",)
    assert changes["provider.aws"].line() == "~ provider.aws: region"
    refusals = guard(steady, head, steady_fleet)
    assert sorted(r.subject for r in refusals) == ["provider.aws", "terraform.backend"]


def test_a_local_state_path_written_from_another_output_directory_is_the_same_state(steady, steady_fleet):
    def edit(stack: dict[str, Any]) -> None:
        stack["terraform"]["backend"]["local"]["path"] = (
            "../../../../elsewhere/x/state/acme/eu-west-1/target-blue.tfstate"
        )

    assert verdicts(steady, mutated(steady, "target-blue", edit))["target-blue"] == "unchanged"


def test_a_change_to_an_attribute_terraform_cannot_update_is_a_replacement(steady):
    head = mutated(steady, "target-blue", _set("aws_eks_node_group", "", ("subnet_ids",), ["subnet-0123456789abcdef0"]))
    (change,) = diff_stack(steady["target-blue"], head["target-blue"])
    assert (change.kind, change.forces) == ("replaced", ("subnet_ids",))
    assert change.line().endswith(": replaced (destroy + create), forced by subnet_ids")


def test_the_replacement_table_covers_every_resource_type_the_stacks_write(synth):
    written = {
        rtype
        for example in sorted((ROOT / "examples").glob("*.yaml"))
        for stack in synth(example.relative_to(ROOT)).values()
        for rtype in stack.get("resource", {})
    }
    missing = written - set(FORCES_REPLACEMENT)
    assert not missing, f"add these types to fleet/gate/replacement.py: {sorted(missing)}"


def test_text_report_shape(steady, target_swap):
    text = comment.as_text(diff_stacks(steady, target_swap), [])
    lines = text.splitlines()
    assert lines[0].split() == ["shared", "changed"]
    assert lines[0].index("changed") == lines[-3].index("added"), "verdicts in one column"
    assert "    + aws_lb_target_group.traffic-web_tg-green_2BE8A445" in lines
    assert lines[-1] == "guard: ok"
    refusal = Refusal("target-blue", "aws_eks_cluster.x", "version would change in place", "add one", "serving")
    assert comment.as_text([], [refusal]).splitlines()[-1] == f"  {refusal}"


# --- 5. the command line --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def version_fleet(derived_fleet):
    return derived_fleet("examples/steady.yaml", "blue-1.32", _edit_target("blue", kubernetes_version="1.32"))


def run(capsys, *argv: str | Path) -> tuple[int, str, str]:
    code = cli.main(["diff", *(str(a) for a in argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_refuses_a_version_change_on_a_live_target(capsys, synth, version_fleet):
    code, out, err = run(
        capsys,
        *("--base", synth.outdir("examples/steady.yaml"), "--base-fleet", STEADY),
        *("--head", synth.outdir(version_fleet), "--fleet", version_fleet),
    )
    assert code == 1, out + err
    said = out[out.index("guard:") :]
    assert "add a new generation with this change instead" in said
    assert (
        "target-blue (phase serving): aws_eks_cluster.target_eks_cluster_AD219224: version would change in place"
        in said
    )


def test_cli_stacks_lists_added_and_changed_stacks(capsys, synth):
    steady_out, swap_out = synth.outdir("examples/steady.yaml"), synth.outdir("examples/target-swap.yaml")
    code, out, err = run(capsys, "--base", steady_out, "--head", swap_out, "--base-fleet", STEADY, "--stacks")
    assert (code, out.splitlines(), err) == (0, ["shared", "argocd-blue", "target-green"], "")


def test_cli_stacks_exits_1_on_a_violation_with_the_violation_on_stderr(capsys, synth, version_fleet):
    code, out, err = run(
        capsys,
        *("--base", synth.outdir("examples/steady.yaml"), "--base-fleet", STEADY),
        *("--head", synth.outdir(version_fleet), "--stacks"),
    )
    assert (code, out) == (1, "target-blue\n")
    assert "guard: target-blue (phase serving)" in err and "add a new generation with this change instead" in err


def test_cli_markdown(capsys, synth, version_fleet):
    steady_out = synth.outdir("examples/steady.yaml")
    code, out, _ = run(capsys, "--base", steady_out, "--head", synth.outdir(TARGET_SWAP), "--markdown")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "<!-- ephemeral-eks-diff -->"
    assert "## Ephemeral EKS: stack diff" in lines
    assert "| `shared` | changed | +2 ~0 -0 |" in lines
    assert "| `target-blue` | unchanged |  |" in lines
    assert any(line.startswith("| `target-green` | added | +") for line in lines)
    assert "<details><summary><code>argocd-blue</code>: +2 ~1 -0</summary>" in lines
    assert lines[-1].startswith("✅")
    assert any("counts as live" in line for line in lines), "the missing base fleet is said"

    code, out, _ = run(capsys, "--base", steady_out, "--head", synth.outdir(version_fleet), "--markdown")
    assert code == 1
    assert out.splitlines()[0] == "<!-- ephemeral-eks-diff -->"
    said = out[out.index("### Guard") :]
    assert (
        "❌" in said
        and "- target-blue: aws_eks_cluster.target_eks_cluster_AD219224: version would change in place" in said
    )


def test_cli_bad_fleet_file_exits_2_with_one_message(capsys, synth, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: acme\nregion: nowhere\n")
    steady_out = synth.outdir("examples/steady.yaml")
    code, out, err = run(capsys, "--base", steady_out, "--head", steady_out, "--base-fleet", bad)
    assert (code, out) == (2, "")
    assert err.startswith(f"{bad}: ")
    assert "Traceback" not in err


def test_cli_failed_synth_exits_2(capsys, synth, tmp_path):
    """The head is synthesized in --repo; a checkout without main.py cannot be synthesized."""
    code, out, err = run(capsys, "--repo", tmp_path, "--base", synth.outdir("examples/steady.yaml"), "--fleet", STEADY)
    assert (code, out) == (2, "")
    assert err.startswith("synth of the working tree")
    assert "Traceback" not in err


def test_cli_unknown_directory_or_revision_exits_2(capsys, tmp_path):
    fleet = tmp_path / "fleet.yaml"
    shutil.copy(STEADY, fleet)
    code, _, err = run(capsys, "--repo", tmp_path, "--base", tmp_path / "nope", "--fleet", fleet)
    assert code == 2
    assert err.startswith(f"--base {tmp_path / 'nope'}: not a file or directory")


# --- a real git revision ----------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=stackdiff test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    done = subprocess.run(["git", *identity, "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


def test_git_base_revision(capsys, synth, version_fleet, tmp_path, monkeypatch):
    """A throwaway repository: the code at one commit, the steady fleet file at the next. Diffing
    the working tree (blue moved to 1.32) against HEAD synthesizes HEAD in a worktree, reads the
    phases from HEAD's fleet file and removes the worktree; HEAD~1 has no fleet file at all."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("main.py", "cdktf.json", "fleet", "stacks", "constructs", "charts", "examples"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "code")
    shutil.copy(STEADY, repo / "fleet.yaml")
    _git(repo, "add", "fleet.yaml")
    _git(repo, "commit", "-q", "-m", "steady fleet")
    shutil.copy(version_fleet, repo / "fleet.yaml")  # the working tree: blue moved to 1.32

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    head = synth.outdir(version_fleet)  # what the working tree synthesizes to

    code, out, err = run(capsys, "--repo", repo, "--base", "HEAD", "--head", head, "--fleet", repo / "fleet.yaml")
    assert code == 1, err
    assert [line.split() for line in out.splitlines()[:3]] == [
        ["shared", "unchanged"],
        ["argocd-blue", "unchanged"],
        ["target-blue", "changed"],
    ]
    assert "target-blue (phase serving): aws_eks_cluster" in out, "phase read from HEAD"

    code, out, err = run(capsys, "--repo", repo, "--base", "HEAD~1", "--head", head, "--fleet", repo / "fleet.yaml")
    assert code == 0, err
    assert [line.split() for line in out.splitlines()[:3]] == [
        ["shared", "added"],
        ["argocd-blue", "added"],
        ["target-blue", "added"],
    ]
    assert "fleet.yaml does not exist at HEAD~1" in out

    assert _git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1, "the worktrees are gone"
    assert list(scratch.iterdir()) == [], "no temporary checkout or output left behind"


def test_the_gate_synthesizes_through_the_entry_point_the_deploy_runs(capsys, tmp_path, monkeypatch):
    """A PR that points cdktf.json's app command (what `cdktf deploy` runs) at another fleet file is
    judged on what that command synthesizes, and the comment names cdktf.json as gate-affecting."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("main.py", "cdktf.json", "fleet", "stacks", "constructs", "charts", "examples"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, repo / name)
    shutil.copy(STEADY, repo / "fleet.yaml")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "steady")
    config = json.loads((repo / "cdktf.json").read_text())
    config["app"] = "FLEET=examples/two-services.yaml " + config["app"]
    (repo / "cdktf.json").write_text(json.dumps(config))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    code, out, err = run(capsys, "--repo", repo, "--base", "HEAD", "--fleet", repo / "fleet.yaml")
    verdicts = dict(
        line.split() for line in out.splitlines() if line and not line.startswith((" ", "note", "gate", "guard"))
    )
    assert verdicts.get("target-apiblue") == "added", out
    assert f"gate-affecting: cdktf.json {comment.GATE_NOTE}" in out.splitlines()


@pytest.mark.parametrize(
    ("app", "runs"),
    [
        ("pipenv run python -O main.py", ["-O", "main.py"]),
        ("FLEET=other.yaml pipenv run python -O main.py", ["-O", "main.py"]),
        ("python3 main.py --summary", ["main.py", "--summary"]),
    ],
)
def test_the_entry_point_is_read_from_cdktf_json(tmp_path, app, runs):
    (tmp_path / "cdktf.json").write_text(json.dumps({"app": app}))
    command = app_command(tmp_path)
    assert command[0] == "env" and command[-len(runs) - 1 :] == [sys.executable, *runs]
    assert command[1 : -len(runs) - 1] == [w for w in app.split() if "=" in w], "its variables, then this interpreter"


@pytest.mark.parametrize("app", ["bash -c 'python main.py'", "node main.js", "", "pipenv run"])
def test_an_entry_point_that_is_not_python_is_refused(tmp_path, app):
    (tmp_path / "cdktf.json").write_text(json.dumps({"app": app}))
    with pytest.raises(SourceError, match="is not `\\[pipenv run\\] python"):
        app_command(tmp_path)


def test_every_change_carries_the_bodies_it_compares(steady, target_swap, hub_swap):
    """A guard rule reads a change's before and after from the change: never the raw JSON again."""
    seen = set()
    for base, head in ((steady, target_swap), (target_swap, steady), (steady, hub_swap)):
        for diff in diff_stacks(base, head):
            old = entries(base.get(diff.stack, {}))
            new = entries(head.get(diff.stack, {}))
            for change in diff.changes:
                seen.add(change.kind)
                assert change.before == (old[change.address].body if change.address in old else None)
                after = new.get(change.new_address or change.address)
                assert change.after == (after.body if after is not None else None)
    assert {"added", "removed", "changed"} <= seen

"""`python -m fleet diff`: per-stack verdicts, resource and attribute changes, and the guard that
refuses an in-place change to a live generation's cluster.

Pure-function tests run on the session's synthesized examples (and on copies of their JSON
mutated by hand); derived fleets are synthesized in-process once each; the CLI tests pass
cdktf.out directories; one test synthesizes a real git revision in a throwaway repository.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from fleet import stackdiff
from fleet.load import load_fleet
from fleet.stackdiff import Change, Violation, check_guard, diff_stack, diff_stacks

STEADY = ROOT / "examples" / "steady.yaml"
TARGET_SWAP = ROOT / "examples" / "target-swap.yaml"
HUB_SWAP = ROOT / "examples" / "hub-swap.yaml"


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
        target = data["targets"][name]
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
    assert any(a.startswith("aws_lb_target_group.traffic_tg-green") for a in shared)
    hub = changes_of(steady, target_swap, "argocd-blue")
    assert sorted(c.kind for c in hub.values()) == ["added", "added"]
    assert "data.aws_eks_cluster.target-green" in hub
    assert check_guard(diff_stacks(steady, target_swap), steady_fleet) == []
    assert check_guard(diff_stacks(steady, target_swap), None) == [], "no guarded change, whatever the phases"


def test_steady_to_hub_swap_only_adds_the_new_hub(steady, hub_swap, steady_fleet):
    assert verdicts(steady, hub_swap) == {
        "shared": "unchanged",
        "argocd-blue": "unchanged",
        "argocd-green": "added",
        "target-blue": "unchanged",
    }
    assert check_guard(diff_stacks(steady, hub_swap), steady_fleet) == []


def test_a_removed_stack_is_removed_and_passes(steady, target_swap):
    diffs = diff_stacks(target_swap, steady)
    assert {d.stack: d.verdict for d in diffs}["target-green"] == "removed"
    assert check_guard(diffs, None) == []


# --- 2. unsafe changes: refused on a live generation, allowed on a candidate --------------------

UNSAFE = {
    "version": (
        {"kubernetes_version": "1.32"},
        {("aws_eks_cluster", "version")},
    ),
    "endpoint-access": (
        {"public_access_cidrs": ["203.0.113.0/24"]},
        {
            ("aws_eks_cluster", "vpc_config.endpoint_public_access"),
            ("aws_eks_cluster", "vpc_config.public_access_cidrs"),
        },
    ),
    "instance-types": (
        {"instance_types": ["m6i.xlarge"]},
        {("aws_eks_node_group", "instance_types")},
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
    violations = check_guard(diffs, steady_fleet)
    assert {(v.address.split(".")[0], v.attribute) for v in violations} == expected
    for violation in violations:
        assert violation.stack == "target-blue" and violation.phase == "serving"
        assert str(violation).startswith(f"target-blue: {violation.address}: {violation.attribute} changed in place")
        assert "(phase serving)" in str(violation)
        assert str(violation).endswith("add a new generation instead")


def _green(phase: str, **changes: Any):
    def edit(data: dict[str, Any]) -> None:
        data["targets"]["green"]["phase"] = phase
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
    changed = {(c.type, p) for c in changes_of(base, head, "target-green").values() for p in c.paths}
    for _, expected in UNSAFE.values():
        assert expected <= changed
    assert base_fleet.targets["green"].phase == "provisioning"
    assert check_guard(diffs, base_fleet) == []


def test_the_same_changes_are_refused_once_the_candidate_is_registered(green_candidate):
    """`registered` is live: every hub already deploys to it."""
    base, head, _ = green_candidate
    violations = check_guard(diff_stacks(base, head), load_fleet(TARGET_SWAP))
    assert {v.attribute for v in violations} == {a for _, expected in UNSAFE.values() for _, a in expected}
    assert {v.phase for v in violations} == {"registered"}


def _set(rtype: str, contains: str, path: tuple[str, ...], value: Any):
    def edit(stack: dict[str, Any]) -> None:
        body = stack["resource"][rtype][only_key(stack, rtype, contains)]
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
    # what is edited in target-blue's JSON -> (address prefix, attribute, event)
    "443 rule port": (
        _set("aws_vpc_security_group_ingress_rule", "api-from-argocd", ("from_port",), 8443),
        ("aws_vpc_security_group_ingress_rule.target_endpoint-access_api-from-argocd", "from_port", "changed in place"),
    ),
    "node role trust": (
        _set("aws_iam_role", "node-role", ("assume_role_policy",), '{"Statement": []}'),
        ("aws_iam_role.target_eks_node-role", "assume_role_policy", "changed in place"),
    ),
    "KMS deletion window": (
        _set("aws_kms_key", "", ("deletion_window_in_days",), 7),
        ("aws_kms_key.target_eks_key", "deletion_window_in_days", "changed in place"),
    ),
    "IMDS tokens": (
        _set("aws_launch_template", "", ("metadata_options", "http_tokens"), "optional"),
        ("aws_launch_template.target_eks_nodes-template", "metadata_options.http_tokens", "changed in place"),
    ),
    "subnets": (
        _set("aws_eks_cluster", "", ("vpc_config", "subnet_ids"), ["subnet-0123456789abcdef0"]),
        ("aws_eks_cluster.target_eks_cluster", "vpc_config.subnet_ids", "changed in place"),
    ),
    "added policy attachment": (
        _add_policy_attachment,
        ("aws_iam_role_policy_attachment.target_eks_node-role-Extra", "", "added"),
    ),
    "removed node group": (
        _remove("aws_eks_node_group"),
        ("aws_eks_node_group.target_eks_nodes", "", "removed (destroy)"),
    ),
}


@pytest.mark.parametrize("case", sorted(HAND_EDITS))
def test_sg_iam_kms_and_node_edits_to_a_live_target_are_refused(case, steady, steady_fleet):
    edit, (address, attribute, event) = HAND_EDITS[case]
    head = mutated(steady, "target-blue", edit)
    violations = check_guard(diff_stacks(steady, head), steady_fleet)
    assert len(violations) == 1, violations
    (violation,) = violations
    assert violation.address.startswith(address)
    assert (violation.stack, violation.attribute, violation.event, violation.phase) == (
        "target-blue",
        attribute,
        event,
        "serving",
    )


@pytest.mark.parametrize("case", sorted(HAND_EDITS))
def test_the_same_edits_to_a_candidate_pass(case, steady, green_candidate):
    """Target green is provisioning in the base fleet: nobody depends on it yet."""
    base, _, base_fleet = green_candidate
    edit, _ = HAND_EDITS[case]
    head = mutated(base, "target-green", edit)
    diffs = diff_stacks(base, head)
    assert {d.stack: d.verdict for d in diffs}["target-green"] == "changed"
    assert check_guard(diffs, base_fleet) == []


def test_hub_standby_is_a_candidate_and_active_is_live(hub_swap):
    hub_fleet = load_fleet(HUB_SWAP)
    edit = _set("aws_eks_cluster", "", ("version",), "1.32")
    standby = mutated(hub_swap, "argocd-green", edit)
    assert check_guard(diff_stacks(hub_swap, standby), hub_fleet) == []
    active = mutated(hub_swap, "argocd-blue", edit)
    (violation,) = check_guard(diff_stacks(hub_swap, active), hub_fleet)
    assert (violation.stack, violation.attribute, violation.phase) == ("argocd-blue", "version", "active")


def test_shared_is_never_guarded(steady, steady_fleet):
    def edit(stack: dict[str, Any]) -> None:
        rules = stack["resource"]["aws_vpc_security_group_ingress_rule"]
        next(iter(rules.values()))["from_port"] = 8443
        next(iter(stack["resource"]["aws_iam_role"].values()))["assume_role_policy"] = "{}"

    diffs = diff_stacks(steady, mutated(steady, "shared", edit))
    assert {d.stack: d.verdict for d in diffs}["shared"] == "changed"
    assert check_guard(diffs, steady_fleet) == []
    assert check_guard(diffs, None) == []


def test_without_a_base_fleet_every_generation_in_base_counts_as_live(steady):
    head = mutated(steady, "target-blue", _set("aws_kms_key", "", ("deletion_window_in_days",), 7))
    (violation,) = check_guard(diff_stacks(steady, head), None)
    assert violation.phase is None
    assert "counts as live" in str(violation)
    assert str(violation).endswith("add a new generation instead")


def test_a_generation_missing_from_the_base_fleet_is_a_candidate(steady):
    """Base stacks from target-swap, base fleet steady (no green): green is a candidate."""
    head = mutated(steady, "target-blue", _set("aws_eks_cluster", "", ("version",), "1.32"))
    head["target-green"] = head.pop("target-blue")
    base = {"target-green": steady["target-blue"]}
    assert check_guard(diff_stacks(base, head), load_fleet(STEADY)) == []


# --- 3. safe changes pass -----------------------------------------------------------------------


def _podinfo_version(data: dict[str, Any]) -> None:
    data["apps"]["podinfo"]["version"] = "6.9.3"


def _fifty_fifty(data: dict[str, Any]) -> None:
    data["targets"]["blue"]["weight"] = 50
    data["targets"]["green"].update(phase="serving", weight=50)


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
    assert check_guard(diffs, load_fleet(TARGET_SWAP)) == []


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
    (violation,) = check_guard(diff_stacks(steady, head), steady_fleet)
    assert violation.address == change.address
    assert "replaced (destroy + create)" in str(violation)
    assert str(violation).endswith("add a new generation instead")


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
    paths = stackdiff.attribute_paths
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


def test_provider_and_backend_changes_are_reported_and_pass(steady, steady_fleet):
    def edit(stack: dict[str, Any]) -> None:
        stack["terraform"]["backend"]["local"]["path"] = "elsewhere.tfstate"
        stack["provider"]["aws"][0]["region"] = "eu-central-1"

    head = mutated(steady, "target-blue", edit)
    changes = changes_of(steady, head, "target-blue")
    assert changes["terraform.backend"].paths == ("local.path",)
    assert changes["provider.aws"].paths == ("region",)
    assert changes["provider.aws"].line() == "~ provider.aws: region"
    assert check_guard(diff_stacks(steady, head), steady_fleet) == []


def test_text_report_shape(steady, target_swap):
    text = stackdiff.render_text(diff_stacks(steady, target_swap), [])
    lines = text.splitlines()
    assert lines[0].split() == ["shared", "changed"]
    assert lines[0].index("changed") == lines[-3].index("added"), "verdicts in one column"
    assert "    + aws_lb_target_group.traffic_tg-green_A4B742DD" in lines
    assert lines[-1] == "guard: ok"
    violation = Violation("target-blue", "aws_eks_cluster.x", "version", "changed in place", "serving")
    assert stackdiff.render_text([], [violation]).splitlines()[-1] == f"  {violation}"


# --- 5. the command line --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def version_fleet(derived_fleet):
    return derived_fleet("examples/steady.yaml", "blue-1.32", _edit_target("blue", kubernetes_version="1.32"))


def run(capsys, *argv: str | Path) -> tuple[int, str, str]:
    code = stackdiff.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_refuses_a_version_change_on_a_live_target(capsys, synth, version_fleet):
    code, out, err = run(
        capsys,
        *("--base", synth.outdir("examples/steady.yaml"), "--base-fleet", STEADY),
        *("--head", synth.outdir(version_fleet), "--fleet", version_fleet),
    )
    assert code == 1, out + err
    guard = out[out.index("guard:") :]
    assert "add a new generation instead" in guard
    assert "aws_eks_cluster.target_eks_cluster_AD219224: version changed in place" in guard
    assert "(phase serving)" in guard


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
    assert "add a new generation instead" in err


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
    assert "<details><summary><code>argocd-blue</code>: +2 ~0 -0</summary>" in lines
    assert lines[-1].startswith("✅")
    assert any("counts as live" in line for line in lines), "the missing base fleet is said"

    code, out, _ = run(capsys, "--base", steady_out, "--head", synth.outdir(version_fleet), "--markdown")
    assert code == 1
    assert out.splitlines()[0] == "<!-- ephemeral-eks-diff -->"
    guard = out[out.index("### Guard") :]
    assert "❌" in guard and "`aws_eks_cluster.target_eks_cluster_AD219224`: version changed in place" in guard


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
    assert err.startswith(f"--base {tmp_path / 'nope'}: not a directory")


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
    for name in ("main.py", "fleet", "stacks", "constructs", "charts", "examples"):
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
    assert "version changed in place on a live generation (phase serving)" in out, "phase read from HEAD"

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

"""checkov reports 0 failed checks on every stack of every example, except where the failing
resource carries a `checkov:skip=<ID>:<reason>` comment beside it (see constructs/checkov.py).
Every example is scanned in one checkov run (its start-up costs more than the scan)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import pytest

from support.paths import EXAMPLES, ROOT

SKIP = re.compile(r"checkov:skip=([A-Z0-9_]+):(\S.*)")
ALL_EXAMPLES = sorted(f"examples/{p.name}" for p in EXAMPLES.glob("*.yaml"))

pytestmark = [
    pytest.mark.checkov,
    pytest.mark.skipif(importlib.util.find_spec("checkov") is None, reason="checkov is not installed (make deps)"),
]


def skips_of(stack: dict, address: str) -> dict[str, str]:
    name = address.split(".")[-1]
    for block in ("resource", "data"):
        for items in stack.get(block, {}).values():
            if name in items:
                comments = items[name].get("//", {}).get("checkov", [])
                return {m.group(1): m.group(2) for m in map(SKIP.match, comments) if m}
    return {}


@pytest.fixture(scope="module")
def scanned(synth, tmp_path_factory):
    """{scan dir name: stack} for every distinct stack of every example, and checkov's report."""
    root = tmp_path_factory.mktemp("checkov")
    stacks: dict[str, dict] = {}
    seen: set[str] = set()
    for example in ALL_EXAMPLES:
        for stack_id, stack in synth(example).items():
            body = json.dumps(stack, sort_keys=True)
            if body in seen:
                continue
            seen.add(body)
            name = f"{example.split('/')[-1].removesuffix('.yaml')}--{stack_id}"
            (root / name).mkdir()
            (root / name / "cdk.tf.json").write_text(body)
            stacks[name] = stack
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "checkov.main",
            "-d",
            str(root),
            "--framework",
            "terraform_json",
            "--skip-download",
            "--output",
            "json",
            "--compact",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=root,  # not the repository: its .checkov.yaml would skip what this harness holds to reasons
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report = json.loads(done.stdout)
    results = (
        report["results"]
        if isinstance(report, dict)
        else {
            "failed_checks": [c for r in report for c in r["results"]["failed_checks"]],
            "passed_checks": [c for r in report for c in r["results"]["passed_checks"]],
        }
    )
    return stacks, results


def test_every_distinct_stack_of_every_example_was_scanned(scanned):
    stacks, results = scanned
    checked = {c["file_path"].strip("/").split("/")[0] for c in results["passed_checks"] + results["failed_checks"]}
    assert checked == set(stacks)


def test_checkov_finds_nothing_that_is_not_skipped_beside_its_resource_with_a_reason(scanned):
    stacks, results = scanned
    unexplained = []
    for check in results["failed_checks"]:
        name = check["file_path"].strip("/").split("/")[0]
        if not skips_of(stacks[name], check["resource"]).get(check["check_id"]):
            unexplained.append(f"{name}: {check['check_id']} {check['check_name']} on {check['resource']}")
    assert not unexplained, "\n".join(unexplained)


def test_no_skip_outlives_the_failure_it_explains(scanned):
    stacks, results = scanned
    failed = {
        (c["file_path"].strip("/").split("/")[0], c["resource"].split(".")[-1], c["check_id"])
        for c in results["failed_checks"]
    }
    stale = []
    for name, stack in stacks.items():
        for block in ("resource", "data"):
            for items in stack.get(block, {}).values():
                for resource in items:
                    for check_id in skips_of(stack, resource):
                        if (name, resource, check_id) not in failed:
                            stale.append(f"{name}: {resource} skips {check_id}, which no longer fails")
    assert not stale, "\n".join(stale)


def test_the_eks_versions_checkov_knows_are_checkovs_own():
    """A cluster on a version checkov does not know yet carries a reasoned CKV_AWS_339 skip; the
    list it is judged by is checkov's, so a checkov upgrade that learns the version drops it."""
    from checkov.terraform.checks.resource.aws.EKSPlatformVersion import check

    from constructs.checkov import CHECKOV_EKS_VERSIONS

    assert tuple(check.get_expected_values()) == CHECKOV_EKS_VERSIONS


def test_stock_checkov_from_the_repository_root_passes_every_stack(scanned, tmp_path_factory):
    """What the PR gate runs: plain `checkov -d <stacks>` from the repository root, which reads
    .checkov.yaml (fleet-wide skips, each with its reason) and nothing of this harness."""
    stacks, _ = scanned
    root = tmp_path_factory.mktemp("stock-checkov")
    for name, stack in stacks.items():
        (root / name).mkdir()
        (root / name / "cdk.tf.json").write_text(json.dumps(stack))
    done = subprocess.run(
        [sys.executable, "-m", "checkov.main", "-d", str(root), "--output", "json", "--compact"],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    report = json.loads(done.stdout)
    summary = report["summary"] if isinstance(report, dict) else {"failed": sum(r["summary"]["failed"] for r in report)}
    assert summary["failed"] == 0

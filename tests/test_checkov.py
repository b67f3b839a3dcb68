"""checkov reports 0 failed checks on every stack of every example, except where the failing
resource carries a `checkov:skip=<ID>:<reason>` comment beside it (see constructs/checkov.py)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import pytest

EXAMPLES = ("examples/steady.yaml", "examples/target-swap.yaml", "examples/hub-swap.yaml")
SKIP = re.compile(r"checkov:skip=([A-Z0-9_]+):(\S.*)")

pytestmark = [
    pytest.mark.checkov,
    pytest.mark.skipif(importlib.util.find_spec("checkov") is None, reason="checkov is not installed (make deps)"),
]


def run_checkov(stacks_dir) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "checkov.main",
            "-d",
            str(stacks_dir),
            "--framework",
            "terraform_json",
            "--skip-download",
            "--output",
            "json",
            "--compact",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report = json.loads(done.stdout)
    return (
        report
        if isinstance(report, dict)
        else {
            "results": {
                "failed_checks": [c for r in report for c in r["results"]["failed_checks"]],
                "passed_checks": [c for r in report for c in r["results"]["passed_checks"]],
            }
        }
    )


def skips_of(stack: dict, address: str) -> dict[str, str]:
    name = address.split(".")[-1]
    for block in ("resource", "data"):
        for items in stack.get(block, {}).values():
            if name in items:
                comments = items[name].get("//", {}).get("checkov", [])
                return {m.group(1): m.group(2) for m in map(SKIP.match, comments) if m}
    return {}


@pytest.mark.parametrize("example", EXAMPLES)
def test_checkov_finds_nothing_that_is_not_skipped_beside_its_resource_with_a_reason(synth, example):
    stacks = synth(example)
    report = run_checkov(synth.outdir(example) / "stacks")
    assert report["results"]["passed_checks"], "checkov checked nothing"
    unexplained = []
    for check in report["results"]["failed_checks"]:
        stack_id = check["file_path"].strip("/").split("/")[0]
        reason = skips_of(stacks[stack_id], check["resource"]).get(check["check_id"])
        if not reason:
            unexplained.append(f"{stack_id}: {check['check_id']} {check['check_name']} on {check['resource']}")
    assert not unexplained, "\n".join(unexplained)

    failed = {
        (c["file_path"].strip("/").split("/")[0], c["resource"].split(".")[-1], c["check_id"])
        for c in report["results"]["failed_checks"]
    }
    stale = []
    for stack_id, stack in stacks.items():
        for block in ("resource", "data"):
            for items in stack.get(block, {}).values():
                for name in items:
                    for check_id in skips_of(stack, name):
                        if (stack_id, name, check_id) not in failed:
                            stale.append(f"{stack_id}: {name} skips {check_id}, which no longer fails")
    assert not stale, "\n".join(stale)

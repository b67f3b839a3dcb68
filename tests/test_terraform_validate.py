"""Real `terraform validate` (terraform 1.11, hashicorp/aws from the offline mirror) on every
stack of every example, with the helm/kubernetes parts stripped (they are not in the mirror)."""

from __future__ import annotations

import json
import os

import pytest

from support.tf_tools import cli_config, run, strip_kubernetes, terraform_unavailable

pytestmark = [
    pytest.mark.terraform,
    pytest.mark.skipif(terraform_unavailable() is not None, reason=terraform_unavailable() or ""),
]
EXAMPLES = ("steady", "target_swap", "hub_swap", "two_services")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """One initialized directory; each stack is validated in it in turn (init once, not per stack)."""
    base = tmp_path_factory.mktemp("tf")
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cli_config(base)),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
    }
    work = base / "work"
    work.mkdir()
    (work / "main.tf.json").write_text(
        json.dumps({"terraform": {"required_providers": {"aws": {"source": "aws", "version": "5.100.0"}}}})
    )
    done = run(["terraform", "init", "-backend=false", "-input=false", "-no-color"], work, env)
    assert done.returncode == 0, done.stdout + done.stderr
    return work, env


def test_every_stack_of_every_example_passes_terraform_validate(request, workdir):
    work, env = workdir
    seen: dict[str, str] = {}
    for example in EXAMPLES:
        for stack_id, stack in request.getfixturevalue(example).items():
            body = json.dumps(strip_kubernetes(stack), sort_keys=True)
            if body in seen.values():
                continue
            seen[f"{example}/{stack_id}"] = body
            (work / "main.tf.json").write_text(body)
            done = run(["terraform", "validate", "-json", "-no-color"], work, env)
            result = json.loads(done.stdout)
            problems = [
                d.get("summary", "") + ": " + d.get("detail", "")
                for d in result.get("diagnostics", [])
                if d.get("severity") == "error"
            ]
            assert result["valid"], f"{example}/{stack_id}: {problems}"
    assert len(seen) >= 11, sorted(seen)
    # two services: both ALBs in shared, every service's ApplicationSets and projects on the hub,
    # and api's generations (web's target-blue is the steady one, byte for byte)
    assert {k for k in seen if k.startswith("two_services/")} == {
        f"two_services/{s}" for s in ("shared", "argocd-blue", "target-apiblue", "target-apigreen")
    }


def test_validate_catches_a_broken_stack(steady, workdir):
    """The check can fail: an attribute the AWS provider does not know is reported."""
    work, env = workdir
    broken = strip_kubernetes(steady["target-blue"])
    cluster = next(iter(broken["resource"]["aws_eks_cluster"].values()))
    cluster["kubernetes_versoin"] = "1.33"
    (work / "main.tf.json").write_text(json.dumps(broken))
    done = run(["terraform", "validate", "-json", "-no-color"], work, env)
    assert json.loads(done.stdout)["valid"] is False

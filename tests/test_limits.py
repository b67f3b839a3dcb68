"""Every fleet that validates applies: the limits AWS, EKS, ELB, IAM and Kubernetes put on what the
fleet file sets are refused at validation, as one line naming the field, exit 2, nothing written.

Each case below is a fleet that used to synthesize and then failed at apply time. The limits'
own values are pinned to what the stacks write (built-in tags, rules per SG).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.model import limits as model
from support.fleets import Edit, example_data, web
from support.paths import ROOT
from support.synth import Stacks, resources


def _served(data: dict[str, Any]) -> dict[str, Any]:
    return web(data)["apps"]["podinfo"]


# case -> (edit of examples/steady.yaml, the field the one line names, words it says)
APPLY_TIME_FAILURES: dict[str, tuple[Edit, str, str]] = {
    "service range outside the private blocks": (
        lambda d: d.update(service_cidr="198.18.0.0/16"),
        "service_cidr",
        "outside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16",
    ),
    "service range wider than /12": (
        lambda d: d.update(service_cidr="10.96.0.0/11"),
        "service_cidr",
        "from /12 to /24",
    ),
    "service range narrower than /24": (
        lambda d: d.update(service_cidr="172.20.0.0/25"),
        "service_cidr",
        "from /12 to /24",
    ),
    "a generation's service range": (
        lambda d: web(d)["targets"]["blue"].update(service_cidr="100.64.0.0/16"),
        "services.web.targets.blue.service_cidr",
        "outside",
    ),
    "tag keys differing in case": (lambda d: d["tags"].update(Team="x"), "tags", "case-insensitive"),
    "a tag key the stacks set": (lambda d: d["tags"].update(name="x"), "tags", "the stacks set the tag Name"),
    "an aws: tag key in capitals": (lambda d: d["tags"].update({"AWS:x": "y"}), "tags", "AWS reserves"),
    "46 tags": (lambda d: d.update(tags={f"k{i}": "v" for i in range(46)}), "tags", "at most 45"),
    "31 allowed CIDRs": (
        lambda d: web(d)["traffic"].update(allowed_cidrs=[f"198.51.{i}.0/24" for i in range(31)]),
        "services.web.traffic.allowed_cidrs",
        "62 inbound rules",
    ),
    "41 public access CIDRs": (
        lambda d: web(d)["targets"]["blue"].update(public_access_cidrs=[f"198.51.{i}.0/24" for i in range(41)]),
        "services.web.targets.blue.public_access_cidrs",
        "at most 40",
    ),
    "a 1,101-character health check path": (
        lambda d: _served(d).update(health_check_path="/" + "a" * 1100),
        "services.web.apps.podinfo.health_check_path",
        "at most 1024 characters",
    ),
    "a certificate of another region": (
        lambda d: web(d)["traffic"].update(
            certificate_arn=web(d)["traffic"]["certificate_arn"].replace("eu-west-1", "us-east-1")
        ),
        "services.web.traffic.certificate_arn",
        "in us-east-1",
    ),
    "a web ACL of another region": (
        lambda d: web(d)["traffic"].update(
            waf_acl_arn=web(d)["traffic"]["waf_acl_arn"].replace("eu-west-1", "eu-central-1")
        ),
        "services.web.traffic.waf_acl_arn",
        "in eu-central-1",
    ),
    "a certificate of another partition": (
        lambda d: web(d)["traffic"].update(
            certificate_arn=web(d)["traffic"]["certificate_arn"].replace("arn:aws:", "arn:aws-cn:")
        ),
        "services.web.traffic.certificate_arn",
        "not the partition",
    ),
    "served app in kube-system": (
        lambda d: _served(d).update(namespace="kube-system"),
        "services.web.apps.podinfo.namespace",
        "is Kubernetes' or the platform's own",
    ),
    "served app in default": (
        lambda d: _served(d).update(namespace="default"),
        "services.web.apps.podinfo.namespace",
        "exists in every cluster",
    ),
    "app port 443": (lambda d: _served(d).update(port=443), "services.web.apps.podinfo.port", "Kubernetes API"),
    "pods on the kubelet's port": (
        lambda d: _served(d).update(container_port=10250),
        "services.web.apps.podinfo.container_port",
        "kubelet",
    ),
    "a Service name starting with a digit": (
        lambda d: _served(d).update(service="9podinfo"),
        "services.web.apps.podinfo.service",
        "RFC 1035",
    ),
    "a bucket name like an IP address": (lambda d: d.update(logs_bucket="192.168.1.10"), "logs_bucket", "IP address"),
    "a bucket name with two periods": (lambda d: d.update(logs_bucket="acme..logs"), "logs_bucket", "two adjacent"),
    "a bucket name S3 reserves": (lambda d: d.update(logs_bucket="xn--acme-logs"), "logs_bucket", "reserves"),
    "a fleet name with a double hyphen": (lambda d: d.update(name="a--b"), "name", "double hyphen"),
    "too much Helm values": (
        lambda d: _served(d).update(values={"blob": "x" * (model.MAX_VALUES_BYTES + 1)}),
        "services.web.targets.blue.values",
        "bytes of Helm values",
    ),
}


def _write(tmp_path: Path, edit: Edit) -> Path:
    data = example_data("steady", edit)
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("case", sorted(APPLY_TIME_FAILURES))
def test_an_apply_time_failure_is_one_line_at_synth(case: str, tmp_path: Path) -> None:
    edit, field, words = APPLY_TIME_FAILURES[case]
    path = _write(tmp_path, edit)
    outdir = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env={**os.environ, "FLEET": str(path), "CDKTF_OUTDIR": str(outdir)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2, run.stderr
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: {field}: "), lines[0]
    assert words in lines[0], lines[0]
    assert not outdir.exists() and not list(tmp_path.glob(".out.*")), "nothing is written"


def _tagged(stacks: Stacks) -> list[tuple[str, str, set[str]]]:
    """(stack, address, tag keys) of every resource the AWS provider tags, default tags included."""
    found = []
    for stack_id, stack in stacks.items():
        default = set(stack["provider"]["aws"][0].get("default_tags", [{}])[0].get("tags", {}))
        for rtype, entries in stack.get("resource", {}).items():
            if not rtype.startswith("aws_"):
                continue
            for name, body in entries.items():
                own = body.get("tags") if isinstance(body.get("tags"), dict) else {}
                found.append((stack_id, f"{rtype}.{name}", default | set(own)))
    return found


@pytest.fixture(scope="module")
def every_example(synth) -> list[Stacks]:
    return [synth(f"examples/{p.name}") for p in sorted((ROOT / "examples").glob("*.yaml"))]


def test_the_built_in_tags_are_the_ones_the_model_leaves_room_for(every_example) -> None:
    user = set(example_data("steady")["tags"])
    most = 0
    for stacks in every_example:
        for stack_id, address, keys in _tagged(stacks):
            builtin = keys - user
            assert builtin <= set(model.BUILTIN_TAG_KEYS), f"{stack_id} {address}: {sorted(builtin)}"
            most = max(most, len(builtin))
    assert most == model.MAX_BUILTIN_TAGS_PER_RESOURCE
    assert model.MAX_FLEET_TAGS + model.MAX_BUILTIN_TAGS_PER_RESOURCE == model.MAX_TAGS == 50


def test_the_most_tags_a_fleet_may_set_fit_every_resource(tmp_path: Path, synth) -> None:
    path = _write(tmp_path, lambda d: d.update(tags={f"k{i}": "v" for i in range(model.MAX_FLEET_TAGS)}))
    stacks = synth(path)
    assert max(len(keys) for _, _, keys in _tagged(stacks)) == model.MAX_TAGS


def test_the_most_allowed_cidrs_fit_the_alb_security_group(tmp_path: Path, synth) -> None:
    cidrs = [f"198.51.{i}.0/24" for i in range(model.MAX_ALLOWED_CIDRS)]
    stacks = synth(_write(tmp_path, lambda d: web(d)["traffic"].update(allowed_cidrs=cidrs)))
    shared = stacks["shared"]
    alb_sg = next(k for k, sg in resources(shared, "aws_security_group").items() if sg["name"] == "acme-web-alb")
    inbound = [
        r for r in resources(shared, "aws_vpc_security_group_ingress_rule").values() if alb_sg in r["security_group_id"]
    ]
    assert len(inbound) == model.SG_INBOUND_RULES == 60
    assert json.dumps(inbound).count('"from_port": 80') == model.MAX_ALLOWED_CIDRS

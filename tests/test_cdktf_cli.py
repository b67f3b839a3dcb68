"""The cdktf CLI on this app, for real: `npx cdktf synth` as a fleet shrinks and grows, and
`npx cdktf deploy shared` / `npx cdktf destroy shared` against the AWS emulator.

The CLI commands run in a copy of the project in a temp dir (`.venv` and `node_modules`
linked), so neither `cdktf.out/` nor `state/` of the working tree is touched: local state lands
in `<project root>/state/<fleet>/<region>/`, and the project root is the copy's.

The fast tests hold main.py to what the CLI does around a synth (cdktf-cli 0.21,
@cdktf/cli-core `SynthStack.synth`): it lists the directories in `<outdir>/stacks/` before it
runs the app, and afterwards deletes with `fs.rmSync(dir, {recursive: true})` (no `force`) each
one the new manifest does not name - so a directory the app already removed fails the command
with ENOENT.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet import names
from main import KEPT, SynthError, _refuse_error_annotations, _run_by_cdktf_cli, _swap_in
from stacks.endpoints import ENV as ENDPOINT_ENV
from stacks.endpoints import SERVICES, EndpointError, aws_endpoint, aws_provider_settings
from support.emulator import (
    ENDPOINT_VARIABLES,
    FAKE_ACCESS_KEY,
    FAKE_SECRET_KEY,
    MotoServer,
    run_bounded,
    running_emulator,
)
from support.paths import ROOT
from support.tf_tools import cli_config, find_mirror, report

CDKTF = ROOT / "node_modules" / ".bin" / "cdktf"
SYNTH_TIMEOUT = 300
APPLY_TIMEOUT = 600
"""Measured here: a CLI synth 20-40 s (pipenv, the bindings' import, the synth); a deploy of
`shared` ~100 s (synth, init, plan, and the provider waits for the ALB), a destroy ~50 s."""
OUTPUT_SHOWN = 6000
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

COPY_IGNORED = (
    ".git",
    ".venv",
    "node_modules",
    "cdktf.out",
    ".cdktf.out.*",
    "state",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
)
LINKED = (".venv", "node_modules")


# --- what main.py does around the CLI (no jsii, no CLI) ---------------------------------------


def _stack_tree(root: Path, stacks: list[str], content: str) -> Path:
    """An output tree as the App writes it: a manifest and one directory per stack."""
    (root / "stacks").mkdir(parents=True)
    manifest = {"version": "0.21.0", "stacks": {}}
    for stack in stacks:
        (root / "stacks" / stack).mkdir()
        (root / "stacks" / stack / "cdk.tf.json").write_text(json.dumps({"stack": stack, "synth": content}))
        manifest["stacks"][stack] = {
            "name": stack,
            "workingDirectory": f"stacks/{stack}",
            "synthesizedStackPath": f"stacks/{stack}/cdk.tf.json",
            "annotations": [],
            "dependencies": [],
        }
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def _cli_synth(outdir: Path, staging: Path) -> None:
    """The CLI's side of a synth, with main.py's `_swap_in` as the app's last step."""
    stacks_dir = outdir / "stacks"
    existing = [p for p in stacks_dir.iterdir() if p.is_dir() and not p.is_symlink()] if stacks_dir.exists() else []
    _swap_in(staging, outdir, leave_removed_stacks=True)
    named = json.loads((outdir / "manifest.json").read_text())["stacks"]
    for orphan in existing:
        if orphan.name not in named:
            shutil.rmtree(orphan)  # fs.rmSync without force: FileNotFoundError if already gone


ORDERS = {
    "shrink": (["shared", "argocd-blue", "target-blue", "target-green"], ["shared", "argocd-blue", "target-blue"]),
    "grow": (["shared", "argocd-blue", "target-blue"], ["shared", "argocd-blue", "target-blue", "target-green"]),
    "same": (["shared", "argocd-blue", "target-blue"], ["shared", "argocd-blue", "target-blue"]),
}


@pytest.mark.parametrize("terraform_dirs", [True, False], ids=["with-.terraform", "without-.terraform"])
@pytest.mark.parametrize("order", sorted(ORDERS))
def test_swap_in_leaves_the_cli_exactly_the_directories_it_deletes(tmp_path, order, terraform_dirs):
    before, after = ORDERS[order]
    outdir = _stack_tree(tmp_path / "cdktf.out", before, "old")
    if terraform_dirs:
        for stack in before:
            (outdir / "stacks" / stack / KEPT[0]).mkdir()
            (outdir / "stacks" / stack / KEPT[0] / "marker").write_text(stack)
            (outdir / "stacks" / stack / KEPT[1]).write_text(f"# lock {stack}")
    staging = _stack_tree(tmp_path / ".cdktf.out.staging", after, "new")

    _cli_synth(outdir, staging)

    assert sorted(p.name for p in (outdir / "stacks").iterdir()) == sorted(after)
    for stack in after:
        assert json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())["synth"] == "new"
        kept = terraform_dirs and stack in before
        assert (outdir / "stacks" / stack / KEPT[0] / "marker").exists() == kept, stack
        assert (outdir / "stacks" / stack / KEPT[1]).exists() == kept, stack
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.out"], "staging or old tree left behind"


def test_without_the_cli_a_removed_stack_goes_with_the_old_tree(tmp_path):
    outdir = _stack_tree(tmp_path / "out", ORDERS["shrink"][0], "old")
    _swap_in(_stack_tree(tmp_path / ".out.staging", ORDERS["shrink"][1], "new"), outdir)
    assert sorted(p.name for p in (outdir / "stacks").iterdir()) == sorted(ORDERS["shrink"][1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (None, False),
        ("", False),
        ("{not json", False),
        ('{"excludeStackIdFromLogicalIds": true}', False),
        ('{"cdktfRelativeModules": []}', True),
    ],
)
def test_the_app_knows_when_the_cdktf_cli_runs_it(monkeypatch, context, expected):
    monkeypatch.delenv("CDKTF_CONTEXT_JSON", raising=False)
    if context is not None:
        monkeypatch.setenv("CDKTF_CONTEXT_JSON", context)
    assert _run_by_cdktf_cli() is expected


def test_a_synth_with_error_annotations_is_refused_before_the_swap(tmp_path):
    """Under the CLI (CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS) `app.synth()` writes stacks that
    failed a validation; main.py treats that as a failed synth."""
    staging = _stack_tree(tmp_path / "staging", ["shared"], "new")
    _refuse_error_annotations(staging)  # no annotations: fine
    manifest = json.loads((staging / "manifest.json").read_text())
    manifest["stacks"]["shared"]["annotations"] = [
        {"constructPath": "shared/aws", "level": "@cdktf/warn", "message": "only a warning"},
        {"constructPath": "shared/x", "level": "@cdktf/error", "message": "provider missing"},
    ]
    (staging / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SynthError, match=r"\[shared/x\] provider missing"):
        _refuse_error_annotations(staging)


# --- EPHEMERAL_EKS_AWS_ENDPOINT (no jsii) -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("  ", None), ("http://127.0.0.1:5000/", "http://127.0.0.1:5000")],
)
def test_the_endpoint_option_is_off_unless_set(value, expected):
    environ = {} if value is None else {ENDPOINT_ENV: value}
    assert aws_endpoint(environ) == expected
    if expected is None:
        assert aws_provider_settings(environ) == {}, "unset, the provider is configured as for AWS"


@pytest.mark.parametrize("value", ["127.0.0.1:5000", "ftp://host", "http://", "http://host/?a=1"])
def test_the_endpoint_option_refuses_what_is_not_a_url(value):
    with pytest.raises(EndpointError, match=ENDPOINT_ENV):
        aws_endpoint({ENDPOINT_ENV: value})


def test_every_service_the_option_redirects_has_its_sdk_variable_in_the_emulator_suites():
    """The emulator suites point exactly these services at moto (`MotoServer.terraform_env`), so a
    stack calling any other service fails there: that is what shows the list is complete."""
    assert set(SERVICES) <= set(ENDPOINT_VARIABLES), sorted(set(SERVICES) - set(ENDPOINT_VARIABLES))


# --- the real CLI -------------------------------------------------------------------------------


def _cli_unavailable() -> str | None:
    if not CDKTF.exists():
        return "the cdktf CLI is not installed (node_modules/.bin/cdktf; run make deps)"
    if not shutil.which("npx"):
        return "npx is not on PATH"
    if not shutil.which("pipenv"):
        return "pipenv is not on PATH (cdktf.json runs the app with pipenv run)"
    if not (ROOT / ".venv").is_dir():
        return "no project venv in .venv (make deps)"
    return None


class Project:
    """A copy of the project in a temp dir, and the cdktf CLI run in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log: list[str] = []
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "TF_", "CDKTF_")) and k not in ("FLEET", ENDPOINT_ENV)
        }
        self.env = {
            **env,
            "PIPENV_VENV_IN_PROJECT": "1",
            "PIPENV_VERBOSITY": "-1",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "CHECKPOINT_DISABLE": "1",
            "CI": "1",
            # Providers are linked from the mirror; no plugin cache in the home directory.
            "CDKTF_DISABLE_PLUGIN_CACHE_ENV": "true",
        }

    @classmethod
    def copy(cls, base: Path) -> Project:
        root = base / "project"
        shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(*COPY_IGNORED))
        for name in LINKED:
            (root / name).symlink_to(ROOT / name)
        return cls(root)

    @property
    def outdir(self) -> Path:
        return self.root / "cdktf.out"

    def stacks(self) -> list[str]:
        return sorted(p.name for p in (self.outdir / "stacks").iterdir())

    def manifest_stacks(self) -> list[str]:
        return sorted(json.loads((self.outdir / "manifest.json").read_text())["stacks"])

    def run(self, args: list[str], timeout: float, cwd: Path | None = None, **env: str) -> tuple[int | None, str]:
        started = time.monotonic()
        code, out = run_bounded(args, cwd or self.root, {**self.env, **env}, timeout)
        fleet = Path(env.get("FLEET", "fleet.yaml")).name
        self.log.append(f"{time.monotonic() - started:6.1f} s  {' '.join(args[:4])} (FLEET={fleet}) -> {code}")
        return code, ANSI.sub("", out)

    def cdktf(self, *args: str, timeout: float, **env: str) -> tuple[int | None, str]:
        return self.run(["npx", "--no-install", "cdktf", *args], timeout, **env)


def _expect(code: int | None, out: str, what: str, expected: int = 0) -> None:
    if code != expected:
        pytest.fail(f"{what} exited {code}, expected {expected}:\n{out[-OUTPUT_SHOWN:]}", pytrace=False)


@pytest.fixture
def project(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Project]:
    reason = _cli_unavailable()
    if reason:
        pytest.skip(reason)
    copy = Project.copy(tmp_path)
    try:
        yield copy
    finally:
        shutil.rmtree(copy.root, ignore_errors=True)
        report(request.config, f"{request.node.name}: the cdktf CLI", copy.log)


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_cdktf_synth_as_the_fleet_shrinks_and_grows(project: Project, tmp_path: Path):
    """`npx cdktf synth` with target-swap (4 stacks), then steady (3: target-green leaves), a bad
    fleet file (fails, changes nothing), then target-swap again (green is back). Each good synth
    exits 0 and leaves exactly the fleet's stack directories, each stack that stays keeps what
    terraform left in it, and nothing is left beside the output directory."""
    swap, steady = "examples/target-swap.yaml", "examples/steady.yaml"
    four = ["argocd-blue", "shared", "target-blue", "target-green"]

    _expect(*project.cdktf("synth", timeout=SYNTH_TIMEOUT, FLEET=swap), f"cdktf synth of {swap}")
    assert project.stacks() == project.manifest_stacks() == four
    for stack in ("shared", "target-green"):  # one that stays, one that leaves; the others bare
        (project.outdir / "stacks" / stack / ".terraform").mkdir()
        (project.outdir / "stacks" / stack / ".terraform" / "marker").write_text(stack)
        (project.outdir / "stacks" / stack / ".terraform.lock.hcl").write_text(f"# {stack}")

    code, out = project.cdktf("synth", timeout=SYNTH_TIMEOUT, FLEET=steady)
    _expect(code, out, f"cdktf synth of {steady} after {swap}")
    assert "ENOENT" not in out
    assert project.stacks() == project.manifest_stacks() == ["argocd-blue", "shared", "target-blue"]
    assert (project.outdir / "stacks" / "shared" / ".terraform" / "marker").read_text() == "shared"
    assert (project.outdir / "stacks" / "shared" / ".terraform.lock.hcl").read_text() == "# shared"

    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / steady).read_text().replace("phase: active", "phase: standby"))
    before = _tree(project.outdir)
    code, out = project.cdktf("synth", timeout=SYNTH_TIMEOUT, FLEET=str(bad))
    assert code not in (0, None), out[-OUTPUT_SHOWN:]
    assert "exactly one hub must have phase: active" in out
    assert _tree(project.outdir) == before, "a failed synth changed the output"

    code, out = project.cdktf("synth", timeout=SYNTH_TIMEOUT, FLEET=swap)
    _expect(code, out, f"cdktf synth of {swap} after {steady}")
    assert project.stacks() == project.manifest_stacks() == four
    assert (project.outdir / "stacks" / "shared" / ".terraform" / "marker").read_text() == "shared"
    assert not (project.outdir / "stacks" / "target-green" / ".terraform").exists()
    assert not [p.name for p in project.root.iterdir() if p.name.startswith(".cdktf.out")], "staging left behind"


# --- deploy and destroy against the emulator ---------------------------------------------------

FLEET_NAME = "zcli"
REGION = "eu-west-1"
SERVICE = "web"
"""examples/steady.yaml's one service: its ALB is zcli-web-alb."""


def _seed(emulator: MotoServer) -> dict[str, Any]:
    """What `shared` of a reused-VPC fleet needs to exist: the VPC and its subnets (two zones,
    private and public), the logs bucket and the certificate. A reused VPC, because `shared`
    creating one adds an S3 flow log with a key prefix, which moto refuses (see
    emulator.ADAPTATIONS["flow log destination"]); no web ACL, which the fleet file leaves out."""
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets: dict[str, list[str]] = {"private": [], "public": []}
    for tier, base in (("private", 0), ("public", 128)):
        for index, zone in enumerate(("a", "b")):
            subnet = ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"10.77.{base + 16 * index}.0/20", AvailabilityZone=f"{REGION}{zone}"
            )
            subnets[tier].append(subnet["Subnet"]["SubnetId"])
    bucket = f"{FLEET_NAME}-fleet-logs"
    emulator.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    certificate = emulator.client("acm").request_certificate(DomainName=f"{FLEET_NAME}.example.com")
    return {
        "network": {"vpc_id": vpc, "private_subnet_ids": subnets["private"], "public_subnet_ids": subnets["public"]},
        "logs_bucket": bucket,
        "certificate_arn": certificate["CertificateArn"],
    }


def _fleet_file(path: Path, seeded: dict[str, Any]) -> Path:
    data = yaml.safe_load((ROOT / "examples" / "steady.yaml").read_text())
    assert data["region"] == REGION
    data["name"] = FLEET_NAME
    data["network"] = seeded["network"]
    data["logs_bucket"] = seeded["logs_bucket"]
    traffic = data["services"][SERVICE]["traffic"]
    traffic["certificate_arn"] = seeded["certificate_arn"]
    traffic.pop("waf_acl_arn", None)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.lifecycle
def test_cdktf_deploy_and_destroy_shared_against_the_emulator(project: Project, tmp_path: Path):
    """The card's commands as typed, against moto: `npx cdktf synth`, the lock file made from the
    offline mirror, `npx cdktf deploy shared --auto-approve` (the ALB exists), the ALB's
    deletion protection turned off outside the repo as docs/runbook.md says, `npx cdktf destroy shared
    --auto-approve` (the ALB is gone)."""
    with running_emulator(REGION, tmp_path) as emulator:
        fleet = _fleet_file(tmp_path / f"{FLEET_NAME}.yaml", _seed(emulator))
        env = {
            "FLEET": str(fleet),
            ENDPOINT_ENV: emulator.url,
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
            "AWS_EC2_METADATA_DISABLED": "true",
            "TF_CLI_CONFIG_FILE": str(cli_config(tmp_path)),
            "TF_IN_AUTOMATION": "1",
        }
        stack_dir = project.outdir / "stacks" / "shared"
        state = project.root / "state" / FLEET_NAME / REGION / "shared.tfstate"

        _expect(*project.cdktf("synth", timeout=SYNTH_TIMEOUT, **env), "cdktf synth")
        synthesized = json.loads((stack_dir / "cdk.tf.json").read_text())
        assert set(synthesized["provider"]) == set(synthesized["terraform"]["required_providers"]) == {"aws"}
        assert not [k for k in synthesized.get("resource", {}) if k.startswith(("helm_", "kubernetes_"))]
        assert set(synthesized["output"]) == {f"alb-dns-name-{SERVICE}"}
        (aws,) = synthesized["provider"]["aws"]
        assert aws["endpoints"] == [dict.fromkeys(SERVICES, emulator.url)]

        # Offline the CLI's own `terraform providers lock -platform=linux_amd64` cannot reach the
        # registry; with a lock file that names the pinned version, the CLI does not run it.
        lock = ["terraform", "providers", "lock", f"-fs-mirror={find_mirror()}", "-platform=linux_amd64"]
        code, out = project.run(lock, SYNTH_TIMEOUT, cwd=stack_dir, **env)
        _expect(code, out, "terraform providers lock")
        locked = (stack_dir / ".terraform.lock.hcl").read_text()
        assert 'version     = "5.100.0"' in locked

        _expect(*project.cdktf("deploy", "shared", "--auto-approve", timeout=APPLY_TIMEOUT, **env), "cdktf deploy")
        elbv2 = emulator.client("elbv2")
        (alb,) = elbv2.describe_load_balancers(Names=[names.alb_name(FLEET_NAME, SERVICE)])["LoadBalancers"]
        assert alb["State"]["Code"] == "active"
        [described] = elbv2.describe_tags(ResourceArns=[alb["LoadBalancerArn"]])["TagDescriptions"]
        assert {"Key": names.TAG_SERVICE, "Value": SERVICE} in described["Tags"]
        assert alb["VpcId"] == yaml.safe_load(fleet.read_text())["network"]["vpc_id"]
        attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=alb["LoadBalancerArn"])["Attributes"]
        assert {"Key": "deletion_protection.enabled", "Value": "true"} in attributes
        assert len(elbv2.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]) == 2
        assert json.loads(state.read_text())["resources"], "no state under the project root"
        assert (stack_dir / ".terraform.lock.hcl").read_text() == locked, "the re-synth dropped the lock file"

        # docs/runbook.md: deletion protection stays on until turned off outside this repository (moto
        # itself does not enforce it).
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=alb["LoadBalancerArn"],
            Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}],
        )
        _expect(*project.cdktf("destroy", "shared", "--auto-approve", timeout=APPLY_TIMEOUT, **env), "cdktf destroy")
        with pytest.raises(elbv2.exceptions.LoadBalancerNotFoundException):
            elbv2.describe_load_balancers(Names=[names.alb_name(FLEET_NAME, SERVICE)])
        groups = [g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]]
        assert not [g for g in groups if g.startswith(f"{FLEET_NAME}-")]
        assert json.loads(state.read_text())["resources"] == []
        shutil.rmtree(project.root / "state" / FLEET_NAME, ignore_errors=True)

"""Bad fleet files end in one clear message naming the field, a non-zero exit, no traceback,
and nothing written - through `python -m fleet validate`, `make synth` and `cdktf synth`."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fleet.model.load import FleetError, load_fleet, validate
from support.cli import fleet_here, run_fleet
from support.edge_cases import apply, model_cases, named, oracle_cases
from support.fleet_strategies import judge
from support.fleets import example_text, move_key, web
from support.paths import EXAMPLES, ROOT

STEADY = example_text("steady")
TWO_SERVICES = example_text("two-services")


def edited(edit, base: str = STEADY) -> str:
    data = yaml.safe_load(base)
    edit(data)
    return yaml.safe_dump(data, sort_keys=False)


def two(edit) -> str:
    """examples/two-services.yaml, edited: services web (app podinfo) and api (apps api, a chart,
    and guestbook, a Git path; targets apiblue and apigreen)."""
    return edited(edit, TWO_SERVICES)


def api(data):
    return data["services"]["api"]


def _s3(prefix: str):
    return lambda d: d.update(
        state={"backend": "s3", "bucket": "acme-tfstate", "region": "eu-west-1", "key_prefix": prefix}
    )


BAD_FLEETS: dict[str, tuple[str, str]] = {
    "state key prefix with a trailing slash": (
        edited(_s3("state/")),
        "state.key_prefix: 'state/' is not an S3 key prefix",
    ),
    "state key prefix with a leading slash": (
        edited(_s3("/state")),
        "state.key_prefix: '/state' is not an S3 key prefix",
    ),
    "state key prefix with an empty segment": (edited(_s3("a//b")), "state.key_prefix: 'a//b' is not an S3 key prefix"),
    "a fourth operator cidr": (
        edited(lambda d: web(d)["traffic"].update(operator_cidrs=[f"198.51.100.{i * 16}/28" for i in range(4)])),
        "services.web.traffic.operator_cidrs: at most 3 CIDRs, 4 given: an ALB rule condition",
    ),
    "a pinned zone the fleet does not have": (
        edited(lambda d: web(d)["targets"]["blue"].update(zones=["eu-west-1a", "eu-west-1d"])),
        "services.web.targets.blue.zones: eu-west-1d is not in network.zones",
    ),
}
BAD_FLEETS |= {
    "duplicate generation name": (
        STEADY.replace(
            "hubs:\n  blue:\n", 'hubs:\n  blue:\n    kubernetes_version: "1.33"\n    phase: standby\n  blue:\n', 1
        ),
        "key 'blue' appears twice",
    ),
    "two active hubs": (
        edited(lambda d: d["hubs"].update(green={"kubernetes_version": "1.33", "phase": "active"})),
        "hubs: exactly one hub must have phase: active, found 2 (blue, green)",
    ),
    "weights not summing to 100": (
        edited(lambda d: web(d)["targets"]["blue"].update(weight=90)),
        "services.web.targets: weights must sum to 100, they sum to 90",
    ),
    "unknown kubernetes version": (
        edited(lambda d: web(d)["targets"]["blue"].update(kubernetes_version="1.99")),
        "services.web.targets.blue.kubernetes_version: '1.99' is not an EKS version; use one of",
    ),
    "unquoted kubernetes version": (
        STEADY.replace('kubernetes_version: "1.35"', "kubernetes_version: 1.30", 1),
        "hubs.blue.kubernetes_version: must be a string; quote it (got float 1.3)",
    ),
    "unknown key": (
        edited(lambda d: web(d)["targets"]["blue"].update(wieght=100)),
        "services.web.targets.blue.wieght: unknown key",
    ),
    "overlapping cidrs": (
        edited(lambda d: web(d)["traffic"].update(allowed_cidrs=["10.0.0.0/8", "10.1.0.0/16"])),
        "services.web.traffic.allowed_cidrs: allowed_cidrs 10.0.0.0/8 and 10.1.0.0/16 overlap",
    ),
    "service range inside the vpc": (
        edited(lambda d: d.update(service_cidr="10.40.128.0/20")),
        "service_cidr: 10.40.128.0/20 overlaps network.cidr 10.40.0.0/16",
    ),
    "invalid cidr": (
        edited(lambda d: d["network"].update(cidr="10.40.0.1/16")),
        "network.cidr: '10.40.0.1/16' is not an IPv4 CIDR",
    ),
    "more serving targets than an alb forwards to": (
        edited(
            lambda d: web(d).update(
                targets={
                    f"t{i}": {
                        **copy.deepcopy(web(d)["targets"]["blue"]),
                        "phase": "serving",
                        "weight": 100 // 6 + (100 % 6 if i == 0 else 0),
                    }
                    for i in range(6)
                }
            )
        ),
        "services.web.targets: 6 targets are serving (t0, t1, t2, t3, t4, t5); an ALB forwards to at most 5",
    ),
    "malformed yaml": ("name: [acme\nregion: eu-west-1\n", "(malformed YAML)"),
    "yaml alias": (STEADY.replace("weight: 100", "weight: &w 100"), "anchors (&name) are not allowed"),
    "generation name that is not dns-safe": (
        edited(lambda d: web(d)["targets"].update({"../x": web(d)["targets"].pop("blue")})),
        "services.web.targets.../x: '../x' is not a generation name",
    ),
    "a list instead of a mapping": ("- name: acme\n", "the file must be a mapping"),
    "a hub name that is not a generation name": (
        edited(lambda d: move_key(d["hubs"], "blue", "Blue")),
        "hubs.Blue: 'Blue' is not a generation name",
    ),
}
SERVICE_FLEETS: dict[str, tuple[str, str]] = {
    "targets, apps and traffic at the top (the one-service file)": (
        edited(lambda d: d.update(d.pop("services")["web"])),
        "targets, apps, traffic: a fleet now holds services; move targets, apps and traffic under services.<name>",
    ),
    "a generation name in two services": (
        two(lambda d: move_key(api(d)["targets"], "apigreen", "blue")),
        "services.api.targets.blue: web has a target generation blue too; generation names are unique in the fleet",
    ),
    "a service named default": (
        edited(lambda d: move_key(d["services"], "web", "default")),
        "services.default: 'default' is ArgoCD's built-in project",
    ),
    "a service name that is not one": (
        edited(lambda d: move_key(d["services"], "web", "Web")),
        "services.Web: 'Web' is not a service name: 1-12 lowercase letters or digits",
    ),
    "no service": (edited(lambda d: d.update(services={})), "services: list at least one service"),
    "21 services": (
        edited(
            lambda d: d["services"].update(
                {
                    f"s{i}": {**copy.deepcopy(web(d)), "targets": {f"g{i}": copy.deepcopy(web(d)["targets"]["blue"])}}
                    for i in range(20)
                }
            )
        ),
        "services: 21 services; each has its own ALB and a region allows 50 by default (AWS): at most 20",
    ),
    "a service without a target": (
        edited(lambda d: web(d).update(targets={})),
        "services.web.targets: a service needs at least one target generation",
    ),
    "weight on a service that serves nothing yet": (
        edited(lambda d: web(d)["targets"]["blue"].update(phase="registered", weight=100)),
        "services.web.targets.blue.weight: a registered target takes no traffic; set weight: 0",
    ),
    "a chart and a git path": (
        edited(lambda d: web(d)["apps"]["podinfo"].update(path="deploy", revision="main")),
        "services.web.apps.podinfo: give chart and version (a Helm repository) or path and revision (a Git "
        "repository), not both",
    ),
    "a chart without its version": (
        edited(lambda d: web(d)["apps"]["podinfo"].pop("version")),
        "services.web.apps.podinfo.version: is required with chart",
    ),
    "a git path without its revision": (
        two(lambda d: api(d)["apps"]["guestbook"].update(revision=None)),
        "services.api.apps.guestbook.revision: is required with path",
    ),
    "no source": (
        edited(lambda d: [web(d)["apps"]["podinfo"].pop(k) for k in ("chart", "version")]),
        "services.web.apps.podinfo.chart: give chart and version (a Helm repository) or path and revision",
    ),
    "a git path from an oci repository": (
        two(lambda d: api(d)["apps"]["guestbook"].update(repo_url="oci://ghcr.io/org/charts")),
        "services.api.apps.guestbook.repo_url: a Git repository is https://",
    ),
    "helm values on a git path": (
        two(lambda d: api(d)["apps"]["guestbook"].update(values={"replicaCount": 2})),
        "services.api.apps.guestbook.values: Helm values apply to chart sources",
    ),
    "a git path with ..": (
        two(lambda d: api(d)["apps"]["guestbook"].update(path="deploy/../../etc")),
        "services.api.apps.guestbook.path: 'deploy/../../etc' is not a path inside the Git repository",
    ),
    "the served app without a port": (
        edited(lambda d: web(d)["apps"]["podinfo"].pop("port")),
        "services.web.apps.podinfo.port: the served app needs its Service port; add it",
    ),
    "a served git path without its service": (
        two(lambda d: (api(d)["traffic"].update(app="guestbook"), api(d)["apps"]["guestbook"].update(port=80))),
        "services.api.apps.guestbook.service: a served app from a Git path names its Service; add it",
    ),
    "traffic to another service's app": (
        two(lambda d: web(d)["traffic"].update(app="api")),
        "services.web.traffic.app: 'api' is not an app of this service; use one of podinfo",
    ),
    "generation values for another service's app": (
        two(lambda d: api(d)["targets"]["apigreen"]["values"].update(podinfo={"replicaCount": 1})),
        "services.api.targets.apigreen.values.podinfo: not an app of this service; use one of api, guestbook",
    ),
    "generation values for a git path": (
        two(lambda d: api(d)["targets"]["apigreen"]["values"].update(guestbook={"replicaCount": 1})),
        "services.api.targets.apigreen.values.guestbook: guestbook is a Git path; Helm values apply to chart sources",
    ),
    "a container port out of range": (
        two(lambda d: api(d)["apps"]["api"].update(container_port=65536)),
        "services.api.apps.api.container_port: Input should be less than or equal to 65535 (got 65536)",
    ),
    "a cluster resource kind that is not one": (
        edited(
            lambda d: web(d).update(cluster_resources=[{"group": "rbac.authorization.k8s.io", "kind": "clusterrole"}])
        ),
        "services.web.cluster_resources.0.kind: 'clusterrole' is not a Kubernetes kind",
    ),
}
BAD_FLEETS |= SERVICE_FLEETS
GOOD_FLEETS = {
    "a service that serves nothing yet": edited(
        lambda d: web(d)["targets"]["blue"].update(phase="registered", weight=0)
    ),
    "a new service beside a serving one": two(
        lambda d: api(d)["targets"].update(
            {g: {**t, "phase": "registered", "weight": 0} for g, t in api(d)["targets"].items()}
        )
    ),
    "a served git path with its service and port": two(
        lambda d: (
            api(d)["traffic"].update(app="guestbook"),
            api(d)["apps"]["guestbook"].update(port=80, container_port=8080, service="guestbook-ui"),
        )
    ),
    "apps without a port that are not served": two(
        lambda d: [api(d)["apps"][a].update(port=None, container_port=None) for a in ("guestbook",)]
    ),
    "a chart from an oci repository with values": edited(
        lambda d: web(d)["apps"]["podinfo"].update(
            repo_url="oci://ghcr.io/stefanprodan/charts", values={"ui": {"message": "hi"}, "replicaCount": 2}
        )
    ),
    "cluster resources, the core group included": edited(
        lambda d: web(d).update(
            cluster_resources=[
                {"group": "", "kind": "Namespace"},
                {"group": "rbac.authorization.k8s.io", "kind": "ClusterRole"},
            ]
        )
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FLEETS))
def test_bad_fleet_gets_one_clear_message_naming_the_field(case, tmp_path):
    text, expected = BAD_FLEETS[case]
    path = tmp_path / "fleet.yaml"
    path.write_text(text)
    with pytest.raises(FleetError) as caught:
        load_fleet(path)
    message = str(caught.value)
    assert expected in message
    assert all(line.startswith(f"{path}: ") for line in message.splitlines())


@pytest.mark.parametrize("case", sorted(GOOD_FLEETS))
def test_a_service_variant_validates(case, tmp_path):
    path = tmp_path / "fleet.yaml"
    path.write_text(GOOD_FLEETS[case])
    load_fleet(path)


# --- one list of edge cases, judged by the model and by the fuzz oracle (tests/support/edge_cases.py) ---


@pytest.mark.parametrize(("description", "edit", "expected"), model_cases())
def test_the_model_judges_each_edge_case(description, edit, expected):
    data = apply(edit)
    if expected is None:
        validate(data, "edge.yaml")
        return
    with pytest.raises(FleetError) as caught:
        validate(data, "edge.yaml")
    assert named(expected, caught.value.problems), f"{description}: expected {expected}, got {caught.value.problems}"


@pytest.mark.parametrize(("description", "edit", "expected"), oracle_cases())
def test_the_fuzz_oracle_judges_each_edge_case_as_the_model_must(description, edit, expected):
    found = judge(apply(edit))
    if expected is None:
        assert found == [], f"{description}: the oracle finds {found} wrong in a valid fleet"
    else:
        assert named(expected, found), f"{description}: expected {expected}, the oracle found {found}"


def test_the_one_service_file_is_refused_with_one_line_before_any_field_check(tmp_path):
    path = tmp_path / "fleet.yaml"
    path.write_text(SERVICE_FLEETS["targets, apps and traffic at the top (the one-service file)"][0])
    with pytest.raises(FleetError) as caught:
        load_fleet(path)
    assert caught.value.problems == [
        "targets, apps, traffic: a fleet now holds services; move targets, apps and traffic under services.<name> "
        "(e.g. `services: {podinfo: {targets: ..., apps: ..., traffic: ...}}`); stack ids stay "
        'target-<generation> (README, "The fleet file")'
    ]


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FleetError, match="no such fleet file"):
        load_fleet(tmp_path / "absent.yaml")


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")) + ["../fleet.yaml"])
def test_every_shipped_fleet_file_is_valid(example):
    load_fleet(EXAMPLES / example)


def _run(args: list[str], env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


@pytest.mark.parametrize("case", ["two active hubs", "unknown key", "malformed yaml"])
def test_validate_command_prints_the_message_and_exits_2(case, tmp_path):
    path = tmp_path / "fleet.yaml"
    path.write_text(BAD_FLEETS[case][0])
    done = fleet_here("validate", path)
    assert done.returncode == 2
    assert BAD_FLEETS[case][1] in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_validate_command_summarizes_a_good_fleet_without_importing_cdktf():
    code = (
        "import sys, runpy\n"
        "sys.argv = ['fleet', 'validate', 'examples/target-swap.yaml']\n"
        "try:\n    runpy.run_module('fleet', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('cdktf', 'jsii', 'cdktf_cdktf_provider_aws', 'constructs'))\n"
        "print('HEAVY', heavy)\n"
    )
    done = _run([sys.executable, "-c", code])
    assert done.returncode == 0, done.stderr
    assert "stacks:  shared argocd-blue target-blue target-green" in done.stdout
    assert "green (registered, 1.36, weight 0)" in done.stdout
    assert "HEAVY []" in done.stdout


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", ["duplicate generation name", "weights not summing to 100", "malformed yaml"])
def test_make_synth_refuses_a_bad_fleet_and_leaves_the_output_untouched(case, tmp_path):
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(BAD_FLEETS[case][0])
    out = tmp_path / "out"
    (out / "stacks" / "shared").mkdir(parents=True)
    (out / "stacks" / "shared" / "cdk.tf.json").write_text('{"previous": "synth"}')
    before = _tree(out)
    done = _run(["make", "--no-print-directory", "synth"], env={"FLEET": str(fleet), "CDKTF_OUTDIR": str(out)})
    assert done.returncode != 0
    assert BAD_FLEETS[case][1] in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert _tree(out) == before
    assert not list(tmp_path.glob(".out.*")), "a staging directory was left behind"


def test_make_synth_names_a_missing_fleet_file(tmp_path):
    done = _run(
        ["make", "--no-print-directory", "synth"],
        env={"FLEET": str(tmp_path / "nope.yaml"), "CDKTF_OUTDIR": str(tmp_path / "out")},
    )
    assert done.returncode != 0
    assert "nope.yaml: no such fleet file" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(
    not (ROOT / "node_modules" / ".bin" / "cdktf").exists(), reason="the cdktf CLI is not installed (make deps)"
)
def test_cdktf_synth_shows_the_message_not_a_traceback(tmp_path):
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(BAD_FLEETS["two active hubs"][0])
    done = _run(
        [str(ROOT / "node_modules" / ".bin" / "cdktf"), "synth", "--output", str(tmp_path / "out")],
        env={"FLEET": str(fleet), "PIPENV_VENV_IN_PROJECT": "1", "CHECKPOINT_DISABLE": "1"},
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "exactly one hub must have phase: active" in output
    assert "Traceback" not in output


# --- Kubernetes versions --------------------------------------------------------------------


def _with_version(version: str, phase: str = "provisioning") -> str:
    def edit(d):
        web(d)["targets"]["green"] = {"kubernetes_version": version, "phase": phase, "weight": 0}

    return edited(edit)


def test_a_fleet_on_the_newest_versions_validates_and_a_new_generation_past_extended_support_does_not(tmp_path):
    path = tmp_path / "fleet.yaml"
    path.write_text(_with_version("1.36"))
    assert load_fleet(path).services["web"].targets["green"].kubernetes_version == "1.36"
    path.write_text(_with_version("1.31"))  # extended support ended on 2026-11-26, the day before TODAY
    with pytest.raises(FleetError) as caught:
        load_fleet(path)
    assert str(caught.value).endswith(
        "services.web.targets.green.kubernetes_version: 1.31 left EKS extended support on 2026-11-26; a new generation starts "
        "on a supported version, such as 1.36 (standard support until 2027-08-02)"
    )


def test_a_live_generation_on_extended_support_validates_with_a_warning(tmp_path):
    path = tmp_path / "fleet.yaml"
    path.write_text(_with_version("1.33", phase="registered"))
    done = run_fleet("validate", path)
    assert done.returncode == 0, done.stderr
    assert (
        "warning: services.web.targets.green.kubernetes_version: 1.33 is in extended support (extra cost) until 2027-07-29; "
        "swap it for a new generation on 1.36"
    ) in done.stderr


def test_the_fleet_file_docs_version_table_is_the_modules():
    from fleet.versions import VERSIONS

    readme = (ROOT / "docs" / "fleet-file.md").read_text()
    for v in VERSIONS:
        row = f"| {v.version} | {v.released} | {v.end_of_standard} | {v.end_of_extended} |"
        assert row in readme, row


def test_every_node_group_runs_the_ami_type_of_its_instance_types(steady):
    """m6i.large everywhere in steady: x86_64, no accelerator, Amazon Linux 2023."""
    for stack_id in ("argocd-blue", "target-blue"):
        (nodes,) = steady[stack_id]["resource"]["aws_eks_node_group"].values()
        assert nodes["instance_types"] == ["m6i.large"]
        assert nodes["ami_type"] == "AL2023_x86_64_STANDARD"

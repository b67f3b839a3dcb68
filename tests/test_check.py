"""`python -m fleet check` against moto (AWS) and a fake Kubernetes API server.

AWS: one moto server for the module (tests/support/emulator.py), seeded directly with boto3: the clusters
and node groups of examples/target-swap.yaml (target blue has no node group), the ALBs of services
web and api (examples/two-services.yaml), the target groups of blue, green and apiblue with a healthy
target each, and requests to blue and apiblue in CloudWatch, each through its service's ALB. The
command runs with AWS_ENDPOINT_URL pointing at moto: its `main` in this process (one test runs
`python -m fleet check` in a process of its own).

Kubernetes: `FakeKube` answers exactly what the checks ask for (the node list, the labelled
Applications, the controller metrics through the service proxy) over plain http on 127.0.0.1,
reached through `--api-endpoint CLUSTER=http://127.0.0.1:PORT`, one server per cluster. In-process
tests serve it over TLS with a certificate for an EKS host name, to show a tunnelled endpoint is
still verified against the cluster's CA and real host name.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import os
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from fleet import names
from fleet.ops import aws as ops_aws
from fleet.ops import check_command, checks, errors
from fleet.ops import kube as ops_kube
from support.cli import fleet_here, run_fleet
from support.emulator import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, HOST, EmulatorUnavailable, MotoServer, free_port
from support.paths import ROOT

FLEET = ROOT / "examples" / "target-swap.yaml"
TWO_SERVICES = ROOT / "examples" / "two-services.yaml"
REGION = "eu-west-1"
PREFIX = "acme"
SERVICE = "web"
"""The one service of examples/target-swap.yaml."""
API = "api"
"""examples/two-services.yaml's second service (generations apiblue, serving, and apigreen)."""
HUB = names.cluster_name(PREFIX, "hub", "blue")
GREEN = names.cluster_name(PREFIX, "target", "green")
BLUE = names.cluster_name(PREFIX, "target", "blue")
BLUE_REQUESTS = 42
APIBLUE_REQUESTS = 7
RUN_TIMEOUT = 120

MOTO_MISSING = "" if importlib.util.find_spec("moto.server") else "moto[server] is not installed"
needs_moto = pytest.mark.skipif(bool(MOTO_MISSING), reason=MOTO_MISSING or "-")


# --- a fake Kubernetes API ---------------------------------------------------------------------

METRICS_PATH = (
    f"/api/v1/namespaces/{names.ARGOCD_NAMESPACE}/services/{checks.METRICS_SERVICE}:{checks.METRICS_PORT}/proxy/metrics"
)
APPS_PATH = f"/apis/argoproj.io/v1alpha1/namespaces/{names.ARGOCD_NAMESPACE}/applications"


def node(name: str, ready: str = "True") -> dict[str, Any]:
    return {"metadata": {"name": name}, "status": {"conditions": [{"type": "Ready", "status": ready}]}}


def app(generation: str, sync: str = "Synced", health: str = "Healthy") -> dict[str, Any]:
    cluster = names.cluster_name(PREFIX, "target", generation)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": f"{cluster}-podinfo", "labels": {names.LABEL_GENERATION: generation}},
        "status": {"sync": {"status": sync}, "health": {"status": health}},
    }


def metrics(*servers: tuple[str, int, int]) -> str:
    """Controller metrics text: (server, connection status, cache age) per cluster."""
    lines = [
        f"# HELP {checks.CONNECTION_METRIC} The k8s cluster current connection status.",
        f"# TYPE {checks.CONNECTION_METRIC} gauge",
    ]
    lines += [f'{checks.CONNECTION_METRIC}{{k8s_version="1.36",server="{s}"}} {v}' for s, v, _ in servers]
    lines += [f'{checks.CACHE_AGE_METRIC}{{server="{s}"}} {age}' for s, _, age in servers]
    lines.append('argocd_app_info{name="x",server="https://kubernetes.default.svc"} 1')
    return "\n".join(lines) + "\n"


@dataclass
class FakeKube:
    """A Kubernetes API on 127.0.0.1 that answers the fleet check's requests from its fields."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    apps: list[dict[str, Any]] = field(default_factory=list)
    metrics: str | None = None
    """None: the metrics service is missing (404)."""
    seen: list[tuple[str, str]] = field(default_factory=list)
    """(path with query, Authorization header) of every request."""
    tls: ssl.SSLContext | None = None
    """Serve https with this server context; None: plain http."""

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                fake.seen.append((self.path, self.headers.get("Authorization", "")))
                parts = urlsplit(self.path)
                path, query = unquote(parts.path), parse_qs(parts.query)
                if path == "/api/v1/nodes":
                    self.reply(200, {"kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": fake.nodes})
                elif path == APPS_PATH:
                    key, _, value = query.get("labelSelector", [""])[0].partition("=")
                    items = [a for a in fake.apps if a["metadata"]["labels"].get(key) == value]
                    self.reply(200, {"kind": "ApplicationList", "metadata": {}, "items": items})
                elif path == METRICS_PATH and fake.metrics is not None:
                    self.reply(200, fake.metrics, "text/plain; version=0.0.4")
                else:
                    self.reply(404, {"kind": "Status", "status": "Failure", "message": f"{path} not found"})

            def reply(self, status: int, body: Any, kind: str = "application/json") -> None:
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{HOST}:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


# --- AWS in moto --------------------------------------------------------------------------------


@dataclass
class Aws:
    emulator: MotoServer
    endpoints: dict[str, str]
    """cluster name -> the endpoint moto gave it."""
    groups: dict[str, str]
    """target group name -> ARN."""
    subnets: list[str]


def seed(emulator: MotoServer) -> Aws:
    ec2, eks, elbv2 = (emulator.client(s) for s in ("ec2", "eks", "elbv2"))
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab")
    ]
    role = "arn:aws:iam::123456789012:role/test"
    endpoints = {}
    for cluster in (HUB, GREEN, BLUE):
        found = eks.create_cluster(name=cluster, roleArn=role, resourcesVpcConfig={"subnetIds": subnets})
        endpoints[cluster] = found["cluster"]["endpoint"]
    for cluster in (HUB, GREEN):  # target blue has no node group
        eks.create_nodegroup(
            clusterName=cluster, nodegroupName=names.node_group_name(cluster), subnets=subnets, nodeRole=role
        )
    # web: examples/target-swap.yaml's one service; api: the second of examples/two-services.yaml
    albs = {
        service: elbv2.create_load_balancer(Name=names.alb_name(PREFIX, service), Subnets=subnets)["LoadBalancers"][0]
        for service in (SERVICE, API)
    }
    groups = {}
    for generation, ip in (("blue", "10.40.0.10"), ("green", "10.40.1.10"), ("apiblue", "10.40.1.20")):
        name = names.target_group_name(PREFIX, generation)
        group = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=9898, VpcId=vpc, TargetType="ip")
        groups[name] = group["TargetGroups"][0]["TargetGroupArn"]
        elbv2.register_targets(TargetGroupArn=groups[name], Targets=[{"Id": ip, "Port": 9898}])
    emulator.client("cloudwatch").put_metric_data(
        Namespace="AWS/ApplicationELB",
        MetricData=[
            {
                "MetricName": "RequestCount",
                "Dimensions": [
                    {
                        "Name": "TargetGroup",
                        "Value": groups[names.target_group_name(PREFIX, generation)].split(":")[-1],
                    },
                    {"Name": "LoadBalancer", "Value": albs[service]["LoadBalancerArn"].split(":loadbalancer/")[1]},
                ],
                "Timestamp": datetime.now(UTC) - timedelta(minutes=5),
                "Value": requests,
                "Unit": "Count",
            }
            for generation, service, requests in (("blue", SERVICE, BLUE_REQUESTS), ("apiblue", API, APIBLUE_REQUESTS))
        ],
    )
    return Aws(emulator, endpoints, groups, subnets)


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Aws]:
    if MOTO_MISSING:
        pytest.skip(MOTO_MISSING)
    emulator = MotoServer(REGION, log_dir=tmp_path_factory.mktemp("check-moto"))
    try:
        try:
            emulator.start()
        except EmulatorUnavailable as err:
            pytest.skip(f"moto_server cannot start here: {err}")
        yield seed(emulator)
    finally:
        emulator.stop()


@pytest.fixture
def kube(aws: Aws) -> Iterator[dict[str, FakeKube]]:
    """A healthy fleet's Kubernetes APIs: hub and targets, each its own server."""
    servers = {
        HUB: FakeKube(
            nodes=[node("hub-1")],
            apps=[app("green"), app("blue")],
            # moto gives every cluster of a region the same endpoint, so this serves blue as well
            metrics=metrics((aws.endpoints[GREEN], 1, 12), ("https://kubernetes.default.svc", 1, 30)),
        ),
        GREEN: FakeKube(nodes=[node("green-1"), node("green-2")]),
        BLUE: FakeKube(nodes=[node("blue-1")]),
    }
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def environment(endpoint: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "FLEET"}
    return {
        **env,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "2",
        **extra,
    }


@dataclass
class Run:
    code: int
    out: list[str]
    err: list[str]

    @property
    def lines(self) -> list[str]:
        return self.out + self.err


def fleet_check(*args: str, env: dict[str, str], file: Path | None = FLEET, process: bool = False) -> Run:
    """`fleet check STACK [FILE] OPTIONS`: through its `main` in this process, or as `python -m
    fleet` in a process of its own (`process`; the first test does, to show the command whole)."""
    stack, *options = args
    argv = ["check", stack, *([str(file)] if file else []), *options]
    done = run_fleet(*argv, env=env, timeout=RUN_TIMEOUT) if process else fleet_here(*argv, env=env)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return Run(done.returncode, done.stdout.splitlines(), done.stderr.splitlines())


def endpoints(kube: dict[str, FakeKube], *clusters: str) -> list[str]:
    return [arg for c in clusters for arg in ("--api-endpoint", f"{c}={kube[c].url}")]


def check_green(aws: Aws, kube: dict[str, FakeKube], tmp_path: Path, process: bool = False) -> Run:
    env = environment(aws.emulator.url, tmp_path)
    return fleet_check("target-green", *endpoints(kube, HUB, GREEN), env=env, process=process)


# --- target-<gen> -------------------------------------------------------------------------------


@needs_moto
def test_target_passes_every_check(aws, kube, tmp_path):
    run = check_green(aws, kube, tmp_path, process=True)
    assert run.code == 0, run.lines
    assert run.err == []
    assert run.out == [
        f"target-green: cluster {GREEN} is ACTIVE",
        f"target-green: node group {GREEN}-nodes is ACTIVE",
        f"target-green: 2 nodes of {GREEN} Ready",
        f"target-green: ArgoCD on hub {HUB} is connected to {GREEN}",
        f"target-green: 1 ArgoCD app for green Synced and Healthy on hub {HUB}",
        "target-green: target group acme-green has 1 healthy target",
    ]
    # every Kubernetes request carries an EKS token; the apps are selected by the generation label
    for server in (kube[HUB], kube[GREEN]):
        assert server.seen and all(auth.startswith("Bearer k8s-aws-v1.") for _, auth in server.seen)
    selectors = [parse_qs(urlsplit(path).query).get("labelSelector") for path, _ in kube[HUB].seen]
    assert [f"{names.LABEL_GENERATION}=green"] in selectors


@needs_moto
def test_a_node_not_ready_is_one_line(aws, kube, tmp_path):
    kube[GREEN].nodes = [node("green-1"), node("green-2", "False")]
    run = check_green(aws, kube, tmp_path)
    assert (run.code, run.out) == (1, [])
    assert run.err == [f"target-green: 1 of 2 nodes of {GREEN} not Ready: green-2 (Ready=False)"]


@needs_moto
def test_no_nodes_fails(aws, kube, tmp_path):
    kube[GREEN].nodes = []
    run = check_green(aws, kube, tmp_path)
    assert (run.code, run.err) == (1, [f"target-green: cluster {GREEN} has no nodes"])


@needs_moto
def test_an_app_out_of_sync_is_one_line(aws, kube, tmp_path):
    kube[HUB].apps = [app("green", sync="OutOfSync"), app("blue")]
    run = check_green(aws, kube, tmp_path)
    assert (run.code, run.out) == (1, [])
    assert run.err == [
        f"target-green: 1 of 1 ArgoCD app for green not Synced/Healthy: {GREEN}-podinfo (OutOfSync/Healthy)"
    ]


@needs_moto
def test_no_app_for_the_generation_fails(aws, kube, tmp_path):
    kube[HUB].apps = [app("blue")]
    run = check_green(aws, kube, tmp_path)
    assert run.err == [f"target-green: no ArgoCD Application on hub {HUB} is labelled {names.LABEL_GENERATION}=green"]


@needs_moto
@pytest.mark.parametrize(
    ("state", "says"),
    [
        ("disconnected", f"ArgoCD on hub {HUB} cannot reach {GREEN} ({checks.CONNECTION_METRIC} is 0)"),
        ("syncing", f"ArgoCD on hub {HUB} has not finished its first sync of {GREEN} yet"),
        ("unknown", f"ArgoCD on hub {HUB} reports no connection state for {GREEN} ("),
        ("no-service", "controller.metrics.enabled: true"),
    ],
)
def test_argocd_not_connected_is_one_line(aws, kube, tmp_path, state, says):
    green, other = aws.endpoints[GREEN], ("https://other.eu-west-1.eks.amazonaws.com", 1, 30)
    kube[HUB].metrics = {
        "disconnected": metrics((green, 0, 12), other),
        "syncing": metrics((green, 1, -1), other),
        "unknown": metrics(other),
        "no-service": None,
    }[state]
    run = check_green(aws, kube, tmp_path)
    assert (run.code, run.out, len(run.err)) == (1, [], 1), run.lines
    assert run.err[0].startswith("target-green: ") and says in run.err[0]


@needs_moto
def test_kubernetes_unreachable_names_the_way_out(aws, tmp_path):
    closed = f"http://{HOST}:{free_port()}"
    args = ["--api-endpoint", f"{HUB}={closed}", "--api-endpoint", f"{GREEN}={closed}"]
    run = fleet_check("target-green", *args, env=environment(aws.emulator.url, tmp_path))
    assert run.code == 1
    assert len(run.err) == 3, run.err  # nodes, ArgoCD's connection, apps: the AWS checks pass
    assert run.err[0].startswith(f"target-green: cannot reach the Kubernetes API of {GREEN} at {closed}: ")
    assert run.err[0].endswith("Connection refused; is the tunnel up?")


@needs_moto
def test_a_missing_node_group_is_one_line(aws, kube, tmp_path):
    run = fleet_check("target-blue", *endpoints(kube, HUB, BLUE), env=environment(aws.emulator.url, tmp_path))
    assert (run.code, run.err) == (1, [f"target-blue: node group {BLUE}-nodes not found on cluster {BLUE}"])


@needs_moto
def test_a_target_group_without_targets_fails(aws, kube, tmp_path):
    elbv2 = aws.emulator.client("elbv2")
    arn = aws.groups["acme-green"]
    elbv2.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": "10.40.1.10", "Port": 9898}])
    try:
        run = check_green(aws, kube, tmp_path)
    finally:
        elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.40.1.10", "Port": 9898}])
    assert (run.code, run.err) == (1, ["target-green: target group acme-green has no registered targets"])


@needs_moto
def test_only_cluster_needs_no_hub(aws, kube, tmp_path):
    """What the planner asks of a new generation before any hub registers it."""
    run = fleet_check(
        "target-green", "--only", "cluster", *endpoints(kube, GREEN), env=environment(aws.emulator.url, tmp_path)
    )
    assert run.code == 0, run.lines
    assert run.out == [
        f"target-green: cluster {GREEN} is ACTIVE",
        f"target-green: node group {GREEN}-nodes is ACTIVE",
        f"target-green: 2 nodes of {GREEN} Ready",
    ]
    assert kube[HUB].seen == []


# --- argocd-<gen> and shared --------------------------------------------------------------------


@needs_moto
def test_hub_checks_with_the_default_fleet_file(aws, kube, tmp_path):
    env = environment(aws.emulator.url, tmp_path, FLEET=str(FLEET))
    run = fleet_check("argocd-blue", *endpoints(kube, HUB), env=env, file=None)
    assert run.code == 0, run.lines
    assert run.out == [
        f"argocd-blue: cluster {HUB} is ACTIVE",
        f"argocd-blue: node group {HUB}-nodes is ACTIVE",
        f"argocd-blue: 1 node of {HUB} Ready",
    ]


@needs_moto
def test_shared_checks_the_alb_and_the_serving_target_group(aws, tmp_path):
    run = fleet_check("shared", env=environment(aws.emulator.url, tmp_path))
    assert run.code == 0, run.lines
    assert run.out == [
        "shared: load balancer acme-web-alb is active",
        "shared: target group acme-blue has 1 healthy target",
    ]


@needs_moto
def test_shared_checks_every_services_alb_and_serving_target_groups(aws, tmp_path):
    run = fleet_check("shared", env=environment(aws.emulator.url, tmp_path), file=TWO_SERVICES)
    assert run.code == 0, run.lines
    assert run.out == [
        "shared: load balancer acme-web-alb is active",
        "shared: target group acme-blue has 1 healthy target",
        "shared: load balancer acme-api-alb is active",
        "shared: target group acme-apiblue has 1 healthy target",
    ]


@needs_moto
def test_shared_fails_on_any_services_missing_alb(aws, tmp_path, derived_fleet):
    """Service api renamed shop: its ALB acme-shop-alb was never created, web's still passes."""

    def rename(data: dict[str, Any]) -> None:
        data["services"] = {("shop" if k == API else k): v for k, v in data["services"].items()}

    fleet = derived_fleet("examples/two-services.yaml", "check-shop", rename)
    run = fleet_check("shared", env=environment(aws.emulator.url, tmp_path), file=fleet)
    assert (run.code, run.out) == (1, []), run.lines
    assert run.err == [f"shared: load balancer {names.alb_name(PREFIX, 'shop')} not found in {REGION}"]


# --- --before-destroy ---------------------------------------------------------------------------


@needs_moto
def test_before_destroy_passes_without_requests(aws, tmp_path):
    run = fleet_check("target-green", "--before-destroy", env=environment(aws.emulator.url, tmp_path))
    assert (run.code, run.out) == (
        0,
        ["target-green: no requests reached target group acme-green in the last 30 minutes"],
    )


@needs_moto
def test_before_destroy_fails_with_requests_in_the_window(aws, tmp_path):
    env = environment(aws.emulator.url, tmp_path)
    run = fleet_check("target-blue", "--before-destroy", "--window-minutes", "10", env=env)
    assert (run.code, run.out) == (1, [])
    assert run.err == [
        f"target-blue: {BLUE_REQUESTS} requests reached target group acme-blue in the last 10 minutes; "
        "move its weight to 0 and wait"
    ]
    # requests older than the window do not count
    run = fleet_check("target-blue", "--before-destroy", "--window-minutes", "2", env=env)
    assert run.code == 0, run.lines


@needs_moto
def test_before_destroy_counts_requests_on_the_generations_own_services_alb(aws, tmp_path):
    """apiblue's requests reached it through api's ALB: that is the one the check reads."""
    env = environment(aws.emulator.url, tmp_path)
    run = fleet_check("target-apiblue", "--before-destroy", "--window-minutes", "10", env=env, file=TWO_SERVICES)
    assert (run.code, run.out) == (1, [])
    assert run.err == [
        f"target-apiblue: {APIBLUE_REQUESTS} requests reached target group acme-apiblue in the last 10 minutes; "
        "move its weight to 0 and wait"
    ]


# --- unusable: exit 2, one line -----------------------------------------------------------------


def test_aws_unreachable_is_exit_2_and_one_line(tmp_path):
    closed = f"http://{HOST}:{free_port()}"
    run = fleet_check("target-green", env=environment(closed, tmp_path))
    assert (run.code, run.out, len(run.err)) == (2, [], 1), run.lines
    assert run.err[0].startswith(f"fleet check: cannot reach AWS ({REGION}): ")
    assert run.err[0].endswith("set AWS credentials/region or run from a runner that can")


def test_no_credentials_is_exit_2_and_one_line(tmp_path):
    env = environment(f"http://{HOST}:{free_port()}", tmp_path)
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    run = fleet_check("shared", env=env)
    assert (run.code, run.out) == (2, [])
    assert run.err == [
        f"fleet check: cannot reach AWS ({REGION}): Unable to locate credentials; "
        "set AWS credentials/region or run from a runner that can"
    ]


def test_an_unknown_aws_profile_is_exit_2_and_one_line(tmp_path):
    env = environment(f"http://{HOST}:{free_port()}", tmp_path, AWS_PROFILE="no-such-profile")
    run = fleet_check("shared", env=env)
    assert (run.code, run.out) == (2, [])
    assert run.err == [
        f"fleet check: cannot reach AWS ({REGION}): The config profile (no-such-profile) could not be found; "
        "set AWS credentials/region or run from a runner that can"
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["target-purple"], "target-purple: not a stack of fleet acme"),
        (["shared", "--before-destroy"], "fleet check: shared: --before-destroy is for a target-<gen> stack"),
        (["target-blue", "--before-destroy", "--window-minutes", "0"], "--window-minutes 0: give 1 to"),
        (["target-green", "--api-endpoint", GREEN], "write CLUSTER=URL"),
        (["target-green", "--only", "nodes"], "fleet check: --only nodes: use one of cluster, argocd, traffic"),
        (["shared", "--only", "cluster"], "fleet check: shared has no cluster checks; it has traffic"),
        (["argocd-blue", "--only", "argocd"], "fleet check: argocd-blue has no argocd checks; it has cluster"),
        (["target-green", "--api-endpoint", "acme-target-x=https://127.0.0.1:8443"], "not a cluster of this fleet"),
        (["target-green", "--api-endpoint", f"{GREEN}=http://10.0.0.1:8080"], "plain http is only for a loopback"),
        (["target-green", "--api-endpoint", f"{GREEN}=ftp://127.0.0.1"], "is not an https:// URL"),
    ],
)
def test_bad_arguments_are_exit_2_and_one_line(tmp_path, args, says):
    run = fleet_check(*args, env=environment(f"http://{HOST}:{free_port()}", tmp_path))
    assert (run.code, run.out, len(run.err)) == (2, [], 1), run.lines
    assert says in run.err[0]


# --- in-process: the token, the metrics parser, a node group that is not ACTIVE yet -------------


def test_token_is_what_aws_eks_get_token_makes(monkeypatch):
    for var in [v for v in os.environ if v.startswith("AWS_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    token = ops_aws.Aws(REGION).token(GREEN)
    assert token.startswith("k8s-aws-v1.") and "=" not in token
    body = token.removeprefix("k8s-aws-v1.")
    url = urlsplit(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode())
    query = parse_qs(url.query)
    assert (url.scheme, url.hostname) == ("https", f"sts.{REGION}.amazonaws.com")
    assert query["Action"] == ["GetCallerIdentity"] and query["X-Amz-Expires"] == ["60"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")
    assert query["X-Amz-Credential"][0].startswith(f"{FAKE_ACCESS_KEY}/")


def test_metrics_parser_reads_labels_and_values():
    text = (
        "# HELP argocd_cluster_connection_status x\n"
        'argocd_cluster_connection_status{k8s_version="1.36",server="https://a.example/"} 1\n'
        'argocd_cluster_connection_status{server="https://b\\"q\\\\.example",k8s_version="1.35"} 0\n'
        'argocd_cluster_connection_status_total{server="https://a.example"} 7\n'
        "argocd_cluster_connection_status 5\n"
    )
    assert ops_kube.samples(text, checks.CONNECTION_METRIC) == [
        ({"k8s_version": "1.36", "server": "https://a.example/"}, 1.0),
        ({"server": 'https://b"q\\.example', "k8s_version": "1.35"}, 0.0),
        ({}, 5.0),
    ]


class _Eks:
    def describe_nodegroup(self, **_: Any) -> dict[str, Any]:
        return {"nodegroup": {"status": "CREATING", "health": {"issues": []}}}


def test_a_node_group_not_active_says_its_status():
    aws = ops_aws.Aws(REGION)
    aws._clients["eks"] = _Eks()
    outcome = check_command.run_check("target-green", "node group", lambda: checks.node_group_active(aws, GREEN))
    assert outcome == errors.Outcome(False, f"target-green: node group {GREEN}-nodes is CREATING, not ACTIVE")


def test_an_unexpected_error_is_still_one_line():
    def broken() -> str:
        raise RuntimeError("boom\nwith a second line")

    assert check_command.run_check("shared", "load balancer acme-web-alb", broken) == errors.Outcome(
        False, "shared: load balancer acme-web-alb: RuntimeError: boom with a second line"
    )


# --- in-process: TLS through a tunnel ------------------------------------------------------------

EKS_HOST = "0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com"
CRYPTOGRAPHY_MISSING = "" if importlib.util.find_spec("cryptography") else "cryptography is not installed"


def certificate_authority(hostname: str) -> tuple[bytes, bytes, bytes]:
    """A CA's PEM, and a server certificate and key (PEM) it signed for `hostname`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)

    def build(subject: str, key: Any, issuer: str, signer: Any, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = build("kubernetes", ca_key, "kubernetes", ca_key, ca=True)
    server = build(hostname, server_key, "kubernetes", ca_key, ca=False)
    key_pem = server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ca.public_bytes(serialization.Encoding.PEM), server.public_bytes(serialization.Encoding.PEM), key_pem


class _ClusterAws:
    """What Kube asks of Aws: DescribeCluster's endpoint and CA, and a token."""

    def __init__(self, endpoint: str, ca_pem: bytes) -> None:
        self.described = {"endpoint": endpoint, "certificateAuthority": {"data": base64.b64encode(ca_pem).decode()}}

    def cluster(self, name: str) -> dict[str, Any]:
        return self.described

    def token(self, cluster: str) -> str:
        return "k8s-aws-v1.test"


@pytest.fixture
def tls_kube(tmp_path: Path) -> Iterator[tuple[FakeKube, bytes]]:
    """A TLS Kubernetes API on 127.0.0.1 whose certificate names EKS_HOST, and its CA."""
    if CRYPTOGRAPHY_MISSING:
        pytest.skip(CRYPTOGRAPHY_MISSING)
    ca_pem, cert_pem, key_pem = certificate_authority(EKS_HOST)
    (tmp_path / "server.crt").write_bytes(cert_pem)
    (tmp_path / "server.key").write_bytes(key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.crt", tmp_path / "server.key")
    server = FakeKube(nodes=[node("green-1")], tls=context)
    try:
        yield server, ca_pem
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("endpoint", "trusted", "says"),
    [
        (f"https://{EKS_HOST}", True, None),
        (f"https://{EKS_HOST}", False, "CERTIFICATE_VERIFY_FAILED.*pass TLS through"),
        ("https://FEDCBA9876543210.gr7.eu-west-1.eks.amazonaws.com", True, "Hostname mismatch.*pass TLS through"),
    ],
    ids=["the cluster's CA and host name", "another CA", "another host name"],
)
def test_a_tunnel_keeps_tls_verified_against_the_real_endpoint(tls_kube, endpoint, trusted, says):
    server, ca_pem = tls_kube
    other_ca, _, _ = certificate_authority(EKS_HOST)
    aws = _ClusterAws(endpoint, ca_pem if trusted else other_ca)
    with contextlib.ExitStack() as stack:
        kube = ops_kube.Kube(aws, {GREEN: server.url}, stack)  # type: ignore[arg-type]
        if says is None:
            assert checks.nodes_ready(kube, GREEN) == f"1 node of {GREEN} Ready"
            assert server.seen == [("/api/v1/nodes", "Bearer k8s-aws-v1.test")]
        else:
            with pytest.raises(errors.CheckFailed, match=says):
                checks.nodes_ready(kube, GREEN)
            assert server.seen == []


def test_an_endpoint_out_of_reach_names_the_tunnel_option(tls_kube):
    """No --api-endpoint and the cluster's own endpoint does not answer: the line says how."""
    _, ca_pem = tls_kube
    endpoint = f"https://{HOST}:{free_port()}"
    with contextlib.ExitStack() as stack:
        kube = ops_kube.Kube(_ClusterAws(endpoint, ca_pem), {}, stack)  # type: ignore[arg-type]
        with pytest.raises(errors.CheckFailed) as failed:
            checks.nodes_ready(kube, GREEN)
    assert str(failed.value).startswith(f"cannot reach the Kubernetes API of {GREEN} at {endpoint}: ")
    assert str(failed.value).endswith(
        f"a private endpoint needs a tunnel and --api-endpoint {GREEN}=https://127.0.0.1:PORT"
    )


def test_waiting_runs_only_the_failed_checks_again_until_they_pass():
    """After a deploy the pipeline waits (`--wait-minutes`): a node still joining fails the first
    tries, then passes; a check that never passes fails once the time is up."""
    now = [0.0]
    tries = {"joining": 0, "ready": 0, "broken": 0}

    def joining() -> str:
        tries["joining"] += 1
        if tries["joining"] < 3:
            raise errors.CheckFailed("1 of 2 nodes Ready")
        return "2 nodes Ready"

    def ready() -> str:
        tries["ready"] += 1
        return "cluster ACTIVE"

    def broken() -> str:
        tries["broken"] += 1
        raise errors.CheckFailed("target group has no healthy target")

    def sleep(seconds: float) -> None:
        now[0] += seconds

    Check = check_command.Check
    outcomes = check_command.until_passed(
        "target-green",
        [Check("cluster", "nodes", joining), Check("cluster", "cluster", ready)],
        120,
        clock=lambda: now[0],
        sleep=sleep,
    )
    assert [o.ok for o in outcomes] == [True, True] and tries == {"joining": 3, "ready": 1, "broken": 0}
    now[0] = 0.0
    outcomes = check_command.until_passed(
        "target-green", [Check("traffic", "tg", broken)], 60, clock=lambda: now[0], sleep=sleep
    )
    assert [o.ok for o in outcomes] == [False] and tries["broken"] == 1 + 60 // check_command.RETRY_SECONDS
    assert now[0] <= 60, "never waits past the deadline"

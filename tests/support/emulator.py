"""A local AWS API emulator (moto_server) and the test-only terraform config that targets it.

`MotoServer` starts `moto_server` on 127.0.0.1 on a free port, waits for it (bounded) and always
stops it. `emulated_config` turns a synthesized stack into a config the real terraform binary and
the real AWS provider apply against that server. The shipped stacks are never changed: everything
here happens on a deep copy of the synthesized JSON, in the test's own working directories.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stacks.endpoints import SERVICES
from support.tf_tools import cli_config, strip_kubernetes, terraform_unavailable

HOST = "127.0.0.1"
FAKE_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
FAKE_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

EMULATOR_EXCLUSIONS: dict[str, str] = {
    "aws_eks_addon": "moto has no EKS add-on API (CreateAddon answers 404)",
    "aws_eks_access_entry": "moto has no EKS access-entry API (CreateAccessEntry answers 404)",
    "aws_eks_access_policy_association": "moto has no EKS access-policy API (AssociateAccessPolicy answers 404)",
    "aws_eks_pod_identity_association": "moto has no EKS Pod Identity API (CreatePodIdentityAssociation answers 404)",
}
"""Every resource kind left out of the emulated apply, with the reason (measured with moto 5.2.5:
each Create call answers HTTP 404). Nothing else is left out, and the tests on the synthesized
JSON keep asserting these kinds. `aws_wafv2_web_acl_association` stays in: moto refuses the
example fleets' web ACL ARN (WAFNonexistentItemException, no such ACL in the emulator), so the
lifecycle suite creates a web ACL in the emulator first and derives fleet files that name it."""

IGNORE_CHANGES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("aws_eks_cluster", ("access_config",), "moto does not store a cluster's access_config"),
    ("aws_eks_node_group", ("remote_access",), "moto invents a remote_access block for every node group"),
    ("aws_eks_node_group", ("update_config",), "moto's CreateNodegroup drops updateConfig"),
    (
        "aws_launch_template",
        ("tag_specifications",),
        "moto echoes the template's own tags back as a `launch-template` tag specification",
    ),
)
"""Test-only `lifecycle { ignore_changes }` per resource kind, with the reason: without them a plan
right after an apply is never clean against moto, and the in-place update it would ask for (a
new launch template version rolls the node group) is one moto cannot take. The design never
updates a live generation's cluster or nodes in place anyway."""

GROUP_RULE_IGNORE_CHANGES = ("description",)
"""Ignored on SG rules that reference another SG (`referenced_security_group_id`): moto keeps a
rule's description only for CIDR rules. Descriptions of CIDR rules stay checked."""

ADAPTATIONS: dict[str, str] = {
    "cluster security group": (
        "moto's EKS creates no cluster security group (cluster_security_group_id comes back empty), "
        "so the emulated config adds a stand-in `eks-cluster-sg-<cluster>` SG per cluster, in the "
        "VPC of the cluster's first subnet, created before and destroyed after the cluster, and "
        "points every reference to the cluster SG at it"
    ),
    "flow log destination": (
        "moto takes everything after `:::` of an S3 flow-log destination as the bucket name, so "
        "`bucket/prefix/` is refused; the emulated flow log writes to the bucket ARN without the prefix"
    ),
}
"""Where the emulated config differs from the shipped one other than by exclusion or
ignore_changes, and why."""

ENDPOINT_VARIABLES: dict[str, str] = {
    "acm": "AWS_ENDPOINT_URL_ACM",
    "ec2": "AWS_ENDPOINT_URL_EC2",
    "eks": "AWS_ENDPOINT_URL_EKS",
    "elb": "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING",
    "elbv2": "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
    "iam": "AWS_ENDPOINT_URL_IAM",
    "kms": "AWS_ENDPOINT_URL_KMS",
    "logs": "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
    "s3": "AWS_ENDPOINT_URL_S3",
    "sts": "AWS_ENDPOINT_URL_STS",
    "wafv2": "AWS_ENDPOINT_URL_WAFV2",
}
"""Provider `endpoints` key -> the AWS SDKs' environment variable for that service's endpoint
(the service ID in capitals, spaces as underscores; the AWS provider's "Custom Service Endpoints"
guide, https://registry.terraform.io/providers/hashicorp/aws/latest/docs/guides/custom-service-endpoints).

The emulator suites' terraform runs (`MotoServer.terraform_env`) point exactly the services of
`stacks.endpoints.SERVICES` at moto this way, no other: a stack that called a service the
`EPHEMERAL_EKS_AWS_ENDPOINT` option does not redirect would reach for real AWS and fail its
test. The emulated configs carry no provider `endpoints` block, because with provider 5.100.0
a block, even of one service, costs about 9 s of CPU in every terraform command (a plan of one
S3 bucket with `-refresh=false`: 14.2-14.4 s of user CPU with a block of one endpoint, 4.9-5.1 s
with `AWS_ENDPOINT_URL` instead; `/usr/bin/time terraform plan`), and the suites run hundreds."""


SERVE_ONE_REQUEST_AT_A_TIME = """
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

run_simple(
    sys.argv[1],
    int(sys.argv[2]),
    DomainDispatcherApplication(create_backend_app),
    threaded=False,
    request_handler=MotoRequestHandler,
)
"""
"""`moto.server`'s own start-up, but serving one request at a time. moto keeps its state in plain
dicts and lists with no locks, and its default server runs each request on its own thread while
terraform sends up to ten at once. CI (2026-11-27) failed one lifecycle run with
InvalidPermission.Duplicate on the first AuthorizeSecurityGroupIngress to a security group
created a moment before in the same apply: a second attempt of a call moto had already applied
(the provider does not retry that call itself; the SDK retries after a transport error or a
5xx). Serial requests rule out every such race; the lifecycle suite passed 3 times in a row
this way (8 passed in 376 s on a loaded machine; `pytest tests/test_lifecycle.py`)."""

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
KILL_GRACE = 15.0


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, get SIGTERM when the test process dies, so neither
    the emulator nor a terraform run outlives a killed test session."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmulatorUnavailable(RuntimeError):
    """moto_server could not start here; the message says why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """`moto_server` on 127.0.0.1, one per test module. Use as a context manager or call
    `start()` / `stop()`; `stop()` is idempotent and always ends the process (terminate, then kill).
    """

    def __init__(
        self,
        region: str = "us-east-1",
        *,
        startup_timeout: float = STARTUP_TIMEOUT,
        stop_timeout: float = STOP_TIMEOUT,
        log_dir: Path | None = None,
    ) -> None:
        self.region = region
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._log_dir = log_dir
        self._own_dir: Path | None = None
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        assert self.port is not None, "the emulator is not started"
        return f"http://{HOST}:{self.port}"

    def terraform_env(self, base: Path) -> dict[str, str]:
        """The environment of a terraform run against this emulator: the services of
        `stacks.endpoints.SERVICES` at its URL (`ENDPOINT_VARIABLES`),
        none of the caller's AWS_ or TF_ settings, the offline provider mirror (`cli_config` in
        `base`), no metadata service."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        return {
            **env,
            **{ENDPOINT_VARIABLES[service]: self.url for service in SERVICES},
            "AWS_EC2_METADATA_DISABLED": "true",
            "TF_CLI_CONFIG_FILE": str(cli_config(base)),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
        }

    def start(self, attempts: int = 3) -> MotoServer:
        """Start on a free port (another one if that port was taken meanwhile) and wait until it
        answers, at most `startup_timeout` seconds per attempt."""
        if self._log_dir is None:
            self._own_dir = Path(tempfile.mkdtemp(prefix="moto-"))
        self.log_path = (self._log_dir or self._own_dir) / "moto_server.log"
        env = {
            **os.environ,
            # AWS-managed policies (AmazonEKSClusterPolicy, ...) exist, so attachments succeed.
            "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
        }
        for attempt in range(1, attempts + 1):
            self.port = free_port()
            env["MOTO_PORT"] = str(self.port)  # as `moto.server` sets it: some responses carry URLs
            with self.log_path.open("wb") as log:
                try:
                    self.process = subprocess.Popen(
                        [sys.executable, "-c", SERVE_ONE_REQUEST_AT_A_TIME, HOST, str(self.port)],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        env=env,
                        preexec_fn=_die_with_parent,
                    )
                except OSError as err:
                    self.stop()
                    raise EmulatorUnavailable(f"moto_server could not be started: {err}") from err
            try:
                self._wait_ready()
                return self
            except EmulatorUnavailable:
                exited = self.process is not None and self.process.poll() is not None
                self._stop_process()
                if attempt == attempts or not exited:
                    self.stop()
                    raise
            except BaseException:
                self.stop()
                raise
        raise AssertionError("unreachable")

    def _wait_ready(self) -> None:
        """Ready when this process says it listens on its port (so not some other server that
        took the port meanwhile) and the port answers HTTP."""
        assert self.process is not None
        banner = f"Running on http://{HOST}:{self.port}"
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmulatorUnavailable(
                    f"moto_server exited with {self.process.returncode} before answering: {self.log_tail()}"
                )
            if banner in self.log_tail(20_000):
                try:
                    with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2):
                        return
                except urllib.error.HTTPError:
                    return  # it answered
                except OSError:
                    pass
            time.sleep(0.2)
        raise EmulatorUnavailable(f"moto_server did not answer on {self.url} within {self.startup_timeout:.0f} s")

    def _stop_process(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=self.stop_timeout)

    def stop(self) -> None:
        """End the server (terminate, then kill after `stop_timeout`); idempotent."""
        self._stop_process()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None

    def log_tail(self, chars: int = 2000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-chars:]

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client against the emulator, with the fake credentials."""
        import boto3

        return boto3.client(
            service,
            region_name=region or self.region,
            endpoint_url=self.url,
            aws_access_key_id=FAKE_ACCESS_KEY,
            aws_secret_access_key=FAKE_SECRET_KEY,
        )


def run_bounded(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """Run `args` in its own process group; stdout and stderr together. After `timeout` seconds
    the whole group (terraform and its provider plugins) is terminated, then killed, and the
    return code is None."""
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        out = ""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                out, _ = proc.communicate(timeout=KILL_GRACE)
                break
            except subprocess.TimeoutExpired:
                continue
        return None, f"{out}\n[killed after {timeout:.0f} s: {' '.join(args)}]"


def spawn_group(args: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `args` as `run_bounded` does (its own process group, gone with the test process), its
    stdout and stderr together into `log`, which can be read while it runs."""
    with log.open("wb") as out:
        return subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def group_members(pgid: int) -> list[int]:
    """The processes of group `pgid` still alive (zombies left out), from /proc; [] without /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
            if int(group) == pgid and state != "Z":
                members.append(int(stat.parent.name))
    return members


def kill_group(proc: subprocess.Popen[Any], timeout: float = KILL_GRACE) -> int:
    """SIGKILL the whole group of `proc` (a terraform run: terraform and its provider plugins), as a
    lost runner ends it: no signal terraform can catch, nothing cleaned up. Waits until no process
    of the group is left; returns `proc`'s return code (-9 when the kill ended it)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while (left := group_members(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"processes {left} of group {proc.pid} outlived SIGKILL"
    return proc.returncode


def _references(value: Any, kinds: tuple[str, ...]) -> list[str]:
    """Interpolations (`${...kind.name...}`) in `value` that point at one of `kinds`."""
    pattern = re.compile(r"\$\{[^}]*?\b(?:" + "|".join(re.escape(k) for k in kinds) + r")\.[\w-]+[^}]*\}")
    return pattern.findall(json.dumps(value))


def _first_subnet(subnet_ids: str | list[str]) -> str:
    """The first of a cluster's subnets, as a terraform expression."""
    if isinstance(subnet_ids, list):
        return subnet_ids[0]
    match = re.fullmatch(r"\$\{(.+)\}", subnet_ids)
    assert match, f"unexpected subnet_ids: {subnet_ids!r}"
    return f"${{tolist({match.group(1)})[0]}}"


def _stand_in_cluster_security_groups(out: dict[str, Any]) -> dict[str, Any]:
    """ADAPTATIONS["cluster security group"]."""
    clusters = out.get("resource", {}).get("aws_eks_cluster", {})
    replacements: dict[str, str] = {}
    for key, cluster in clusters.items():
        subnet_key, sg_key = f"{key}_emulated-cluster-subnet", f"{key}_emulated-cluster-sg"
        name = f"eks-cluster-sg-{cluster['name']}"
        out.setdefault("data", {}).setdefault("aws_subnet", {})[subnet_key] = {
            "id": _first_subnet(cluster["vpc_config"]["subnet_ids"])
        }
        out["resource"].setdefault("aws_security_group", {})[sg_key] = {
            "name": name,
            "description": f"Test-only stand-in for the cluster SG EKS creates for {cluster['name']}",
            "vpc_id": f"${{data.aws_subnet.{subnet_key}.vpc_id}}",
            "revoke_rules_on_delete": True,
            "tags": {"Name": name},
        }
        cluster["depends_on"] = [*cluster.get("depends_on", []), f"aws_security_group.{sg_key}"]
        replacements[f"aws_eks_cluster.{key}.vpc_config[0].cluster_security_group_id"] = (
            f"aws_security_group.{sg_key}.id"
        )
    text = json.dumps(out)
    for old, new in replacements.items():
        text = text.replace(old, new)
    return json.loads(text)


def _flow_logs_to_bucket(out: dict[str, Any]) -> None:
    """ADAPTATIONS["flow log destination"]."""
    for body in out.get("resource", {}).get("aws_flow_log", {}).values():
        if body.get("log_destination_type") == "s3":
            head, sep, path = body["log_destination"].partition(":::")
            body["log_destination"] = head + sep + path.split("/")[0]


def emulated_config(stack: dict[str, Any]) -> dict[str, Any]:
    """A test-only copy of a synthesized stack that applies against the emulator when terraform
    runs with `MotoServer.terraform_env`.

    Helm and kubernetes parts stripped, no backend (terraform keeps `terraform.tfstate` in the
    working directory, one per stack), the AWS provider given fake credentials (region and
    default_tags kept; the endpoints come from `ENDPOINT_VARIABLES`), `EMULATOR_EXCLUSIONS` removed along with every
    `depends_on` entry that names them, `IGNORE_CHANGES` and `GROUP_RULE_IGNORE_CHANGES` added,
    and the `ADAPTATIONS` made.
    """
    out = strip_kubernetes(copy.deepcopy(stack))
    out.get("terraform", {}).pop("backend", None)

    providers = out.get("provider", {}).get("aws")
    assert isinstance(providers, list) and len(providers) == 1, "expected one aws provider block"
    providers[0].update(
        {
            "access_key": FAKE_ACCESS_KEY,
            "secret_key": FAKE_SECRET_KEY,
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            # With `true` the provider cannot build ARNs itself and SG rules never plan clean.
            "skip_requesting_account_id": False,
            "s3_use_path_style": True,
            "max_retries": 3,  # the emulator never throttles: an error is an error, fail fast
        }
    )

    resources = out.setdefault("resource", {})
    excluded = tuple(EMULATOR_EXCLUSIONS)
    for kind in excluded:
        resources.pop(kind, None)
    for bodies in resources.values():
        for body in bodies.values():
            if "depends_on" in body:
                body["depends_on"] = [d for d in body["depends_on"] if d.split(".")[0] not in excluded]
                if not body["depends_on"]:
                    del body["depends_on"]
    dangling = _references({k: v for k, v in out.items() if k != "//"}, excluded)
    assert not dangling, f"the emulated config still refers to excluded resources: {dangling}"

    out = _stand_in_cluster_security_groups(out)
    _flow_logs_to_bucket(out)

    def ignore(body: dict[str, Any], attributes: tuple[str, ...]) -> None:
        lifecycle = body.setdefault("lifecycle", {})
        lifecycle["ignore_changes"] = sorted({*lifecycle.get("ignore_changes", []), *attributes})

    resources = out["resource"]
    for kind, attributes, _reason in IGNORE_CHANGES:
        for body in resources.get(kind, {}).values():
            ignore(body, attributes)
    for kind in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
        for body in resources.get(kind, {}).values():
            if "referenced_security_group_id" in body:
                ignore(body, GROUP_RULE_IGNORE_CHANGES)
    return out


@contextlib.contextmanager
def running_emulator(region: str, log_dir: Path) -> Iterator[MotoServer]:
    """A started moto server for tests that apply with terraform, stopped on the way out; skips
    (with the reason) where terraform, its mirror or moto[server] is missing, or moto cannot start."""
    import pytest

    reason = terraform_unavailable()
    if reason:
        pytest.skip(reason)
    try:
        import moto.server  # noqa: F401
    except ImportError as err:
        pytest.skip(f"moto[server] is not installed: {err}")
    emulator = MotoServer(region, log_dir=log_dir)
    try:
        try:
            emulator.start()
        except EmulatorUnavailable as err:
            pytest.skip(f"moto_server cannot start here: {err}")
        yield emulator
    finally:
        emulator.stop()

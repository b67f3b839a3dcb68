"""The fleet's lifecycle with the real terraform binary and the real AWS provider, against moto.

One emulator and one set of terraform states serve the whole module; the tests run in file
order and each continues where the one before stopped: the steady fleet is deployed stack by
stack, then a target swap (blue -> green) and a hub swap (blue -> green) run to the end. Every
stack has its own working directory and state, as `cdktf deploy <stack>` gives it. The commands
each step runs are the planner's (`fleet.planner.plan`), translated from `cdktf deploy/destroy`
to `terraform apply/destroy`; a test checks that the planner prints them.

What the emulator cannot take, and why, is listed in `emulator.EMULATOR_EXCLUSIONS`,
`IGNORE_CHANGES`, `GROUP_RULE_IGNORE_CHANGES` and `ADAPTATIONS`; the shipped stacks are never
changed. The example fleets name an ACM certificate and a WAF web ACL that cannot exist in the
emulator under those ARNs, so each example is used through a derived fleet file that names the
certificate and web ACL created in the emulator first.

Fail fast: once a terraform command fails, its output is the failure and every later step is
skipped with the reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from emulator import (
    EMULATOR_EXCLUSIONS,
    IGNORE_CHANGES,
    EmulatorUnavailable,
    MotoServer,
    emulated_config,
    run_bounded,
)

from conftest import ROOT, Synth
from fleet import names
from fleet.load import load_fleet
from fleet.planner import plan
from tf_tools import cli_config, terraform_unavailable

pytestmark = pytest.mark.lifecycle

INIT_TIMEOUT = 120
PLAN_TIMEOUT = 180
APPLY_TIMEOUT = 420
"""Measured here: a cold apply of `shared` ~80 s (the provider waits twice a hard-coded 30 s for
the ALB to be active), of a generation ~20 s, a destroy of a generation 20-45 s (the provider
pauses before DeleteCluster); any other command ~8 s (three provider start-ups)."""
OUTPUT_SHOWN = 6000

EXAMPLES = {
    "steady": "examples/steady.yaml",
    "provisioning": "examples/target-swap-1-provisioning.yaml",
    "registered": "examples/target-swap.yaml",
    "serving": "examples/target-swap-3-serving.yaml",
    "retiring": "examples/target-swap-5-retiring.yaml",
    "target-destroyed": "examples/target-swap-6-destroyed.yaml",
    "target-done": "examples/target-swap-7-done.yaml",
    "hub-standby": "examples/hub-swap.yaml",
    "hub-promoted": "examples/hub-swap-2-promoted.yaml",
    "hub-destroyed": "examples/hub-swap-3-destroyed.yaml",
    "hub-done": "examples/hub-swap-4-done.yaml",
}
HUB_SWAP = ("hub-standby", "hub-promoted", "hub-destroyed", "hub-done")
"""The hub-swap examples start from the steady fleet (target blue); this module runs the hub
swap after the target swap, so their derived files carry the targets of `target-done`."""

# Each step: the fleet file the stacks are synthesized from, the planner's commands, and the
# fleet file whose plan prints those commands.
TARGET_SWAP = (
    ("provisioning", ("cdktf deploy shared", "cdktf deploy target-green"), "provisioning"),
    ("registered", ("cdktf deploy argocd-blue",), "provisioning"),
    ("serving", ("cdktf deploy shared",), "registered"),
    ("retiring", ("cdktf deploy shared", "cdktf deploy argocd-blue"), "serving"),
)
DESTROY_TARGET = (
    ("target-destroyed", ("cdktf destroy target-blue",), "retiring"),
    ("target-done", ("cdktf deploy shared",), "retiring"),
)
HUB_SWAP_STEPS = (
    ("hub-standby", ("cdktf deploy argocd-green", "cdktf deploy argocd-blue"), "hub-standby"),
    ("hub-promoted", ("cdktf deploy argocd-blue", "cdktf deploy argocd-green"), "hub-standby"),
    ("hub-destroyed", ("cdktf destroy argocd-blue",), "hub-promoted"),
)


def derive(derived_fleet: Callable[..., Path], prefix: str, traffic: dict[str, str]) -> dict[str, Path]:
    """Every example as a derived fleet file: the hub-swap ones with the targets of
    `target-done`, and the certificate and web ACL of `traffic` where the example names one."""
    done = yaml.safe_load((ROOT / EXAMPLES["target-done"]).read_text())

    def edit_for(key: str) -> Callable[[dict[str, Any]], None]:
        def edit(data: dict[str, Any]) -> None:
            data["traffic"].update({k: v for k, v in traffic.items() if data["traffic"].get(k)})
            if key in HUB_SWAP:
                data["targets"] = done["targets"]

        return edit

    return {key: derived_fleet(path, f"{prefix}-{key}", edit_for(key)) for key, path in EXAMPLES.items()}


def planned(path: Path) -> list[tuple[str, ...]]:
    """The commands of every step the planner prints for the fleet file at `path`."""
    return [step.commands for step in plan(load_fleet(path)) if step.commands]


# --- configuration only: no terraform, no emulator ----------------------------------------------


def test_exclusions_are_only_what_moto_cannot_take(steady):
    """Every excluded kind is in the shipped stacks (and stays there), and none survives in the
    emulated configs, not even as a depends_on or a reference; nothing else is removed."""
    shipped = json.dumps(steady, sort_keys=True)
    seen: set[str] = set()
    for stack_id, stack in steady.items():
        emulated = emulated_config(stack, "http://127.0.0.1:1")
        assert json.dumps(steady, sort_keys=True) == shipped, "emulated_config changed the shipped stack"
        seen |= {kind for kind in EMULATOR_EXCLUSIONS if kind in stack.get("resource", {})}
        text = json.dumps(emulated)
        for kind in EMULATOR_EXCLUSIONS:
            assert f"{kind}." not in text, f"{stack_id}: {kind} is still referred to"
        kept = {
            kind
            for kind in stack.get("resource", {})
            if kind not in EMULATOR_EXCLUSIONS and not kind.startswith(("helm_", "kubernetes_"))
        }
        assert kept <= set(emulated["resource"]), f"{stack_id}: lost {kept - set(emulated['resource'])}"
    assert seen == set(EMULATOR_EXCLUSIONS), f"excluded but never synthesized: {set(EMULATOR_EXCLUSIONS) - seen}"


def test_emulated_provider_points_only_at_the_emulator(steady):
    for stack_id, stack in steady.items():
        emulated = emulated_config(stack, "http://127.0.0.1:1")
        (aws,) = emulated["provider"]["aws"]
        shipped = stack["provider"]["aws"][0]
        assert aws["region"] == shipped["region"] and aws["default_tags"] == shipped["default_tags"]
        assert set(aws["endpoints"][0].values()) == {"http://127.0.0.1:1"}
        assert aws["skip_requesting_account_id"] is False
        assert "backend" not in emulated["terraform"]
        assert set(emulated["provider"]) == {"aws"}, stack_id
        for kind, attributes, _ in IGNORE_CHANGES:
            for body in emulated["resource"].get(kind, {}).values():
                assert set(attributes) <= set(body["lifecycle"]["ignore_changes"])


def test_the_planner_prints_every_command_this_module_runs(derived_fleet):
    fleets = derive(derived_fleet, "lifecycle-planner", {})
    for _fleet, commands, source in (*TARGET_SWAP, *DESTROY_TARGET, *HUB_SWAP_STEPS):
        assert commands in planned(fleets[source]), f"{source}: the planner never says {commands}"


# --- the lifecycle ----------------------------------------------------------------------------


class Lifecycle:
    """The emulator, one working directory (and state) per stack, and the fail-fast record."""

    def __init__(self, emulator: MotoServer, synth: Synth, fleets: dict[str, Path], base: Path) -> None:
        self.emulator = emulator
        self.synth = synth
        self.fleets = fleets
        self.base = base
        self.failed: str | None = None
        self.applied: dict[str, str] = {}
        """stack -> the emulated config it was last applied with."""
        self.log: list[str] = []
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        self.env = {
            **env,
            "TF_CLI_CONFIG_FILE": str(cli_config(base)),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    # fail fast

    @contextlib.contextmanager
    def step(self, what: str) -> Iterator[None]:
        """Skip when an earlier step failed; when this one fails (terraform, an assertion, the
        synth), later steps skip with the reason."""
        if self.failed:
            pytest.skip(f"an earlier lifecycle step failed: {self.failed}")
        try:
            yield
        except pytest.skip.Exception:
            raise
        except BaseException as err:
            if not self.failed:
                first = (str(err).strip().splitlines() or [type(err).__name__])[0]
                self.failed = f"{what}: {first}"
            raise

    def fail(self, what: str, output: str) -> None:
        self.failed = what
        lines = self.emulator.log_tail(1_000_000).splitlines()
        errors = [line for line in lines if '" 5' in line or "Traceback" in line or "Error" in line][-15:]
        emulator = "\n\nmoto_server errors (last 15):\n" + "\n".join(errors) if errors else ""
        pytest.fail(f"{what}\n{output[-OUTPUT_SHOWN:]}{emulator}", pytrace=False)

    # terraform

    def workdir(self, stack: str) -> Path:
        return self.base / "stacks" / stack

    def config(self, stack: str, fleet: str) -> str:
        stacks = self.synth(self.fleets[fleet])
        assert stack in stacks, f"{stack} is not a stack of {fleet}: {sorted(stacks)}"
        return json.dumps(emulated_config(stacks[stack], self.emulator.url), indent=1, sort_keys=True)

    def terraform(self, stack: str, *args: str, timeout: int, ok: tuple[int, ...] = (0,)) -> int:
        cwd = self.workdir(stack)
        started = time.monotonic()
        code, out = run_bounded(["terraform", *args, "-input=false", "-no-color"], cwd, self.env, timeout)
        self.log.append(f"{time.monotonic() - started:6.1f} s  terraform {args[0]} {stack} -> {code}")
        if code not in ok:
            self.fail(f"terraform {' '.join(args)} of {stack} exited {code}", out)
        assert code is not None
        return code

    def prepare(self, stack: str, fleet: str) -> str:
        text = self.config(stack, fleet)
        cwd = self.workdir(stack)
        if not (cwd / ".terraform").is_dir():
            cwd.mkdir(parents=True, exist_ok=True)
            (cwd / "main.tf.json").write_text(text)
            self.terraform(stack, "init", timeout=INIT_TIMEOUT)
        (cwd / "main.tf.json").write_text(text)
        return text

    def deploy(self, stack: str, fleet: str) -> None:
        text = self.prepare(stack, fleet)
        if self.applied.get(stack) == text:
            # Only helm/kubernetes parts differ (e.g. a hub's paused annotations): terraform
            # would find nothing to do against the emulator.
            self.log.append(f"{0:6.1f} s  terraform apply {stack} skipped: emulated config unchanged")
            return
        self.terraform(stack, "apply", "-auto-approve", timeout=APPLY_TIMEOUT)
        self.applied[stack] = text

    def destroy(self, stack: str, fleet: str) -> None:
        self.prepare(stack, fleet)
        self.terraform(stack, "destroy", "-auto-approve", timeout=APPLY_TIMEOUT)
        self.applied.pop(stack, None)

    def run(self, commands: tuple[str, ...], fleet: str) -> None:
        """`cdktf deploy a b` / `cdktf destroy a`, as terraform commands, one stack at a time."""
        for command in commands:
            tool, verb, *stacks = command.split()
            assert tool == "cdktf" and verb in ("deploy", "destroy") and stacks, command
            for stack in stacks:
                (self.deploy if verb == "deploy" else self.destroy)(stack, fleet)

    def plans_clean(self, stacks: list[str], fleet: str) -> None:
        """`terraform plan -detailed-exitcode` of `stacks` (in parallel): exit 0, no changes."""
        for stack in stacks:
            self.workdir(stack).joinpath("main.tf.json").write_text(self.config(stack, fleet))
        with ThreadPoolExecutor(max_workers=len(stacks)) as pool:
            args = ["terraform", "plan", "-detailed-exitcode", "-input=false", "-no-color"]
            started = time.monotonic()
            results = list(pool.map(lambda s: run_bounded(args, self.workdir(s), self.env, PLAN_TIMEOUT), stacks))
        for stack, (code, out) in zip(stacks, results, strict=True):
            self.log.append(f"{time.monotonic() - started:6.1f} s  terraform plan {stack} -> {code} (parallel)")
            if code != 0:
                self.fail(f"terraform plan -detailed-exitcode of {stack} ({fleet}) exited {code}, not 0", out)

    def state_serial(self, stack: str) -> int:
        return int(json.loads((self.workdir(stack) / "terraform.tfstate").read_text())["serial"])

    # the emulator through boto3

    def client(self, service: str) -> Any:
        return self.emulator.client(service)


def seed(emulator: MotoServer) -> dict[str, str]:
    """What the fleet expects to exist before `shared`: the logs bucket, the certificate and the
    WAF web ACL (the last two under ARNs of the emulator's own)."""
    fleet = load_fleet(ROOT / EXAMPLES["steady"])
    emulator.client("s3").create_bucket(
        Bucket=fleet.logs_bucket, CreateBucketConfiguration={"LocationConstraint": fleet.region}
    )
    certificate = emulator.client("acm").request_certificate(DomainName=f"{fleet.name}.example.com")
    seeded = {"certificate_arn": certificate["CertificateArn"]}
    if fleet.traffic.waf_acl_arn:
        acl = emulator.client("wafv2").create_web_acl(
            Name=fleet.traffic.waf_acl_arn.split("/")[-2],
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            VisibilityConfig={
                "SampledRequestsEnabled": False,
                "CloudWatchMetricsEnabled": False,
                "MetricName": "lifecycle",
            },
        )
        seeded["waf_acl_arn"] = acl["Summary"]["ARN"]
    return seeded


@pytest.fixture(scope="module")
def lifecycle(
    synth: Synth, derived_fleet: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory, request
) -> Iterator[Lifecycle]:
    reason = terraform_unavailable()
    if reason:
        pytest.skip(reason)
    try:
        import moto.server  # noqa: F401
    except ImportError as err:
        pytest.skip(f"moto[server] is not installed: {err}")
    base = tmp_path_factory.mktemp("lifecycle")
    emulator = MotoServer(load_fleet(ROOT / EXAMPLES["steady"]).region, log_dir=base)
    try:
        try:
            emulator.start()
        except EmulatorUnavailable as err:
            pytest.skip(f"moto_server cannot start here: {err}")
        fleets = derive(derived_fleet, "lifecycle", seed(emulator))
        state = Lifecycle(emulator, synth, fleets, base)
        yield state
    finally:
        emulator.stop()
        shutil.rmtree(base, ignore_errors=True)
    report(request.config, state.log)


def report(config: pytest.Config, lines: list[str]) -> None:
    """Each terraform command and its wall time, on the terminal even under -q."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or not lines:
        return
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line("")
        reporter.write_line(f"lifecycle: terraform against moto, {len(lines)} commands")
        for line in lines:
            reporter.write_line(f"  {line}")


def test_steady_fleet_deploys_stack_by_stack(lifecycle):
    """shared, then every target, then every hub: each alone, in its own directory and state.
    A generation stack finds what it needs by name, so this order is the only dependency."""
    lc = lifecycle
    with lc.step("steady fleet"):
        fleet = load_fleet(lc.fleets["steady"])
        order = [
            names.SHARED_STACK,
            *(names.stack_id("target", t) for t in fleet.targets),
            *(names.stack_id("argocd", h) for h in fleet.hubs),
        ]
        assert order == ["shared", "target-blue", "argocd-blue"]
        lc.run(tuple(f"cdktf deploy {stack}" for stack in order), "steady")
        assert all(lc.state_serial(stack) > 0 for stack in order)

        eks, elbv2, wafv2 = lc.client("eks"), lc.client("elbv2"), lc.client("wafv2")
        for cluster in ("acme-target-blue", "acme-argocd-blue"):
            assert eks.describe_cluster(name=cluster)["cluster"]["status"] == "ACTIVE"
        alb = elbv2.describe_load_balancers(Names=[names.alb_name(fleet.name)])["LoadBalancers"][0]
        assert alb["State"]["Code"] == "active"
        acl = wafv2.get_web_acl_for_resource(ResourceArn=alb["LoadBalancerArn"])["WebACL"]
        assert acl["ARN"] == fleet.traffic.waf_acl_arn


def test_target_swap_adds_green_and_moves_traffic(lifecycle):
    """shared gains green's target group, target-green deploys beside blue, the hub registers
    green (it finds acme-target-green by name), and the weights move in shared alone."""
    lc = lifecycle
    elbv2 = lc.client("elbv2")

    def served() -> dict[str, int]:
        """Target group name -> weight in the HTTPS listener's forward, weight 0 left out (the
        shipped listener forwards to the weighted groups only)."""
        alb = elbv2.describe_load_balancers(Names=["acme-alb"])["LoadBalancers"][0]
        listeners = elbv2.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
        (https,) = [listener for listener in listeners if listener["Port"] == 443]
        groups = https["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
        weights = {g["TargetGroupArn"]: g.get("Weight", 0) for g in groups}
        found = elbv2.describe_target_groups(TargetGroupArns=list(weights))["TargetGroups"]
        return {g["TargetGroupName"]: weights[g["TargetGroupArn"]] for g in found if weights[g["TargetGroupArn"]]}

    for fleet, commands, _source in TARGET_SWAP:
        with lc.step(f"target swap, {fleet}"):
            lc.run(commands, fleet)
            spec = load_fleet(lc.fleets[fleet])
            groups = {names.target_group_name(spec.name, gen): t.weight for gen, t in spec.targets.items()}
            existing = {g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]}
            assert existing == set(groups), fleet
            assert served() == {name: weight for name, weight in groups.items() if weight}, fleet
    with lc.step("target swap"):
        assert lc.client("eks").describe_cluster(name="acme-target-green")["cluster"]["status"] == "ACTIVE"


def test_destroying_target_blue_leaves_shared_and_green_intact(lifecycle):
    lc = lifecycle
    (fleet, commands, _), (done, done_commands, _) = DESTROY_TARGET
    with lc.step("destroy target-blue"):
        lc.run(commands, fleet)

        iam, ec2, eks, elbv2, logs, kms = (lc.client(s) for s in ("iam", "ec2", "eks", "elbv2", "logs", "kms"))
        assert iam.get_role(RoleName="acme-argocd")["Role"]["RoleName"] == "acme-argocd"
        client_sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["acme-argocd-client"]}])
        assert len(client_sg["SecurityGroups"]) == 1
        assert elbv2.describe_load_balancers(Names=["acme-alb"])["LoadBalancers"][0]["State"]["Code"] == "active"
        assert eks.describe_cluster(name="acme-target-green")["cluster"]["status"] == "ACTIVE"
        assert eks.list_nodegroups(clusterName="acme-target-green")["nodegroups"] == ["acme-target-green-nodes"]

        # Blue is gone, and left nothing behind.
        assert "acme-target-blue" not in eks.list_clusters()["clusters"]
        with pytest.raises(eks.exceptions.ResourceNotFoundException):
            eks.describe_cluster(name="acme-target-blue")
        assert [r for r in role_names(iam) if r.startswith("acme-target-blue")] == []
        groups = [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]]
        assert [g for g in groups if "acme-target-blue" in g] == []
        templates = ec2.describe_launch_templates()["LaunchTemplates"]
        assert [t for t in templates if t["LaunchTemplateName"].startswith("acme-target-blue")] == []
        assert logs.describe_log_groups(logGroupNamePrefix="/aws/eks/acme-target-blue")["logGroups"] == []
        assert "alias/acme-target-blue" not in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]

    with lc.step("a destroyed generation refuses `cdktf deploy`"):
        # What `cdktf deploy target-blue` would plan from the file that says destroyed: the stop
        # fails the plan before anything is created again.
        lc.prepare("target-blue", fleet)
        code, out = run_bounded(
            ["terraform", "plan", "-input=false", "-no-color"], lc.workdir("target-blue"), lc.env, PLAN_TIMEOUT
        )
        said = " ".join(out.split())
        assert code == 1 and "target-blue is in phase destroyed: run `cdktf destroy target-blue`, never deploy" in said

    with lc.step("remove target blue from the file"):
        # The PR that removes blue from the file: shared drops its (weight 0) target group.
        lc.run(done_commands, done)
        groups = elbv2.describe_target_groups()["TargetGroups"]
        assert sorted(g["TargetGroupName"] for g in groups) == ["acme-green"]


def test_hub_swap_touches_no_target(lifecycle):
    """argocd-green deploys beside blue (standby), is promoted, blue is destroyed: no target
    stack is applied at any step, its state is not written, and every stack of the final fleet
    file (the target, shared, the new hub) plans without a change."""
    lc = lifecycle
    with lc.step("hub swap"):
        serial = lc.state_serial("target-green")
        for fleet, commands, _source in HUB_SWAP_STEPS:
            lc.run(commands, fleet)

        eks, iam, ec2 = lc.client("eks"), lc.client("iam"), lc.client("ec2")
        assert eks.describe_cluster(name="acme-argocd-green")["cluster"]["status"] == "ACTIVE"
        assert "acme-argocd-blue" not in eks.list_clusters()["clusters"]
        assert [r for r in role_names(iam) if r.startswith("acme-argocd-blue")] == []
        assert iam.get_role(RoleName="acme-argocd")["Role"]["RoleName"] == "acme-argocd"
        client_sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["acme-argocd-client"]}])
        assert len(client_sg["SecurityGroups"]) == 1
        assert lc.state_serial("target-green") == serial, "the hub swap wrote target-green's state"

        final = sorted(lc.synth(lc.fleets["hub-done"]))
        assert final == ["argocd-green", "shared", "target-green"]
        lc.plans_clean(final, "hub-done")


def role_names(iam: Any) -> list[str]:
    return [role["RoleName"] for page in iam.get_paginator("list_roles").paginate() for role in page["Roles"]]

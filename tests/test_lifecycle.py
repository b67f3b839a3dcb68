"""The fleet's lifecycle with the real terraform binary and the real AWS provider, against moto.

One emulator and one set of terraform states serve the whole module; the tests run in file
order and each continues where the one before stopped: the steady fleet is deployed stack by
stack, then a target swap (blue -> green) and a hub swap (blue -> green) run to the end. Every
stack has its own working directory and state, as `cdktf deploy <stack>` gives it. The commands
each step runs are the planner's (`fleet.ops.planner.plan`), translated from `cdktf deploy/destroy`
to `terraform apply/destroy`; a test checks that the planner prints them.

What the emulator cannot take, and why, is listed in `emulator.EMULATOR_EXCLUSIONS`,
`IGNORE_CHANGES`, `GROUP_RULE_IGNORE_CHANGES` and `ADAPTATIONS`; the shipped stacks are never
changed. The example fleets name an ACM certificate and a WAF web ACL that cannot exist in the
emulator under those ARNs, so each example is used through a derived fleet file that names the
certificate and web ACL created in the emulator first.

Fail fast: once a terraform command fails, its output is the failure and every later step is
skipped with the reason.

The target swap's first step is first run with the apply of `target-green` killed midway (SIGKILL
to terraform and its provider, as a lost runner ends it) and then run again as the runbook says;
see `test_an_apply_killed_midway_converges_when_the_step_is_rerun`.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet import names
from fleet.model.load import load_fleet
from fleet.ops.planner import plan
from support.emulator import (
    EMULATOR_EXCLUSIONS,
    FAKE_ACCESS_KEY,
    FAKE_SECRET_KEY,
    IGNORE_CHANGES,
    MotoServer,
    emulated_config,
    group_members,
    kill_group,
    run_bounded,
    running_emulator,
    spawn_group,
)
from support.paths import ROOT
from support.synth import Synth
from support.tf_tools import report

pytestmark = pytest.mark.lifecycle

INIT_TIMEOUT = 120
PLAN_TIMEOUT = 180
APPLY_TIMEOUT = 420
"""Measured here: a cold apply of `shared` ~80 s (the provider waits twice a hard-coded 30 s for
the ALB to be active), of a generation ~20 s, a destroy of a generation 20-45 s (the provider
pauses before DeleteCluster); any other command ~8 s (three provider start-ups)."""
OUTPUT_SHOWN = 6000
MIDWAY_DEADLINE = 180
"""How long an apply that is to be killed midway may take to get there (measured: ~25 s)."""
POLL = 0.05
STACK_TAG = names.TAG_STACK
"""The default tag `stacks/common.py` puts on everything a stack creates."""
SERVICE = "web"
"""The one service of every example this module runs: its ALB is acme-web-alb."""
ALB = names.alb_name("acme", SERVICE)

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
swap after the target swap, so their derived files carry the targets of `target-done` (its
service's)."""

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
            assert list(data["services"]) == [SERVICE], key
            service = data["services"][SERVICE]
            service["traffic"].update({k: v for k, v in traffic.items() if service["traffic"].get(k)})
            if key in HUB_SWAP:
                service["targets"] = done["services"][SERVICE]["targets"]

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
        emulated = emulated_config(stack)
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


def test_emulated_provider_has_fake_credentials_and_no_endpoints_of_its_own(steady):
    for stack_id, stack in steady.items():
        emulated = emulated_config(stack)
        (aws,) = emulated["provider"]["aws"]
        shipped = stack["provider"]["aws"][0]
        assert aws["region"] == shipped["region"] and aws["default_tags"] == shipped["default_tags"]
        assert "endpoints" not in aws, (
            "the endpoints are the environment's (ENDPOINT_VARIABLES): a block costs ~9 s a command"
        )
        assert (aws["access_key"], aws["secret_key"]) == (FAKE_ACCESS_KEY, FAKE_SECRET_KEY)
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
        self.env = emulator.terraform_env(base)

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
        return json.dumps(emulated_config(stacks[stack]), indent=1, sort_keys=True)

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

    @staticmethod
    def expand(commands: tuple[str, ...]) -> list[tuple[str, str]]:
        """`cdktf deploy a b` / `cdktf destroy a` as (verb, stack), one stack at a time."""
        actions = []
        for command in commands:
            tool, verb, *stacks = command.split()
            assert tool == "cdktf" and verb in ("deploy", "destroy") and stacks, command
            actions += [(verb, stack) for stack in stacks]
        return actions

    def act(self, verb: str, stack: str, fleet: str) -> None:
        (self.deploy if verb == "deploy" else self.destroy)(stack, fleet)

    def run(self, commands: tuple[str, ...], fleet: str) -> None:
        """`cdktf deploy a b` / `cdktf destroy a`, as terraform commands, one stack at a time."""
        for verb, stack in self.expand(commands):
            self.act(verb, stack, fleet)

    def apply_killed_midway(self, stack: str, fleet: str, midway: Callable[[dict[str, Any]], bool]) -> Killed:
        """`terraform apply` of `stack`, SIGKILLed (terraform and its provider, the whole process
        group) as soon as the state it keeps writing satisfies `midway`, and what the kill left.
        Fails when the apply ends, or `MIDWAY_DEADLINE` passes, before that."""
        self.prepare(stack, fleet)
        cwd = self.workdir(stack)
        log = self.base / f"{stack}-killed-apply.log"
        started = time.monotonic()
        proc = spawn_group(["terraform", "apply", "-auto-approve", "-input=false", "-no-color"], cwd, self.env, log)
        try:
            while proc.poll() is None and time.monotonic() < started + MIDWAY_DEADLINE:
                seen = read_state(cwd / "terraform.tfstate")
                if seen is not None and midway(seen):
                    break
                time.sleep(POLL)
            else:
                how = f"exited {proc.returncode}" if proc.poll() is not None else f"ran {MIDWAY_DEADLINE} s"
                self.fail(f"terraform apply of {stack} {how} and was never seen midway", log.read_text())
            pgid = proc.pid
            code = kill_group(proc)
        finally:
            if proc.poll() is None:
                kill_group(proc)
        seconds = time.monotonic() - started
        output = log.read_text()
        state = read_state(cwd / "terraform.tfstate")
        assert state is not None, f"{stack}: the killed apply left no readable state"
        lock = cwd / ".terraform.tfstate.lock.info"
        started_lines = set(re.findall(r"^(\S+): Creating\.\.\.$", output, re.M))
        done_lines = set(re.findall(r"^(\S+): Creation complete after", output, re.M))
        self.log.append(
            f"{seconds:6.1f} s  terraform apply {stack} -> {code} (SIGKILL midway, state serial {state['serial']})"
        )
        return Killed(
            code=code,
            seconds=seconds,
            state=state,
            in_flight=started_lines - done_lines,
            lock_info=json.loads(lock.read_text()) if lock.exists() else None,
            left=sorted(p.name for p in cwd.iterdir()),
            survivors=group_members(pgid),
            output=output,
        )

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

    def state_ids(self, stack: str) -> dict[str, str]:
        state = read_state(self.workdir(stack) / "terraform.tfstate")
        assert state is not None, f"{stack} has no state"
        return managed_ids(state)

    # the emulator through boto3

    def client(self, service: str) -> Any:
        return self.emulator.client(service)


@dataclass(frozen=True)
class Killed:
    """What a killed `terraform apply` left behind."""

    code: int
    seconds: float
    state: dict[str, Any]
    """The state file as the killed terraform last wrote it."""
    in_flight: set[str]
    """Addresses terraform said it was creating and never said it had created."""
    lock_info: dict[str, Any] | None
    """`.terraform.tfstate.lock.info`, if the kill left it."""
    left: list[str]
    """The working directory's entries."""
    survivors: list[int]
    output: str


def read_state(path: Path) -> dict[str, Any] | None:
    """A state file terraform may be writing right now: None while it is missing or half-written."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def managed_ids(state: dict[str, Any]) -> dict[str, str]:
    """Address -> id of every managed resource instance the state records (a planned resource
    not created yet has an entry without instances)."""
    ids = {}
    for resource in state["resources"]:
        if resource["mode"] != "managed":
            continue
        for instance in resource["instances"]:
            key = instance.get("index_key")
            index = "" if key is None else f"[{json.dumps(key)}]"
            ids[f"{resource['type']}.{resource['name']}{index}"] = instance["attributes"]["id"]
    return ids


def seed(emulator: MotoServer) -> dict[str, str]:
    """What the fleet expects to exist before `shared`: the logs bucket, the certificate and the
    WAF web ACL (the last two under ARNs of the emulator's own)."""
    fleet = load_fleet(ROOT / EXAMPLES["steady"])
    emulator.client("s3").create_bucket(
        Bucket=fleet.logs_bucket, CreateBucketConfiguration={"LocationConstraint": fleet.region}
    )
    certificate = emulator.client("acm").request_certificate(DomainName=f"{fleet.name}.example.com")
    seeded = {"certificate_arn": certificate["CertificateArn"]}
    waf_acl_arn = fleet.services[SERVICE].traffic.waf_acl_arn
    if waf_acl_arn:
        acl = emulator.client("wafv2").create_web_acl(
            Name=waf_acl_arn.split("/")[-2],
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
    base = tmp_path_factory.mktemp("lifecycle")
    try:
        with running_emulator(load_fleet(ROOT / EXAMPLES["steady"]).region, base) as emulator:
            fleets = derive(derived_fleet, "lifecycle", seed(emulator))
            state = Lifecycle(emulator, synth, fleets, base)
            yield state
    finally:
        shutil.rmtree(base, ignore_errors=True)
    report(request.config, f"lifecycle: terraform against moto, {len(state.log)} commands", state.log)


def test_steady_fleet_deploys_stack_by_stack(lifecycle):
    """shared, then every target, then every hub: each alone, in its own directory and state.
    A generation stack finds what it needs by name, so this order is the only dependency."""
    lc = lifecycle
    with lc.step("steady fleet"):
        fleet = load_fleet(lc.fleets["steady"])
        order = [
            names.SHARED_STACK,
            *(names.stack_id("target", t) for t in fleet.targets),
            *(names.stack_id("hub", h) for h in fleet.hubs),
        ]
        assert order == ["shared", "target-blue", "argocd-blue"]
        lc.run(tuple(f"cdktf deploy {stack}" for stack in order), "steady")
        assert all(lc.state_serial(stack) > 0 for stack in order)

        eks, elbv2, wafv2 = lc.client("eks"), lc.client("elbv2"), lc.client("wafv2")
        for cluster in ("acme-target-blue", "acme-argocd-blue"):
            assert eks.describe_cluster(name=cluster)["cluster"]["status"] == "ACTIVE"
        alb = elbv2.describe_load_balancers(Names=[names.alb_name(fleet.name, SERVICE)])["LoadBalancers"][0]
        assert alb["State"]["Code"] == "active"
        [described] = elbv2.describe_tags(ResourceArns=[alb["LoadBalancerArn"]])["TagDescriptions"]
        assert {"Key": names.TAG_SERVICE, "Value": SERVICE} in described["Tags"]
        acl = wafv2.get_web_acl_for_resource(ResourceArn=alb["LoadBalancerArn"])["WebACL"]
        assert acl["ARN"] == fleet.services[SERVICE].traffic.waf_acl_arn


def killed_midway(state: dict[str, Any]) -> bool:
    """Where the interrupted apply of a generation is killed: its state records the launch
    template but not the KMS key. Against moto the cluster and node group are ACTIVE at once
    (~0.3 s each); the slowest create is the KMS key (~12 s: the provider waits for its policy and
    description to propagate), which starts with the first resources and which everything of the
    cluster waits on. Once the launch template (~5 s, the last named resource before the cluster)
    is recorded, the key is the only create in flight, the cluster and node group are not begun,
    and no named resource can be left created but unrecorded; the window is ~6 s."""
    kinds = {address.split(".")[0] for address in managed_ids(state)}
    return "aws_launch_template" in kinds and "aws_kms_key" not in kinds


def test_an_apply_killed_midway_converges_when_the_step_is_rerun(lifecycle):
    """The target swap's step that first deploys target-green, with that apply killed midway as a
    lost runner (or a CI job cancelled past its grace) ends it: SIGKILL to terraform and its
    provider. Then the step runs again as the runbook says: the same `cdktf deploy target-green`.

    What the kill leaves, asserted: a partial state (what was created so far, nothing of what was
    not begun), a stale `.terraform.tfstate.lock.info` and no terraform process. The local lock is
    an fcntl lock the kernel drops with the process, so the re-run takes it without
    `terraform force-unlock` and removes the stale file. What was in flight, the KMS key, exists in
    the emulator but not in the state: the re-run creates another one, and the orphan, found by the
    stack tag, is scheduled for deletion. After the re-run every resource of the partial state
    keeps its id, target-green and shared plan clean, shared's state is not written after the
    shared deploy that precedes the killed apply, and there is one of every named thing. This test
    leaves target-green deployed as the target swap's first step does; that step then finds
    nothing to apply."""
    lc = lifecycle
    stack = "target-green"
    fleet, commands, _source = next(step for step in TARGET_SWAP if ("deploy", stack) in lc.expand(step[1]))
    actions = lc.expand(commands)
    at = actions.index(("deploy", stack))
    spec = load_fleet(lc.fleets[fleet])
    cluster = names.cluster_name(spec.name, "target", "green")
    eks, ec2, iam, kms, logs = (lc.client(s) for s in ("eks", "ec2", "iam", "kms", "logs"))

    with lc.step(f"{fleet}, {stack} killed midway"):
        for verb, other in actions[:at]:
            lc.act(verb, other, fleet)
        shared_serial = lc.state_serial(names.SHARED_STACK)
        killed = lc.apply_killed_midway(stack, fleet, killed_midway)

        assert killed.code == -signal.SIGKILL, f"the apply was not killed: exited {killed.code}"
        assert killed.survivors == [], f"terraform or its provider outlived the kill: {killed.survivors}"
        partial = managed_ids(killed.state)
        assert killed_midway(killed.state), f"the kill landed outside the window: {sorted(partial)}"
        assert {a.split(".")[0] for a in killed.in_flight} == {"aws_kms_key"}, killed.in_flight
        (key_address,) = killed.in_flight
        assert killed.lock_info is not None, f"no lock info left: {killed.left}"
        assert killed.lock_info["Operation"] == "OperationTypeApply", killed.lock_info
        assert "terraform.tfstate.backup" not in killed.left, killed.left

        # In the emulator: what the state records exists, the cluster was never begun, and the key
        # in flight exists but is recorded nowhere.
        assert cluster not in eks.list_clusters()["clusters"]
        recorded_templates = [v for a, v in partial.items() if a.startswith("aws_launch_template.")]
        assert list(launch_templates(ec2, cluster).values()) == recorded_templates
        orphans = set(tagged_keys(kms, stack))
        assert len(orphans) == 1, f"expected the one key in flight, found {orphans}"

    with lc.step(f"{fleet}, {stack} re-run after the kill"):
        lc.act("deploy", stack, fleet)  # the same `terraform apply`, lock on, no force-unlock
        assert not (lc.workdir(stack) / ".terraform.tfstate.lock.info").exists(), "the stale lock info stayed"
        final = lc.state_ids(stack)
        assert {a: final.get(a) for a in partial} == partial, "the re-run replaced or lost a created resource"
        added = set(final) - set(partial)
        assert key_address in added and any(a.startswith("aws_eks_node_group.") for a in added), sorted(added)
        for verb, other in actions[at + 1 :]:
            lc.act(verb, other, fleet)
        lc.plans_clean([stack, names.SHARED_STACK], fleet)
        assert lc.state_serial(names.SHARED_STACK) == shared_serial, "the interrupted step wrote shared's state"

        def recorded(kind: str) -> list[str]:
            return sorted(v for a, v in final.items() if a.startswith(f"{kind}."))

        # One of every named thing, each the one the state records.
        assert [c for c in eks.list_clusters()["clusters"] if c.startswith(cluster)] == [cluster]
        assert eks.describe_cluster(name=cluster)["cluster"]["status"] == "ACTIVE"
        assert eks.list_nodegroups(clusterName=cluster)["nodegroups"] == [names.node_group_name(cluster)]
        assert sorted(launch_templates(ec2, cluster).values()) == recorded("aws_launch_template")
        assert sorted(r for r in role_names(iam) if r.startswith(cluster)) == recorded("aws_iam_role")
        groups = ec2.describe_security_groups(Filters=[{"Name": f"tag:{STACK_TAG}", "Values": [stack]}])
        assert sorted(g["GroupId"] for g in groups["SecurityGroups"]) == recorded("aws_security_group")
        log_groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/eks/{cluster}")["logGroups"]
        assert sorted(g["logGroupName"] for g in log_groups) == recorded("aws_cloudwatch_log_group")
        (key,) = recorded("aws_kms_key")
        assert kms.describe_key(KeyId=f"alias/{cluster}")["KeyMetadata"]["KeyId"] == key

        # The key the kill left behind is the one thing not in the state. Recovery: schedule its
        # deletion; it has no name to collide with, and the stack tag finds it.
        keys = tagged_keys(kms, stack)
        assert set(keys) == {key, *orphans} and key not in orphans, keys
        for orphan in orphans:
            kms.schedule_key_deletion(KeyId=orphan, PendingWindowInDays=7)
        assert [k for k, state in tagged_keys(kms, stack).items() if state == "Enabled"] == [key]


def launch_templates(ec2: Any, prefix: str) -> dict[str, str]:
    """Name -> id of the launch templates whose name starts with `prefix`."""
    found = ec2.describe_launch_templates()["LaunchTemplates"]
    return {t["LaunchTemplateName"]: t["LaunchTemplateId"] for t in found if t["LaunchTemplateName"].startswith(prefix)}


def tagged_keys(kms: Any, stack: str) -> dict[str, str]:
    """Key id -> key state of the KMS keys tagged as created by `stack`."""
    found = {}
    for page in kms.get_paginator("list_keys").paginate():
        for key in page["Keys"]:
            tags = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
            if {"TagKey": STACK_TAG, "TagValue": stack} in tags:
                found[key["KeyId"]] = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]
    return found


def test_target_swap_adds_green_and_moves_traffic(lifecycle):
    """shared gains green's target group, target-green deploys beside blue, the hub registers
    green (it finds acme-target-green by name), and the weights move in shared alone."""
    lc = lifecycle
    elbv2 = lc.client("elbv2")

    def served() -> dict[str, int]:
        """Target group name -> weight in the HTTPS listener's forward, weight 0 left out (the
        shipped listener forwards to the weighted groups only)."""
        alb = elbv2.describe_load_balancers(Names=[ALB])["LoadBalancers"][0]
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
        assert elbv2.describe_load_balancers(Names=[ALB])["LoadBalancers"][0]["State"]["Code"] == "active"
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

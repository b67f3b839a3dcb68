"""The world `fleet shift` runs in under test and bench: moto_server with the shared stack of a
shifted fleet applied by real terraform, and a fake clock that puts the ALB's CloudWatch metrics
for every minute it passes (requests by the weights live in the emulator, and what a `Scenario`
makes of them). Shared by tests/test_shift.py and bench/shift.py."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from fleet.model import Fleet
from fleet.model.load import load_fleet
from fleet.ops.shift import ShiftRun
from fleet.ops.shift_live import ServiceInState, ShiftTerraform, _forward_weights, live_weights, restore_weights
from fleet.ops.shift_record import LocalRecords
from support.emulator import MotoServer, emulated_config, run_bounded, running_emulator
from support.paths import ROOT

Stacks = dict[str, dict[str, Any]]

SERVICE = "web"
BEFORE = {"blue": 100, "green": 0}
AFTER = {"blue": 0, "green": 100}
SHIFT = {
    "steps": [10, 50, 100],
    "bake_minutes": 2,
    "period_minutes": 1,
    "latency_statistic": "Maximum",
    "min_requests": 20,
    "failed_periods": 2,
    "timeout_minutes": 30,
}
REQUESTS_AT_100 = 1000
"""Requests per minute the whole service receives."""
CUSTOM_NAMESPACE, CUSTOM_METRIC = "Shop", "CheckoutErrors"
"""The team's own CloudWatch metric a scenario can report, per target group."""

CLOUDWATCH_CHECK = {
    "checks": {
        "checkout-errors": {
            "cloudwatch": {
                "metrics": {
                    "errors": {
                        "namespace": CUSTOM_NAMESPACE,
                        "metric": CUSTOM_METRIC,
                        "dimensions": {"TargetGroup": "{{ target_group }}"},
                        "stat": "Sum",
                    }
                },
                "expression": "errors",
            },
            "max": 5,
        }
    }
}
"""A CloudWatch metric-math check of the team's metric, per generation (moto evaluates an expression
naming one metric id; arithmetic runs only on AWS)."""


def weight_vars(weights: dict[str, int]) -> list[str]:
    """`-var` arguments of terraform for the service's weights."""
    return [f"-var=weight_{SERVICE}_{gen}={w}" for gen, w in weights.items()]


class Killed(BaseException):
    """The runner dies: nothing the shift catches (it is not an Exception, nor Ctrl-C)."""


@dataclass
class Scenario:
    """What the incoming and outgoing generations report per minute, given the live weights."""

    errors: Callable[[str, dict[str, int]], float] = lambda gen, weights: 0.0
    """Share (0-1) of a generation's requests answered 5xx."""
    latency: Callable[[str, dict[str, int]], float] = lambda gen, weights: 0.05
    unhealthy: Callable[[str, dict[str, int]], float] = lambda gen, weights: 0
    connection_errors: Callable[[str, dict[str, int]], float] = lambda gen, weights: 0.0
    """Share (0-1) of a generation's requests whose connection to a target failed
    (TargetConnectionErrorCount; the ALB answers them 502 itself, HTTPCode_ELB_5XX_Count)."""
    elb_5xx: Callable[[str, dict[str, int]], float] = lambda gen, weights: 0.0
    """Share (0-1) of a generation's requests the ALB itself answers 5xx, on top of its connection errors."""
    custom: Callable[[str, dict[str, int]], float | None] = lambda gen, weights: None
    """The team's own metric (`CUSTOM_NAMESPACE`/`CUSTOM_METRIC`, TargetGroup dimension) per
    generation and minute; None: no datapoint."""
    requests: int = REQUESTS_AT_100
    kill_after_sleeps: int | None = None
    interrupt_after_sleeps: int | None = None
    """Ctrl-C (KeyboardInterrupt) at this sleep."""
    signal_after_sleeps: tuple[int, int] | None = None
    """(sleep, signal): this process sends itself the signal at that sleep, as GitHub's cancel does."""


@dataclass
class FakeClock:
    """Time moves only when the shift sleeps; every minute it passes, the ALB's metrics for that
    minute are put into the emulator's CloudWatch."""

    emulator: MotoServer
    load_balancer: str
    groups: dict[str, str]
    """generation -> TargetGroup dimension"""
    listener: Callable[[], dict[str, int]]
    scenario: Scenario
    time: float
    sleeps: int = 0

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.scenario.signal_after_sleeps is not None and self.sleeps > self.scenario.signal_after_sleeps[0]:
            os.kill(os.getpid(), self.scenario.signal_after_sleeps[1])  # its handler raises here
        if self.scenario.kill_after_sleeps is not None and self.sleeps > self.scenario.kill_after_sleeps:
            raise Killed
        if self.scenario.interrupt_after_sleeps is not None and self.sleeps > self.scenario.interrupt_after_sleeps:
            raise KeyboardInterrupt
        end = self.time + seconds
        minute = math.floor(self.time / 60) * 60
        weights = self.listener()
        while minute < end:
            self._report(minute, weights)
            minute += 60
        self.time = end

    def _report(self, minute: float, weights: dict[str, int]) -> None:
        data = []
        custom = []
        elb_5xx = 0
        stamp = datetime.fromtimestamp(minute + 30, UTC)
        for gen, dimension in self.groups.items():
            dims = [{"Name": "LoadBalancer", "Value": self.load_balancer}, {"Name": "TargetGroup", "Value": dimension}]
            stamp = datetime.fromtimestamp(minute + 30, UTC)
            requests = self.scenario.requests * weights.get(gen, 0) / 100
            values = {
                "UnHealthyHostCount": self.scenario.unhealthy(gen, weights),
                "RequestCount": requests,
                "TargetResponseTime": self.scenario.latency(gen, weights),
            }
            errors = round(requests * self.scenario.errors(gen, weights))
            if errors:  # the ALB publishes no 5xx datapoint while nothing fails
                values["HTTPCode_Target_5XX_Count"] = errors
            refused = round(requests * self.scenario.connection_errors(gen, weights))
            if refused:
                values["TargetConnectionErrorCount"] = refused
            elb_5xx += refused + round(requests * self.scenario.elb_5xx(gen, weights))
            if not requests:
                del values["RequestCount"], values["TargetResponseTime"]
            data += [{"MetricName": m, "Dimensions": dims, "Timestamp": stamp, "Value": v} for m, v in values.items()]
            value = self.scenario.custom(gen, weights)
            if value is not None:
                dims = [{"Name": "TargetGroup", "Value": dimension}]
                custom.append({"MetricName": CUSTOM_METRIC, "Dimensions": dims, "Timestamp": stamp, "Value": value})
        if elb_5xx:  # per load balancer only: CloudWatch has no TargetGroup dimension for it
            dims = [{"Name": "LoadBalancer", "Value": self.load_balancer}]
            data.append(
                {"MetricName": "HTTPCode_ELB_5XX_Count", "Dimensions": dims, "Timestamp": stamp, "Value": elb_5xx}
            )
        cloudwatch = self.emulator.client("cloudwatch")
        cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=data)
        if custom:
            cloudwatch.put_metric_data(Namespace=CUSTOM_NAMESPACE, MetricData=custom)


class Emulated:
    """The emulator, the shared stack's working directory (state and all) and the fleets."""

    def __init__(
        self, emulator: MotoServer, base: Path, fleets: dict[str, Path], synth: Callable[[Path], Stacks]
    ) -> None:
        self.emulator = emulator
        self.base = base
        self.fleets = fleets
        self.synth = synth
        self.workdir = base / "stacks" / "shared"
        self.clocks: list[FakeClock] = []
        self._resources: ServiceInState | None = None
        self.failing: Callable[[list[str]], bool] | None = None
        """Which terraform commands fail (by their arguments); None: none."""
        self.deployed: bytes | None = None
        """`terraform.tfstate` as the base's deploy left it (`deploy_base`)."""
        self.workdir.mkdir(parents=True)
        self.env = emulator.terraform_env(base)

    def terraform(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        if self.failing is not None and self.failing(args):  # terraform fails as on an AWS error
            return subprocess.CompletedProcess(args, 1, "", "Error: updating ELBv2 Listener: injected failure")
        code, out = run_bounded(["terraform", *args], cwd, self.env, 600)
        return subprocess.CompletedProcess(args, -9 if code is None else code, out, out)

    def use(self, fleet: str, edit: Callable[[dict[str, Any]], None] | None = None) -> None:
        """The shared stack of `fleet` as the synthesized stack the shift reads (`cdk.tf.json`)."""
        config = emulated_config(self.synth(self.fleets[fleet])["shared"])
        if edit:
            edit(config)
        (self.workdir / "cdk.tf.json").write_text(json.dumps(config, indent=1))

    def tf(self) -> ShiftTerraform:
        return ShiftTerraform(self.workdir, load_fleet(self.fleets["head"]).name, SERVICE, run=self.terraform)

    def plan_code(self, *var: str) -> int:
        return self.terraform(
            ["plan", "-input=false", "-no-color", "-detailed-exitcode", *var], self.workdir
        ).returncode

    def resources(self) -> ServiceInState:
        """The service's listener and target groups, read from the state once: they never change here."""
        if self._resources is None:
            self._resources = self.tf().state()
        return self._resources

    def live(self) -> dict[str, int]:
        return live_weights(self.emulator.client("elbv2"), self.resources())

    def run(
        self,
        scenario: Scenario,
        records: LocalRecords,
        fleet: str = "head",
        resuming: bool = False,
        as_json: bool = False,
        shift: dict[str, Any] | None = None,
    ) -> tuple[ShiftRun, list[str]]:
        """A shift of the service with a fake clock of its own. Every run's metrics are put into the
        one emulator, so each run starts an hour after the latest minute any earlier one reached:
        no run reads another's datapoints. `resuming` continues the last run's clock instead, as a
        runner that resumes a dead one's shift a moment later. `shift`: fields of `traffic.shift`
        to set on top of `SHIFT` (the synth does not depend on them)."""
        tf = self.tf()
        state = self.resources()
        start = [c for c in self.clocks if c.sleeps][-1].time if resuming else self.next_start()
        clock = FakeClock(
            self.emulator,
            state.load_balancer,
            {gen: group.dimension for gen, group in state.groups.items()},
            lambda: live_weights(self.emulator.client("elbv2"), state),
            scenario,
            time=start,
        )
        self.clocks.append(clock)
        lines: list[str] = []
        shifting = ShiftRun(
            fleet=self.fleet(fleet, shift),
            service=SERVICE,
            terraform=tf,
            elbv2=self.emulator.client("elbv2"),
            cloudwatch=self.emulator.client("cloudwatch"),
            store=records,
            clock=clock,
            say=lines.append,
            as_json=as_json,
        )
        return shifting, lines

    def next_start(self) -> float:
        """When the next run's clock starts: an hour after the latest minute any run reached."""
        latest = max([c.time for c in self.clocks], default=datetime.now(UTC).timestamp())
        return math.floor(latest / 60) * 60 + 3600 + 1

    def fleet(self, name: str, shift: dict[str, Any] | None = None) -> Fleet:
        """A fleet file, with `shift` set on top of its service's `traffic.shift`."""
        if not shift:
            return load_fleet(self.fleets[name])
        data = yaml.safe_load(self.fleets[name].read_text())
        data["services"][SERVICE]["traffic"]["shift"] = {**SHIFT, **shift}
        path = self.base / f"{name}-{len(self.clocks)}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return load_fleet(path)

    def reset(self) -> None:
        """The world as the base's deploy left it: its state file back, and the weights before the
        shift on the ALB (by the API, as a cancelled shift restores them). Nothing but the listener's
        weights ever changes here, so that is the same world a Terraform apply of them would leave,
        without the apply's minute of provider start-ups on a loaded machine."""
        self.use("head")
        assert self.deployed is not None, "deploy_base first"
        if self.state_weights() != BEFORE:
            (self.workdir / "terraform.tfstate").write_bytes(self.deployed)
        if self.live() != BEFORE:
            restore_weights(self.emulator.client("elbv2"), self.resources(), BEFORE)
        assert self.live() == BEFORE and self.state_weights() == BEFORE

    def state_weights(self) -> dict[str, int]:
        """The weights `terraform.tfstate` holds for the listener (read from the file: no terraform run)."""
        state = json.loads((self.workdir / "terraform.tfstate").read_text())
        listener = self.resources().listener
        for resource in state["resources"]:
            if f"{resource['type']}.{resource['name']}" == listener:
                actions = resource["instances"][0]["attributes"]["default_action"]
                return _forward_weights(actions, self.resources().arns, snake=True)
        raise AssertionError(f"{listener} is not in the state")


def shift_edits(certificate_arn: str) -> dict[str, Callable[[dict[str, Any]], None]]:
    """Edits of examples/target-swap.yaml: `base` (blue serving 100, green registered, `SHIFT`
    configured, the emulator's certificate, no WAF) and `head`, the PR's file (green serving 100)."""

    def base(data: dict[str, Any]) -> None:
        traffic = data["services"][SERVICE]["traffic"]
        traffic.pop("waf_acl_arn", None)
        traffic.update(certificate_arn=certificate_arn, shift=SHIFT)

    def head(data: dict[str, Any]) -> None:
        base(data)
        targets = data["services"][SERVICE]["targets"]
        targets["blue"].update(phase="registered", weight=0)
        targets["green"].update(phase="serving", weight=100)

    return {"base": base, "head": head}


def seed(emulator: MotoServer, example: Path) -> str:
    """The logs bucket the ALB writes to and a certificate for its listener; the certificate's ARN."""
    fleet = load_fleet(example)
    emulator.client("s3").create_bucket(
        Bucket=fleet.logs_bucket, CreateBucketConfiguration={"LocationConstraint": fleet.region}
    )
    return emulator.client("acm").request_certificate(DomainName="shift.example.com")["CertificateArn"]


def deploy_base(world: Emulated) -> None:
    """`shared` of the base fleet applied: the weights before the shift are live."""
    world.use("base")
    for args in (["init", "-input=false", "-no-color"], ["apply", "-input=false", "-no-color", "-auto-approve"]):
        done = world.terraform(args, world.workdir)
        assert done.returncode == 0, done.stdout[-3000:]
    assert world.live() == BEFORE
    world.deployed = (world.workdir / "terraform.tfstate").read_bytes()


@contextlib.contextmanager
def emulated_world(
    synth: Callable[[Path], Stacks], derived_fleet: Callable[..., Path], base: Path
) -> Iterator[Emulated]:
    """moto_server with `shared` of the base fleet applied (blue serving 100, green registered):
    the module fixture of the shift's emulator tests."""
    example = ROOT / "examples/target-swap.yaml"
    try:
        with running_emulator(load_fleet(example).region, base) as emulator:
            certificate = seed(emulator, example)
            fleets = {
                kind: derived_fleet(str(example), f"shift-{kind}", edit)
                for kind, edit in shift_edits(certificate).items()
            }
            world = Emulated(emulator, base, fleets, synth)
            deploy_base(world)
            yield world
    finally:
        shutil.rmtree(base, ignore_errors=True)

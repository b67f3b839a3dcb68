"""The world `fleet shift` runs in under test and bench: moto_server with the shared stack of a
shifted fleet applied by real terraform, and a fake clock that puts the ALB's CloudWatch metrics
for every minute it passes (requests by the weights live in the emulator, and what a `Scenario`
makes of them). Shared by tests/test_shift.py and bench/shift.py."""

from __future__ import annotations

import json
import math
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleet.model.load import load_fleet
from fleet.ops.shift import ShiftRun
from fleet.ops.shift_live import ServiceInState, ShiftTerraform, live_weights
from fleet.ops.shift_record import LocalRecords
from support.emulator import MotoServer, emulated_config, run_bounded
from support.tf_tools import cli_config

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


class Killed(BaseException):
    """The runner dies: nothing the shift catches (it is not an Exception, nor Ctrl-C)."""


@dataclass
class Scenario:
    """What the incoming and outgoing generations report per minute, given the live weights."""

    errors: Callable[[str, dict[str, int]], float] = lambda gen, weights: 0.0
    """Share (0-1) of a generation's requests answered 5xx."""
    latency: Callable[[str, dict[str, int]], float] = lambda gen, weights: 0.05
    unhealthy: Callable[[str, dict[str, int]], float] = lambda gen, weights: 0
    requests: int = REQUESTS_AT_100
    kill_after_sleeps: int | None = None
    interrupt_after_sleeps: int | None = None
    """Ctrl-C (KeyboardInterrupt) at this sleep."""


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
            if not requests:
                del values["RequestCount"], values["TargetResponseTime"]
            data += [{"MetricName": m, "Dimensions": dims, "Timestamp": stamp, "Value": v} for m, v in values.items()]
        self.emulator.client("cloudwatch").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=data)


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
        self.workdir.mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        self.env = {**env, "TF_CLI_CONFIG_FILE": str(cli_config(base)), "CHECKPOINT_DISABLE": "1"}
        self.env.update(TF_IN_AUTOMATION="1", AWS_EC2_METADATA_DISABLED="true")

    def terraform(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        if self.failing is not None and self.failing(args):  # terraform fails as on an AWS error
            return subprocess.CompletedProcess(args, 1, "", "Error: updating ELBv2 Listener: injected failure")
        code, out = run_bounded(["terraform", *args], cwd, self.env, 600)
        return subprocess.CompletedProcess(args, -9 if code is None else code, out, out)

    def use(self, fleet: str, edit: Callable[[dict[str, Any]], None] | None = None) -> None:
        """The shared stack of `fleet` as the synthesized stack the shift reads (`cdk.tf.json`)."""
        config = emulated_config(self.synth(self.fleets[fleet])["shared"], self.emulator.url)
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
        """The service's listener and target groups, read from the state once: they never change
        here (`terraform show -json` starts the AWS provider, seconds each time)."""
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
    ) -> tuple[ShiftRun, list[str]]:
        """A shift of the service with a fake clock of its own. Every run's metrics are put into the
        one emulator, so each run starts an hour after the latest minute any earlier one reached:
        no run reads another's datapoints. `resuming` continues the last run's clock instead, as a
        runner that resumes a dead one's shift a moment later."""
        tf = self.tf()
        state = self.resources()
        if resuming:
            start = [c for c in self.clocks if c.sleeps][-1].time  # the clock of the run that died
        else:
            latest = max([c.time for c in self.clocks], default=datetime.now(UTC).timestamp())
            start = math.floor(latest / 60) * 60 + 3600 + 1
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
        shift = ShiftRun(
            fleet=load_fleet(self.fleets[fleet]),
            service=SERVICE,
            terraform=tf,
            elbv2=self.emulator.client("elbv2"),
            cloudwatch=self.emulator.client("cloudwatch"),
            store=records,
            clock=clock,
            say=lines.append,
            as_json=as_json,
        )
        return shift, lines

    def reset(self) -> None:
        """The weights before the shift, applied through Terraform (as the base's deploy left them)."""
        self.use("head")
        if self.live() != BEFORE:  # nothing here changes the state without the ALB: equal weights, equal state
            self.tf().apply(BEFORE, self.resources().listener, refresh=True)
        assert self.live() == BEFORE


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

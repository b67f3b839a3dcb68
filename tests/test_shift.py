"""`fleet shift` against the emulator with real terraform: a shared stack applied to moto_server,
the shift's steps applied to it with `-var`, the ALB's CloudWatch metrics injected with
PutMetricData, and a fake clock, so that no test waits for real minutes.

The fake clock injects, for every whole minute it passes, the traffic the ALB would report: a
number of requests per target group proportional to the weights live in the emulator (read with
DescribeListeners), and what each scenario makes of them (5xx, latency, unhealthy hosts). moto
cannot compute percentiles, so these fleets judge latency by `Maximum`; p99 (the default) only
real AWS exercises.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, Synth
from fleet.ops.pipeline import PipelineRefused, stack_action
from fleet.ops.shift import ShiftRun
from fleet.ops.shift_live import ShiftRefused, ShiftTerraform, live_weights
from fleet.ops.shift_record import LocalRecords
from fleet.spec.load import load_fleet
from support.emulator import MotoServer, emulated_config, run_bounded, running_emulator
from support.tf_tools import cli_config

pytestmark = pytest.mark.slow

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
    time: float = field(default_factory=lambda: math.floor(datetime.now(UTC).timestamp() / 60) * 60 + 1)
    sleeps: int = 0

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.scenario.kill_after_sleeps is not None and self.sleeps > self.scenario.kill_after_sleeps:
            raise Killed
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

    def __init__(self, emulator: MotoServer, base: Path, fleets: dict[str, Path], synth: Synth) -> None:
        self.emulator = emulator
        self.base = base
        self.fleets = fleets
        self.synth = synth
        self.workdir = base / "stacks" / "shared"
        self.workdir.mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        self.env = {**env, "TF_CLI_CONFIG_FILE": str(cli_config(base)), "CHECKPOINT_DISABLE": "1"}
        self.env.update(TF_IN_AUTOMATION="1", AWS_EC2_METADATA_DISABLED="true")

    def terraform(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
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

    def live(self) -> dict[str, int]:
        tf = self.tf()
        return live_weights(self.emulator.client("elbv2"), tf.state())

    def run(self, scenario: Scenario, records: LocalRecords, fleet: str = "head") -> tuple[ShiftRun, list[str]]:
        tf = self.tf()
        state = tf.state()
        clock = FakeClock(
            self.emulator,
            state.load_balancer,
            {gen: group.dimension for gen, group in state.groups.items()},
            lambda: live_weights(self.emulator.client("elbv2"), state),
            scenario,
        )
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
        )
        return shift, lines

    def reset(self) -> None:
        """The weights before the shift, applied through Terraform (as the base's deploy left them)."""
        self.use("head")
        tf = self.tf()
        tf.apply(BEFORE, tf.state().listener)
        assert self.live() == BEFORE


def _fleets(derived_fleet: Callable[..., Path], certificate_arn: str) -> dict[str, Path]:
    def base(data: dict[str, Any]) -> None:
        traffic = data["services"][SERVICE]["traffic"]
        traffic.pop("waf_acl_arn", None)
        traffic.update(certificate_arn=certificate_arn, shift=SHIFT)

    def head(data: dict[str, Any]) -> None:
        base(data)
        targets = data["services"][SERVICE]["targets"]
        targets["blue"].update(phase="registered", weight=0)
        targets["green"].update(phase="serving", weight=100)

    return {
        "base": derived_fleet("examples/target-swap.yaml", "shift-base", base),
        "head": derived_fleet("examples/target-swap.yaml", "shift-head", head),
    }


@pytest.fixture(scope="module")
def emulated(synth: Synth, derived_fleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulated]:
    base = tmp_path_factory.mktemp("shift")
    try:
        region = load_fleet(ROOT / "examples/target-swap.yaml").region
        with running_emulator(region, base) as emulator:
            fleet = load_fleet(ROOT / "examples/target-swap.yaml")
            emulator.client("s3").create_bucket(
                Bucket=fleet.logs_bucket, CreateBucketConfiguration={"LocationConstraint": fleet.region}
            )
            certificate = emulator.client("acm").request_certificate(DomainName="shift.example.com")["CertificateArn"]
            state = Emulated(emulator, base, _fleets(derived_fleet, certificate), synth)
            state.use("base")
            for args in (
                ["init", "-input=false", "-no-color"],
                ["apply", "-input=false", "-no-color", "-auto-approve"],
            ):
                done = state.terraform(args, state.workdir)
                assert done.returncode == 0, done.stdout[-3000:]
            assert state.live() == BEFORE
            yield state
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def records(tmp_path: Path) -> LocalRecords:
    return LocalRecords(tmp_path / "records")


def _vars(weights: dict[str, int]) -> list[str]:
    return [f"-var=weight_{SERVICE}_{gen}={w}" for gen, w in weights.items()]


def test_a_full_shift_ends_at_the_files_weights_with_a_clean_plan(emulated, records):
    emulated.reset()
    shift, lines = emulated.run(Scenario(), records)
    assert shift.start() == 0, lines
    assert emulated.live() == AFTER
    assert emulated.plan_code() == 0, "terraform plan of shared is not clean after the shift"
    assert records.read(SERVICE) is None
    passes = [line for line in lines if line.endswith("(2/2)")]
    assert len(passes) == 3, lines  # every step baked two passing periods
    assert lines[-1] == "web: shifted to blue=0 green=100"


def test_5xx_at_the_50_percent_step_rolls_back_to_the_weights_before(emulated, records):
    emulated.reset()
    failing = Scenario(errors=lambda gen, weights: 0.08 if gen == "green" and weights["green"] >= 50 else 0.0)
    shift, lines = emulated.run(failing, records)
    assert shift.start() == 1
    assert emulated.live() == BEFORE
    assert emulated.plan_code(*_vars(BEFORE)) == 0
    assert "step 2/3 (50%): 5xx 8.00% > max_5xx_percent 1%" in lines[-1], lines[-1]
    assert lines[-1].startswith("web: rolled back to blue=100 green=0"), lines[-1]
    assert records.read(SERVICE).status == "rolled-back"


@pytest.mark.parametrize(
    ("scenario", "said"),
    [
        (Scenario(unhealthy=lambda gen, w: 2 if gen == "green" else 0), "UnHealthyHostCount 2 > max_unhealthy_hosts 0"),
        (
            Scenario(latency=lambda gen, w: 0.9 if gen == "green" else 0.05),
            "TargetResponseTime Maximum 900 ms > max_latency_ms 500",
        ),
    ],
    ids=["unhealthy-hosts", "latency"],
)
def test_unhealthy_hosts_and_latency_each_roll_back(emulated, records, scenario, said):
    emulated.reset()
    shift, lines = emulated.run(scenario, records)
    assert shift.start() == 1
    assert emulated.live() == BEFORE
    assert "step 1/3 (10%)" in lines[-1] and said in lines[-1], lines[-1]


def test_too_few_requests_hold_then_time_out_and_roll_back(emulated, records):
    emulated.reset()
    shift, lines = emulated.run(Scenario(requests=100), records)  # 10 requests at 10%: below min_requests 20
    assert shift.start() == 1
    assert emulated.live() == BEFORE
    held = [line for line in lines if "inconclusive" in line]
    assert len(held) > 10, lines
    assert "timeout_minutes 30 reached with 0/2 passing periods" in lines[-1], lines[-1]


def test_bad_metrics_of_the_outgoing_generation_never_abort(emulated, records):
    emulated.reset()
    bad_blue = Scenario(
        errors=lambda gen, w: 0.5 if gen == "blue" else 0.0,
        latency=lambda gen, w: 5.0 if gen == "blue" else 0.05,
        unhealthy=lambda gen, w: 3 if gen == "blue" else 0,
    )
    shift, lines = emulated.run(bad_blue, records)
    assert shift.start() == 0, lines
    assert emulated.live() == AFTER


def test_a_runner_killed_between_steps_resumes_to_the_end(emulated, records):
    emulated.reset()
    shift, lines = emulated.run(Scenario(kill_after_sleeps=3), records)
    with pytest.raises(Killed):
        shift.start()
    record = records.read(SERVICE)
    assert record is not None and record.status == "running" and record.applied == 1, record
    assert emulated.live() == {"blue": 50, "green": 50}
    with pytest.raises(ShiftRefused, match="under way"):
        emulated.run(Scenario(), records)[0].start()
    resumed, lines = emulated.run(Scenario(), records)
    assert resumed.resume() == 0, lines
    assert emulated.live() == AFTER and emulated.plan_code() == 0
    assert records.read(SERVICE) is None


def test_a_runner_killed_between_steps_can_be_aborted(emulated, records):
    emulated.reset()
    shift, _ = emulated.run(Scenario(kill_after_sleeps=3), records)
    with pytest.raises(Killed):
        shift.start()
    aborted, lines = emulated.run(Scenario(), records)
    assert aborted.abort() == 0, lines
    assert emulated.live() == BEFORE
    assert "aborted with --abort" in lines[-1]


def test_a_pending_change_besides_the_weights_is_refused_before_any_step(emulated, records):
    emulated.reset()

    def new_health_check(config: dict[str, Any]) -> None:
        for group in config["resource"]["aws_lb_target_group"].values():
            group["health_check"]["path"] = "/other"

    emulated.use("head", new_health_check)
    try:
        with pytest.raises(ShiftRefused, match=r"shared has changes other than web's weights \(aws_lb_target_group"):
            emulated.run(Scenario(), records)[0].start()
    finally:
        emulated.use("head")
    assert emulated.live() == BEFORE and records.read(SERVICE) is None


def test_an_out_of_band_weight_change_is_refused_before_any_step(emulated, records):
    emulated.reset()
    tf = emulated.tf()
    state = tf.state()
    elbv2 = emulated.emulator.client("elbv2")
    groups = {gen: arn for arn, gen in state.arns.items()}
    elbv2.modify_listener(
        ListenerArn=state.listener_arn,
        DefaultActions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": groups["blue"], "Weight": 80},
                        {"TargetGroupArn": groups["green"], "Weight": 20},
                    ]
                },
            }
        ],
    )
    with pytest.raises(
        ShiftRefused, match="the ALB serves blue=80 green=20 but Terraform's state says blue=100 green=0"
    ):
        emulated.run(Scenario(), records)[0].start()
    assert records.read(SERVICE) is None


def test_after_a_rollback_fleet_action_refuses_shared_until_the_file_is_reverted(emulated, records):
    emulated.reset()
    shift, _ = emulated.run(Scenario(errors=lambda gen, w: 0.5 if gen == "green" else 0.0), records)
    assert shift.start() == 1
    head, base = load_fleet(emulated.fleets["head"]), load_fleet(emulated.fleets["base"])
    with pytest.raises(PipelineRefused, match="the last fleet shift rolled back .* revert the file"):
        stack_action(head, "shared", records)
    assert stack_action(base, "shared", records) == "deploy"
    again, lines = emulated.run(Scenario(), records)
    assert again.start() == 0, lines
    assert stack_action(head, "shared", records) == "deploy"


def test_fleet_shift_refuses_a_service_without_shift_in_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "fleet", "shift", "web", "examples/target-swap-3-serving.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "examples/target-swap-3-serving.yaml: shift refused: services.web.traffic.shift is not set: its traffic "
        "moves by one PR per weight step (`python -m fleet plan`); add `shift: {}` to its traffic to move it "
        "with `fleet shift`"
    ], done.stderr

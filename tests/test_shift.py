"""`fleet shift` against the emulator with real terraform: a shared stack applied to moto_server,
the shift's steps applied to it with `-var`, the ALB's CloudWatch metrics injected with
PutMetricData, and a fake clock, so that no test waits for real minutes (tests/support/shift_world.py).

The fake clock injects, for every whole minute it passes, the traffic the ALB would report: a
number of requests per target group proportional to the weights live in the emulator (read with
DescribeListeners), and what each scenario makes of them (5xx, latency, unhealthy hosts). moto
cannot compute percentiles, so these fleets judge latency by `Maximum`; p99 (the default) only
real AWS exercises.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fleet.model.load import load_fleet
from fleet.ops.pipeline import PipelineRefused, stack_action
from fleet.ops.shift_live import ShiftRefused
from fleet.ops.shift_record import LocalRecords
from support.shift_world import AFTER, BEFORE, SERVICE, Emulated, Killed, Scenario, emulated_world, weight_vars
from support.synth import Synth

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def emulated(synth: Synth, derived_fleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulated]:
    with emulated_world(synth, derived_fleet, tmp_path_factory.mktemp("shift")) as world:
        yield world


@pytest.fixture
def records(tmp_path: Path) -> LocalRecords:
    return LocalRecords(tmp_path / "records")


def test_a_full_shift_ends_at_the_files_weights_with_a_clean_plan(emulated, records):
    emulated.reset()
    shift, lines = emulated.run(Scenario(), records)
    assert shift.start() == 0, lines
    assert emulated.live() == AFTER
    assert emulated.plan_code() == 0, "terraform plan of shared is not clean after the shift"
    done = records.read(SERVICE)  # kept: its `before` is what a rollback PR goes back to, at once
    assert done is not None and (done.status, done.before, done.after) == ("done", BEFORE, AFTER)
    passes = [line for line in lines if line.endswith("(2/2)")]
    assert len(passes) == 3, lines  # every step baked two passing periods
    assert lines[-1] == "web: shifted to blue=0 green=100"


def test_5xx_at_the_50_percent_step_rolls_back_to_the_weights_before(emulated, records):
    emulated.reset()
    failing = Scenario(errors=lambda gen, weights: 0.08 if gen == "green" and weights["green"] >= 50 else 0.0)
    shift, lines = emulated.run(failing, records)
    assert shift.start() == 1
    assert emulated.live() == BEFORE
    assert emulated.plan_code(*weight_vars(BEFORE)) == 0
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
    shift, lines = emulated.run(bad_blue, records, shift={"steps": [10, 100]})  # judged at 10%: fewer applies
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
    # state and AWS agree: a plan with the file's weights changes only the weights
    assert emulated.tf().pending_besides_weights(emulated.tf().state()) == []
    assert emulated.plan_code() == 2
    with pytest.raises(ShiftRefused, match="under way"):
        emulated.run(Scenario(), records)[0].start()
    resumed, lines = emulated.run(Scenario(), records, resuming=True)
    assert resumed.resume() == 0, lines
    assert emulated.live() == AFTER and emulated.plan_code() == 0
    assert records.read(SERVICE).status == "done"


def test_a_runner_killed_between_steps_can_be_aborted(emulated, records):
    emulated.reset()
    shift, _ = emulated.run(Scenario(kill_after_sleeps=3), records)
    with pytest.raises(Killed):
        shift.start()
    aborted, lines = emulated.run(Scenario(), records, resuming=True)
    assert aborted.abort() == 0, lines
    assert emulated.live() == BEFORE
    assert "aborted with --abort" in lines[-1]


def test_ctrl_c_rolls_back_and_machines_and_github_read_what_happened(emulated, records, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    emulated.reset()
    shift, lines = emulated.run(Scenario(interrupt_after_sleeps=3), records, as_json=True)
    assert shift.start() == 1
    assert emulated.live() == BEFORE
    events = [json.loads(line) for line in lines]
    assert [e["event"] for e in events] == ["step", "period", "period", "step", "period", "rolled-back"], events
    assert events[1]["verdict"] == "pass" and events[1]["weights"] == {"blue": 90, "green": 10}
    assert "cancelled (SIGINT) at step 2" in events[-1]["line"]
    table = summary.read_text()
    assert "### fleet shift web: rolled-back" in table
    assert table.count("| step 1/3 (10%) | blue=90 green=10 |") == 2, table


def _applies(weights: dict[str, int]) -> Callable[[list[str]], bool]:
    wanted = {f"-var=weight_{SERVICE}_{gen}={w}" for gen, w in weights.items()}
    return lambda args: args[0] == "apply" and wanted <= set(args)


def test_a_failed_apply_rolls_back_and_a_failed_rollback_leaves_the_shift_to_abort(emulated, records):
    emulated.reset()
    emulated.failing = _applies({"blue": 50, "green": 50})
    try:
        shift, lines = emulated.run(Scenario(), records)
        assert shift.start() == 1
        assert emulated.live() == BEFORE
        assert "step 2/3 (50%): the apply failed: terraform apply failed in" in lines[-1], lines[-1]
        assert "injected failure" in lines[-1]

        emulated.failing = lambda args: args[0] == "apply" and "-var=weight_web_green=10" not in args
        shift, lines = emulated.run(Scenario(), records)
        assert shift.start() == 2
        assert "the rollback failed too" in lines[-1] and "--abort" in lines[-1], lines[-1]
        assert records.read(SERVICE).status == "running"
        assert emulated.live() == {"blue": 90, "green": 10}
    finally:
        emulated.failing = None
    aborted, lines = emulated.run(Scenario(), records, resuming=True)
    assert aborted.abort() == 0, lines
    assert emulated.live() == BEFORE


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
    state = emulated.resources()
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
    again, lines = emulated.run(Scenario(), records, shift={"steps": [50, 100]})  # fewer applies: any shift that ends
    assert again.start() == 0, lines
    assert stack_action(head, "shared", records) == "deploy"

"""The rules of `fleet shift` that need no emulator: the fleet-file fields and their one-line
errors, the weights of each step, the verdict of one period, and the record's refusal."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from fleet.model.load import load_fleet
from fleet.model.shift import Shift
from fleet.ops.shift_metrics import Side, arn_dimension, judge
from fleet.ops.shift_record import LocalRecords, ShiftRecord, refuse_after_rollback, step_weights
from support.cli import fleet_here
from support.paths import ROOT


def _with_shift(tmp_path: Path, shift: Any, targets: dict[str, dict[str, Any]] | None = None) -> Path:
    data = yaml.safe_load((ROOT / "examples/target-swap.yaml").read_text())
    data["services"]["web"]["traffic"]["shift"] = shift
    if targets:
        for gen, fields in targets.items():
            data["services"]["web"]["targets"][gen].update(fields)
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("shift", "said"),
    [
        (
            {"steps": [50, 25, 100]},
            "services.web.traffic.shift.steps: 50, 25, 100: steps must rise strictly and end at 100",
        ),
        ({"steps": [10, 50]}, "steps must rise strictly and end at 100"),
        ({"steps": [0, 100]}, "services.web.traffic.shift.steps.0"),
        ({"latency_statistic": "p100"}, "'p100' is not a CloudWatch statistic"),
        ({"timeout_minutes": 10}, "timeout_minutes: 10 cannot fit 4 steps of 5 minutes; give at least 20"),
        ({"bake_minutes": 1, "period_minutes": 5}, "bake_minutes: 1 is shorter than one period (5 min)"),
        ({"max_5xx_percent": "1"}, "services.web.traffic.shift.max_5xx_percent"),
        ({"failed_periods": 0}, "services.web.traffic.shift.failed_periods"),
        ({"bake": 5}, "services.web.traffic.shift.bake"),
    ],
)
def test_a_wrong_shift_field_gets_one_line_naming_it(tmp_path, shift, said):
    path = _with_shift(tmp_path, shift)
    done = fleet_here("validate", path)
    assert done.returncode == 2, done.stdout
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and said in errors[0], done.stderr
    assert "Traceback" not in done.stderr


def test_shift_defaults_follow_the_peers():
    shift = Shift()
    assert (shift.steps, shift.max_5xx_percent, shift.max_latency_ms, shift.latency_statistic) == (
        (5, 25, 50, 100),
        1.0,
        500,
        "p99",
    )
    assert shift.periods_per_step() == 5


def test_a_shifted_service_lists_at_most_five_weighed_generations(tmp_path):
    data = yaml.safe_load((ROOT / "examples/target-swap.yaml").read_text())
    targets = data["services"]["web"]["targets"]
    for gen in ("red", "teal", "plum", "gold"):
        targets[gen] = copy.deepcopy(targets["green"])
    data["services"]["web"]["traffic"]["shift"] = {}
    path = tmp_path / "six.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    done = fleet_here("validate", path)
    assert done.returncode == 2 and "traffic.shift: 6 targets are serving or registered" in done.stderr, done.stderr


@st.composite
def weights(draw: st.DrawFn) -> dict[str, int]:
    """Weights of up to three generations that sum to 100 (cut points on 0..100)."""
    cuts = sorted(draw(st.lists(st.integers(0, 100), max_size=2)))
    bounds = [0, *cuts, 100]
    return {gen: bounds[i + 1] - bounds[i] for i, gen in enumerate(("blue", "green", "red")[: len(bounds) - 1])}


@given(before=weights(), after=weights(), share=st.integers(0, 100))
def test_step_weights_sum_to_100_and_end_exactly(before, after, share):
    step = step_weights(before, after, share)
    assert sum(step.values()) == 100
    assert all(w >= 0 for w in step.values())
    for gen, weight in step.items():
        low, high = sorted((before.get(gen, 0), after.get(gen, 0)))
        assert low <= weight <= high, (gen, step)
    assert {g: w for g, w in step_weights(before, after, 0).items() if w or g in before} == before
    assert {g: w for g, w in step_weights(before, after, 100).items() if w or g in after} == after


def test_a_swap_moves_exactly_the_steps_share():
    assert [
        step_weights({"blue": 100, "green": 0}, {"blue": 0, "green": 100}, s)["green"] for s in (5, 25, 50, 100)
    ] == [5, 25, 50, 100]


@pytest.mark.parametrize(
    ("requests", "errors", "latency", "unhealthy", "verdict", "why"),
    [
        (100, 0, 0.1, 0, "pass", ""),
        (100, 1, 0.1, 0, "pass", ""),  # 1 % is the limit, not over it
        (100, 2, 0.1, 0, "fail", "5xx 2.00% > max_5xx_percent 1%"),
        (100, 0, 0.6, 0, "fail", "TargetResponseTime p99 600 ms > max_latency_ms 500 ms"),
        (100, 0, None, 0, "pass", ""),
        (49, 40, 9.0, 0, "inconclusive", "49 requests < min_requests 50"),
        (0, 0, None, 0, "inconclusive", "0 requests < min_requests 50"),
        (0, 0, None, 1, "fail", "UnHealthyHostCount 1 > max_unhealthy_hosts 0"),
    ],
)
def test_one_periods_verdict(requests, errors, latency, unhealthy, verdict, why):
    period = judge(Shift(), 0, 60, Side(requests, errors, 0, latency, unhealthy))
    assert (period.verdict, period.why) == (verdict, why)


def test_cloudwatch_dimensions_are_the_arn_tails():
    lb = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/acme-web/50dc6c495c0c9188"
    tg = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/acme-green/73e2d6bc24d8a067"
    assert arn_dimension(lb, "loadbalancer") == "app/acme-web/50dc6c495c0c9188"
    assert arn_dimension(tg, "targetgroup") == "targetgroup/acme-green/73e2d6bc24d8a067"


def test_fleet_action_refuses_shared_only_while_the_file_names_refused_weights(tmp_path):
    head = load_fleet(
        _with_shift(
            tmp_path, {}, {"blue": {"phase": "registered", "weight": 0}, "green": {"phase": "serving", "weight": 100}}
        )
    )
    store = LocalRecords(tmp_path / "records")
    assert refuse_after_rollback(head, store) is None
    record = ShiftRecord("web", {"blue": 100, "green": 0}, {"blue": 0, "green": 100}, (5, 100))
    store.write(record)
    assert "a fleet shift is under way" in (refuse_after_rollback(head, store) or "")
    store.write(ShiftRecord.from_json(record.to_json().replace('"running"', '"rolled-back"')))
    refused = refuse_after_rollback(head, store) or ""
    assert "rolled back" in refused and "blue: phase serving, weight 100; green: phase registered, weight 0" in refused
    base = load_fleet(_with_shift(tmp_path, {}))
    assert refuse_after_rollback(base, store) is None  # the file is reverted


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (
            ["web", "examples/target-swap-3-serving.yaml"],
            {},
            "services.web.traffic.shift is not set: its traffic moves by one PR per weight step (`python -m fleet "
            "plan`); add `shift: {}` to its traffic to move it with `fleet shift`",
        ),
        (["nope", "examples/target-swap-shift.yaml"], {}, "nope is not a service of fleet acme"),
        (
            ["web", "examples/target-swap-shift.yaml", "--synth-dir", "/nonexistent"],
            {},
            "/nonexistent/stacks/shared: no synthesized shared stack",
        ),
        (["web", "examples/target-swap-shift.yaml"], {"CI": "true"}, "state: local state lives on the runner"),
    ],
    ids=["no-shift", "unknown-service", "no-synth", "local-state-on-ci"],
)
def test_fleet_shift_refuses_in_one_line_before_it_touches_anything(args, env, said):
    done = fleet_here("shift", *args, env={**os.environ, **env})
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{args[1]}: shift refused: ") and said in lines[0], lines[0]

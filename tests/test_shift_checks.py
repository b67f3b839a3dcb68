"""What `fleet shift` judges beyond the incoming target groups' 5xx, latency and health, against the
emulator with real terraform and the fake clock (tests/support/shift_world.py): the load balancer's
own 5xx and the targets' connection errors, relative rules against the outgoing generation in the
same period, the team's CloudWatch and Prometheus checks (Prometheus real: Debian's server, started
here with the fake clock's samples), the acceptance test before the first step, and SIGTERM.
"""

from __future__ import annotations

import http.server
import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleet.ops.shift_record import LocalRecords
from support.prometheus import prometheus_unavailable, running_prometheus
from support.shift_world import (
    AFTER,
    BEFORE,
    CLOUDWATCH_CHECK,
    SERVICE,
    Emulated,
    Scenario,
    emulated_world,
    weight_vars,
)
from support.synth import Synth

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def emulated(synth: Synth, derived_fleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulated]:
    with emulated_world(synth, derived_fleet, tmp_path_factory.mktemp("shift-checks")) as world:
        yield world


@pytest.fixture
def records(tmp_path: Path) -> LocalRecords:
    return LocalRecords(tmp_path / "records")


def green(share: float):
    """A scenario callable: `share` for green, nothing for blue."""
    return lambda gen, weights: share if gen == "green" else 0.0


# --- everything the ALB records -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "said"),
    [
        (Scenario(elb_5xx=green(0.05)), "ELB 5xx 5.00% > max_elb_5xx_percent 1%"),
        (Scenario(connection_errors=green(0.05)), "connection errors 5.00% > max_connection_error_percent 1%"),
    ],
    ids=["elb-5xx-only", "connection-errors-only"],
)
def test_a_generation_failing_only_at_the_load_balancer_rolls_back(emulated, records, scenario, said):
    emulated.reset()
    shift, lines = emulated.run(scenario, records)
    assert shift.start() == 1
    assert emulated.live() == BEFORE
    assert "step 1/3 (10%)" in lines[-1] and said in lines[-1], lines[-1]
    assert "5xx 0.00%" in lines[1], lines[1]  # its targets answered no 5xx at all


# --- against the baseline -----------------------------------------------------------------------

RELATIVE = {"max_5xx_percent": 5.0, "relative": {"target_5xx": {"max_points": 1.0}}}
"""A service whose normal error rate is 2 %: an absolute bound it can live with, and a relative rule."""
TWO_STEPS = {"steps": [50, 100]}
"""For a test of what a check judges, the same at every step: each step is a Terraform apply, and a
shift that passes takes them all (the step sequence itself: tests/test_shift.py)."""


def test_a_relative_rule_passes_a_steady_error_rate_the_absolute_default_would_refuse(emulated, records):
    emulated.reset()
    steady = Scenario(errors=lambda gen, weights: 0.02)
    shift, lines = emulated.run(steady, records, shift={**RELATIVE, **TWO_STEPS})
    assert shift.start() == 0, lines
    assert emulated.live() == AFTER
    judged = [line for line in lines if "(outgoing 2.00%)" in line]
    assert judged and all(": pass (" in line for line in judged), lines


def test_a_relative_rule_rolls_back_a_regression_the_absolute_rule_passes(emulated, records):
    emulated.reset()
    regression = Scenario(errors=lambda gen, weights: 0.029 if gen == "green" else 0.001)
    shift, lines = emulated.run(regression, records, shift=RELATIVE)
    assert shift.start() == 1
    assert emulated.live() == BEFORE
    assert "5xx 3.00% vs outgoing 0.11%: worse than relative +1%" in lines[-1], lines[-1]
    assert "max_5xx_percent" not in lines[-1], "the absolute bound (5 %) passed it"


# --- the team's queries -------------------------------------------------------------------------


@pytest.mark.parametrize(("errors", "code"), [(1.0, 0), (9.0, 1)], ids=["passes", "rolls-back"])
def test_a_cloudwatch_expression_check_judges_the_incoming_generation(emulated, records, errors, code):
    emulated.reset()
    scenario = Scenario(custom=lambda gen, weights: errors if gen == "green" else 50.0)  # blue's is never judged
    shift, lines = emulated.run(scenario, records, shift={**CLOUDWATCH_CHECK, **TWO_STEPS})
    assert shift.start() == code, lines
    assert emulated.live() == (AFTER if code == 0 else BEFORE)
    if code:
        assert "checkout-errors 9 > max 5" in lines[-1], lines[-1]
    else:
        assert all("checkout-errors 1" in line for line in lines if ": pass (" in line), lines


def _prometheus_check(url: str) -> dict:
    query = 'max(checkout_error_ratio{generation="{{ generation }}",service="{{ service }}"})'
    return {"checks": {"checkout": {"prometheus": {"url": url, "query": query}, "max": 0.2}}}


@pytest.mark.skipif(prometheus_unavailable() is not None, reason=str(prometheus_unavailable()))
@pytest.mark.parametrize(("ratio", "code"), [(0.05, 0), (0.5, 1)], ids=["passes", "rolls-back"])
def test_a_prometheus_check_judges_the_incoming_generation(emulated, records, tmp_path, ratio, code):
    emulated.reset()
    start = emulated.next_start()
    samples = [
        ("checkout_error_ratio", {"generation": gen, "service": SERVICE}, start + 60 * minute, value)
        for minute in range(-5, 60)
        for gen, value in (("green", ratio), ("blue", 0.9))  # blue's is never judged
    ]
    with running_prometheus(samples, tmp_path / "prometheus") as url:
        shift, lines = emulated.run(Scenario(), records, shift={**_prometheus_check(url), **TWO_STEPS})
        assert shift.start() == code, lines
    assert emulated.live() == (AFTER if code == 0 else BEFORE)
    if code:
        assert "checkout 0.5 > max 0.2" in lines[-1], lines[-1]
    else:
        assert all("checkout 0.05" in line for line in lines if ": pass (" in line), lines


def test_a_check_whose_prometheus_is_down_holds_the_step_and_times_out(emulated, records):
    emulated.reset()
    shift, lines = emulated.run(Scenario(), records, shift=_prometheus_check("http://127.0.0.1:9"))
    assert shift.start() == 1
    assert emulated.live() == BEFORE
    assert any("inconclusive (checkout: Prometheus at http://127.0.0.1:9" in line for line in lines), lines[:3]
    assert "timeout_minutes 30 reached" in lines[-1]


# --- acceptance before the first step -----------------------------------------------------------


def test_a_failed_acceptance_command_moves_no_weight(emulated, records, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    emulated.reset()
    command = 'echo "smoke: checkout failed on $FLEET_SHIFT_GENERATION ($FLEET_SHIFT_HEADER)"; exit 3'
    shift, lines = emulated.run(Scenario(), records, shift={"acceptance": {"command": command}})
    assert shift.start() == 1
    assert emulated.live() == BEFORE and records.read(SERVICE) is None
    assert lines[-1] == "web: acceptance of green: the command exited 3; no weight moved", lines
    assert "smoke: checkout failed on green (X-Ephemeral-Eks-Generation: green)" in summary.read_text()


class _Smoke(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        reached = self.headers.get("X-Ephemeral-Eks-Generation")
        self.send_response(200 if reached == "green" and self.path == "/healthz" else 503)
        self.end_headers()
        self.wfile.write(json.dumps({"reached": reached, "path": self.path}).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def smoke_server() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Smoke)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_failed_http_probe_moves_no_weight(emulated, records, smoke_server):
    emulated.reset()
    probe = {"acceptance": {"url": smoke_server, "http": {"path": "/ready", "status": 200}}}
    shift, lines = emulated.run(Scenario(), records, shift=probe)
    assert shift.start() == 1
    assert emulated.live() == BEFORE and records.read(SERVICE) is None
    assert f"GET {smoke_server}/ready answered 503, not 200" in lines[-1], lines


# --- signals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_signal_mid_step_restores_the_weights_before_the_shift(emulated, records, sig):
    emulated.reset()
    before = signal.getsignal(sig)  # SIG_IGN where the run was started in the background of a shell
    shift, lines = emulated.run(Scenario(signal_after_sleeps=(1, sig)), records)  # in step 1's bake, once applied
    assert shift.start() == 1
    assert emulated.live() == BEFORE
    record = records.read(SERVICE)
    assert record is not None and record.status == "rolled-back", record
    assert record.reason == f"cancelled ({sig.name}) at step 1", record.reason
    assert emulated.plan_code(*weight_vars(BEFORE)) == 0  # AWS holds exactly the weights before
    assert signal.getsignal(sig) == before  # the handlers put back


def test_after_a_cancelled_shift_the_next_one_puts_terraforms_state_in_line_and_shifts(emulated, records):
    emulated.reset()
    shift, _ = emulated.run(Scenario(signal_after_sleeps=(1, signal.SIGTERM)), records)
    assert shift.start() == 1
    assert emulated.state_weights() == {"blue": 90, "green": 10}  # the API restored AWS, not the state
    again, lines = emulated.run(Scenario(), records, shift=TWO_STEPS)
    assert again.start() == 0, lines
    assert emulated.live() == AFTER and emulated.plan_code() == 0

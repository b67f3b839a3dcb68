"""The shift's checks without the emulator: their fields' one-line errors, the verdict of relative
rules, a Prometheus check asked of a real Prometheus server (Debian's package, samples written
here), the acceptance test's command and probe, and a malformed record refused in one line."""

from __future__ import annotations

import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet import names
from fleet.model.shift import Shift
from fleet.ops import shift_command
from fleet.ops.shift_acceptance import acceptance_failure
from fleet.ops.shift_live import ServiceInState
from fleet.ops.shift_metrics import Side, TargetGroupRef, judge
from fleet.ops.shift_queries import CheckQueries, QueryFailed
from support.cli import fleet_here
from support.paths import ROOT
from support.prometheus import prometheus_unavailable, running_prometheus

PROM_QUERY = 'max(ratio{generation="{{ generation }}"})'


def _validate(tmp_path: Path, shift: Any) -> subprocess.CompletedProcess[str]:
    data = yaml.safe_load((ROOT / "examples/target-swap.yaml").read_text())
    data["services"]["web"]["traffic"]["shift"] = shift
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return fleet_here("validate", path)


def _prom(url: str = "https://prometheus.example.com", query: str = PROM_QUERY, **more: Any) -> dict[str, Any]:
    return {"checks": {"orders": {"prometheus": {"url": url, "query": query}, **more}}}


@pytest.mark.parametrize(
    ("shift", "said"),
    [
        (
            _prom(query='up{g="{{ gen }}"}', max=1),
            "services.web.traffic.shift.checks.orders.prometheus.query: unknown placeholder {{ gen }}",
        ),
        (_prom(), "services.web.traffic.shift.checks.orders: no threshold: give max (or min)"),
        (
            _prom(url="http://prometheus.internal:9090", max=1),
            "checks.orders.prometheus.url: 'http://prometheus.internal:9090' is not https: outside loopback",
        ),
        (_prom(query="up{{", max=1), "has an unclosed placeholder"),
        (_prom(max=1, min=0), "give max or min, not both"),
        (
            {"checks": {"orders": {"cloudwatch": {"expression": "m1", "insights": "SELECT 1"}, "max": 1}}},
            "give exactly one of expression (metric math) or insights",
        ),
        (
            {"relative": {"target_5xx": {"max_points": 1, "max_times": 2}}},
            "relative.target_5xx: give exactly one of max_points or max_times",
        ),
        ({"acceptance": {"timeout_seconds": 5}}, "acceptance: give exactly one of command or http"),
        ({"max_elb_5xx_percent": 101}, "services.web.traffic.shift.max_elb_5xx_percent"),
        (
            {"checks": {"Orders": _prom(max=1)["checks"]["orders"]}},
            "services.web.traffic.shift.checks.Orders: 'Orders' is not a check name",
        ),
    ],
    ids=[
        "unknown-placeholder",
        "no-threshold",
        "http-outside-loopback",
        "unclosed",
        "max-and-min",
        "two-queries",
        "relative-both",
        "acceptance-neither",
        "elb-share",
        "check-name",
    ],
)
def test_a_wrong_check_gets_one_line_naming_the_field(tmp_path, shift, said):
    done = _validate(tmp_path, shift)
    assert done.returncode == 2, done.stdout
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and said in errors[0], done.stderr
    assert "Traceback" not in done.stderr


def test_checks_on_loopback_and_every_placeholder_validate(tmp_path):
    query = " ".join("{{ " + p + " }}" for p in ("generation", "service", "target_group", "load_balancer", "interval"))
    done = _validate(tmp_path, _prom(url="http://127.0.0.1:9090", query=f"up # {query}", max=1))
    assert done.returncode == 0, done.stderr


# --- relative rules -----------------------------------------------------------------------------

RELATIVE = Shift.model_validate(
    {"min_requests": 20, "max_5xx_percent": 5.0, "relative": {"target_5xx": {"max_points": 1.0}}}
)


@pytest.mark.parametrize(
    ("incoming", "outgoing", "verdict", "why"),
    [
        (Side(100, 2), Side(900, 18), "pass", ""),  # a steady 2 %: the default max_5xx_percent 1 would fail it
        (Side(100, 3), Side(900, 1), "fail", "5xx 3.00% vs outgoing 0.11%: worse than relative +1%"),
        (Side(100, 6), Side(900, 54), "fail", "5xx 6.00% > max_5xx_percent 5%"),  # the bound still holds
        (Side(100, 3), Side(10, 0), "inconclusive", "outgoing 10 requests < min_requests 20 (no baseline)"),
        (Side(100, 3), None, "pass", ""),  # the 100 % step: no outgoing traffic, the fixed bounds alone
    ],
)
def test_a_relative_rule_judges_the_incoming_side_against_the_outgoing_one(incoming, outgoing, verdict, why):
    period = judge(RELATIVE, 0, 60, incoming, outgoing)
    assert (period.verdict, period.why) == (verdict, why)


def test_the_default_bound_fails_the_steady_rate_the_relative_rule_passes():
    assert judge(Shift(min_requests=20), 0, 60, Side(100, 2), Side(900, 18)).verdict == "fail"


def test_a_times_rule_and_a_min_check():
    shift = Shift.model_validate(
        {
            "min_requests": 1,
            "relative": {"latency": {"max_times": 1.5}},
            "checks": {"success": {"prometheus": {"url": "https://p.example.com", "query": "x"}, "min": 0.9}},
        }
    )
    slow = judge(shift, 0, 60, Side(100, latency_s=0.2), Side(100, latency_s=0.1), checks={"success": (0.95, None)})
    assert slow.why == "TargetResponseTime p99 200 ms vs outgoing 100 ms: worse than relative x1.5"
    low = judge(shift, 0, 60, Side(100, latency_s=0.1), Side(100, latency_s=0.1), checks={"success": (0.8, None)})
    assert low.why == "success 0.8 < min 0.9"


# --- a Prometheus check against a real Prometheus ----------------------------------------------

START = 1_900_000_020.0


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    why = prometheus_unavailable()
    if why:
        pytest.skip(why)
    samples = [
        ("ratio", {"generation": gen, "pod": pod}, START + 60 * minute, value)
        for minute in range(10)
        for gen, pod, value in (("green", "a", 0.1), ("green", "b", 0.4), ("blue", "a", 0.05))
    ]
    with running_prometheus(samples, tmp_path_factory.mktemp("prometheus")) as url:
        yield url


def _queries(url: str, query: str = PROM_QUERY, **more: Any) -> CheckQueries:
    check = {"prometheus": {"url": url, "query": query}, "max": 0.3, **more}
    return CheckQueries(Shift.model_validate({"checks": {"orders": check}}), "web", "app/lb/1", cloudwatch=None)


GREEN = TargetGroupRef("green", "targetgroup/acme-green/1")
BLUE = TargetGroupRef("blue", "targetgroup/acme-blue/2")


def test_a_prometheus_check_reads_the_worst_series_of_each_generation(prometheus):
    query = 'ratio{generation="{{ generation }}"}'
    values, unasked = _queries(prometheus, query, relative={"max_points": 0.1}).period(
        [GREEN], [BLUE], START, START + 300
    )
    assert (values, unasked) == ({"orders": (0.4, 0.05)}, {})


def test_a_prometheus_check_without_series_has_no_value_and_a_bad_query_says_why(prometheus):
    values, unasked = _queries(prometheus, 'ratio{generation="none"}').period([GREEN], [], START, START + 300)
    assert values == {"orders": (None, None)} and unasked == {}
    values, unasked = _queries(prometheus, "ratio{").period([GREEN], [], START, START + 300)
    assert values == {"orders": (None, None)}
    assert unasked["orders"].startswith("Prometheus answered 400: "), unasked


def test_a_prometheus_answer_that_is_not_a_vector_is_refused(prometheus):
    ranged = _queries(prometheus, "ratio[5m]")
    with pytest.raises(QueryFailed, match="answered a matrix"):
        ranged._ask(ranged.shift.checks["orders"], GREEN, START, START + 300)  # noqa: SLF001


# --- acceptance ---------------------------------------------------------------------------------


def _state() -> ServiceInState:
    return ServiceInState("l", "arn:l", "app/lb/1", {"green": GREEN}, {}, {"blue": 100, "green": 0}, "lb.example.com")


class _Reached(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        ok = self.headers.get("X-Ephemeral-Eks-Generation") == "green" and self.path == "/healthz"
        self.send_response(200 if ok else 503)
        self.end_headers()
        self.wfile.write(b"reached" if ok else b"not green")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    listening = http.server.HTTPServer(("127.0.0.1", 0), _Reached)
    threading.Thread(target=listening.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listening.server_address[1]}"
    finally:
        listening.shutdown()
        listening.server_close()


def test_the_http_probe_reaches_the_generation_by_its_header(server):
    passing = Shift.model_validate({"acceptance": {"url": server, "http": {"path": "/healthz"}}})
    assert acceptance_failure(passing, "web", _state(), ["green"]) is None
    failing = Shift.model_validate({"acceptance": {"url": server, "http": {"path": "/other"}}})
    failed = acceptance_failure(failing, "web", _state(), ["green"])
    assert failed is not None and failed.line.endswith("answered 503, not 200") and failed.output == "not green"


def test_the_acceptance_command_sees_the_route_and_its_timeout_fails_it():
    check = 'test "$FLEET_SHIFT_URL $FLEET_SHIFT_HEADER" = "https://lb.example.com X-Ephemeral-Eks-Generation: green"'
    assert (
        acceptance_failure(Shift.model_validate({"acceptance": {"command": check}}), "web", _state(), ["green"]) is None
    )
    slow = Shift.model_validate({"acceptance": {"command": "echo started; sleep 30", "timeout_seconds": 1}})
    failed = acceptance_failure(slow, "web", _state(), ["green"])
    assert failed is not None and "longer than timeout_seconds 1" in failed.line


# --- the record ---------------------------------------------------------------------------------


def test_a_malformed_record_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    for name in ("CI", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(names, "PROJECT_ROOT", tmp_path)
    file = ROOT / "examples/target-swap-shift.yaml"
    fleet = yaml.safe_load(file.read_text())
    record = tmp_path / "state" / fleet["name"] / fleet["region"] / "shift" / "web.json"
    record.parent.mkdir(parents=True)
    record.write_text('{"service": "web", "before": ')
    code = shift_command.run(str(file), "web", tmp_path / "no-synth", resume=False, abort=False, as_json=False)
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    assert f"{record}: not a readable shift record" in lines[0], lines[0]


def test_the_example_in_docs_shift_md_validates():
    text = (ROOT / "docs" / "shift.md").read_text()
    block = text.split("A service that uses every kind of check:\n\n```yaml\n", 1)[1].split("```", 1)[0]
    shift = Shift.model_validate(yaml.safe_load(block)["shift"])
    assert set(shift.checks) == {"checkout-errors", "p99"} and shift.acceptance is not None

"""The shift's analysis: per period, everything the ALB records in CloudWatch (`AWS/ApplicationELB`)
about the incoming and the outgoing generations, the team's own checks, and the verdict on them.

Per side (incoming, outgoing), summed over its target groups (LoadBalancer + TargetGroup
dimensions): RequestCount, HTTPCode_Target_5XX_Count, TargetConnectionErrorCount, the worst
TargetResponseTime and the most UnHealthyHostCount; and HTTPCode_ELB_5XX_Count of the load balancer
alone (CloudWatch has no TargetGroup dimension for it), charged to the incoming side. Ratios are
computed here, not in metric math. A missing count datapoint is 0 (the ALB publishes none while
nothing happened). A period with fewer than `min_requests` incoming requests is inconclusive,
whatever its ratios; unhealthy hosts fail it even then. The outgoing side is judged never on its
own: it is only the baseline of the relative rules, read while it takes traffic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from fleet.model.shift import Shift
from fleet.model.shift_checks import Relative

NAMESPACE = "AWS/ApplicationELB"
PUBLISH_DELAY_SECONDS = 120
"""The newest minutes CloudWatch may not have published yet: a period is read only this long
after it ended (ALB metrics arrive within about a minute; one more for margin)."""

Verdict = Literal["pass", "fail", "inconclusive"]


@dataclass(frozen=True)
class TargetGroupRef:
    generation: str
    dimension: str
    """`targetgroup/<name>/<id>`: the TargetGroup dimension, the tail of the group's ARN."""

    @property
    def name(self) -> str:
        return self.dimension.split("/")[1] if self.dimension.count("/") >= 2 else self.dimension


def arn_dimension(arn: str, kind: str) -> str:
    """`app/<name>/<id>` of a load balancer ARN, `targetgroup/<name>/<id>` of a target group's."""
    tail = arn.split(":")[-1]
    return tail.removeprefix("loadbalancer/") if kind == "loadbalancer" else tail


@dataclass(frozen=True)
class Side:
    """What the ALB recorded of one side's target groups in one period."""

    requests: float = 0.0
    errors: float = 0.0
    """HTTPCode_Target_5XX_Count"""
    connection_errors: float = 0.0
    """TargetConnectionErrorCount"""
    latency_s: float | None = None
    unhealthy: float = 0.0

    def percent(self, count: float) -> float:
        return 100 * count / self.requests if self.requests else 0.0

    @property
    def latency_ms(self) -> float | None:
        return None if self.latency_s is None else self.latency_s * 1000


@dataclass(frozen=True)
class Measure:
    """One check's value in one period: incoming, outgoing (the baseline, when read) and its verdict."""

    name: str
    incoming: float | None
    outgoing: float | None = None
    unit: str = ""
    threshold: str = ""
    verdict: Verdict | Literal["-"] = "pass"
    why: str = ""

    def shown(self) -> str:
        def one(value: float | None) -> str:
            return "-" if value is None else _num(value, self.unit) + self.unit

        return one(self.incoming) + (f" (outgoing {one(self.outgoing)})" if self.outgoing is not None else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "incoming": _rounded(self.incoming),
            "outgoing": _rounded(self.outgoing),
            "unit": self.unit,
            "threshold": self.threshold,
            "verdict": self.verdict,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass(frozen=True)
class Period:
    start: float
    end: float
    incoming: Side
    outgoing: Side | None
    """None while the outgoing generations take no traffic (no baseline exists)."""
    measures: tuple[Measure, ...]
    verdict: Verdict
    why: str
    """The thresholds crossed (fail) or what is missing (inconclusive); empty on pass."""

    @property
    def requests(self) -> float:
        return self.incoming.requests

    def as_json(self) -> dict[str, Any]:
        return {
            "start": _iso(self.start),
            "end": _iso(self.end),
            "requests": self.incoming.requests,
            "outgoing_requests": None if self.outgoing is None else self.outgoing.requests,
            "values": {m.name: m.as_json() for m in self.measures},
            "verdict": self.verdict,
            "why": self.why,
        }


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _relative_fails(rule: Relative, incoming: float, outgoing: float, lower_is_better: bool) -> bool:
    if not lower_is_better:
        incoming, outgoing = -incoming, -outgoing  # how far below the baseline, as how far above
        if rule.max_times is not None:
            return -incoming < -outgoing / rule.max_times
    if rule.max_points is not None:
        return incoming - outgoing > rule.max_points
    assert rule.max_times is not None
    return incoming > outgoing * rule.max_times


@dataclass
class _Judging:
    shift: Shift
    baseline: bool
    """Whether the outgoing side took enough requests to be a baseline this period."""
    floor_missed: bool
    """Whether the incoming side took fewer than `min_requests`: only ungated measures are judged."""
    failures: list[str] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)

    def judge(
        self,
        name: str,
        incoming: float | None,
        outgoing: float | None,
        unit: str,
        *,
        limit: float | None,
        limit_name: str,
        relative: Relative | None,
        lower_is_better: bool = True,
        gated: bool = True,
    ) -> None:
        """`gated`: judged only once the incoming side took `min_requests` (else shown, not judged)."""
        thresholds = [f"{limit_name} {limit:g}{unit}" if limit is not None else ""]
        if relative is not None:
            thresholds.append(f"relative {relative.shown()}{unit if relative.max_points is not None else ''}")
        threshold = ", ".join(t for t in thresholds if t)
        shown_outgoing = outgoing if self.baseline else None
        verdict: Verdict | Literal["-"] = "pass"
        why = ""
        if incoming is None:
            verdict = "-"
        elif not gated or not self.floor_missed:
            if limit is not None and (incoming > limit if lower_is_better else incoming < limit):
                verdict, why = (
                    "fail",
                    f"{name} {_num(incoming, unit)}{unit} {'>' if lower_is_better else '<'} {limit_name} {limit:g}{unit}",
                )
            elif relative is not None and self.baseline and outgoing is not None:
                if _relative_fails(relative, incoming, outgoing, lower_is_better):
                    verdict, why = (
                        "fail",
                        f"{name} {_num(incoming, unit)}{unit} vs outgoing {_num(outgoing, unit)}{unit}: worse than relative {relative.shown()}{unit.strip() if relative.max_points is not None else ''}",
                    )
        else:
            verdict = "-"
        if why:
            self.failures.append(why)
        self.measures.append(Measure(name, incoming, shown_outgoing, unit, threshold, verdict, why))


def _num(value: float, unit: str = "") -> str:
    return f"{value:.2f}" if unit == "%" else f"{value:.0f}" if unit == " ms" else f"{value:g}"


def judge(
    shift: Shift,
    start: float,
    end: float,
    incoming: Side,
    outgoing: Side | None = None,
    elb_5xx: float = 0.0,
    checks: dict[str, tuple[float | None, float | None]] | None = None,
    unasked: dict[str, str] | None = None,
) -> Period:
    """One period's verdict: the fixed thresholds on the incoming side, the relative rules against
    the outgoing side while it takes traffic, and the team's checks (name -> (incoming, outgoing));
    a check in `unasked` (name -> why) could not be asked: it holds the period, whatever `if_missing` says."""
    floor_missed = incoming.requests < shift.min_requests or incoming.requests == 0
    baseline = outgoing is not None and outgoing.requests >= max(shift.min_requests, 1)
    run = _Judging(shift, baseline, floor_missed)
    if floor_missed:
        run.holds.append(f"{incoming.requests:g} requests < min_requests {shift.min_requests}")
    relative_wanted = any((shift.relative.target_5xx, shift.relative.connection_errors, shift.relative.latency)) or any(
        c.relative for c in shift.checks.values()
    )
    if relative_wanted and outgoing is not None and not baseline and not floor_missed:
        run.holds.append(f"outgoing {outgoing.requests:g} requests < min_requests {shift.min_requests} (no baseline)")
    out = outgoing or Side()
    run.judge(
        "UnHealthyHostCount", incoming.unhealthy, out.unhealthy if outgoing else None, "",
        limit=shift.max_unhealthy_hosts, limit_name="max_unhealthy_hosts", relative=None, gated=False,
    )  # fmt: skip
    run.judge(
        "5xx", incoming.percent(incoming.errors), out.percent(out.errors), "%",
        limit=shift.max_5xx_percent, limit_name="max_5xx_percent", relative=shift.relative.target_5xx,
    )  # fmt: skip
    run.judge(
        "connection errors", incoming.percent(incoming.connection_errors), out.percent(out.connection_errors), "%",
        limit=shift.max_connection_error_percent, limit_name="max_connection_error_percent",
        relative=shift.relative.connection_errors,
    )  # fmt: skip
    run.judge(
        "ELB 5xx", incoming.percent(elb_5xx), None, "%",
        limit=shift.max_elb_5xx_percent, limit_name="max_elb_5xx_percent", relative=None,
    )  # fmt: skip
    run.judge(
        f"TargetResponseTime {shift.latency_statistic}", incoming.latency_ms, out.latency_ms, " ms",
        limit=shift.max_latency_ms, limit_name="max_latency_ms", relative=shift.relative.latency,
    )  # fmt: skip
    for name, check in shift.checks.items():
        value, base = (checks or {}).get(name, (None, None))
        if name in (unasked or {}):
            value, base = None, None
            run.holds.append(f"{name}: {(unasked or {})[name]}")
        elif value is None and check.if_missing == "zero":
            value = 0.0
        if value is None and check.if_missing == "fail" and not floor_missed:
            run.failures.append(f"{name}: no value")
        elif value is None and not floor_missed:
            run.holds.append(f"{name}: no value")
        run.judge(
            name, value, base, "",
            limit=check.max if check.max is not None else check.min, limit_name="max" if check.min is None else "min",
            relative=check.relative, lower_is_better=check.lower_is_better,
        )  # fmt: skip
    if run.failures:
        verdict: Verdict = "fail"
        why = "; ".join(run.failures)
    elif run.holds:
        verdict, why = "inconclusive", "; ".join(run.holds)
    else:
        verdict, why = "pass", ""
    return Period(start, end, incoming, outgoing, tuple(run.measures), verdict, why)


class CloudWatchMetrics:
    """GetMetricData for the incoming and outgoing target groups and the load balancer over one period."""

    def __init__(self, cloudwatch: Any, shift: Shift, load_balancer: str) -> None:
        self.cloudwatch = cloudwatch
        self.shift = shift
        self.load_balancer = load_balancer

    def _query(self, n: int, dimension: str | None, metric: str, stat: str) -> dict[str, Any]:
        dims = [{"Name": "LoadBalancer", "Value": self.load_balancer}]
        if dimension is not None:
            dims.append({"Name": "TargetGroup", "Value": dimension})
        return {
            "Id": f"m{n}",
            "MetricStat": {
                "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": dims},
                "Period": self.shift.period_minutes * 60,
                "Stat": stat,
            },
            "ReturnData": True,
        }

    def fetch(self, queries: list[dict[str, Any]], start: float, end: float) -> dict[str, list[float]]:
        """Every query's values in [start, end), by Id (all pages of GetMetricData)."""
        values: dict[str, list[float]] = {q["Id"]: [] for q in queries}
        token = None
        while True:
            kwargs: dict[str, Any] = {
                "MetricDataQueries": queries,
                "StartTime": datetime.fromtimestamp(start, UTC),
                "EndTime": datetime.fromtimestamp(end, UTC),
            }
            if token:
                kwargs["NextToken"] = token
            answer = self.cloudwatch.get_metric_data(**kwargs)
            for result in answer.get("MetricDataResults", []):
                values.setdefault(result["Id"], []).extend(float(v) for v in result.get("Values", []))
            token = answer.get("NextToken")
            if not token:
                break
        return values

    def period(
        self, incoming: list[TargetGroupRef], outgoing: list[TargetGroupRef], start: float, end: float
    ) -> tuple[Side, Side | None, float]:
        """(incoming side, outgoing side or None without outgoing groups, the load balancer's ELB 5xx)."""
        wanted = [
            ("RequestCount", "Sum"),
            ("HTTPCode_Target_5XX_Count", "Sum"),
            ("TargetConnectionErrorCount", "Sum"),
            ("TargetResponseTime", self.shift.latency_statistic),
            ("UnHealthyHostCount", "Maximum"),
        ]
        queries: list[dict[str, Any]] = []
        meaning: dict[str, tuple[str, str]] = {}
        for which, groups in (("in", incoming), ("out", outgoing)):
            for group in groups:
                for metric, stat in wanted:
                    query = self._query(len(queries), group.dimension, metric, stat)
                    meaning[query["Id"]] = (which, metric)
                    queries.append(query)
        elb = self._query(len(queries), None, "HTTPCode_ELB_5XX_Count", "Sum")
        queries.append(elb)
        values = self.fetch(queries, start, end)
        per: dict[tuple[str, str], list[float]] = {}
        for query_id, found in values.items():
            if query_id in meaning:
                per.setdefault(meaning[query_id], []).extend(found)

        def side(name: str) -> Side:
            latency = per.get((name, "TargetResponseTime"), [])
            return Side(
                requests=sum(per.get((name, "RequestCount"), [])),
                errors=sum(per.get((name, "HTTPCode_Target_5XX_Count"), [])),  # no datapoint: none
                connection_errors=sum(per.get((name, "TargetConnectionErrorCount"), [])),
                latency_s=max(latency) if latency else None,
                unhealthy=max(per.get((name, "UnHealthyHostCount"), []), default=0.0),
            )

        return side("in"), side("out") if outgoing else None, sum(values.get(elb["Id"], []))

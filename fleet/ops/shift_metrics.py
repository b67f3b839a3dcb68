"""The shift's analysis: per period, the incoming generations' target groups in CloudWatch
(`AWS/ApplicationELB`, LoadBalancer + TargetGroup dimensions) and the verdict on them.

Ratios are computed here, not in metric math: requests and 5xx summed over the incoming groups,
the 5xx share of the requests, the worst latency and the most unhealthy hosts of any group. A
missing 5xx datapoint is 0 (the ALB publishes none while no target answers 5xx); a period with
fewer than `min_requests` requests is inconclusive, whatever its ratios; unhealthy hosts fail a
period even then. The outgoing generations are never queried, so they can never abort a shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from fleet.model.shift import Shift

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


def arn_dimension(arn: str, kind: str) -> str:
    """`app/<name>/<id>` of a load balancer ARN, `targetgroup/<name>/<id>` of a target group's."""
    tail = arn.split(":")[-1]
    return tail.removeprefix("loadbalancer/") if kind == "loadbalancer" else tail


@dataclass(frozen=True)
class Period:
    start: float
    end: float
    requests: float
    errors: float
    latency_ms: float | None
    unhealthy: float
    verdict: Verdict
    why: str
    """The threshold crossed (fail) or what is missing (inconclusive); empty on pass."""

    @property
    def error_percent(self) -> float:
        return 100 * self.errors / self.requests if self.requests else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "start": _iso(self.start),
            "end": _iso(self.end),
            "requests": self.requests,
            "errors_5xx": self.errors,
            "error_percent": round(self.error_percent, 3),
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "unhealthy_hosts": self.unhealthy,
            "verdict": self.verdict,
            "why": self.why,
        }


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def judge(
    shift: Shift, start: float, end: float, requests: float, errors: float, latency_s: float | None, unhealthy: float
) -> Period:
    """One period's verdict against the service's thresholds."""
    latency_ms = None if latency_s is None else latency_s * 1000
    error_percent = 100 * errors / requests if requests else 0.0
    verdict: Verdict = "fail"
    if unhealthy > shift.max_unhealthy_hosts:
        why = f"UnHealthyHostCount {unhealthy:g} > max_unhealthy_hosts {shift.max_unhealthy_hosts}"
    elif requests < shift.min_requests or requests == 0:
        verdict, why = "inconclusive", f"{requests:g} requests < min_requests {shift.min_requests}"
    elif error_percent > shift.max_5xx_percent:
        why = f"5xx {error_percent:.2f}% > max_5xx_percent {shift.max_5xx_percent:g}%"
    elif latency_ms is not None and latency_ms > shift.max_latency_ms:
        why = (
            f"TargetResponseTime {shift.latency_statistic} {latency_ms:.0f} ms > max_latency_ms {shift.max_latency_ms}"
        )
    else:
        verdict, why = "pass", ""
    return Period(start, end, requests, errors, latency_ms, unhealthy, verdict, why)


class CloudWatchMetrics:
    """GetMetricData for the incoming target groups over one period."""

    def __init__(self, cloudwatch: Any, shift: Shift, load_balancer: str) -> None:
        self.cloudwatch = cloudwatch
        self.shift = shift
        self.load_balancer = load_balancer

    def _query(self, n: int, group: TargetGroupRef, metric: str, stat: str) -> dict[str, Any]:
        return {
            "Id": f"m{n}",
            "MetricStat": {
                "Metric": {
                    "Namespace": NAMESPACE,
                    "MetricName": metric,
                    "Dimensions": [
                        {"Name": "LoadBalancer", "Value": self.load_balancer},
                        {"Name": "TargetGroup", "Value": group.dimension},
                    ],
                },
                "Period": self.shift.period_minutes * 60,
                "Stat": stat,
            },
            "ReturnData": True,
        }

    def period(self, groups: list[TargetGroupRef], start: float, end: float) -> Period:
        wanted = [
            ("RequestCount", "Sum"),
            ("HTTPCode_Target_5XX_Count", "Sum"),
            ("TargetResponseTime", self.shift.latency_statistic),
            ("UnHealthyHostCount", "Maximum"),
        ]
        queries: list[dict[str, Any]] = []
        meaning: dict[str, str] = {}
        for group in groups:
            for metric, stat in wanted:
                query = self._query(len(queries), group, metric, stat)
                meaning[query["Id"]] = metric
                queries.append(query)
        values: dict[str, list[float]] = {metric: [] for metric, _ in wanted}
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
                values[meaning[result["Id"]]].extend(float(v) for v in result.get("Values", []))
            token = answer.get("NextToken")
            if not token:
                break
        latency = values["TargetResponseTime"]
        return judge(
            self.shift,
            start,
            end,
            requests=sum(values["RequestCount"]),
            errors=sum(values["HTTPCode_Target_5XX_Count"]),  # no datapoint: no 5xx
            latency_s=max(latency) if latency else None,
            unhealthy=max(values["UnHealthyHostCount"], default=0.0),
        )

"""The team's checks of `traffic.shift.checks`, asked once per generation per period: CloudWatch
(GetMetricData: metric math over named metrics, or a Metrics Insights query) and Prometheus (an
instant PromQL query at the period's end against its HTTP API; Amazon Managed Service for
Prometheus signed with SigV4 by botocore and the job's AWS credentials).

Each generation's placeholders are filled in (`{{ target_group }}`, ...). Of several incoming (or
outgoing) generations the worst value counts: the highest for a `max` check, the lowest for a
`min` one. A query that answers nothing gives None (the check's `if_missing` decides); one that
cannot be asked (Prometheus down, a refused query) gives None and a reason, which holds the period
as inconclusive: the step waits, and the shift's timeout ends the wait with a rollback.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fleet.model.shift import Shift
from fleet.model.shift_checks import Check, CloudWatchQuery, PrometheusQuery, fill
from fleet.ops.shift_metrics import CloudWatchMetrics, Period, TargetGroupRef, judge
from fleet.text import printable

RESULT_ID = "fleetshiftvalue"
"""The Id of the query whose values a CloudWatch check reads (the user's own ids name its metrics)."""
PROMETHEUS_TIMEOUT = 20
Credentials = Callable[[], Any]
"""botocore credentials (with get_frozen_credentials()) for a SigV4-signed Prometheus query."""


def placeholders(service: str, load_balancer: str, group: TargetGroupRef, period_seconds: int) -> dict[str, str]:
    return {
        "generation": group.generation,
        "service": service,
        "target_group": group.dimension,
        "target_group_name": group.name,
        "load_balancer": load_balancer,
        "interval": f"{period_seconds}s",
        "period_seconds": str(period_seconds),
    }


def default_credentials() -> Any:
    import botocore.session

    return botocore.session.get_session().get_credentials()


class CheckQueries:
    """Asks every check of a shift for the incoming and the outgoing generations of one period."""

    def __init__(
        self,
        shift: Shift,
        service: str,
        load_balancer: str,
        cloudwatch: Any,
        credentials: Credentials = default_credentials,
    ) -> None:
        self.shift = shift
        self.service = service
        self.load_balancer = load_balancer
        self.cloudwatch = cloudwatch
        self.credentials = credentials

    def period(
        self, incoming: list[TargetGroupRef], outgoing: list[TargetGroupRef], start: float, end: float
    ) -> tuple[dict[str, tuple[float | None, float | None]], dict[str, str]]:
        """Per check, (incoming value, outgoing value or None); and per check why it could not be asked."""
        values: dict[str, tuple[float | None, float | None]] = {}
        problems: dict[str, str] = {}
        for name, check in self.shift.checks.items():
            sides: list[float | None] = []
            for groups in (incoming, outgoing if check.relative is not None else []):
                found: list[float] = []
                for group in groups:
                    try:
                        found += self._ask(check, group, start, end)
                    except QueryFailed as err:
                        problems.setdefault(name, str(err))
                sides.append(_worst(found, check))
            values[name] = (sides[0], sides[1] if len(sides) > 1 else None)
        return values, problems

    def _ask(self, check: Check, group: TargetGroupRef, start: float, end: float) -> list[float]:
        seconds = self.shift.period_minutes * 60
        filled = placeholders(self.service, self.load_balancer, group, seconds)
        if check.cloudwatch is not None:
            return self._cloudwatch(check.cloudwatch, filled, seconds, start, end)
        assert check.prometheus is not None
        return self._prometheus(check.prometheus, filled, end)

    def _cloudwatch(
        self, query: CloudWatchQuery, filled: dict[str, str], seconds: int, start: float, end: float
    ) -> list[float]:
        queries: list[dict[str, Any]] = []
        if query.insights is not None:
            queries.append(
                {"Id": RESULT_ID, "Expression": fill(query.insights, filled), "Period": seconds, "ReturnData": True}
            )
        else:
            assert query.expression is not None
            for metric_id, metric in query.metrics.items():
                queries.append(
                    {
                        "Id": metric_id,
                        "MetricStat": {
                            "Metric": {
                                "Namespace": fill(metric.namespace, filled),
                                "MetricName": fill(metric.metric, filled),
                                "Dimensions": [
                                    {"Name": key, "Value": fill(value, filled)}
                                    for key, value in metric.dimensions.items()
                                ],
                            },
                            "Period": seconds,
                            "Stat": metric.stat,
                        },
                        "ReturnData": False,
                    }
                )
            queries.append({"Id": RESULT_ID, "Expression": fill(query.expression, filled), "ReturnData": True})
        try:
            answer = self.cloudwatch.get_metric_data(
                MetricDataQueries=queries,
                StartTime=datetime.fromtimestamp(start, UTC),
                EndTime=datetime.fromtimestamp(end, UTC),
            )
        except (BotoCoreError, ClientError) as err:
            raise QueryFailed(f"CloudWatch: {printable(str(err))[:200]}") from None
        return [
            float(v)
            for result in answer.get("MetricDataResults", [])
            if result.get("Id") == RESULT_ID
            for v in result.get("Values", [])
            if math.isfinite(float(v))
        ]

    def _prometheus(self, query: PrometheusQuery, filled: dict[str, str], end: float) -> list[float]:
        url = fill(query.url, filled) + "/api/v1/query"
        body = urllib.parse.urlencode({"query": fill(query.query, filled), "time": f"{end:.3f}"})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        region = query.amp_region()
        if region is not None:
            headers = _signed(url, body, headers, region, self.credentials())
        request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=PROMETHEUS_TIMEOUT) as answer:  # noqa: S310 - http(s) only (model)
                data = json.loads(answer.read().decode())
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            raise QueryFailed(f"Prometheus answered {err.code}: {printable(detail)[:200]}") from None
        except (OSError, ValueError) as err:
            raise QueryFailed(f"Prometheus at {query.url}: {printable(str(err))[:200]}") from None
        return _prometheus_values(data)


class QueryFailed(Exception):
    """A check's query could not be asked or answered; `str()` says why in one line."""


def _signed(url: str, body: str, headers: dict[str, str], region: str, credentials: Any) -> dict[str, str]:
    """The headers of a SigV4-signed POST to Amazon Managed Service for Prometheus (service `aps`)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    if credentials is None:
        raise QueryFailed("no AWS credentials to sign the query to Amazon Managed Service for Prometheus")
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(credentials.get_frozen_credentials(), "aps", region).add_auth(request)
    return dict(request.headers.items())


def _prometheus_values(data: Any) -> list[float]:
    if not isinstance(data, dict) or data.get("status") != "success":
        error = data.get("error", "not a Prometheus answer") if isinstance(data, dict) else "not a Prometheus answer"
        raise QueryFailed(f"Prometheus: {printable(str(error))[:200]}")
    result = data.get("data", {})
    kind, found = result.get("resultType"), result.get("result")
    if kind == "scalar":
        samples = [found]
    elif kind == "vector":
        samples = [series.get("value") for series in found or []]
    else:
        raise QueryFailed(f"Prometheus answered a {kind}; the query must give an instant vector or a scalar")
    values = []
    for sample in samples:
        try:
            value = float(sample[1])
        except (TypeError, ValueError, IndexError):
            continue
        if math.isfinite(value):
            values.append(value)
    return values


def _worst(values: list[float], check: Check) -> float | None:
    if not values:
        return None
    return max(values) if check.lower_is_better else min(values)


class Analysis:
    """One period of a shift judged: the ALB's metrics of both sides, the team's checks, the verdict."""

    def __init__(
        self,
        shift: Shift,
        metrics: CloudWatchMetrics,
        checks: CheckQueries,
        incoming: list[TargetGroupRef],
        outgoing: list[TargetGroupRef],
    ) -> None:
        self.shift, self.metrics, self.checks = shift, metrics, checks
        self.incoming, self.outgoing = incoming, outgoing

    def period(self, start: float, end: float, baseline: bool) -> Period:
        """`baseline`: whether the outgoing generations take traffic at this step (else no relative rule)."""
        outgoing = self.outgoing if baseline else []
        incoming_side, outgoing_side, elb_5xx = self.metrics.period(self.incoming, outgoing, start, end)
        values, unasked = self.checks.period(self.incoming, outgoing, start, end)
        return judge(self.shift, start, end, incoming_side, outgoing_side, elb_5xx, values, unasked)

"""The checks of `services.<svc>.traffic.shift` beyond the ALB's fixed thresholds: relative rules
(the incoming generations against the outgoing ones in the same period), the team's own queries
(CloudWatch metric math or Metrics Insights, PromQL against any Prometheus HTTP API) and an
acceptance test run through the header route before the first step.

A query names the generation it judges with placeholders, `{{ name }}` as in Flagger's metric
templates (PromQL and metric math never write two braces in a row): the same query judges the
incoming generation and, for a relative rule, the outgoing one.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StrictStr, model_validator

from fleet.model.types import Model, pattern
from fleet.text import quoted

PLACEHOLDERS: dict[str, str] = {
    "generation": "the generation judged (green)",
    "service": "the service (web)",
    "target_group": "its TargetGroup dimension (targetgroup/<name>/<id>)",
    "target_group_name": "its target group's name",
    "load_balancer": "the LoadBalancer dimension (app/<name>/<id>)",
    "interval": "the period as a PromQL duration (60s)",
    "period_seconds": "the period in seconds (60)",
}
"""What a query may name; `fleet shift` fills them in for each generation it judges."""
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
MAX_QUERY = 4000
MAX_CHECKS = 10
METRIC_ID = r"[a-z][a-zA-Z0-9_]{0,254}"
"""A GetMetricData query id: starts with a lowercase letter (CloudWatch's rule)."""


def _placeholders(text: str) -> str:
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029" for c in text):
        raise ValueError("holds a control character; write the query on one line of printable text")
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        raise ValueError(
            f"unknown placeholder {{{{ {unknown[0]} }}}}; use one of "
            + ", ".join(f"{{{{ {p} }}}}" for p in PLACEHOLDERS)
        )
    rest = PLACEHOLDER.sub("", text)
    if "{{" in rest or "}}" in rest:
        raise ValueError("has an unclosed placeholder: write {{ name }}, e.g. {{ target_group }}")
    return text


Query = Annotated[StrictStr, Field(min_length=1, max_length=MAX_QUERY), AfterValidator(_placeholders)]
Threshold = Annotated[float, Field(strict=True, allow_inf_nan=False)]
CheckName = Annotated[
    StrictStr, pattern(r"[a-z][a-z0-9-]{0,39}", "a check name: 1-40 lowercase letters, digits or hyphens")
]


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with every placeholder replaced by its value."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


class Relative(Model):
    """How much worse than the outgoing generations the incoming ones may be in the same period:
    `max_points` (incoming - outgoing, in the metric's own unit: percentage points, ms) or
    `max_times` (incoming / outgoing), exactly one. Judged only while the outgoing generations
    take traffic; below `min_requests` on either side the period is inconclusive."""

    max_points: Annotated[float, Field(ge=0, le=1e9, strict=True, allow_inf_nan=False)] | None = None
    """The incoming value may exceed the outgoing one by at most this much (for a `min` check: fall
    below it by at most this much)."""
    max_times: Annotated[float, Field(ge=1, le=1000, strict=True, allow_inf_nan=False)] | None = None
    """The incoming value may be at most this many times the outgoing one (for a `min` check: at
    least the outgoing one divided by it)."""

    @model_validator(mode="after")
    def _one(self) -> Relative:
        if (self.max_points is None) == (self.max_times is None):
            raise ValueError("give exactly one of max_points or max_times (e.g. max_points: 1)")
        return self

    def shown(self) -> str:
        return f"+{self.max_points:g}" if self.max_points is not None else f"x{self.max_times:g}"


class AlbRelative(Model):
    """Relative rules on the ALB's per-target-group metrics (the load balancer's own 5xx cannot be
    split by generation, so it has none)."""

    target_5xx: Relative | None = None
    """The incoming generations' target 5xx percent against the outgoing ones'."""
    connection_errors: Relative | None = None
    """Their connection-error percent against the outgoing ones'."""
    latency: Relative | None = None
    """Their TargetResponseTime (`latency_statistic`, ms) against the outgoing ones'."""


class CloudWatchMetric(Model):
    """One metric a metric-math `expression` names by its key."""

    namespace: Annotated[StrictStr, Field(min_length=1, max_length=255), AfterValidator(_placeholders)]
    """CloudWatch namespace, e.g. AWS/ApplicationELB or your own."""
    metric: Annotated[StrictStr, Field(min_length=1, max_length=255), AfterValidator(_placeholders)]
    """Metric name."""
    dimensions: dict[
        Annotated[StrictStr, Field(min_length=1, max_length=255)],
        Annotated[StrictStr, Field(min_length=1, max_length=1024), AfterValidator(_placeholders)],
    ] = Field(default_factory=dict, max_length=30)
    """Dimension name to value; a value may be a placeholder, e.g. `TargetGroup: '{{ target_group }}'`."""
    stat: Annotated[StrictStr, pattern(r"[A-Za-z0-9.()%:]{1,40}", "a CloudWatch statistic such as Sum or p99")] = "Sum"
    """The statistic over the period. Default: Sum."""


class CloudWatchQuery(Model):
    """A GetMetricData query: a metric-math `expression` over `metrics`, or a Metrics Insights
    `insights` query (SELECT ...), exactly one."""

    expression: Query | None = None
    """Metric math over the keys of `metrics`, e.g. `100 * errors / orders`."""
    metrics: dict[
        Annotated[StrictStr, pattern(METRIC_ID, "a metric id: a lowercase letter, then letters, digits or _")],
        CloudWatchMetric,
    ] = Field(default_factory=dict, max_length=10)
    """The metrics `expression` names, by id."""
    insights: Query | None = None
    """A Metrics Insights query, e.g. `SELECT SUM(Errors) FROM Shop WHERE TargetGroup = '{{ target_group }}'`."""

    @model_validator(mode="after")
    def _one(self) -> CloudWatchQuery:
        if (self.expression is None) == (self.insights is None):
            raise ValueError("give exactly one of expression (metric math) or insights (SELECT ...)")
        if self.insights is not None:
            if self.metrics:
                raise ValueError("metrics: only an expression names metrics; an insights query names its own")
            if not self.insights.lstrip().upper().startswith("SELECT"):
                raise ValueError(f"insights: {quoted(self.insights[:40])} is not a Metrics Insights query (SELECT ...)")
        return self


def loopback(host: str) -> bool:
    """`localhost` or a loopback address: where a URL may be plain http (a Prometheus URL here,
    `fleet check --api-endpoint` in fleet/ops/kube.py)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reachable_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{quoted(value[:80])} is not an http(s) URL such as https://prometheus.example.com")
    if parts.scheme == "http" and not loopback(parts.hostname):
        raise ValueError(
            f"{quoted(value[:80])} is not https: outside loopback (127.0.0.1, ::1, localhost) use https://"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(f"{quoted(value[:80])}: give the URL without credentials, query or fragment")
    return value.rstrip("/")


Url = Annotated[StrictStr, Field(max_length=1000), AfterValidator(_placeholders), AfterValidator(_reachable_url)]
AMP_HOST = re.compile(r"aps-workspaces\.([a-z0-9-]+)\.amazonaws\.com")


class PrometheusQuery(Model):
    """An instant PromQL query at the end of each period against a Prometheus HTTP API. A URL on
    Amazon Managed Service for Prometheus (`https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>`)
    is signed with SigV4 and the job's AWS credentials; any other is asked as it is."""

    url: Url
    """The API's base URL (what precedes /api/v1/query): https, or http on loopback only."""
    query: Query
    """PromQL, e.g. `sum(rate(http_requests_total{code=~"5..",generation="{{ generation }}"}[{{ interval }}]))`."""

    def amp_region(self) -> str | None:
        """The region of an Amazon Managed Service for Prometheus URL, else None."""
        found = AMP_HOST.fullmatch(urlsplit(self.url).hostname or "")
        return found.group(1) if found else None


class Check(Model):
    """A named check of the team's own, judged every period like the ALB's: one query (`cloudwatch`
    or `prometheus`), run once per incoming generation (the worst counts), and a threshold: `max`
    (the value must stay at or below it) or `min` (at or above), or only a `relative` rule."""

    cloudwatch: CloudWatchQuery | None = None
    """A CloudWatch GetMetricData query."""
    prometheus: PrometheusQuery | None = None
    """A PromQL query."""
    max: Threshold | None = None
    """Fails a period whose value is above it."""
    min: Threshold | None = None
    """Fails a period whose value is below it."""
    relative: Relative | None = None
    """Against the same query of the outgoing generations in the same period."""
    if_missing: Literal["inconclusive", "zero", "fail"] = "inconclusive"
    """What a period without a value is: inconclusive (the step holds), zero (a count nothing
    incremented) or a failure. Default: inconclusive."""

    @model_validator(mode="after")
    def _complete(self) -> Check:
        if (self.cloudwatch is None) == (self.prometheus is None):
            raise ValueError("give exactly one of cloudwatch or prometheus")
        if self.max is None and self.min is None and self.relative is None:
            raise ValueError("no threshold: give max (or min) and/or relative, e.g. max: 5")
        if self.max is not None and self.min is not None:
            raise ValueError("give max or min, not both: one direction per check")
        return self

    @property
    def lower_is_better(self) -> bool:
        return self.min is None

    def thresholds(self) -> str:
        """`max 5`, `min 0.99`, `relative +1`: how a reviewer reads this check."""
        parts = [
            f"max {self.max:g}" if self.max is not None else "",
            f"min {self.min:g}" if self.min is not None else "",
        ]
        if self.relative is not None:
            parts.append(f"relative {self.relative.shown()}")
        return ", ".join(p for p in parts if p)

    def source(self) -> str:
        if self.prometheus is not None:
            return "prometheus"
        assert self.cloudwatch is not None
        return "cloudwatch insights" if self.cloudwatch.insights is not None else "cloudwatch"


class HttpProbe(Model):
    """A GET of `path` through the header route, expecting `status`."""

    path: Annotated[StrictStr, pattern(r"/[\x21-\x7e]{0,999}", "a path starting with / (printable ASCII)")] = "/"
    """Path asked. Default: /."""
    status: Annotated[StrictInt, Field(ge=100, le=599)] = 200
    """Status the answer must have. Default: 200."""


class Acceptance(Model):
    """A test of the incoming generation through the ALB's header route (`X-Ephemeral-Eks-Generation:
    <gen>`, admitted only from `traffic.operator_cidrs`, so the runner must be in them) while its
    weight is still 0: a `command` (exit 0 passes) or an `http` probe, exactly one. A failure stops
    the shift before any weight moves."""

    command: Annotated[StrictStr, Field(min_length=1, max_length=MAX_QUERY), AfterValidator(_placeholders)] | None = (
        None
    )
    """Run by `sh -c` with FLEET_SHIFT_URL, FLEET_SHIFT_HEADER (`name: value`), FLEET_SHIFT_GENERATION set."""
    http: HttpProbe | None = None
    """An HTTP GET instead of a command."""
    url: Url | None = None
    """Base URL the test reaches the ALB by (a name its certificate covers). Default: https:// and the ALB's DNS name."""
    timeout_seconds: Annotated[StrictInt, Field(ge=1, le=1800)] = 120
    """Longest the test may take; past it, it failed. Default: 120."""
    verify_tls: StrictBool = True
    """Whether the probe checks the certificate against `url`'s name. Default: true."""

    @model_validator(mode="after")
    def _one(self) -> Acceptance:
        if (self.command is None) == (self.http is None):
            raise ValueError("give exactly one of command or http (e.g. http: {path: /healthz, status: 200})")
        return self


Checks = Annotated[dict[CheckName, Check], Field(max_length=MAX_CHECKS)]

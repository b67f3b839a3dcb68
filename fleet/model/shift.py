"""`services.<svc>.traffic.shift`: how `fleet shift` moves a service's traffic under analysis.

Defaults follow the peers the issue names: Flagger's built-in checks (request success rate >= 99 %,
request duration <= 500 ms, analysis interval 1 minute) and Argo Rollouts' weight steps; the ALB's
CloudWatch metrics come per minute, so a period is a whole number of minutes.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, StrictInt, StrictStr, field_validator, model_validator

from fleet.model.shift_checks import Acceptance, AlbRelative, Checks
from fleet.model.types import Model, pattern

PERIOD_SECONDS = 60
"""The ALB publishes its CloudWatch metrics per minute: a period is whole minutes of them."""
MAX_STEPS = 20
LATENCY_STATISTIC = re.compile(r"p(?:[1-9]\d?(?:\.\d{1,2})?)|Average|Maximum|Minimum")
"""What CloudWatch computes for TargetResponseTime: a percentile `pNN(.NN)` or a plain statistic."""

Percent = Annotated[StrictInt, Field(ge=1, le=100)]
Share = Annotated[float, Field(ge=0, le=100, strict=True, allow_inf_nan=False)]


class Shift(Model):
    """A metric-gated traffic shift: `fleet shift <service>` moves the weights to the file's in
    `steps`, judges the incoming generations' target groups every `period_minutes`, and rolls back
    to the weights live before the shift when they fail. With it, `fleet plan` writes one PR with
    the final weights instead of one per weight step."""

    steps: tuple[Percent, ...] = (5, 25, 50, 100)
    """Share of the traffic the incoming generations take at each step, in percent: rising
    strictly, ending at 100. Default: 5, 25, 50, 100."""
    bake_minutes: Annotated[StrictInt, Field(ge=1, le=180)] = 5
    """Minutes of passing analysis each step needs before the next (inconclusive periods do not
    count). Default: 5."""
    period_minutes: Annotated[StrictInt, Field(ge=1, le=60)] = 1
    """Length of one analysis period (the ALB's metrics come per minute). Default: 1."""
    max_5xx_percent: Share = 1.0
    """Largest share of the incoming generations' requests answered 5xx by their targets in a
    period (HTTPCode_Target_5XX_Count / RequestCount). Default: 1 (a success rate of 99 %)."""
    max_connection_error_percent: Share = 1.0
    """Largest TargetConnectionErrorCount of the incoming target groups in a period, as a share of
    their requests: connections the ALB could not open to a target. Default: 1."""
    max_elb_5xx_percent: Share = 1.0
    """Largest HTTPCode_ELB_5XX_Count of the load balancer in a period (502/503/504 the ALB itself
    returns; CloudWatch does not split it by target group), as a share of the incoming generations'
    requests: while the shift runs, all of it is charged to the shift. Default: 1."""
    max_latency_ms: Annotated[StrictInt, Field(ge=1, le=60_000)] = 500
    """Largest TargetResponseTime, in milliseconds, under `latency_statistic`. Default: 500."""
    latency_statistic: Annotated[
        StrictStr, pattern(LATENCY_STATISTIC.pattern, "a CloudWatch statistic: p99 (any pNN), Average or Maximum")
    ] = "p99"
    """The CloudWatch statistic of TargetResponseTime compared with `max_latency_ms`: a percentile
    such as p99 or p95.5, or Average, Maximum, Minimum. Default: p99."""
    max_unhealthy_hosts: Annotated[StrictInt, Field(ge=0, le=1000)] = 0
    """Largest UnHealthyHostCount (Maximum over the period) of any incoming target group. Default: 0."""
    min_requests: Annotated[StrictInt, Field(ge=0, le=1_000_000)] = 50
    """Requests the incoming generations must receive in a period for it to count; below, the
    period is inconclusive and the step holds (the timeout ends a hold as a failure). Default: 50."""
    failed_periods: Annotated[StrictInt, Field(ge=1, le=100)] = 2
    """Failed periods (any threshold crossed) that abort the shift and roll it back. Default: 2."""
    timeout_minutes: Annotated[StrictInt, Field(ge=1, le=1440)] = 60
    """Longest the whole shift may take; past it the shift rolls back. Default: 60."""
    relative: AlbRelative = AlbRelative()
    """Rules against the outgoing generations in the same period, per ALB metric, on top of the
    fixed thresholds. Default: none."""
    checks: Checks = {}
    """The team's own queries by name (CloudWatch or Prometheus), judged every period. Default: none."""
    acceptance: Acceptance | None = None
    """A test of the incoming generations through the header route before the first step. Default: none."""

    @field_validator("steps")
    @classmethod
    def _rising_to_100(cls, steps: tuple[int, ...]) -> tuple[int, ...]:
        if len(steps) > MAX_STEPS:
            raise ValueError(f"{len(steps)} steps; at most {MAX_STEPS}")
        if not steps or list(steps) != sorted(set(steps)) or steps[-1] != 100:
            raise ValueError(
                f"{', '.join(map(str, steps)) or 'none'}: steps must rise strictly and end at 100 (e.g. 5, 25, 50, 100)"
            )
        return steps

    @model_validator(mode="after")
    def _time_for_every_step(self) -> Shift:
        if self.bake_minutes < self.period_minutes:
            raise ValueError(
                f"bake_minutes: {self.bake_minutes} is shorter than one period ({self.period_minutes} min); "
                "bake at least one period"
            )
        needed = len(self.steps) * self.bake_minutes
        if self.timeout_minutes < needed:
            raise ValueError(
                f"timeout_minutes: {self.timeout_minutes} cannot fit {len(self.steps)} steps of {self.bake_minutes} "
                f"minutes; give at least {needed}"
            )
        return self

    def periods_per_step(self) -> int:
        """Passing periods a step needs before the next one."""
        return max(1, self.bake_minutes // self.period_minutes)

    def judged_by(self) -> str:
        """Every check of the shift with its threshold, on one line: what `fleet plan` and the PR
        comment show a reviewer."""
        fixed = [
            f"5xx <= {self.max_5xx_percent:g}%",
            f"connection errors <= {self.max_connection_error_percent:g}%",
            f"ELB 5xx <= {self.max_elb_5xx_percent:g}%",
            f"{self.latency_statistic} latency <= {self.max_latency_ms} ms",
            f"unhealthy hosts <= {self.max_unhealthy_hosts}",
        ]
        relative = [
            f"{name.replace('_', ' ')} {rule.shown()}"
            for name, rule in (
                ("target_5xx", self.relative.target_5xx),
                ("connection_errors", self.relative.connection_errors),
                ("latency", self.relative.latency),
            )
            if rule is not None
        ]
        parts = [", ".join(fixed) + f" (periods of {self.min_requests}+ requests)"]
        if relative:
            parts.append("against the outgoing generation: " + ", ".join(relative))
        if self.checks:
            parts.append(
                "checks: " + ", ".join(f"{name} ({c.source()}) {c.thresholds()}" for name, c in self.checks.items())
            )
        if self.acceptance is not None:
            test = self.acceptance
            shown = f"GET {test.http.path} -> {test.http.status}" if test.http else "a command"
            parts.append(f"acceptance before the first step: {shown}")
        return "; ".join(parts)

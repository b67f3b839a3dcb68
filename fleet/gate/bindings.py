"""What binds a live generation's serving traffic, beyond the guard's tables: the values of the
TargetGroupBinding release (its target group, Service and port), and the content of the chart
this project ships for it. Neither may change in place while the generation is live."""

from __future__ import annotations

import json
from typing import Any

from fleet.gate.context import Context
from fleet.gate.diff import StackDiff, under
from fleet.gate.refusal import Refusal
from fleet.model.resolved import ResolvedGeneration

TRAFFIC_BINDING = ("targetGroupARN", "serviceName", "servicePort")
"""Values of the TargetGroupBinding release (charts/target-group-binding) that say which pods take
the target group's traffic: Helm values may change in place on a live generation, these may not."""


def rebinding(diff: StackDiff, context: Context) -> list[Refusal]:
    phase = context.live[diff.stack]
    refusals = []
    for change in diff.changes:
        if (
            change.type != "helm_release"
            or change.kind != "changed"
            or not any(under(p, "values") for p in change.paths)
        ):
            continue
        old, new = _values(change.before), _values(change.after)
        moved = [key for key in TRAFFIC_BINDING if key in old and old.get(key) != new.get(key)]
        if moved:
            refusals.append(
                Refusal(
                    diff.stack,
                    change.address,
                    f"rebinds the serving target group ({', '.join(f'{k}: {old[k]} -> {new.get(k)}' for k in moved)})",
                    "serve the app another way in a new generation, and move the traffic to it",
                    phase,
                )
            )
    return refusals


LOCAL_CHART = "assets/"
"""A helm_release whose `chart` is a path under the stack's assets: a chart this project ships
(charts/), copied in by content hash. A changed hash is a changed chart."""


def shipped_chart(diff: StackDiff, context: Context) -> list[Refusal]:
    """The content of a chart this project ships may not change under a live generation: its
    templates bind the serving traffic, and Helm would re-render them in place. New generations
    take a new version directory; a live one is pinned to the version it runs."""
    phase = context.live[diff.stack]
    refusals = []
    for change in diff.changes:
        body = change.before
        chart = body.get("chart") if isinstance(body, dict) else None
        if change.type != "helm_release" or change.kind != "changed" or not isinstance(chart, str):
            continue
        if chart.startswith(LOCAL_CHART) and any(under(p, "chart") for p in change.paths):
            refusals.append(
                Refusal(
                    diff.stack,
                    change.address,
                    "the chart this project ships changed under it: Helm would re-render what binds its serving "
                    "traffic, in place",
                    f"{_pin(context.before(diff.stack))} ship the change as a new version directory under "
                    "charts/target-group-binding/, which new generations take",
                    phase,
                )
            )
    return refusals


def _pin(generation: ResolvedGeneration | None) -> str:
    if generation is None or generation.binding_chart is None:
        return "keep the chart directory it runs as it is, and"
    return f"pin {generation.ref.path}.binding_chart: {generation.binding_chart} (what it runs) and"


def _values(body: Any) -> dict[str, Any]:
    """A Helm release's values as one mapping (the stacks write each as JSON)."""
    merged: dict[str, Any] = {}
    for text in body.get("values", []) if isinstance(body, dict) else []:
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(value, dict):
            merged.update(value)
    return merged

"""A shift's checks with their thresholds where a step is decided: `fleet plan` (under the step's
commands) and the PR comment's "On merge this runs" (a note), from `Shift.judged_by()`."""

from __future__ import annotations

from collections.abc import Iterable

from fleet.model import Fleet
from fleet.ops.commands import Run


def judged_lines(fleet: Fleet, runs: Iterable[Run], prefix: str = "") -> list[str]:
    """One line per `fleet shift <service>` run among `runs`: what that shift judges."""
    lines = []
    for run in runs:
        spec = fleet.services.get(run.name) if run.action == "shift" else None
        if spec is not None and spec.traffic.shift is not None:
            lines.append(f"{prefix}{run.name}'s shift judges: {spec.traffic.shift.judged_by()}")
    return lines

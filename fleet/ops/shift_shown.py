"""A shift's checks with their thresholds where a step is decided: `fleet plan` (under the step's
commands) and the PR comment's "On merge this runs" (a note), from `Shift.judged_by()`."""

from __future__ import annotations

from collections.abc import Iterable

from fleet.model import Fleet

SHIFT_COMMAND = "python -m fleet shift "


def judged_lines(fleet: Fleet, commands: Iterable[object], prefix: str = "") -> list[str]:
    """One line per `fleet shift <service>` among `commands`: what that shift judges."""
    lines = []
    for command in commands:
        text = str(command)
        if not text.startswith(SHIFT_COMMAND):
            continue
        service = text.removeprefix(SHIFT_COMMAND).split(" ")[0]
        spec = fleet.services.get(service)
        if spec is not None and spec.traffic.shift is not None:
            lines.append(f"{prefix}{service}'s shift judges: {spec.traffic.shift.judged_by()}")
    return lines

"""A plan's step: at most one fleet-file edit (one PR), the commands to run after it merges, the
checks before the next step, and its rollback."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.ops.edits import Edit


class PlanRefused(Exception):
    """The fleet state or the requested change is not safe; `reasons` say why and what instead."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("\n".join(reasons))


@dataclass(frozen=True)
class Step:
    title: str
    edit: Edit | None = None
    """The fleet-file change of this step's PR; None when the step only runs commands."""
    commands: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    rollback: str = ""
    changes: tuple[str, ...] = field(default=())
    """The edit in words, one `path: old -> new` per line."""

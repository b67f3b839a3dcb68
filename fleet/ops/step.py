"""A plan's step: at most one fleet-file edit (one PR), the runs after it merges, the checks before
the next step, and its rollback; and the plan being written, step by step (`Draft`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.errors import FleetFailure
from fleet.model import Fleet
from fleet.ops.commands import CheckRun, Run
from fleet.ops.edits import Edit, describe_edit, edited


class PlanRefused(FleetFailure):
    """The fleet state or the requested change is not safe; `reasons` say why and what instead."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("\n".join(reasons))


@dataclass(frozen=True)
class Step:
    title: str
    edit: Edit | None = None
    """The fleet-file change of this step's PR; None when the step only runs commands."""
    commands: tuple[Run, ...] = ()
    checks: tuple[CheckRun, ...] = ()
    rollback: str = ""
    changes: tuple[str, ...] = field(default=())
    """The edit in words, one `path: old -> new` per line."""


@dataclass
class Draft:
    """A plan being written: its steps so far, and the fleet file as they leave it."""

    fleet: Fleet
    steps: list[Step] = field(default_factory=list)

    def run(self, title: str, commands: tuple[Run, ...], checks: tuple[CheckRun, ...], rollback: str) -> None:
        """A step with no PR: commands for the file as it stands."""
        self.steps.append(Step(title=title, commands=commands, checks=checks, rollback=rollback))

    def pr(
        self,
        title: str,
        edit: Edit,
        commands: tuple[Run, ...] = (),
        checks: tuple[CheckRun, ...] = (),
        rollback: str = "",
    ) -> None:
        """A step whose PR makes `edit`; the file is then as the PR leaves it."""
        changes = describe_edit(self.fleet, edit)
        self.steps.append(Step(title, edit, commands, checks, rollback, changes))
        self.fleet = edited(self.fleet, edit)

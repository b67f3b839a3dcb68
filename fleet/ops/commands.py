"""What a step runs, as typed values: the runs after its PR merges (`Run`: deploy or destroy one
stack, or `fleet shift` one service), in an order that never races (shared and new targets before
the hubs; paused hubs before the active one), and the checks to pass before the next step
(`CheckRun`). The planner writes them, the merge step (`fleet.ops.merge`) and the deploy workflow
run them by their fields; each is also its own command line, so it prints, compares and
serializes as the text people read, which is never parsed back."""

from __future__ import annotations

from typing import Literal

from fleet import names
from fleet.lifecycle import DESTROYED, PAUSED_HUB_PHASES
from fleet.model import Fleet

Action = Literal["deploy", "destroy", "shift"]

SHIFT = "python -m fleet shift"
"""The metric-gated traffic shift (`fleet.ops.shift`) of a service whose `traffic.shift` is set."""
CHECK = "python -m fleet check"
"""The operator checks (`fleet.ops.checks`)."""


class Run(str):
    """One job of a step: `cdktf deploy|destroy <stack>`, or `python -m fleet shift <service>`."""

    action: Action
    name: str
    """A stack id, or a service for a shift."""

    def __new__(cls, action: Action, name: str) -> Run:
        run = super().__new__(cls, f"{SHIFT} {name}" if action == "shift" else f"cdktf {action} {name}")
        run.action, run.name = action, name
        return run

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return self.action, self.name

    def __repr__(self) -> str:
        return f"Run({self.action!r}, {self.name!r})"

    def as_json(self) -> dict[str, str]:
        return {"action": self.action, "service" if self.action == "shift" else "stack": self.name}


class CheckRun(str):
    """`python -m fleet check <stack> [options]`: a stack's operator checks; each failed one is a line."""

    stack: str
    options: tuple[str, ...]

    def __new__(cls, stack: str, *options: str) -> CheckRun:
        check = super().__new__(cls, " ".join((CHECK, stack, *options)))
        check.stack, check.options = stack, options
        return check

    def __getnewargs__(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.stack, *self.options

    def __repr__(self) -> str:
        return f"CheckRun({', '.join(map(repr, (self.stack, *self.options)))})"


def deploy(stack: str) -> Run:
    """One stack per run: stacks have no dependencies, so `cdktf deploy a b` would run both at
    once while `b` still looks up what `a` is creating."""
    return Run("deploy", stack)


def destroy(stack: str) -> Run:
    return Run("destroy", stack)


def shift(service: str) -> Run:
    """The run that moves `service`'s weights to the file's, step by step, under analysis."""
    return Run("shift", service)


def hub_order(fleet: Fleet) -> list[str]:
    """Hub stacks, paused ones first and the active one last: nothing is ever active twice."""
    paused = [n for n, h in fleet.hubs.items() if h.phase in PAUSED_HUB_PHASES and h.phase != DESTROYED]
    return [names.stack_id("hub", n) for n in [*paused, fleet.active_hub]]


def deploy_hubs(fleet: Fleet) -> tuple[Run, ...]:
    return tuple(deploy(s) for s in hub_order(fleet))


def checks_after_deploy(targets: list[str]) -> tuple[CheckRun, ...]:
    """After the apps are deployed to `targets`: cluster and nodes, ArgoCD's own view of the
    cluster from the active hub, the apps Synced and Healthy, the target group healthy."""
    return tuple(CheckRun(names.stack_id("target", t)) for t in targets)


def cluster_checks(stacks: list[str]) -> tuple[CheckRun, ...]:
    """After a new generation's stack is deployed: cluster and node group ACTIVE, nodes Ready."""
    return tuple(CheckRun(s, "--only", "cluster") for s in stacks)

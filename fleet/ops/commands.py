"""The commands a plan's step runs after its PR merges: one stack per `cdktf` command, in an order
that never races (shared and new targets before the hubs; paused hubs before the active one), and
the checks to pass before the next step."""

from __future__ import annotations

from typing import Literal

from fleet import names
from fleet.lifecycle import DESTROYED, PAUSED_HUB_PHASES
from fleet.model import Fleet


def deploy(stack: str) -> str:
    """One stack per command: stacks have no dependencies, so `cdktf deploy a b` would run both at
    once while `b` still looks up what `a` is creating."""
    return f"cdktf deploy {stack}"


def destroy(stack: str) -> str:
    return f"cdktf destroy {stack}"


def hub_order(fleet: Fleet) -> list[str]:
    """Hub stacks, paused ones first and the active one last: nothing is ever active twice."""
    paused = [n for n, h in fleet.hubs.items() if h.phase in PAUSED_HUB_PHASES and h.phase != DESTROYED]
    return [names.stack_id("hub", n) for n in [*paused, fleet.active_hub]]


SHIFT = "python -m fleet shift"
"""The metric-gated traffic shift (`fleet.ops.shift`) of a service whose `traffic.shift` is set."""


def shift(service: str) -> str:
    """The command that moves `service`'s weights to the file's, step by step, under analysis."""
    return f"{SHIFT} {service}"


CHECK = "python -m fleet check"
"""The operator checks (`fleet.ops.checks`)."""


def check_command(stack: str, *options: str) -> str:
    """The command that runs a stack's checks (fleet/ops/checks.py); each failed check is one line."""
    return " ".join((CHECK, stack, *options))


def checks_after_deploy(fleet: Fleet, targets: list[str]) -> tuple[str, ...]:
    """After the apps are deployed to `targets`: cluster and nodes, ArgoCD's own view of the
    cluster from the active hub, the apps Synced and Healthy, the target group healthy."""
    return tuple(check_command(names.stack_id("target", t)) for t in targets)


def cluster_checks(stacks: list[str]) -> tuple[str, ...]:
    """After a new generation's stack is deployed: cluster and node group ACTIVE, nodes Ready."""
    return tuple(check_command(s, "--only", "cluster") for s in stacks)


def run_of(command: str) -> tuple[Literal["deploy", "destroy", "shift"], str]:
    """(action, stack) of a command `deploy` or `destroy` wrote, or (shift, service) of one `shift`
    wrote: the pipeline runs each as a job."""
    if command.startswith(f"{SHIFT} "):
        (service,) = command.removeprefix(f"{SHIFT} ").split()
        return "shift", service
    tool, action, stack = command.split()
    assert tool == "cdktf" and action in ("deploy", "destroy"), command
    return ("deploy" if action == "deploy" else "destroy"), stack

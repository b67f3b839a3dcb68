"""What the deploy workflow runs for a stack: `deploy`, or `destroy` for a generation in phase
destroyed (its stack stays in the file, and refuses `cdktf deploy`, until it is destroyed)."""

from __future__ import annotations

from fleet import names
from fleet.lifecycle import DESTROYED
from fleet.spec import Fleet


class UnknownStack(Exception):
    """Not a stack of the fleet; `str()` says which ones are."""


def stack_action(fleet: Fleet, stack: str) -> str:
    if stack == names.SHARED_STACK:
        return "deploy"
    ref = fleet.find(stack)
    spec = fleet.spec(ref) if ref is not None else None
    if spec is None:
        raise UnknownStack(f"{stack}: not a stack of fleet {fleet.name}; use shared, argocd-<hub> or target-<target>")
    return "destroy" if spec.phase == DESTROYED else "deploy"

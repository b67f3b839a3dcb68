"""What the deploy pipeline runs for one stack (`python -m fleet action`): deploy, or destroy for a
generation in phase destroyed; `shared` refused while a shift record holds a service. The merge's
whole step (`python -m fleet step`) is `fleet.ops.merge.merged_step`.
"""

from __future__ import annotations

from typing import Literal

from fleet import names
from fleet.lifecycle import DESTROYED
from fleet.model import Fleet
from fleet.ops.errors import PipelineRefused
from fleet.ops.merge import (
    LOCAL_STATE,
    MAX_STACK_JOBS,
    Base,
    MergedStep,
    Run,
    StepRefused,
    merged_step,
    refuse_local_state_in_ci,
)
from fleet.ops.shift_record import RecordError, RecordStore, record_store, refuse_after_rollback

__all__ = [
    "LOCAL_STATE",
    "MAX_STACK_JOBS",
    "Base",
    "MergedStep",
    "PipelineRefused",
    "Run",
    "StepRefused",
    "merged_step",
    "refuse_local_state_in_ci",
    "stack_action",
]

Action = Literal["deploy", "destroy"]


def stack_action(fleet: Fleet, stack: str, store: RecordStore | None = None) -> Action:
    """Deploy or destroy; `shared` is refused while a `fleet shift` of a service is under way or
    has rolled back and the file still names the weights it refused (`store`: where the shift
    records live, by default beside the fleet's state)."""
    refuse_local_state_in_ci(fleet)
    if stack == names.SHARED_STACK:
        try:
            refused = refuse_after_rollback(fleet, store or record_store(fleet, names.PROJECT_ROOT))
        except RecordError as err:
            raise PipelineRefused(str(err)) from None
        if refused:
            raise PipelineRefused(refused)
        return "deploy"
    ref = fleet.find(stack)
    spec = fleet.spec(ref) if ref is not None else None
    if spec is None:
        raise PipelineRefused(
            f"{stack}: not a stack of fleet {fleet.name}; use shared, argocd-<hub> or target-<target>"
        )
    return "destroy" if spec.phase == DESTROYED else "deploy"

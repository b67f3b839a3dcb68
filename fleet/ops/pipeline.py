"""What the deploy pipeline runs for one stack (`python -m fleet action`): deploy, or destroy for a
generation in phase destroyed; `shared` refused while a shift record holds a service. The merge's
whole step (`python -m fleet step`) is `fleet.ops.merge.merged_step`, here with the refusal of
local state on a CI runner in front of it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Literal

from fleet import names
from fleet.lifecycle import DEFAULT_WEIGHT_STEPS, DESTROYED
from fleet.ops import merge
from fleet.ops.errors import PipelineRefused
from fleet.ops.merge import MAX_STACK_JOBS, Base, MergedStep, Run, StepRefused
from fleet.ops.shift_record import RecordError, RecordStore, ShiftRecord, record_store, refuse_after_rollback
from fleet.spec import Fleet

__all__ = ["MAX_STACK_JOBS", "Base", "MergedStep", "PipelineRefused", "Run", "StepRefused", "merged_step", "stack_action"]

Action = Literal["deploy", "destroy"]


LOCAL_STATE = (
    "state: local state lives on the runner, which is thrown away after the job, so the next deploy would plan "
    "every resource again; configure the S3 backend in the fleet file (state: {backend: s3, bucket: ..., "
    "region: ...}, see docs/gate.md) before any workflow plans or applies"
)


def refuse_local_state_in_ci(fleet: Fleet) -> None:
    """On a CI runner (`CI` set, as GitHub Actions sets it) a fleet with local state is refused."""
    if os.environ.get("CI") and fleet.state.backend == "local":
        raise PipelineRefused(LOCAL_STATE)


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


def merged_step(
    base: Fleet | Base,
    head: Fleet,
    changed: Sequence[str],
    weight_steps: tuple[int, ...] = DEFAULT_WEIGHT_STEPS,
    records: Mapping[str, ShiftRecord] | None = None,
) -> MergedStep:
    """The step the merge of `base` -> `head` runs (`fleet.ops.merge.merged_step`); refuses local
    state on a CI runner first."""
    refuse_local_state_in_ci(head)
    return merge.merged_step(base, head, changed, weight_steps, records)

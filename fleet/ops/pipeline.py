"""What the deploy pipeline runs after a merge: the stacks of the merged step, in order, and the
checks after them (`python -m fleet step`), and what it runs for one stack (`python -m fleet
action`): deploy, or destroy for a generation in phase destroyed.

A merged PR is one step of the plan (the PR gate refuses more): when the base fleet's plan has a
step whose edit turns base into head, its commands and checks are the pipeline's. Any other PR
(an app or node-count change, a new generation, a rollback) deploys the stacks whose synthesized
JSON changed, in the one safe order: destroys first, then `shared`, the targets, the paused hubs
and the active hub last; its checks cover every generation it touched and, when the hubs changed
(apps), every registered target (ArgoCD synced it, its target group stays healthy). The plan's
step of a service with `traffic.shift` is one run, `shift <service>`: the deploy workflow's shift
job runs `python -m fleet shift`, which applies `shared` itself, step by step under analysis.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fleet import names
from fleet.lifecycle import CANDIDATE_PHASES, DEFAULT_WEIGHT_STEPS, DESTROYED, REGISTERED_PHASES
from fleet.ops.commands import check_command, cluster_checks, deploy, destroy, hub_order, run_of
from fleet.ops.edits import apply_edit
from fleet.ops.planner import plan
from fleet.ops.shift_record import RecordStore, record_store, refuse_after_rollback
from fleet.spec import Fleet

Action = Literal["deploy", "destroy"]
Run = Literal["deploy", "destroy", "shift"]
"""A job of the deploy workflow: deploy or destroy a stack, or `fleet shift` a service."""
MAX_STACK_JOBS = 6
"""Slots of the deploy workflow (`stack-1` ... `stack-6` in .github/workflows/deploy.yml): a merged
step runs at most this many stacks, one after the other."""


class PipelineRefused(Exception):
    """The pipeline must not go on; `str()` is the one line to show."""


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
        if any(spec.traffic.shift for spec in fleet.services.values()):
            refused = refuse_after_rollback(fleet, store or record_store(fleet, names.PROJECT_ROOT))
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


@dataclass(frozen=True)
class MergedStep:
    title: str
    runs: tuple[tuple[Run, str], ...]
    """(deploy or destroy, stack id), one job each, each waiting for the one before; or (shift,
    service), alone in its step: `fleet shift` applies `shared` itself, step by step."""
    checks: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "runs": [
                {"action": action, "service": name} if action == "shift" else {"action": action, "stack": name}
                for action, name in self.runs
            ],
            "checks": list(self.checks),
        }


def _positions(fleet: Fleet) -> dict[Any, Any]:
    """What a step of the plan changes: every generation's phase and weight, every service's closing."""
    found: dict[Any, Any] = {ref: (spec.phase, getattr(spec, "weight", 0)) for ref, spec in fleet.generations()}
    found |= {f"services.{name}.closed": service.closed for name, service in fleet.services.items()}
    return found


def merged_step(
    base: Fleet, head: Fleet, changed: Sequence[str], weight_steps: tuple[int, ...] = DEFAULT_WEIGHT_STEPS
) -> MergedStep:
    """The step a merge of `base` -> `head` runs; `changed`: the stacks whose synthesized JSON differs
    (`fleet diff --stacks`), for a change that is not a step of the plan."""
    refuse_local_state_in_ci(head)
    target = _positions(head)
    if target != _positions(base):
        for step in plan(base, weight_steps):
            if not step.edit:
                continue
            try:
                after = apply_edit(base, step.edit)
            except AssertionError:  # a later step's edit that does not apply to base alone
                continue
            if _positions(after) == target:
                return _fits(MergedStep(step.title, tuple(run_of(c) for c in step.commands), step.checks))
    return _fits(_changed_stacks(head, changed))


def _fits(step: MergedStep) -> MergedStep:
    if any(action == "shift" for action, _ in step.runs) and len(step.runs) > 1:  # the plan never asks for it
        order = ", ".join(f"{action} {name}" for action, name in step.runs)
        raise PipelineRefused(f"the merged step runs a shift beside other jobs ({order}): a shift runs alone")
    if len(step.runs) > MAX_STACK_JOBS:
        order = ", ".join(f"{action} {stack}" for action, stack in step.runs)
        raise PipelineRefused(
            f"the merged step runs {len(step.runs)} stacks and the deploy workflow has {MAX_STACK_JOBS} slots: "
            f"dispatch the deploy workflow once per stack, in this order: {order}"
        )
    return step


def _changed_stacks(head: Fleet, changed: Sequence[str]) -> MergedStep:
    runs: list[tuple[Run, str]] = []
    refs = {ref.stack_id: (ref, spec) for ref, spec in head.generations()}
    destroyed = [s for s in changed if s in refs and refs[s][1].phase == DESTROYED]
    runs += [run_of(destroy(s)) for s in sorted(destroyed, key=lambda s: refs[s][0].kind == "hub")]
    if names.SHARED_STACK in changed:
        runs.append(run_of(deploy(names.SHARED_STACK)))
    targets = [s for s, (ref, spec) in refs.items() if ref.kind == "target" and s in changed and s not in destroyed]
    runs += [run_of(deploy(s)) for s in targets]
    hubs = [s for s in hub_order(head) if s in changed]
    runs += [run_of(deploy(s)) for s in hubs]
    new = [s for s in [*targets, *hubs] if refs[s][1].phase in CANDIDATE_PHASES[refs[s][0].kind]]
    checks = cluster_checks(new)
    apps_moved = hub_order(head)[-1] in changed  # the active hub deploys the apps
    checked = [
        s
        for s, (ref, spec) in refs.items()
        if ref.kind == "target" and spec.phase in REGISTERED_PHASES and (s in changed or apps_moved)
    ]
    checks += tuple(check_command(s) for s in checked)
    if names.SHARED_STACK in changed and not checked:
        checks += (check_command(names.SHARED_STACK),)
    title = "Deploy what the merge changed" if runs else "Nothing to deploy: no stack changed"
    return MergedStep(title, tuple(runs), checks)

"""What a merge runs: one step, computed once from (base fleet, head fleet, the stacks whose
synthesized JSON changed, the services' shift records), shown by the PR gate ("on merge this
runs") and run by the deploy workflow - the same function, so the two never disagree.

The rules, each a property the tests check over generated transitions:

1. **Every changed stack is in the step**, in the planner's one safe order: destroys (targets,
   then hubs), a shift, `shared`, the targets, the paused hubs, the active hub last. When the
   merge is one step of the base's plan, that step's stacks and checks are in it too.
2. **A shifted service's weights move only through `fleet shift`.** Decided from the weights, not
   from which plan step the transition looks like: when a service that shifts (`traffic.shift`
   in base or head, or a shift record that holds it) sends a generation more traffic than it
   carries live, the step is one run, `fleet shift <service>`, alone. The live weights are the
   base file's, or the record's `before` after a rollback. Going back to the weights before the
   last shift (the record's `before`) is a rollback and applies at once. A move `fleet shift`
   cannot run (no `traffic.shift` in the head, thresholds or other fleet-file changes in the same
   PR, another changed stack, two services at once) is refused with the way to split the PR.
3. **An older base never blocks.** A base this release's schema refuses (`Base.unloaded`) still
   yields the changed stacks in order, with a note; its weights are read from the raw file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fleet import names
from fleet.compare import changes_besides_positions, changes_besides_traffic
from fleet.lifecycle import CANDIDATE_PHASES, DEFAULT_WEIGHT_STEPS, DESTROYED, REGISTERED_PHASES
from fleet.model import Fleet
from fleet.ops.commands import SHIFT, CheckRun, Run, checks_after_deploy, cluster_checks, hub_order
from fleet.ops.edits import edited
from fleet.ops.errors import PipelineRefused
from fleet.ops.merge_base import Base
from fleet.ops.planner import plan
from fleet.ops.shift_record import HOLDING, ShiftRecord, Weights, file_weights
from fleet.ops.shift_shown import judged_lines

__all__ = ["LOCAL_STATE", "MAX_STACK_JOBS", "Base", "MergedStep", "Run", "StepRefused", "merged_step"]

MAX_STACK_JOBS = 6
"""Slots of the deploy workflow (`stack-1` ... `stack-6` in .github/workflows/deploy.yml): a merged
step runs at most this many stacks, one after the other."""


LOCAL_STATE = (
    "state: local state lives on the runner, which is thrown away after the job, so the next deploy would plan "
    "every resource again; configure the S3 backend in the fleet file (state: {backend: s3, bucket: ..., "
    "region: ...}, see docs/gate.md) before any workflow plans or applies"
)


def refuse_local_state_in_ci(fleet: Fleet) -> None:
    """On a CI runner (`CI` set, as GitHub Actions sets it) a fleet with local state is refused."""
    if os.environ.get("CI") and fleet.state.backend == "local":
        raise PipelineRefused(LOCAL_STATE)


class StepRefused(PipelineRefused):
    """The merge cannot be turned into a safe step; `str()` is the one line that says how to split it."""


@dataclass(frozen=True)
class MergedStep:
    title: str
    runs: tuple[Run, ...]
    """In order, one job each, each waiting for the one before; a shift is alone in its step."""
    checks: tuple[CheckRun, ...]
    notes: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        printed: dict[str, Any] = {
            "title": self.title,
            "runs": [run.as_json() for run in self.runs],
            "checks": [str(check) for check in self.checks],
        }
        return printed | ({"notes": list(self.notes)} if self.notes else {})

    def as_text(self) -> str:
        lines = [self.title, *(f"  {run}" for run in self.runs), *(f"  check: {c}" for c in self.checks)]
        return "\n".join([*lines, *(f"  note: {n}" for n in self.notes)])

    def as_markdown(self) -> str:
        lines = ["### On merge this runs", "", f"**{self.title}**", ""]
        lines += [f"{i}. `{run}`" for i, run in enumerate(self.runs, 1)] or ["Nothing: no stack changed."]
        if self.checks:
            lines += ["", "Then these checks, before the next step:", "", *(f"- `{c}`" for c in self.checks)]
        if self.notes:
            lines += ["", *(f"> **Note:** {n}" for n in self.notes)]
        return "\n".join(lines) + "\n"


def merged_step(
    base: Fleet | Base,
    head: Fleet,
    changed: Sequence[str],
    weight_steps: tuple[int, ...] = DEFAULT_WEIGHT_STEPS,
    records: Mapping[str, ShiftRecord] | None = None,
) -> MergedStep:
    """The step the merge of `base` -> `head` runs. `changed`: the stacks whose synthesized JSON was
    added or changed (`fleet diff --stacks`). `records`: the services' shift records (None when they
    could not be read: then a note says so, and every weight rise of a shifted service is a shift)."""
    refuse_local_state_in_ci(head)
    side = base if isinstance(base, Base) else Base.of(base)
    notes: list[str] = []
    if side.refused:
        notes.append(
            f"{side.label} does not load with this release's fleet schema ({side.refused}); the step deploys the "
            "stacks whose synth changed, in the planner's order, and reads the base's weights from its raw file"
        )
    if records is None and any(_shifts(side, head, service, None) for service in head.services):
        notes.append(
            "the services' shift records were not read: a rollback to the weights before a shift counts as a new shift"
        )
    changed_set = set(changed)
    shifting = _shift_runs(side, head, changed_set, records or {}, notes)
    if shifting:
        return _fits(shifting)
    step = _changed_stacks(side, head, changed_set, weight_steps, notes)
    _refuse_shared_under_way(step, records or {})
    return _fits(step)


# --- the weights ---------------------------------------------------------------------------------


def _shifts(side: Base, head: Fleet, service: str, record: ShiftRecord | None) -> bool:
    """The service's weights move only through `fleet shift`: it sets `traffic.shift` in base or
    head, or a shift record holds it."""
    spec = head.services.get(service)
    return bool(
        (spec is not None and spec.traffic.shift is not None)
        or side.shifts.get(service)
        or (record is not None and record.status in HOLDING)
    )


def _shift_runs(
    side: Base, head: Fleet, changed: set[str], records: Mapping[str, ShiftRecord], notes: list[str]
) -> MergedStep | None:
    moves: list[tuple[str, list[str]]] = []
    for service, spec in head.services.items():
        record = records.get(service)
        if spec.closed or not _shifts(side, head, service, record):
            continue
        if not side.services_read:
            raise StepRefused(
                f"services.{service}: {side.label} could not be read, so nothing says which weights its ALB serves; "
                f"a shifted service's weights move only under analysis: run `{SHIFT} {service}` by hand, or deploy "
                "the base again first"
            )
        base_weights = dict(side.weights.get(service, {}))
        live = record.before if record is not None and record.status == "rolled-back" else base_weights
        new = file_weights(head, service)
        if not any(live.values()) or new == live:
            continue  # nothing served yet (a new service opens at 100), or no move from what is live
        if record is not None and record.status == "done" and new == record.before and base_weights == record.after:
            notes.append(f"services.{service}: back to the weights before its last shift (a rollback): applied at once")
            continue
        rising = sorted(g for g in new if new[g] > live.get(g, 0))
        if rising:
            moves.append((service, rising))
    if not moves:
        return None
    if len(moves) > 1:
        raise StepRefused(
            f"this merge moves the traffic of {', '.join(s for s, _ in moves)} under `fleet shift`: one shift per PR; "
            "move one service's weights in this PR and the others in PRs of their own"
        )
    [(service, rising)] = moves
    _refuse_unrunnable(side, head, service, changed, records.get(service), notes)
    return MergedStep(
        f"Shift {service}'s traffic to {', '.join(rising)} under analysis",
        (Run("shift", service),),
        checks_after_deploy(rising),
        (*notes, *judged_lines(head, [Run("shift", service)])),
    )


LOOSER_WHEN = {
    "max_5xx_percent": "higher",
    "max_latency_ms": "higher",
    "max_unhealthy_hosts": "higher",
    "failed_periods": "higher",
    "timeout_minutes": "higher",
    "bake_minutes": "lower",
    "min_requests": "lower",
}
"""Which way a threshold of `traffic.shift` moves when it lets more through."""


def _refuse_unrunnable(
    side: Base, head: Fleet, service: str, changed: set[str], record: ShiftRecord | None, notes: list[str]
) -> None:
    """A weight rise `fleet shift` cannot run as the gate judged it is refused with the way out."""
    spec = head.services[service]
    where = f"services.{service}"
    rerun = record is not None and record.status == "rolled-back" and side.weights.get(service) == record.after
    if spec.traffic.shift is None:
        if record is not None and record.status in HOLDING:
            raise StepRefused(
                f"{where}: {'a fleet shift is under way' if record.status == 'running' else 'its last fleet shift rolled back'} "
                "and the file names weights it did not reach; "
                f"removing traffic.shift does not unlock them: put the weights back to "
                f"{_shown(record.before)} in this PR, or keep traffic.shift and run the shift again"
            )
        raise StepRefused(
            f"{where}.traffic.shift: this merge sends {service} generations more traffic and removes traffic.shift, "
            "so nothing would judge the move; remove traffic.shift in a PR of its own first, then move the weights"
        )
    head_shift = spec.traffic.shift.model_dump(mode="json")
    if side.shifts.get(service) != head_shift:
        if not rerun:
            raise StepRefused(
                f"{where}.traffic.shift: this merge changes the shift's settings and moves the weights it judges; "
                "change traffic.shift in a PR of its own first, then move the weights"
            )
        assert record is not None
        notes.append(_loosened(service, side.shifts.get(service), head_shift, record))
    if side.fleet is not None:
        others = changes_besides_traffic(side.fleet, head, service, allow_shift=rerun)
        if others:
            raise StepRefused(
                f"{where}: this merge moves {service}'s traffic under `fleet shift` and also changes "
                f"{', '.join(others[:5])}{' ...' if len(others) > 5 else ''}; a shift runs alone: make the other "
                "changes in a PR of their own"
            )
    others_stacks = sorted(changed - {names.SHARED_STACK})
    if others_stacks:
        raise StepRefused(
            f"{where}: this merge moves {service}'s traffic under `fleet shift` and also changes the stacks "
            f"{', '.join(others_stacks)}; a shift runs alone: make the other changes in a PR of their own"
        )
    if record is not None and record.status == "running":
        raise StepRefused(
            f"{where}: a fleet shift of {service} is under way; let it finish, or run `{SHIFT} {service} --resume` "
            "or `--abort`, before merging another move of its weights"
        )


def _loosened(service: str, before: Any, after: dict[str, Any], record: ShiftRecord) -> str:
    before = before if isinstance(before, dict) else {}
    looser: list[str] = []
    other: list[str] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        way = LOOSER_WHEN.get(key)
        loosens = (
            isinstance(old, (int, float))
            and isinstance(new, (int, float))
            and way is not None
            and ((new > old) if way == "higher" else (new < old))
        )
        (looser if loosens else other).append(f"{key} {old} -> {new}")
    said = (
        f"services.{service}: this PR changes traffic.shift after a rollback ({record.reason or 'no reason recorded'})"
    )
    if looser:
        said += f" and LOOSENS its thresholds: {', '.join(looser)}"
    if other:
        said += f"; also {', '.join(other)}"
    return said + f"; the merge runs the shift again toward {_shown(record.after)}"


def _refuse_shared_under_way(step: MergedStep, records: Mapping[str, ShiftRecord]) -> None:
    if not any(run == Run("deploy", names.SHARED_STACK) for run in step.runs):
        return
    for service, record in sorted(records.items()):
        if record.status == "running":
            raise StepRefused(
                f"services.{service}: a fleet shift is under way, and this merge deploys shared, which would jump its "
                f"weights; let it finish, or run `{SHIFT} {service} --resume` or `--abort`, then deploy again"
            )


def _shown(weights: Weights) -> str:
    return " ".join(f"{gen}={weight}" for gen, weight in sorted(weights.items())) or "none"


# --- the stacks ----------------------------------------------------------------------------------


def _order(head: Fleet) -> dict[Run, tuple[int, int]]:
    """The planner's order of every run a merge of `head` can hold: destroys (targets, then hubs),
    `shared`, the targets in file order, the paused hubs, the active hub last."""
    order: dict[Run, tuple[int, int]] = {Run("deploy", names.SHARED_STACK): (2, 0)}
    for i, (ref, spec) in enumerate(head.generations()):
        if spec.phase == DESTROYED:
            order[Run("destroy", ref.stack_id)] = (0 if ref.kind == "target" else 1, i)
        elif ref.kind == "target":
            order[Run("deploy", ref.stack_id)] = (3, i)
    for i, stack in enumerate(hub_order(head)):
        order[Run("deploy", stack)] = (4, i)
    return order


def _changed_stacks(
    side: Base, head: Fleet, changed: set[str], weight_steps: tuple[int, ...], notes: list[str]
) -> MergedStep:
    order = _order(head)
    by_stack = {run.name: run for run in order}
    unknown = sorted(s for s in changed if s not in by_stack)
    if unknown:
        raise StepRefused(
            f"the changed stacks {', '.join(unknown)} are not stacks of fleet {head.name} ({names.SHARED_STACK}, "
            "argocd-<hub>, target-<target>); pass the list `fleet diff --stacks-out` wrote for this fleet file"
        )
    runs = {by_stack[s] for s in changed}
    # a generation destroyed by this merge is destroyed whether or not its synth changed
    runs |= {Run("destroy", ref.stack_id) for ref, spec in head.generations() if _newly_destroyed(side, ref, spec)}
    planned = _plan_step(side, head, weight_steps)
    title = "Deploy what the merge changed" if runs else "Nothing to deploy: no stack changed"
    checks: list[CheckRun] = []
    if planned is not None:
        title, plan_checks = planned
        checks += plan_checks
    if planned is None or (side.fleet is not None and changes_besides_positions(side.fleet, head)):
        checks += _checks(head, {r.name for r in runs})  # more than the plan's step: check what else moved
    ordered = tuple(sorted(runs, key=lambda r: order[r]))
    return MergedStep(title, ordered, tuple(dict.fromkeys(checks)), tuple(notes))


def _newly_destroyed(side: Base, ref: Any, spec: Any) -> bool:
    if spec.phase != DESTROYED:
        return False
    if side.fleet is None:
        return True  # an unreadable base: destroying a destroyed generation again is a no-op
    before = side.fleet.spec(ref)
    return before is None or before.phase != DESTROYED


def _plan_step(side: Base, head: Fleet, weight_steps: tuple[int, ...]) -> tuple[str, tuple[CheckRun, ...]] | None:
    """The base's plan step whose edit turns base into head (phases, weights, closings): its title
    and its checks. Its stacks are not read from it: the step's runs come from what changed."""
    if side.fleet is None:
        return None
    target = _positions(head)
    if target == _positions(side.fleet):
        return None
    for step in plan(side.fleet, weight_steps):  # a later step's edit may apply to base alone: another service's
        if step.edit and _positions(edited(side.fleet, step.edit)) == target:
            return step.title, step.checks
    return None


def _positions(fleet: Fleet) -> dict[Any, Any]:
    """What a step of the plan changes: every generation's phase and weight, every service's closing."""
    found: dict[Any, Any] = {ref: (spec.phase, getattr(spec, "weight", 0)) for ref, spec in fleet.generations()}
    found |= {f"services.{name}.closed": service.closed for name, service in fleet.services.items()}
    return found


def _checks(head: Fleet, stacks: set[str]) -> list[CheckRun]:
    """A new generation: cluster and nodes; a registered target the merge touched, or every one when
    the active hub (which deploys the apps) changed: ArgoCD synced it, its target group healthy;
    `shared` alone: its own check."""
    refs = {ref.stack_id: (ref, spec) for ref, spec in head.generations()}
    deployed = [s for s in stacks if s in refs and refs[s][1].phase != DESTROYED]
    new = [s for s in refs if s in deployed and refs[s][1].phase in CANDIDATE_PHASES[refs[s][0].kind]]
    checks = list(cluster_checks(new))
    apps_moved = hub_order(head)[-1] in stacks
    checked = [
        s
        for s, (ref, spec) in refs.items()
        if ref.kind == "target" and spec.phase in REGISTERED_PHASES and (s in stacks or apps_moved)
    ]
    checks += [CheckRun(s) for s in checked]
    if names.SHARED_STACK in stacks and not checked:
        checks.append(CheckRun(names.SHARED_STACK))
    return checks


def _fits(step: MergedStep) -> MergedStep:
    if len(step.runs) > MAX_STACK_JOBS:
        order = ", ".join(str(run) for run in step.runs)
        raise StepRefused(
            f"the merged step runs {len(step.runs)} stacks and the deploy workflow has {MAX_STACK_JOBS} slots: "
            f"split the PR, or dispatch the deploy workflow once per stack, in this order: {order}"
        )
    return step

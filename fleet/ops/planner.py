"""The swap planner: from the fleet as it stands, the PRs and commands that finish every swap.

A plan is a list of steps. Each step is at most one fleet-file edit (one PR, whose `cdktf diff`
can plan because what it reads was deployed the step before), the cdktf commands to run after it
merges, in order, the checks to pass before the next step, and how to roll the step back.
The PR gate's phase rules (`fleet.gate.phases`) judge each such PR; the edits themselves are
`fleet.ops.edits`, the text and JSON `fleet.ops.render`.
"""

from __future__ import annotations

from typing import Any

from fleet import names
from fleet.lifecycle import (
    ACTIVE,
    DESTROYED,
    PROVISIONING,
    REGISTERED,
    RETIRING,
    SERVING,
    STANDBY,
)
from fleet.model import Fleet
from fleet.ops.commands import checks_after_deploy, cluster_checks, deploy, destroy, hub_order, shift
from fleet.ops.defaults import DEFAULT_WEIGHT_STEPS
from fleet.ops.edits import Edit, apply_edit, describe_edit
from fleet.ops.endings import destroy_target, end_leaving, removal_edit, remove_destroyed, retire, retire_hub
from fleet.ops.step import PlanRefused, Step
from fleet.ref import Section


def _split(total: int, generations: list[str], fleet: Fleet) -> dict[str, int]:
    """Share `total` among `generations` in proportion to their weights now (equally when none
    has weight), whole numbers only, the remainder to the first."""
    if not generations:
        return {}
    current = {g: fleet.targets[g].weight for g in generations}
    base = sum(current.values())
    shares = {g: (total * current[g] // base if base else total // len(generations)) for g in generations}
    shares[generations[0]] += total - sum(shares.values())
    return shares


def plan(fleet: Fleet, weight_steps: tuple[int, ...] = DEFAULT_WEIGHT_STEPS) -> list[Step]:
    """Every step from `fleet` to a steady fleet: one serving target, one active hub, nothing else."""
    if (
        len(weight_steps) < 2
        or list(weight_steps) != sorted(set(weight_steps))
        or weight_steps[-1] != 100
        or weight_steps[0] <= 0
    ):
        raise PlanRefused(
            [
                "weight steps must rise strictly, start above 0 and end at 100, with at least one step below 100 "
                "(e.g. 10,50,100): the first step puts the new generation into serving, the 100% step takes the old "
                "one out, one phase change per PR"
            ]
        )
    steps: list[Step] = []
    current = fleet
    now = _settle(current)
    if now is not None:
        steps.append(now)
    for service in fleet.services:
        for step in _target_steps(current, service, weight_steps):
            steps.append(step)
            if step.edit:
                current = apply_edit(current, step.edit)
    for step in _hub_steps(current):
        steps.append(step)
        if step.edit:
            current = apply_edit(current, step.edit)
    return steps


def _settle(fleet: Fleet) -> Step | None:
    """The commands that bring AWS in line with the file as it stands (the last PR's deploy)."""
    phases = {n: t.phase for n, t in fleet.targets.items()}
    closing = {n for spec in fleet.services.values() if spec.closed for n in spec.targets}
    incoming = {n: p for n, p in phases.items() if n not in closing}  # a closed service's registered ones leave
    new_targets = [names.stack_id("target", n) for n, p in incoming.items() if p in (PROVISIONING, REGISTERED)]
    commands = [destroy(names.stack_id("target", n)) for n, p in phases.items() if p == DESTROYED]
    commands += [destroy(names.stack_id("hub", n)) for n, h in fleet.hubs.items() if h.phase == DESTROYED]
    if new_targets or closing or any(p in (RETIRING, DESTROYED) for p in phases.values()):
        # a shifted service's weights move under analysis, never by a plain deploy: its shift runs
        # first (nothing left to move once it has finished), so `shared` then applies the file as is
        commands += [shift(s) for s in _shifting(fleet)]
        commands.append(deploy(names.SHARED_STACK))
        commands += [deploy(t) for t in new_targets]
    hubs_move = any(h.phase not in (ACTIVE, DESTROYED) for h in fleet.hubs.values())
    if hubs_move or any(p in (REGISTERED, RETIRING) for p in phases.values()):
        commands += [deploy(s) for s in hub_order(fleet)]
    if not commands:
        return None
    registered = [n for n, p in incoming.items() if p == REGISTERED]
    new_hubs = [names.stack_id("hub", n) for n, h in fleet.hubs.items() if h.phase == STANDBY]
    checks = cluster_checks([names.stack_id("target", n) for n, p in incoming.items() if p == PROVISIONING] + new_hubs)
    checks += checks_after_deploy(fleet, registered)
    return Step(
        title="Deploy the fleet file as it stands (shared and new targets first, hubs after, paused hubs before the active one)",
        commands=tuple(commands),
        checks=checks,
        rollback="revert the PR that produced this file and run the same commands again",
    )


def _shifting(fleet: Fleet) -> list[str]:
    """Services with `traffic.shift` whose shift PR may not be live yet: a generation registered
    at weight 0 listed before the newest serving one (drained by the PR, as `_target_steps` reads
    it; `fleet shift` takes the live weights there, or finds nothing left to move)."""
    found = []
    for name, spec in fleet.services.items():
        order = list(spec.targets)
        serving = [i for i, n in enumerate(order) if spec.targets[n].phase == SERVING]
        drained = serving and any(spec.targets[n].phase == REGISTERED for n in order[: serving[-1]])
        if spec.traffic.shift is not None and not spec.closed and drained:
            found.append(name)
    return found


def _target_steps(fleet: Fleet, service: str, weight_steps: tuple[int, ...]) -> list[Step]:
    """One service's swap; no other service's targets appear in its edits."""
    steps: list[Step] = []
    current = fleet
    section = Section.targets(service)

    def targets() -> dict[str, Any]:
        return current.services[service].targets

    if current.services[service].closed:
        return _close_steps(current, service)
    order = list(targets())
    serving = [n for n in order if targets()[n].phase == SERVING]
    # Generations are listed oldest first: a registered one listed before the newest serving one
    # has been drained (weight 0) on its way out, not on its way in.
    newest_serving = max((order.index(n) for n in serving), default=-1)
    drained = [n for n in order[:newest_serving] if targets()[n].phase == REGISTERED]
    incoming = [n for n in order if targets()[n].phase in (PROVISIONING, REGISTERED) and n not in drained]
    if not incoming and len(serving) > 1:  # mid-way through the weight steps: the newest is incoming
        incoming, serving = serving[-1:], serving[:-1]
    # The newest incoming generation is the swap's; older candidates are superseded by it.
    superseded, incoming = incoming[:-1], incoming[-1:]
    old = [n for n in serving if n not in incoming]
    for name in superseded:
        if targets()[name].phase == PROVISIONING:  # never registered: destroy it now
            ended, current = _destroy_unregistered(current, section, name, f"superseded by {incoming[0]}")
            steps += ended
        else:  # registered, weight 0: retired with the old generations at the last traffic step
            old.append(name)

    provisioning = [n for n in incoming if targets()[n].phase == PROVISIONING]
    if provisioning:
        edit: Edit = {section: {n: {"phase": REGISTERED} for n in provisioning}}
        steps.append(
            Step(
                title=f"Register {', '.join(provisioning)} (service {service}) with every hub (the ApplicationSets deploy the apps to it)",
                edit=edit,
                changes=describe_edit(current, edit),
                commands=tuple(deploy(s) for s in hub_order(current)),
                checks=checks_after_deploy(current, provisioning),
                rollback=f"PR setting {', '.join(provisioning)} back to provisioning, then the same hub deploys "
                "(deregistered; its apps keep running until the stack is destroyed)",
            )
        )
        current = apply_edit(current, edit)

    if incoming:
        for step in _traffic_steps(current, service, incoming, old, weight_steps):
            steps.append(step)
            current = apply_edit(current, step.edit or {})

    leaving = [n for n in [*old, *drained] if n in targets() and targets()[n].phase == REGISTERED]
    if leaving:
        step = retire(current, service, leaving, f"(service {service})")
        steps.append(step)
        current = apply_edit(current, step.edit or {})

    return steps + end_leaving(current, section, "weight 0, deregistered and drained since the step before")


def _traffic_steps(
    fleet: Fleet, service: str, incoming: list[str], old: list[str], weight_steps: tuple[int, ...]
) -> list[Step]:
    """The PRs that move a service's traffic to `incoming`, one weight step each; the 100% step
    takes the serving `old` generations out of traffic (registered, weight 0). With the service's
    `traffic.shift`, one PR sets the 100% step's weights and `fleet shift` walks there after it merges."""
    steps: list[Step] = []
    current = fleet
    section = Section.targets(service)
    serving = [n for n, t in fleet.services[service].targets.items() if t.phase == SERVING]

    def targets() -> dict[str, Any]:
        return current.services[service].targets

    now = sum(targets()[n].weight for n in incoming)
    shifted = bool(old) and fleet.services[service].traffic.shift is not None
    # a new service's first generation: nothing to shift from; a shifted service: one PR, the last step's
    shares = weight_steps if old and not shifted else (100,)
    for share in (s for s in shares if s > now):
        new_w = _split(share, incoming, current)
        edit: Edit = {section: {n: {"phase": SERVING, "weight": w} for n, w in new_w.items()}}
        if share == 100:
            edit[section].update({n: {"phase": REGISTERED, "weight": 0} for n in old if n in serving})
            title = (
                f"Move all of {service}'s traffic to {', '.join(incoming)} ({', '.join(old)} stays registered at weight 0)"
                if old
                else f"Open service {service}: send all its traffic to {', '.join(incoming)}"
            )
            rollback = (
                f"PR setting {', '.join(old)} back to serving with the previous weights, then `cdktf deploy shared`"
                if old
                else "none through the PR gate (a service that serves keeps a serving generation): swap to a new one"
            )
        else:
            edit[section].update({n: {"weight": w} for n, w in _split(100 - share, old, current).items()})
            title = f"Move {share}% of {service}'s traffic to {', '.join(incoming)}"
            rollback = "PR restoring the previous weights, then `cdktf deploy shared`"
        if shifted:
            title, rollback = _shift_words(current, service, incoming, old)
        steps.append(
            Step(
                title=title,
                edit=edit,
                changes=describe_edit(current, edit),
                commands=(shift(service),) if shifted else (deploy(names.SHARED_STACK),),
                checks=checks_after_deploy(current, incoming),
                rollback=rollback,
            )
        )
        current = apply_edit(current, edit)

    return steps


def _shift_words(fleet: Fleet, service: str, incoming: list[str], old: list[str]) -> tuple[str, str]:
    """Title and rollback of the one PR of a shifted service's traffic move."""
    spec = fleet.services[service].traffic.shift
    assert spec is not None
    to, leaving = ", ".join(incoming), ", ".join(old)
    steps = ", ".join(f"{s}%" for s in spec.steps)
    title = (
        f"Shift all of {service}'s traffic to {to} under analysis ({steps}, {spec.bake_minutes} min of passing "
        f"periods each; {leaving} stays registered at weight 0)"
    )
    rollback = (
        f"automatic: on a failed check, timeout or apply, `{shift(service)}` applies the weights live before it "
        f"started, reads them back, exits non-zero and prints the revert edit; then revert this PR ({leaving} back "
        f"to serving with its weights, {to} registered at weight 0), and the deploy workflow refuses shared for "
        f"{service} until that revert merges. After a successful shift: the same revert PR, then `cdktf deploy shared`"
    )
    return title, rollback


def _destroy_unregistered(fleet: Fleet, section: Section, name: str, why: str) -> tuple[list[Step], Fleet]:
    """A `provisioning` target no hub ever registered, ended at once: destroyed, then removed."""
    steps = destroy_target(
        fleet,
        section,
        name,
        why=f"{why}; no hub ever registered it",
        rollback=f"none once destroyed; until then, keep {name} in the file",
    )
    return steps, apply_edit(fleet, removal_edit(fleet, section, name))


def _close_steps(fleet: Fleet, service: str) -> list[Step]:
    """A closed service: retire every registered generation, destroy each, then remove the service."""
    steps: list[Step] = []
    current = fleet
    section = Section.targets(service)

    def phases() -> dict[str, str]:
        return {n: t.phase for n, t in current.services[service].targets.items()} if service in current.services else {}

    for name in [n for n, p in phases().items() if p == PROVISIONING]:
        ended, current = _destroy_unregistered(current, section, name, f"service {service} is closed")
        steps += ended
    leaving = [n for n, p in phases().items() if p == REGISTERED]
    if leaving:
        step = retire(current, service, leaving, f"(service {service} is closed)")
        steps.append(step)
        current = apply_edit(current, step.edit or {})
    return steps + end_leaving(current, section, "deregistered and drained since the step before")


def _hub_steps(fleet: Fleet) -> list[Step]:
    steps: list[Step] = []
    current = fleet
    standby = [n for n, h in current.hubs.items() if h.phase == STANDBY]
    if standby:
        new, old = standby[-1], current.active_hub
        for spare in standby[:-1]:
            steps += retire_hub(current, spare, superseded_by=new)
            current = apply_edit(current, {Section.hubs(): {spare: None}})
        edit: Edit = {Section.hubs(): {old: {"phase": RETIRING}, new: {"phase": ACTIVE}}}
        registered = [n for n, t in current.targets.items() if t.registered]
        steps.append(
            Step(
                title=f"Promote hub {new}: pause {old}, then activate {new}",
                edit=edit,
                changes=describe_edit(current, edit),
                commands=(deploy(names.stack_id("hub", old)), deploy(names.stack_id("hub", new))),
                checks=checks_after_deploy(current, registered),  # run after the promotion: from the new active hub
                rollback=f"PR setting {old} back to active and {new} to standby; deploy argocd-{new} first (pause), "
                f"then argocd-{old}",
            )
        )
        current = apply_edit(current, edit)
    for name in [n for n, h in current.hubs.items() if h.phase == RETIRING]:
        steps += retire_hub(current, name)
        current = apply_edit(current, {Section.hubs(): {name: None}})
    for name in [n for n, h in current.hubs.items() if h.phase == DESTROYED]:
        steps.append(remove_destroyed(current, Section.hubs(), name))
        current = apply_edit(current, {Section.hubs(): {name: None}})
    return steps

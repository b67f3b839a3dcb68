"""The swap planner: from the fleet as it stands, the PRs and commands that finish every swap.

A plan is a list of steps. Each step is at most one fleet-file edit (one PR, whose `cdktf diff`
can plan because what it reads was deployed the step before), the cdktf commands to run after it
merges, in order, the checks to pass before the next step, and how to roll the step back.
The PR gate's phase rules (`fleet.gate.phases`) judge each such PR; the edits themselves are
`fleet.ops.edits`, the text and JSON `fleet.ops.render`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fleet import names
from fleet.lifecycle import (
    ACTIVE,
    DESTROYED,
    PAUSED_HUB_PHASES,
    PROVISIONING,
    REGISTERED,
    RETIRING,
    SERVING,
    STANDBY,
)
from fleet.ops.defaults import DEFAULT_WEIGHT_STEPS
from fleet.ops.edits import Edit, apply_edit, describe_edit
from fleet.ref import Section
from fleet.spec import Fleet


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


def _deploy(stack: str) -> str:
    """One stack per command: stacks have no dependencies, so `cdktf deploy a b` would run both at
    once while `b` still looks up what `a` is creating."""
    return f"cdktf deploy {stack}"


def _destroy(stack: str) -> str:
    return f"cdktf destroy {stack}"


def _hub_order(fleet: Fleet) -> list[str]:
    """Hub stacks, paused ones first and the active one last: nothing is ever active twice."""
    paused = [n for n, h in fleet.hubs.items() if h.phase in PAUSED_HUB_PHASES and h.phase != DESTROYED]
    return [names.stack_id("hub", n) for n in [*paused, fleet.active_hub]]


CHECK = "python -m fleet check"


def _check(stack: str, *options: str) -> str:
    """The command that runs a stack's checks (fleet/ops/checks.py); each failed check is one line."""
    return " ".join((CHECK, stack, *options))


def _checks(fleet: Fleet, targets: list[str]) -> tuple[str, ...]:
    """After the apps are deployed to `targets`: cluster and nodes, ArgoCD's own view of the
    cluster from the active hub, the apps Synced and Healthy, the target group healthy."""
    return tuple(_check(names.stack_id("target", t)) for t in targets)


def _cluster_checks(stacks: list[str]) -> tuple[str, ...]:
    """After a new generation's stack is deployed: cluster and node group ACTIVE, nodes Ready."""
    return tuple(_check(s, "--only", "cluster") for s in stacks)


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
    commands = [_destroy(names.stack_id("target", n)) for n, p in phases.items() if p == DESTROYED]
    commands += [_destroy(names.stack_id("hub", n)) for n, h in fleet.hubs.items() if h.phase == DESTROYED]
    if new_targets or closing or any(p in (RETIRING, DESTROYED) for p in phases.values()):
        commands.append(_deploy(names.SHARED_STACK))
        commands += [_deploy(t) for t in new_targets]
    hubs_move = any(h.phase not in (ACTIVE, DESTROYED) for h in fleet.hubs.values())
    if hubs_move or any(p in (REGISTERED, RETIRING) for p in phases.values()):
        commands += [_deploy(s) for s in _hub_order(fleet)]
    if not commands:
        return None
    registered = [n for n, p in incoming.items() if p == REGISTERED]
    new_hubs = [names.stack_id("hub", n) for n, h in fleet.hubs.items() if h.phase == STANDBY]
    checks = _cluster_checks([names.stack_id("target", n) for n, p in incoming.items() if p == PROVISIONING] + new_hubs)
    checks += _checks(fleet, registered)
    return Step(
        title="Deploy the fleet file as it stands (shared and new targets first, hubs after, paused hubs before the active one)",
        commands=tuple(commands),
        checks=checks,
        rollback="revert the PR that produced this file and run the same commands again",
    )


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
            steps += _destroy_target(
                current,
                section,
                name,
                why=f"superseded by {incoming[0]}; no hub ever registered it",
                rollback=f"none once destroyed; until then, keep {name} in the file",
            )
            current = apply_edit(current, _gone(current, section, name))
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
                commands=tuple(_deploy(s) for s in _hub_order(current)),
                checks=_checks(current, provisioning),
                rollback=f"PR setting {', '.join(provisioning)} back to provisioning, then the same hub deploys "
                "(deregistered; its apps keep running until the stack is destroyed)",
            )
        )
        current = apply_edit(current, edit)

    if incoming:
        now = sum(targets()[n].weight for n in incoming)
        shares = weight_steps if old else (100,)  # a new service's first generation: nothing to shift from
        for share in (s for s in shares if s > now):
            new_w = _split(share, incoming, current)
            edit = {section: {n: {"phase": SERVING, "weight": w} for n, w in new_w.items()}}
            if share == 100:
                edit[section].update({n: {"phase": REGISTERED, "weight": 0} for n in old if n in serving})
                commands = (_deploy(names.SHARED_STACK),)
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
                commands = (_deploy(names.SHARED_STACK),)
                title = f"Move {share}% of {service}'s traffic to {', '.join(incoming)}"
                rollback = "PR restoring the previous weights, then `cdktf deploy shared`"
            steps.append(
                Step(
                    title=title,
                    edit=edit,
                    changes=describe_edit(current, edit),
                    commands=commands,
                    checks=_checks(current, incoming),
                    rollback=rollback,
                )
            )
            current = apply_edit(current, edit)

    leaving = [n for n in [*old, *drained] if n in targets() and targets()[n].phase == REGISTERED]
    if leaving:
        step = _retire(current, service, leaving, f"(service {service})")
        steps.append(step)
        current = apply_edit(current, step.edit or {})

    return steps + _end_leaving(current, section, "weight 0, deregistered and drained since the step before")


def _close_steps(fleet: Fleet, service: str) -> list[Step]:
    """A closed service: retire every registered generation, destroy each, then remove the service."""
    steps: list[Step] = []
    current = fleet
    section = Section.targets(service)

    def phases() -> dict[str, str]:
        return {n: t.phase for n, t in current.services[service].targets.items()} if service in current.services else {}

    for name in [n for n, p in phases().items() if p == PROVISIONING]:
        steps += _destroy_target(
            current,
            section,
            name,
            why=f"service {service} is closed; no hub ever registered it",
            rollback=f"none once destroyed; until then, keep {name} in the file",
        )
        current = apply_edit(current, _gone(current, section, name))
    leaving = [n for n, p in phases().items() if p == REGISTERED]
    if leaving:
        step = _retire(current, service, leaving, f"(service {service} is closed)")
        steps.append(step)
        current = apply_edit(current, step.edit or {})
    return steps + _end_leaving(current, section, "deregistered and drained since the step before")


def _retire(fleet: Fleet, service: str, leaving: list[str], whose: str) -> Step:
    """The PR that retires registered targets at weight 0: deregistered from every hub, their
    operator rule closed; their apps keep running until the stack is destroyed."""
    edit: Edit = {Section.targets(service): {n: {"phase": RETIRING} for n in leaving}}
    return Step(
        title=f"Retire {', '.join(leaving)} {whose}: deregister it from every hub and close its operator rule",
        edit=edit,
        changes=describe_edit(fleet, edit),
        commands=(_deploy(names.SHARED_STACK), *(_deploy(s) for s in _hub_order(fleet))),
        checks=tuple(_check(names.stack_id("target", n), "--before-destroy") for n in leaving),
        rollback=f"PR setting {', '.join(leaving)} back to registered; deploy the hubs (re-register), then shared",
    )


def _end_leaving(fleet: Fleet, section: Section, why: str) -> list[Step]:
    """The generations of `section` on their way out: a destroyed one leaves the file, a retiring
    one is destroyed, then leaves (with its service, if it is the last)."""
    steps: list[Step] = []
    current = fleet

    def phases() -> dict[str, str]:
        try:
            return {n: t.phase for n, t in section.lookup(current).items()}
        except KeyError:  # the service left the file with its last generation
            return {}

    for name in [n for n, p in phases().items() if p == DESTROYED]:
        steps.append(_remove_destroyed(current, section, name))
        current = apply_edit(current, _gone(current, section, name))
    for name in [n for n, p in phases().items() if p == RETIRING]:
        rollback = f"none once destroyed; until then, a PR setting {name} back to registered"
        steps += _destroy_target(current, section, name, why=why, rollback=rollback)
        current = apply_edit(current, _gone(current, section, name))
    return steps


def _gone(fleet: Fleet, section: Section, name: str) -> Edit:
    """The edit that removes a generation from the file: the whole service with its last target."""
    service = section.service
    if service is not None and list(fleet.services[service].targets) == [name]:
        return {Section.services(): {service: None}}
    return {section: {name: None}}


def _removal_title(gone: Edit, what: str, shared_drops: str) -> str:
    check = "the PR gate's `fleet plan --base` confirms its state is empty where it can read it"
    if Section.services() in gone:
        service = next(iter(gone[Section.services()]))
        return (
            f"Remove service {service} from the fleet file with its last generation, {what} (shared drops the "
            f"service's ALB; {check})"
        )
    if shared_drops == "nothing":
        return f"Remove {what} from the fleet file ({check})"
    return f"Remove {what} from the fleet file (shared drops {shared_drops}; {check})"


def _removal_rollback(gone: Edit, name: str, first_phase: str) -> str:
    if Section.services() in gone:
        service = next(iter(gone[Section.services()]))
        return f"add service {service} back with a new generation (phase: provisioning); its new ALB has a new DNS name"
    return f"add {name} back as a new generation (phase: {first_phase})"


def _destroy_target(
    fleet: Fleet, section: Section, name: str, why: str, rollback: str, checks: tuple[str, ...] = ()
) -> list[Step]:
    """The PR that ends a target generation nothing depends on (phase destroyed), its `cdktf
    destroy`, then the PR removing it from the file."""
    stack = names.stack_id("target", name)
    end: Edit = {section: {name: {"phase": DESTROYED}}}
    had_rule = section.lookup(fleet)[name].phase == PROVISIONING  # its operator rule goes from shared too
    gone = _gone(fleet, section, name)
    return [
        Step(
            title=f"Destroy {stack} ({why})",
            edit=end,
            changes=describe_edit(fleet, end),
            commands=(_destroy(stack), *((_deploy(names.SHARED_STACK),) if had_rule else ())),
            checks=checks,
            rollback=rollback,
        ),
        Step(
            title=_removal_title(gone, f"target {name}", "its target group"),
            edit=gone,
            changes=describe_edit(apply_edit(fleet, end), gone),
            commands=(_deploy(names.SHARED_STACK),),
            rollback=_removal_rollback(gone, name, PROVISIONING),
        ),
    ]


def _hub_steps(fleet: Fleet) -> list[Step]:
    steps: list[Step] = []
    current = fleet
    standby = [n for n, h in current.hubs.items() if h.phase == STANDBY]
    if standby:
        new, old = standby[-1], current.active_hub
        for spare in standby[:-1]:
            steps += _retire_hub(current, spare, superseded_by=new)
            current = apply_edit(current, {Section.hubs(): {spare: None}})
        edit: Edit = {Section.hubs(): {old: {"phase": RETIRING}, new: {"phase": ACTIVE}}}
        registered = [n for n, t in current.targets.items() if t.registered]
        steps.append(
            Step(
                title=f"Promote hub {new}: pause {old}, then activate {new}",
                edit=edit,
                changes=describe_edit(current, edit),
                commands=(_deploy(names.stack_id("hub", old)), _deploy(names.stack_id("hub", new))),
                checks=_checks(current, registered),  # run after the promotion: from the new active hub
                rollback=f"PR setting {old} back to active and {new} to standby; deploy argocd-{new} first (pause), "
                f"then argocd-{old}",
            )
        )
        current = apply_edit(current, edit)
    for name in [n for n, h in current.hubs.items() if h.phase == RETIRING]:
        steps += _retire_hub(current, name)
        current = apply_edit(current, {Section.hubs(): {name: None}})
    for name in [n for n, h in current.hubs.items() if h.phase == DESTROYED]:
        steps.append(_remove_destroyed(current, Section.hubs(), name))
        current = apply_edit(current, {Section.hubs(): {name: None}})
    return steps


def _remove_destroyed(fleet: Fleet, section: Section, name: str) -> Step:
    """A generation already in phase destroyed: its stack was destroyed by the last deploy."""
    kind: names.Kind = "hub" if section == Section.hubs() else "target"
    stack = names.stack_id(kind, name)
    gone = _gone(fleet, section, name)
    return Step(
        title=_removal_title(
            gone, f"{stack} (destroyed)", "nothing" if section == Section.hubs() else "its target group"
        ),
        edit=gone,
        changes=describe_edit(fleet, gone),
        commands=(_deploy(names.SHARED_STACK),) if section != Section.hubs() else (),
        rollback=_removal_rollback(gone, name, STANDBY if section == Section.hubs() else PROVISIONING),
    )


def _retire_hub(fleet: Fleet, name: str, superseded_by: str | None = None) -> list[Step]:
    stack = names.stack_id("hub", name)
    why = f" (superseded by {superseded_by})" if superseded_by else " (paused since the step before)"
    end: Edit = {Section.hubs(): {name: {"phase": DESTROYED}}}
    gone: Edit = {Section.hubs(): {name: None}}
    return [
        Step(
            title=f"Destroy {stack}{why}",
            edit=end,
            changes=describe_edit(fleet, end),
            commands=(_destroy(stack),),
            checks=(
                _check(names.stack_id("hub", fleet.active_hub)),
                *_checks(fleet, [n for n, t in fleet.targets.items() if t.registered]),
            ),
            rollback=f"none once destroyed; until the PR merges, keep {name} {fleet.hubs[name].phase}",
        ),
        Step(
            title=f"Remove hub {name} from the fleet file (no other stack changes; the PR gate's `fleet plan "
            "--base` confirms its state is empty where it can read it)",
            edit=gone,
            changes=describe_edit(apply_edit(fleet, end), gone),
            rollback=f"add {name} back as a new generation (phase: standby)",
        ),
    ]

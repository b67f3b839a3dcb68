"""The swap planner: from the fleet as it stands, the PRs and commands that finish every swap.

A plan is a list of steps. Each step is at most one fleet-file edit (one PR, whose `cdktf diff`
can plan because what it reads was deployed the step before), the runs after it merges, in order,
the checks to pass before the next step, and how to roll the step back. `plan` reads top to
bottom: the commands for the file as it stands, each service's swap (register the new generation,
move its traffic, retire and end the old ones), then the hubs'. Each step's PR is written into a
`Draft`, which keeps the file as the steps so far leave it; how generations leave is
`fleet.ops.endings`, the weights of each traffic step `fleet.model.weights`, the text and JSON
`fleet.ops.render`. The PR gate's phase rules (`fleet.gate.phases`) judge each such PR.
"""

from __future__ import annotations

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
from fleet.model.shift import Shift
from fleet.model.weights import weight_steps as weights_of
from fleet.ops.commands import (
    checks_after_deploy,
    cluster_checks,
    deploy,
    deploy_hubs,
    destroy,
    shift,
)
from fleet.ops.defaults import DEFAULT_WEIGHT_STEPS
from fleet.ops.edits import Edit
from fleet.ops.endings import destroy_target, end_leaving, remove_destroyed, retire, retire_hub
from fleet.ops.step import Draft, PlanRefused, Step
from fleet.ref import Section

__all__ = ["PlanRefused", "Step", "plan"]


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
    draft = Draft(fleet)
    _settle(draft)
    for service in fleet.services:
        if fleet.services[service].closed:
            _close(draft, service)
        else:
            _swap(draft, service, weight_steps)
    _hub_swap(draft)
    return draft.steps


# --- the file as it stands -----------------------------------------------------------------------


def _settle(draft: Draft) -> None:
    """The commands that bring AWS in line with the file as it stands (the last PR's deploy)."""
    fleet = draft.fleet
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
        commands += deploy_hubs(fleet)
    if not commands:
        return
    registered = [n for n, p in incoming.items() if p == REGISTERED]
    new_hubs = [names.stack_id("hub", n) for n, h in fleet.hubs.items() if h.phase == STANDBY]
    checks = cluster_checks([names.stack_id("target", n) for n, p in incoming.items() if p == PROVISIONING] + new_hubs)
    draft.run(
        "Deploy the fleet file as it stands (shared and new targets first, hubs after, paused hubs before the active one)",
        tuple(commands),
        checks + checks_after_deploy(registered),
        "revert the PR that produced this file and run the same commands again",
    )


def _shifting(fleet: Fleet) -> list[str]:
    """Services with `traffic.shift` whose shift PR may not be live yet: a generation registered
    at weight 0 listed before the newest serving one (drained by the PR, as `_swap` reads it;
    `fleet shift` takes the live weights there, or finds nothing left to move)."""
    found = []
    for name, spec in fleet.services.items():
        order = list(spec.targets)
        serving = [i for i, n in enumerate(order) if spec.targets[n].phase == SERVING]
        drained = serving and any(spec.targets[n].phase == REGISTERED for n in order[: serving[-1]])
        if spec.traffic.shift is not None and not spec.closed and drained:
            found.append(name)
    return found


# --- a service's swap ----------------------------------------------------------------------------


def _swap(draft: Draft, service: str, weight_steps: tuple[int, ...]) -> None:
    """One service's swap: the newest incoming generation registered, given the traffic, the old
    ones retired and ended; no other service's targets appear in its edits."""
    section = Section.targets(service)
    targets = draft.fleet.services[service].targets
    phases = {n: t.phase for n, t in targets.items()}
    order = list(phases)
    serving = [n for n in order if phases[n] == SERVING]
    # Generations are listed oldest first: a registered one listed before the newest serving one
    # has been drained (weight 0) on its way out, not on its way in.
    newest_serving = max((order.index(n) for n in serving), default=-1)
    drained = [n for n in order[:newest_serving] if phases[n] == REGISTERED]
    incoming = [n for n in order if phases[n] in (PROVISIONING, REGISTERED) and n not in drained]
    if not incoming and len(serving) > 1:  # mid-way through the weight steps: the newest is incoming
        incoming, serving = serving[-1:], serving[:-1]
    # The newest incoming generation is the swap's; older candidates are superseded by it.
    superseded = incoming[:-1]
    old = [n for n in serving if n not in incoming]
    for name in superseded:
        if phases[name] == PROVISIONING:  # never registered: destroy it now
            _destroy_unregistered(draft, section, name, f"superseded by {incoming[-1]}")
        else:  # registered, weight 0: retired with the old generations at the last traffic step
            old.append(name)

    if incoming and phases[incoming[-1]] == PROVISIONING:
        _register(draft, service, incoming[-1])
    if incoming:
        _move_traffic(draft, service, incoming[-1], old, weight_steps)

    now = draft.fleet.services[service].targets
    leaving = [n for n in [*old, *drained] if n in now and now[n].phase == REGISTERED]
    if leaving:
        retire(draft, service, leaving, f"(service {service})")
    end_leaving(draft, section, "weight 0, deregistered and drained since the step before")


def _register(draft: Draft, service: str, name: str) -> None:
    draft.pr(
        f"Register {name} (service {service}) with every hub (the ApplicationSets deploy the apps to it)",
        {Section.targets(service): {name: {"phase": REGISTERED}}},
        commands=deploy_hubs(draft.fleet),
        checks=checks_after_deploy([name]),
        rollback=f"PR setting {name} back to provisioning, then the same hub deploys "
        "(deregistered; its apps keep running until the stack is destroyed)",
    )


def _move_traffic(draft: Draft, service: str, incoming: str, old: list[str], weight_steps: tuple[int, ...]) -> None:
    """The PRs that move a service's traffic to `incoming`, one weight step each (weights by the
    one rule, `fleet.model.weights`); the 100% step takes the serving `old` generations out of
    traffic (registered, weight 0). With the service's `traffic.shift`, one PR sets the 100% step's
    weights and `fleet shift` walks there after it merges."""
    section = Section.targets(service)
    spec = draft.fleet.services[service]
    serving = [n for n, t in spec.targets.items() if t.phase == SERVING]
    shifted = spec.traffic.shift if old else None
    # a new service's first generation: nothing to shift from; a shifted service: one PR, the last step's
    shares = weight_steps if old and shifted is None else (100,)
    before = {n: spec.targets[n].weight for n in [incoming, *old]}
    for weights in weights_of(before, incoming, shares, list(before)):
        share = weights[incoming]
        edit: Edit = {section: {incoming: {"phase": SERVING, "weight": share}}}
        if share == 100:
            edit[section].update({n: {"phase": REGISTERED, "weight": 0} for n in old if n in serving})
        else:
            _refuse_serving_at_zero(service, old, serving, weights, share)
            edit[section].update({n: {"weight": weights[n]} for n in old})
        if shifted is None:
            title, rollback = _traffic_words(service, incoming, old, share)
        else:
            title, rollback = _shift_words(service, shifted, incoming, old)
        draft.pr(
            title,
            edit,
            commands=(deploy(names.SHARED_STACK) if shifted is None else shift(service),),
            checks=checks_after_deploy([incoming]),
            rollback=rollback,
        )


def _refuse_serving_at_zero(
    service: str, old: list[str], serving: list[str], weights: dict[str, int], share: int
) -> None:
    """A step below 100% leaves every serving generation some traffic: the file refuses a serving one at 0."""
    starved = [n for n in old if n in serving and not weights[n]]
    if starved:
        raise PlanRefused(
            [
                f"services.{service}.targets.{starved[0]}: its weight rounds to 0 at the {share}% step while it still "
                "serves; use fewer weight steps (e.g. 10,50,100), or move its traffic to another generation first"
            ]
        )


def _traffic_words(service: str, incoming: str, old: list[str], share: int) -> tuple[str, str]:
    """Title and rollback of one weight step's PR."""
    if share < 100:
        return (
            f"Move {share}% of {service}'s traffic to {incoming}",
            f"PR restoring the previous weights, then `{deploy(names.SHARED_STACK)}`",
        )
    if not old:
        return (
            f"Open service {service}: send all its traffic to {incoming}",
            "none through the PR gate (a service that serves keeps a serving generation): swap to a new one",
        )
    return (
        f"Move all of {service}'s traffic to {incoming} ({', '.join(old)} stays registered at weight 0)",
        f"PR setting {', '.join(old)} back to serving with the previous weights, then `{deploy(names.SHARED_STACK)}`",
    )


def _shift_words(service: str, spec: Shift, incoming: str, old: list[str]) -> tuple[str, str]:
    """Title and rollback of the one PR of a shifted service's traffic move."""
    steps = ", ".join(f"{s}%" for s in spec.steps)
    leaving = ", ".join(old)
    title = (
        f"Shift all of {service}'s traffic to {incoming} under analysis ({steps}, {spec.bake_minutes} min of passing "
        f"periods each; {leaving} stays registered at weight 0)"
    )
    rollback = (
        f"automatic: on a failed check, timeout or apply, `{shift(service)}` applies the weights live before it "
        f"started, reads them back, exits non-zero and prints the revert edit; then revert this PR ({leaving} back "
        f"to serving with its weights, {incoming} registered at weight 0), and the deploy workflow refuses shared for "
        f"{service} until that revert merges. After a successful shift: the same revert PR, then "
        f"`{deploy(names.SHARED_STACK)}`"
    )
    return title, rollback


def _destroy_unregistered(draft: Draft, section: Section, name: str, why: str) -> None:
    """A `provisioning` target no hub ever registered, ended at once: destroyed, then removed."""
    rollback = f"none once destroyed; until then, keep {name} in the file"
    destroy_target(draft, section, name, why=f"{why}; no hub ever registered it", rollback=rollback)


def _close(draft: Draft, service: str) -> None:
    """A closed service: retire every registered generation, destroy each, then remove the service."""
    section = Section.targets(service)
    phases = {n: t.phase for n, t in draft.fleet.services[service].targets.items()}
    for name in [n for n, p in phases.items() if p == PROVISIONING]:
        _destroy_unregistered(draft, section, name, f"service {service} is closed")
    leaving = [n for n, p in phases.items() if p == REGISTERED]
    if leaving:
        retire(draft, service, leaving, f"(service {service} is closed)")
    end_leaving(draft, section, "deregistered and drained since the step before")


# --- the hubs ------------------------------------------------------------------------------------


def _hub_swap(draft: Draft) -> None:
    """The newest standby hub promoted (older spares destroyed first), then the paused and the
    destroyed hubs ended."""
    standby = [n for n, h in draft.fleet.hubs.items() if h.phase == STANDBY]
    if standby:
        new, old = standby[-1], draft.fleet.active_hub
        for spare in standby[:-1]:
            retire_hub(draft, spare, superseded_by=new)
        registered = [n for n, t in draft.fleet.targets.items() if t.registered]
        draft.pr(
            f"Promote hub {new}: pause {old}, then activate {new}",
            {Section.hubs(): {old: {"phase": RETIRING}, new: {"phase": ACTIVE}}},
            commands=(deploy(names.stack_id("hub", old)), deploy(names.stack_id("hub", new))),
            checks=checks_after_deploy(registered),  # run after the promotion: from the new active hub
            rollback=f"PR setting {old} back to active and {new} to standby; deploy argocd-{new} first (pause), "
            f"then argocd-{old}",
        )
    for name in [n for n, h in draft.fleet.hubs.items() if h.phase == RETIRING]:
        retire_hub(draft, name)
    for name in [n for n, h in draft.fleet.hubs.items() if h.phase == DESTROYED]:
        remove_destroyed(draft, Section.hubs(), name)

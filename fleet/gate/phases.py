"""The phase rules of the PR gate: which phase changes one PR may make (`fleet plan --base`).

A PR may move each generation one phase along `fleet.lifecycle`'s moves (or one back, as a
rollback); it may not skip a phase, remove a generation that still has a cluster, or leave a
serving service without a serving generation. And a PR is one step: it changes one generation's
phase (or makes one of the planner's compound moves, `MULTI_MOVES` or a hub promotion), and moves
a service's traffic by at most one weight step: a generation enters traffic with at most the
first step's share, and no generation's share jumps over a step. A service with `traffic.shift`
moves to its final weights in one PR that changes nothing else (`fleet.gate.shift_pr`).
"""

from __future__ import annotations

from fleet.gate.shift_pr import shift_moves, weights_only_by_shift
from fleet.gate.sources import base_fleet
from fleet.gate.state import left_with_state
from fleet.lifecycle import (
    ACTIVE,
    DEFAULT_WEIGHT_STEPS,
    DESTROYED,
    GONE,
    MOVES,
    MULTI_MOVES,
    NEW,
    PROVISIONING,
    SERVING,
    STANDBY,
)
from fleet.model import Fleet
from fleet.ref import GenerationRef


def transition_refusals(base: Fleet, head: Fleet, weight_steps: tuple[int, ...] = DEFAULT_WEIGHT_STEPS) -> list[str]:
    """Why the PR that turns `base` into `head` is unsafe; empty when it is fine."""
    refs = dict.fromkeys(ref for ref, _ in base.generations())
    refs |= dict.fromkeys(ref for ref, _ in head.generations())
    services = list(dict.fromkeys(r.service for r in refs if r.kind == "target"))
    ordered = [r for s in services for r in refs if r.service == s] + [r for r in refs if r.kind == "hub"]
    reasons: list[str] = []
    for ref in ordered:
        before, after = base.spec(ref), head.spec(ref)
        old = before.phase if before is not None else NEW
        new = after.phase if after is not None else GONE
        if old != new and new not in MOVES[ref.kind][old]:
            reasons.append(_refusal(ref, old, new))
    for service, spec in base.services.items():
        served = [n for n, t in spec.targets.items() if t.phase == SERVING]
        kept = head.services.get(service)
        if (
            served
            and kept is not None
            and not kept.closed
            and not any(t.phase == SERVING for t in kept.targets.values())
        ):
            reasons.append(
                f"services.{service}.targets: no generation would serve {service} ({', '.join(served)} serves now) and "
                f"its ALB would answer 503 to every request; keep one serving, or set services.{service}.closed: true "
                "to take the service down"
            )
    if reasons:  # a move that is wrong on its own says so; counting steps would only repeat it
        return reasons
    shifted, refused = shift_moves(base, head)
    if refused:
        return refused
    if shifted:  # the one PR of a `traffic.shift` move, nothing else changed: `fleet shift` walks the steps
        return []
    by_hand = weights_only_by_shift(base, head, shifted)
    return by_hand + _more_than_one_step(base, head) + _traffic_jumps(base, head, weight_steps)


def _more_than_one_step(base: Fleet, head: Fleet) -> list[str]:
    """One phase change per PR, each deployed and checked on its own, except the compound moves
    one planner step makes."""
    changes: dict[GenerationRef, tuple[str, str]] = {}
    for fleet in (base, head):
        for ref, _ in fleet.generations():
            before, after = base.spec(ref), head.spec(ref)
            old = before.phase if before is not None else NEW
            new = after.phase if after is not None else GONE
            if old != new:
                changes[ref] = (old, new)
    if len(changes) <= 1 or _compound(base, head, changes):
        return []
    listed = ", ".join(f"{ref.path} {old} -> {new}" for ref, (old, new) in changes.items())
    return [
        f"{len(changes)} phase changes in one PR ({listed}): make one per PR, each deployed and checked before "
        "the next (`fleet plan` prints the steps, each with its rollback)"
    ]


def _compound(base: Fleet, head: Fleet, changes: dict[GenerationRef, tuple[str, str]]) -> bool:
    """A hub promotion (one hub becomes active as the active one steps down), or one of
    `MULTI_MOVES` made to several targets of one service."""
    refs = list(changes)
    moves = list(changes.values())
    if all(ref.kind == "hub" for ref in refs) and len(refs) == 2:  # the active role moves to another hub
        olds, news = [old for old, _ in moves], [new for _, new in moves]
        return len(moves) == 2 and olds.count(ACTIVE) == 1 and news.count(ACTIVE) == 1
    services = {ref.service for ref in refs}
    return len(services) == 1 and None not in services and len(set(moves)) == 1 and moves[0] in MULTI_MOVES


def _traffic_jumps(base: Fleet, head: Fleet, weight_steps: tuple[int, ...]) -> list[str]:
    """Per service: a generation enters traffic with at most the first weight step (unless nothing
    served before: a new service opens at 100), and no share jumps over a step."""
    reasons = []
    steps = ", ".join(f"{s}%" for s in weight_steps)
    for service, spec in head.services.items():
        before = base.services.get(service)
        if before is None:
            continue
        served_before = any(t.weight for t in before.targets.values())
        for name, target in spec.targets.items():
            old = before.targets[name].weight if name in before.targets else 0
            new = target.weight
            if new <= old:
                continue
            where = f"services.{service}.targets.{name}.weight"
            if old == 0 and served_before and new > weight_steps[0]:
                reasons.append(
                    f"{where}: {old} -> {new} sends {new}% of {service}'s traffic to a generation that took none "
                    f"before; it enters with {weight_steps[0]}% at most (the steps are {steps}), then one step per PR"
                )
            elif old > 0 and any(old < s < new for s in weight_steps):
                step = next(s for s in weight_steps if s > old)
                reasons.append(
                    f"{where}: {old} -> {new} jumps over the {step}% step (the steps are {steps}); "
                    f"set {step} in this PR and the next step in the next one"
                )
    return reasons


def _refusal(ref: GenerationRef, old: str, new: str) -> str:
    moves = MOVES[ref.kind]
    where = ref.path
    if old == NEW:
        first = next(iter(moves[NEW]))
        return f"{where}: a new generation starts as {first}, not {new}; add it with phase: {first}"
    if new == GONE:
        what = {
            "serving": "a serving target",
            "registered": "a registered target the hubs deploy to",
            "active": "the active hub",
        }.get(old, f"a {old} generation")
        first = "retiring (weight 0), then destroyed" if ref.kind == "target" and old != PROVISIONING else DESTROYED
        if ref.kind == "hub" and old != STANDBY:
            first = "retiring, then destroyed"
        return (
            f"{where}: removing it while {old} would orphan {what} (its cluster stays in AWS with no stack to "
            f"destroy it); set phase: {first} first (`cdktf destroy {ref.stack_id}` runs then), and remove it after"
        )
    allowed = ", ".join(sorted(m for m in moves[old] if m != GONE))
    if ref.kind == "target" and new == SERVING and old == PROVISIONING:
        return (
            f"{where}: provisioning -> serving skips registered: traffic would reach a cluster no hub has "
            "deployed the apps to; set phase: registered (weight 0) first"
        )
    return f"{where}: {old} -> {new} skips a phase; from {old} the next phase is one of: {allowed}"


def pr_refusals(
    base_reference: str, fleet_path: str, head: Fleet, weight_steps: tuple[int, ...] = DEFAULT_WEIGHT_STEPS
) -> list[str]:
    """`fleet plan --base`: the phase rules and the removal check for the PR that turns the fleet
    at `base_reference` (a file or a git revision) into `head`."""
    base = base_fleet(base_reference, fleet_path)
    return transition_refusals(base, head, weight_steps) + left_with_state(base, head)

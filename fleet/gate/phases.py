"""The phase rules of the PR gate: which phase changes one PR may make (`fleet plan --base`).

A PR may move each generation one phase along `fleet.lifecycle`'s moves (or one back, as a
rollback); it may not skip a phase, remove a generation that still has a cluster, or leave a
serving service without a serving generation.
"""

from __future__ import annotations

from fleet.gate.sources import base_fleet
from fleet.gate.state import left_with_state
from fleet.lifecycle import DESTROYED, GONE, MOVES, NEW, PROVISIONING, SERVING, STANDBY
from fleet.ref import GenerationRef
from fleet.spec import Fleet


def transition_refusals(base: Fleet, head: Fleet) -> list[str]:
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


def pr_refusals(base_reference: str, fleet_path: str, head: Fleet) -> tuple[list[str], list[str]]:
    """`fleet plan --base`: the phase rules and the removal check for the PR that turns the fleet
    at `base_reference` (a file or a git revision) into `head`. (refusals, notes)."""
    base = base_fleet(base_reference, fleet_path)
    left, notes = left_with_state(base, head)
    return transition_refusals(base, head) + left, notes

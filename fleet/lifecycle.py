"""Generation phases, and which phase changes one PR may make.

Targets: provisioning -> registered -> serving -> retiring -> destroyed -> (removed from the file)
Hubs:    standby -> active -> retiring -> destroyed -> (removed)

Each step back is a rollback and allowed too (registered -> provisioning, retiring -> serving, ...).
A serving target leaves traffic (weight 0, back to registered) in one PR and is deregistered
(retiring) in the next: one phase change per PR, each deployed and checked on its own.
Skipping forward is not: traffic would reach a cluster no hub has deployed to, or a generation
would disappear while something still depends on it. `destroyed` is the only way out of the file:
its stack is still synthesized (so `cdktf destroy <stack>` finds it) and refuses `cdktf deploy`;
only once it is destroyed may the generation leave the file.
"""

from __future__ import annotations

from typing import Literal

from fleet.names import Kind

TargetPhase = Literal["provisioning", "registered", "serving", "retiring", "destroyed"]
HubPhase = Literal["standby", "active", "retiring", "destroyed"]

PROVISIONING: TargetPhase = "provisioning"
REGISTERED: TargetPhase = "registered"
SERVING: TargetPhase = "serving"
STANDBY: HubPhase = "standby"
ACTIVE: HubPhase = "active"
RETIRING: Literal["retiring"] = "retiring"
DESTROYED: Literal["destroyed"] = "destroyed"

TARGET_PHASES: tuple[str, ...] = (PROVISIONING, REGISTERED, SERVING, RETIRING, DESTROYED)
HUB_PHASES: tuple[str, ...] = (STANDBY, ACTIVE, RETIRING, DESTROYED)

REGISTERED_PHASES = frozenset({REGISTERED, SERVING})
"""Target phases every hub registers (a cluster Secret each): ApplicationSets deploy to them."""
PAUSED_HUB_PHASES = frozenset({STANDBY, RETIRING, DESTROYED})
"""Hub phases whose cluster Secrets carry skip-reconcile: they never sync anything."""
CANDIDATE_PHASES: dict[Kind, frozenset[str]] = {"target": frozenset({PROVISIONING}), "hub": frozenset({STANDBY})}
"""Generations nobody depends on yet: an in-place change to their cluster is still allowed."""
OPERATOR_RULE_PHASES = frozenset({PROVISIONING, REGISTERED, SERVING})
"""Target phases with a listener rule that lets operators try the generation through the ALB (and
makes the ALB health-check it before it takes weight); a retiring generation has none, so nothing
reaches it any more."""

NEW = "(new)"
GONE = "(removed)"

DEFAULT_WEIGHT_STEPS: tuple[int, ...] = (10, 50, 100)
"""The traffic shares a swap moves through, percent of the incoming generation: the planner makes
one PR per step, and the PR gate refuses a PR that jumps over one."""

MULTI_MOVES: frozenset[tuple[str, str]] = frozenset(
    {
        (SERVING, REGISTERED),  # the last traffic step: every old serving generation leaves traffic
        (REGISTERED, SERVING),  # ... and its rollback
        (REGISTERED, RETIRING),  # the old generations of a swap are deregistered together
        (RETIRING, REGISTERED),
        (PROVISIONING, REGISTERED),
        (REGISTERED, PROVISIONING),
        (DESTROYED, GONE),  # destroyed generations leave the file (a service with its last ones)
    }
)
"""Phase changes one PR may make to several target generations of one service at once (each a step
of the planner, or its rollback). Any other PR changes one generation's phase, or is a hub
promotion (one hub becomes active, the active one steps down)."""


TARGET_MOVES: dict[str, frozenset[str]] = {
    NEW: frozenset({PROVISIONING}),
    PROVISIONING: frozenset({REGISTERED, DESTROYED}),
    REGISTERED: frozenset({SERVING, PROVISIONING, RETIRING}),
    SERVING: frozenset({REGISTERED}),
    RETIRING: frozenset({SERVING, REGISTERED, DESTROYED}),
    DESTROYED: frozenset({GONE}),
}
"""Phase changes one PR may make to a target generation (forward, or back as a rollback)."""

HUB_MOVES: dict[str, frozenset[str]] = {
    NEW: frozenset({STANDBY}),
    STANDBY: frozenset({ACTIVE, DESTROYED}),
    ACTIVE: frozenset({RETIRING, STANDBY}),
    RETIRING: frozenset({ACTIVE, DESTROYED}),
    DESTROYED: frozenset({GONE}),
}
"""Phase changes one PR may make to a hub generation."""

MOVES: dict[Kind, dict[str, frozenset[str]]] = {"target": TARGET_MOVES, "hub": HUB_MOVES}


def is_live(kind: Kind, phase: str) -> bool:
    """A live generation is immutable: what it runs on may not be changed in place. Candidates
    (nobody depends on them yet) and destroyed generations (on their way out) are not live."""
    return phase not in CANDIDATE_PHASES[kind] and phase != DESTROYED

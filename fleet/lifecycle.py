"""Generation phases, and which phase changes one PR may make.

Targets: provisioning -> registered -> serving -> retiring -> (removed from the file)
Hubs:    standby -> active -> retiring -> (removed)

Each step back is a rollback and allowed too (serving -> registered, retiring -> serving, ...).
Skipping forward is not: traffic would reach a cluster no hub has deployed to, or a generation
would disappear while something still depends on it.
"""

from __future__ import annotations

from typing import Literal

TargetPhase = Literal["provisioning", "registered", "serving", "retiring"]
HubPhase = Literal["standby", "active", "retiring"]

TARGET_PHASES: tuple[str, ...] = ("provisioning", "registered", "serving", "retiring")
HUB_PHASES: tuple[str, ...] = ("standby", "active", "retiring")

REGISTERED_PHASES = frozenset({"registered", "serving"})
"""Target phases every hub registers (a cluster Secret each): ApplicationSets deploy to them."""
PAUSED_HUB_PHASES = frozenset({"standby", "retiring"})
"""Hub phases whose cluster Secrets carry skip-reconcile: they never sync anything."""
CANDIDATE_PHASES = {"target": frozenset({"provisioning"}), "argocd": frozenset({"standby"})}
"""Generations nobody depends on yet: an in-place change to their cluster is still allowed."""

NEW = "(new)"
GONE = "(removed)"

TARGET_MOVES: dict[str, frozenset[str]] = {
    NEW: frozenset({"provisioning"}),
    "provisioning": frozenset({"registered", GONE}),
    "registered": frozenset({"serving", "provisioning", "retiring"}),
    "serving": frozenset({"retiring", "registered"}),
    "retiring": frozenset({"serving", "registered", GONE}),
}
"""Phase changes one PR may make to a target generation (forward, or back as a rollback)."""

HUB_MOVES: dict[str, frozenset[str]] = {
    NEW: frozenset({"standby"}),
    "standby": frozenset({"active", GONE}),
    "active": frozenset({"retiring", "standby"}),
    "retiring": frozenset({"active", GONE}),
}


def is_live(kind: str, phase: str) -> bool:
    """A live generation is immutable: its cluster may not be changed in place."""
    return phase not in CANDIDATE_PHASES[kind]

"""What every guard rule reads besides the change it judges (fleet/gate/guard.py `RULES`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from fleet.gate.diff import StackDiff
from fleet.gate.refusal import Refusal
from fleet.model import Fleet
from fleet.model.resolved import Resolved, ResolvedGeneration, resolve


@dataclass(frozen=True)
class Context:
    """What every rule reads besides the change: both fleets resolved (None where unknown), the
    live generation stacks of base with their phases, and the services with a live target."""

    base: Resolved | None
    head: Resolved | None
    live: dict[str, str | None]
    live_services: set[str] | None
    """None when the base fleet is unknown: every service counts."""

    @classmethod
    def of(cls, base: Fleet | None, head: Fleet | None, live: dict[str, str | None], on: date) -> Context:
        """Each known fleet resolved once, on day `on`, with the live stacks of base."""
        base_view = resolve(base, on) if base is not None else None
        head_view = resolve(head, on) if head is not None else None
        services = None if base_view is None else {g.service for g in base_view if g.stack_id in live and g.service}
        return cls(base_view, head_view, live, services)

    def before(self, stack: str) -> ResolvedGeneration | None:
        return self.base.by_stack(stack) if self.base is not None else None

    def after(self, stack: str) -> ResolvedGeneration | None:
        return self.head.by_stack(stack) if self.head is not None else None


Rule = Callable[[StackDiff, Context], list[Refusal]]
"""A guard rule: the refusals of one stack's diff, or none."""

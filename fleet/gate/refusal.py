"""A refused change of a PR, as the guard says it: one line, what would happen, the way out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """One refused change: where, what would happen, and the way out; `steps` for a migration."""

    stack: str
    subject: str
    """The address, `stack removed` or `terraform.backend`."""
    happens: str
    way: str
    phase: str | None = None
    """A generation stack's phase in the base fleet; None for shared, or when it is unknown."""
    steps: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.stack} (phase {self.phase})" if self.phase else self.stack
        return f"{where}: {self.subject}: {self.happens}; {self.way}"

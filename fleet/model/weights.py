"""The one rule that splits a traffic move into weight steps: `fleet plan` writes one PR a step with
it, `fleet shift` applies one step at a time with it, so the two never round differently.

A step is `share` percent of the way from the weights live before the move to the weights after
it: every generation moves by `share` percent of its own change, exactly (a fraction), then is
rounded down; the points still missing to 100 go to the largest remainders (ties: the generation
listed first in `order`, by name when none is given). So every step sums to 100, starts from
`before` at 0 % and ends at `after` at 100 %, and no generation ever leaves the range between its
weight before and after: a move toward `after` never goes back, and a generation whose share is
exact (one incoming generation at a whole percent) takes exactly it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction

Weights = dict[str, int]
"""Generation -> ALB weight; the weights of one service sum to 100 once it serves."""


def step_weights(
    before: Mapping[str, int], after: Mapping[str, int], share: int | Fraction, order: Sequence[str] = ()
) -> Weights:
    """The weights `share` percent of the way from `before` to `after`, in whole numbers summing
    to 100 (largest remainder); exactly `before` at 0 and `after` at 100. `order`: every
    generation of `before` and `after`, in the order that breaks a tie and orders the result
    (by name when empty)."""
    gens = list(order) or sorted(set(before) | set(after))
    way = Fraction(share) / 100
    exact = {g: before.get(g, 0) + (after.get(g, 0) - before.get(g, 0)) * way for g in gens}
    weights = {g: math.floor(exact[g]) for g in gens}
    short = 100 - sum(weights.values())
    rank = {g: i for i, g in enumerate(gens)}
    for g in sorted(gens, key=lambda g: (weights[g] - exact[g], rank[g]))[: max(short, 0)]:
        weights[g] += 1
    return weights


def weight_steps(
    before: Mapping[str, int], incoming: str, shares: Sequence[int], order: Sequence[str] = ()
) -> list[Weights]:
    """The weights of each step that moves all traffic to `incoming`: at a step of `share` percent
    the incoming generation carries exactly `share` (steps at or below what it carries now are
    passed over), the others what is left, in proportion to their weights in `before`."""
    now = before.get(incoming, 0)
    after = {g: (100 if g == incoming else 0) for g in [*before, incoming]}
    return [step_weights(before, after, Fraction(100 * (s - now), 100 - now), order) for s in shares if s > now]

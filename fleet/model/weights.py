"""The one rule that splits a traffic move into weight steps: `fleet plan` writes one PR a step with
it, `fleet shift` applies one step at a time with it, so the two never round differently.

A step is `share` percent of the way from the weights live before the move to the weights after
it. The move is counted in points of weight: a generation that rises by d takes its d points one
by one, its j-th when `share` reaches (j - 1/2)/d of the way (when its exact weight is nearer the
next whole number); one that falls gives its points up the same way, but a generation on its way
out (weight 0 after) keeps its last point to the end. At a step, the points due first (ties: the
generation listed first in `order`, by name when none is given) move, as many as the whole
move's exact share, rounded to the nearest (half down). So every step sums to 100, starts from
`before` at 0 % and ends at `after` at 100 %, never moves more than its share of the traffic
(rounded up), and a later step only adds points to the ones before it: no generation ever goes
back. (Rounding each step on its own - the largest remainders first, or what is left to the
first generation - takes a point given at one step back at the next.) A generation whose share
is exact - the one incoming generation of a plan, at a whole percent - takes exactly it.
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
    """The weights `share` percent of the way from `before` to `after` (both summing to 100):
    the points due first, as many as the move's exact share, rounded; exactly `before` at 0 and
    `after` at 100. `order`: every generation of both, in the order that breaks a tie between
    points due at once and orders the result (by name when empty)."""
    gens = list(order) or sorted(set(before) | set(after))
    change = {g: after.get(g, 0) - before.get(g, 0) for g in gens}
    moved = math.ceil(Fraction(share) * sum(d for d in change.values() if d > 0) / 100 - Fraction(1, 2))
    weights = {g: before.get(g, 0) for g in gens}
    whole = math.lcm(*(2 * abs(d) for d in change.values() if d))  # when each point is due, in whole units
    for way in (1, -1):  # the points taken, then the points given up
        due = sorted(
            (whole if j == -d and not after.get(g) else (2 * j - 1) * (whole // (2 * abs(d))), i, g)
            for i, g in enumerate(gens)
            if (d := change[g]) * way > 0
            for j in range(1, abs(d) + 1)
        )
        for _, _, g in due[:moved]:
            weights[g] += way
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

"""The one rule that splits a traffic move into weight steps (fleet/model/weights.py), as `fleet
plan` (one PR a step) and `fleet shift` (one apply a step) both use it: every step sums to 100, the
steps start from the weights live now and end at the target, never go back, and no step moves more
traffic than its share of the whole move (rounded up)."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from fleet.model.weights import step_weights, weight_steps

GENERATIONS = ("blue", "green", "red", "amber")


@st.composite
def weights(draw: st.DrawFn, names: tuple[str, ...] = GENERATIONS) -> dict[str, int]:
    """Weights of up to four generations, in a drawn order, summing to 100."""
    gens = draw(st.permutations(names))[: draw(st.integers(1, len(names)))]
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=len(gens) - 1, max_size=len(gens) - 1)))
    bounds = [0, *cuts, 100]
    return {gen: bounds[i + 1] - bounds[i] for i, gen in enumerate(gens)}


shares = st.lists(st.integers(1, 99), max_size=6, unique=True).map(lambda s: (*sorted(s), 100))


def assert_walk(
    before: dict[str, int], after: dict[str, int], ways: list[Fraction], steps: list[dict[str, int]]
) -> None:
    """`steps[i]` is `ways[i]` percent of the way from `before` to `after`."""
    walk = [before, *steps]
    assert steps[-1] == {g: after.get(g, 0) for g in steps[-1]}, "ends at the target"
    for step in steps:
        assert sum(step.values()) == 100, step
    move = sum(max(after.get(g, 0) - before.get(g, 0), 0) for g in {*before, *after})
    stops = [(Fraction(0), before), *zip(ways, steps, strict=True)]
    for (way0, prev), (way1, step) in zip(stops, stops[1:], strict=False):
        for gen, weight in step.items():
            was, to = prev.get(gen, 0), after.get(gen, 0)
            assert min(was, to) <= weight <= max(was, to), ("monotone toward the target", gen, walk)
        moved = sum(max(step[g] - prev.get(g, 0), 0) for g in step)
        assert moved <= math.ceil(move * (way1 - way0) / 100), ("at most the step's share of the move", walk)


@given(before=weights(), after=weights(), steps=shares)
def test_a_shift_walks_from_the_live_weights_to_the_files(before, after, steps):
    """`fleet shift`: `share` percent of the way from the weights live before to the file's."""
    ways = [Fraction(s) for s in steps]
    assert step_weights(before, after, 0) == {g: before.get(g, 0) for g in sorted({*before, *after})}
    assert_walk(before, after, ways, [step_weights(before, after, s) for s in steps])


@given(before=weights(), data=st.data(), steps=shares)
def test_a_plans_steps_give_the_incoming_generation_each_share_exactly(before, data, steps):
    """`fleet plan`: at a step of s %, the incoming generation carries exactly s %, the others the
    rest in proportion to what they carry now; steps at or below what it carries now are passed over."""
    incoming = data.draw(st.sampled_from([*before, "new"]))
    start = {**before, incoming: before.get(incoming, 0)}
    order = list(start)
    now = start[incoming]
    after = {g: (100 if g == incoming else 0) for g in order}
    planned = weight_steps(start, incoming, steps, order)
    taken = [s for s in steps if s > now]
    assert [w[incoming] for w in planned] == taken
    assert all(list(w) == order for w in planned), "file order kept"
    if planned:
        assert_walk(start, after, [Fraction(100 * (s - now), 100 - now) for s in taken], planned)

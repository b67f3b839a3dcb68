"""The PR gate's rule for a service with `traffic.shift`: one PR, one shift.

With `services.<svc>.traffic.shift`, `fleet plan` asks for one PR that sets the weights of the
last traffic step at once (the incoming generations serving with all the traffic, the old ones
registered at weight 0), and the deploy workflow runs `fleet shift <svc>`, which walks the live
weights there step by step under analysis. That PR breaks two rules `fleet.gate.phases` applies
to every other PR (one phase change per PR, no weight jumping a step); it is accepted when it is
exactly that move and the fleet file changes nothing else.

Which fleet decides whether the service shifts: the HEAD's `traffic.shift`, because the shift that
runs after the merge reads the merged file (its steps and thresholds guard this move). And since
nothing else may change, the head's `shift` is the base's too: a PR that adds `shift` (or loosens
it) and jumps the weights in one go is refused, so the rules that guard a jump were reviewed and
merged on their own before it. The merge pipeline finds the move in the base's plan, which
collapses only with the base's `shift`: both agree because they are equal.
"""

from __future__ import annotations

from typing import Any

from fleet.compare import changes_besides_traffic
from fleet.lifecycle import REGISTERED, SERVING
from fleet.model import Fleet


def shift_moves(base: Fleet, head: Fleet) -> tuple[list[str], list[str]]:
    """(the services whose traffic this PR moves as one shift, refusals). A service counts when
    `traffic.shift` is set in head and its weights go to the final ones: every generation with
    weight in head serving, every generation that served in base and has none now registered at
    weight 0, no other phase changed. Its PR is accepted only when it changes nothing else in the
    fleet file: the refusals name what else changed."""
    moves: list[str] = []
    reasons: list[str] = []
    for service, spec in head.services.items():
        before = base.services.get(service)
        if spec.traffic.shift is None or before is None or not _final_move(before.targets, spec.targets):
            continue
        others = changes_besides_traffic(base, head, service)
        if not others:
            moves.append(service)
            continue
        added = f"services.{service}.traffic.shift" in others and before.traffic.shift is None
        reasons.append(
            f"services.{service}.traffic.shift: this PR moves {service}'s traffic to its final weights for "
            f"`python -m fleet shift {service}`, and also changes {', '.join(others)}; a shift PR changes "
            "nothing else: "
            + (
                "set traffic.shift in a PR of its own first, then move the weights"
                if added
                else "make the other changes in a PR of their own"
            )
        )
    return moves, reasons


def weights_only_by_shift(base: Fleet, head: Fleet, shifted: list[str]) -> list[str]:
    """A service that shifts (`traffic.shift` in base and head) and served before moves its weights
    only by a shift PR (or the revert of one): a hand-written weight step would be deployed by a
    plain `cdktf deploy shared`, with no analysis. Closing the service is not a weight step."""
    reasons = []
    for service, spec in head.services.items():
        before = base.services.get(service)
        if service in shifted or before is None or spec.closed:
            continue
        if spec.traffic.shift is None or before.traffic.shift is None:
            continue
        if not any(t.phase == SERVING for t in before.targets.values()):
            continue  # a new service opens at 100: nothing to shift from
        old = {n: t.weight for n, t in before.targets.items()}
        new = {n: t.weight for n, t in spec.targets.items()}
        if any(old.get(n, 0) != new.get(n, 0) for n in set(old) | set(new)):
            reasons.append(
                f"services.{service}.targets: with traffic.shift, {service}'s weights move only by one shift PR - "
                "the incoming generations serving with all the traffic, the serving ones registered at weight 0, "
                f"nothing else changed - which `python -m fleet shift {service}` walks under analysis; a weight step "
                "written by hand would be deployed without analysis (remove traffic.shift in a PR of its own to "
                "move weights by PRs)"
            )
    return reasons


def _final_move(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The weights move to the last step's: the generations with weight in `after` serve with all
    of it, those that served in `before` and lost their weight are registered at 0, and nothing
    else changes phase (a generation added or removed is no such move)."""
    if set(before) != set(after):
        return False
    if all((before[n].phase, before[n].weight) == (after[n].phase, after[n].weight) for n in after):
        return False
    incoming = [n for n, t in after.items() if t.weight > 0]
    leaving = [n for n, t in before.items() if t.phase == SERVING and n not in incoming]
    if not incoming or not leaving:  # nothing shifts from one generation to another
        return False
    for name, target in after.items():
        if name in incoming:
            ok = target.phase == SERVING and before[name].phase in (REGISTERED, SERVING)
        elif name in leaving:
            ok = (target.phase, target.weight) == (REGISTERED, 0)
        else:
            ok = (target.phase, target.weight) == (before[name].phase, before[name].weight)
        if not ok:
            return False
    return True

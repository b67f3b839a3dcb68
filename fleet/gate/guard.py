"""The guard: what a PR may change while generations are live. Read it whole.

A live generation (every phase but provisioning/standby, which nobody depends on yet, and
destroyed, which is on its way out) is immutable, and so is everything it stands on. The rules are
allow-lists: a change not listed here is refused, with the way out.

- In a live generation's stack only the in-place changes in `GENERATION_MAY_CHANGE` pass; every
  replacement (see fleet/gate/replacement.py), every other in-place change, a changed lookup (what it
  finds), a changed provider and every added or removed resource outside the two small sets below
  are refused: add a new generation instead.
- In `shared`, while any generation is live, only `SHARED_MAY_CHANGE` passes, and additions (a new
  generation's target group, a new zone's subnets). What belongs to one generation (tagged
  `ephemeral-eks/generation`: its target group) follows that generation's phase.
- What ArgoCD may do on a live target (its grant, fleet/model/access.py: its access policies and
  the namespaces they name) is what it was born with: a grant changing in place is refused in one
  line (`grant_refusal`: pin it, `targets.<gen>.grant`, or swap), an added, removed or replaced access
  policy like any other change. A hub's cluster Secret names the same grant (`namespaces`,
  `clusterResources`), and only registered, so live, targets have one: it cannot change without
  its target's refusal.
- A generation stack leaves only from phase `destroyed`: anything else would orphan its cluster.
- The state backend of a stack may not change while generations are live, unless its state was
  migrated first (`--state-migrated`, the PR label `migrate-state`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fleet import names
from fleet.gate.bindings import rebinding, shipped_chart
from fleet.gate.context import Context, Rule
from fleet.gate.diff import Change, StackDiff, Stacks, under
from fleet.gate.refusal import Refusal
from fleet.gate.rules import (
    ANY,
    GENERATION_MAY_ADD,
    GENERATION_MAY_CHANGE,
    GENERATION_MAY_REMOVE,
    LOOKUP_FINDS,
    META,
    ROUTING,
    SHARED_MAY_CHANGE,
    SHARED_MAY_REMOVE,
    SHARED_STANDS_ON,
)
from fleet.lifecycle import DESTROYED
from fleet.model import Fleet
from fleet.model.access import Grant
from fleet.model.resolved import PINNABLE, resolve
from fleet.ref import parse_stack_id
from fleet.versions import today


def live_generations(base: Stacks, base_fleet: Fleet | None, on: date) -> dict[str, str | None]:
    """Generation stacks of base that are live -> their phase (None: base fleet unknown, so every
    generation stack of base counts as live)."""
    view = resolve(base_fleet, on) if base_fleet is not None else None
    found: dict[str, str | None] = {}
    for stack in base:
        if parse_stack_id(stack) is None:
            continue
        generation = view.by_stack(stack) if view is not None else None
        if view is None or (generation is not None and generation.live):
            found[stack] = generation.phase if generation is not None else None
    return found


def refusals(
    diffs: list[StackDiff],
    base: Stacks,
    head: Stacks,
    base_fleet: Fleet | None,
    head_fleet: Fleet | None = None,
    *,
    state_migrated: bool = False,
    on: date | None = None,
) -> list[Refusal]:
    """Every refused change of a PR that turns `base` into `head`. The fleets, where known, name
    the phases and the way out; each is resolved once (fleet/model/resolved.py), on day `on`."""
    day = on or today()
    context = Context.of(base_fleet, head_fleet, live_generations(base, base_fleet, day), day)
    live = context.live
    found: list[Refusal] = []
    for diff in diffs:
        for rule in RULES[_kind_of(diff, context)]:
            found += rule(diff, context)
    if live and not state_migrated:
        found += _backend(diffs, base, head)
    return found


def _kind_of(diff: StackDiff, context: Context) -> str:
    """Which rules judge a stack's diff: a removed stack, `shared` or a live generation while
    something is live, else none."""
    if diff.verdict == "removed":
        return "removed stack"
    if diff.verdict != "changed" or not context.live:
        return "unjudged"
    if diff.stack == names.SHARED_STACK:
        return "shared"
    return "live generation" if diff.stack in context.live else "unjudged"


GRANT_TYPES = frozenset({"aws_eks_access_policy_association", "kubernetes_namespace_v1"})
"""What a target's grant is made of: its access policies and the namespaces they name. When the
grant itself is refused (`grant_refusal`), that one line stands for their refusals."""


def grant_refusal(diff: StackDiff, context: Context) -> list[Refusal]:
    """A live target keeps the grant it was born with (fleet/model/access.py): narrowing or
    widening what ArgoCD may do there is a swap, never an edit. One line, whether the service's
    grant moved under an unpinned generation (pin it) or its pin itself was edited (swap)."""
    before, after = context.before(diff.stack), context.after(diff.stack)
    if context.head is None or before is None or after is None or after.service is None:
        return []
    if before.grant is None or after.grant is None or before.grant.same(after.grant):
        return []
    swap = "add a new generation (phase: provisioning), which takes the new grant, and swap to it"
    served = context.head.fleet.services[after.service].served_app.namespace
    if not after.grant_pinned and served not in before.grant.namespaces:
        return []  # the served app moves out of its namespace: no pin keeps it; the resource rules say why
    pin = f"pin {before.ref.path}.grant: {before.grant.pin()} (what it was born with) and {swap}"
    change = _grant_change(before.grant, after.grant)
    return [
        Refusal(
            diff.stack,
            "ArgoCD's grant",
            f"what ArgoCD may do on a live generation would change in place ({change})",
            swap if after.grant_pinned else pin,
            context.live[diff.stack],
        )
    ]


def _live_generation(diff: StackDiff, context: Context) -> list[Refusal]:
    """A live generation's changes, beside its grant: when the grant is refused, that one line
    stands for its access policies' and namespaces' own refusals."""
    regrant = grant_refusal(diff, context)
    kept = [r for r in _generation(diff, context) if not (regrant and r.subject.split(".", 1)[0] in GRANT_TYPES)]
    return regrant + kept


def _grant_change(before: Grant, after: Grant) -> str:
    parts = []
    if before.namespaces != after.namespaces:
        parts.append(f"namespaces {', '.join(before.namespaces)} -> {', '.join(after.namespaces)}")
    if set(before.kinds) != set(after.kinds):
        shown = [", ".join(kind for _, kind in g.kinds) or "none" for g in (before, after)]
        parts.append(f"cluster-scoped {shown[0]} -> {shown[1]}")
    return "; ".join(parts)


def _removed_stack(diff: StackDiff, context: Context) -> list[Refusal]:
    stack = diff.stack
    generation = context.before(stack)
    phase = generation.phase if generation is not None else None
    if phase == DESTROYED:
        return []
    return [
        Refusal(
            stack,
            "stack removed",
            f"removed from the fleet file before `cdktf destroy {stack}`: its cluster, nodes, KMS key and "
            "access entries would stay in AWS with no stack left to destroy them",
            f"set its phase to destroyed first (the deploy workflow then runs `cdktf destroy {stack}`), and remove "
            "it in a later PR",
            phase,
        )
    ]


def _generation(diff: StackDiff, context: Context) -> list[Refusal]:
    phase = context.live[diff.stack]
    way = _way_out(diff.stack, context)
    if phase is None:
        way += " (no base fleet says its phase, so it counts as live)"
    return [
        Refusal(diff.stack, change.address, happens, way, phase)
        for change in diff.changes
        if (happens := _event(change, GENERATION))
    ]


@dataclass(frozen=True)
class Rules:
    """What may happen to the resources of one kind of stack while something is live."""

    may_change: dict[str, tuple[str, ...]]
    may_add: frozenset[str] | None
    """None: any resource may be added."""
    may_remove: frozenset[str]
    """These may also be replaced."""
    lookups: dict[str, str]
    """What a changed lookup of a type means, beside "the lookup changes"."""


GENERATION = Rules(GENERATION_MAY_CHANGE, GENERATION_MAY_ADD, GENERATION_MAY_REMOVE, LOOKUP_FINDS)
SHARED = Rules(SHARED_MAY_CHANGE, None, SHARED_MAY_REMOVE, {})


def _event(change: Change, rules: Rules) -> str:
    """What a refused change does, or "" when the rules allow it."""
    if change.category == "other":
        return _provider_event(change)
    if change.category == "data":
        if change.kind != "changed":
            return ""
        found = rules.lookups.get(change.type, "the generation would find something else" if rules.lookups else "")
        return f"the lookup changes ({', '.join(change.paths)})" + (f": {found}" if found else "")
    if change.kind == "added":
        allowed = rules.may_add is None or change.type in rules.may_add
        return "" if allowed else f"adds {change.type} to a live generation"
    if change.kind in ("removed", "replaced") and change.type in rules.may_remove:
        return ""
    if change.kind == "removed":
        return "destroys it"
    if change.kind == "replaced":
        return _replaced(change)
    bad = _not_allowed(change, rules.may_change)
    return f"{', '.join(bad)} would change in place" if bad else ""


def _provider_event(change: Change) -> str:
    if not change.address.startswith("provider.") or change.kind != "changed":
        return ""
    bad = [p for p in change.paths if not under(p, "default_tags")]
    return f"provider settings change ({', '.join(bad)})" if bad else ""


def _replaced(change: Change) -> str:
    if change.new_address is not None:
        return f"replaced (destroy + create) as {change.new_address}"
    return f"replaced (destroy + create), forced by {', '.join(change.forces)}"


def _not_allowed(change: Change, table: dict[str, tuple[str, ...]]) -> list[str]:
    allowed = (*table.get(change.type, ()), *META)
    if ANY in allowed:
        return []
    return [p for p in change.paths if not any(under(p, a) for a in allowed)]


def fleet_wide_changes(base: Any, head: Any, path: str = "") -> list[str]:
    """The settings shared by generations (anything but a generation's own entry) that differ:
    `service_cidr`, `services.web.apps.podinfo.namespace`."""
    if base == head:
        return []
    if isinstance(base, dict) and isinstance(head, dict):
        found: list[str] = []
        for key in [*base, *(k for k in head if k not in base)]:
            at = f"{path}.{key}" if path else key
            if at == "hubs" or (key == "targets" and path.startswith("services.") and path.count(".") == 1):
                continue
            found += fleet_wide_changes(base.get(key), head.get(key), at)
        return found
    return [path]


def _way_out(stack: str, context: Context) -> str:
    """A change made to the generation itself goes into a new generation; one made to a
    fleet-wide setting reaches every generation, so it is reverted or pinned on the live one."""
    new_generation = "add a new generation with this change instead (phase: provisioning) and swap to it"
    before, after = context.before(stack), context.after(stack)
    if context.base is None or context.head is None or before is None or after is None or before.ref != after.ref:
        return new_generation  # unknown, gone, or moved to another service
    service = before.service
    base_data, head_data = context.base.fleet.model_dump(mode="json"), context.head.fleet.model_dump(mode="json")
    wide = [
        setting
        for setting in fleet_wide_changes(base_data, head_data)
        if not setting.startswith("services.") or service is None or setting.startswith(f"services.{service}.")
    ]
    if {"name", "region"} & set(wide):
        return "a fleet's name and region are in every AWS name and ARN: that is a new fleet (a second fleet file)"
    own = before.spec.model_dump(mode="json") != after.spec.model_dump(mode="json")
    if not wide or (own and not set(wide) & {p.fleet_wide for p in PINNABLE}):
        return new_generation
    pins = [
        f"{before.ref.path}.{s.pinnable.field}: {_shown(s.value)}"
        for s in before.settings
        if s.pinnable.fleet_wide in wide and s.value is not None
    ]
    if pins:
        return f"pin {', '.join(pins)} (what it was born with); new generations take the new value"
    return (
        f"{', '.join(wide)} reaches every generation, live ones included: keep it while {stack} is live, and "
        "make the change when no generation that runs it is live"
    )


def _shown(value: Any) -> str:
    return f"[{', '.join(value)}]" if isinstance(value, tuple | list) else str(value)


def _shared(diff: StackDiff, context: Context) -> list[Refusal]:
    live, live_services = context.live, context.live_services
    live_names = ", ".join(sorted(live))
    refusals = []
    for change in diff.changes:
        body = change.before
        owner = _tag(body, names.TAG_GENERATION)
        if owner is not None and names.stack_id("target", owner) not in live:
            continue  # a candidate's or a destroyed generation's own target group
        service = _tag(body, names.TAG_SERVICE)
        if service is not None and live_services is not None and service not in live_services:
            continue  # the ALB of a service none of whose generations is live (a new or a removed one)
        lost = _subnets_lost(change)
        happens = _event(change, SHARED) or lost
        if not happens:
            continue
        what, way = SHARED_STANDS_ON.get(change.type, ROUTING if change.category == "resource" else ("", ""))
        if happens == lost:
            way = "add subnets to network.public_subnet_ids while the service serves; drop or swap one when none of its generations is live"
        what = what or "what live generations find"
        if owner is not None:
            what = f"{what} ({owner})"
        refusals.append(
            Refusal(
                names.SHARED_STACK,
                change.address,
                f"{happens}: {what}, while {live_names} {'is' if len(live) == 1 else 'are'} live",
                way or "keep it while generations are live",
            )
        )
    return refusals


def _subnets_lost(change: Change) -> str:
    """A live service's ALB may gain subnets in place (a new zone), never lose or swap one: the
    ALB's nodes leave a subnet with the connections on them."""
    if change.type != "aws_lb" or change.kind != "changed" or "subnets" not in change.paths:
        return ""
    lost = set(_listed(change.before, "subnets")) - set(_listed(change.after, "subnets"))
    return f"would leave subnets {', '.join(sorted(lost))} in place" if lost else ""


def _listed(body: Any, key: str) -> list[str]:
    found = body.get(key) if isinstance(body, dict) else None
    return [str(v) for v in found] if isinstance(found, list) else []


def _tag(body: Any, key: str) -> str | None:
    """A resource's own tag `key` (whose generation or service it is), if it has one."""
    tags = body.get("tags") if isinstance(body, dict) else None
    return tags.get(key) if isinstance(tags, dict) else None


def _backend(diffs: list[StackDiff], base: Stacks, head: Stacks) -> list[Refusal]:
    moved = [
        d.stack
        for d in diffs
        if d.verdict == "changed" and _state_location(base[d.stack]) != _state_location(head[d.stack])
    ]
    if not moved:
        return []  # a changed lock (DynamoDB table or S3 lock file) moves no state
    old, new = (_backend_kind(side[moved[0]]) for side in (base, head))
    steps = (
        "1. from a checkout of the base branch: `npx cdktf synth`, then for each stack below "
        "`terraform -chdir=cdktf.out/stacks/<stack> init` (the old backend)",
        "2. check out this PR and run `npx cdktf synth` again (each stack keeps its .terraform)",
        *(f"3. terraform -chdir=cdktf.out/stacks/{s} init -migrate-state -force-copy" for s in moved),
        "4. `cdktf diff <stack>` shows no changes for each; then label the PR `migrate-state` and re-run the gate",
    )
    return [
        Refusal(
            "state",
            "terraform.backend",
            f"the state backend of {len(moved)} stack(s) changes ({old} -> {new}) while generations are live: "
            "the next run reads empty state and plans to create every stack again beside the real ones",
            "migrate each stack's state first (steps below)",
            steps=steps,
        )
    ]


def _state_location(stack: dict[str, Any]) -> tuple[str, ...]:
    """Where a stack's state lives: the backend kind and its bucket/key or local file."""
    backend = stack.get("terraform", {}).get("backend", {})
    kind = next(iter(backend), "none")
    config = backend.get(kind, {}) if isinstance(backend, dict) else {}
    if kind == "s3":
        return kind, str(config.get("bucket")), str(config.get("key")), str(config.get("region"))
    return kind, names.local_state_identity(str(config.get("path", "")))


def _backend_kind(stack: dict[str, Any]) -> str:
    """`local state/acme/eu-west-1/shared.tfstate`, `s3 s3://bucket/key`: a state location, for a message."""
    kind, *where = _state_location(stack)
    return f"s3 s3://{where[0]}/{where[1]}" if kind == "s3" else f"{kind} {where[0]}"


RULES: dict[str, tuple[Rule, ...]] = {
    "removed stack": (_removed_stack,),
    "shared": (_shared,),
    "live generation": (_live_generation, rebinding, shipped_chart),
    "unjudged": (),
}
"""The whole guard per kind of stack diff (`_kind_of`): each rule returns its refusals, or none."""

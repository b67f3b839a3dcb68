"""Where two versions of a fleet file differ, as dotted paths (`services.web.traffic.allowed_cidrs`).

Shared by the PR gate (a shift PR changes nothing else) and the merge step (a shift runs alone):
both ask the same question of the same two fleets, so they ask it here.
"""

from __future__ import annotations

from typing import Any

from fleet.model import Fleet


def differences(old: Any, new: Any, path: str = "") -> list[str]:
    """The paths at which two JSON-like values differ: a key only one side has, or a leaf (or
    list) that is not equal."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in list(old) + [k for k in new if k not in old]:
            where = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                found.append(where)
            else:
                found += differences(old[key], new[key], where)
        return found
    return [] if old == new else [path]


def changes_besides_traffic(base: Fleet, head: Fleet, service: str, *, allow_shift: bool = False) -> list[str]:
    """The fleet file's paths that differ between base and head, besides `service`'s targets'
    phases and weights (what a traffic move changes), and its `traffic.shift` when `allow_shift`."""
    old, new = base.model_dump(mode="json"), head.model_dump(mode="json")
    for data in (old, new):
        spec = data["services"].get(service)
        if spec is None:
            continue
        for target in spec["targets"].values():
            target.pop("phase", None)
            target.pop("weight", None)
        if allow_shift:
            spec["traffic"].pop("shift", None)
    return differences(old, new)


def changes_besides_positions(base: Fleet, head: Fleet) -> list[str]:
    """The fleet file's paths that differ besides what a step of the plan edits: every
    generation's phase and weight, every service's `closed`."""
    old, new = base.model_dump(mode="json"), head.model_dump(mode="json")
    sections = [(old["hubs"], new["hubs"])]
    sections += [
        (old["services"][s]["targets"], new["services"][s]["targets"]) for s in old["services"] if s in new["services"]
    ]
    for before, after in sections:  # a generation added or removed is a position too
        for name in set(before) ^ set(after):
            before.pop(name, None)
            after.pop(name, None)
    for data in (old, new):
        for hub in data["hubs"].values():
            hub.pop("phase", None)
        for spec in data["services"].values():
            spec.pop("closed", None)
            for target in spec["targets"].values():
                target.pop("phase", None)
                target.pop("weight", None)
    return differences(old, new)

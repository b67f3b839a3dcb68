"""Fleet-file edits: what one PR of a plan changes, applied to a fleet and told in words."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import ValidationError

from fleet.model import Fleet
from fleet.ref import Section

Edit = dict[Section, dict[str, dict[str, Any] | None]]
"""{Section.targets("web"): {"green": {"phase": "serving", "weight": 10}, "blue": None}}: per
section of the file, per generation (or service) its changed fields; None removes it."""


def fleet_data(fleet: Fleet) -> dict[str, Any]:
    return fleet.model_dump(mode="json")


def apply_edit(fleet: Fleet, edit: Edit) -> Fleet:
    data = copy.deepcopy(fleet_data(fleet))
    for section, generations in edit.items():
        at = section.lookup(data)
        for name, change in generations.items():
            if change is None:
                at.pop(name, None)
            else:
                at[name] = {**at.get(name, {}), **change}
    try:
        return Fleet.model_validate(data)
    except ValidationError as err:  # a planner bug, never a user's
        raise AssertionError(f"the planner produced an invalid fleet: {err}") from err


def describe_edit(fleet: Fleet, edit: Edit) -> tuple[str, ...]:
    """One `path: old -> new` line per changed field."""
    lines = []
    for section, generations in edit.items():
        current = section.lookup(fleet)
        for name, change in generations.items():
            where = f"{section.path}.{name}"
            if change is None:
                lines.append(f"{where}: remove it from the file")
                continue
            before = current.get(name)
            for key, value in change.items():
                old = getattr(before, key) if before is not None else None
                if old == value:
                    continue
                lines.append(f"{where}.{key}: {old} -> {value}" if old is not None else f"{where}.{key}: {value}")
    return tuple(lines)


def edit_json(edit: Edit | None) -> dict[str, Any] | None:
    """The edit as the plan's JSON shows it: sections by their path in the file."""
    return None if edit is None else {section.path: changes for section, changes in edit.items()}

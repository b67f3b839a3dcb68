"""Fleet-file edits: what one PR of a plan changes, made to a fleet and told in words."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from fleet.model import Fleet
from fleet.ref import Section

Edit = dict[Section, dict[str, dict[str, Any] | None]]
"""{Section.targets("web"): {"green": {"phase": "serving", "weight": 10}, "blue": None}}: per
section of the file, per generation (or service) its changed fields; None removes it."""


def fleet_data(fleet: Fleet) -> dict[str, Any]:
    return fleet.model_dump(mode="json")


def edited(fleet: Fleet, edit: Edit) -> Fleet:
    """The fleet with `edit` made: only the edited generations are copied, nothing is validated
    again (the planner walks its own steps with it; `apply_edit` reads the result as a file)."""
    for section, changes in edit.items():
        fleet = _edited(fleet, section.keys, changes)
    return fleet


def _edited(node: Any, keys: tuple[str, ...], changes: dict[str, dict[str, Any] | None]) -> Any:
    if keys:
        key, rest = keys[0], keys[1:]
        if isinstance(node, dict):
            return {**node, key: _edited(node[key], rest, changes)}
        return node.model_copy(update={key: _edited(getattr(node, key), rest, changes)})
    mapping = dict(node)
    for name, change in changes.items():
        if change is None:
            mapping.pop(name, None)
        else:
            mapping[name] = mapping[name].model_copy(update=change)
    return mapping


def apply_edit(fleet: Fleet, edit: Edit) -> Fleet:
    """The fleet file after `edit`, read as the gate reads a file: validated whole. An edit of the
    planner that does not validate is a bug of the planner's, never a user's."""
    try:
        return Fleet.model_validate(fleet_data(edited(fleet, edit)))
    except ValidationError as err:
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

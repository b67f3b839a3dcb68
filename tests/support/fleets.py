"""Fleet files for tests: the examples as text or parsed YAML, and edits of a fleet's parsed YAML.

An edit is a function that changes a fleet (as parsed YAML) in place: `put`, `drop` and `rename`
make one from a dotted path (digits index lists: `network.zones.0`), `both` chains several.
`web(data)` is the one service of `examples/steady.yaml` (and the first of two-services.yaml).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import yaml

from support.paths import EXAMPLES

Edit = Callable[[dict[str, Any]], None]


# --- the examples --------------------------------------------------------------------------------


def example_text(name: str) -> str:
    """The text of `examples/<name>.yaml`."""
    return (EXAMPLES / f"{name}.yaml").read_text()


@functools.cache
def _parsed(text: str) -> dict[str, Any]:
    return yaml.safe_load(text)


def example_data(name: str, *edits: Edit) -> dict[str, Any]:
    """`examples/<name>.yaml` as parsed YAML (a fresh copy each call), with `edits` made in order.
    Each text is parsed once per process (PyYAML's pure-Python parser is most of a small test's time)."""
    data = copy.deepcopy(_parsed(example_text(name)))
    for edit in edits:
        edit(data)
    return data


TARGET_SWAP = [
    "target-swap-1-provisioning",
    "target-swap",
    "target-swap-3-serving",
    "target-swap-4-drained",
    "target-swap-5-retiring",
    "target-swap-6-destroyed",
    "target-swap-7-done",
]
"""The example files of a target swap, one per merged step, after `steady`."""
HUB_SWAP = ["hub-swap", "hub-swap-2-promoted", "hub-swap-3-destroyed", "hub-swap-4-done"]
"""The example files of a hub swap, one per merged step, after `steady`."""
SHIFT = ["target-swap-shift-0-ready", "target-swap-shift"]
"""The example files of a metric-gated shift: ready, then its one traffic PR."""


# --- edits ---------------------------------------------------------------------------------------


def _parts(path: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in path.split(".")] if path else []


def _at(data: Any, parts: list[Any], *, create: bool = False) -> Any:
    for part in parts:
        data = data.setdefault(part, {}) if create and isinstance(data, dict) else data[part]
    return data


def put(path: str, value: Any) -> Edit:
    """Set the field at `path` (dotted; digits index lists) to a copy of `value`, adding it, and any
    mapping on the way to it, if absent."""

    def edit(data: dict[str, Any]) -> None:
        *parent, last = _parts(path)
        _at(data, parent, create=True)[last] = copy.deepcopy(value)

    return edit


def drop(path: str) -> Edit:
    """Delete the field at `path`."""

    def edit(data: dict[str, Any]) -> None:
        *parent, last = _parts(path)
        del _at(data, parent)[last]

    return edit


def rename(path: str, new: str) -> Edit:
    """Rename the mapping key at `path`, keeping its place."""

    def edit(data: dict[str, Any]) -> None:
        *parent, old = _parts(path)
        mapping = _at(data, parent)
        items = [(new if k == old else k, v) for k, v in mapping.items()]
        mapping.clear()
        mapping.update(items)

    return edit


def both(*edits: Edit) -> Edit:
    """All of `edits`, in order."""

    def edit(data: dict[str, Any]) -> None:
        for one in edits:
            one(data)

    return edit


def move_key(mapping: dict[str, Any], old: str, new: str) -> None:
    """Rename a key in place, moving it last (`rename` keeps its place)."""
    mapping[new] = mapping.pop(old)


def web(data: dict[str, Any]) -> dict[str, Any]:
    """Service web: the one service of examples/steady.yaml."""
    return data["services"]["web"]

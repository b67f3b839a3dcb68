"""Every scalar of a fleet (or part of one) with its dotted path, for a refusal that names where it is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel


def leaves(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Every scalar in `value` (a model, mappings and lists at any depth) with its dotted path;
    mapping keys count as scalars too."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python")
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            yield path, key
            yield from leaves(item, path)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, item in enumerate(value):
            yield from leaves(item, f"{where}.{i}")
    else:
        yield where, value

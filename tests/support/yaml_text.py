"""YAML text of test data, never with anchors (a mapping or list used twice is written out twice).

PyYAML's emitter is pure Python and was a large share of the quick loop's time; libyaml's writes
the same text for data whose every text is printable ASCII (tests/test_yaml_text.py), so that
data goes to libyaml. Anything else - other characters, lone surrogates libyaml cannot write at
all - stays on PyYAML's emitter, as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml


class NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


class FastNoAliases(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def scalars(value: Any) -> Iterator[Any]:
    """Every scalar in parsed data (mappings, their keys and lists, at any depth)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            yield item


def printable_ascii(data: Any) -> bool:
    """Every key and value of `data` is printable ASCII text, a number, a boolean or None."""
    return all(
        item.isascii() and item.isprintable() if isinstance(item, str) else isinstance(item, (int, float, type(None)))
        for item in scalars(data)
    )


def same_on_libyaml(data: Any) -> bool:
    """Whether libyaml writes `data` as PyYAML does: a mapping or a list (a lone scalar ends in
    PyYAML's `...` and not in libyaml's) of printable ASCII."""
    return isinstance(data, (dict, list)) and printable_ascii(data)


def dump(data: Any, dumpers: tuple[type, type] = (FastNoAliases, NoAliases), **options: Any) -> str:
    """`yaml.dump` with the first of `dumpers` (libyaml's) when `same_on_libyaml(data)`, else the second."""
    fast, slow = dumpers
    return yaml.dump(data, Dumper=fast if same_on_libyaml(data) else slow, **options)

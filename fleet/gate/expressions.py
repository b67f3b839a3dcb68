"""Terraform template expressions as the PR gate reads them: the functions a string calls, and
every string of a JSON value (fleet/gate/plan_inputs.py refuses calls the project never writes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*(?:::[A-Za-z_][A-Za-z0-9_-]*)*)\s*\(")


def calls(text: str) -> list[str]:
    """The function names `text` calls when Terraform reads it as a template: every name followed
    by `(` inside a `${ }` or `%{ }` sequence, its quoted strings and comments included (fail
    closed); `$${` and `%%{` are literal text. A heredoc in an expression is reported as `<<`."""
    found: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith(("$${", "%%{"), i):
            i += 3
        elif text.startswith(("${", "%{"), i):
            i = _expression(text, i + 2, found)
        else:
            i += 1
    return found


def _expression(text: str, i: int, found: list[str]) -> int:
    """Scan an expression from `i` to its closing `}`; return the index after it (or the end)."""
    start, depth, n = i, 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            found += [m.group(1) for m in CALL.finditer(text, start, i)]
            i = _quoted(text, i + 1, found)
            start = i
            continue
        if c == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if text.startswith("<<", i):
            found.append("<<")
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0 and c == "}":
                found += [m.group(1) for m in CALL.finditer(text, start, i)]
                return i + 1
            depth -= 1
        i += 1
    found += [m.group(1) for m in CALL.finditer(text, start, n)]
    return n


def _quoted(text: str, i: int, found: list[str]) -> int:
    """Scan a quoted string in an expression from `i` to its closing quote; nested templates are
    expressions, and names followed by `(` in its literal text count too (fail closed)."""
    start, n = i, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
        elif text.startswith(("$${", "%%{"), i):
            i += 3
        elif text.startswith(("${", "%{"), i):
            found += [m.group(1) for m in CALL.finditer(text, start, i)]
            i = _expression(text, i + 2, found)
            start = i
        elif c == '"':
            found += [m.group(1) for m in CALL.finditer(text, start, i)]
            return i + 1
        else:
            i += 1
    found += [m.group(1) for m in CALL.finditer(text, start, n)]
    return n


def strings_in(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, object keys included, with its JSON path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", str(key)
            yield from strings_in(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_in(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value

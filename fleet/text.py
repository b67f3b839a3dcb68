"""How a message quotes what a file or a command said: one terminal line, long values cut short."""

from __future__ import annotations

import unicodedata

MAX_SHOWN = 80
"""Longest excerpt of a value a message quotes."""


def printable(text: str) -> str:
    """`text` safe for one terminal line: control, format (bidi) and surrogate characters escaped."""
    out = []
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(char.encode("unicode_escape", "backslashreplace").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)


def shorten(text: str, limit: int = MAX_SHOWN, *, length: int | None = None) -> str:
    """`text` cut to `limit` characters, saying how long it was (`length`, default its own)."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 3]}... ({len(text) if length is None else length} characters)"


def quoted(value: str) -> str:
    """`value` in quotes (its repr), cut short; the count is of the value's own characters."""
    return shorten(repr(value), length=len(value))

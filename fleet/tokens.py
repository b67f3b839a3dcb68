"""What cdktf reads as its own tokens in the data a stack hands it (cdktf 0.21,
lib/tokens/private/encoding.ts, token-map.ts and resolve.ts; the placeholders in
lib/tokens/token.ts). No cdktf here: the facts, so that the fleet model can refuse what no escape
can make inert (a number, a backend field) and `stacks.literal` can break the rest.
"""

from __future__ import annotations

import re
import struct

CDKTF_TOKEN = re.compile(r"[$#&]\{T(?=fToken\[[a-zA-Z0-9:._-]+\]\})")
"""The start of cdktf's string, list and map token (`${`, `#{`, `&{` then `TfToken[KEY]}`), up to
its `T`. Two never overlap (KEY holds no `$#&{]`)."""

MAP_PLACEHOLDERS = frozenset({"String Map Token Value", "Any Map Token Value"})
"""Strings cdktf refuses whole, wherever it reads a string."""

NUMBER_TEXT = re.compile(r"[-|\d.+]+(e[-|\d.eE+]+)", re.ASCII)
"""cdktf's NUMBER_TOKEN_REGEX (JavaScript's `\\d` is ASCII), matched left to right; a match whose
`parseFloat` is a number token is one."""

_PARSE_FLOAT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
"""The start of a string that JavaScript's `parseFloat` reads (none: NaN)."""

NUMBER_TOKEN_TAG = 0xFDFF
"""The top 16 bits of an IEEE double cdktf reads as a number token, as a number or as text;
the other 48 bits are the token's index."""
NUMBER_LIST_TOKEN_TAG = 0xFBFF
"""The same for the one number of a number-list token (read as a number only)."""


def double_tag(number: float) -> int | None:
    """The top 16 bits of `number` as a double; None if no double holds it."""
    try:
        return int(struct.unpack("<Q", struct.pack("<d", float(number)))[0] >> 48)
    except OverflowError:
        return None


def is_token_number(number: float) -> bool:
    """A number cdktf would read as a number token (or the one number of a number-list token)."""
    return double_tag(number) in (NUMBER_TOKEN_TAG, NUMBER_LIST_TOKEN_TAG)


def number_token_text_at(text: str) -> int | None:
    """Where the first number token's text in `text` has its `e`, if it has one."""
    for match in NUMBER_TEXT.finditer(text):
        number = _PARSE_FLOAT.match(match[0])
        if number and double_tag(float(number[0])) == NUMBER_TOKEN_TAG:
            return match.start(1)
    return None


def holds_token_text(text: str) -> bool:
    """`text` holds something cdktf reads as one of its tokens."""
    return bool(CDKTF_TOKEN.search(text)) or text in MAP_PLACEHOLDERS or number_token_text_at(text) is not None


TOKEN_NUMBER_IN_JSON = re.compile(r"-\d(?:\.\d+)?e\+?\d{3}")
"""How JSON writes every number `is_token_number` holds (Python's repr and pydantic's serializer
alike): each is negative and at least 2**960 (~1e289) in magnitude - its top 16 bits are a tag -
so it is written with a three-digit exponent. A match may be text, or an ordinary huge number."""


def json_may_hold_token_number(text: str) -> bool:
    """Whether the JSON `text` may hold a number cdktf reads as a token: False is certain."""
    return TOKEN_NUMBER_IN_JSON.search(text) is not None

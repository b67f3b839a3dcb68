"""How many examples a property test draws: every one in `make test` (and CI), a quarter of them
in the quick loop (`make test-quick` sets QUICK_LOOP=1), never fewer than `QUICK_FLOOR` (or all
of them when a test has fewer).

The quick loop is for iterating on a change; the full suite, which every merge runs, draws them
all."""

from __future__ import annotations

import os

QUICK_SHARE = 4
QUICK_FLOOR = 10


def examples(count: int) -> int:
    if os.environ.get("QUICK_LOOP") != "1":
        return count
    return max(min(count, QUICK_FLOOR), count // QUICK_SHARE)

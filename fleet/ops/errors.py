"""How a live check fails: one line per check, or one line for a command that cannot run."""

from dataclasses import dataclass

from fleet.errors import FleetFailure
from fleet.text import printable, shorten

SHOWN = 3
"""Names a failure line lists before it says `and N more`."""
LINE_LIMIT = 500
"""Longest line printed; longer ones are cut short."""


class CheckFailed(Exception):
    """A check did not pass; `str()` is the reason, one line."""


class PipelineRefused(FleetFailure):
    """The deploy pipeline must not go on (`fleet step`, `fleet action`); `str()` is the one line to show."""


class Unusable(FleetFailure):
    """The command cannot run at all (arguments, fleet file, AWS unreachable): exit 2, one line."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    line: str


def one_line(text: object) -> str:
    return shorten(printable(" ".join(str(text).split())), LINE_LIMIT)

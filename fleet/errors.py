"""The one base of every error a `fleet` command reports: a message and the exit code it ends with.

A command raises; `fleet.cli.main` prints `str(error)` on stderr (one line per mistake) and exits
with `exit_code`. Nothing else catches these to decide what to do next."""

from __future__ import annotations


class FleetFailure(Exception):
    """Something a user must fix or wait for. `str()` is the message, one line per mistake."""

    exit_code = 2
    """2: the command cannot run (bad input, a refused change, an unreadable source)."""


class Said(FleetFailure):
    """A message already framed for the user (`fleet step`'s "step refused: ..."), with its exit code."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code

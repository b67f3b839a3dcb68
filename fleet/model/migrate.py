"""The fleet file's format version, and how a file of an older format is read by this release.

`format: N` at the top of a fleet file (absent: 1) names the layout it was written for. A release
that changes the layout in a way an old file would be refused by (a key renamed, moved or
dropped) raises `FORMAT` and adds one entry to `MIGRATIONS`: a function that turns a file of
format N into format N + 1, as parsed data. The loader runs every migration from the file's
format up to `FORMAT` before it validates, so an old file - a fleet file on a branch, or the base
of the deploy's `fleet-deployed` tag - is read, not refused; a file of a later format than this
release knows is refused with one line that says to upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FORMAT = 1
"""The format this release writes and reads natively."""

Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}
"""format N -> the function that turns a file of format N into format N + 1 (none yet: 1 is the first)."""


class FormatError(ValueError):
    """The file's `format` cannot be read by this release; `str()` is the one line to show."""


def migrated(
    data: dict[str, Any], known: int = FORMAT, migrations: dict[int, Migration] | None = None
) -> dict[str, Any]:
    """`data` (a parsed fleet file) in format `known`: every migration from its own format up."""
    table = MIGRATIONS if migrations is None else migrations
    version = data.get("format", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FormatError(f"format: {version!r} is not a format version; write a whole number such as {known}")
    if version > known:
        raise FormatError(
            f"format: {version} is for a later release of this project (this one reads format {known} and older); "
            "upgrade the tool, or write the file in format {known}".replace("{known}", str(known))
        )
    while version < known:
        if version not in table:
            raise FormatError(
                f"format: {version} has no migration to {version + 1} in this release; upgrade the file by hand"
            )
        data = table[version](dict(data))
        version += 1
        data["format"] = version
    return data

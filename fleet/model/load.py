"""Read a fleet file into a `Fleet`, or fail with one line per mistake.

The YAML loader refuses what a reviewed fleet file never needs and a broken or hostile one
might carry: duplicate keys (YAML keeps the last one silently), anchors and aliases (and so
alias bombs), explicit tags (`!!set`, `!!timestamp`, ...), non-string keys, and files over 1 MiB.
Dates are read as text. Every message is one line: control characters, line breaks and
bidirectional overrides in what the file says are shown escaped, long values cut short.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from fleet.errors import FleetFailure
from fleet.model.fleet import Fleet
from fleet.model.limits import MAX_FILE_BYTES
from fleet.model.migrate import FormatError, migrated
from fleet.text import printable, shorten

DEFAULT_FLEET = "fleet.yaml"


def default_fleet() -> str:
    """$FLEET when set and not empty, else fleet.yaml: the one meaning of an empty FLEET, for
    `main.py` and every `python -m fleet` command."""
    return os.environ.get("FLEET") or DEFAULT_FLEET


LEGACY_SERVICE_KEYS = ("targets", "apps", "traffic")
"""Top-level keys of the one-service fleet file, which now live under `services.<name>`."""


class FleetError(FleetFailure):
    """A fleet file that cannot be used. `str()` is the whole message, one line per mistake."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = [printable(p) for p in problems]
        super().__init__("\n".join(f"{printable(source)}: {p}" for p in self.problems))


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that a fleet file may not use."""


class _StrictLoader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(
                problem="aliases (*name) are not allowed in a fleet file; write the value out",
                problem_mark=event.start_mark,
            )
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise _Refused(
                problem="anchors (&name) are not allowed in a fleet file; write the value out",
                problem_mark=event.start_mark,
            )
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise _Refused(
                problem=f"explicit YAML tags ({shorten(tag, 40)}) are not allowed in a fleet file; write a plain value",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused(
                    problem="merge keys (<<) are not allowed in a fleet file; write the keys out",
                    problem_mark=key_node.start_mark,
                )
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise _Refused(
                    problem=f"key {key!r} is not a string; quote it",
                    problem_mark=key_node.start_mark,
                )
            if key in seen:
                raise _Refused(
                    problem=f"key {key!r} appears twice in this mapping; keep one",
                    problem_mark=key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_map(loader: _StrictLoader, node: Any) -> dict[Any, Any]:
    return loader.construct_mapping(node, deep=True)


DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
"""A whole number as the fleet file writes one. YAML 1.1 also reads `0144` as octal (100), `1:20`
as base 60 (80), `0x10` and `1_000`: a weight or a node count is never meant that way."""


def _construct_int(loader: _StrictLoader, node: Any) -> int:
    if not DECIMAL.fullmatch(str(node.value)):
        raise _Refused(
            problem=f"{shorten(str(node.value), 20)} is not a decimal number (YAML would read it in another base); "
            "write it in decimal, or quote it",
            problem_mark=node.start_mark,
        )
    try:
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError:  # more digits than Python converts
        raise _Refused(
            problem=f"the number {shorten(str(node.value), 20)} is too long to be a value here",
            problem_mark=node.start_mark,
        ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
# Dates stay text: YAML would turn `2024-02-30` into a date (or crash on it).
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


LIBYAML: Any
try:
    from yaml._yaml import CParser as LIBYAML
except ImportError:  # PyYAML built without libyaml: the pure-Python loader alone
    LIBYAML = None


class _FastStrictLoader(*([LIBYAML] if LIBYAML else []), _StrictLoader):  # type: ignore[misc]
    """The same loader on libyaml's parser: its events, read by the composer and constructors
    above (so every refusal of `_StrictLoader` holds), with the scanning done in C. Without
    libyaml it is never used (`parse_yaml`), and only defined."""

    get_single_node = yaml.composer.Composer.get_single_node
    check_node = yaml.composer.Composer.check_node
    get_node = yaml.composer.Composer.get_node

    def __init__(self, stream: str) -> None:
        LIBYAML.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


class _ComposedInC(*([LIBYAML] if LIBYAML else []), _StrictLoader):  # type: ignore[misc]
    """libyaml's parser and composer, the constructors above: for a text with no anchor, alias or
    tag (no `&`, `*` or `!` in it at all), where `_StrictLoader.compose_node` has nothing to refuse
    and the composing is done in C too. Tags are still resolved by the resolvers above."""

    def __init__(self, stream: str) -> None:
        LIBYAML.__init__(self, stream)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


_LIBYAML_READS_OTHERWISE = re.compile(r"[^\n\x20-\x7e]|[!?]")
"""What the fast loaders leave to the pure-Python one: any character but printable ASCII and the
line break, `!` and `?`. libyaml and PyYAML part on some of them (tests/test_yaml_loader.py finds
them): a tab inside a plain scalar (libyaml reads it, PyYAML refuses it), a byte order mark after
the start, the non-specific tag `!` on an empty value ('' against None), `? ` inside a plain
scalar in a flow sequence (`[e? u]`: libyaml reads it, PyYAML refuses it)."""


_ANCHOR_ALIAS_OR_TAG = re.compile(r"[&*!]")


def fast_loader(text: str) -> type | None:
    """The libyaml loader that reads `text` as the pure-Python one would, if any."""
    if LIBYAML is None or _LIBYAML_READS_OTHERWISE.search(text):
        return None
    return _FastStrictLoader if _ANCHOR_ALIAS_OR_TAG.search(text) else _ComposedInC


def parse_yaml(text: str, source: str) -> Any:
    loader = fast_loader(text)
    if loader is not None:
        try:
            return yaml.load(text, Loader=loader)  # noqa: S506 - _StrictLoader's constructors on libyaml
        except Exception:  # noqa: BLE001, S110 - the pure-Python loader below says what is wrong, in its words
            pass
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = err.problem or err.context or "malformed YAML"
        suffix = "" if isinstance(err, _Refused) else " (malformed YAML)"
        raise FleetError(source, [f"{where}{what}{suffix}"]) from None
    except yaml.reader.ReaderError as err:
        before = text[: err.position]
        line, column = before.count("\n") + 1, err.position - (before.rfind("\n") + 1) + 1
        code = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or "\0")
        raise FleetError(
            source,
            [f"line {line}, column {column}: character U+{code:04X} is not allowed; the file must be plain UTF-8 text"],
        ) from None
    except yaml.YAMLError as err:
        raise FleetError(source, [f"malformed YAML: {' '.join(str(err).split())}"]) from None
    except RecursionError:
        raise FleetError(source, ["YAML nested too deeply; a fleet file is a few levels deep"]) from None
    except ValueError as err:  # e.g. an integer of more digits than Python converts
        raise FleetError(source, [f"a value cannot be read: {shorten(' '.join(str(err).split()))}"]) from None


def _path(loc: tuple[Any, ...]) -> str:
    # pydantic puts union-member and validator names in loc; keep only the user's keys.
    # "[key]" marks a mapping key that failed (the key itself is the subject: `hubs.Blue: ...`).
    parts = [
        str(p) for p in loc if p != "[key]" and not (isinstance(p, str) and p in {"local", "s3"} and loc[0] == "state")
    ]
    return ".".join(shorten(p, 40) if p else "''" for p in parts)


_HINTS = {
    "missing": "is required; add it",
    "string_type": "must be a string; quote it",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "string_unicode": "must be valid UTF-8 text",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
}


def _message(error: Any) -> str:
    path = _path(tuple(error["loc"]))
    if error["type"] == "string_unicode" and isinstance(error.get("input"), str):  # a key that is no text
        where = f"{path}." if path else ""
        return f"{where}{shorten(error['input'], 40)}: unknown key, and not even valid UTF-8 text; remove it"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{path}: unknown key; remove it or check its spelling against docs/fleet-file.md"
    if kind in _HINTS:
        got = error.get("input")
        shown = "" if kind == "missing" else f" (got {type(got).__name__} {_short(got)})"
        return f"{path}: {_HINTS[kind]}{shown}"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return f"{path}.backend: must be local or s3"
    message = str(error["msg"])
    for noise in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(noise)
    if kind in {"greater_than_equal", "less_than_equal", "too_short", "too_long", "literal_error"}:
        message = f"{message} (got {_short(error.get('input'))})"
    # A cross-field check names its own field (or field path) at the start of its message.
    named = re.match(r"([a-z_][a-z0-9_.]*): (.*)", message, re.DOTALL)
    if named:
        path = f"{path}.{named.group(1)}" if path else named.group(1)
        message = named.group(2)
    return f"{path}: {message}" if path else message


def _short(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**60:
        return f"an integer of about {len(hex(value)) * 4 // 3} digits"  # repr() refuses over 4300
    return shorten(repr(value), 60)


def validate(data: Any, source: str) -> Fleet:
    if not isinstance(data, dict):
        raise FleetError(
            source, [f"the file must be a mapping of fleet keys (name, region, ...), not {type(data).__name__}"]
        )
    moved = [key for key in LEGACY_SERVICE_KEYS if key in data]
    if moved and "services" not in data:
        app = data.get("traffic", {}).get("app") if isinstance(data.get("traffic"), dict) else None
        usable = isinstance(app, str) and re.fullmatch(r"[a-z][a-z0-9]{0,11}", app) and app != "default"
        name = app if usable else "web"
        raise FleetError(
            source,
            [
                f"{', '.join(moved)}: a fleet now holds services; move targets, apps and traffic under "
                f"services.<name> (e.g. `services: {{{name}: {{targets: ..., apps: ..., traffic: ...}}}}`); "
                'stack ids stay target-<generation> (README, "The fleet file")'
            ],
        )
    try:
        data = migrated(data)
    except FormatError as err:
        raise FleetError(source, [str(err)]) from None
    try:
        return Fleet.model_validate(data)
    except ValidationError as err:
        problems = list(dict.fromkeys(_message(e) for e in err.errors(include_url=False)))
        raise FleetError(source, problems) from None


MISSING = "missing"


def _not_a_file(path: Path) -> str:
    """What `path` is when it is not a regular file (following symlinks): "" for a regular file."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return MISSING if not path.is_symlink() else "a symbolic link to nothing"
    except NotADirectoryError:
        return MISSING
    if stat.S_ISREG(mode):
        return ""
    for test, what in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return what
    return "not a regular file"


def load_fleet(path: str | Path) -> Fleet:
    """Read and validate the fleet file at `path`."""
    source = str(path)
    file = Path(path)
    try:
        kind = _not_a_file(file)
        if kind:
            what = "no such fleet file" if kind == MISSING else f"{kind}, not a fleet file"
            raise FleetError(source, [f"{what}; pass the path of a fleet YAML file (FLEET=... or an argument)"])
        if file.stat().st_size > MAX_FILE_BYTES:
            raise FleetError(source, [f"file is larger than {MAX_FILE_BYTES} bytes; a fleet file is a few KiB"])
        with file.open("rb") as opened:  # at most one byte over the limit, whatever the file grew to since
            raw = opened.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise FleetError(source, [f"file is larger than {MAX_FILE_BYTES} bytes; a fleet file is a few KiB"])
    except OSError as err:
        raise FleetError(source, [f"cannot read the file: {err.strerror}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FleetError(source, ["file is not UTF-8 text"]) from None
    return validate(parse_yaml(text, source), source)

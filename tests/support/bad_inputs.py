"""Adversarial fleet files (issue 23, item 7, "Bad input stays one line"): valid bases, the places
the model's schema offers (walked from `Fleet`, never listed by hand), edits that attack them, and
the two verdicts they may get.

A base is a fleet the model accepts: every example, and every valid row of
`tests/support/edge_cases.py` (which fill lists the examples leave empty: a reused VPC, S3 state,
API access, cluster resources, ...). A slot is a field of the schema, as a path whose `*` is any key
of a mapping of names and `[]` any item of a list: a list (`network.zones`), a mapping of names
(`hubs`, `tags`, Helm values) or a text (`services.*.apps.*.repo_url`). A location is one place in
one base where a slot has a value.

The verdicts (`run_validate`, `synth_problems`): a file either validates (exit 0) and synthesizes
into a complete tree, or it is refused (exit 2) with one clear line per mistake, each naming a field
(or a line and column of the file), no Python or jsii trace, and nothing written.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from hypothesis import strategies as st
from pydantic import BaseModel, JsonValue

from fleet import names
from fleet.model import Fleet, limits
from fleet.model.load import FleetError, parse_yaml, validate
from fleet.text import printable
from support.cli import fleet_here
from support.edge_cases import EDGE_CASES, VALID, ParameterSet, apply
from support.paths import EXAMPLES, ROOT
from support.yaml_text import FastNoAliases, NoAliases, dump

# --- the schema, walked --------------------------------------------------------------------------

ANY_KEY = "*"
ANY_ITEM = "[]"
SlotKind = Literal["list", "names", "text"]


@dataclass(frozen=True)
class Slot:
    path: tuple[str, ...]
    kind: SlotKind
    free: bool = False
    """Helm values: data the chart reads, any key and any JSON text."""
    type: Any = field(default=None, compare=False, hash=False)
    """What a value holds: a list's item type, a mapping's key type, a text's own type."""

    def __str__(self) -> str:
        return ".".join(self.path)


def _bare(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _walk(annotation: Any, path: tuple[str, ...], free: bool, found: list[Slot]) -> None:
    bare = _bare(annotation)
    origin = get_origin(bare)
    if bare is JsonValue:
        return
    if isinstance(bare, type) and issubclass(bare, BaseModel):
        for name, field in bare.model_fields.items():
            _walk(field.annotation, (*path, name), free, found)
    elif origin in (typing.Union, types.UnionType):
        for option in get_args(bare):
            _walk(option, path, free, found)
    elif origin in (tuple, list):
        item = get_args(bare)[0]
        found.append(Slot(path, "list", free, item))
        _walk(item, (*path, ANY_ITEM), free, found)
    elif origin is dict:
        key, value = get_args(bare)
        free = free or value is JsonValue
        found.append(Slot(path, "names", free, key))
        _walk(value, (*path, ANY_KEY), free, found)
    elif bare is str:
        found.append(Slot(path, "text", free, annotation))


@cache
def slots() -> tuple[Slot, ...]:
    """Every list, mapping of names and text the fleet file holds, from `Fleet`'s annotations."""
    found: list[Slot] = []
    _walk(Fleet, (), False, found)
    return tuple(dict.fromkeys(found))


Location = tuple[Any, ...]
"""A concrete path in a fleet dict: keys, and indexes of list items."""
Place = tuple[Slot, str, Location]
"""A slot, a base's name, and where the slot is in that base."""

CONTAINER = {"list": list, "names": dict, "text": str}


def locations(data: Any, slot: Slot, *, settable: bool = False) -> list[Location]:
    """Where `slot` has a value in `data`; with `settable`, also where it could have one (the
    fields on the way to it absent: `put` adds them)."""

    def walk(value: Any, rest: tuple[str, ...], at: Location) -> Iterator[Location]:
        if not rest:
            if isinstance(value, CONTAINER[slot.kind]) or (settable and value is None):
                yield at
            return
        step, *more = rest
        if step == ANY_KEY and isinstance(value, dict):
            for key, child in value.items():
                yield from walk(child, tuple(more), (*at, key))
        elif step == ANY_ITEM and isinstance(value, list):
            for index, child in enumerate(value):
                yield from walk(child, tuple(more), (*at, index))
        elif isinstance(value, dict) and (step in value or settable):
            yield from walk(value.get(step), tuple(more), (*at, step))
        elif settable and value is None and step not in (ANY_KEY, ANY_ITEM):
            yield from walk(None, tuple(more), (*at, step))

    return list(walk(data, slot.path, ()))


def dotted(at: Location) -> str:
    """A location as the loader's messages name it."""
    return ".".join(str(part) for part in at)


def get(data: Any, at: Location) -> Any:
    for part in at:
        data = data[part]
    return data


def put(data: Any, at: Location, value: Any) -> None:
    """Set the value at `at`, adding the mappings on the way to it that are absent."""
    for part in at[:-1]:
        data = data.setdefault(part, {}) if isinstance(data, dict) else data[part]
    data[at[-1]] = value


# --- the bases -----------------------------------------------------------------------------------


def _accepted(data: dict[str, Any]) -> bool:
    try:
        validate(data, "base")
    except FleetError:
        return False
    return True


@cache
def bases() -> dict[str, dict[str, Any]]:
    """Name -> a fleet the model accepts: every example, every valid edge-case row, and for each
    list or text of the schema none of those fills, a base that borrows a value of the same type
    from elsewhere in the same fleet (`hubs.*.zones` from `network.zones`)."""
    found = {f"examples/{p.name}": yaml.safe_load(p.read_text()) for p in sorted(EXAMPLES.glob("*.yaml"))}
    for row in EDGE_CASES:
        if isinstance(row, ParameterSet):  # awaiting a limit: not a base
            continue
        description, edit, expected = row
        if expected is VALID:
            found[f"edge: {description}"] = apply(edit)
    found = {name: data for name, data in found.items() if _accepted(data)}
    for slot in slots():
        if slot.kind != "names" and not any(_filled(data, slot) for data in found.values()):
            borrowed = _borrowed(slot, found)
            if borrowed is not None:
                found[f"borrowed: {slot}"] = borrowed
    return found


def _filled(data: dict[str, Any], slot: Slot) -> bool:
    """`slot` has a value in `data`: a list or mapping with an entry, or a text."""
    return any(slot.kind == "text" or get(data, at) for at in locations(data, slot))


def _borrowed(slot: Slot, found: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The first base that, given the value of another slot of the same type at `slot`, is valid."""
    donors = [d for d in slots() if d.kind == slot.kind and d.path != slot.path and d.type == slot.type]
    for data in found.values():
        for donor in donors:
            for source in [at for at in locations(data, donor) if get(data, at)]:
                for target in locations(data, slot, settable=True):
                    candidate = copy.deepcopy(data)
                    put(candidate, target, copy.deepcopy(get(data, source)))
                    if _accepted(candidate):
                        return candidate
    return None


def base(name: str) -> dict[str, Any]:
    """A fresh copy of base `name`."""
    return copy.deepcopy(bases()[name])


@cache
def places(kind: SlotKind, *, free: bool | None = None) -> tuple[Place, ...]:
    """(slot, base, location) of every slot of `kind` wherever a base gives it a value; `free`
    None for Helm values and the rest alike."""
    found: list[Place] = []
    for slot in slots():
        if slot.kind != kind or (free is not None and slot.free != free):
            continue
        for name, data in bases().items():
            found += [(slot, name, at) for at in locations(data, slot)]
    return tuple(found)


def _parent(data: Any, at: Location) -> Any:
    try:
        return get(data, at[:-1])
    except (KeyError, IndexError, TypeError):
        return None


def unreached(kind: SlotKind) -> list[str]:
    """Slots of `kind` that no base fills."""
    return [str(s) for s in slots() if s.kind == kind and not any(_filled(d, s) for d in bases().values())]


@cache
def text_places() -> tuple[Place, ...]:
    """(slot, base, location) of every text slot but Helm values': where a base has its text, and
    for a slot no base fills, where the first base that can hold it would (`get` finds nothing there)."""
    found = list(places("text", free=False))
    for slot in slots():
        if slot.kind == "text" and not slot.free and str(slot) in unreached("text"):
            found += next(
                (
                    [(slot, name, at)]
                    for name, data in bases().items()
                    for at in locations(data, slot, settable=True)
                    if isinstance(_parent(data, at), dict)
                ),
                [],
            )
    return tuple(found)


@cache
def filled(kind: SlotKind) -> tuple[Place, ...]:
    """Every list or mapping of names of `kind` with an entry, in every base."""
    return tuple(p for p in places(kind) if get(bases()[p[1]], p[2]))


@cache
def text_lists() -> tuple[Place, ...]:
    """Lists of texts with an item (ids, zones, CIDRs, instance types)."""
    texts = {s.path[:-1] for s in slots() if s.kind == "text" and s.path[-1] == ANY_ITEM}
    return tuple(p for p in filled("list") if p[0].path in texts)


@cache
def small_bases() -> list[str]:
    """The bases of a few KiB, as a reviewed fleet file is (the big ones stand at a limit)."""
    return sorted(name for name, data in bases().items() if len(to_yaml(data)) < 8192)


@cache
def first_places() -> dict[str, tuple[str, Location]]:
    """Slot -> (base, location) of each list and mapping of names: a place with an entry, in a
    small base when one has it, in the base that fills the most slots when several do (so that
    `batches` merges many edits into few files)."""
    fills: dict[str, int] = {}
    for _, name, _ in (*filled("list"), *filled("names")):
        fills[name] = fills.get(name, 0) + 1
    found: dict[str, tuple[str, Location]] = {}
    for kind in ("list", "names"):
        for slot, name, at in sorted(filled(kind), key=lambda p: (p[1] not in small_bases(), -fills[p[1]])):
            found.setdefault(str(slot), (name, at))
    return found


def draw_place(data: st.DataObject, among: tuple[Place, ...]) -> Place:
    """A base, each alike, then one of its places `among` (a base of 99 targets has 99 times the places)."""
    by_base: dict[str, list[Place]] = {}
    for place in among:
        by_base.setdefault(place[1], []).append(place)
    name = data.draw(st.sampled_from(sorted(by_base)), label="base")
    return data.draw(st.sampled_from(by_base[name]), label="place")


# --- edits ---------------------------------------------------------------------------------------

Edit = Callable[[dict[str, Any]], None]


def edited(name: str, *edits: Edit) -> dict[str, Any]:
    """A copy of base `name` with `edits` made in order."""
    data = base(name)
    for edit in edits:
        edit(data)
    return data


def fresh_key(taken: dict[str, Any], key: str, n: int) -> str:
    """A key like `key`, not in `taken`, of at most 12 characters when `key` has at most 12 (the
    names of generations and services have at most 12)."""
    limit = max(12, len(key))
    while True:
        candidate = f"{key[: limit - len(str(n))]}{n}"
        if candidate not in taken:
            return candidate
        n += 1


HUGE = 2 * limits.MAX_CLUSTERS
"""Past every count fleet/model/limits.py allows (clusters, the largest, twice over)."""
SIZES = sorted(
    {0, 1, HUGE}
    | {
        n + d
        for k, n in vars(limits).items()
        if k.startswith("MAX_") and isinstance(n, int) and n < HUGE
        for d in (0, 1)
    }
)
"""Sizes a collection is cut or grown to: none, one, each count limit of fleet/model/limits.py and one
past it (whichever collection it limits), and far past them all."""


def duplicated(at: Location, index: int) -> Edit:
    """The list at `at` with its item `index` listed twice."""

    def edit(data: dict[str, Any]) -> None:
        items = get(data, at)
        items.insert(index + 1, copy.deepcopy(items[index]))

    return edit


def sized(at: Location, count: int) -> Edit:
    """The list or mapping at `at` with `count` entries: empty, or its entries repeated (a list's
    items as they are, a mapping's entries under fresh keys)."""

    def edit(data: dict[str, Any]) -> None:
        current = get(data, at)
        if isinstance(current, list):
            put(data, at, [copy.deepcopy(current[i % len(current)]) for i in range(count)] if current else [])
            return
        entries = list(current.items())
        grown: dict[str, Any] = {}
        for i in range(count if entries else 0):
            key, value = entries[i % len(entries)]
            grown[key if i < len(entries) else fresh_key(current | grown, key, i)] = copy.deepcopy(value)
        put(data, at, grown)

    return edit


VARIANTS: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "title": str.title,
    "swapcase": str.swapcase,
    "fullwidth": lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s),
    "trailing space": lambda s: f"{s} ",
    "leading space": lambda s: f" {s}",
    "zero-width space": lambda s: f"{s[:1]}\u200b{s[1:]}",
    "Cyrillic e": lambda s: s.replace("e", "\u0435", 1) if "e" in s else f"{s}\u0435",
    "dotless i": lambda s: s.replace("i", "\u0131", 1) if "i" in s else f"{s}\u0131",
}
"""Spellings of a name that a person, or a case-insensitive or normalising system, reads as the same."""


def variant_beside(at: Location, key: Any, variant: str) -> Edit:
    """Beside entry `key` of the mapping (or item `key` of the list) at `at`, the same entry
    under a variant spelling of its name (of its text)."""

    def edit(data: dict[str, Any]) -> None:
        container = get(data, at)
        if isinstance(container, dict):
            container[VARIANTS[variant](key)] = copy.deepcopy(container[key])
        else:
            container.insert(key + 1, VARIANTS[variant](container[key]))

    return edit


HOSTILE = (
    "\x00",
    "\x07",
    "\t",
    "\n",
    "\r",
    "\x1b",
    "\x7f",
    "\x85",
    "\u00a0",
    "\u200b",
    "\u200e",
    "\u202e",
    "\u2028",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\u0435",
    "\uff10",
    "\U0001f600",
    " ",
    "'",
    '"',
    "{",
    "}",
    "${",
    "%{",
    "\\",
)
"""Characters no name, id, URL or version of a fleet file holds: controls, invisible and
direction-changing format characters, lone surrogates, lookalikes, quotes, braces and the starts
of Terraform templates."""


def with_text(at: Location, position: int, hostile: str) -> Edit:
    """The text at `at` with `hostile` inserted at `position` (clamped to its length); where the
    base has no text there, `hostile` alone."""

    def edit(data: dict[str, Any]) -> None:
        try:
            text = get(data, at)
        except (KeyError, IndexError, TypeError):
            text = None
        text = text if isinstance(text, str) else ""
        cut = min(position, len(text))
        put(data, at, text[:cut] + hostile + text[cut:])

    return edit


# --- odd YAML ------------------------------------------------------------------------------------


class _Quoting(NoAliases):
    pass


class _FastQuoting(FastNoAliases):
    pass


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    """A text beyond printable ASCII in double quotes, its characters escaped: PyYAML writes some
    (U+0085) raw in other styles, and reads them back as something else (a space)."""
    plain = all(" " <= c <= "~" for c in text)
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=None if plain else '"')


_Quoting.add_representer(str, _text)
_FastQuoting.add_representer(str, _text)


def to_yaml(data: Any) -> str:
    return dump(data, (_FastQuoting, _Quoting), sort_keys=False, allow_unicode=True, width=4096)


ODD_VALUES = (
    "&a 1",
    "*a",
    "!!python/object/apply:os.system [true]",
    "!!python/name:os.system",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!str 1",
    "!custom 1",
    "!!timestamp 2001-12-14",
    "2001-12-14",
    "2024-02-30",
    ".nan",
    ".inf",
    "-.Inf",
    "0x10",
    "0o17",
    "1_000",
    "1:20",
    "~",
    "''",
    "[]",
    "{}",
    "|\n  text",
    '"\\ud800"',
    '"\\x00"',
    "1e400",
    "9" * 5000,
)
"""Values YAML reads into something a fleet file never means: aliases, explicit tags, dates,
non-finite and odd-base numbers, nulls, empty collections, escapes of no character, huge numbers."""
ODD_KEYS = ("<<", "1", "null", "true", "? [a, b]", "2001-12-14", '"\\x00"', "&k key", "*k")
"""Keys a mapping of the fleet file never has: a merge key, non-string keys, anchors and aliases."""


def yaml_lines(text: str) -> list[tuple[int, str, str]]:
    """(line index, indentation, key) of every `key: ...` line of a block-style YAML text."""
    found = []
    for i, line in enumerate(text.split("\n")):
        stripped = line.lstrip(" ")
        key, sep, _ = stripped.partition(": ")
        if sep and key and not key.startswith(("- ", "#", "'", '"')):
            found.append((i, line[: len(line) - len(stripped)], key))
        elif stripped.endswith(":") and not stripped.startswith(("- ", "#")):
            found.append((i, line[: len(line) - len(stripped)], stripped[:-1]))
    return found


def odd_yaml(text: str, line: int, how: str, odd: str) -> str:
    """`text` with one odd construct at the `key:` line `line`: its value replaced (`value`), a
    sibling key added (`key`), the line repeated (`duplicate`), or its value nested `odd` deep
    (`nest`, `odd` a depth)."""
    lines = text.split("\n")
    index, indent, key = yaml_lines(text)[line]
    if how == "value":
        lines[index] = f"{indent}{key}: {odd}".replace("\n", "\n" + indent)
    elif how == "key":
        lines.insert(index, f"{indent}{odd}: 1")
    elif how == "duplicate":
        lines.insert(index, lines[index])
    else:
        depth = int(odd)
        lines[index] = f"{indent}{key}: {'[' * depth}1{']' * depth}"
    return "\n".join(lines)


def difference(before: Any, after: Any, at: Location = ()) -> list[tuple[Location, Any]]:
    """(location, value) of each place where `after` differs from `before`: a mapping whose keys
    changed, or a list or value that did, as a whole."""
    if isinstance(before, dict) and isinstance(after, dict) and list(before) == list(after):
        return [d for key in after for d in difference(before[key], after[key], (*at, key))]
    same = type(before) is type(after) and (before == after or (before != before and after != after))  # NaN
    return [] if same else [(at, after)]


def becoming(after: dict[str, Any], name: str) -> Edit:
    """The edit that makes base `name` into `after` (so it can be merged with other edits)."""
    changes = difference(bases()[name], after)

    def edit(data: dict[str, Any]) -> None:
        for at, value in changes:
            if at:
                put(data, at, copy.deepcopy(value))

    return edit


# --- the verdicts --------------------------------------------------------------------------------

JS_NOISE = ("jsii", "Traceback", 'File "', "    at ", "Error:", "node:internal", "RuntimeError")
"""What a JavaScript or Python failure leaves on stderr; no message of the fleet file's has it."""
FILE_LEVEL = (
    "the file must be a mapping",
    "file is not UTF-8 text",
    "file is larger than",
    "YAML nested too deeply",
    "malformed YAML",
)
"""Messages about the whole file: there is no field to name."""
MAX_MESSAGE = 400
"""Longest message a line carries after its file's name: values are cut to 80 characters, lists to ten names."""


def line_path(line: str, source: str) -> str | None:
    """The field path a message line names (`hubs.blue.phase`), `line N` for a place in the file,
    `file` for the whole file; None when it names none of those."""
    rest = line.removeprefix(f"{source}: ")
    if rest.startswith("line ") and ", column " in rest.split(": ", 1)[0]:
        return "line " + rest.split(",", 1)[0].removeprefix("line ")
    if rest.startswith(FILE_LEVEL):
        return "file"
    head, sep, tail = rest.partition(": ")
    if not (sep and tail.strip()):
        return None
    if tail.startswith("unknown key"):  # the key the file should not have, wherever it is
        return head
    if set(head.split(", ")) <= {"targets", "apps", "traffic"}:  # the one-service file's keys
        return head
    return head if head.split(".")[0] in Fleet.model_fields else None


def unclear(stderr: str, source: str) -> list[str]:
    """What keeps a refusal from being one clear line per mistake; empty when it is."""
    problems = []
    lines = stderr.rstrip("\n").split("\n")
    for line in lines:
        if "warning: " in line.removeprefix(f"{source}: ")[:40]:
            continue
        if not line.startswith(f"{source}: "):
            problems.append(f"not a line of the fleet file's: {line[:200]!r}")
        elif any(noise in line for noise in JS_NOISE):
            problems.append(f"a trace: {line[:200]!r}")
        elif len(line) - len(source) - 2 > MAX_MESSAGE:
            problems.append(f"a message of {len(line) - len(source) - 2} characters")
        elif line != printable(line):
            problems.append(f"a raw control or format character: {line[:200]!r}")
        elif line_path(line, source) is None:
            problems.append(f"names no field: {line[:200]!r}")
    return problems


def names_place(stderr: str, source: str, at: Location) -> bool:
    """Some line names the field at `at` or one under it, or names its parent and says its name
    (`api_access: cidrs 10.0.0.0/24 and 10.0.0.0/24 overlap`), or names a line and column."""
    want = printable(dotted(at))
    name = printable(next((str(p) for p in reversed(at) if isinstance(p, str)), ""))
    for line in stderr.splitlines():
        path = line_path(line, source)
        if path is None:
            continue
        if path.startswith("line ") or path == want or path.startswith(f"{want}."):
            return True
        if want.startswith(f"{path}.") and name in line.removeprefix(f"{source}: {path}: "):
            return True
    return False


@dataclass(frozen=True)
class Verdict:
    code: int
    stdout: str
    stderr: str


def run_validate(path: Path) -> Verdict:
    """`python -m fleet validate PATH`, in this process (the same function the command runs)."""
    done = fleet_here("validate", path)
    return Verdict(done.returncode, done.stdout, done.stderr)


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("EPHEMERAL_EKS_DEBUG", "FLEET", "CDKTF_OUTDIR")}
    return {**env, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", **extra}


def run_cli(*args: str, **env: str) -> Verdict:
    """A command of this repository in a process of its own (`main.py`, `-m fleet ...`)."""
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600, env=cli_env(**env)
    )
    return Verdict(done.returncode, done.stdout, done.stderr)


def synth(fleet: Path, outdir: Path) -> Verdict:
    return run_cli("-O", "main.py", FLEET=str(fleet), CDKTF_OUTDIR=str(outdir))


NAMED_RESOURCES = {
    "aws_eks_cluster": "name",
    "aws_eks_node_group": "node_group_name",
    "aws_iam_role": "name",
    "aws_security_group": "name",
    "aws_lb": "name",
    "aws_lb_target_group": "name",
    "aws_kms_alias": "name",
    "aws_cloudwatch_log_group": "name",
}
"""Resource types whose `name` is unique in a region or an account (IAM: whatever its case)."""


def synth_problems(fleet: Path, outdir: Path, verdict: Verdict) -> list[str]:
    """What is wrong with a synth of a fleet that validates: it must exit 0 with a complete tree -
    a stack directory for each stack of the fleet, each name of `NAMED_RESOURCES` once, each Helm
    value in the cluster Secrets as strict JSON equal to the file's - or exit 2 with clear lines
    and nothing written."""
    if verdict.code == 2:
        problems = unclear(verdict.stderr, str(fleet))
        leftovers = [p.name for p in outdir.parent.glob(f".{outdir.name}.*")]
        return problems + (["an output directory was written"] if outdir.exists() or leftovers else [])
    if verdict.code != 0:
        return [f"exit {verdict.code}: {verdict.stderr[-1500:]}"]
    problems = [f"stderr: {line}" for line in verdict.stderr.splitlines() if "warning: " not in line]
    from fleet.model.load import load_fleet

    spec = load_fleet(fleet)
    expected = {names.SHARED_STACK} | {ref.stack_id for ref, _ in spec.generations()}
    manifest = json.loads((outdir / "manifest.json").read_text())
    if set(manifest["stacks"]) != expected:
        problems.append(f"stacks {sorted(manifest['stacks'])}, expected {sorted(expected)}")
    stacks = {}
    for stack in sorted(expected):
        file = outdir / "stacks" / stack / "cdk.tf.json"
        if not file.is_file():
            problems.append(f"{stack}: no cdk.tf.json")
            continue
        stacks[stack] = json.loads(file.read_text())
    seen: dict[tuple[str, str], str] = {}
    for stack, body in stacks.items():
        for kind, attribute in NAMED_RESOURCES.items():
            for address, resource in body.get("resource", {}).get(kind, {}).items():
                name = str(resource.get(attribute, ""))
                key = (kind, name.lower() if kind == "aws_iam_role" else name)
                if name and key in seen:
                    problems.append(f"{kind} name {name} twice: {seen[key]} and {stack} {address}")
                seen[key] = f"{stack} {address}"
    return problems + _values_problems(spec, stacks)


def _strict(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _values_problems(spec: Fleet, stacks: dict[str, dict[str, Any]]) -> list[str]:
    """Each registered generation's Helm values reach every hub's cluster Secret as strict JSON,
    equal to what the file says (`Service.helm_values`)."""
    problems = []
    for hub in spec.hubs:
        secrets = stacks.get(names.stack_id("hub", hub), {}).get("resource", {}).get("kubernetes_secret_v1", {})
        annotations: dict[str, dict[str, str]] = {}
        for secret in secrets.values():
            metadata = secret["metadata"]
            generation = metadata.get("labels", {}).get(names.LABEL_GENERATION)
            if generation:
                annotations[generation] = metadata.get("annotations", {})
        for service in spec.services.values():
            for generation, target in service.targets.items():
                if not target.registered or generation not in annotations:
                    continue
                for app in service.apps:
                    want = service.helm_values(app, generation) if service.apps[app].helm else {}
                    text = annotations[generation].get(f"{names.ANNOTATION_VALUES}{app}")
                    if not want:
                        continue
                    try:
                        got = _strict(text.replace("$${", "${").replace("%%{", "%{")) if text else None
                    except ValueError as err:
                        problems.append(f"{hub}: values of {app} on {generation} are not strict JSON ({err})")
                        continue
                    if got != want:
                        problems.append(f"{hub}: values of {app} on {generation} differ from the file's")
    return problems


# --- what validates, batched for synth -------------------------------------------------------------


def validates(data: dict[str, Any]) -> bool:
    """The model accepts `data` as `main.py` would read it: written as YAML and read back."""
    return _accepted(parse_yaml(to_yaml(data), "candidate"))


@dataclass(frozen=True)
class Candidate:
    attack: str
    """What it is: `duplicate network.zones`."""
    base: str
    edit: Edit
    touches: tuple[Location, ...]
    """Where it edits."""
    replaces: bool = False
    """It replaces what is there (a collection resized, a text changed), rather than adding beside
    it: no other candidate that touches the same place (or one inside it) goes into its file."""
    size: int | None = None
    """The size it gives a collection; None when it resizes nothing."""


ODD_BASE = "examples/two-services.yaml"
"""The base whose keys take the odd values (`candidates`): odd YAML is about the file, not the fleet,
and this one has Helm values, which take any value."""


def candidates() -> Iterator[Candidate]:
    """Each kind of attack at one place per slot (`first_places`, `text_places`), each spelling,
    size and character; and each odd value at the first key of `ODD_BASE` where it validates."""
    for slot, (name, at) in first_places().items():
        container = get(bases()[name], at)
        if isinstance(container, list):
            yield Candidate(f"duplicate {slot}", name, duplicated(at, 0), (at,))
        for variant in sorted(VARIANTS):
            if isinstance(container, dict):
                yield Candidate(
                    f"{variant} key of {slot}", name, variant_beside(at, next(iter(container)), variant), (at,)
                )
            elif isinstance(container[0], str):
                yield Candidate(f"{variant} item of {slot}", name, variant_beside(at, 0, variant), (at,))
        for count in SIZES:
            yield Candidate(f"size of {slot}", name, sized(at, count), (at,), replaces=True, size=count)
    seen: set[str] = set()
    for slot, name, at in text_places():
        if str(slot) not in seen:
            seen.add(str(slot))
            # A free-text slot (a query, a command) takes most of HOSTILE: as many as it takes
            # together go in as one text, one candidate (one file, not one each); the rest, one
            # candidate each.
            taken: list[str] = []
            for hostile in HOSTILE:
                if validates(edited(name, with_text(at, 1, "".join(taken) + hostile))):
                    taken.append(hostile)
            rest = HOSTILE
            if len(taken) > 1:
                together = "".join(taken)
                yield Candidate(f"{together!r} in {slot}", name, with_text(at, 1, together), (at,), replaces=True)
                rest = tuple(h for h in HOSTILE if h not in taken)
            for hostile in rest:
                yield Candidate(f"{hostile!r} in {slot}", name, with_text(at, 1, hostile), (at,), replaces=True)
    text = to_yaml(bases()[ODD_BASE])
    keys = yaml_lines(text)
    used: set[int] = set()  # a key each, where they can: one file takes them all
    for odd in ODD_VALUES:
        for line in sorted(range(len(keys)), key=lambda i: i in used):
            key = keys[line][2]
            try:
                after = parse_yaml(odd_yaml(text, line, "value", odd), ODD_BASE)
            except FleetError:
                continue
            changes = difference(bases()[ODD_BASE], after) if isinstance(after, dict) else []
            if changes and all(at for at, _ in changes) and validates(after):
                touches = tuple(at for at, _ in changes)
                yield Candidate(f"{odd[:20]!r} as {key}", ODD_BASE, becoming(after, ODD_BASE), touches, True)
                used.add(line)
                break


def _overlap(a: Location, b: Location) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


Batch = tuple[str, dict[str, Any], list[str]]
"""(base, the fleet with the edits merged, the attacks in it)."""


def batches(budget: int) -> list[Batch]:
    """Every candidate that validates - of the sizes a collection validates at, the largest if
    above one (the examples hold the empty and the single ones) - merged into at most `budget`
    files. A candidate that clashes with one in the file (`Candidate.replaces`), or no longer
    validates beside them, waits for the next file of its base."""
    valid: dict[str, list[Candidate]] = {}
    sizes: dict[str, list[Candidate]] = {}
    for candidate in candidates():
        data = edited(candidate.base, candidate.edit)
        if len(to_yaml(data)) < limits.MAX_FILE_BYTES // 4 and validates(data):
            if candidate.size is None:
                valid.setdefault(candidate.base, []).append(candidate)
            else:
                sizes.setdefault(candidate.attack, []).append(candidate)
    for found in sizes.values():
        largest = max(found, key=lambda c: c.size or 0)
        if (largest.size or 0) > 1:
            valid.setdefault(largest.base, []).append(largest)
    files: list[Batch] = []
    while valid and len(files) < budget:
        name = max(valid, key=lambda n: len(valid[n]))
        merged, attacks, left = base(name), [], []
        touched: list[tuple[Location, bool]] = []
        for candidate in valid.pop(name):
            clash = any(
                _overlap(at, other) and (candidate.replaces or replaced)
                for at in candidate.touches
                for other, replaced in touched
            )
            trial = copy.deepcopy(merged)
            if not clash:
                candidate.edit(trial)
                if validates(trial) and len(to_yaml(trial)) < limits.MAX_FILE_BYTES // 2:
                    merged = trial
                    attacks.append(candidate.attack + ("" if candidate.size is None else f": {candidate.size}"))
                    touched += [(at, candidate.replaces) for at in candidate.touches]
                    continue
            left.append(candidate)
        if left:
            valid[name] = left
        if attacks:
            files.append((name, merged, attacks))
    assert not valid, f"more than {budget} synths: {sorted(valid)}"
    return files


def crowded(data: dict[str, Any]) -> None:
    """Names meeting wherever the model lets them: the fleet, its first hub, the first app of each
    service and every namespace named like the first service; each service's first target like
    its service."""
    first = next(iter(data["services"]))
    data["name"] = first
    hubs = data["hubs"]
    hubs[first] = hubs.pop(next(iter(hubs)))
    for service_name, service in data["services"].items():
        gen = next(iter(service["targets"]))
        service["targets"] = {(service_name if n == gen else n): t for n, t in service["targets"].items()}
        app = next(iter(service["apps"]))
        service["apps"] = {(first if n == app else n): a for n, a in service["apps"].items()}
        if service["traffic"]["app"] == app:
            service["traffic"]["app"] = first
        for target in service["targets"].values():
            if app in target.get("values", {}):
                target["values"][first] = target["values"].pop(app)
        for spec in service["apps"].values():
            spec["namespace"] = first

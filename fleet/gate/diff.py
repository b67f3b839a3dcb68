"""What a change does to each stack: pure comparison of two synthesized versions of the fleet.

A resource whose changed attributes include one Terraform cannot update in place (the table in
`fleet/gate/replacement.py`) is shown as a replacement (`!`), not as an in-place change (`~`): that is
what `terraform plan` will do with it. A removed resource and an added one that are the same real
object under a new construct id are one replacement too. No I/O here: `fleet/gate/sources.py` reads
and synthesizes, `fleet/gate/guard.py` judges, `fleet/gate/comment.py` prints.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from fleet import names
from fleet.gate.replacement import FORCES_REPLACEMENT
from fleet.ref import parse_stack_id

Stacks = dict[str, dict[str, Any]]
"""Stack id -> its parsed cdk.tf.json."""
Verdict = Literal["added", "removed", "changed", "unchanged"]
ChangeKind = Literal["added", "removed", "changed", "replaced"]
Category = Literal["resource", "data", "other"]

IDENTITY_KEYS = ("name", "node_group_name", "name_prefix")
"""Attributes that name a resource's real object: a removed and an added resource of one type with
the same name are one object under a new construct id (a rename), with different names two."""
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_INDEX = re.compile(r"\[\d+\]")
_MISSING = object()


@dataclass(frozen=True)
class Entry:
    """One addressable block of a stack: a resource, a data source, a provider, the backend..."""

    category: Category
    type: str
    """The resource or data source type (`aws_eks_cluster`); "" for the others."""
    body: Any


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    address: str
    category: Category = "resource"
    type: str = ""
    paths: tuple[str, ...] = ()
    """For `changed` and an in-place `replaced`: the attribute paths that differ."""
    forces: tuple[str, ...] = ()
    """For an in-place `replaced`: the changed paths Terraform cannot update in place."""
    new_address: str | None = None
    """For a renamed `replaced`: the address that takes this one's place."""
    before: Any = field(default=None, compare=False, repr=False)
    """The block as the base has it (None for `added`), without cdktf's `//` comments."""
    after: Any = field(default=None, compare=False, repr=False)
    """The block as the head has it (None for `removed`; for a renamed `replaced`, the new address's)."""

    def line(self) -> str:
        if self.kind == "added":
            return f"+ {self.address}"
        if self.kind == "removed":
            return f"- {self.address}"
        if self.kind == "replaced":
            if self.new_address is not None:
                return f"! {self.address}: replaced (destroy + create) as {self.new_address}"
            return f"! {self.address}: replaced (destroy + create), forced by {', '.join(self.forces)}"
        return f"~ {self.address}: {', '.join(p or '(whole value)' for p in self.paths)}"


@dataclass(frozen=True)
class StackDiff:
    stack: str
    verdict: Verdict
    changes: tuple[Change, ...] = ()
    """For a changed stack every difference; for an added or removed one its resources and data sources."""

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    def summary(self) -> str:
        """`+1 ~2 -0`: a replacement counts as one created and one destroyed resource. An added
        or removed stack: `+33` or `-33`, its resources and data sources."""
        if self.verdict in ("added", "removed"):
            return f"{'+' if self.verdict == 'added' else '-'}{len(self.changes)}"
        if self.verdict == "unchanged":
            return ""
        replaced = self.count("replaced")
        text = f"+{self.count('added') + replaced} ~{self.count('changed')} -{self.count('removed') + replaced}"
        return text + (f" ({replaced} replaced)" if replaced else "")


def entries(stack: dict[str, Any]) -> dict[str, Entry]:
    """Every addressable block of a synthesized stack by address, without cdktf's `//` comments
    (construct metadata, checkov skips), which never reach Terraform. A local backend's path is
    read as the state it names (`state/<fleet>/<region>/<stack>.tfstate`), whatever directory it was
    written relative to."""
    found: dict[str, Entry] = {}
    for block, content in stack.items():
        if block == "//":
            continue
        if block in ("resource", "data") and isinstance(content, dict):
            category: Category = "resource" if block == "resource" else "data"
            for rtype, items in content.items():
                for name, body in (items or {}).items():
                    kind = rtype if block == "resource" else f"data.{rtype}"
                    found[f"{kind}.{name}"] = Entry(category, rtype, _strip(body))
        elif block == "provider" and isinstance(content, dict):
            for name, configs in content.items():
                if isinstance(configs, list):
                    configs = [_strip(c) for c in configs]
                    if len(configs) == 1:
                        configs = configs[0]
                found[f"provider.{name}"] = Entry("other", "", configs)
        elif block == "terraform" and isinstance(content, dict):
            for key, value in content.items():
                found[f"terraform.{key}"] = Entry("other", "", _state_identity(value) if key == "backend" else value)
        elif isinstance(content, dict):
            prefix = {"variable": "var", "locals": "local"}.get(block, block)
            for name, body in content.items():
                found[f"{prefix}.{name}"] = Entry("other", "", _strip(body))
        else:
            found[block] = Entry("other", "", content)
    return found


def _strip(body: Any) -> Any:
    if isinstance(body, dict) and "//" in body:
        return {k: v for k, v in body.items() if k != "//"}
    return body


def _state_identity(backend: Any) -> Any:
    local = backend.get("local") if isinstance(backend, dict) else None
    if isinstance(local, dict) and isinstance(local.get("path"), str):
        return {**backend, "local": {**local, "path": names.local_state_identity(local["path"])}}
    return backend


def attribute_paths(base: Any, head: Any, path: str = "") -> list[str]:
    """The paths at which two values differ: `vpc_config.subnet_ids`, `scaling_config.desired_size`,
    `default_action[0].forward.target_group[1].weight`. A list of plain values is one attribute
    (`instance_types`); a list of blocks is compared element by element."""
    if base == head:
        return []
    if isinstance(base, dict) and isinstance(head, dict):
        found: list[str] = []
        for key in [*base, *(k for k in head if k not in base)]:
            found += attribute_paths(base.get(key, _MISSING), head.get(key, _MISSING), _join(path, key))
        return found
    if isinstance(base, list) and isinstance(head, list) and any(isinstance(x, dict | list) for x in base + head):
        found = []
        for i in range(max(len(base), len(head))):
            found += attribute_paths(
                base[i] if i < len(base) else _MISSING, head[i] if i < len(head) else _MISSING, f"{path}[{i}]"
            )
        return found
    return [path]


def _join(path: str, key: str) -> str:
    if not _PLAIN_KEY.fullmatch(key):
        return f"{path}[{json.dumps(key)}]"
    return f"{path}.{key}" if path else key


def under(path: str, prefix: str) -> bool:
    """Whether attribute `path` is `prefix` or inside it; list indices do not count
    (`vpc_config[0].subnet_ids` is under `vpc_config.subnet_ids`)."""
    plain = _INDEX.sub("", path)
    return plain == prefix or plain.startswith((f"{prefix}.", f"{prefix}["))


def forcing(rtype: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    """The changed paths of a resource of `rtype` that Terraform cannot update in place."""
    forced = FORCES_REPLACEMENT.get(rtype, ())
    return tuple(p for p in paths if any(under(p, f) for f in forced))


def _identity(body: Any) -> Any:
    if not isinstance(body, dict):
        return None
    for key in IDENTITY_KEYS:
        if isinstance(body.get(key), str):
            return body[key]
    metadata = body.get("metadata")  # kubernetes resources
    if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
        return (metadata.get("namespace"), metadata["name"])
    return None


def _renames(
    removed: list[str], added: list[str], base: dict[str, Entry], head: dict[str, Entry]
) -> list[tuple[str, str]]:
    """Pair each removed resource with the added one of the same type that is the same real object
    under a new construct id: the same name, or the same body, or - for nameless resources - the
    only one of its type removed and the only one added. Data sources are never paired: a renamed
    lookup destroys nothing."""
    pairs: list[tuple[str, str]] = []
    left = [a for a in added if head[a].category == "resource"]
    for old in removed:
        if base[old].category != "resource":
            continue
        same_type = [a for a in left if head[a].type == base[old].type]
        ident = _identity(base[old].body)
        match = next(
            (
                a
                for a in same_type
                if (ident is not None and _identity(head[a].body) == ident) or head[a].body == base[old].body
            ),
            None,
        )
        if match is None and ident is None:
            removed_of_type = [r for r in removed if base[r].category == "resource" and base[r].type == base[old].type]
            if len(removed_of_type) == 1 and len(same_type) == 1 and _identity(head[same_type[0]].body) is None:
                match = same_type[0]
        if match is not None:
            pairs.append((old, match))
            left.remove(match)
    return pairs


def diff_stack(base: dict[str, Any], head: dict[str, Any]) -> tuple[Change, ...]:
    """Every difference between two synthesized versions of one stack, in head order, removals last."""
    old, new = entries(base), entries(head)
    removed = [a for a in old if a not in new]
    added = [a for a in new if a not in old]
    pairs = dict(_renames(removed, added, old, new))
    taken = set(pairs.values())

    changes: list[Change] = []
    for address, entry in new.items():
        if address in old:
            paths = tuple(attribute_paths(old[address].body, entry.body))
            if not paths:
                continue
            forced = forcing(entry.type, paths) if entry.category == "resource" else ()
            kind: ChangeKind = "replaced" if forced else "changed"
            changes.append(
                Change(
                    kind, address, entry.category, entry.type, paths, forced, before=old[address].body, after=entry.body
                )
            )
        elif address not in taken:
            changes.append(Change("added", address, entry.category, entry.type, after=entry.body))
    for address in removed:
        entry = old[address]
        if address in pairs:
            renamed = new[pairs[address]].body
            changes.append(
                Change(
                    "replaced",
                    address,
                    entry.category,
                    entry.type,
                    new_address=pairs[address],
                    before=entry.body,
                    after=renamed,
                )
            )
        else:
            changes.append(Change("removed", address, entry.category, entry.type, before=entry.body))
    return tuple(changes)


def _stack_order(stack: str) -> tuple[int, str]:
    if stack == names.SHARED_STACK:
        return 0, stack
    found = parse_stack_id(stack)
    return (1 if found[0] == "hub" else 2) if found else 3, stack


def diff_stacks(base: Stacks, head: Stacks) -> list[StackDiff]:
    """One verdict per stack of either side: `shared` first, then hubs, then targets."""
    diffs = []
    for stack in sorted(set(base) | set(head), key=_stack_order):
        if stack not in base:
            diffs.append(StackDiff(stack, "added", _inventory("added", head[stack])))
        elif stack not in head:
            diffs.append(StackDiff(stack, "removed", _inventory("removed", base[stack])))
        else:
            changes = diff_stack(base[stack], head[stack])
            diffs.append(StackDiff(stack, "changed" if changes else "unchanged", changes))
    return diffs


def _inventory(kind: ChangeKind, stack: dict[str, Any]) -> tuple[Change, ...]:
    side = "after" if kind == "added" else "before"
    return tuple(
        Change(kind, address, e.category, e.type, **{side: e.body})
        for address, e in entries(stack).items()
        if e.category != "other"
    )

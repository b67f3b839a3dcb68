"""Synthesized stacks as tests read them: a session's synths, and the resources of one stack."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from support.paths import ROOT

Stacks = dict[str, dict[str, Any]]


class Synth:
    """Synthesize fleet files into a session temp dir; each file's content at most once.

    The key is the path and the bytes it holds: a test that rewrites a derived fleet file under the
    same name (two emulator modules each writing `shift-base.yaml` with their own certificate) gets
    the stacks of what the file says now, not of what it said when another module wrote it."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._done: dict[tuple[Path, str], Path] = {}

    def outdir(self, fleet: str | Path) -> Path:
        path = (ROOT / fleet).resolve()
        key = (path, hashlib.sha256(path.read_bytes()).hexdigest())
        if key not in self._done:
            from main import synthesize  # imports cdktf and the bindings once per session

            out = self.base / f"{len(self._done):02d}-{path.stem}"
            synthesize(str(path), out)
            self._done[key] = out
        return self._done[key]

    def __call__(self, fleet: str | Path) -> Stacks:
        stacks_dir = self.outdir(fleet) / "stacks"
        return {d.name: json.loads((d / "cdk.tf.json").read_text()) for d in sorted(stacks_dir.iterdir())}


def resources(stack: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return stack.get("resource", {}).get(kind, {})


def only(stack: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(stack, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.values()))


REFERENCE = re.compile(r"\$\{([^}]*)\}")
"""A Terraform interpolation in synthesized JSON."""
LOCAL_NAMES = ("var.", "local.", "each.", "count.", "self.")


def addresses(stack: dict[str, Any]) -> set[str]:
    """Everything a reference inside this stack may point at."""
    found = set()
    for kind, items in stack.get("resource", {}).items():
        found |= {f"{kind}.{name}" for name in items}
    for kind, items in stack.get("data", {}).items():
        found |= {f"data.{kind}.{name}" for name in items}
    return found


def references(stack: dict[str, Any]) -> set[str]:
    """The resource and data source addresses the stack's expressions name (cdktf's `//` aside)."""
    text = json.dumps({k: v for k, v in stack.items() if k != "//"})
    refs = set()
    for expression in REFERENCE.findall(text):
        for match in re.finditer(
            r"\b(data\.[a-z0-9_]+\.[A-Za-z0-9_-]+|[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z0-9_-]+)", expression
        ):
            refs.add(match.group(1))
    return refs


def dangling(stack: dict[str, Any]) -> set[str]:
    """What the stack references but does not hold: another stack's resources, if anything."""
    return {r for r in references(stack) if not r.startswith(LOCAL_NAMES)} - addresses(stack)

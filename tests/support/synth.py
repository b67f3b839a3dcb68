"""Synthesized stacks as tests read them: a session's synths, and the resources of one stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.paths import ROOT

Stacks = dict[str, dict[str, Any]]


class Synth:
    """Synthesize fleet files into a session temp dir; each file at most once."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._done: dict[Path, Path] = {}

    def outdir(self, fleet: str | Path) -> Path:
        path = (ROOT / fleet).resolve()
        if path not in self._done:
            from main import synthesize  # imports cdktf and the bindings once per session

            out = self.base / f"{len(self._done):02d}-{path.stem}"
            synthesize(str(path), out)
            self._done[path] = out
        return self._done[path]

    def __call__(self, fleet: str | Path) -> Stacks:
        stacks_dir = self.outdir(fleet) / "stacks"
        return {d.name: json.loads((d / "cdk.tf.json").read_text()) for d in sorted(stacks_dir.iterdir())}


def resources(stack: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return stack.get("resource", {}).get(kind, {})


def only(stack: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(stack, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.values()))

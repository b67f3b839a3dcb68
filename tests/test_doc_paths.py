"""Every repository path the docs and the code's comments name exists.

A platform engineer follows a doc's `fleet/model/load.py` or a docstring's
`fleet.model.limits.MAX_SERVING_TARGETS` to the code; after a rename (CHANGELOG.md lists the
project's) nothing else tells them the name is gone.
The texts read: README.md, CONTRIBUTING.md, CHANGELOG.md and docs/*.md whole, and the comments
and docstrings (every string that stands alone as a statement) of the Python files in fleet/,
stacks/, constructs/, bench/ and tests/. What is checked in them:

- a path that starts with one of the repository's top-level folders (`TOPS`), wherever it stands
  (backticks or not), must exist; a segment with a placeholder (`<name>`, `{name}`, `*`) ends the
  part checked. A path inside a longer one (`cdktf.out/stacks/...`, a URL) is not a repository
  path and is not read;
- a dotted name that starts with one of the repository's packages (`fleet.`, `stacks.`,
  `constructs.`, `bench.`, and `support.` for tests/support/) must import as a module, and what
  follows it must be its attributes (a model's fields count);
- a relative Markdown link in a doc must reach a file or folder;
- a layout listing: in a doc's ```text block, a `name.py` or `name/` on the rows of a top-level
  folder (`fleet/`, then its indented rows) must exist somewhere below that folder; in a
  package's `__init__` docstring, the `name.py` or `name/` that starts an indented row must exist
  in that package.

Paths of other projects that the code cites for a fact (argo-cd's docs/operator-manual/, argo-helm's
charts/argo-cd/) are `FOREIGN`; a test keeps each of those prefixes absent from this repository, so
the exception can never hide one of its own paths.
"""

from __future__ import annotations

import ast
import functools
import importlib
import io
import re
import shutil
import subprocess
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.paths import ROOT

TOPS = (".ci", ".github", "bench", "charts", "constructs", "docs", "examples", "fleet", "stacks", "tests")
"""The repository's top-level folders: a path that starts with one of them is a repository path."""
PACKAGES = ("fleet", "stacks", "constructs", "bench", "support")
"""The importable packages (tests/support/ imports as `support`: tests/ is on the path)."""
FOREIGN = (
    "docs/user-guide/",  # argo-cd's documentation, cited for ArgoCD's behaviour
    "docs/operator-manual/",  # argo-cd's documentation
    "charts/argo-cd/",  # argo-helm's chart
    "charts/argocd-apps/",  # argo-helm's chart
)
"""Prefixes of other repositories' paths that the code and docs cite (always with that project's name)."""
CODE_FOLDERS = ("fleet", "stacks", "constructs", "bench", "tests")
FILE_ENDINGS = ("py", "md", "yaml", "yml", "json", "txt", "toml", "lock", "tf", "rc", "ini", "cfg", "sh")

PATH = re.compile(r"(?<![\w./:@~$%-])(?:" + "|".join(re.escape(t) for t in TOPS) + r")/[^\s`'\"()\[\],;|!?]*")
DOTTED = re.compile(r"(?<![\w./:@-])(?:" + "|".join(PACKAGES) + r")(?:\.[A-Za-z_]\w*)+(?![\w/-])")
LINK = re.compile(r"\]\(([^)\s]+)\)")
PLACEHOLDER = re.compile(r"[<>{}*$]")
LAYOUT_NAME = re.compile(r"(?<![\w./-])([A-Za-z_][\w-]*(?:\.py|/))(?=[\s,;:)]|$)")


@dataclass(frozen=True)
class Dangling:
    source: str
    reference: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reference}"


def docs(root: Path) -> list[Path]:
    named = [root / name for name in ("README.md", "CONTRIBUTING.md", "CHANGELOG.md")]
    return [p for p in named if p.exists()] + sorted((root / "docs").glob("*.md"))


def code_files(root: Path) -> list[Path]:
    return [p for folder in CODE_FOLDERS for p in sorted((root / folder).rglob("*.py"))]


def comments_and_docstrings(source: str) -> str:
    """The comments and the lone string statements (module, class, function and attribute docstrings)."""
    parts = [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            parts.append(node.value.value)
    return "\n".join(parts)


def paths_in(text: str) -> set[str]:
    """The repository paths a text names, each cut before its first placeholder segment."""
    found = set()
    for match in PATH.finditer(text):
        token = match.group(0).split("#", 1)[0].rstrip(".:")
        segments = token.split("/")
        kept = []
        for segment in segments:
            if PLACEHOLDER.search(segment):
                break
            kept.append(segment)
        path = "/".join(kept)
        if path and not (path + "/").startswith(FOREIGN) and not path.startswith(FOREIGN):
            found.add(path)
    return found


def dotted_in(text: str) -> set[str]:
    """The dotted module references a text names (`fleet.model.limits.MAX_SERVING_TARGETS`)."""
    return {
        m.group(0).rstrip(".")
        for m in DOTTED.finditer(text)
        if m.group(0).rstrip(".").rsplit(".", 1)[-1] not in FILE_ENDINGS  # fleet.yaml is a file name
    }


def layout_names(text: str, folder: str | None) -> set[str]:
    """`folder/name` for each name on a layout listing's rows: a doc's ```text block (rows under a
    `folder/` row) or, with `folder` given, a package docstring's indented rows."""
    found = set()
    if folder is not None:
        for line in text.splitlines():
            first = LAYOUT_NAME.match(line.strip()) if line.startswith("    ") else None
            if first:
                found.add(f"{folder}/{first.group(1)}")
        return found
    for block in re.findall(r"```text\n(.*?)```", text, re.DOTALL):
        current = None
        for line in block.splitlines():
            if line and not line[0].isspace():
                first = line.split()[0]
                current = first.rstrip("/") if first.endswith("/") and first.rstrip("/") in TOPS else None
                line = line[len(first) :]
            if current is not None:
                found |= {f"{current}/**/{n}" for n in LAYOUT_NAME.findall(line)}
    return found


def _exists(root: Path, path: str) -> bool:
    if "/**/" in path:
        folder, name = path.split("/**/", 1)
        pattern = name.rstrip("/")
        return any(p.is_dir() == name.endswith("/") for p in (root / folder).rglob(pattern))
    return (root / path).exists()


def _module_file(module: str) -> Path | None:
    """The file of one of the repository's modules (`support.<module>` lives in tests/support/), or None."""
    base = ROOT / "tests" if module.split(".")[0] == "support" else ROOT
    path = base.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _defined(file: Path, names: list[str]) -> bool:
    """Whether a module's source defines `names[0]` at its top level (and `names[1]` in that class)."""
    body = ast.parse(file.read_text()).body
    for name in names[:2]:
        found: ast.stmt | None = None
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                found = node
            elif isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                (a.asname or a.name).split(".")[0] == name for a in node.names
            ):
                found = node
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                found = node
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
                found = node
        if found is None:
            return False
        if not isinstance(found, ast.ClassDef):
            return True
        body = found.body
    return True


def resolves(reference: str) -> bool:
    """Whether a dotted name is a module and then its attributes: imported where the module
    imports, read from its source where it exists but does not import (a tree mid-edit)."""
    parts = reference.split(".")
    for cut in range(len(parts), 0, -1):
        module, rest = ".".join(parts[:cut]), parts[cut:]
        file = _module_file(module)
        try:
            obj: Any = importlib.import_module(module)
        except ImportError:
            if file is None:
                continue
            return _defined(file, rest)
        for name in rest:
            fields = getattr(obj, "model_fields", None)
            if isinstance(obj, type) and isinstance(fields, dict) and name in fields:
                obj = fields[name]
            elif hasattr(obj, name):
                obj = getattr(obj, name)
            else:
                return False
        return True
    return False


def dangling(root: Path, sources: list[tuple[str, str, str | None]]) -> list[Dangling]:
    """Each (source name, text, package folder or None) checked against the tree at `root`."""
    problems: list[Dangling] = []
    for source, text, package in sources:
        for path in sorted(paths_in(text) | layout_names(text, package)):
            if not _exists(root, path):
                problems.append(Dangling(source, path.replace("/**/", "/.../")))
        for reference in sorted(dotted_in(text)):
            if not resolves(reference):
                problems.append(Dangling(source, reference))
        if source.endswith(".md"):
            base = (root / source).parent
            for target in LINK.findall(text):
                target = target.split("#", 1)[0]
                if target and not re.match(r"[a-z]+:", target) and not (base / target).exists():
                    problems.append(Dangling(source, target))
    return list(dict.fromkeys(problems))


def sources(root: Path) -> list[tuple[str, str, str | None]]:
    found: list[tuple[str, str, str | None]] = [(str(p.relative_to(root)), p.read_text(), None) for p in docs(root)]
    for p in code_files(root):
        package = str(p.parent.relative_to(root)) if p.name == "__init__.py" else None
        found.append((str(p.relative_to(root)), comments_and_docstrings(p.read_text()), package))
    return found


@functools.cache
def repository_sources() -> list[tuple[str, str, str | None]]:
    return sources(ROOT)


def test_every_path_the_docs_and_comments_name_exists() -> None:
    problems = dangling(ROOT, repository_sources())
    assert not problems, "dangling references:\n" + "\n".join(map(str, problems))


def test_the_texts_read_are_the_docs_and_every_module_of_the_code_folders() -> None:
    read = {name for name, _, _ in repository_sources()}
    assert {"README.md", "CONTRIBUTING.md", "CHANGELOG.md", "docs/architecture.md", "docs/gate.md"} <= read
    assert {"fleet/model/load.py", "stacks/hub.py", "constructs/eks_cluster.py", "bench/synth.py"} <= read
    assert "tests/support/fleets.py" in read and "tests/test_doc_paths.py" in read


def test_tops_are_the_top_level_folders_git_tracks() -> None:
    """A new top-level folder is a path root the check must know; a removed one is no longer one."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    folders = {line.split("/", 1)[0] for line in listed.splitlines() if "/" in line}
    assert folders == set(TOPS), f"TOPS {sorted(TOPS)} against the tracked folders {sorted(folders)}"


def test_foreign_prefixes_are_no_paths_of_this_repository() -> None:
    assert not [prefix for prefix in FOREIGN if (ROOT / prefix).exists()]


def test_a_module_that_does_not_import_is_read_from_its_source(monkeypatch) -> None:
    """A module mid-edit elsewhere in the tree still resolves by what its source defines."""

    def broken(name: str, package: str | None = None) -> Any:
        raise ImportError(f"cannot import {name}")

    monkeypatch.setattr(importlib, "import_module", broken)
    assert resolves("fleet.model.limits.MAX_SERVING_TARGETS")
    assert resolves("fleet.model.Fleet") and resolves("fleet.model.fleet.Fleet.spec")
    assert not resolves("fleet.model.limits.MAX_SERVING_TARGET")
    assert not resolves("fleet.spec.limits")


def test_the_extractor_finds_each_kind_of_reference() -> None:
    text = (
        "See `fleet/model/load.py`, fleet/model/limits.py: and docs/shift.md#rollback. "
        "Stacks are written to cdktf.out/stacks/<stack>/cdk.tf.json (not ours); examples/{name}.yaml; "
        "https://github.com/acme/fleet/pulls; argo-cd docs/operator-manual/core.md; "
        "`fleet.model.limits.MAX_SERVING_TARGETS`, support.paths.ROOT and fleet.yaml."
    )
    assert paths_in(text) == {"fleet/model/load.py", "fleet/model/limits.py", "docs/shift.md", "examples"}
    assert dotted_in(text) == {"fleet.model.limits.MAX_SERVING_TARGETS", "support.paths.ROOT"}
    assert all(map(resolves, dotted_in(text)))


@pytest.mark.parametrize(
    "planted",
    [
        "the loader, `fleet/spec/load.py`",
        "the hub stack (stacks/argocd.py)",
        "tests/support/fleet.py's helpers",
        "`fleet.spec.limits.MAX_SERVING_TARGETS`",
        "fleet.model.limits.MAX_SERVING_TARGET",
        "fleet.model.Fleet.rollback_window",
        "see [the shift](docs/shiftt.md)",
    ],
)
def test_a_planted_wrong_reference_is_caught(planted: str) -> None:
    problems = dangling(ROOT, [("README.md", f"Some prose; {planted}.\n", None)])
    assert len(problems) == 1, problems


def test_a_layout_listing_under_its_folder_is_checked() -> None:
    block = "```text\nfleet/   the fleet\n  spec/  the fleet file\nstacks/  shared.py, argocd.py, hub.py\n```\n"
    assert [p.reference for p in dangling(ROOT, [("CONTRIBUTING.md", block, None)])] == [
        "fleet/.../spec/",
        "stacks/.../argocd.py",
    ]
    docstring = "The fleet.\n\n    model/   the fleet file\n    spec/    the old name\n"
    assert [p.reference for p in dangling(ROOT, [("fleet/__init__.py", docstring, "fleet")])] == ["fleet/spec/"]


def test_a_planted_path_in_a_copy_of_the_repository_fails_the_check(tmp_path: Path) -> None:
    """The whole check on a copy of the docs and the code folders, with one doc given a renamed path."""
    for doc in docs(ROOT):
        (tmp_path / doc.relative_to(ROOT)).parent.mkdir(exist_ok=True)
        shutil.copy(doc, tmp_path / doc.relative_to(ROOT))
    for folder in TOPS:
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True
        )
    assert dangling(tmp_path, sources(tmp_path)) == []
    runbook = tmp_path / "docs" / "runbook.md"
    runbook.write_text(runbook.read_text() + "\nThe loader is fleet/spec/load.py.\n")
    assert [str(p) for p in dangling(tmp_path, sources(tmp_path))] == ["docs/runbook.md: fleet/spec/load.py"]

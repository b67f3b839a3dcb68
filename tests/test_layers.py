"""Which layer may import which (docs/architecture.md, "Layers"), read off every module's imports.

Each Python file of fleet/, stacks/, constructs/ and main.py belongs to one layer by its path;
every `import` and `from ... import` in it (at any depth, so a lazy import inside a function
counts) names a layer. `ALLOWED` is the whole rule: a layer imports itself and what its row
lists, nothing else. `EXCEPTIONS` holds the imports that break it today, each with its reason;
a test fails when one is gone, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from support.paths import ROOT

VOCABULARY = "fleet vocabulary"
MODEL = "fleet/model"
COMPARE = "fleet/compare.py"
GATE = "fleet/gate"
OPS = "fleet/ops"
CLI = "fleet command line"
STACKS = "stacks"
CONSTRUCTS = "constructs"
MAIN = "main.py"
CDKTF = "cdktf and the provider bindings"

ALLOWED: dict[str, set[str]] = {
    VOCABULARY: set(),
    MODEL: {VOCABULARY},
    COMPARE: {VOCABULARY, MODEL},
    GATE: {VOCABULARY, MODEL, COMPARE},
    OPS: {VOCABULARY, MODEL, COMPARE},
    CLI: {VOCABULARY, MODEL, COMPARE, GATE, OPS},
    CONSTRUCTS: {CDKTF},
    STACKS: {VOCABULARY, MODEL, CONSTRUCTS, CDKTF},
    MAIN: {VOCABULARY, MODEL, STACKS, CDKTF},
}
"""layer -> the other layers it may import."""

EXCEPTIONS: dict[tuple[str, str], str] = {}
"""(file, module) -> why this import crosses a layer today."""

PROVIDER_PACKAGES = ("cdktf", "jsii", "cdktf_cdktf_provider_aws", "cdktf_cdktf_provider_helm")


def layer_of_file(path: str) -> str | None:
    parts = path.split("/")
    if parts[0] == "fleet":
        if len(parts) == 2:
            return {"compare.py": COMPARE, "__main__.py": CLI, "__init__.py": MODEL}.get(parts[1], VOCABULARY)
        return {"model": MODEL, "gate": GATE, "ops": OPS, "cli": CLI}[parts[1]]
    return {"stacks": STACKS, "constructs": CONSTRUCTS, "main.py": MAIN}.get(parts[0])


def layer_of_module(module: str, names: tuple[str, ...] = ()) -> str | None:
    """The layer a module (and, for `from fleet import x`, the names imported) belongs to."""
    parts = module.split(".")
    top = parts[0]
    if top in PROVIDER_PACKAGES or top.startswith("cdktf_cdktf_provider_"):
        return CDKTF
    if top == "constructs":
        return CONSTRUCTS if len(parts) > 1 else CDKTF  # `constructs` alone is the library
    if top in ("stacks", "main"):
        return STACKS if top == "stacks" else MAIN
    if top != "fleet":
        return None
    if len(parts) == 1:  # from fleet import names / Fleet: a submodule, or the package's re-exports of the model
        return VOCABULARY if names and all((ROOT / "fleet" / f"{n}.py").exists() for n in names) else MODEL
    packages = {"model": MODEL, "gate": GATE, "ops": OPS, "cli": CLI, "compare": COMPARE, "__main__": CLI}
    return packages.get(parts[1], VOCABULARY)


def imports(source: str) -> list[tuple[str, tuple[str, ...]]]:
    found: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, tuple(alias.name for alias in node.names)))
    return found


def files() -> list[Path]:
    return [
        ROOT / "main.py",
        *sorted((ROOT / "fleet").rglob("*.py")),
        *sorted((ROOT / "stacks").glob("*.py")),
        *sorted((ROOT / "constructs").glob("*.py")),
    ]


def crossings() -> dict[tuple[str, str], tuple[str, str]]:
    """(file, module) -> (its layer, the module's layer) for every import ALLOWED does not allow."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for path in files():
        name = path.relative_to(ROOT).as_posix()
        own = layer_of_file(name)
        assert own is not None, name
        for module, names in imports(path.read_text()):
            other = layer_of_module(module, names)
            if other is not None and other != own and other not in ALLOWED[own]:
                found[(name, module)] = (own, other)
    return found


def test_every_import_keeps_to_its_layer() -> None:
    broken = {k: v for k, v in crossings().items() if k not in EXCEPTIONS}
    assert not broken, "\n".join(f"{f} ({a}) imports {m} ({b})" for (f, m), (a, b) in sorted(broken.items()))


def test_every_listed_exception_is_still_there() -> None:
    assert set(EXCEPTIONS) <= set(crossings()), "an exception is gone: remove it from EXCEPTIONS"


@pytest.mark.parametrize(
    ("name", "source", "crossing"),
    [
        ("constructs/new.py", "from fleet.model import Fleet\n", (CONSTRUCTS, MODEL)),
        ("fleet/model/new.py", "def f():\n    from fleet.ops.planner import plan\n", (MODEL, OPS)),
        ("fleet/gate/new.py", "import cdktf\n", (GATE, CDKTF)),
        ("fleet/ops/new.py", "from fleet.gate.guard import guard\n", (OPS, GATE)),
        ("stacks/new.py", "from fleet.ops import merge\n", (STACKS, OPS)),
        ("fleet/names.py", "from fleet import Fleet\n", (VOCABULARY, MODEL)),
    ],
)
def test_a_planted_crossing_is_caught(name: str, source: str, crossing: tuple[str, str]) -> None:
    own = layer_of_file(name)
    found = [(own, layer_of_module(m, n)) for m, n in imports(source)]
    assert found == [crossing] and crossing[1] not in ALLOWED[crossing[0]]


def test_fleet_imports_no_cdktf_so_validate_stays_fast() -> None:
    """The pre-commit hook's promise (fleet/__init__.py): nothing in fleet/ loads cdktf or jsii."""
    assert not [k for k, (a, b) in crossings().items() if b == CDKTF]
    for path in (ROOT / "fleet").rglob("*.py"):
        assert all(layer_of_module(m, n) != CDKTF for m, n in imports(path.read_text())), path


def imports_of_tests(sources: dict[str, str], test_modules: set[str]) -> list[str]:
    """`file imports module` for each import of a test module (or conftest) in `sources`."""
    return [
        f"{name} imports {module}"
        for name, source in sorted(sources.items())
        for module, _ in imports(source)
        if module.split(".")[0] in test_modules
    ]


def test_tests_share_helpers_only_through_tests_support() -> None:
    """A helper two test modules need lives in tests/support/: no test module (nor a support
    module) imports a test module or conftest, so running one test file never runs another's
    module-level code and a rename of a test file breaks no other."""
    tests = ROOT / "tests"
    test_modules = {p.stem for p in tests.glob("*.py")}
    assert {"conftest", "test_layers"} <= test_modules, "the walk no longer sees the test modules"
    sources = {
        p.relative_to(ROOT).as_posix(): p.read_text() for p in [*tests.glob("*.py"), *(tests / "support").glob("*.py")]
    }
    found = imports_of_tests(sources, test_modules)
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "from test_pipeline import TRANSITIONS\n",
        "def f():\n    import test_fuzz as fuzz\n",
        "from conftest import TODAY\n",
    ],
)
def test_a_planted_test_import_is_caught(source: str) -> None:
    assert imports_of_tests({"tests/support/new.py": source}, {"conftest", "test_pipeline", "test_fuzz"})


def test_every_module_and_test_the_conftest_marks_slow_by_name_exists(request: pytest.FixtureRequest) -> None:
    """Every module and test conftest marks slow by name exists: a renamed one would silently lose
    its mark and slow the quick loop down."""
    (conftest,) = [p for p in request.config.pluginmanager.get_plugins() if hasattr(p, "SLOW_MODULES")]
    modules, tests = conftest.SLOW_MODULES, conftest.SLOW_TESTS
    assert modules and [n for n in modules if not (ROOT / "tests" / n).is_file()] == []
    defined = "\n".join(path.read_text() for path in (ROOT / "tests").glob("test_*.py"))
    assert tests and [n for n in tests if f"def {n}(" not in defined] == []

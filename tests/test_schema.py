"""The fleet file's JSON Schema (docs/fleet.schema.json, written by docs/schema.py, `make docs`).

It is what the model says today (a stale file fails, as docs/fleet-file.md does in
tests/test_docs.py); it is a valid draft-07 schema; every example and fleet.yaml names it on
their first line, for yaml-language-server, and validates against it under a real JSON Schema
validator (`jsonschema`); fleets the model refuses for their shape fail it too; and `fleet next`,
which rewrites a fleet file's lines, keeps that first line.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest

from fleet.model.load import FleetError, load_fleet, parse_yaml, validate
from fleet.ops.next_step import propose
from support import fleets
from support.paths import EXAMPLES, ROOT


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_schema", ROOT / "docs" / "schema.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = _module()
SCHEMA_FILE = ROOT / "docs" / "fleet.schema.json"
FLEET_FILES = [ROOT / "fleet.yaml", *sorted(EXAMPLES.glob("*.yaml"))]
IDS = [str(p.relative_to(ROOT)) for p in FLEET_FILES]


def committed() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def validator() -> jsonschema.protocols.Validator:
    """The validator the schema's own `$schema` names (draft-07), its format checks on."""
    schema = committed()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def errors(data: Any) -> list[str]:
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(data))


# --- generated, and not stale -----------------------------------------------------------------


def test_the_schema_file_is_what_the_generator_writes_today() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == generator.render(), "stale: run `make docs`"


def test_schema_check_passes_on_the_committed_file() -> None:
    run = subprocess.run(
        [sys.executable, "docs/schema.py", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert (run.returncode, run.stderr) == (0, ""), run.stderr


def test_schema_check_fails_with_one_line_on_a_stale_file(tmp_path, monkeypatch, capsys) -> None:
    stale = tmp_path / "fleet.schema.json"
    stale.write_text(generator.render().replace('"region"', '"regoin"', 1))
    monkeypatch.setattr(generator, "SCHEMA", stale)
    assert generator.main(["--check"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "docs/fleet.schema.json is stale: run `make docs` (python docs/schema.py)"
    ]
    assert "regoin" in stale.read_text(), "--check wrote the file"


def test_make_docs_writes_the_schema() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ndocs:", 1)[1].split("\n\n", 1)[0]
    assert "python docs/schema.py" in recipe


def test_the_schema_is_draft_07_with_no_later_keyword() -> None:
    schema = committed()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    text = json.dumps(schema)
    assert "$defs" not in text and "prefixItems" not in text and "unevaluated" not in text


def test_a_later_keyword_is_refused_rather_than_written(monkeypatch) -> None:
    monkeypatch.setattr(generator.Fleet, "model_json_schema", lambda: {"type": "array", "prefixItems": []})
    with pytest.raises(ValueError, match="prefixItems"):
        generator.schema()


# --- every fleet file names it and passes it --------------------------------------------------


@pytest.mark.parametrize("path", FLEET_FILES, ids=IDS)
def test_every_fleet_file_names_the_schema_on_its_first_line(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first == generator.modeline(path), f"{path.name}: first line should be {generator.modeline(path)!r}"
    named = first.split("$schema=", 1)[1]
    assert (path.parent / named).resolve() == SCHEMA_FILE


def test_the_modeline_path_is_relative_to_the_file() -> None:
    assert generator.modeline(ROOT / "fleet.yaml") == "# yaml-language-server: $schema=docs/fleet.schema.json"
    assert generator.modeline(EXAMPLES / "x.yaml") == "# yaml-language-server: $schema=../docs/fleet.schema.json"


@pytest.mark.parametrize("path", FLEET_FILES, ids=IDS)
def test_every_fleet_file_validates_against_the_schema(path: Path) -> None:
    data = parse_yaml(path.read_text(), str(path))  # as the loader reads it
    assert errors(data) == []


KNOWN_BAD = {
    "a misspelt key": (
        lambda d: d["services"]["web"]["targets"]["blue"].update(wieght=100),
        "services.web.targets.blue: Additional properties are not allowed ('wieght' was unexpected)",
    ),
    "an unquoted kubernetes version": (
        lambda d: d["hubs"]["blue"].update(kubernetes_version=1.35),
        "hubs.blue.kubernetes_version: 1.35 is not of type 'string'",
    ),
    "no region": (lambda d: d.pop("region"), ": 'region' is a required property"),
    "a phase that does not exist": (
        lambda d: d["services"]["web"]["targets"]["blue"].update(phase="live"),
        "services.web.targets.blue.phase: 'live' is not one of",
    ),
    "a weight over 100": (
        lambda d: d["services"]["web"]["targets"]["blue"].update(weight=101),
        "services.web.targets.blue.weight: 101 is greater than the maximum of 100",
    ),
}


@pytest.mark.parametrize("case", list(KNOWN_BAD), ids=list(KNOWN_BAD))
def test_a_known_bad_fleet_fails_the_schema_and_the_model(case: str) -> None:
    edit, said = KNOWN_BAD[case]
    data = fleets.example_data("steady")
    assert errors(data) == []
    edit(data)
    found = errors(data)
    assert len(found) == 1 and found[0].startswith(said), found
    with pytest.raises(FleetError):
        validate(data, "steady.yaml")


def test_the_modeline_changes_nothing_the_loader_reads() -> None:
    for path in FLEET_FILES:
        text = path.read_text()
        body = text.split("\n", 1)[1]
        assert parse_yaml(text, path.name) == parse_yaml(body, path.name), path.name


# --- fleet next keeps it ----------------------------------------------------------------------


CHAINED = [name for chain in (fleets.TARGET_SWAP, fleets.HUB_SWAP) for name in chain[:-1]]


@pytest.mark.parametrize("name", CHAINED)
def test_fleet_next_keeps_the_first_line(name: str) -> None:
    path = EXAMPLES / f"{name}.yaml"
    proposal = propose(path.read_text(), load_fleet(path), (50, 100), {}, since=0.0)
    assert proposal is not None
    assert proposal.text.splitlines()[0] == generator.modeline(path)
    assert errors(parse_yaml(proposal.text, name)) == []

"""The docs cannot drift from the code: the fleet file reference is generated from the model's schema.

docs/fleet-file.md is written by docs/generate.py from `Fleet.model_json_schema()` and the
hand-written docs/fleet-file.intro.md (`make docs`). These tests fail when the file is stale,
when the generator would leave a model or a field out, and when the limits that live in the
model's validators (not in its schema) are no longer stated where the doc says them.

Other docs' pasted command output is held to the real commands where the command is tested:
the runbook's plans in tests/test_planner.py, the `fleet validate` output and the old-shape
refusal in tests/test_workflows.py, the Kubernetes version table in tests/test_fleet_validation.py.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from types import ModuleType

import pytest

from fleet import Fleet
from support.paths import ROOT


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _generator()
DOC = ROOT / "docs" / "fleet-file.md"
SCHEMA = Fleet.model_json_schema()


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_fleet_file_reference_is_what_the_generator_writes_today() -> None:
    assert DOC.read_text() == generate.render(), "docs/fleet-file.md is stale: run `make docs`"


def test_generate_check_passes_on_the_committed_reference() -> None:
    run = subprocess.run(
        [sys.executable, "docs/generate.py", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert (run.returncode, run.stderr) == (0, ""), run.stderr


def test_generate_check_fails_with_one_line_on_a_stale_reference(tmp_path, monkeypatch, capsys) -> None:
    stale = tmp_path / "fleet-file.md"
    stale.write_text(generate.render().replace("| `name` |", "| `fleet_name` |", 1))
    monkeypatch.setattr(generate, "DOC", stale)
    assert generate.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == ["docs/fleet-file.md is stale: run `make docs` (python docs/generate.py)"]
    assert "fleet_name" in stale.read_text(), "--check wrote the file"


def test_every_model_has_a_section_and_every_field_a_row() -> None:
    reference = _section(DOC.read_text(), "Reference")
    walked = generate.models(SCHEMA)
    names = {name for name, _, _ in walked}
    assert {"Fleet", "Network", "LocalState", "S3State", "Hub", "Target", "NodeGroup", "Service", "App"} <= names
    assert {"Traffic", "ApiAccess", "ClusterResource", "ArgoCd", "LoadBalancerController"} <= names
    problems = []
    for name, paths, model in walked:
        if f"\n### {name}\n" not in reference:
            problems.append(f"{name}: no section")
            continue
        body = reference.split(f"\n### {name}\n", 1)[1].split("\n### ", 1)[0]
        for field in model["properties"]:
            path = f"{paths[0]}.{field}".lstrip(".")
            if f"\n| `{path}` |" not in body:
                problems.append(f"{name}: no row for {path}")
    assert not problems, "\n".join(problems)


def test_a_field_default_is_the_schemas() -> None:
    """Spot checks that a row carries the schema's default, required-ness and bounds."""
    reference = _section(DOC.read_text(), "Reference")
    assert "| `services.<name>.apps.<name>.health_check_path` | string | `/` |" in reference
    assert "| `hubs.<name>.nodes.max_size` | integer 1-450 | `4` |" in reference
    assert "| `name` | string | required |" in reference
    assert (
        "| `state` | [LocalState](#localstate) or [S3State](#s3state), chosen by `backend` | `{backend: local}` |"
        in (reference)
    )


def _notes() -> dict[tuple[str, str], str]:
    """The Field notes of docs/fleet-file.md by (model path, field): the hand-written words."""
    heads = {
        "Top level": "",
        "`hubs.<name>` and `services.<svc>.targets.<name>`": "hubs.<name>",
        "`nodes` (of a hub or a target)": "hubs.<name>.nodes",
    }
    notes: dict[tuple[str, str], str] = {}
    path = ""
    for line in _section(DOC.read_text(), "Field notes").splitlines():
        if line.startswith("**") and line.endswith("**"):
            head = line.strip("*")
            path = heads.get(head, head.strip("`").replace("<svc>", "<name>"))
        named = re.match(r"- `([a-z_]+)`", line)
        if named:
            notes.setdefault((path, named.group(1)), line)
    return notes


def _row(path: str, field: str) -> str:
    full = f"{path}.{field}".lstrip(".")
    rows = [r for r in _section(DOC.read_text(), "Reference").splitlines() if r.startswith(f"| `{full}` |")]
    return rows[0] if rows else ""


def test_the_doc_states_the_models_limits() -> None:
    """The limits that live in validators, not in the schema: each number in the field's generated
    description or, until the descriptions reach the schema, in its field note."""
    from fleet.model import limits

    lo, hi = limits.SERVICE_CIDR_PREFIXES
    expected = {
        ("", "services"): [f"1 to {limits.MAX_SERVICES} services", f"At most {limits.MAX_CLUSTERS} generations"],
        ("", "tags"): [f"at most {limits.MAX_FLEET_TAGS}", *(f"`{k.split('/')[0]}" for k in limits.BUILTIN_TAG_KEYS)],
        ("", "service_cidr"): [f"`/{lo}` to `/{hi}`", *(f"`{r}`" for r in limits.SERVICE_CIDR_RANGES)],
        ("services.<name>", "targets"): [f"1 to {limits.MAX_TARGETS_PER_SERVICE}"],
        ("hubs.<name>", "public_access_cidrs"): [f"at most {limits.MAX_PUBLIC_ACCESS_CIDRS} IPv4 CIDRs"],
        ("services.<name>.traffic", "allowed_cidrs"): [f"at most {limits.MAX_ALLOWED_CIDRS} IPv4 CIDRs"],
        ("services.<name>.traffic", "operator_cidrs"): [f"at most {limits.MAX_OPERATOR_CIDRS} IPv4 CIDRs"],
        ("services.<name>.apps.<name>", "health_check_path"): [f"at most {limits.MAX_HEALTH_CHECK_PATH} characters"],
        ("services.<name>.apps.<name>", "namespace"): [f"`{n}`" for n in limits.RESERVED_NAMESPACES],
        ("services.<name>.apps.<name>", "container_port"): [f"not {' or '.join(map(str, limits.CLUSTER_SG_PORTS))}"],
        ("services.<name>.apps.<name>", "values"): [f"at most {limits.MAX_VALUES_BYTES // 1024} KiB"],
        ("api_access", "cidrs"): [f"at most {limits.MAX_API_RULES} in all"],
    }
    notes = _notes()
    problems = [
        f"{path}.{field}: {phrase!r} neither in its row nor in its note"
        for (path, field), phrases in expected.items()
        for phrase in phrases
        if phrase not in _row(path, field) and phrase not in notes.get((path, field), "")
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "doc", ["README.md", "CONTRIBUTING.md", "docs/fleet-file.md", "docs/runbook.md", "docs/gate.md", "docs/security.md"]
)
def test_every_relative_link_of_a_doc_reaches_a_file(doc: str) -> None:
    text = (ROOT / doc).read_text()
    missing = [
        target
        for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", text)
        if not (ROOT / doc).parent.joinpath(target).exists()
    ]
    assert not missing, missing


def test_the_readme_is_a_front_door() -> None:
    """The README stays short and links every doc by reader."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 300
    for doc in ("docs/fleet-file.md", "docs/runbook.md", "docs/gate.md", "docs/security.md", "CONTRIBUTING.md"):
        assert f"]({doc}" in readme, doc

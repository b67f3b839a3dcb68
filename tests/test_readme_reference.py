"""The README's fleet file reference is held to the model's JSON schema (issue 11, item 3).

Every model the schema reaches from `Fleet` (Network, the state backends, NodeGroup, Service,
App, Traffic, ApiAccess, ClusterResource, ...) has a table in "The fleet file", found by the
bold path above it (`**`services.<svc>.traffic`**`; `<...>` is any name, `[]` any list item, and
a heading may name the tail of a path, as `nodes` does); every field has a row there, every row
is a field, and each row's default, bounds and choices are the schema's.

Defaults are written as the README writes them: `none` for null (a prose default may follow:
`none: the app's name`), a value in backticks as YAML flow (`` `[m6i.large]` ``,
`` `{backend: local}` ``), `` `{}` `` for a mapping whose fields all keep their own defaults, and
`required` (maybe followed by when) for a field without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from conftest import ROOT
from fleet.spec import Fleet

README = (ROOT / "README.md").read_text()
SCHEMA = Fleet.model_json_schema()
DEFS = SCHEMA["$defs"]
NAME = "<>"
"""Any key of a mapping of names (`hubs.<name>`)."""


@dataclass(frozen=True)
class Row:
    field: str
    qualifier: str  # `phase` (hubs): hubs
    type: str
    default: str
    line: str


@dataclass(frozen=True)
class Table:
    heading: str
    paths: tuple[str, ...]  # the schema paths the heading names ("" is the top level)
    rows: tuple[Row, ...]


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _normal(path: str) -> str:
    return re.sub(r"<[^>]*>", NAME, path)


def readme_tables(text: str = README) -> list[Table]:
    """The field tables of "The fleet file", each with the paths of its bold heading."""
    tables: list[Table] = []
    heading = ""
    lines = _section(text, "The fleet file").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("**"):
            heading = line
        if line.strip() == "| field | type | default | meaning |":
            rows = []
            i += 2  # the header's |---| line
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split(" | ")]
                named = re.fullmatch(r"`([a-z_]+)`(?: \(([^)]*)\))?", cells[0])
                assert named and len(cells) == 4, f"README: a row that names no field: {lines[i]}"
                rows.append(Row(named.group(1), named.group(2) or "", cells[1], cells[2], lines[i]))
                i += 1
            spans = re.findall(r"\*\*`([^`]+)`\*\*", heading)
            paths = tuple(_normal(s) for s in spans) if spans else ("",)
            tables.append(Table(heading, paths, tuple(rows)))
            continue
        i += 1
    return tables


def _refs(prop: dict[str, Any], suffix: str = "") -> list[tuple[str, str]]:
    """(path suffix, model name) of every model a property holds: `` for the model itself,
    `.<>` for a mapping's values, `[]` for a list's items."""
    found: list[tuple[str, str]] = []
    if "$ref" in prop:
        found.append((suffix, prop["$ref"].rsplit("/", 1)[1]))
    for option in prop.get("anyOf", []) + prop.get("oneOf", []):
        found += _refs(option, suffix)
    if isinstance(prop.get("additionalProperties"), dict):
        found += _refs(prop["additionalProperties"], f"{suffix}.{NAME}")
    if isinstance(prop.get("items"), dict):
        found += _refs(prop["items"], f"{suffix}[]")
    return found


def schema_models() -> list[tuple[str, str, dict[str, Any]]]:
    """(path, model name, model schema) of `Fleet` and of every model under it, by path."""
    out = [("", "Fleet", SCHEMA)]
    todo = [("", SCHEMA)]
    while todo:
        path, model = todo.pop(0)
        for field, prop in model.get("properties", {}).items():
            for suffix, name in _refs(prop):
                sub = DEFS[name]
                if "properties" not in sub:  # JsonValue: Helm values are free-form
                    continue
                child = f"{path}.{field}{suffix}".lstrip(".")
                out.append((child, name, sub))
                todo.append((child, sub))
    return out


def table_for(path: str, tables: list[Table]) -> Table:
    """The table whose heading names `path`, or failing that its tail (`nodes`)."""
    exact = [t for t in tables if path in t.paths]
    tails = [t for t in tables if any(p and path.endswith(f".{p}") for p in t.paths)]
    found = exact or tails
    assert len(found) == 1, f"README: {len(found)} tables for {path or 'the top level'}: {[t.heading for t in found]}"
    return found[0]


def applies(row: Row, path: str) -> bool:
    """A qualified row (`phase` (hubs), `weight` (targets only)) is about the models under that key."""
    return not row.qualifier or row.qualifier.split()[0] in path.replace("[]", "").split(".")


def _flow(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    return str(value)


def _own_defaults(prop: dict[str, Any]) -> list[dict[str, Any]]:
    """What a model-typed field's model is with nothing set (for each model it may be)."""
    out = []
    for _, name in _refs(prop):
        model = DEFS[name]
        if "properties" in model and not model.get("required"):
            out.append({k: p["default"] for k, p in model["properties"].items()})
    return out


def rendered(value: Any, prop: dict[str, Any]) -> set[str]:
    """The ways the README may write the default `value`."""
    if value is None:
        return {"none"}
    forms = {f"`{_flow(value)}`"}
    if isinstance(value, dict) and value in _own_defaults(prop):
        forms.add("`{}`")
    return forms


def _starts_with(cell: str, form: str) -> bool:
    return cell == form or cell.startswith((f"{form}: ", f"{form}; ", f"{form}, "))


def _choices(prop: dict[str, Any]) -> list[str]:
    options = [prop, *prop.get("anyOf", [])]
    return [str(v) for o in options for v in o.get("enum", []) + ([o["const"]] if "const" in o else [])]


def _bounds(prop: dict[str, Any]) -> str | None:
    for option in [prop, *prop.get("anyOf", [])]:
        if "minimum" in option and "maximum" in option:
            return f"{option['minimum']}-{option['maximum']}"
    return None


TABLES = readme_tables()
MODELS = schema_models()
GROUPS: dict[str, list[tuple[str, dict[str, Any]]]] = {}
for _path, _name, _model in MODELS:
    GROUPS.setdefault(_path, []).append((_name, _model))
"""Path -> the models there (a union, such as `state`, has several)."""


def test_the_reference_has_tables_and_the_schema_has_models() -> None:
    assert len(TABLES) >= 12, [t.heading for t in TABLES]
    assert {"Network", "NodeGroup", "Hub", "Target", "Service", "App", "Traffic", "ApiAccess"} <= {
        n for _, n, _ in MODELS
    }
    assert {"LocalState", "S3State", "ClusterResource", "ArgoCd", "LoadBalancerController"} <= {n for _, n, _ in MODELS}


def field_problems(path: str, tables: list[Table]) -> list[str]:
    """What the README's table for `path` gets wrong about the schema's fields there."""
    table = table_for(path, tables)
    fields = sorted({f for _, model in GROUPS[path] for f in model["properties"]})
    problems = []
    for field in fields:
        at = f"{path}.{field}".lstrip(".")
        rows = [r for r in table.rows if r.field == field and applies(r, path)]
        if len(rows) != 1:
            problems.append(f"{at}: {len(rows)} rows in the README table {table.heading!r}")
            continue
        row = rows[0]
        props = [m["properties"][field] for _, m in GROUPS[path] if field in m["properties"]]
        defaults = [(prop["default"], prop) for prop in props if "default" in prop]
        if defaults:
            forms = set().union(*(rendered(value, prop) for value, prop in defaults))
            if not any(_starts_with(row.default, f) for f in forms):
                problems.append(f"{at}: default {row.default!r}, the schema's is {' or '.join(sorted(forms))}")
        elif not row.default.startswith("required"):
            problems.append(f"{at}: required in the schema, the README's default is {row.default!r}")
        for prop in props:
            missing = [c for c in _choices(prop) if f"`{c}`" not in row.type]
            if missing:
                problems.append(f"{at}: the type column lacks {missing}")
            bounds = _bounds(prop)
            if bounds and bounds not in row.type:
                problems.append(f"{at}: the type column lacks the bounds {bounds}")
    return problems


@pytest.mark.parametrize("path", sorted(GROUPS), ids=lambda p: p or "top level")
def test_every_field_has_a_readme_row_with_the_schemas_default(path: str) -> None:
    problems = field_problems(path, TABLES)
    assert not problems, "\n".join(problems)


def test_every_readme_row_is_a_field_of_its_table() -> None:
    problems = []
    for table in TABLES:
        paths = [p for p in GROUPS if table_for(p, TABLES) is table]
        if not paths:
            problems.append(f"{table.heading!r}: a table of no model in the schema")
        for row in table.rows:
            if not any(applies(row, p) and any(row.field in m["properties"] for _, m in GROUPS[p]) for p in paths):
                problems.append(f"{table.heading!r}: {row.line} is no field of {paths}")
    assert not problems, "\n".join(problems)


def _edited(path: str, field: str, **changes: str) -> list[Table]:
    """The README's tables with one row of `path`'s table changed (or, with no changes, gone)."""
    table = table_for(path, TABLES)
    rows = tuple(
        Row(**{**r.__dict__, **changes}) if r.field == field and changes else r
        for r in table.rows
        if r.field != field or changes
    )
    return [Table(t.heading, t.paths, rows) if t is table else t for t in TABLES]


def test_a_field_without_a_readme_row_fails() -> None:
    """The check itself: a field the README lost, a default or a bound it got wrong are caught."""
    assert field_problems("services.<>.traffic", _edited("services.<>.traffic", "waf_acl_arn")) == [
        "services.<>.traffic.waf_acl_arn: 0 rows in the README table '**`services.<svc>.traffic`**'"
    ]
    wrong = field_problems(
        "services.<>.apps.<>", _edited("services.<>.apps.<>", "health_check_path", default="`/healthz`")
    )
    assert wrong == ["services.<>.apps.<>.health_check_path: default '`/healthz`', the schema's is `/`"]
    bounds = field_problems("hubs.<>.nodes", _edited("hubs.<>.nodes", "max_size", type="integer"))
    assert bounds == ["hubs.<>.nodes.max_size: the type column lacks the bounds 1-450"]


def _row(path: str, field: str) -> Row:
    return next(r for r in table_for(path, TABLES).rows if r.field == field and applies(r, path))


def test_the_readme_states_the_models_limits() -> None:
    """The limits that live in validators, not in the schema: each number where its row says it."""
    from fleet.spec import limits as model

    lo, hi = model.SERVICE_CIDR_PREFIXES
    expected = {
        ("", "services"): [f"1 to {model.MAX_SERVICES} services", f"At most {model.MAX_CLUSTERS} generations"],
        ("", "tags"): [f"at most {model.MAX_FLEET_TAGS}", *(f"`{k.split('/')[0]}" for k in model.BUILTIN_TAG_KEYS)],
        ("", "service_cidr"): [f"`/{lo}` to `/{hi}`", *(f"`{r}`" for r in model.SERVICE_CIDR_RANGES)],
        ("services.<>", "targets"): [f"1 to {model.MAX_TARGETS_PER_SERVICE}"],
        ("hubs.<>", "public_access_cidrs"): [f"at most {model.MAX_PUBLIC_ACCESS_CIDRS} IPv4 CIDRs"],
        ("services.<>.traffic", "allowed_cidrs"): [f"at most {model.MAX_ALLOWED_CIDRS} IPv4 CIDRs"],
        ("services.<>.traffic", "operator_cidrs"): [f"at most {model.MAX_OPERATOR_CIDRS} IPv4 CIDRs"],
        ("services.<>.apps.<>", "health_check_path"): [f"at most {model.MAX_HEALTH_CHECK_PATH} characters"],
        ("services.<>.apps.<>", "namespace"): [f"`{n}`" for n in model.RESERVED_NAMESPACES],
        ("services.<>.apps.<>", "container_port"): [f"not {' or '.join(map(str, model.CLUSTER_SG_PORTS))}"],
        ("services.<>.apps.<>", "values"): [f"at most {model.MAX_VALUES_BYTES // 1024} KiB"],
        ("api_access", "cidrs"): [f"at most {model.MAX_API_RULES} in all"],
    }
    problems = [
        f"{path}.{field}: {phrase!r} not in {row.line}"
        for (path, field), phrases in expected.items()
        for row in [_row(path, field)]
        for phrase in phrases
        if phrase not in row.line
    ]
    assert not problems, "\n".join(problems)

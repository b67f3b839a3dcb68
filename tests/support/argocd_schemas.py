"""ArgoCD's CRD schemas (Application, ApplicationSet, AppProject) for strict validation in tests.

Two sources, tried in order:

1. ../shared/schemas/argocd/<kind>-crd.yaml: argoproj/argo-cd's CRDs, the openAPIV3Schema of the
   served version v1alpha1 (only beside the steering repo, not in a user's clone).
2. npm's @kubernetes-models/argo-cd (pinned in package.json, installed by `make deps`), generated from
   argo-cd's v1alpha1 Go types. It ships no schema as data, only ajv "standalone" validators
   (compiled JavaScript). `recover_schema` runs such a validator under node on probe documents and
   reads the schema back off it: which property names it looks up on an object (its declared
   properties), which `type`/`enum`/`required` errors it reports, whether it walks arrays and maps.

Either way the schema is OpenAPI v3 in the Kubernetes flavour; `strict` turns it into a JSON Schema
that rejects every field the schema does not declare (the API server would prune those silently).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from support.paths import ROOT, SHARED_SCHEMAS

SHARED_ARGOCD = SHARED_SCHEMAS / "argocd"
NPM_PACKAGE = ROOT / "node_modules" / "@kubernetes-models" / "argo-cd"
KINDS = ("Application", "ApplicationSet", "AppProject")
VERSION = "v1alpha1"

# The package's generator drops every property literally named `description` from the validators
# (the .d.ts files keep it): all three are in AppProject. Put them back, or a project's description
# would count as undeclared.
NPM_DROPPED_STRINGS: dict[str, list[tuple[str, ...]]] = {
    "AppProject": [
        ("spec", "description"),
        ("spec", "roles", "[]", "description"),
        ("spec", "syncWindows", "[]", "description"),
    ],
}


def crd_schema(kind: str) -> tuple[dict[str, Any], str] | None:
    """The OpenAPI v3 schema of ArgoCD's `kind` (v1alpha1) and where it came from; None without a source."""
    if kind not in KINDS:
        raise ValueError(f"{kind!r} is not one of {KINDS}")
    found = _shared_schema(kind) or _npm_schema(kind)
    if found is None:
        return None
    schema, source = found
    return json.loads(json.dumps(schema)), source  # a copy: callers may edit it


def missing_reason(kind: str) -> str:
    return (
        f"no schema for ArgoCD's {kind}: neither {SHARED_ARGOCD / (kind.lower() + '-crd.yaml')} (../shared) "
        f"nor {NPM_PACKAGE} with node on PATH (`make deps` installs it)"
    )


def strict(schema: Any) -> Any:
    """OpenAPI v3 (Kubernetes flavour) to a JSON Schema that rejects undeclared fields."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        if not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    return out


@functools.cache
def _shared_schema(kind: str) -> tuple[dict[str, Any], str] | None:
    path = SHARED_ARGOCD / f"{kind.lower()}-crd.yaml"
    if not path.exists():
        return None
    import yaml

    crd = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe, on libyaml
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == VERSION and v.get("served", True)]
    return version["schema"]["openAPIV3Schema"], str(path)


@functools.cache
def _npm_schema(kind: str) -> tuple[dict[str, Any], str] | None:
    node = shutil.which("node")
    modules = sorted((NPM_PACKAGE / "_schemas").glob(f"*V1alpha1{kind}.js"))
    if node is None or len(modules) != 1:
        return None
    schema = recover_schema(modules[0], node)
    for path in NPM_DROPPED_STRINGS.get(kind, []):
        *parents, name = path
        node_schema = schema
        for step in parents:
            node_schema = node_schema["items"] if step == "[]" else node_schema["properties"][step]
        node_schema["properties"].setdefault(name, {"type": "string"})
    version = json.loads((NPM_PACKAGE / "package.json").read_text())["version"]
    return schema, f"npm @kubernetes-models/argo-cd@{version} ({modules[0].relative_to(ROOT)})"


def recover_schema(module: Path, node: str = "node") -> dict[str, Any]:
    """The schema an ajv standalone validator (an ES or CommonJS module exporting `validate`) checks."""
    script = f"const MODULE = {json.dumps(module.resolve().as_uri())};\n{_PROBE_JS}"
    done = subprocess.run(
        [node, "--input-type=module", "-"], input=script, capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"recovering the schema of {module} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


# Every node of the probe document starts as an empty object behind a Proxy. One validator run
# tells, per node: a `type` error means a leaf (or an array: then probe one item); otherwise the
# names the validator looked up are the object's declared properties (probe each), `required`
# errors name its required ones, and enumerating its keys without looking any up means a map
# (probe one value). A leaf is then run once with a sample value for its `enum`; a node that is
# none of these is open: an object (a string gets a type error) or anything. ajv runs with
# allErrors, so all nodes of one depth are probed by the same run.
_PROBE_JS = r"""
const mod = await import(MODULE);
const validate = mod.validate ?? mod.default?.validate;
if (typeof validate !== "function") throw new Error(`${MODULE} exports no validate function`);
const KEY = "probe-key";
const SAMPLE = { string: "\u0000probe", integer: 0, number: 0.5, boolean: true };
const node = () => ({ state: "new", children: new Map(), required: [], reads: new Set(), enumerated: false });
const root = node();
let byPath;
function build(n, path) {
  byPath.set(path, n);
  n.reads = new Set();
  n.enumerated = false;
  if (n.state === "array") return [build(n.item, path + "/0")];
  if (n.state === "leaf" || n.state === "open?") return n.sample;
  if (n.state === "open" || n.state === "any") return null;
  const target = {};
  if (n.state === "object") for (const [k, c] of n.children) target[k] = build(c, path + "/" + k.replace(/~/g, "~0").replace(/\//g, "~1"));
  if (n.state === "map?" || n.state === "map") target[KEY] = build(n.value, path + "/" + KEY);
  return new Proxy(target, {
    get(t, k, r) { if (typeof k === "string") n.reads.add(k); return Reflect.get(t, k, r); },
    ownKeys(t) { n.enumerated = true; return Reflect.ownKeys(t); },
  });
}
let settled = false;
for (let round = 0; round < 500 && !settled; round++) {
  byPath = new Map();
  validate(build(root, ""));
  const errors = new Map();
  for (const e of validate.errors ?? []) {
    if (!errors.has(e.instancePath)) errors.set(e.instancePath, []);
    errors.get(e.instancePath).push(e);
  }
  settled = true;
  for (const [path, n] of byPath) {
    const es = errors.get(path) ?? [];
    const types = [...new Set(es.filter((e) => e.keyword === "type").flatMap((e) => String(e.params.type).split(",")))];
    if (n.state === "new") {
      settled = false;
      n.required = es.filter((e) => e.keyword === "required").map((e) => e.params.missingProperty);
      if (types.length && !types.includes("object")) {
        n.types = types;
        if (types.includes("array")) { n.state = "array"; n.item = node(); }
        else { n.state = "leaf"; n.sample = SAMPLE[types.find((t) => t in SAMPLE)] ?? null; n.probed = false; }
      } else if (n.reads.size) {
        n.state = "object";
        for (const k of n.reads) n.children.set(k, node());
      } else if (n.enumerated) { n.state = "map?"; n.value = node(); }
      else { n.state = "open?"; n.sample = SAMPLE.string; }
    } else if (n.state === "leaf" && !n.probed) {
      settled = false;
      n.probed = true;
      const en = es.find((e) => e.keyword === "enum");
      if (en) n.enum = en.params.allowedValues;
    } else if (n.state === "map?") {
      settled = false;
      if (n.reads.has(KEY)) n.state = "map";
      else { n.state = "open?"; n.sample = SAMPLE.string; n.value = null; }
    } else if (n.state === "open?") {
      settled = false;
      n.state = types.includes("object") ? "open" : "any";
    }
  }
}
if (!settled) throw new Error("the validator's schema did not settle (a recursive type?)");
function schema(n) {
  switch (n.state) {
    case "object": {
      const s = { type: "object", properties: Object.fromEntries([...n.children].map(([k, c]) => [k, schema(c)])) };
      if (n.required.length) s.required = n.required;
      return s;
    }
    case "map": return { type: "object", additionalProperties: schema(n.value) };
    case "array": return { type: "array", items: schema(n.item) };
    case "leaf": {
      const types = n.types.filter((t) => t !== "null");
      const s = types.length === 1 ? { type: types[0] } : { anyOf: types.map((t) => ({ type: t })) };
      if (n.types.includes("null")) s.nullable = true;
      if (n.enum) s.enum = n.enum;
      return s;
    }
    case "open": return { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    default: return {};
  }
}
process.stdout.write(JSON.stringify(schema(root)));
"""

"""What a PR's synthesized stack may hand `terraform init` and `terraform plan` in the PR gate.

The plan jobs of `.github/workflows/pr.yml` run no PR code, but the stack they plan was written by
it (the `synth-head` job synthesizes the PR with the PR's code and uploads `cdktf.out`). Terraform
itself runs programs, fetches code and reads the runner's files for some of what a configuration
may say, at init and at plan, with the job's plan role in its environment:

- a provider from another source (its binary runs), or from a mirror in the stack's own directory
  (`terraform.d/plugins/`, `.terraform/`); another `*.tf` file beside `cdk.tf.json`;
- a kubernetes or helm provider's `exec` block (a program run for a token);
- a data source `external` (a program), `http` (a fetch), `local_file` (the runner's files),
  `terraform_remote_state` (another state, through a backend of its own);
- a `provisioner` (`local-exec` at apply), a `module` (downloaded and run unchecked), a backend
  that sends state or signed requests elsewhere;
- a function that reads the runner's files: `file("/proc/self/environ")` holds the role's
  credentials, and a plan prints what it reads, into the PR comment;
- a Helm release from another repository or with a `postrender` program.

So, before any of that, the base branch's copy of this module accepts only what the project's
own synth writes: the tables of fleet/gate/synth_tables.py are the union over every example's synthesized stacks
(`tests/test_plan_inputs.py` keeps them equal; regenerate them from its failure message), the
provider `exec` blocks are exactly the `aws eks get-token` of stacks/generation.py for the stack's
own cluster, and nothing else may sit in the stack's directory but `cdk.tf.json` and `assets/`.

    python -m fleet.gate.plan_inputs cdktf.out/stacks/<stack> [...]   # or a cdktf.out directory

prints one line per refusal (`<stack>: <JSON path>: <why>`) and exits 2; `<stack>: accepted` and
exit 0 when nothing is refused. Nothing here imports cdktf, nor anything of fleet/ops.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fleet.gate.expressions import calls, strings_in
from fleet.gate.sources import STACK_ID
from fleet.gate.synth_tables import (
    BACKENDS,
    DATA_SOURCES,
    FUNCTIONS,
    HELM_KUBERNETES_ARGUMENTS,
    HELM_REPOSITORIES,
    PROVIDER_ARGUMENTS,
    PROVIDERS,
    REQUIRED_PROVIDER_SETTINGS,
    RESOURCE_ARGUMENTS,
    RESOURCE_TYPES,
    TERRAFORM_SETTINGS,
    TOP_LEVEL,
)
from fleet.text import printable, shorten

# --- the shapes of stacks/generation.py's kubernetes and helm providers -------------------------

EXEC = {"api_version": "client.authentication.k8s.io/v1beta1", "command": "aws"}
"""A provider `exec` block runs `command` at plan time for a token: only `aws eks get-token
--cluster-name <this stack's cluster> --region <this stack's region>`, with no `env`."""
_CLUSTER = r"aws_eks_cluster\.([A-Za-z0-9_-]+)"
HOST = re.compile(rf"\$\{{{_CLUSTER}\.endpoint\}}")
CLUSTER_NAME = re.compile(rf"\$\{{{_CLUSTER}\.name\}}")
CLUSTER_CA = re.compile(rf"\$\{{base64decode\({_CLUSTER}\.certificate_authority\[0\]\.data\)\}}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
ASSET_CHART = re.compile(r"assets/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")
CHART_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")

WHY_NOT = {
    "external": "runs a program at plan time",
    "http": "fetches a URL at plan time",
    "local": "reads or writes the runner's files",
    "null": "exists to carry provisioners",
    "terraform_remote_state": "reads another state through a backend of its own",
    "module": "downloads and runs a configuration this check never sees",
}
OTHER_FILES = "the stack's directory holds only cdk.tf.json and assets/ (terraform reads every *.tf, .terraform/ and terraform.d/ there)"


class Refusals:
    def __init__(self, stack: str) -> None:
        self.stack = stack
        self.lines: list[str] = []

    def add(self, path: str, why: str) -> None:
        self.lines.append(printable(f"{self.stack}: {shorten(path, 200)}: {why}"))


def _q(value: Any) -> str:
    """A value from the PR's JSON as a refusal quotes it: its repr, cut short."""
    return shorten(repr(value), 100)


def _blocks(value: Any) -> list[Any]:
    """A block given once (an object) or several times (a list of objects), as a list."""
    return value if isinstance(value, list) else [value]


def _each(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Each block of `value` (an object, or a list of them) with its JSON path."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield f"{path}[{index}]", item
    else:
        yield path, value


def _normal_source(source: str) -> str:
    """A provider source address in full: `aws` and `hashicorp/aws` are registry.terraform.io/hashicorp/aws."""
    parts = source.lower().split("/")
    if len(parts) == 1:
        parts = ["hashicorp", *parts]
    if len(parts) == 2:
        parts = ["registry.terraform.io", *parts]
    return "/".join(parts)


def _why_type(kind: str, rtype: str, table: str) -> str:
    prefix = rtype if rtype in WHY_NOT else rtype.split("_")[0]
    reason = f" ({WHY_NOT[prefix]})" if prefix in WHY_NOT else ""
    return f"{kind} type {_q(rtype)} is not one the project synthesizes{reason}; fleet/gate/synth_tables.py {table}"


# --- the checks ---------------------------------------------------------------------------------


def check_config(stack: str, config: Any) -> list[str]:
    """One refusal line per thing in a stack's cdk.tf.json that the project's synth never writes."""
    out = Refusals(stack)
    if not isinstance(config, dict):
        out.add("(top)", "not a JSON object")
        return out.lines
    for key in config:
        if key not in TOP_LEVEL:
            why = f" ({WHY_NOT[key]})" if key in WHY_NOT else ""
            out.add(key, f"a top-level {_q(key)} block is not one the project synthesizes{why}")
    _terraform(config.get("terraform", {}), out)
    _providers(config, out)
    _resources(config.get("resource", {}), out)
    _data(config.get("data", {}), out)
    for path, text in strings_in(config, ""):
        for name in calls(text):
            if name not in FUNCTIONS:
                what = "a heredoc in an expression" if name == "<<" else f"function {name}()"
                out.add(
                    path.lstrip("."), f"{what} is not one the project synthesizes (allowed: {', '.join(FUNCTIONS)})"
                )
    return out.lines


def _mapping(value: Any, path: str, out: Refusals) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    out.add(path, "not a JSON object")
    return {}


def _terraform(value: Any, out: Refusals) -> None:
    settings = _mapping(value, "terraform", out)
    for key in settings:
        if key not in TERRAFORM_SETTINGS:
            out.add(f"terraform.{key}", f"terraform setting {_q(key)} is not one the project synthesizes")
    backends = _mapping(settings.get("backend", {}), "terraform.backend", out)
    if len(backends) != 1:
        out.add("terraform.backend", f"one backend expected, found {len(backends)}")
    for name, body in backends.items():
        if name not in BACKENDS:
            out.add(f"terraform.backend.{name}", f"backend {_q(name)}: only {' or '.join(BACKENDS)}")
            continue
        for key in _mapping(body, f"terraform.backend.{name}", out):
            if key not in BACKENDS[name]:
                out.add(
                    f"terraform.backend.{name}.{key}", f"backend setting {_q(key)} is not one the project synthesizes"
                )
    required = _mapping(settings.get("required_providers", {}), "terraform.required_providers", out)
    for name, spec in required.items():
        path = f"terraform.required_providers.{name}"
        if name not in PROVIDERS:
            out.add(path, f"provider {_q(name)} is not one the project uses ({', '.join(PROVIDERS)})")
            continue
        spec = _mapping(spec, path, out)
        for key in spec:
            if key not in REQUIRED_PROVIDER_SETTINGS:
                out.add(f"{path}.{key}", f"provider requirement {_q(key)} is not one the project synthesizes")
        source = spec.get("source")
        if not isinstance(source, str) or _normal_source(source) != PROVIDERS[name]:
            out.add(f"{path}.source", f"source {_q(source)}: only {PROVIDERS[name]}")


def _providers(config: dict[str, Any], out: Refusals) -> None:
    providers = _mapping(config.get("provider", {}), "provider", out)
    regions = {body.get("region") for body in _blocks(providers.get("aws", [])) if isinstance(body, dict)} - {None}
    clusters = set(_mapping(config.get("resource", {}), "resource", out).get("aws_eks_cluster", {}) or {})
    for name, bodies in providers.items():
        if name not in PROVIDER_ARGUMENTS:
            out.add(f"provider.{name}", f"provider {_q(name)} is not one the project uses ({', '.join(PROVIDERS)})")
            continue
        for path, body in _each(bodies, f"provider.{name}"):
            body = _mapping(body, path, out)
            for key in body:
                if key not in PROVIDER_ARGUMENTS[name]:
                    out.add(f"{path}.{key}", f"{name} provider setting {_q(key)} is not one the project synthesizes")
            if name == "kubernetes":
                _cluster_access(body, path, regions, clusters, out)
            elif name == "helm":
                for k_path, kube in _each(body.get("kubernetes", []), f"{path}.kubernetes"):
                    kube = _mapping(kube, k_path, out)
                    for key in kube:
                        if key not in HELM_KUBERNETES_ARGUMENTS:
                            out.add(
                                f"{k_path}.{key}",
                                f"helm provider kubernetes setting {_q(key)} is not one the project synthesizes",
                            )
                    _cluster_access(kube, k_path, regions, clusters, out)


def _cluster_access(body: dict[str, Any], path: str, regions: set[Any], clusters: set[str], out: Refusals) -> None:
    """host, CA and exec of stacks/generation.py: this stack's own EKS cluster, `aws eks get-token`."""
    host = body.get("host")
    match = HOST.fullmatch(host) if isinstance(host, str) else None
    cluster = match.group(1) if match else None
    if cluster is None or cluster not in clusters:
        out.add(f"{path}.host", f"{_q(host)} is not the endpoint of an aws_eks_cluster of this stack")
    ca = body.get("cluster_ca_certificate")
    ca_match = CLUSTER_CA.fullmatch(ca) if isinstance(ca, str) else None
    if not ca_match or ca_match.group(1) != cluster:
        out.add(f"{path}.cluster_ca_certificate", f"{_q(ca)} is not the CA of the cluster the host names")
    execs = _blocks(body.get("exec", []))
    if len(execs) != 1:
        out.add(f"{path}.exec", f"one exec block expected (aws eks get-token), found {len(execs)}")
    for e_path, block in _each(body.get("exec", []), f"{path}.exec"):
        block = _mapping(block, e_path, out)
        if set(block) != {*EXEC, "args"}:
            out.add(e_path, f"exec settings {_q(sorted(block))}: only {sorted({*EXEC, 'args'})} (no env)")
        for key, expected in EXEC.items():
            if block.get(key) != expected:
                out.add(f"{e_path}.{key}", f"{_q(block.get(key))}: only {expected!r} (exec runs it at plan time)")
        args = block.get("args")
        ok = (
            isinstance(args, list)
            and len(args) == 6
            and all(isinstance(a, str) for a in args)
            and args[:3] == ["eks", "get-token", "--cluster-name"]
            and args[4] == "--region"
            and (name_match := CLUSTER_NAME.fullmatch(args[3])) is not None
            and name_match.group(1) == cluster
            and REGION.fullmatch(args[5]) is not None
            and args[5] in regions
        )
        if not ok:
            out.add(
                f"{e_path}.args",
                f"{_q(args)}: only eks get-token --cluster-name <this stack's cluster> --region <its aws provider's region>",
            )


def _typed_blocks(
    value: Any, section: str, kind: str, known: tuple[str, ...], table: str, out: Refusals
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Each block of the `resource` or `data` section whose type is in `known` (the synth_tables
    entry named `table`), as (type, JSON path, block); a type not in it is refused as a `kind`."""
    for btype, named in _mapping(value, section, out).items():
        if btype not in known:
            out.add(f"{section}.{btype}", _why_type(kind, btype, table))
            continue
        for name, body in _mapping(named, f"{section}.{btype}", out).items():
            for at, block in _each(body, f"{section}.{btype}.{name}"):
                yield btype, at, _mapping(block, at, out)


def _resources(value: Any, out: Refusals) -> None:
    for rtype, at, block in _typed_blocks(value, "resource", "resource", RESOURCE_TYPES, "RESOURCE_TYPES", out):
        for key in ("provisioner", "connection"):
            if key in block:
                out.add(
                    f"{at}.{key}", f"a {key} (local-exec, remote-exec, file) runs at apply; the project writes none"
                )
        allowed = RESOURCE_ARGUMENTS.get(rtype)
        for key in block if allowed is not None else ():
            if key not in (allowed or ()) and key not in ("provisioner", "connection"):
                out.add(f"{at}.{key}", f"{rtype} argument {_q(key)} is not one the project synthesizes")
        if rtype == "helm_release":
            _helm_release(block, at, out)


def _helm_release(block: dict[str, Any], path: str, out: Refusals) -> None:
    repository, chart = block.get("repository"), block.get("chart")
    if repository is None:
        if not (isinstance(chart, str) and ASSET_CHART.fullmatch(chart) and ".." not in chart.split("/")):
            out.add(
                f"{path}.chart", f"{_q(chart)}: a chart without a repository is a directory under assets/ of this stack"
            )
    elif repository not in HELM_REPOSITORIES:
        out.add(f"{path}.repository", f"{_q(repository)}: only {', '.join(HELM_REPOSITORIES)}")
    elif not (isinstance(chart, str) and CHART_NAME.fullmatch(chart)):
        out.add(f"{path}.chart", f"{_q(chart)}: a chart of a repository is named by a plain name")


def _data(value: Any, out: Refusals) -> None:
    for _, at, block in _typed_blocks(value, "data", "data source", DATA_SOURCES, "DATA_SOURCES", out):
        for key in ("provisioner", "connection"):
            if key in block:
                out.add(f"{at}.{key}", f"a {key} in a data source is not one the project writes")


def check_files(stack_dir: Path) -> list[str]:
    """One refusal line per entry of the stack's directory other than cdk.tf.json and assets/, and
    per symbolic link or special file anywhere in it."""
    out = Refusals(stack_dir.name)
    for entry in sorted(stack_dir.iterdir()):
        if entry.name == "cdk.tf.json" and entry.is_file() and not entry.is_symlink():
            continue
        if entry.name == "assets" and entry.is_dir() and not entry.is_symlink():
            for inner in sorted(entry.rglob("*")):
                if inner.is_symlink() or not (inner.is_file() or inner.is_dir()):
                    out.add(inner.relative_to(stack_dir).as_posix(), "a link or special file in assets/")
            continue
        out.add(entry.name, OTHER_FILES)
    return out.lines


def check_stack(stack_dir: Path) -> list[str]:
    """Every refusal for one synthesized stack directory (`cdktf.out/stacks/<stack>`)."""
    stack = stack_dir.name
    if not STACK_ID.fullmatch(stack):
        return [printable(f"{shorten(stack, 80)}: not a stack id ({STACK_ID.pattern})")]
    if stack_dir.is_symlink() or not stack_dir.is_dir():
        return [f"{stack}: {stack_dir}: no such stack directory"]
    lines = check_files(stack_dir)
    config_file = stack_dir / "cdk.tf.json"
    if not config_file.is_file():
        return [*lines, f"{stack}: cdk.tf.json: missing"]
    try:
        config = json.loads(config_file.read_text())
    except (OSError, ValueError, RecursionError) as err:
        return [*lines, f"{stack}: cdk.tf.json: not readable JSON ({printable(shorten(str(err), 120))})"]
    return [*lines, *check_config(stack, config)]


def stack_dirs(path: Path) -> list[Path]:
    """A stack directory as given, or every stack of a cdktf.out directory."""
    if (path / "stacks").is_dir() and not (path / "cdk.tf.json").exists():
        return sorted(p for p in (path / "stacks").iterdir() if not p.name.startswith("."))
    return [path]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or any(a.startswith("-") for a in args):
        print("usage: python -m fleet.gate.plan_inputs STACK_DIR|CDKTF_OUT [...]", file=sys.stderr)
        return 2
    refused = False
    for given in args:
        for stack_dir in stack_dirs(Path(given)):
            lines = check_stack(stack_dir)
            print("\n".join(lines) if lines else f"{stack_dir.name}: accepted")
            refused = refused or bool(lines)
    return 2 if refused else 0


if __name__ == "__main__":
    sys.exit(main())

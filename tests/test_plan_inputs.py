"""fleet/gate/plan_inputs.py: what a PR's synthesized stack may hand terraform in the PR gate's plans.

Its tables are what the project's own synth writes: each equals the union over every example's
synthesized stacks (the s3 backend's settings: over fleets that set `state.backend: s3`), and every
stack of every example is accepted, assets and all. A disallowed block inserted anywhere - a data
source that runs a program, a provisioner in any resource, a module, a provider exec of another
command, a remote state, a filesystem function, a provider from elsewhere, a file beside
cdk.tf.json - is refused, with one line naming the stack and the JSON path (hypothesis draws the
place, the names and the payload).
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleet.gate import plan_inputs
from fleet.gate.plan_inputs import calls, check_config, check_stack
from support.examples import examples
from support.paths import ROOT

EXAMPLES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*.yaml"))
SAMPLED = (
    "examples/steady.yaml",
    "examples/hub-swap-3-destroyed.yaml",
    "examples/target-swap.yaml",
    "examples/target-swap-shift.yaml",
    "examples/two-services.yaml",
)
"""The examples the generated injections draw their stacks from: every stack kind, a destroyed
generation (its terraform_data stop), a shifted service (its variables), two services."""

Config = dict[str, Any]


def stack_dirs(outdir: Path) -> list[Path]:
    return sorted(p for p in (outdir / "stacks").iterdir() if p.is_dir())


def configs(outdir: Path) -> dict[str, Config]:
    return {d.name: json.loads((d / "cdk.tf.json").read_text()) for d in stack_dirs(outdir)}


@pytest.fixture(scope="module")
def every_example(synth) -> dict[str, Path]:
    return {example: synth.outdir(example) for example in EXAMPLES}


@pytest.fixture(scope="module")
def sampled(synth) -> list[tuple[str, Path]]:
    """(stack id, stack directory) of every stack of the SAMPLED examples."""
    return [(d.name, d) for example in SAMPLED for d in stack_dirs(synth.outdir(example))]


# --- the tables are the synth's -----------------------------------------------------------------


def _union(outdirs: list[Path]) -> dict[str, Any]:
    """Every table of plan_inputs as the synthesized stacks of `outdirs` fill it."""
    seen: dict[str, Any] = {
        "TOP_LEVEL": set(),
        "TERRAFORM_SETTINGS": set(),
        "PROVIDERS": {},
        "REQUIRED_PROVIDER_SETTINGS": set(),
        "PROVIDER_ARGUMENTS": {},
        "HELM_KUBERNETES_ARGUMENTS": set(),
        "BACKENDS": {},
        "RESOURCE_TYPES": set(),
        "DATA_SOURCES": set(),
        "RESOURCE_ARGUMENTS": {rtype: set() for rtype in plan_inputs.RESOURCE_ARGUMENTS},
        "HELM_REPOSITORIES": set(),
        "FUNCTIONS": set(),
    }
    for outdir in outdirs:
        for config in configs(outdir).values():
            seen["TOP_LEVEL"] |= set(config)
            terraform = config["terraform"]
            seen["TERRAFORM_SETTINGS"] |= set(terraform)
            for name, spec in terraform.get("required_providers", {}).items():
                seen["PROVIDERS"][name] = plan_inputs._normal_source(spec["source"])
                seen["REQUIRED_PROVIDER_SETTINGS"] |= set(spec)
            for name, body in terraform["backend"].items():
                seen["BACKENDS"].setdefault(name, set()).update(body)
            for name, bodies in config.get("provider", {}).items():
                for body in bodies:
                    seen["PROVIDER_ARGUMENTS"].setdefault(name, set()).update(body)
                    if name == "helm":
                        seen["HELM_KUBERNETES_ARGUMENTS"] |= set(body["kubernetes"])
            for rtype, named in config.get("resource", {}).items():
                seen["RESOURCE_TYPES"].add(rtype)
                for body in named.values():
                    if rtype in seen["RESOURCE_ARGUMENTS"]:
                        seen["RESOURCE_ARGUMENTS"][rtype] |= set(body)
                    if rtype == "helm_release" and "repository" in body:
                        seen["HELM_REPOSITORIES"].add(body["repository"])
            seen["DATA_SOURCES"] |= set(config.get("data", {}))
            seen["FUNCTIONS"] |= {name for _, text in plan_inputs.strings_in(config, "") for name in calls(text)}
    return seen


def _as_table(value: Any) -> Any:
    if isinstance(value, set):
        return tuple(sorted(value))
    if isinstance(value, dict):
        return {k: _as_table(v) for k, v in sorted(value.items())}
    return value


@pytest.mark.slow
def test_every_table_is_what_the_examples_synthesize(every_example):
    """Regenerate a table from this test's message: each is the union over every example."""
    seen = _as_table(_union(list(every_example.values())))
    seen.pop("BACKENDS")  # the examples keep local state; the s3 settings: the next test
    pinned = {name: _as_table(getattr(plan_inputs, name)) for name in seen}
    pinned["BACKENDS"] = None
    stale = [f"{name} = {value!r}" for name, value in seen.items() if pinned[name] != value]
    assert not stale, "in fleet/gate/synth_tables.py:\n" + "\n".join(stale)
    local = _as_table(_union(list(every_example.values()))["BACKENDS"])
    assert local == {"local": plan_inputs.BACKENDS["local"]}


def _s3(table: str | None) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data["state"] = {"backend": "s3", "bucket": "acme-tfstate", "region": "eu-west-1"}
        if table:
            data["state"]["dynamodb_table"] = table

    return edit


def test_the_s3_backend_settings_are_what_an_s3_fleet_synthesizes(synth, derived_fleet):
    outdirs = [
        synth.outdir(derived_fleet("examples/steady.yaml", f"s3-{table or 'lockfile'}", _s3(table)))
        for table in (None, "tf-locks")
    ]
    assert _as_table(_union(outdirs)["BACKENDS"]) == {"s3": plan_inputs.BACKENDS["s3"]}
    for outdir in outdirs:
        assert all(check_stack(d) == [] for d in stack_dirs(outdir))


def test_the_exec_block_is_stacks_generations():
    from stacks.generation import EXEC_API_VERSION

    assert plan_inputs.EXEC == {"api_version": EXEC_API_VERSION, "command": "aws"}


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_stack_of_every_example_is_accepted(every_example, example):
    dirs = stack_dirs(every_example[example])
    assert dirs
    for stack_dir in dirs:
        assert check_stack(stack_dir) == [], stack_dir.name


def test_the_command_accepts_a_synthesized_tree_and_names_each_stack(synth):
    outdir = synth.outdir("examples/target-swap.yaml")
    done = _cli(str(outdir))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [f"{d.name}: accepted" for d in stack_dirs(outdir)]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fleet.gate.plan_inputs", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- generated injections: each refused, with one line naming it ---------------------------------

NAME = st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True)
COMMAND = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="$%"), min_size=1, max_size=30
)
"""A payload: printable ASCII without `$` and `%`, so it holds no template of its own (the
filesystem_function injection is the one that writes a template)."""


def _resources(config: Config, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return sorted((t, n) for t, named in config.get("resource", {}).items() if t not in skip for n in named)


def _string_leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() if k != "//" for p in _string_leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _string_leaves(v, (*path, i))]
    return [path] if isinstance(value, str) else []


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


Injection = Callable[[st.DataObject, Config], str | None]
"""Changes the config (drawing what it needs) and returns the JSON path its refusal names, or
None where it does not apply to this stack."""


def data_external(data: st.DataObject, config: Config) -> str:
    name = data.draw(NAME)
    config.setdefault("data", {})["external"] = {name: {"program": ["sh", "-c", data.draw(COMMAND)]}}
    return "data.external"


def data_remote_state(data: st.DataObject, config: Config) -> str:
    config.setdefault("data", {})["terraform_remote_state"] = {
        data.draw(NAME): {"backend": "s3", "config": {"bucket": "other", "key": "x.tfstate", "region": "eu-west-1"}}
    }
    return "data.terraform_remote_state"


def provisioner(data: st.DataObject, config: Config) -> str:
    rtype, name = data.draw(st.sampled_from(_resources(config)))
    kind = data.draw(st.sampled_from(["local-exec", "remote-exec", "file"]))
    config["resource"][rtype][name]["provisioner"] = [{kind: {"command": data.draw(COMMAND)}}]
    return f"resource.{rtype}.{name}.provisioner"


def module(data: st.DataObject, config: Config) -> str:
    source = data.draw(st.sampled_from(["git::https://example.com/m.git", "./m", "registry.example.com/x/y/aws"]))
    config["module"] = {data.draw(NAME): {"source": source}}
    return "module"


def exec_command(data: st.DataObject, config: Config) -> str | None:
    providers = config.get("provider", {})
    places = [p for p in ("kubernetes", "helm") if p in providers]
    if not places:
        return None
    command = data.draw(COMMAND.filter(lambda c: c != "aws"))
    if data.draw(st.sampled_from(places)) == "kubernetes":
        providers["kubernetes"][0]["exec"][0]["command"] = command
        return "provider.kubernetes[0].exec[0].command"
    providers["helm"][0]["kubernetes"]["exec"]["command"] = command
    return "provider.helm[0].kubernetes.exec.command"


def exec_args(data: st.DataObject, config: Config) -> str | None:
    if "kubernetes" not in config.get("provider", {}):
        return None
    block = config["provider"]["kubernetes"][0]["exec"][0]
    block["args"] = data.draw(st.lists(COMMAND, max_size=8).filter(lambda a: a != block["args"]))
    return "provider.kubernetes[0].exec[0].args"


def filesystem_function(data: st.DataObject, config: Config) -> str:
    with_strings = [
        (t, n) for t, n in _resources(config, skip=("helm_release",)) if _string_leaves(config["resource"][t][n])
    ]
    rtype, name = data.draw(st.sampled_from(with_strings))
    body = config["resource"][rtype][name]
    path = data.draw(st.sampled_from(_string_leaves(body)))
    function = data.draw(st.sampled_from(["file", "filebase64", "templatefile", "fileset", "provider::aws::arn_parse"]))
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = f'${{{function}("/proc/self/environ")}}'
    return f"resource.{rtype}.{name}.{_dotted(path)}"


def provider_source(data: st.DataObject, config: Config) -> str:
    name = data.draw(st.sampled_from(sorted(config["terraform"]["required_providers"])))
    namespace = data.draw(NAME.filter(lambda n: n != "hashicorp"))
    config["terraform"]["required_providers"][name]["source"] = f"{namespace}/{name}"
    return f"terraform.required_providers.{name}.source"


def backend(data: st.DataObject, config: Config) -> str:
    name = data.draw(st.sampled_from(["http", "remote", "consul", "azurerm", "gcs"]))
    config["terraform"]["backend"] = {name: {"address": "https://example.com/state"}}
    return f"terraform.backend.{name}"


def resource_type(data: st.DataObject, config: Config) -> str:
    rtype = data.draw(st.sampled_from(["null_resource", "local_file", "kubernetes_manifest", "aws_lambda_invocation"]))
    config.setdefault("resource", {})[rtype] = {data.draw(NAME): {}}
    return f"resource.{rtype}"


def helm_postrender(data: st.DataObject, config: Config) -> str | None:
    releases = sorted(config.get("resource", {}).get("helm_release", {}))
    if not releases:
        return None
    name = data.draw(st.sampled_from(releases))
    config["resource"]["helm_release"][name]["postrender"] = {"binary_path": data.draw(COMMAND)}
    return f"resource.helm_release.{name}.postrender"


def aws_endpoints(data: st.DataObject, config: Config) -> str:
    config["provider"]["aws"][0]["endpoints"] = [{"sts": f"https://{data.draw(NAME)}.example.com"}]
    return "provider.aws[0].endpoints"


INJECTIONS: dict[str, Injection] = {
    f.__name__: f
    for f in (
        data_external,
        data_remote_state,
        provisioner,
        module,
        exec_command,
        exec_args,
        filesystem_function,
        provider_source,
        backend,
        resource_type,
        helm_postrender,
        aws_endpoints,
    )
}


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_injected_block_is_refused_with_one_line_naming_it(sampled, data):
    stack, stack_dir = data.draw(st.sampled_from(sampled))
    kind = data.draw(st.sampled_from(sorted(INJECTIONS)))
    config = json.loads((stack_dir / "cdk.tf.json").read_text())
    before = copy.deepcopy(config)
    path = INJECTIONS[kind](data, config)
    if path is None:
        assert config == before
        return
    lines = check_config(stack, config)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{stack}: {path}: "), (kind, lines)


OTHER_FILES = [
    "evil.tf",
    "override.tf.json",
    "terraform.tfvars.json",
    ".terraform.lock.hcl",
    ".terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws",
    "terraform.d/plugins/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws",
]


@settings(max_examples=examples(40), deadline=None)
@given(data=st.data())
def test_a_file_beside_the_synthesized_json_is_refused(sampled, data):
    """terraform reads every *.tf and *.tf.json of the directory, installs providers from
    terraform.d/plugins and .terraform/ there: the directory holds cdk.tf.json and assets/ only."""
    stack, stack_dir = data.draw(st.sampled_from(sampled))
    extra = data.draw(st.sampled_from(OTHER_FILES))
    with tempfile.TemporaryDirectory() as tmp:
        copy_dir = Path(tmp) / stack
        shutil.copytree(stack_dir, copy_dir)
        assert check_stack(copy_dir) == []
        (copy_dir / extra).parent.mkdir(parents=True, exist_ok=True)
        (copy_dir / extra).write_text('resource "null_resource" "x" {}\n')
        lines = check_stack(copy_dir)
    assert lines == [f"{stack}: {extra.split('/')[0]}: {plan_inputs.OTHER_FILES}"]


def test_a_link_in_the_assets_is_refused(sampled, tmp_path):
    stack, stack_dir = next((s, d) for s, d in sampled if (d / "assets").is_dir())
    copy_dir = tmp_path / stack
    shutil.copytree(stack_dir, copy_dir)
    chart = next(p for p in (copy_dir / "assets").rglob("Chart.yaml"))
    (chart.parent / "environ").symlink_to("/proc/self/environ")
    lines = check_stack(copy_dir)
    assert lines == [
        f"{stack}: {(chart.parent / 'environ').relative_to(copy_dir).as_posix()}: a link or special file in assets/"
    ]


def test_the_command_prints_each_refusal_and_exits_2(sampled, tmp_path):
    stack, stack_dir = next((s, d) for s, d in sampled if s.startswith("target-"))
    copy_dir = tmp_path / stack
    shutil.copytree(stack_dir, copy_dir)
    config = json.loads((copy_dir / "cdk.tf.json").read_text())
    config["data"]["external"] = {"x": {"program": ["sh", "-c", "env"]}}
    config["provider"]["kubernetes"][0]["exec"][0]["command"] = "sh"
    (copy_dir / "cdk.tf.json").write_text(json.dumps(config))
    done = _cli(str(copy_dir))
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert [line.split(": ")[:2] for line in lines] == [
        [stack, "provider.kubernetes[0].exec[0].command"],
        [stack, "data.external"],
    ], lines


@pytest.mark.parametrize(
    "given_path",
    ["x; touch pwned", "$(touch pwned)", ".hidden", "a b"],
)
def test_a_stack_directory_that_is_not_a_stack_id_is_refused(tmp_path, given_path):
    done = _cli(str(tmp_path / given_path))
    assert done.returncode == 2 and len(done.stdout.splitlines()) == 1, done.stdout
    assert not (tmp_path / "pwned").exists()


# --- the template scanner -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("plain (text) with file(x)", []),
        ("${base64decode(aws_eks_cluster.x.certificate_authority[0].data)}", ["base64decode"]),
        ('$${file("/proc/self/environ")}', []),
        ('%%{ if file("x") }', []),
        ('${file("/proc/self/environ")}', ["file"]),
        ('%{ if fileexists("/x") }yes%{ endif }', ["fileexists"]),
        ('${ file ("/x") }', ["file"]),
        ('${provider::aws::arn_parse("x")}', ["provider::aws::arn_parse"]),
        ('${base64decode("}") == file("/x")}', ["base64decode", "file"]),
        ('${"a ${file("/x")} b"}', ["file"]),
        ('${x # "\n == file("/x")}', ["file"]),
        ('${x /* "} */ == file("/x")}', ["file"]),
        ('${<<EOT\n${file("/x")}\nEOT\n}', ["<<", "file"]),
        ('${"\\"}" == file("/x")}', ["file"]),
        ("%{if false}%{endif}", []),
    ],
)
def test_calls_finds_every_function_a_template_calls(text, found):
    assert calls(text) == found


@given(st.text())
def test_escaped_text_calls_nothing(text):
    """What Terraform reads as literal text (every `${` and `%{` escaped) calls no function."""
    assert calls(text.replace("${", "$${").replace("%{", "%%{")) == []

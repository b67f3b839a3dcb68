"""The provider bindings load only what the stacks use (stacks/bindings.py), and nothing a user
sees changes: every example synthesizes to the same bytes with the lazy load and with the
packages' full import, values read back from jsii are the same, and the cdktf CLI's app command
takes the lazy path."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from stacks import bindings
from support.paths import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))

SYNTH_ALL = """
import json, sys
from pathlib import Path
import stacks  # the lazy load, unless EPHEMERAL_EKS_FULL_BINDINGS is set
from main import synthesize
out = Path(sys.argv[1])
for example in sys.argv[2:]:
    synthesize(example, out / Path(example).stem)
loaded = sorted(m for m in sys.modules if m.startswith("cdktf_cdktf_provider_aws."))
print(json.dumps({"lazy": getattr(sys.modules["cdktf_cdktf_provider_aws"], "__lazy_bindings__", False),
                  "aws_submodules": len(loaded)}))
"""
"""Synthesizes every example named on the command line into <out>/<example>, in one process."""

READ_BACK = """
import json
import stacks
from cdktf import App, Fn, TerraformStack, Token
from cdktf_cdktf_provider_aws.data_aws_subnets import DataAwsSubnets
from cdktf_cdktf_provider_aws.eks_cluster import EksCluster
from cdktf_cdktf_provider_aws.provider import AwsProvider
from stacks.literal import terraform_literal

app = App(outdir="/tmp/ephemeral-eks-read-back")
stack = TerraformStack(app, "probe")
AwsProvider(stack, "aws", region="eu-west-1")
subnets = DataAwsSubnets(stack, "subnets")
cluster = EksCluster(stack, "cluster", name="c", role_arn="arn", vpc_config={"subnet_ids": subnets.ids})
print(json.dumps({
    "ids": subnets.ids,
    "ids_unresolved": Token.is_unresolved(subnets.ids),
    "first": Fn.element(subnets.ids, 0),
    "ca": cluster.certificate_authority.get(0).data,
    "endpoint": cluster.endpoint,
    "vpc_config": type(cluster.vpc_config).__name__,
    "sg": cluster.vpc_config.cluster_security_group_id,
    "joined": Fn.join(",", Token.as_list(cluster.vpc_config.subnet_ids)),
    "literal": terraform_literal("${x} %{y}"),
    "encoded": Fn.jsonencode({"a": [terraform_literal("${z}")]}),
    "terraform": stack.to_terraform(),
}, default=str))
"""
"""What a construct reads back from jsii: tokens, lists, nested blocks, functions, the escape."""


def _run(code: str, *args: str, full: bool, cwd: Path = ROOT) -> str:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    env.pop(bindings.FULL_IMPORT_VARIABLE, None)
    if full:
        env[bindings.FULL_IMPORT_VARIABLE] = "1"
    done = subprocess.run(
        [sys.executable, "-O", "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_every_example_synthesizes_to_the_same_bytes_with_the_lazy_load_and_the_full_import(tmp_path):
    examples = [str(e) for e in EXAMPLES]
    lazy = json.loads(_run(SYNTH_ALL, str(tmp_path / "lazy"), *examples, full=False))
    full = json.loads(_run(SYNTH_ALL, str(tmp_path / "full"), *examples, full=True))
    assert lazy["lazy"] and not full["lazy"]
    assert lazy["aws_submodules"] < 100 < 2000 < full["aws_submodules"], (lazy, full)
    for example in EXAMPLES:
        a, b = _tree(tmp_path / "lazy" / example.stem), _tree(tmp_path / "full" / example.stem)
        assert a.keys() == b.keys(), example.name
        different = [name for name in a if a[name] != b[name]]
        assert not different, f"{example.name}: {different}"


@pytest.mark.slow
def test_values_read_back_from_jsii_are_the_same_with_the_lazy_load_and_the_full_import():
    lazy, full = _run(READ_BACK, full=False), _run(READ_BACK, full=True)
    assert json.loads(lazy) == json.loads(full)
    assert json.loads(lazy)["ids_unresolved"] is True


def test_every_submodule_has_the_jsii_name_the_lazy_load_registers_for_it():
    """jsii resolves a type Python has not imported yet through the map `register_fqn_map` fills;
    a wrong name there would leave that type unknown."""
    first_type = re.compile(r'jsii_type="([^"]+)"')
    for package, (_dist, _version, assembly) in bindings.PINNED.items():
        spec = importlib.util.find_spec(package)
        assert spec and spec.submodule_search_locations
        root = Path(spec.submodule_search_locations[0])
        submodules = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")]
        assert submodules, package
        for submodule in submodules:
            text = (submodule / "__init__.py").read_text()
            found = first_type.search(text)
            assert found, submodule
            fqn = found.group(1)
            assert fqn.startswith(f"{assembly}.{bindings._jsii_submodule(submodule.name)}."), (submodule.name, fqn)


def test_another_installed_version_falls_back_to_the_full_import_with_one_warning():
    code = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("probe_bindings", {str(ROOT / "stacks" / "bindings.py")!r})
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
dist, _, assembly = module.PINNED["cdktf_cdktf_provider_helm"]
module.PINNED["cdktf_cdktf_provider_helm"] = (dist, "0.0.1", assembly)
print(module.load_lazily(), "cdktf_cdktf_provider_aws" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]  # nothing installed: the packages import as usual
    [warning] = done.stderr.strip().splitlines()
    assert warning.startswith("warning: cdktf-cdktf-provider-helm is 12.1.2") and "0.0.1" in warning


@pytest.mark.slow
def test_the_cdktf_cli_app_command_takes_the_lazy_path(tmp_path):
    """`npx cdktf synth/diff/deploy` run cdktf.json's `app` in a shell: run it the same way and
    count which AWS submodules it imported (PYTHONPROFILEIMPORTTIME: the interpreter's own report)."""
    app = json.loads((ROOT / "cdktf.json").read_text())["app"]
    env = {
        **os.environ,
        "PYTHONPROFILEIMPORTTIME": "1",
        "FLEET": str(ROOT / "examples" / "steady.yaml"),
        "CDKTF_OUTDIR": str(tmp_path / "out"),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "PIPENV_VERBOSITY": "-1",
    }
    env.pop(bindings.FULL_IMPORT_VARIABLE, None)
    done = subprocess.run(["/bin/sh", "-c", app], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    imported = set(re.findall(r"\|\s+(cdktf_cdktf_provider_aws\.[a-z0-9_]+)$", done.stderr, re.M))
    assert imported, shlex.quote(app)
    assert "cdktf_cdktf_provider_aws._jsii" in imported and len(imported) < 100, len(imported)
    assert (tmp_path / "out" / "stacks" / "shared" / "cdk.tf.json").is_file()

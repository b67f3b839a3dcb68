"""The fleet file is data, never code: a string it holds reaches Terraform as that string.

Terraform reads every string of a `cdk.tf.json` (object keys included) as a template, so a Helm
value `${file("/proc/self/environ")}` in a fleet-file-only PR would be evaluated by the PR's
`cdktf diff` job. What Terraform would see is asked of the real binary: `terraform console`
evaluates the escaped strings, and must give back the strings the fleet file wrote.
"""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacks.literal import terraform_literal, terraform_literals
from support.tf_tools import cli_config, terraform_unavailable

needs_terraform = pytest.mark.skipif(terraform_unavailable() is not None, reason=terraform_unavailable() or "")

PAYLOADS = (
    '${file("/proc/self/environ")}',
    '${join("", keys(path))}${substr(path.cwd, 0, 3)}',
    "%{ for k in [1] }${k}%{ endfor }",
    "%{ if true }yes%{ endif }",
    "$${already}",
    "$$${three}",
    "%%{twice}",
    "$",
    "%",
    "${",
    "%{",
    "}{$%",
    '"}, "injected": {"x": "',
    "\\${backslash}",
    "line\nbreak ${path.module}",
)
"""What an attacker or a careless author writes; the random strings below add the rest."""

TEMPLATE_HEAVY = st.text(alphabet=st.sampled_from("$%{}\\\"' ab\n"), max_size=24)
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=24).filter(
    lambda text: unicodedata.is_normalized("NFC", text)
)
"""Terraform reads every string in Unicode NFC (U+F900 comes back as U+8C48, which looks the same):
the literal-string promise is for NFC text, which is what editors write (docs/security.md)."""
STRINGS = st.one_of(TEMPLATE_HEAVY, ANY_TEXT)


def _evaluate(directory: Path, value: Any) -> Any:
    """What Terraform makes of `value` written into a configuration's JSON (strings and object
    keys are templates there): `terraform console` on a config with one local."""
    (directory / "main.tf.json").write_text(json.dumps({"locals": {"probe": value}}))
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cli_config(directory)),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
    }
    done = subprocess.run(
        ["terraform", "console"],
        input="base64encode(jsonencode(local.probe))\n",
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(base64.b64decode(json.loads(done.stdout.strip())))


@pytest.mark.terraform
@needs_terraform
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    strings=st.lists(STRINGS, min_size=1, max_size=30),
    keys=st.dictionaries(STRINGS.filter(bool), STRINGS, max_size=10),
)
def test_terraform_reads_every_escaped_string_and_key_as_itself(tmp_path, strings, keys):
    escaped = {"items": [terraform_literal(s) for s in strings], "keyed": terraform_literals(keys)}
    assert _evaluate(tmp_path, escaped) == {"items": strings, "keyed": keys}


@settings(max_examples=200, deadline=None)
@given(
    value=st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), STRINGS),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.tuples(inner, inner), st.dictionaries(STRINGS, inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_escaping_reaches_every_string_at_any_depth_and_nothing_else(value):
    """Keys and items at any depth are escaped; numbers, booleans and nulls pass as they are."""

    def unescape(v: Any) -> Any:
        if isinstance(v, str):
            return v.replace("$${", "${").replace("%%{", "%{")
        if isinstance(v, dict):
            return {unescape(k): unescape(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(unescape(x) for x in v)
        return v

    escaped = terraform_literals(value)
    assert unescape(escaped) == value
    assert type(escaped) is type(value)


# --- the synthesized stacks ----------------------------------------------------------------------

RANDOM = random.Random(20261204)
ALPHABET = "$%{}\\\"'`ab \n\t\u00e9\u2603"
RANDOM_STRINGS = tuple("".join(RANDOM.choice(ALPHABET) for _ in range(RANDOM.randint(1, 16))) for _ in range(40))


def _attack(data: dict[str, Any]) -> None:
    """Every free-form place of the fleet file gets payloads: Helm values and their keys at any
    depth, lists, per-generation values."""
    service = data["services"]["web"]
    strings = list(PAYLOADS) + list(RANDOM_STRINGS)
    service["apps"]["podinfo"]["values"] = {
        "ui": {"message": PAYLOADS[0], "list": strings, "nested": {p: p for p in strings}},
        PAYLOADS[1]: PAYLOADS[2],
        "%{ if true }key%{ endif }": [{"${path.cwd}": ["${path.root}"]}],
    }
    service["targets"]["blue"]["values"] = {"podinfo": {"ui": {"color": '${upper("x")}', "extra": strings[::-1]}}}


@pytest.fixture(scope="module")
def attacked(synth, derived_fleet):
    from fleet.spec.load import load_fleet

    path = derived_fleet("examples/steady.yaml", "fleet-strings-attack", _attack)
    return load_fleet(str(path)), synth(path)


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


@pytest.mark.terraform
@needs_terraform
def test_helm_values_reach_the_cluster_secret_as_the_fleet_file_wrote_them(tmp_path, attacked):
    """The values annotation of the cluster Secret, as Terraform evaluates it, decodes to the
    fleet's merged values exactly: no expression ran, no quote broke out of the JSON."""
    fleet, stacks = attacked
    hub = stacks["argocd-blue"]
    secrets = [
        body
        for kind in ("kubernetes_manifest", "kubernetes_secret_v1", "kubernetes_secret")
        for body in hub.get("resource", {}).get(kind, {}).values()
        if "ephemeral-eks.io/values.podinfo" in json.dumps(body)
    ]
    assert len(secrets) == 1, "one cluster Secret carries the target's values"
    raw = secrets[0]["manifest"] if "manifest" in secrets[0] else secrets[0]
    evaluated = _evaluate(tmp_path, raw["metadata"])
    annotation = evaluated["annotations"]["ephemeral-eks.io/values.podinfo"]
    assert json.loads(annotation) == fleet.services["web"].helm_values("podinfo", "blue")
    assert set(evaluated["annotations"]) == {"ephemeral-eks.io/cluster-name", "ephemeral-eks.io/values.podinfo"}


@pytest.mark.terraform
@needs_terraform
def test_no_fleet_string_in_any_stack_is_a_terraform_expression(tmp_path, attacked):
    """Every string of every stack that carries a payload evaluates to text without a trace of
    evaluation: each is its own unescaped form."""
    _, stacks = attacked
    carried = sorted({s for stack in stacks.values() for s in _strings(stack) if "$" in s or "%" in s})
    carried = [
        s
        for s in carried
        if any(p in s.replace("$${", "${").replace("%%{", "%{") for p in ("path.", "file(", "upper(", "%{ "))
    ]
    assert carried, "the payloads reach the synthesized stacks"
    evaluated = _evaluate(tmp_path, carried)
    assert evaluated == [s.replace("$${", "${").replace("%%{", "%{") for s in carried]

"""The fleet file is data, never code: a string it holds reaches Terraform as that string, and
cdktf finds none of its tokens in it.

Terraform reads every string of a `cdk.tf.json` (object keys included) as a template, so a Helm
value `${file("/proc/self/environ")}` in a fleet-file-only PR would be evaluated by the PR's
`cdktf diff` job. cdktf reads every string, number and list a stack hands it for its token
encodings, so a Helm value `${TfToken[TOKEN.52]}` would become a reference to another stack.
Both readers are asked, not imitated: `terraform console` evaluates the escaped strings and must
give back the strings the fleet file wrote; cdktf's own `Tokenization.resolve` must hand the
escaped strings back untouched, and must change exactly the raw strings the escape changes.
"""

from __future__ import annotations

import base64
import json
import math
import os
import random
import struct
import subprocess
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleet.tokens import NUMBER_LIST_TOKEN_TAG, NUMBER_TOKEN_TAG
from stacks.literal import (
    BREAK,
    CdktfTokenError,
    terraform_literal,
    terraform_literals,
)
from support.examples import examples
from support.fleets import example_data, put
from support.tf_tools import cli_config, terraform_unavailable

needs_terraform = pytest.mark.skipif(terraform_unavailable() is not None, reason=terraform_unavailable() or "")


def _token_double(tag: int, index: int) -> float:
    """The double cdktf encodes token `index` as (createTokenDouble in cdktf's
    lib/tokens/private/encoding.ts); `test_cdktf_reads_each_live_encoding` checks the tags."""
    return struct.unpack("<d", struct.pack("<Q", tag << 48 | index))[0]


def _texts(number: float) -> tuple[str, ...]:
    """`number` written as JavaScript's `parseFloat` reads it back: Python's repr, without the
    exponent's `+`, with 20 decimals, and with an integer mantissa."""
    mantissa, exponent = repr(number).split("e")
    decimals = len(mantissa.partition(".")[2])
    return (
        repr(number),
        repr(number).replace("e+", "e"),
        f"{number:.20e}",
        f"{mantissa.replace('.', '')}e{int(exponent) - decimals}",
    )


def _tag(number: float) -> int | None:
    """The top 16 bits of `number` as a double (None: no double holds it)."""
    try:
        return int(struct.unpack("<Q", struct.pack("<d", float(number)))[0] >> 48)
    except OverflowError:
        return None


def _is_token(number: float) -> bool:
    return _tag(number) in (NUMBER_TOKEN_TAG, NUMBER_LIST_TOKEN_TAG)


TOKEN_NUMBERS = tuple(
    _token_double(tag, index)
    for tag in (NUMBER_TOKEN_TAG, NUMBER_LIST_TOKEN_TAG)
    for index in (0, 1, 2, 52, 1000, 2**48 - 1)
)
"""Numbers cdktf reads as tokens: a number token and a number-list token's element."""
NEAR_TOKEN_NUMBERS = tuple(
    number
    for tag in (NUMBER_TOKEN_TAG, NUMBER_LIST_TOKEN_TAG)
    for number in (
        math.nextafter(_token_double(tag, 0), 0),
        math.nextafter(_token_double(tag, 2**48 - 1), -math.inf),
    )
)
"""The doubles just outside each token range: ordinary numbers."""
NUMBER_TEXTS = tuple(text for number in TOKEN_NUMBERS for text in _texts(number))
NUMBER_TOKEN_52 = _token_double(NUMBER_TOKEN_TAG, 52)

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
"""What an attacker or a careless author writes for Terraform; the random strings below add the rest."""
CDKTF_PAYLOADS = (
    "${TfToken[TOKEN.52]}",
    "#{TfToken[TOKEN.2]}",
    "&{TfToken[TOKEN.3]}",
    "${TfToken[${TfToken[TOKEN.1]}]}",
    "$${TfToken[TOKEN.4]}",
    "%{TfToken[TOKEN.5]}",
    "String Map Token Value",
    "Any Map Token Value",
    BREAK,
    *(f"x{text}y" for text in NUMBER_TEXTS),
)
"""The same for cdktf: its token encodings, and the escape's own directive."""

TEMPLATE_HEAVY = st.text(alphabet=st.sampled_from("$%{}\\\"' ab\n"), max_size=24)
CDKTF_HEAVY = st.lists(
    st.one_of(
        st.sampled_from(("${TfToken[", "#{TfToken[", "&{TfToken[", "TOKEN.", "]}", *CDKTF_PAYLOADS)),
        st.sampled_from("0123456789eE.-+|$%#&{}[]:_ aT"),
    ),
    max_size=10,
).map("".join)
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=24).filter(
    lambda text: unicodedata.is_normalized("NFC", text)
)
"""Terraform reads every string in Unicode NFC (U+F900 comes back as U+8C48, which looks the same):
the literal-string promise is for NFC text, which is what editors write (docs/security.md)."""
STRINGS = st.one_of(TEMPLATE_HEAVY, CDKTF_HEAVY, ANY_TEXT)
NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(TOKEN_NUMBERS + NEAR_TOKEN_NUMBERS),
    st.integers(-(2**53), 2**53),
)


def _terraform(directory: Path, *args: str, stdin: str = "") -> str:
    """Run `terraform args` in `directory` (offline); its stdout."""
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cli_config(directory)),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
    }
    done = subprocess.run(
        ["terraform", *args], input=stdin, cwd=directory, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _evaluate(directory: Path, value: Any) -> Any:
    """What Terraform makes of `value` written into a configuration's JSON (strings and object
    keys are templates there): `terraform console` on a config with one local."""
    (directory / "main.tf.json").write_text(json.dumps({"locals": {"probe": value}}))
    printed = _terraform(directory, "console", stdin="base64encode(jsonencode(local.probe))\n")
    return json.loads(base64.b64decode(json.loads(printed.strip())))


@pytest.mark.terraform
@needs_terraform
@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    strings=st.lists(STRINGS, min_size=1, max_size=30),
    keys=st.dictionaries(STRINGS.filter(bool), STRINGS, max_size=10),
)
def test_terraform_reads_every_escaped_string_and_key_as_itself(tmp_path, strings, keys):
    escaped = {"items": [terraform_literal(s) for s in strings], "keyed": terraform_literals(keys)}
    assert _evaluate(tmp_path, escaped) == {"items": strings, "keyed": keys}


@pytest.mark.terraform
@needs_terraform
def test_terraform_reads_every_payload_as_itself(tmp_path):
    payloads = [*PAYLOADS, *CDKTF_PAYLOADS]
    escaped = {"items": [terraform_literal(p) for p in payloads], "keyed": terraform_literals({p: p for p in payloads})}
    assert _evaluate(tmp_path, escaped) == {"items": payloads, "keyed": {p: p for p in payloads}}


@settings(max_examples=examples(200), deadline=None)
@given(
    value=st.recursive(
        st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.tuples(inner, inner), st.dictionaries(STRINGS, inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_escaping_reaches_every_string_at_any_depth_and_nothing_else(value):
    """Keys and items at any depth are escaped; numbers, booleans and nulls pass as they are,
    but a number cdktf reads as a token is refused."""

    def expected(v: Any) -> Any:
        if isinstance(v, str):
            return terraform_literal(v)
        if isinstance(v, dict):
            return {expected(k): expected(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(expected(x) for x in v)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and _is_token(v):
            raise CdktfTokenError(v)
        return v

    try:
        wanted = expected(value)
    except CdktfTokenError:
        with pytest.raises(CdktfTokenError, match="how cdktf writes one of its tokens"):
            terraform_literals(value)
        return
    escaped = terraform_literals(value)
    assert escaped == wanted
    assert type(escaped) is type(value)


@given(text=st.text(alphabet=st.characters(exclude_characters="{e"), max_size=40))
def test_text_without_a_brace_or_an_e_is_unchanged(text):
    """Only a `{` or a number token's text (which has an `e`) can need an escape."""
    assert terraform_literal(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "arn:aws:acm:eu-west-1:111122223333:certificate/0e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b",
        "sha256:4e5f0e1de2e3",
        "v1.14.3-eksbuild.3",
        "1.5e+289",
        "-1e300",
        "-1.8e289",
        *(repr(n) for n in NEAR_TOKEN_NUMBERS),
        "Map Token Value",
        "#{TfToken[",
        "&{TfToken[]}",
    ],
)
def test_what_an_ordinary_fleet_holds_is_unchanged(text):
    """Names, ARNs, versions, digests, numbers as text - even next to the token ranges - are
    written as they are: the synthesized JSON of an ordinary fleet does not change."""
    assert terraform_literal(text) == text


# --- cdktf, asked -------------------------------------------------------------------------------


def _doubles(value: Any) -> Any:
    """`value` with its numbers as doubles: jsii hands an integral double (4e16) back as an int."""
    if isinstance(value, list):
        return [_doubles(item) for item in value]
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


@dataclass(frozen=True)
class Cdktf:
    """cdktf's own resolution of values in a stack, and the live tokens that stack has."""

    resolve: Callable[[Any], Any]
    string_token: str
    list_token: str
    map_token: str
    number_token: float
    number_list_token: float

    def inert(self, value: str | float) -> bool:
        """Whether cdktf hands `value` back untouched as a string or number, as the one item of
        a list (a list token's place) and as a map key (a map token's): no token read, no error."""
        places: list[Any] = [value, [value]]
        if isinstance(value, str):
            places.append({value: "v"})
        try:
            return all(_doubles(self.resolve(place)) == _doubles(place) for place in places)
        except Exception:  # a jsii error: cdktf read a token it does not know
            return False

    @property
    def encodings(self) -> tuple[str | float, ...]:
        return (
            self.string_token,
            self.list_token,
            self.map_token,
            self.number_token,
            self.number_list_token,
            f"x{self.number_token!r}y",
        )


@pytest.fixture(scope="module")
def cdktf(tmp_path_factory) -> Cdktf:
    from cdktf import App, DefaultTokenResolver, StringConcat, TerraformStack, TerraformVariable, Token, Tokenization

    stack = TerraformStack(App(outdir=str(tmp_path_factory.mktemp("cdktf"))), "probe")
    variable = TerraformVariable(stack, "v", type="any")

    def resolve(value: Any) -> Any:
        return Tokenization.resolve(value, scope=stack, resolver=DefaultTokenResolver(StringConcat()))

    return Cdktf(
        resolve=resolve,
        string_token=variable.string_value,
        list_token=variable.list_value[0],
        map_token=next(iter(Token.as_string_map(variable.value))),
        number_token=variable.number_value,
        number_list_token=Token.as_number_list(variable.value)[0],
    )


def test_cdktf_reads_each_live_encoding(cdktf):
    """The harness can fail: cdktf reads each live encoding (a number's as text too), and the
    numbers carry the tags fleet/tokens.py names."""
    assert (_tag(cdktf.number_token), _tag(cdktf.number_list_token)) == (NUMBER_TOKEN_TAG, NUMBER_LIST_TOKEN_TAG)
    assert [e for e in cdktf.encodings if cdktf.inert(e)] == []
    assert not any(cdktf.inert(p) for p in ("String Map Token Value", "Any Map Token Value", "#{TfToken[NOPE]}"))


def test_cdktf_reads_no_token_in_any_escaped_payload(cdktf):
    payloads = (*PAYLOADS, *CDKTF_PAYLOADS, *(e if isinstance(e, str) else repr(e) for e in cdktf.encodings))
    assert [p for p in payloads if not cdktf.inert(terraform_literal(p))] == []


def _cdktf_strings(cdktf: Cdktf) -> st.SearchStrategy[str]:
    live = tuple(e if isinstance(e, str) else repr(e) for e in cdktf.encodings)
    return st.one_of(CDKTF_HEAVY, st.lists(st.one_of(st.sampled_from(live), CDKTF_HEAVY), max_size=4).map("".join))


@settings(max_examples=examples(300), deadline=None)
@given(data=st.data())
def test_cdktf_reads_no_token_in_an_escaped_string(cdktf, data):
    text = data.draw(_cdktf_strings(cdktf))
    assert cdktf.inert(terraform_literal(text))


@settings(max_examples=examples(300), deadline=None)
@given(data=st.data())
def test_the_escape_changes_exactly_what_cdktf_would_read(cdktf, data):
    """Text Terraform would read as it is (no `${`, no `%{`) is changed if and only if cdktf,
    given it raw, would read a token in it or fail on it."""
    text = data.draw(_cdktf_strings(cdktf).filter(lambda t: "${" not in t and "%{" not in t))
    assert (terraform_literal(text) == text) == cdktf.inert(text)


@settings(max_examples=examples(200), deadline=None)
@given(number=st.one_of(NUMBERS, st.floats(-1e299, -1e288)))
def test_a_number_is_refused_exactly_when_cdktf_would_read_it_as_a_token(cdktf, number):
    try:
        terraform_literals([number])
        refused = False
    except CdktfTokenError:
        refused = True
    assert refused == (not cdktf.inert(float(number)))


# --- the synthesized stacks ----------------------------------------------------------------------

RANDOM = random.Random(20261204)
ALPHABET = "$%{}\\\"'`ab \n\t\u00e9\u2603"
RANDOM_STRINGS = tuple("".join(RANDOM.choice(ALPHABET) for _ in range(RANDOM.randint(1, 16))) for _ in range(40))
LIVE_TOKEN_TEXTS = tuple(f"{marker}{{TfToken[TOKEN.{i}]}}" for marker in "$#&" for i in range(200)) + tuple(
    repr(_token_double(NUMBER_TOKEN_TAG, i)) for i in range(200)
)
"""Token keys and indices 0 to 199, among them those a synth has in use (`${TfToken[TOKEN.52]}`
made `argocd-blue` read `shared` through a `terraform_remote_state`): unescaped, each is a
reference or an error."""
TAGS = {"String Map Token Value": repr(NUMBER_TOKEN_52), "owner": "Any Map Token Value"}
"""Tags reach each stack's provider as a map of strings, straight from the fleet file."""


def _attack(data: dict[str, Any]) -> None:
    """Every free-form place of the fleet file gets payloads: Helm values and their keys at any
    depth, lists, per-generation values, tags, a repository URL and a namespace."""
    service = data["services"]["web"]
    strings = list(PAYLOADS) + list(CDKTF_PAYLOADS) + list(RANDOM_STRINGS)
    service["apps"]["podinfo"]["values"] = {
        "ui": {"message": PAYLOADS[0], "list": strings, "nested": {p: p for p in strings}},
        PAYLOADS[1]: PAYLOADS[2],
        "%{ if true }key%{ endif }": [{"${path.cwd}": ["${path.root}"]}],
        "cdktf": {
            "live": list(LIVE_TOKEN_TEXTS),
            "list token": ["#{TfToken[TOKEN.7]}"],
            "&{TfToken[TOKEN.3]}": "a map token's key",
            "String Map Token Value": "Any Map Token Value",
            "numbers": list(NEAR_TOKEN_NUMBERS),
        },
    }
    service["apps"]["podinfo"]["repo_url"] += "/" + repr(NUMBER_TOKEN_52)
    service["apps"]["podinfo"]["namespace"] = "a" + _texts(NUMBER_TOKEN_52)[3]  # a-8109562212591427e283
    service["targets"]["blue"]["values"] = {
        "podinfo": {"ui": {"color": '${upper("x")}', "extra": strings[::-1], "token": "${TfToken[TOKEN.52]}"}}
    }
    data["tags"] = data.get("tags", {}) | TAGS


@pytest.fixture(scope="module")
def attacked(synth, derived_fleet):
    from fleet.model.load import load_fleet

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


def _shape(stack: dict[str, Any]) -> dict[str, set[str]]:
    """A stack's addresses: each resource, data source (`terraform_remote_state` among them),
    output and variable."""
    return {
        block: {f"{kind}.{name}" for kind, items in stack.get(block, {}).items() for name in items}
        if block in ("resource", "data")
        else set(stack.get(block, {}))
        for block in ("resource", "data", "output", "variable")
    }


def test_no_stack_reads_another_for_a_fleet_string(attacked, steady):
    """With cdktf's encodings in every free-form place, the stacks are those of the plain fleet:
    the same resources, data sources and outputs, and no `terraform_remote_state` anywhere."""
    _, stacks = attacked
    assert sorted(stacks) == sorted(steady)
    for stack_id, stack in stacks.items():
        assert _shape(stack) == _shape(steady[stack_id]), stack_id
        assert "terraform_remote_state" not in stack.get("data", {}), stack_id


@pytest.mark.terraform
@needs_terraform
def test_helm_values_reach_the_cluster_secret_as_the_fleet_file_wrote_them(tmp_path, attacked):
    """The values annotation of the cluster Secret, as Terraform evaluates it, decodes to the
    fleet's merged values exactly: no expression ran, no token was read, no quote broke out."""
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
    assert "TfToken" in annotation and LIVE_TOKEN_TEXTS[-1] in annotation
    assert set(evaluated["annotations"]) == {"ephemeral-eks.io/cluster-name", "ephemeral-eks.io/values.podinfo"}


@pytest.mark.terraform
@needs_terraform
def test_tags_reach_every_provider_as_the_fleet_file_wrote_them(tmp_path, attacked):
    fleet, stacks = attacked
    tags = {stack_id: stack["provider"]["aws"][0]["default_tags"][0]["tags"] for stack_id, stack in stacks.items()}
    evaluated = _evaluate(tmp_path, tags)
    assert fleet.tags == TAGS | {"team": "platform"}
    assert all(evaluated[stack_id].items() >= fleet.tags.items() for stack_id in stacks)


@pytest.mark.terraform
@needs_terraform
def test_no_fleet_string_in_any_stack_is_an_expression_or_a_token(tmp_path, attacked):
    """Every string of every stack that carries an escape evaluates to its unescaped form, and
    every payload reaches some stack (inside JSON text, for Helm values)."""
    _, stacks = attacked

    def unescaped(s: str) -> str:
        return s.replace(BREAK, "").replace("$${", "${").replace("%%{", "%{")

    carried = sorted({s for stack in stacks.values() for s in _strings(stack) if unescaped(s) != s})
    evaluated = _evaluate(tmp_path, carried)
    assert evaluated == [unescaped(s) for s in carried]
    text = "\n".join(evaluated)
    for payload in (*PAYLOADS, *CDKTF_PAYLOADS, *TAGS.values()):
        assert payload in text or json.dumps(payload)[1:-1] in text, payload


# --- what no escape can carry --------------------------------------------------------------------


@pytest.mark.terraform
@needs_terraform
def test_terraform_reads_a_backend_block_as_written(tmp_path):
    """Why the backend's fleet fields are refused rather than escaped: no template is evaluated
    there, so an escaped string would be the state's path as it is."""
    path = f"state-$${{x}}-{BREAK}.tfstate"
    backend = {"terraform": {"backend": {"local": {"path": path}}}, "output": {"o": {"value": "x"}}}
    (tmp_path / "main.tf.json").write_text(json.dumps(backend))
    _terraform(tmp_path, "init", "-input=false")
    _terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    assert (tmp_path / path).is_file()


def _nested(draw: st.DrawFn, value: Any) -> Any:
    for level in range(draw(st.integers(0, 4))):
        value = [value] if draw(st.booleans()) else {f"k{level}": value}
    return value


@settings(max_examples=examples(150), deadline=None)
@given(
    data=st.data(),
    tag=st.sampled_from([NUMBER_TOKEN_TAG, NUMBER_LIST_TOKEN_TAG]),
    index=st.one_of(st.sampled_from([0, 2**48 - 1]), st.integers(0, 2**48 - 1)),
    near=st.booleans(),
)
def test_a_token_number_at_any_depth_of_any_helm_values_is_refused_and_its_neighbour_is_not(data, tag, index, near):
    """The model first looks for a token number in the file's JSON (`fleet.tokens.TOKEN_NUMBER_IN_JSON`)
    and walks the file only on a match: any index of either tag, at any depth of an app's or a
    generation's values, is still refused naming its place; the double just outside the range is not."""
    from fleet.model.load import FleetError, validate

    number = _token_double(tag, index)
    if near:
        number = math.nextafter(number, 0) if index == 0 else math.nextafter(number, -math.inf)
        if _is_token(number):  # inside the range: its neighbour in the other direction is too
            number = _token_double(tag, index)
    place, inner = data.draw(
        st.sampled_from([("services.web.apps.podinfo.values", ()), ("services.web.targets.blue.values", ("podinfo",))])
    )
    values: Any = {"v": _nested(data.draw, number)}
    for key in inner:  # a generation's values are per app
        values = {key: values}
    data_ = example_data("steady", put(place, values))
    if _is_token(number):
        where = ".".join([place, *inner, "v"])
        with pytest.raises(FleetError, match=f"{where}.*how cdktf writes one of its tokens"):
            validate(data_, "fleet.yaml")
    else:
        validate(data_, "fleet.yaml")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (put("services.web.apps.podinfo.values", {"x": [TOKEN_NUMBERS[3]]}), "how cdktf writes one of its tokens"),
        (put("services.web.apps.podinfo.values", {"x": TOKEN_NUMBERS[-1]}), "how cdktf writes one of its tokens"),
        (put("name", "a-82e297"), "name: 'a-82e297' holds text cdktf reads as one of its tokens"),
        (
            put("state", {"backend": "s3", "bucket": "acme-state", "region": "eu-west-1", "key_prefix": "x/-82e297"}),
            "state.key_prefix: 'x/-82e297' holds text cdktf reads",
        ),
    ],
    ids=["number-token", "number-list-token", "fleet-name", "state-key-prefix"],
)
def test_a_token_where_no_escape_can_go_is_refused_naming_it(tmp_path, edit, message):
    """A number holds no directive, and Terraform reads the backend block as written: cdktf
    would read these as references (or fail on them), so the fleet model refuses them by name
    (`fleet validate` and the gate too), and the synth writes nothing."""
    import yaml

    from fleet.model.load import FleetError
    from main import synthesize

    path = tmp_path / "fleet.yaml"
    data = example_data("steady", edit)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(FleetError, match=message):
        synthesize(str(path), tmp_path / "out")
    assert not (tmp_path / "out").exists()

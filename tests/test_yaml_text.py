"""The tests' YAML writer (tests/support/yaml_text.py) hands printable-ASCII data to libyaml's
emitter on the claim that it writes what PyYAML's would: text that reads back as the same data.
This holds the claim to any such data - generated valid fleets and deep, odd-keyed trees of texts
and numbers - in every style the tests write, with both sets of representers (the bad-input files
quote unusual texts). The texts may differ in form: PyYAML writes an empty key before an empty
collection as an explicit `? ''` key, libyaml as `'':` (found here)."""

from __future__ import annotations

import string
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from support.bad_inputs import _FastQuoting, _Quoting
from support.examples import examples
from support.fleet_strategies import valid_fleets
from support.yaml_text import FastNoAliases, NoAliases, printable_ascii, same_on_libyaml

texts = st.text(alphabet=string.printable.strip() + " ", max_size=12)
scalars = texts | st.integers() | st.floats() | st.booleans() | st.none()
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4))
documents = st.lists(trees, max_size=4) | st.dictionaries(texts, trees, max_size=4)
STYLES = [
    {"sort_keys": False, "allow_unicode": True, "width": 4096},
    {"sort_keys": False, "allow_unicode": True, "default_flow_style": True, "width": 4096},
    {"sort_keys": False, "allow_unicode": True, "default_flow_style": None, "width": 4096},
]


def same_text(data: Any) -> None:
    assert same_on_libyaml(data)
    for options in STYLES:
        for fast, slow in ((FastNoAliases, NoAliases), (_FastQuoting, _Quoting)):
            written = yaml.dump(data, Dumper=fast, **options)
            assert read(written) == read(yaml.dump(data, Dumper=slow, **options)) == repr(data), written


def read(text: str) -> str:
    """The data a text holds, as PyYAML reads it (repr: NaN equals NaN)."""
    return repr(yaml.safe_load(text))


@settings(max_examples=examples(100), deadline=None)
@given(data=documents)
def test_libyaml_writes_any_printable_ascii_tree_as_pyyaml_does(data: Any) -> None:
    same_text(data)


@settings(max_examples=examples(5), deadline=None)
@given(data=valid_fleets())
def test_libyaml_writes_a_generated_fleet_as_pyyaml_does(data: dict[str, Any]) -> None:
    if same_on_libyaml(data):
        same_text(data)


def test_text_beyond_printable_ascii_is_left_to_pyyaml() -> None:
    assert not printable_ascii({"a": ["b", {"c": "caf\u00e9"}]})
    assert not printable_ascii({"tab\there": 1})
    assert not printable_ascii(["\ud83d"])
    assert printable_ascii({"a": [1, 2.5, None, True, {"b": "~!@#"}]})
    assert not same_on_libyaml("a lone scalar") and not same_on_libyaml(None)

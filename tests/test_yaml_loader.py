"""The fleet file's YAML is read on libyaml's parser when PyYAML has it (six times faster here), and
what a file means may not depend on that: for any text, the fast loader gives the same data as the
pure-Python one, or the same one-line refusal (fleet/model/load.py falls back to the pure-Python
loader for every text the fast one does not read, so that its words are the ones users see)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleet.model import load
from support.examples import examples
from support.fleet_strategies import valid_fleet_texts
from support.paths import EXAMPLES, ROOT

SNIPPETS = [
    *list(":-?,[]{}#&*!|>'\"%@`\\ \t\n"),
    *["\r\n", "\x07", "\x85", "\u2028", "\ufeff", "\ud83d", "é", "😀", "0x10", "0o7", "1_000", "1:20", "~"],
    *["&a ", "*a", "!!str ", "!!set ", "<<: ", "---\n", "...\n", "%YAML 1.2\n", "? ", "- ", ": ", '"\\x41"', "'it''s'"],
]
"""Pieces of YAML syntax, odd characters and YAML 1.1's other number forms, put anywhere."""

SETTINGS = settings(
    max_examples=examples(300), deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def outcome(text: str, fast: bool) -> tuple[str, Any]:
    with mock.patch.object(load, "LIBYAML", load.LIBYAML if fast else None):
        try:
            return "data", load.parse_yaml(text, "fleet.yaml")
        except load.FleetError as err:
            return "refused", str(err)


@st.composite
def spliced(draw: st.DrawFn) -> str:
    """An example fleet file with pieces of syntax put in, replaced or cut anywhere."""
    text = draw(st.sampled_from(sorted(EXAMPLES.glob("*.yaml")))).read_text()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        text = text[:at] + draw(st.sampled_from(SNIPPETS)) + text[at + cut :]
    return text


def test_libyaml_is_there_so_the_fast_loader_is_what_runs() -> None:
    assert load.LIBYAML is not None, "PyYAML without libyaml: fleet files are read by the pure-Python loader alone"


def test_without_libyaml_fleet_files_are_still_read() -> None:
    """PyYAML built without its C extension: the module loads and the pure-Python loader reads."""
    program = (
        "import sys; sys.modules['yaml._yaml'] = None\n"
        "from fleet.model import load\n"
        "assert load.LIBYAML is None\n"
        "print(load.load_fleet(sys.argv[1]).name)"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, str(EXAMPLES / "steady.yaml")], cwd=ROOT, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout.strip()) == (0, "acme"), done.stderr


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_reads_the_same_on_either_loader(example: str) -> None:
    text = (EXAMPLES / example).read_text()
    assert load.fast_loader(text) is not None, "the example would not take a fast loader"
    assert outcome(text, fast=True) == outcome(text, fast=False)
    assert outcome(text, fast=True)[0] == "data"


@pytest.mark.parametrize(
    "text",
    [
        "name: a*b\nregion: '&x'\n",  # the characters, but no anchor or alias
        "a: &x 1\nb: *x\n",
        "a: &x 1\n",
        "a: [*x]\n",
        "<<: {a: 1}\n",
        "a: 1\na: 2\n",
        "? [1]\n: 2\n",
        "a: 0x10\n",
        "a: 2024-02-30\n",
        "zones: [e? u-west-1a, b]\n",  # libyaml reads it, PyYAML refuses it: left to PyYAML
    ],
)
def test_anchors_aliases_and_refusals_read_the_same_on_every_loader(text: str) -> None:
    """A text with `&` or `*` goes to the loader that composes in Python (it refuses anchors and
    aliases), one without to the one that composes in C; every loader agrees."""
    if "?" in text:
        tier = None
    else:
        tier = load._FastStrictLoader if ("&" in text or "*" in text) else load._ComposedInC  # noqa: SLF001
    assert load.fast_loader(text) is tier
    assert outcome(text, fast=True) == outcome(text, fast=False)


@SETTINGS
@given(
    text=st.one_of(
        spliced(),
        valid_fleet_texts(),
        st.lists(st.sampled_from([*SNIPPETS, "a", "b", "1", " "]), max_size=20).map("".join),
    )
)
def test_any_text_reads_the_same_or_is_refused_in_the_same_words(text: str) -> None:
    assert outcome(text, fast=True) == outcome(text, fast=False)

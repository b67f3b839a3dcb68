"""`fleet next` and the deploy's next-step job: the plan's next step as the next fleet file (only
the step's lines change), its refusals, and the job that turns it into a PR - run offline, its git
push against a local bare remote and its GitHub API calls checked by shape with a fake `gh`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.model.load import load_fleet
from fleet.ops.next_step import BRANCH_PREFIX, NextRefused, NextWaits, Proposal, propose
from fleet.ops.shift_record import ShiftRecord
from support import fleets
from support.cli import run_fleet
from support.paths import ROOT

EXAMPLES = ROOT / "examples"
DEPLOY = ROOT / ".github" / "workflows" / "deploy.yml"
STEPS = (50, 100)
"""The examples move traffic 50% then 100% (`--weight-steps 50,100`), as tests/test_planner.py says."""

SEQUENCES = {"target swap": fleets.TARGET_SWAP, "hub swap": fleets.HUB_SWAP, "shift": fleets.SHIFT}
PAIRS = [(a, b) for chain in SEQUENCES.values() for a, b in zip(chain, chain[1:], strict=False)]
SHIFTED_WEIGHTS = {"blue": 0, "green": 100}


def text_of(name: str) -> str:
    return (EXAMPLES / f"{name}.yaml").read_text()


def header_and_body(text: str) -> tuple[list[str], list[str]]:
    """An example's opening comment (which says which step it is) and the rest."""
    lines = text.splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    return lines[:cut], lines[cut:]


def proposed(name: str, records: dict[str, ShiftRecord] | None = None, **kwargs: Any) -> Proposal | None:
    return propose(
        text_of(name),
        load_fleet(EXAMPLES / f"{name}.yaml"),
        STEPS,
        {} if records is None else records,
        since=kwargs.pop("since", 0.0),
        **kwargs,
    )


def done_shift(status: str = "done", before: dict[str, int] | None = None) -> dict[str, ShiftRecord]:
    return {
        "web": ShiftRecord(
            service="web",
            before=before or {"blue": 100, "green": 0},
            after=SHIFTED_WEIGHTS,
            steps=(5, 25, 50, 100),
            status=status,  # type: ignore[arg-type]
            reason="5xx 3% over 1%" if status == "rolled-back" else "",
        )
    }


# --- the next example, byte for byte ---------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_the_next_step_of_each_example_is_the_next_example(before, after):
    result = proposed(before, done_shift() if before == "target-swap-shift" else None)
    assert result is not None
    head, body = header_and_body(result.text)
    assert head == header_and_body(text_of(before))[0], "the file's own comments are kept"
    assert body == header_and_body(text_of(after))[1], "only the step's lines differ"
    assert result.branch.startswith(BRANCH_PREFIX)


@pytest.mark.parametrize("chain", list(SEQUENCES), ids=list(SEQUENCES))
def test_each_chain_ends_with_nothing_under_way(chain):
    last = SEQUENCES[chain][-1]
    if chain == "shift":
        return  # the shift example continues as target-swap-4-drained does
    assert proposed(last) is None
    assert proposed("steady") is None


def test_only_the_changed_lines_differ_and_their_comments_and_quotes_stay():
    text = text_of("target-swap-4-drained").replace(
        "        phase: registered\n", '        phase: "registered"   # drained, kept for a rollback\n', 1
    )
    fleet = load_fleet_text(text)
    result = propose(text, fleet, STEPS, {}, since=0.0)
    assert result is not None
    changed = [(a, b) for a, b in zip(text.splitlines(), result.text.splitlines(), strict=True) if a != b]
    assert changed == [
        (
            '        phase: "registered"   # drained, kept for a rollback',
            '        phase: "retiring"   # drained, kept for a rollback',
        )
    ]


def test_a_whole_chain_applies_to_the_end_and_each_branch_is_its_own(tmp_path):
    path = tmp_path / "fleet.yaml"
    shutil.copy(EXAMPLES / "two-services.yaml", path)
    branches = []
    for _ in range(10):
        result = propose(path.read_text(), load_fleet(path), STEPS, {}, since=0.0)
        if result is None:
            break
        branches.append(result.branch)
        path.write_text(result.text)
    else:
        pytest.fail("the chain never ended")
    assert len(branches) == len(set(branches)) == 5
    assert "apiblue:" not in path.read_text()
    assert "apigreen:               # the new generation" in path.read_text(), "comments kept to the end"


# --- refusals ----------------------------------------------------------------------------------


def test_mid_shift_is_refused_without_a_done_record():
    with pytest.raises(NextRefused, match=r"^services\.web: mid-shift"):
        proposed("target-swap-shift")
    with pytest.raises(NextRefused, match=r"^services\.web: mid-shift \(a fleet shift is under way\)"):
        proposed("target-swap-shift", done_shift("running"))


def test_a_rolled_back_shift_is_refused_with_its_revert():
    with pytest.raises(NextRefused, match=r"rolled back \(5xx 3% over 1%\); revert the file \(services\.web\.targets"):
        proposed("target-swap-shift", done_shift("rolled-back"))


def test_unread_shift_records_are_refused():
    with pytest.raises(NextRefused, match="^shift records: not read"):
        propose(text_of("target-swap"), load_fleet(EXAMPLES / "target-swap.yaml"), STEPS, None, since=0.0)


def load_fleet_text(text: str):
    from fleet.model.load import parse_yaml, validate

    return validate(parse_yaml(text, "test"), "test")


def test_two_incoming_generations_are_a_persons_decision():
    data = yaml.safe_load(text_of("target-swap"))
    green = data["services"]["web"]["targets"]["green"]
    data["services"]["web"]["targets"]["teal"] = {**json.loads(json.dumps(green)), "phase": "provisioning"}
    text = yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(NextRefused, match=r"green, teal are all incoming; .* a person's decision"):
        propose(text, load_fleet_text(text), STEPS, {}, since=0.0)


def test_opening_a_new_service_is_a_persons_decision():
    data = yaml.safe_load(text_of("target-swap-7-done"))
    data["services"]["web"]["targets"]["green"].update(phase="registered", weight=0)
    text = yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(NextRefused, match=r"^services\.web: opening the service to traffic is a person's decision"):
        propose(text, load_fleet_text(text), STEPS, {}, since=0.0)


@pytest.mark.parametrize("name", ["target-swap-4-drained", "hub-swap-2-promoted"])
def test_ending_a_rollback_waits_for_its_window(name):
    now = time.time()
    with pytest.raises(NextWaits, match="kept for its rollback window") as waits:
        proposed(name, since=now - 60, now=now, window_minutes=60)
    assert waits.value.until == now - 60 + 3600
    assert proposed(name, since=now - 3601, now=now, window_minutes=60) is not None
    assert proposed("target-swap-3-serving", since=now, now=now) is not None, "a traffic step never waits"


# --- the command line --------------------------------------------------------------------------


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return run_fleet("next", *args, cwd=cwd, env={k: v for k, v in os.environ.items() if k != "CI"})


def test_cli_writes_the_next_file_or_prints_it(tmp_path):
    path = tmp_path / "fleet.yaml"
    shutil.copy(EXAMPLES / "target-swap-5-retiring.yaml", path)
    printed = cli(str(path), "--print", "--since", "0")
    assert printed.returncode == 0 and printed.stdout != path.read_text()
    written = cli(str(path), "--since", "0")
    assert written.returncode == 0 and len(written.stdout.splitlines()) == 1
    assert path.read_text() == printed.stdout


def test_cli_says_nothing_under_way_in_one_line_and_refuses_in_one_line(tmp_path):
    done = cli("examples/target-swap-7-done.yaml")
    assert done.returncode == 0 and done.stdout.count("\n") == 1 and "nothing under way" in done.stdout
    refused = cli("examples/target-swap-shift.yaml")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "mid-shift" in refused.stderr
    as_json = json.loads(cli("examples/target-swap-shift.yaml", "--json").stdout)
    assert as_json["status"] == "refused"
    path = tmp_path / "fleet.yaml"
    shutil.copy(EXAMPLES / "target-swap-4-drained.yaml", path)
    waits = cli(str(path), "--json")  # just written: its rollback window has not begun to pass
    assert waits.returncode == 3 and json.loads(waits.stdout)["status"] == "waits"


# --- the deploy's next-step job ----------------------------------------------------------------


@pytest.fixture(scope="module")
def job() -> dict[str, Any]:
    jobs = yaml.safe_load(DEPLOY.read_text())["jobs"]
    if "next-step" not in jobs:
        pytest.skip("deploy.yml has no next-step job yet")
    return jobs["next-step"]


def by_id(job: dict[str, Any], step_id: str) -> dict[str, Any]:
    (found,) = [s for s in job["steps"] if s.get("id") == step_id]
    return found


def test_the_job_runs_after_the_checks_on_a_push_only_and_holds_no_write_token(job):
    assert set(job["needs"]) == {"step", "checks", "deployed"}
    assert "github.event_name == 'push'" in job["if"] and "!cancelled()" in job["if"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    uses = [s.get("uses", "").split("@")[0] for s in job["steps"]]
    assert "hashicorp/setup-terraform" not in uses and "actions/setup-node" not in uses
    assert not any("synth" in s.get("run", "") or "terraform" in s.get("run", "") for s in job["steps"])
    for step in job["steps"]:
        if step.get("uses", "").startswith("actions/checkout"):
            assert step["with"]["persist-credentials"] is False


def test_the_app_token_is_pinned_and_holds_only_contents_and_pull_requests_write(job):
    app = by_id(job, "app")
    action, _, rest = app["uses"].partition("@")
    assert action == "actions/create-github-app-token" and len(rest) == 40
    assert "# v3.1.1" in DEPLOY.read_text().split(app["uses"], 1)[1].splitlines()[0]
    perms = {k: v for k, v in app["with"].items() if k.startswith("permission-")}
    assert perms == {"permission-contents": "write", "permission-pull-requests": "write"}
    assert "vars.FLEET_APP_CLIENT_ID != ''" in app["if"]
    fallback = [s for s in job["steps"] if "FLEET_APP_CLIENT_ID == ''" in s.get("if", "")]
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in fallback)


def test_deploy_yml_passes_the_schema_and_zizmor(job):
    schema = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(DEPLOY)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    zizmor = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    if not Path(zizmor).exists():
        pytest.skip("zizmor is not installed")
    found = subprocess.run([zizmor, "--offline", str(DEPLOY.parent)], capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stdout + found.stderr


FAKE_PIPENV = r"""#!/usr/bin/env bash
[ "$1 $2" = "run python" ] || exit 97
shift 2
exec "$REAL_PYTHON" "$@"
"""

FAKE_GH = r"""#!/usr/bin/env bash
# gh api ...: logs its words, answers from canned JSON, applies --jq as gh does
printf '%s\n' "$*" >> "$GH_LOG"
jq_expr="."; prev=""; endpoint=""; method=GET
for a in "$@"; do
  case "$prev" in --jq) jq_expr="$a" ;; -X) method="$a" ;; esac
  case "$a" in repos/*) endpoint="$a" ;; esac
  prev="$a"
done
case "$method $endpoint" in
  "GET repos/acme/fleet/pulls?state=open&per_page=100") body="${FAKE_PULLS:-[]}" ;;
  "GET repos/acme/fleet/contents/fleet.yaml?ref="*)
    [ -n "${FAKE_THEIRS:-}" ] || exit 1
    cat "$FAKE_THEIRS"; exit 0 ;;
  "POST repos/acme/fleet/pulls") body='{"number": 7}' ;;
  "PATCH repos/acme/fleet/pulls/"*) body='{"number": 5}' ;;
  *) echo "fake gh: unexpected $*" >&2; exit 98 ;;
esac
jq -r "$jq_expr" <<< "$body"
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def workspace(tmp_path: Path, example: str, committed: str = "@0 +0000") -> tuple[Path, Path]:
    """A clone of a bare remote whose main holds `example` as fleet.yaml, committed at `committed`."""
    remote, work = tmp_path / "remote.git", tmp_path / "work"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(tmp_path, "init", "-q", "-b", "main", str(work))
    shutil.copy(EXAMPLES / f"{example}.yaml", work / "fleet.yaml")
    git(work, "add", "fleet.yaml")
    env = {**os.environ, "GIT_COMMITTER_DATE": committed, "GIT_AUTHOR_DATE": committed}
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "step"],
        cwd=work,
        check=True,
        env=env,
    )
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "-q", "origin", "main")
    return remote, work


def run_script(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """As GitHub runs a `run:` (`bash -e`), with fake pipenv and gh first on PATH."""
    bin_dir = cwd.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in (("pipenv", FAKE_PIPENV), ("gh", FAKE_GH)):
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    for name in ("github_output", "step_summary"):
        (cwd.parent / name).touch()
    full = {k: v for k, v in os.environ.items() if k != "CI"}
    full.update(
        PATH=f"{bin_dir}:{os.environ['PATH']}",
        REAL_PYTHON=sys.executable,
        PYTHONPATH=str(ROOT),
        GITHUB_OUTPUT=str(cwd.parent / "github_output"),
        GITHUB_STEP_SUMMARY=str(cwd.parent / "step_summary"),
        GH_LOG=str(cwd.parent / "gh_log"),
        GIT_CONFIG_GLOBAL=str(cwd.parent / "gitconfig"),
        **env,
    )
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-c", script],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def outputs(cwd: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in (cwd.parent / "github_output").read_text().splitlines() if "=" in line)


NEXT_ENV = {
    "DEPLOYED": "success",
    "CHECKS_RESULT": "success",
    "SHA": "abc123",
    "PASSED": json.dumps(["python -m fleet check target-green"]),
}
PR_ENV = {"GH_TOKEN": "t0ken", "APP_SLUG": "fleet-next", "REPO": "acme/fleet", "BASE": "main", "SHA": "abc123"}


def next_then_pr(job: dict[str, Any], tmp_path: Path, example: str, **pr_env: str):
    remote, work = workspace(tmp_path, example)
    first = run_script(by_id(job, "next")["run"], work, NEXT_ENV)
    assert first.returncode == 0, first.stderr
    out = outputs(work)
    env = {**PR_ENV, "BRANCH": out.get("branch", ""), "TITLE": out.get("title", ""), **pr_env}
    return remote, work, out, run_script(by_id(job, "pr")["run"], work, env)


def test_the_job_pushes_the_next_file_to_its_branch_and_opens_its_pr(tmp_path, job):
    remote, work, out, result = next_then_pr(job, tmp_path, "target-swap")
    assert result.returncode == 0, result.stderr
    assert out["status"] == "proposed" and out["branch"].startswith(BRANCH_PREFIX)
    pushed = git(remote, "show", f"refs/heads/{out['branch']}:fleet.yaml")
    assert pushed == (EXAMPLES / "target-swap.yaml").read_text().replace("weight: 100", "weight: 90", 1).replace(
        "phase: registered\n        weight: 0", "phase: serving\n        weight: 10"
    ), "the deploy's default weight steps: 10% first"
    assert git(remote, "log", "-1", "--format=%an%n%s", out["branch"]).splitlines() == ["fleet-next[bot]", out["title"]]
    assert git(remote, "rev-parse", f"{out['branch']}~1") == git(remote, "rev-parse", "main"), "one commit on main"
    calls = (tmp_path / "gh_log").read_text().splitlines()
    assert calls[0].startswith("api repos/acme/fleet/pulls?state=open&per_page=100 --jq")
    post = calls[-1].split()
    assert post[:4] == ["api", "-X", "POST", "repos/acme/fleet/pulls"]
    assert f"head={out['branch']}" in post and "base=main" in post and "body=@.fleet-next/body.md" in post
    body = (work / ".fleet-next" / "body.md").read_text()
    assert "- ✅ `python -m fleet check target-green`" in body and "To stop the swap instead" in body
    assert "t0ken" not in git(work, "config", "--list"), "the token never lands in .git/config"
    assert outputs(work)["outcome"] == "opened"
    assert git(work, "status", "--porcelain", "--", "fleet.yaml") == ""


def test_a_rerun_updates_the_apps_own_pr_and_a_persons_pr_is_left_alone(tmp_path, job):
    mine = json.dumps([{"number": 5, "user": {"login": "fleet-next[bot]"}, "head": {"ref": "BRANCH", "sha": "s1"}}])
    remote, work = workspace(tmp_path, "target-swap")
    first = run_script(by_id(job, "next")["run"], work, NEXT_ENV)
    assert first.returncode == 0, first.stderr
    out = outputs(work)
    env = {
        **PR_ENV,
        "BRANCH": out["branch"],
        "TITLE": out["title"],
        "FAKE_PULLS": mine.replace("BRANCH", out["branch"]),
    }
    updated = run_script(by_id(job, "pr")["run"], work, env)
    assert updated.returncode == 0, updated.stderr
    assert outputs(work)["outcome"] == "updated"
    patch = (work.parent / "gh_log").read_text().splitlines()[-1].split()
    assert patch[:4] == ["api", "-X", "PATCH", "repos/acme/fleet/pulls/5"]

    theirs = json.dumps([{"number": 9, "user": {"login": "alice"}, "head": {"ref": "swap-50", "sha": "s2"}}])
    env.update(FAKE_PULLS=theirs, FAKE_THEIRS=str(work / ".fleet-next" / "fleet.yaml"))
    before = git(remote, "rev-parse", out["branch"])
    left = run_script(by_id(job, "pr")["run"], work, env)
    assert left.returncode == 0, left.stderr
    assert "PR #9 by @alice already proposes this step: left alone" in (work.parent / "step_summary").read_text()
    assert git(remote, "rev-parse", out["branch"]) == before, "nothing pushed"


@pytest.mark.parametrize(
    ("example", "env", "status", "said"),
    [
        ("target-swap", {"DEPLOYED": "skipped", "CHECKS_RESULT": "failure"}, "stopped", "checks: failure"),
        ("target-swap-shift", {}, "refused", "mid-shift"),
        ("target-swap-7-done", {}, "nothing", "nothing under way"),
    ],
)
def test_a_failed_step_a_refusal_or_the_end_opens_nothing_and_says_why(tmp_path, job, example, env, status, said):
    _, work = workspace(tmp_path, example)
    result = run_script(by_id(job, "next")["run"], work, {**NEXT_ENV, **env})
    assert result.returncode == 0, result.stderr
    assert outputs(work)["status"] == status
    assert said in (work.parent / "step_summary").read_text()
    assert "branch" not in outputs(work)


def test_a_step_in_its_rollback_window_waits(tmp_path, job):
    _, work = workspace(tmp_path, "target-swap-4-drained", committed=f"@{int(time.time())} +0000")
    result = run_script(by_id(job, "next")["run"], work, NEXT_ENV)
    assert result.returncode == 0, result.stderr
    assert outputs(work)["status"] == "waits"
    assert "The scheduled run (every 30 minutes) opens its PR" in (work.parent / "step_summary").read_text()


def test_the_scheduled_run_opens_a_waiting_steps_pr_once_its_window_is_over(tmp_path, job):
    """The drained generation's merge is deployed (fleet-deployed at it) and its window is over."""
    _, work = workspace(tmp_path, "target-swap-4-drained", committed=f"@{int(time.time()) - 3601} +0000")
    git(work, "tag", "fleet-deployed", "HEAD")
    sha = git(work, "rev-parse", "HEAD").strip()
    env = {"EVENT": "schedule", "SHA": sha, "DEPLOYED": "skipped", "CHECKS_RESULT": "skipped", "PASSED": ""}
    result = run_script(by_id(job, "next")["run"], work, env)
    assert result.returncode == 0, result.stderr
    assert outputs(work)["status"] == "proposed"
    assert "fleet-deployed is at it" in (work / ".fleet-next" / "body.md").read_text()


def test_the_scheduled_run_proposes_nothing_from_a_commit_not_yet_deployed(tmp_path, job):
    _, work = workspace(tmp_path, "target-swap-4-drained", committed=f"@{int(time.time()) - 3601} +0000")
    sha = git(work, "rev-parse", "HEAD").strip()
    env = {"EVENT": "schedule", "SHA": sha, "DEPLOYED": "skipped", "CHECKS_RESULT": "skipped", "PASSED": ""}
    result = run_script(by_id(job, "next")["run"], work, env)
    assert result.returncode == 0, result.stderr
    assert outputs(work)["status"] == "stopped"
    assert "is not deployed yet" in (work.parent / "step_summary").read_text()

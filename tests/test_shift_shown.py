"""A shift's checks are shown where the step is decided: `fleet plan` lists them with their
thresholds under the step that runs `fleet shift`, and the PR comment's "On merge this runs" (the
merge step's markdown) carries the same line; the job summary's per-period values are asserted by
tests/test_shift.py and tests/test_shift_checks.py against the emulator."""

from __future__ import annotations

import copy

from fleet.model import Fleet
from fleet.model.load import load_fleet
from fleet.ops.edits import fleet_data
from fleet.ops.merge import merged_step
from support.cli import run_fleet
from support.paths import EXAMPLES

JUDGED = (
    "web's shift judges: 5xx <= 1%, connection errors <= 1%, ELB 5xx <= 1%, p99 latency <= 500 ms, "
    "unhealthy hosts <= 0 (periods of 50+ requests); against the outgoing generation: target 5xx +1, latency x1.5; "
    "checks: checkout-errors (cloudwatch) max 5, orders (cloudwatch insights) min 1, p99 (prometheus) max 0.4, "
    "relative x1.5; acceptance before the first step: a command"
)
"""What examples/target-swap-shift-0-ready.yaml's shift judges, as a reviewer reads it."""


def test_fleet_plan_lists_the_shifts_checks_under_its_command():
    printed = run_fleet("plan", EXAMPLES / "target-swap-shift-0-ready.yaml")
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    at = lines.index("     python -m fleet shift web")
    assert lines[at + 1] == f"   {JUDGED}", lines[at : at + 2]


def _with_checks(fleet: Fleet) -> Fleet:
    data = copy.deepcopy(fleet_data(fleet))
    data["services"]["web"]["traffic"]["shift"] = {
        "max_5xx_percent": 3,
        "relative": {"target_5xx": {"max_points": 1}},
        "checks": {
            "p99": {
                "prometheus": {"url": "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1", "query": "x"},
                "max": 0.4,
            }
        },
        "acceptance": {"http": {"path": "/healthz"}},
    }
    return Fleet.model_validate(data)


def test_the_pr_comment_shows_every_check_of_the_shift_it_runs():
    ready, mid = (load_fleet(EXAMPLES / f"{name}.yaml") for name in ("target-swap-shift-0-ready", "target-swap-shift"))
    comment = merged_step(_with_checks(ready), _with_checks(mid), ["shared"], records={}).as_markdown()
    assert (
        "web's shift judges: 5xx <= 3%, connection errors <= 1%, ELB 5xx <= 1%, p99 latency <= 500 ms, unhealthy "
        "hosts <= 0 (periods of 50+ requests); against the outgoing generation: target 5xx +1; checks: p99 "
        "(prometheus) max 0.4; acceptance before the first step: GET /healthz -> 200"
    ) in comment, comment

"""The example transitions the deploy runs: for each (base, head) pair of examples, the stacks
`fleet step` deploys or destroys, in order ("action stack"), and the checks after them. Read by
tests/test_pipeline.py (what `merged_step` returns) and tests/test_workflows.py (what deploy.yml runs)."""

from __future__ import annotations

CHECK = "python -m fleet check"
TRANSITIONS = {
    # (base, head) -> (runs as "action stack", checks); the examples move traffic 50% then 100%
    ("steady", "target-swap-1-provisioning"): (
        ["deploy shared", "deploy target-green"],
        [f"{CHECK} target-green --only cluster", f"{CHECK} shared"],
    ),
    ("target-swap-1-provisioning", "target-swap"): (["deploy argocd-blue"], [f"{CHECK} target-green"]),
    ("target-swap", "target-swap-3-serving"): (["deploy shared"], [f"{CHECK} target-green"]),
    ("target-swap-3-serving", "target-swap-4-drained"): (["deploy shared"], [f"{CHECK} target-green"]),
    ("target-swap-4-drained", "target-swap-5-retiring"): (
        ["deploy shared", "deploy argocd-blue"],
        [f"{CHECK} target-blue --before-destroy"],
    ),
    ("target-swap-5-retiring", "target-swap-6-destroyed"): (["destroy target-blue"], []),
    ("target-swap-6-destroyed", "target-swap-7-done"): (["deploy shared"], []),
    ("steady", "hub-swap"): (["deploy argocd-green"], [f"{CHECK} argocd-green --only cluster"]),
    ("hub-swap", "hub-swap-2-promoted"): (
        ["deploy argocd-blue", "deploy argocd-green"],
        [f"{CHECK} target-blue"],
    ),
    ("hub-swap-2-promoted", "hub-swap-3-destroyed"): (
        ["destroy argocd-blue"],
        [f"{CHECK} argocd-green", f"{CHECK} target-blue"],
    ),
    ("hub-swap-3-destroyed", "hub-swap-4-done"): ([], []),
}

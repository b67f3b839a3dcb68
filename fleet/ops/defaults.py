"""The operator commands' defaults, in one place: the planner and the checks use them, and the
command line's help text is made from them (importing this costs no AWS SDK)."""

from fleet.lifecycle import DEFAULT_WEIGHT_STEPS

__all__ = [
    "DEFAULT_WEIGHT_STEPS",
    "DEFAULT_WINDOW_MINUTES",
    "GROUPS",
    "MAX_WAIT_MINUTES",
    "MAX_WINDOW_MINUTES",
    "RETRY_SECONDS",
]

DEFAULT_WINDOW_MINUTES = 30
MAX_WINDOW_MINUTES = 7 * 24 * 60
"""CloudWatch keeps one-minute ALB data for 15 days; a week is plenty before a destroy."""

GROUPS = ("cluster", "argocd", "traffic")
"""What `--only` selects: the cluster (EKS cluster, node group, nodes), ArgoCD (its connection to
a target, the target's apps), traffic (load balancer, target groups, requests)."""

MAX_WAIT_MINUTES = 60
"""`--wait-minutes`: how long the pipeline may wait for checks to pass after a deploy."""
RETRY_SECONDS = 20
"""Pause between two tries of a failed check while waiting."""

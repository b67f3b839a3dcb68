"""The fleet: plain typed data read from the fleet file, and the commands around it. Nothing in
this package imports cdktf, constructs or the provider bindings, so `python -m fleet validate`
stays fast enough for a pre-commit hook.

    names, lifecycle, versions, ref, text   the shared vocabulary (import nothing else of fleet/)
    model/  the fleet file a user edits: limits, field types, models, loader
    gate/   what a PR may change: phase rules, diff, replacement table, guard, state, PR comment
    ops/    finishing a swap: planner, checks (AWS and Kubernetes clients)
"""

from fleet.model import App, Fleet, FleetError, Hub, Network, NodeGroup, Target, load_fleet

__all__ = ["App", "Fleet", "FleetError", "Hub", "Network", "NodeGroup", "Target", "load_fleet"]

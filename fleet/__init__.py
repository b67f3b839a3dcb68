"""The fleet model: plain typed data read from the fleet file, validated before any construct
is built. Nothing in this package imports cdktf, constructs or the provider bindings, so
`python -m fleet validate` stays fast enough for a pre-commit hook."""

from fleet.load import FleetError, load_fleet
from fleet.model import App, Fleet, Hub, Network, NodeGroup, Target

__all__ = ["App", "Fleet", "FleetError", "Hub", "Network", "NodeGroup", "Target", "load_fleet"]

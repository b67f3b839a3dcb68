"""The fleet file a user edits: its limits, field types, the models by concept, and the loader."""

from fleet.spec.fleet import Fleet
from fleet.spec.generation import Generation, Hub, NodeGroup, Target
from fleet.spec.load import FleetError, default_fleet, load_fleet
from fleet.spec.platform import Network
from fleet.spec.service import App, Service

__all__ = [
    "App",
    "Fleet",
    "FleetError",
    "Generation",
    "Hub",
    "Network",
    "NodeGroup",
    "Service",
    "Target",
    "default_fleet",
    "load_fleet",
]

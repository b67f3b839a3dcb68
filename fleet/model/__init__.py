"""The fleet file a user edits: its limits, field types, the models by concept, and the loader."""

from fleet.model.fleet import Fleet
from fleet.model.generation import Generation, Hub, NodeGroup, Target
from fleet.model.load import FleetError, default_fleet, load_fleet
from fleet.model.platform import Network
from fleet.model.service import App, Service

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

"""Typed references: a generation, and where generations live in the fleet file.

A generation is named three ways - its place in the fleet file (`services.web.targets.blue`), its
stack id (`target-blue`) and its cluster name (`acme-target-blue`) - and all three are derived
here from one `GenerationRef`. Nothing else builds or splits those strings:
`Fleet.find(stack_id)` turns a stack id back into a reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleet import names
from fleet.names import Kind


@dataclass(frozen=True)
class Section:
    """A mapping of the fleet file, by its keys from the top: `hubs`, `services`, or one
    service's `services.<svc>.targets`."""

    keys: tuple[str, ...]

    @classmethod
    def hubs(cls) -> Section:
        return cls(("hubs",))

    @classmethod
    def services(cls) -> Section:
        return cls(("services",))

    @classmethod
    def targets(cls, service: str) -> Section:
        return cls(("services", service, "targets"))

    @property
    def path(self) -> str:
        """As messages and the plan's JSON show it: `services.web.targets`."""
        return ".".join(self.keys)

    @property
    def service(self) -> str | None:
        """The service whose targets this is; None for `hubs` and `services`."""
        return self.keys[1] if len(self.keys) == 3 else None

    def lookup(self, data: Any) -> Any:
        """The mapping at this section of a fleet (its attributes) or of its data (dict keys);
        KeyError when a key is missing."""
        for key in self.keys:
            if isinstance(data, Mapping):
                data = data[key]
            else:
                data = getattr(data, key)
                if data is None:
                    raise KeyError(key)
        return data

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True)
class GenerationRef:
    """One generation: a hub, or a target of one service."""

    kind: Kind
    name: str
    service: str | None = None
    """The service a target belongs to; None for a hub."""

    @classmethod
    def hub(cls, name: str) -> GenerationRef:
        return cls("hub", name)

    @classmethod
    def target(cls, service: str, name: str) -> GenerationRef:
        return cls("target", name, service)

    @property
    def stack_id(self) -> str:
        return names.stack_id(self.kind, self.name)

    @property
    def section(self) -> Section:
        if self.kind == "hub":
            return Section.hubs()
        assert self.service is not None, "a target belongs to a service"
        return Section.targets(self.service)

    @property
    def path(self) -> str:
        """Its place in the fleet file: `hubs.blue`, `services.web.targets.green`."""
        return f"{self.section.path}.{self.name}"

    def cluster_name(self, fleet_name: str) -> str:
        return names.cluster_name(fleet_name, self.kind, self.name)

    def __str__(self) -> str:
        return self.path


def parse_stack_id(stack: str) -> tuple[Kind, str] | None:
    """`target-blue` -> ("target", "blue"); None for `shared` and anything that is not a
    generation's stack id. Which service a target belongs to only the fleet knows:
    `Fleet.find` gives the whole reference."""
    for kind in names.KINDS:
        prefix = f"{names.NAME_SEGMENT[kind]}-"
        if stack.startswith(prefix) and len(stack) > len(prefix):
            return kind, stack[len(prefix) :]
    return None

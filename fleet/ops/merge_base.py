"""The fleet before a merge, as the merge step reads it (`fleet.ops.merge`): the fleet when this
release's schema loads the file, else what its raw data says of the services' weights and shifts
(an older base never blocks a deploy)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleet.lifecycle import REGISTERED_PHASES
from fleet.model import Fleet
from fleet.ops.shift_record import Weights, file_weights


@dataclass(frozen=True)
class Base:
    """The fleet before the merge. `fleet` is None when this release's schema refuses the file
    (`refused` says why): then the services' weights and shift settings come from its raw data."""

    fleet: Fleet | None
    weights: Mapping[str, Weights]
    shifts: Mapping[str, Any]
    """Per service, its `traffic.shift` as JSON (None when it has none)."""
    label: str = "the base"
    refused: str = ""
    services_read: bool = True
    """False when not even the raw file says which services it had (then no weight is known)."""

    @classmethod
    def of(cls, fleet: Fleet, label: str = "the base") -> Base:
        return cls(
            fleet,
            {service: file_weights(fleet, service) for service in fleet.services},
            {
                s: (spec.traffic.shift.model_dump(mode="json") if spec.traffic.shift else None)
                for s, spec in fleet.services.items()
            },
            label,
        )

    @classmethod
    def unloaded(cls, data: Any, label: str, refused: str) -> Base:
        """What the raw data of a file the schema refuses says of weights and shifts; whatever is
        not where this release expects it counts as no weight and no shift."""
        services = _mapping(_mapping(data).get("services"))
        weights: dict[str, Weights] = {}
        shifts: dict[str, Any] = {}
        for service, spec in services.items():
            targets = _mapping(_mapping(spec).get("targets"))
            weights[str(service)] = {
                str(gen): weight
                for gen, target in targets.items()
                if _mapping(target).get("phase") in REGISTERED_PHASES
                and isinstance(weight := _mapping(target).get("weight", 0), int)
            }
            shifts[str(service)] = _mapping(_mapping(spec).get("traffic")).get("shift")
        return cls(None, weights, shifts, label, refused, services_read=bool(services))


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}

"""What `fleet validate` and the synth say before they go on: a live generation's Kubernetes
version out of standard support, and a door the fleet opens wide on purpose (its opt-in set)."""

from __future__ import annotations

from datetime import date

from fleet.lifecycle import DESTROYED
from fleet.model.fleet import Fleet
from fleet.model.types import some
from fleet.versions import BY_VERSION, newest, today


def exposure_warnings(fleet: Fleet) -> list[str]:
    """One line per door the fleet opens wide on purpose (its opt-in is set)."""
    lines = [
        f"services.{n}.traffic.internet_facing: its ALB takes requests from {some(s.traffic.allowed_cidrs)}"
        for n, s in fleet.services.items()
        if s.traffic.internet_facing
    ]
    lines += [
        f"{where}: {cidr} is a wide public range (allow_wide_admin_cidrs)" for where, cidr in fleet._admin_doors()
    ]
    return lines


def warnings(fleet: Fleet, on: date | None = None) -> list[str]:
    """What validate and synth print before they go on: versions out of support, doors opened wide."""
    return support_warnings(fleet, on) + exposure_warnings(fleet)


def support_warnings(fleet: Fleet, on: date | None = None) -> list[str]:
    """One line per live generation on a version out of standard support, with the way out."""
    on = on or today()
    best = newest(on)
    lines = []
    for ref, gen in fleet.generations():
        at = ref.path
        if gen.phase == DESTROYED:
            continue
        eks = BY_VERSION[gen.kubernetes_version]
        support = eks.support(on)
        where = f"{at}.kubernetes_version"
        swap = f"swap it for a new generation on {best.version} (standard support until {best.end_of_standard})"
        if support == "extended":
            lines.append(
                f"{where}: {eks.version} is in extended support (extra cost) until {eks.end_of_extended}; {swap}"
            )
        elif support == "ended":
            lines.append(
                f"{where}: {eks.version} left extended support on {eks.end_of_extended} and AWS may upgrade "
                f"its control plane at any time; {swap}"
            )
    return lines

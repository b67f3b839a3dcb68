"""What `python -m fleet validate` prints of a valid fleet: its stacks, hubs and services."""

from __future__ import annotations

from fleet import names
from fleet.model.access import grant_summary
from fleet.model.fleet import Fleet


def summary(fleet: Fleet) -> str:
    stacks = [names.SHARED_STACK] + [ref.stack_id for ref, _ in fleet.generations()]
    hubs = ", ".join(f"{n} ({h.phase}, {h.kubernetes_version})" for n, h in fleet.hubs.items())
    network = f"reuse {fleet.network.vpc_id}" if fleet.network.vpc_id else f"create {fleet.network.cidr}"
    lines = [
        f"fleet {fleet.name} in {fleet.region}, network: {network}, state: {fleet.state.backend}",
        f"stacks:  {' '.join(stacks)}",
        f"hubs:    {hubs} (every hub serves every service)",
    ]
    for name, service in fleet.services.items():
        targets = ", ".join(
            f"{n} ({t.phase}, {t.kubernetes_version}, weight {t.weight})" for n, t in service.targets.items()
        )
        apps = ", ".join(
            f"{n} {a.chart}@{a.version}" if a.helm else f"{n} {a.path}@{a.revision}" for n, a in service.apps.items()
        )
        lines += [
            f"service {name}: ALB {names.alb_name(fleet.name, name)} serves {service.traffic.app}, "
            f"ArgoCD project {names.project_name(name)}",
            f"  targets: {targets}",
            f"  apps:    {apps}",
            f"  ArgoCD:  {grant_summary(service)}",
        ]
    return "\n".join(lines)

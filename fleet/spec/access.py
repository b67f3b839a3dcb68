"""What the hub may do on a service's targets: the one place the grant is worked out.

Three things carry it, and each takes it from `grant_of` alone, so they cannot disagree:
the target's EKS access policies (constructs/shared_argo_role.py), the hub's cluster Secret for
that target (`namespaces`, `clusterResources`) and the service's AppProject
(`clusterResourceWhitelist`), both in constructs/argocd_cluster.py.

- By default the grant is the namespaces of the service's apps, nothing cluster-wide: the target
  stack creates each of those namespaces, so ArgoCD never needs to.
- A service that lists `cluster_resources` (kinds and groups) in the fleet file widens it: then
  ArgoCD may also write cluster-scoped objects, and its project admits exactly those kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet.spec.service import Service


@dataclass(frozen=True)
class HubGrant:
    """What SharedArgoRole (ArgoCD's application controller) may touch on a target of one service."""

    namespaces: tuple[str, ...]
    """The service's apps' namespaces, sorted: the only namespaces it may write to."""
    cluster_resources: tuple[tuple[str, str], ...] = ()
    """(API group, kind) of each cluster-scoped kind the service declared, in the fleet file's
    order; empty: nothing cluster-scoped."""

    @property
    def cluster_wide(self) -> bool:
        """Whether it may write anything outside its namespaces (only when declared)."""
        return bool(self.cluster_resources)

    def describe(self) -> str:
        """One line, for `fleet validate` and docs/security.md."""
        scope = f"write in namespaces {', '.join(self.namespaces)}"
        if not self.cluster_wide:
            return f"{scope}; nothing cluster-scoped"
        kinds = ", ".join(f"{kind} ({group or 'core'})" for group, kind in self.cluster_resources)
        return f"{scope}; cluster-scoped: {kinds} (declared in cluster_resources)"


def grant_of(service: Service) -> HubGrant:
    """The grant every target generation of `service` gets, and its hub registrations name."""
    return HubGrant(
        namespaces=tuple(sorted({app.namespace for app in service.apps.values()})),
        cluster_resources=tuple(dict.fromkeys((r.group, r.kind) for r in service.cluster_resources)),
    )


def namespace_labels(service: Service) -> dict[str, str]:
    """Each grant namespace -> the app it is labelled with on the target (`ephemeral-eks.io/app`):
    the served app for its own namespace, else the first app listed there."""
    labels: dict[str, str] = {service.served_app.namespace: service.traffic.app}
    for name, app in service.apps.items():
        labels.setdefault(app.namespace, name)
    return {ns: labels[ns] for ns in grant_of(service).namespaces}

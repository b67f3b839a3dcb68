"""What the hub may do on a target generation: the one place the grant is worked out.

Three things carry it, and each takes it from `grant_of` alone, so they cannot disagree: the
target's EKS access policies (constructs/shared_argo_role.py), the hub's cluster Secret for that
target (`namespaces`, `clusterResources`) and the service's AppProject (its destinations for that
cluster, `clusterResourceWhitelist`), both in constructs/argocd_cluster.py.

- By default a generation's grant is its service's: the namespaces of the service's apps, nothing
  cluster-wide. The target stack creates each of those namespaces, so ArgoCD never needs to.
- A service that lists `cluster_resources` (kinds and groups) in the fleet file widens it: then
  ArgoCD may also write cluster-scoped objects there, and its project admits exactly those kinds.
- A generation keeps the grant it was born with: `targets.<gen>.grant` pins it (like `lbc_chart`),
  so a service can add or drop an app's namespace while its live generations keep theirs; the
  guard refuses a live generation's grant changing in place (a new generation takes the new one).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, StrictStr, field_validator

from fleet import names
from fleet.model.limits import SYSTEM_NAMESPACES
from fleet.model.types import DnsLabel, Model, pattern

if TYPE_CHECKING:
    from fleet.model.service import Service


class ClusterResource(Model):
    """A cluster-scoped kind a service's apps may create (an AppProject's clusterResourceWhitelist)."""

    group: Annotated[
        StrictStr,
        pattern(
            r"|[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?", "an API group such as rbac.authorization.k8s.io (empty for core)"
        ),
    ]
    """API group; "" for the core group."""
    kind: Annotated[StrictStr, pattern(r"[A-Z][A-Za-z0-9]{0,62}", "a Kubernetes kind such as ClusterRole")]


class Grant(Model):
    """What ArgoCD (SharedArgoRole, its application controller) may touch on one target generation:
    AmazonEKSAdminPolicy on `namespaces`, and AmazonEKSClusterAdminPolicy at cluster scope only
    when `cluster_resources` lists kinds. As a pin (`targets.<gen>.grant`) it is what the
    generation was born with; `fleet validate` and the guard's refusals print it ready to paste."""

    namespaces: tuple[DnsLabel, ...] = Field(min_length=1)
    """The namespaces ArgoCD may write in (the target stack creates each). Any order; at least one."""
    cluster_resources: tuple[ClusterResource, ...] = ()
    """Cluster-scoped kinds ArgoCD may write. Default: none (nothing cluster-scoped)."""

    @field_validator("namespaces", mode="before")
    @classmethod
    def _some_namespace(cls, value: object) -> object:
        if isinstance(value, list | tuple) and not value:
            raise ValueError("list at least the served app's namespace (an empty list would mean every namespace)")
        return value

    @field_validator("namespaces")
    @classmethod
    def _own_namespaces(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for namespace in value:
            if namespace in SYSTEM_NAMESPACES or namespace in names.PLATFORM_NAMESPACES:
                raise ValueError(
                    f"{namespace} is Kubernetes' or the platform's own; ArgoCD is never granted it: list the apps' "
                    "namespaces only"
                )
        if len(set(value)) != len(value):
            raise ValueError("list each namespace once")
        return tuple(sorted(value))

    @property
    def kinds(self) -> tuple[tuple[str, str], ...]:
        """(API group, kind) of each cluster-scoped kind, once each, in the order listed."""
        return tuple(dict.fromkeys((r.group, r.kind) for r in self.cluster_resources))

    @property
    def cluster_wide(self) -> bool:
        """Whether it may write anything outside its namespaces (only when declared)."""
        return bool(self.cluster_resources)

    def same(self, other: Grant) -> bool:
        """The same namespaces and the same kinds, whatever order they were listed in."""
        return self.namespaces == other.namespaces and set(self.kinds) == set(other.kinds)

    def describe(self) -> str:
        """One line, for `fleet validate`."""
        scope = f"write in namespaces {', '.join(self.namespaces)}"
        if not self.cluster_wide:
            return f"{scope}; nothing cluster-scoped"
        kinds = ", ".join(f"{kind} ({group or 'core'})" for group, kind in self.kinds)
        return f"{scope}; cluster-scoped: {kinds} (declared in cluster_resources)"

    def pin(self) -> str:
        """The grant as a fleet file's flow mapping, to paste: `{namespaces: [api, guestbook]}`."""
        text = f"namespaces: [{', '.join(_yaml(n) for n in self.namespaces)}]"
        if self.cluster_resources:
            kinds = ", ".join(f"{{group: {_yaml(group)}, kind: {_yaml(kind)}}}" for group, kind in self.kinds)
            text += f", cluster_resources: [{kinds}]"
        return "{" + text + "}"


PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9.-]*")
YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
"""Plain scalars YAML 1.1 reads as booleans or null (PyYAML, which loads the fleet file)."""


def _yaml(value: str) -> str:
    """`value` as a YAML flow scalar that reads back as this string: plain where it can be."""
    return value if PLAIN.fullmatch(value) and value.lower() not in YAML_WORDS else json.dumps(value)


def service_grant(service: Service) -> Grant:
    """The grant a new target generation of `service` gets: its apps' namespaces, and the
    cluster-scoped kinds it declares. Built from the validated service without validating again:
    the stacks read it from a fleet whose strings are already escaped for Terraform
    (stacks/literal.py), which no longer read as DNS labels."""
    return Grant.model_construct(
        namespaces=tuple(sorted({app.namespace for app in service.apps.values()})),
        cluster_resources=service.cluster_resources,
    )


def grant_of(service: Service, generation: str | None = None) -> Grant:
    """What ArgoCD may do on target `generation` of `service`: its pin (`targets.<gen>.grant`),
    else the service's grant. Without a generation: the service's (what new ones get)."""
    pinned = service.targets[generation].grant if generation is not None else None
    return pinned if pinned is not None else service_grant(service)


def namespace_labels(service: Service, generation: str) -> dict[str, str]:
    """Each namespace of the generation's grant -> the app its `ephemeral-eks.io/app` label names:
    the served app for its own namespace, else the first app listed there; "" for a pinned
    namespace no app of the service uses any more (kept while the generation lives)."""
    labels: dict[str, str] = {service.served_app.namespace: service.traffic.app}
    for name, app in service.apps.items():
        labels.setdefault(app.namespace, name)
    return {ns: labels.get(ns, "") for ns in grant_of(service, generation).namespaces}


def grant_summary(service: Service) -> str:
    """`fleet validate`'s line for a service: what its new generations get, and each generation
    pinned to another grant."""
    grant = service_grant(service)
    kept = [
        f"{name} keeps {pinned.pin()}"
        for name, target in service.targets.items()
        if (pinned := target.grant) is not None and not pinned.same(grant)
    ]
    return grant.describe() + "".join(f"; {k}" for k in kept)

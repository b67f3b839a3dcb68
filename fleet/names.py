"""Every deterministic name in the fleet, in one place.

`shared` creates things under these names and the generation stacks find them again by the
same names through data sources - that is what keeps generation stacks free of cross-stack
references. Changing a function here renames (replaces) real infrastructure.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

Kind = Literal["hub", "target"]
"""A generation is a hub (runs ArgoCD) or a target (runs the apps). One word in code and docs: hub."""
KINDS: tuple[Kind, ...] = ("hub", "target")
NAME_SEGMENT: dict[Kind, str] = {"hub": "argocd", "target": "target"}
"""The kind as stack ids and cluster names spell it (`argocd-blue`, `acme-argocd-blue`): a public
contract older than the word hub, kept because renaming it replaces real infrastructure."""

SHARED_STACK = "shared"
ARGOCD_NAMESPACE = "argocd"
"""The namespace ArgoCD runs in on every hub: the argo-cd release, its Pod Identity associations,
SharedArgoRole's trust, the cluster Secrets, ApplicationSets and AppProjects, and what the planner
and `fleet check` read there. (Not the hub stacks' id segment `argocd`, nor the release's name.)"""
LOAD_BALANCER_CONTROLLER_NAMESPACE = "kube-system"
"""Where every target runs the AWS Load Balancer Controller."""
PLATFORM_NAMESPACES: tuple[str, ...] = (ARGOCD_NAMESPACE, LOAD_BALANCER_CONTROLLER_NAMESPACE)
"""Namespaces the platform itself runs in: no app of a service may deploy there."""
ARGOCD_SERVICE_ACCOUNTS: tuple[str, ...] = ("argocd-application-controller",)
"""The argo-cd chart's service accounts that must reach target clusters: SharedArgoRole trusts
them and every hub associates them with it, from this one list. Only the application controller
syncs, prunes and watches the targets. The applicationset controller reads cluster Secrets in
ArgoCD's namespace on the hub, never a target; `argocd-server` reaches a target only for
interactive calls (live resource, pod logs, events, resource actions, exec, `app manifests`), which
this fleet leaves to operators' own credentials (docs/security.md, "What ArgoCD holds")."""
TAG_FLEET = "ephemeral-eks/fleet"
TAG_STACK = "ephemeral-eks/stack"
"""On everything a stack creates (the AWS provider's default tags): the stack id."""
TAG_TIER = "ephemeral-eks/tier"
"""On the subnets `shared` creates (`private` / `public`): generation stacks find theirs by it."""
LABEL_GENERATION = "ephemeral-eks.io/generation"
"""The cluster-Secret label ArgoCdCluster sets; the planner's checks select apps by it."""
LABEL_SERVICE = "ephemeral-eks.io/service"
"""The cluster-Secret label a service's ApplicationSets select its clusters by."""
ANNOTATION_VALUES = "ephemeral-eks.io/values."
"""A cluster Secret's `ephemeral-eks.io/values.<app>` annotation: that generation's Helm values
for the app (YAML), which the app's ApplicationSet passes to Helm."""
TAG_SERVICE = "ephemeral-eks/service"
"""On a service's ALB, its target groups and its target stacks' resources."""


TAG_GENERATION = "ephemeral-eks/generation"
"""On the resources `shared` keeps for one target generation (its target group, its rule): the
guard reads whose they are from it."""


def stack_id(kind: Kind, generation: str) -> str:
    """`argocd-blue`, `target-green`: the id `cdktf deploy` takes."""
    return f"{NAME_SEGMENT[kind]}-{generation}"


PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The repository: local state lives under it, and `python -m fleet diff` synthesizes it."""
STATE_DIR = "state"
"""Local state lives under `<project root>/state/`, never inside the synth output."""


def local_state_file(fleet: str, region: str, stack: str) -> str:
    """Path of a stack's local state, relative to the project root: one file per fleet, region and
    stack, whatever the output directory (`CDKTF_OUTDIR`) is."""
    return f"{STATE_DIR}/{fleet}/{region}/{stack}.tfstate"


def local_state_identity(path: str) -> str:
    """The part of a local backend path from `state/` on (`state/acme/eu-west-1/shared.tfstate`),
    whatever directory it was written relative to: two synths into different output directories
    name the same state."""
    parts = path.replace("\\", "/").split("/")
    starts = [i for i, part in enumerate(parts) if part == STATE_DIR]
    return "/".join(parts[starts[-1] :] if starts else parts[-3:])


def s3_state_key(key_prefix: str, fleet: str, region: str, stack: str) -> str:
    """`<key_prefix>/<fleet>/<region>/<stack>.tfstate`: two fleets in one bucket, even of one name
    in two regions, never share an object."""
    return f"{key_prefix}/{fleet}/{region}/{stack}.tfstate"


def cluster_name(fleet_name: str, kind: Kind, generation: str) -> str:
    return f"{fleet_name}-{NAME_SEGMENT[kind]}-{generation}"


def node_group_name(cluster: str) -> str:
    """A generation's one managed node group."""
    return f"{cluster}-nodes"


def hub_cluster_pattern(fleet_name: str) -> str:
    """Matches every hub generation's cluster name, and only those of this fleet's hubs."""
    return f"{fleet_name}-{NAME_SEGMENT['hub']}-*"


def shared_role_name(fleet_name: str) -> str:
    return f"{fleet_name}-argocd"


def client_security_group_name(fleet_name: str) -> str:
    return f"{fleet_name}-argocd-client"


def alb_name(fleet_name: str, service: str) -> str:
    """A service's own ALB: at most 12 + 1 + 12 + 4 = 29 characters (AWS allows 32)."""
    return f"{fleet_name}-{service}-alb"


def alb_security_group_name(fleet_name: str, service: str) -> str:
    return f"{fleet_name}-{service}-alb"


def project_name(service: str) -> str:
    """A service's ArgoCD AppProject (one hub per fleet, so the service name is unique there)."""
    return service


def application_set_name(service: str, app: str) -> str:
    return f"{service}-{app}"


def target_group_name(fleet_name: str, generation: str) -> str:
    """At most 32 characters: the fleet model bounds the fleet name and generation lengths for it."""
    return f"{fleet_name}-{generation}"


PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-iso-", "aws-iso"), ("us-isob-", "aws-iso-b"))
"""Region fleet_name -> partition; the ISO-E and ISO-F regions (`eu-isoe-*`, `us-isof-*`) follow the
same rule below ("Partitions", https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html)."""


def partition(region: str) -> str:
    """The AWS partition a region belongs to."""
    for prefix, name in PARTITIONS:
        if region.startswith(prefix):
            return name
    iso = region.split("-")[1] if region.count("-") >= 2 else ""
    if iso.startswith("iso") and len(iso) == 4:  # isoe, isof: aws-iso-e, aws-iso-f
        return f"aws-iso-{iso[3]}"
    return "aws"


def vpc_name(fleet_name: str) -> str:
    return fleet_name


def rule_priority(generation: str) -> int:
    """Priority (1-49999) of the ALB listener rule that reaches one target generation by header:
    from its name alone, so adding or removing a generation never renumbers another's rule. The
    fleet model refuses two generations whose priorities collide."""
    return 1 + int(hashlib.sha256(generation.encode()).hexdigest(), 16) % 49_999


def weight_variable(service: str, generation: str) -> str:
    """The `shared` stack's Terraform variable holding a shifted service's generation's weight;
    names have no `_`, so `weight_<service>_<generation>` is unambiguous."""
    return f"weight_{service}_{generation}"

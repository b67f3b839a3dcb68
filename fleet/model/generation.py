"""A generation: a hub (`argocd-<name>`) or a target (`target-<name>`) cluster, with its nodes."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    Field,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from fleet.lifecycle import REGISTERED_PHASES, HubPhase, TargetPhase
from fleet.model.access import Grant
from fleet.model.instances import AmiType, ami_type_for
from fleet.model.limits import MAX_INSTANCE_TYPES, MAX_PUBLIC_ACCESS_CIDRS
from fleet.model.platform import Addons
from fleet.model.types import (
    AppName,
    ChartVersion,
    Cidr,
    HelmValues,
    KubernetesVersion,
    Model,
    SubnetId,
    Zone,
    limit,
    no_overlap,
    not_the_internet,
    pattern,
)
from fleet.versions import binding_chart_versions


class NodeGroup(Model):
    """A managed node group's size. Safe to change in place on a live generation."""

    instance_types: tuple[
        Annotated[StrictStr, pattern(r"[a-z0-9-]+\.[a-z0-9]+", "an EC2 instance type such as m6i.large")], ...
    ] = Field(default=("m6i.large",), min_length=1)
    """1-20 types, of one architecture (a node group with a launch template takes at most 20: EKS
    CreateNodegroup). Default: m6i.large."""
    min_size: Annotated[StrictInt, Field(ge=1, le=450)] = 2
    """Default: 2 (one node per zone survives a zone loss)."""
    desired_size: Annotated[StrictInt, Field(ge=1, le=450)] = 2
    """Default: 2."""
    max_size: Annotated[StrictInt, Field(ge=1, le=450)] = 4
    """Default: 4."""
    disk_size_gib: Annotated[StrictInt, Field(ge=20, le=16384)] = 50
    """Root volume size (encrypted gp3). Default: 50."""
    ami_type: AmiType | None = None
    """The nodes' AMI type. Default: Amazon Linux 2023 for the instance types' architecture (an
    Arm family such as m7g takes AL2023_ARM_64_STANDARD). GPU and Neuron families need it set
    (AL2023_x86_64_NVIDIA, AL2023_ARM_64_NVIDIA, AL2023_x86_64_NEURON)."""

    @limit("instance_types", MAX_INSTANCE_TYPES)
    def _too_many_types(n: int, most: int) -> str:
        return f"{n} instance types; a node group with a launch template takes at most {most} (EKS CreateNodegroup): list fewer"

    @model_validator(mode="after")
    def _one_ami(self) -> NodeGroup:
        ami_type_for(self.instance_types, self.ami_type)
        return self

    @property
    def resolved_ami_type(self) -> AmiType:
        """The AMI type the node group runs: `ami_type`, or the one its instance types take."""
        return ami_type_for(self.instance_types, self.ami_type)

    @model_validator(mode="after")
    def _sizes_ordered(self) -> NodeGroup:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"min_size ({self.min_size}) <= desired_size ({self.desired_size}) <= "
                f"max_size ({self.max_size}) must hold; adjust the three sizes"
            )
        return self


class Generation(Model):
    kubernetes_version: KubernetesVersion
    """EKS Kubernetes minor version, quoted ("1.33"). Immutable once live: add a generation."""
    nodes: NodeGroup = NodeGroup()
    """Default: NodeGroup() - two m6i.large nodes, up to four."""
    public_access_cidrs: tuple[Cidr, ...] = ()
    """CIDRs allowed to reach the public API endpoint. Default: none - the public endpoint is
    off and the API answers only inside the VPC (run cdktf from a runner in the VPC)."""
    zones: tuple[Zone, ...] | None = None
    """The zones of `network.zones` (a created VPC) this generation's control plane and nodes use.
    Default: all of them, as they are when the file is read. Pin a live generation to the zones it
    was born with before adding a zone to `network.zones`: new generations then use the new zone
    while the live ones keep their subnets (moving subnets replaces a node group)."""
    private_subnet_ids: tuple[SubnetId, ...] | None = None
    """The subnets of `network.private_subnet_ids` (a reused VPC) this generation uses. Default:
    all of them. Pin a live generation to its subnets before changing the fleet's list."""
    service_cidr: Cidr | None = None
    """This generation's Kubernetes service range. Default: the fleet's `service_cidr`. Pin a live
    generation to its range before changing the fleet's (a new range replaces a cluster)."""
    addons: Addons = Addons()
    """The EKS add-on versions this generation runs, each checked against what EKS offers for its
    `kubernetes_version` (fleet/addons.py). Default: the fleet's `addons`, the defaults for new
    generations. Pin a live generation's versions before bumping the fleet's: an add-on upgrade is
    a swap, not an in-place change."""

    @field_validator("zones", "private_subnet_ids")
    @classmethod
    def _two_distinct(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and (len(value) < 2 or len(set(value)) != len(value)):
            raise ValueError("list at least two distinct entries (EKS needs subnets in two zones)")
        return value

    @limit("public_access_cidrs", MAX_PUBLIC_ACCESS_CIDRS)
    def _too_many_cidrs(n: int, most: int) -> str:
        return f"{n} CIDRs; EKS takes at most {most} for a public endpoint (EKS service quotas): list wider ranges"

    @field_validator("public_access_cidrs")
    @classmethod
    def _cidrs_distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        not_the_internet(value, "the API endpoint")
        return no_overlap(value, "public_access_cidrs")


class Hub(Generation):
    """An ArgoCD (hub) generation: stack `argocd-<name>`."""

    phase: HubPhase
    """`standby` (registered everything, paused) -> `active` (the one that syncs) -> `retiring`
    (paused again, until `cdktf destroy`)."""
    argocd_chart: ChartVersion | None = None
    """Version of argo-helm's argo-cd chart this hub runs. Default: `argocd.chart_version`, the
    fleet's default for new hubs. Pin a live hub before bumping the default: an ArgoCD upgrade is
    a hub swap, not an in-place change."""
    apps_chart: ChartVersion | None = None
    """Version of argo-helm's argocd-apps chart (the ApplicationSets) this hub runs. Default:
    `argocd.apps_chart_version`."""


class Target(Generation):
    """A target generation ArgoCD deploys to: stack `target-<name>`."""

    phase: TargetPhase
    """`provisioning` (stack and target group exist, no hub knows it) -> `registered` (every hub
    deploys the apps to it) -> `serving` (takes traffic) -> `retiring` (deregistered, apps left
    running, until `cdktf destroy`)."""
    weight: Annotated[StrictInt, Field(ge=0, le=100)]
    """Share of its service's traffic, 0-100: above 0 exactly when serving; a service's weights
    sum to 100."""
    lbc_chart: ChartVersion | None = None
    """Version of eks-charts' aws-load-balancer-controller chart this target runs (it binds the
    serving traffic). Default: `load_balancer_controller.chart_version`, the fleet's default for
    new targets. Pin a live target before bumping the default: a controller upgrade is a swap."""
    binding_chart: ChartVersion | None = None
    """Version of the project's TargetGroupBinding chart (charts/target-group-binding/<version>/)
    this generation runs. Default: the newest there. Pin a live generation to its version before
    adding a new one: its templates bind the serving traffic, so new generations take a change."""
    grant: Grant | None = None
    """What ArgoCD may do on this generation (docs/security.md): its apps' namespaces, and
    cluster-scoped kinds only as listed. Default: the service's grant (its apps' namespaces and
    `cluster_resources`), what new generations take. Pin a live target to the grant it was born
    with before adding or dropping an app's namespace or changing `cluster_resources`: a grant
    never changes in place, new generations take the new one (a swap)."""
    values: dict[AppName, HelmValues] = {}
    """Per app, Helm values for this generation only, merged over `apps.<app>.values` (mappings
    merge key by key, anything else replaces). A new generation takes new values here while the
    live ones keep theirs. Default: none."""

    @field_validator("binding_chart")
    @classmethod
    def _shipped(cls, value: str | None) -> str | None:
        shipped = binding_chart_versions()
        if value is not None and value not in shipped:
            raise ValueError(
                f"{value} is not a version of charts/target-group-binding/ (there: {', '.join(shipped) or 'none'}); "
                "pin one that is"
            )
        return value

    @model_validator(mode="after")
    def _weight_matches_phase(self) -> Target:
        if self.phase == "serving" and self.weight == 0:
            raise ValueError(
                "weight: a serving target takes traffic; give it a weight above 0 or set phase: registered"
            )
        if self.phase != "serving" and self.weight != 0:
            raise ValueError(
                f"weight: a {self.phase} target takes no traffic; set weight: 0 (only serving targets have weight)"
            )
        return self

    @property
    def registered(self) -> bool:
        """Every hub has a cluster Secret for it, so the ApplicationSets deploy to it."""
        return self.phase in REGISTERED_PHASES

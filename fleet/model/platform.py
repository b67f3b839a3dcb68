"""What the fleet stands on: network, state backend, the platform charts, API access."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import (
    StrictStr,
    field_validator,
    model_validator,
)

from fleet.model.limits import MAX_API_RULES, SG_INBOUND_RULES
from fleet.model.types import (
    BucketName,
    ChartVersion,
    Cidr,
    Model,
    Region,
    SecurityGroupId,
    SubnetId,
    VpcId,
    Zone,
    listed_once,
    no_overlap,
    not_the_internet,
    pattern,
)


class Network(Model):
    """Either reuse a VPC (`vpc_id` + subnet ids) or have `shared` create one (`cidr`)."""

    vpc_id: VpcId | None = None
    private_subnet_ids: tuple[SubnetId, ...] = ()
    """Subnets for control planes and nodes (reused VPC only; at least two zones)."""
    public_subnet_ids: tuple[SubnetId, ...] = ()
    """Subnets for the ALB (reused VPC only; at least two zones)."""
    cidr: Cidr | None = None
    """The new VPC's range, /16 to /20; split into public and private subnets per zone."""
    zones: tuple[Zone, ...] = ()
    """Zones the new VPC spans (2-4 names such as eu-west-1a), each with a private and a public
    subnet. Named rather than looked up, so AWS adding a zone changes nothing."""

    @model_validator(mode="after")
    def _one_source(self) -> Network:
        if (self.vpc_id is None) == (self.cidr is None):
            raise ValueError(
                "set either vpc_id (reuse a VPC, with its subnet ids) or cidr (create one), not both or neither"
            )
        if self.vpc_id is not None:
            for field in ("private_subnet_ids", "public_subnet_ids"):
                ids = getattr(self, field)
                if len(ids) < 2:
                    raise ValueError(f"{field}: list at least two subnets of {self.vpc_id}, in different zones")
                if len(set(ids)) != len(ids):
                    raise ValueError(f"{field}: a subnet is listed twice")
            if self.zones:
                raise ValueError("zones belong to a created VPC (cidr); a reused VPC brings its subnets")
            both = set(self.private_subnet_ids) & set(self.public_subnet_ids)
            if both:
                raise ValueError(f"subnet {sorted(both)[0]} is listed as both private and public")
        else:
            if self.private_subnet_ids or self.public_subnet_ids:
                raise ValueError("subnet ids belong to a reused VPC (vpc_id); with cidr the subnets are created")
            if not 2 <= len(self.zones) <= 4 or len(set(self.zones)) != len(self.zones):
                raise ValueError("zones: list two to four distinct availability zones, e.g. [eu-west-1a, eu-west-1b]")
            prefix = ipaddress.IPv4Network(self.cidr).prefixlen  # type: ignore[arg-type]
            if not 16 <= prefix <= 20:
                raise ValueError(f"cidr {self.cidr} must be a /16 to /20 so each zone gets a /20-sized share")
        return self


class LocalState(Model):
    """Embedded default: state files next to the project, no AWS needed."""

    backend: Literal["local"] = "local"


class S3State(Model):
    """Teams: one state object per stack in S3, locked while a plan or apply runs."""

    backend: Literal["s3"]
    bucket: BucketName
    region: Region
    key_prefix: Annotated[
        StrictStr,
        pattern(
            r"(?!/)(?!.*//)(?!.*/$)[A-Za-z0-9!_.*'()/-]{1,200}",
            "an S3 key prefix: letters, digits and !_.*'()-, segments joined by single slashes, no "
            "leading or trailing slash (terraform init rejects an empty path segment)",
        ),
    ] = "ephemeral-eks"
    """State of stack X of fleet F in region R lives at `<key_prefix>/F/R/X.tfstate`. Default: ephemeral-eks."""
    dynamodb_table: Annotated[StrictStr, pattern(r"[A-Za-z0-9_.-]{3,255}", "a DynamoDB table name")] | None = None
    """Lock with this DynamoDB table instead of S3's own lock file. Default: S3 lock file."""


class ArgoCd(Model):
    chart_version: ChartVersion
    """Version of argo-helm's argo-cd chart for new hubs (a hub's `argocd_chart` pins its own)."""
    apps_chart_version: ChartVersion
    """Version of argo-helm's argocd-apps chart, which carries the ApplicationSets, for new hubs
    (a hub's `apps_chart` pins its own)."""


class LoadBalancerController(Model):
    chart_version: ChartVersion
    """Version of eks-charts' aws-load-balancer-controller chart for new targets (a target's
    `lbc_chart` pins its own)."""


AddonVersion = Annotated[
    StrictStr,
    pattern(
        r"none|v\d+\.\d+\.\d+-eksbuild\.\d+",
        "an EKS add-on version such as v1.14.3-eksbuild.3 (aws eks describe-addon-versions), or none",
    ),
]


class Addons(Model):
    """EKS managed add-ons, one version each (`aws eks describe-addon-versions`), checked against
    the table of what EKS offers per Kubernetes version (fleet/addons.py, each row with its
    source). Unset: the fleet's `addons` (for a generation), else `none`. `none`: not a managed
    add-on of the generation - EKS's own vpc-cni, coredns and kube-proxy stay as EKS installs
    them; eks-pod-identity-agent always runs, at EKS's default version when `none`."""

    vpc_cni: AddonVersion | None = None
    """Amazon VPC CNI (`vpc-cni`), the pods' network."""
    coredns: AddonVersion | None = None
    """CoreDNS (`coredns`), the cluster DNS."""
    kube_proxy: AddonVersion | None = None
    """kube-proxy (`kube-proxy`): its version follows the Kubernetes minor (v1.36.x for 1.36)."""
    eks_pod_identity_agent: AddonVersion | None = None
    """EKS Pod Identity agent (`eks-pod-identity-agent`), which the load balancer controller and
    ArgoCD get their AWS credentials through. Runs on every generation."""
    aws_ebs_csi_driver: AddonVersion | None = None
    """Amazon EBS CSI driver (`aws-ebs-csi-driver`), storage for PersistentVolumeClaims: its
    controller acts as a role with AmazonEBSCSIDriverPolicy through Pod Identity (only
    kube-system/ebs-csi-controller-sa of this cluster), and the default StorageClass `gp3-encrypted`
    makes encrypted gp3 volumes."""
    metrics_server: AddonVersion | None = None
    """Kubernetes Metrics Server (`metrics-server`, an EKS community add-on), the resource
    metrics a HorizontalPodAutoscaler scales on. Optional."""


class ApiAccess(Model):
    """Who besides ArgoCD reaches the clusters' private API endpoints, on 443: CI runners and
    operators inside the VPC (or a network routed to it). `cdktf diff`/`deploy` of a generation
    stack and `python -m fleet check` talk to its cluster's API, so they run there."""

    cidrs: tuple[Cidr, ...] = ()
    """CIDRs allowed to every control plane's private endpoint on 443. Default: none."""
    security_group_ids: tuple[SecurityGroupId, ...] = ()
    """SGs (e.g. the runners') allowed to every control plane's private endpoint on 443, each listed
    once. Default: none."""

    @model_validator(mode="before")
    @classmethod
    def _no_plan_role(cls, data: Any) -> Any:
        if isinstance(data, dict) and "plan_role_arn" in data:
            raise ValueError(
                "plan_role_arn: PR plans compare configuration with state and read no cluster any more "
                "(terraform plan -refresh=false, docs/gate.md), so the plan role needs no access entry: delete this key"
            )
        return data

    @field_validator("security_group_ids")
    @classmethod
    def _groups_once(cls, groups: tuple[str, ...]) -> tuple[str, ...]:
        return listed_once(groups, "security group")

    @model_validator(mode="after")
    def _room_in_the_security_group(self) -> ApiAccess:
        no_overlap(self.cidrs, "cidrs")
        try:
            not_the_internet(self.cidrs, "every cluster's API endpoint")
        except ValueError as err:
            raise ValueError(f"cidrs: {err}") from None
        count = len(self.cidrs) + len(self.security_group_ids)
        if count > MAX_API_RULES:
            raise ValueError(
                f"{count} CIDRs and SGs: each is a rule on the control-plane SG, and an SG takes {SG_INBOUND_RULES} inbound "
                f"rules by default (AWS); list at most {MAX_API_RULES} (use wider ranges or an SG)"
            )
        return self

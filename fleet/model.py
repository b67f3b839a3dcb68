"""The fleet file's schema.

Every field is typed and documented with its default where it is declared. Validators give
messages that say what to change; `fleet.load` turns them into one line per mistake, prefixed by
the field's path (`targets.green.kubernetes_version: ...`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from fleet import names
from fleet.lifecycle import CANDIDATE_PHASES, DESTROYED, REGISTERED_PHASES, HubPhase, TargetPhase
from fleet.names import partition as region_partition
from fleet.names import rule_priority
from fleet.versions import BY_VERSION, KUBERNETES_VERSIONS, newest, offered, today

PREFIX_MAX = 12
MAX_SERVING_TARGETS = 5
"""An ALB forward action takes at most five target groups."""

GENERATION_MAX = 12
SERVICE_MAX = 12
MAX_SERVICES = 20
"""Each service has its own ALB, and a region allows 50 Application Load Balancers by default
("Quotas for your Application Load Balancers",
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html):
a fleet takes at most 20, leaving room for other fleets and for anything else in the account."""
MAX_OPERATOR_CIDRS = 3
"""A listener rule condition takes at most three values (a source-ip condition: three CIDRs), a
rule at most five in all (the generation header takes one). Source: "Condition types for listener
rules", https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html"""


MAX_PUBLIC_ACCESS_CIDRS = 40
"""EKS takes at most 40 CIDR blocks for a cluster's public endpoint ("Amazon EKS service quotas",
https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html)."""
SG_INBOUND_RULES = 60
"""Inbound rules per security group, the default quota ("Amazon VPC quotas",
https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups)."""
ALB_RULES_PER_CIDR = 2
"""An ALB's SG takes two inbound rules per `traffic.allowed_cidrs` entry: 443, and 80 (redirected)."""
MAX_ALLOWED_CIDRS = SG_INBOUND_RULES // ALB_RULES_PER_CIDR
MAX_HEALTH_CHECK_PATH = 1024
"""CreateTargetGroup's HealthCheckPath is at most 1,024 characters
(https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html)."""
MAX_TARGETS_PER_SERVICE = 100
"""Each target generation of a service on its way in has a rule on its ALB's HTTPS listener, and an
ALB takes 100 rules besides the default ones ("Quotas for your Application Load Balancers",
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html)."""
MAX_CLUSTERS = 100
"""EKS clusters per region, the default quota ("Amazon EKS service quotas",
https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html): every hub and target
generation of a fleet is one."""
MAX_TAGS = 50
"""User tags per AWS resource ("Tagging your AWS resources", tag naming limits,
https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html); `aws:` tags do not count."""
BUILTIN_TAG_KEYS = (
    "Name",
    names.TAG_FLEET,
    names.TAG_STACK,
    names.TAG_SERVICE,
    names.TAG_GENERATION,
    names.TAG_TIER,
    "kubernetes.io/role/elb",
    "kubernetes.io/role/internal-elb",
)
"""Tag keys the stacks set themselves (tests/test_limits.py pins this list to the synthesized stacks)."""
MAX_BUILTIN_TAGS_PER_RESOURCE = 5
"""The most of those any one resource carries: a created subnet (Name, fleet, stack, tier and its
load balancer role). tests/test_limits.py measures it on the synthesized stacks."""
MAX_FLEET_TAGS = MAX_TAGS - MAX_BUILTIN_TAGS_PER_RESOURCE
SERVICE_CIDR_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
SERVICE_CIDR_PREFIXES = (12, 24)
"""EKS's service range: inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, between /24 and /12
(KubernetesNetworkConfigRequest, https://docs.aws.amazon.com/eks/latest/APIReference/API_KubernetesNetworkConfigRequest.html)."""
RESERVED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
"""Namespaces every cluster starts with ("Initial namespaces",
https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#initial-namespaces):
the target stack creates the served app's namespace, and creating one of these fails."""
CLUSTER_SG_PORTS = {443: "the Kubernetes API", 10250: "the kubelet"}
"""The ALB's SG is let into the EKS cluster SG on the served app's pod port; the cluster SG is on
the control plane's network interfaces and on every node, so these ports would open a second way
into the API or the kubelets ("Amazon EKS security group requirements",
https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html)."""
MAX_VALUES_BYTES = 200 * 1024
"""Helm values per generation and service, as JSON: they travel in the cluster Secret's
annotations, which Kubernetes caps at 256 KiB in all ("Annotations",
https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/#syntax-and-character-set)."""


def _pattern(regex: str, what: str):
    compiled = re.compile(regex, re.ASCII)  # \d is 0-9 only, not every script's digits

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{_shown(value)} is not {what}")
        return value

    return AfterValidator(check)


def _shown(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}... ({len(value)} characters)"


def _cidr(value: str) -> str:
    if "/" not in value:
        raise ValueError(f"{_shown(value)} is not a CIDR: add the prefix length, e.g. {_shown(value + '/32')}")
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"{value!r} is not an IPv4 CIDR such as 10.0.0.0/16 ({err})") from None
    return str(network)


def _kubernetes_version(value: str) -> str:
    if value not in KUBERNETES_VERSIONS:
        raise ValueError(
            f"{value!r} is not an EKS version; use one of {', '.join(offered(today()))} (see fleet/versions.py)"
        )
    return value


def _prefix_usable(value: str) -> str:
    if "--" in value:
        raise ValueError(f"{value!r} has a double hyphen, which reads as two names glued together; use single hyphens")
    segments = value.split("-")
    if {"argocd", "target"} & set(segments[1:]) or segments[0] in ("argocd", "target"):
        raise ValueError(
            f"{value!r} contains the segment argocd or target, which cluster names use: another fleet's "
            "hub pattern could then match this fleet's clusters; pick another name"
        )
    if value == "sg" or value.startswith("sg-"):
        raise ValueError(f"{value!r} would name security groups sg-...; AWS reserves that prefix, pick another name")
    if value == "internal" or value.startswith("internal-"):
        raise ValueError(
            f"{value!r} would name the load balancer internal-...; AWS reserves that prefix, pick another name"
        )
    return value


Prefix = Annotated[
    StrictStr,
    AfterValidator(_prefix_usable),
    _pattern(
        rf"[a-z](?:[a-z0-9-]{{0,{PREFIX_MAX - 2}}}[a-z0-9])?",
        f"a fleet name: 1-{PREFIX_MAX} lowercase letters, digits or inner hyphens, starting "
        "with a letter (it prefixes every AWS name, and target group names allow 32 characters)",
    ),
]
GenerationName = Annotated[
    StrictStr,
    _pattern(
        rf"[a-z][a-z0-9]{{0,{GENERATION_MAX - 1}}}",
        f"a generation name: 1-{GENERATION_MAX} lowercase letters or digits, starting with a "
        "letter, such as blue, green or v133",
    ),
]
ServiceName = Annotated[
    StrictStr,
    AfterValidator(lambda v: _not_reserved_service(v)),
    _pattern(
        rf"[a-z][a-z0-9]{{0,{SERVICE_MAX - 1}}}",
        f"a service name: 1-{SERVICE_MAX} lowercase letters or digits, starting with a letter (it names "
        "the service's load balancer and its ArgoCD project)",
    ),
]
DnsLabel = Annotated[
    StrictStr,
    _pattern(
        r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?",
        "a DNS label: lowercase letters, digits and inner hyphens, at most 63 characters",
    ),
]
ServiceObjectName = Annotated[
    StrictStr,
    _pattern(
        r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?",
        "a Kubernetes Service name: an RFC 1035 label, 1-63 lowercase letters, digits and inner hyphens, "
        "starting with a letter (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/)",
    ),
]
AppName = Annotated[
    StrictStr,
    _pattern(
        r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?",
        "an app name: at most 40 lowercase letters, digits and inner hyphens (it names Helm releases, "
        "which allow 53 characters with their suffixes)",
    ),
]


def _bucket_name(value: str) -> str:
    """S3's rules beyond the characters ("General purpose bucket naming rules",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)."""
    if ".." in value:
        raise ValueError(f"{_shown(value)}: an S3 bucket name has no two adjacent periods")
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value):
        raise ValueError(f"{_shown(value)}: an S3 bucket name is not an IP address")
    for prefix in ("xn--", "sthree-", "amzn-s3-demo-"):
        if value.startswith(prefix):
            raise ValueError(f"{_shown(value)}: S3 reserves bucket names starting with {prefix}")
    for suffix in ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"):
        if value.endswith(suffix):
            raise ValueError(f"{_shown(value)}: S3 reserves bucket names ending with {suffix}")
    return value


BucketName = Annotated[
    StrictStr,
    AfterValidator(_bucket_name),
    _pattern(
        r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "an S3 bucket name: 3-63 lowercase letters, digits, periods and hyphens"
    ),
]
Cidr = Annotated[StrictStr, AfterValidator(_cidr)]
KubernetesVersion = Annotated[StrictStr, AfterValidator(_kubernetes_version)]
ChartVersion = Annotated[
    StrictStr,
    _pattern(r"v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?", "a chart version such as 1.2.3"),
]
Zone = Annotated[
    StrictStr, _pattern(r"[a-z]{2}(?:-gov)?-[a-z]+-\d[a-z]", "an availability zone name such as eu-west-1a")
]
Region = Annotated[StrictStr, _pattern(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d", "an AWS region such as eu-west-1")]
SubnetId = Annotated[StrictStr, _pattern(r"subnet-[0-9a-f]{8,17}", "a subnet id such as subnet-0123456789abcdef0")]
VpcId = Annotated[StrictStr, _pattern(r"vpc-[0-9a-f]{8,17}", "a VPC id such as vpc-0123456789abcdef0")]
Port = Annotated[StrictInt, Field(ge=1, le=65535)]
TagValue = Annotated[
    StrictStr,
    _pattern(r"[A-Za-z0-9 _.:/=+@-]{0,256}", "a tag value: at most 256 letters, digits, spaces and _ . : / = + @ -"),
]
"""Nothing Terraform or cdktf would read as an expression (`${`, `%{`) gets through."""
TagKey = Annotated[
    StrictStr,
    _pattern(
        r"(?!aws:)[A-Za-z0-9 _.:/=+@-]{1,128}",
        "a tag key: 1-128 letters, digits, spaces and _ . : / = + @ -, not starting with aws:",
    ),
]


HelmValues = dict[Annotated[StrictStr, Field(min_length=1, max_length=253)], JsonValue]
"""A mapping of Helm values, as the chart's values.yaml would hold them."""
GitPath = Annotated[
    StrictStr,
    _pattern(
        r"(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9._/-]{1,255}",
        "a path inside the Git repository such as deploy/podinfo (relative, no ..)",
    ),
]
GitRevision = Annotated[
    StrictStr,
    _pattern(r"[A-Za-z0-9._/-]{1,255}", "a Git revision: a branch, a tag or a commit SHA such as v1.2.0"),
]


def _not_reserved_service(value: str) -> str:
    if value == "default":
        raise ValueError(
            "'default' is ArgoCD's built-in project, which every Application could use; name the service otherwise"
        )
    return value


def _no_overlap(cidrs: tuple[str, ...], what: str) -> tuple[str, ...]:
    networks = [ipaddress.IPv4Network(c) for c in cidrs]
    for i, a in enumerate(networks):
        for b in networks[i + 1 :]:
            if a.overlaps(b):
                raise ValueError(f"{what} {a} and {b} overlap; list each range once")
    return cidrs


class Model(BaseModel):
    """Unknown keys are rejected; values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NodeGroup(Model):
    """A managed node group's size. Safe to change in place on a live generation."""

    instance_types: tuple[
        Annotated[StrictStr, _pattern(r"[a-z0-9-]+\.[a-z0-9]+", "an EC2 instance type such as m6i.large")], ...
    ] = Field(default=("m6i.large",), min_length=1)
    """Default: m6i.large."""
    min_size: Annotated[StrictInt, Field(ge=1, le=450)] = 2
    """Default: 2 (one node per zone survives a zone loss)."""
    desired_size: Annotated[StrictInt, Field(ge=1, le=450)] = 2
    """Default: 2."""
    max_size: Annotated[StrictInt, Field(ge=1, le=450)] = 4
    """Default: 4."""
    disk_size_gib: Annotated[StrictInt, Field(ge=20, le=16384)] = 50
    """Root volume size (encrypted gp3). Default: 50."""

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

    @field_validator("zones", "private_subnet_ids")
    @classmethod
    def _two_distinct(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and (len(value) < 2 or len(set(value)) != len(value)):
            raise ValueError("list at least two distinct entries (EKS needs subnets in two zones)")
        return value

    @field_validator("public_access_cidrs")
    @classmethod
    def _cidrs_distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > MAX_PUBLIC_ACCESS_CIDRS:
            raise ValueError(
                f"{len(value)} CIDRs; EKS takes at most {MAX_PUBLIC_ACCESS_CIDRS} for a public endpoint (EKS service "
                "quotas): list wider ranges"
            )
        wide = [c for c in value if ipaddress.IPv4Network(c).prefixlen < 8]
        if wide:
            raise ValueError(
                f"{wide[0]} opens the API endpoint to a large part of the internet; list your runners' CIDRs (/8 or narrower)"
            )
        return _no_overlap(value, "public_access_cidrs")


class Hub(Generation):
    """An ArgoCD (hub) generation: stack `argocd-<name>`."""

    phase: HubPhase
    """`standby` (registered everything, paused) -> `active` (the one that syncs) -> `retiring`
    (paused again, until `cdktf destroy`)."""


class Target(Generation):
    """A target generation ArgoCD deploys to: stack `target-<name>`."""

    phase: TargetPhase
    """`provisioning` (stack and target group exist, no hub knows it) -> `registered` (every hub
    deploys the apps to it) -> `serving` (takes traffic) -> `retiring` (deregistered, apps left
    running, until `cdktf destroy`)."""
    weight: Annotated[StrictInt, Field(ge=0, le=100)]
    """Share of its service's traffic, 0-100: above 0 exactly when serving; a service's weights
    sum to 100."""
    values: dict[AppName, HelmValues] = {}
    """Per app, Helm values for this generation only, merged over `apps.<app>.values` (mappings
    merge key by key, anything else replaces). A new generation takes new values here while the
    live ones keep theirs. Default: none."""

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


class App(Model):
    """What ArgoCD deploys to every registered target of the service: a Helm chart from a chart
    repository (`chart` + `version`), or a path in a Git repository (`path` + `revision`), which
    ArgoCD renders as it finds it (Helm chart, Kustomize or plain manifests)."""

    repo_url: Annotated[
        StrictStr,
        _pattern(r"(?:https|oci)://[^\s'\"{}]+", "an https:// (or, for charts, oci://) repository URL"),
    ]
    chart: DnsLabel | None = None
    """Chart name in a Helm repository. Give `chart` and `version`, or `path` and `revision`."""
    version: ChartVersion | None = None
    """Chart version (with `chart`)."""
    path: GitPath | None = None
    """Directory in the Git repository `repo_url` (with `revision`)."""
    revision: GitRevision | None = None
    """Branch, tag or commit of `repo_url` (with `path`)."""
    namespace: DnsLabel
    values: HelmValues = {}
    """Helm values for every generation (chart sources only); a generation's `values.<app>` is
    merged over them. Default: the chart's own."""
    port: Port | None = None
    """The Service port (the served app: required). The ALB's target group is created with it."""
    container_port: Port | None = None
    """The port the pods listen on (the Service's targetPort). The ALB sends traffic and health
    checks straight to pod IPs, so the SG rules open this port. Default: `port`."""
    service: ServiceObjectName | None = None
    """Name of the Service the chart creates. Default: the app's name (the release name)."""
    health_check_path: Annotated[
        StrictStr,
        _pattern(
            rf"/[A-Za-z0-9/._~-]{{0,{MAX_HEALTH_CHECK_PATH - 1}}}",
            f"a URL path such as /healthz, at most {MAX_HEALTH_CHECK_PATH} characters (an ALB health check's limit)",
        ),
    ] = "/"
    """Path the target group's health check requests. Default: /."""

    @model_validator(mode="after")
    def _one_source(self) -> App:
        pairs = {"chart": "version", "version": "chart", "path": "revision", "revision": "path"}
        given = {f for f in pairs if getattr(self, f) is not None}
        if given & {"chart", "version"} and given & {"path", "revision"}:
            raise ValueError(
                "give chart and version (a Helm repository) or path and revision (a Git repository), not both"
            )
        if not given:
            raise ValueError(
                "chart: give chart and version (a Helm repository) or path and revision (a Git repository)"
            )
        for field in sorted(given):
            if pairs[field] not in given:
                raise ValueError(f"{pairs[field]}: is required with {field}")
        if self.path is not None:
            if self.repo_url.startswith("oci://"):
                raise ValueError("repo_url: a Git repository is https://; oci:// holds Helm charts (chart + version)")
            if self.values:
                raise ValueError(
                    "values: Helm values apply to chart sources; a Git path carries its own (commit them there)"
                )
        return self

    @property
    def helm(self) -> bool:
        """A chart from a Helm repository (else a Git path)."""
        return self.chart is not None

    def service_name(self, name: str) -> str:
        return self.service or name

    def target_port(self) -> int:
        """The port the ALB reaches the pods on."""
        assert self.port is not None
        return self.container_port or self.port


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
        _pattern(
            r"(?!/)(?!.*//)(?!.*/$)[A-Za-z0-9!_.*'()/-]{1,200}",
            "an S3 key prefix: letters, digits and !_.*'()-, segments joined by single slashes, no "
            "leading or trailing slash (terraform init rejects an empty path segment)",
        ),
    ] = "ephemeral-eks"
    """State of stack X of fleet F lives at `<key_prefix>/F/X.tfstate`. Default: ephemeral-eks."""
    dynamodb_table: Annotated[StrictStr, _pattern(r"[A-Za-z0-9_.-]{3,255}", "a DynamoDB table name")] | None = None
    """Lock with this DynamoDB table instead of S3's own lock file. Default: S3 lock file."""


class ArgoCd(Model):
    chart_version: ChartVersion
    """Version of argo-helm's argo-cd chart."""
    apps_chart_version: ChartVersion
    """Version of argo-helm's argocd-apps chart, which carries the ApplicationSets."""


class LoadBalancerController(Model):
    chart_version: ChartVersion
    """Version of eks-charts' aws-load-balancer-controller chart on each target."""


class Traffic(Model):
    """The ALB in `shared` that splits traffic between target generations by weight."""

    app: AppName
    """The app (a key of `apps`) the ALB serves."""
    certificate_arn: Annotated[
        StrictStr, _pattern(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}", "an ACM certificate ARN")
    ]
    """ACM certificate of the HTTPS listener (HTTP redirects to it)."""
    allowed_cidrs: tuple[Cidr, ...] = ("0.0.0.0/0",)
    """Who may reach the ALB on 443 (and 80, which redirects). Default: everyone."""
    operator_cidrs: tuple[Cidr, ...] = ()
    """Who may try a generation that takes no traffic yet, with the header
    `X-Ephemeral-Eks-Generation: <gen>` (at most 3 CIDRs: an ALB rule condition's limit). Default:
    nobody from outside - the rule admits only the VPC's own range, and exists so that the ALB
    health-checks a new generation before it takes weight."""
    waf_acl_arn: (
        Annotated[
            StrictStr,
            _pattern(
                r"arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/[A-Za-z0-9_-]+/[0-9a-f-]{36}",
                "a regional WAFv2 web ACL ARN",
            ),
        ]
        | None
    ) = None
    """A WAFv2 web ACL to associate with the ALB. Default: none."""

    @field_validator("allowed_cidrs")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > MAX_ALLOWED_CIDRS:
            raise ValueError(
                f"{len(value)} CIDRs make {len(value) * ALB_RULES_PER_CIDR} inbound rules on the ALB's SG (443 and 80 "
                f"each), and an SG takes {SG_INBOUND_RULES} (AWS VPC quotas): list at most {MAX_ALLOWED_CIDRS}, wider ranges"
            )
        return _no_overlap(value, "allowed_cidrs")

    @field_validator("operator_cidrs")
    @classmethod
    def _operators_distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > MAX_OPERATOR_CIDRS:
            raise ValueError(
                f"at most {MAX_OPERATOR_CIDRS} CIDRs, {len(value)} given: an ALB rule condition takes at most "
                f"{MAX_OPERATOR_CIDRS} values (AWS); list wider ranges"
            )
        return _no_overlap(value, "operator_cidrs")


SecurityGroupId = Annotated[
    StrictStr, _pattern(r"sg-[0-9a-f]{8,17}", "a security group id such as sg-0123456789abcdef0")
]
MAX_API_RULES = 50
"""Rules per SG: 60 inbound by default (VPC quotas,
https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups);
the control-plane SG keeps room for ArgoCD's rule and a few more."""


class ApiAccess(Model):
    """Who besides ArgoCD reaches the clusters' private API endpoints, on 443: CI runners and
    operators inside the VPC (or a network routed to it). `cdktf diff`/`deploy` of a generation
    stack and `python -m fleet check` talk to its cluster's API, so they run there."""

    cidrs: tuple[Cidr, ...] = ()
    """CIDRs allowed to every control plane's private endpoint on 443. Default: none."""
    security_group_ids: tuple[SecurityGroupId, ...] = ()
    """SGs (e.g. the runners') allowed to every control plane's private endpoint on 443. Default: none."""
    plan_role_arn: (
        Annotated[StrictStr, _pattern(r"arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}", "an IAM role ARN")]
        | None
    ) = None
    """The role a PR's `cdktf diff` runs as: a read-only access entry (AmazonEKSAdminViewPolicy) on
    every cluster, so the helm and kubernetes providers can plan. Default: none."""

    @model_validator(mode="after")
    def _room_in_the_security_group(self) -> ApiAccess:
        _no_overlap(self.cidrs, "cidrs")
        count = len(self.cidrs) + len(set(self.security_group_ids))
        if count > MAX_API_RULES:
            raise ValueError(
                f"{count} CIDRs and SGs: each is a rule on the control-plane SG, and an SG takes 60 inbound "
                f"rules by default (AWS); list at most {MAX_API_RULES} (use wider ranges or an SG)"
            )
        return self


class ClusterResource(Model):
    """A cluster-scoped kind a service's apps may create (an AppProject's clusterResourceWhitelist)."""

    group: Annotated[
        StrictStr,
        _pattern(
            r"|[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?", "an API group such as rbac.authorization.k8s.io (empty for core)"
        ),
    ]
    """API group; "" for the core group."""
    kind: Annotated[StrictStr, _pattern(r"[A-Z][A-Za-z0-9]{0,62}", "a Kubernetes kind such as ClusterRole")]


class Service(Model):
    """One service: its own target generations (two while it swaps), the apps ArgoCD deploys to
    them under the service's own ArgoCD project, and its own ALB. Every hub serves every service."""

    targets: dict[GenerationName, Target]
    """Target generations, oldest first: stack `target-<name>` each. Generation names are unique
    in the fleet (they name stacks, clusters and target groups). A new service starts with none
    serving (its ALB answers 503) until its first generation is registered and takes the traffic;
    from then on one always serves (the PR gate refuses the PR that would leave none)."""
    apps: dict[AppName, App]
    traffic: Traffic
    cluster_resources: tuple[ClusterResource, ...] = ()
    """Cluster-scoped kinds the apps may create (CRDs, ClusterRoles, ...). Default: none, except
    Namespace when an app's namespace is not the served app's (ArgoCD creates it)."""
    closed: StrictBool = False
    """Take the service out of service: no generation serves and its ALB answers 503. The PR that
    closes it sets its serving generation to registered (weight 0); `fleet plan` then retires and
    destroys its generations and removes the service. Default: false."""

    @field_validator("targets")
    @classmethod
    def _weights_sum_to_100(cls, targets: dict[str, Target]) -> dict[str, Target]:
        if not targets:
            raise ValueError("a service needs at least one target generation")
        if len(targets) > MAX_TARGETS_PER_SERVICE:
            raise ValueError(
                f"{len(targets)} target generations; each has a rule on the service's ALB listener, which takes "
                f"{MAX_TARGETS_PER_SERVICE} (AWS ALB quotas): remove the destroyed ones"
            )
        serving = [n for n, t in targets.items() if t.phase == "serving"]
        if len(serving) > MAX_SERVING_TARGETS:
            raise ValueError(
                f"{len(serving)} targets are serving ({', '.join(serving)}); an ALB forwards to at most "
                f"{MAX_SERVING_TARGETS}: retire some first"
            )
        priorities: dict[int, str] = {}
        for name in targets:
            other = priorities.setdefault(rule_priority(name), name)
            if other != name:
                raise ValueError(f"generations {other} and {name} would share an ALB rule priority; rename {name}")
        total = sum(t.weight for t in targets.values())
        if serving and total != 100:
            weights = ", ".join(f"{n}={t.weight}" for n, t in targets.items())
            raise ValueError(f"weights must sum to 100, they sum to {total} ({weights}); adjust them")
        return targets

    @field_validator("apps")
    @classmethod
    def _some_app(cls, apps: dict[str, App]) -> dict[str, App]:
        if not apps:
            raise ValueError("list at least one app for the ApplicationSets to deploy")
        return apps

    @model_validator(mode="after")
    def _served_app(self) -> Service:
        if self.closed and any(t.phase == "serving" for t in self.targets.values()):
            raise ValueError(
                "closed: a closed service has no serving generation; set its serving targets to registered, weight 0"
            )
        if self.traffic.app not in self.apps:
            raise ValueError(
                f"traffic.app: {self.traffic.app!r} is not an app of this service; use one of {', '.join(sorted(self.apps))}"
            )
        served = self.apps[self.traffic.app]
        if served.port is None:
            raise ValueError(f"apps.{self.traffic.app}.port: the served app needs its Service port; add it")
        if served.namespace in RESERVED_NAMESPACES:
            raise ValueError(
                f"apps.{self.traffic.app}.namespace: {served.namespace} exists in every cluster, and the target stack "
                "creates the served app's namespace (Kubernetes initial namespaces); use a namespace of its own"
            )
        pod_port = served.target_port()
        if pod_port in CLUSTER_SG_PORTS:
            field = "container_port" if served.container_port else "port"
            raise ValueError(
                f"apps.{self.traffic.app}.{field}: the ALB is let into the EKS cluster SG on the pods' port, and "
                f"{pod_port} there is {CLUSTER_SG_PORTS[pod_port]} (EKS security group requirements); serve another port"
            )
        if not served.helm and served.service is None:
            raise ValueError(f"apps.{self.traffic.app}.service: a served app from a Git path names its Service; add it")
        for gen, target in self.targets.items():
            for app in target.values:
                if app not in self.apps:
                    raise ValueError(
                        f"targets.{gen}.values.{app}: not an app of this service; use one of {', '.join(sorted(self.apps))}"
                    )
                if not self.apps[app].helm:
                    raise ValueError(
                        f"targets.{gen}.values.{app}: {app} is a Git path; Helm values apply to chart sources"
                    )
            size = sum(
                len(json.dumps(self.helm_values(app, gen), sort_keys=True)) for app in self.apps if self.apps[app].helm
            )
            if size > MAX_VALUES_BYTES:
                raise ValueError(
                    f"targets.{gen}.values: {size} bytes of Helm values for this generation; they travel in a cluster "
                    f"Secret's annotations, which Kubernetes caps at 256 KiB: keep them under {MAX_VALUES_BYTES} "
                    "(move bulk into the chart or a Git path)"
                )
        return self

    @property
    def served_app(self) -> App:
        return self.apps[self.traffic.app]

    def owns_namespace(self, app: str) -> bool:
        """The target stack creates the served app's namespace (its TargetGroupBinding lives
        there); ArgoCD creates every other app's (CreateNamespace)."""
        return self.apps[app].namespace == self.served_app.namespace

    def helm_values(self, app: str, generation: str) -> dict[str, Any]:
        """`apps.<app>.values` with `targets.<generation>.values.<app>` merged over them."""
        return _merged(self.apps[app].values, self.targets[generation].values.get(app, {}))


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


class Fleet(Model):
    """The whole fleet file."""

    name: Prefix
    """Prefix of every AWS name, and the fleet label ApplicationSets select on."""
    region: Region
    network: Network
    service_cidr: Cidr = "172.20.0.0/16"
    """Kubernetes service range of every cluster; must not overlap the VPC. Default: 172.20.0.0/16."""
    state: Annotated[LocalState | S3State, Field(discriminator="backend")] = LocalState()
    """Default: local state files (no AWS)."""
    argocd: ArgoCd
    load_balancer_controller: LoadBalancerController
    hubs: dict[GenerationName, Hub]
    """Hub generations: stack `argocd-<name>` each. Every hub serves every service."""
    services: dict[ServiceName, Service]
    """The services, each with its target generations, apps and ALB."""
    logs_bucket: BucketName
    """Existing S3 bucket for the ALB's access logs and (for a created VPC) VPC flow logs."""
    tags: dict[TagKey, TagValue] = {}
    """Extra tags on every AWS resource. Default: none."""
    api_access: ApiAccess = ApiAccess()
    """CI runners and operators allowed to the clusters' APIs. Default: ArgoCD only."""

    @field_validator("hubs")
    @classmethod
    def _one_active_hub(cls, hubs: dict[str, Hub]) -> dict[str, Hub]:
        active = sorted(name for name, hub in hubs.items() if hub.phase == "active")
        if len(active) != 1:
            found = f"found {len(active)}" + (f" ({', '.join(active)})" if active else "")
            raise ValueError(f"exactly one hub must have phase: active, {found}; set the others to standby")
        return hubs

    @field_validator("services")
    @classmethod
    def _some_services(cls, services: dict[str, Service]) -> dict[str, Service]:
        if not services:
            raise ValueError("list at least one service (its targets, apps and traffic)")
        if len(services) > MAX_SERVICES:
            raise ValueError(
                f"{len(services)} services; each has its own ALB and a region allows 50 by default (AWS): "
                f"at most {MAX_SERVICES} per fleet, split the rest into another fleet"
            )
        seen: dict[str, str] = {}
        for service, spec in services.items():
            for gen in spec.targets:
                other = seen.setdefault(gen, service)
                if other != service:
                    raise ValueError(
                        f"{service}.targets.{gen}: {other} has a target generation {gen} too; generation names are "
                        "unique in the fleet (they name stacks target-<name>, clusters and target groups): rename one, "
                        f"e.g. with its service's name in it (at most {GENERATION_MAX} characters)"
                    )
        return services

    @field_validator("tags")
    @classmethod
    def _tags_fit(cls, tags: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        builtin = {k.lower(): k for k in BUILTIN_TAG_KEYS}
        for key in tags:
            folded = key.lower()
            if folded.startswith("aws:"):
                raise ValueError(f"{key!r}: AWS reserves tag keys starting with aws: (in any case)")
            if folded in builtin:
                raise ValueError(
                    f"{key!r}: the stacks set the tag {builtin[folded]} themselves (IAM tag keys are case-insensitive); "
                    "pick another key"
                )
            if folded in seen:
                raise ValueError(
                    f"{seen[folded]!r} and {key!r} are one key to IAM, whose tag keys are case-insensitive "
                    "(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html); keep one"
                )
            seen[folded] = key
        if len(tags) > MAX_FLEET_TAGS:
            raise ValueError(
                f"{len(tags)} tags; a resource takes {MAX_TAGS} (AWS) and some carry {MAX_BUILTIN_TAGS_PER_RESOURCE} of "
                f"the stacks' own: at most {MAX_FLEET_TAGS}"
            )
        return tags

    @model_validator(mode="after")
    def _cross_checks(self) -> Fleet:
        clusters = len(self.hubs) + len(self.targets)
        if clusters > MAX_CLUSTERS:
            raise ValueError(
                f"services: {clusters} generations are {clusters} EKS clusters, and a region takes {MAX_CLUSTERS} "
                "(EKS service quotas): remove destroyed generations or split the fleet"
            )
        self._arns_in_region()
        self._generation_subnets()
        self._new_generations_on_offered_versions()
        wrong = [z for z in self.network.zones if not z.startswith(self.region)]
        if wrong:
            raise ValueError(
                f"network.zones: {wrong[0]} is not in region {self.region}; use zones such as {self.region}a"
            )
        ranges = {"service_cidr": self.service_cidr}
        ranges |= {f"{where}.service_cidr": g.service_cidr for where, _, g in self.generations() if g.service_cidr}
        for where, cidr in ranges.items():
            service = ipaddress.IPv4Network(cidr)
            if self.network.cidr and service.overlaps(ipaddress.IPv4Network(self.network.cidr)):
                raise ValueError(
                    f"{where}: {cidr} overlaps network.cidr {self.network.cidr}; "
                    "pick a service range outside the VPC (e.g. 172.20.0.0/16)"
                )
            low, high = SERVICE_CIDR_PREFIXES
            if not any(service.subnet_of(ipaddress.IPv4Network(r)) for r in SERVICE_CIDR_RANGES):
                raise ValueError(
                    f"{where}: {cidr} is outside {', '.join(SERVICE_CIDR_RANGES)}, where EKS takes a service range "
                    "(KubernetesNetworkConfigRequest); use e.g. 172.20.0.0/16"
                )
            if not low <= service.prefixlen <= high:
                raise ValueError(
                    f"{where}: {cidr} is a /{service.prefixlen}; EKS takes a service range from /{low} to /{high} "
                    "(KubernetesNetworkConfigRequest)"
                )
        return self

    def _arns_in_region(self) -> None:
        """An ALB takes a certificate and a web ACL of its own region, and every ARN is of the region's
        partition (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/https-listener-certificates.html,
        https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html)."""
        partition = region_partition(self.region)
        arns: list[tuple[str, str | None, bool]] = [
            (f"services.{n}.traffic.certificate_arn", s.traffic.certificate_arn, True) for n, s in self.services.items()
        ]
        arns += [(f"services.{n}.traffic.waf_acl_arn", s.traffic.waf_acl_arn, True) for n, s in self.services.items()]
        arns.append(("api_access.plan_role_arn", self.api_access.plan_role_arn, False))
        for where, arn, regional in arns:
            if arn is None:
                continue
            _, arn_partition, _, arn_region, *_ = arn.split(":")
            if arn_partition != partition:
                raise ValueError(f"{where}: {arn_partition} is not the partition of {self.region} ({partition})")
            if regional and arn_region != self.region:
                raise ValueError(
                    f"{where}: the ARN is in {arn_region}, and the ALB in {self.region} takes only its own region's; "
                    f"use the one in {self.region}"
                )

    def _new_generations_on_offered_versions(self) -> None:
        on = today()
        for where, kind, gen in self.generations():
            eks = BY_VERSION[gen.kubernetes_version]
            if gen.phase not in CANDIDATE_PHASES[kind]:
                continue  # a live generation keeps its version until it is swapped away
            if eks.support(on) == "ended":
                best = newest(on)
                raise ValueError(
                    f"{where}.kubernetes_version: {eks.version} left EKS extended support on "
                    f"{eks.end_of_extended}; a new generation starts on a supported version, such as "
                    f"{best.version} (standard support until {best.end_of_standard})"
                )
            if eks.released > on:
                raise ValueError(f"{where}.kubernetes_version: EKS releases {eks.version} on {eks.released}")

    def support_warnings(self, on: date | None = None) -> list[str]:
        """One line per live generation on a version out of standard support, with the way out."""
        on = on or today()
        best = newest(on)
        lines = []
        for at, _, gen in self.generations():
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

    def _generation_subnets(self) -> None:
        """A generation pins a subset of the fleet's zones (created VPC) or subnets (reused VPC)."""
        pins = (
            (
                "zones",
                "network.zones",
                self.network.zones,
                bool(self.network.cidr),
                "a created VPC",
                "private_subnet_ids",
            ),
            (
                "private_subnet_ids",
                "network.private_subnet_ids",
                self.network.private_subnet_ids,
                bool(self.network.vpc_id),
                "a reused VPC",
                "zones",
            ),
        )
        for at, _, gen in self.generations():
            name = at.rsplit(".", 1)[1]
            for field, fleet_field, fleet_values, applies, network, instead in pins:
                pinned = getattr(gen, field)
                if pinned is None:
                    continue
                where = f"{at}.{field}"
                if not applies:
                    raise ValueError(f"{where}: {field} belong to {network}; pin {instead} instead")
                extra = [v for v in pinned if v not in fleet_values]
                if extra:
                    raise ValueError(
                        f"{where}: {extra[0]} is not in {fleet_field}; a generation uses the fleet's "
                        f"(keep {extra[0]} in {fleet_field} while {name} uses it)"
                    )

    # --- what the stacks read ---------------------------------------------------------------

    def generation_zones(self, generation: Generation) -> tuple[str, ...]:
        """The zones a generation's subnets are in (a created VPC): its pin, else the fleet's."""
        return generation.zones if generation.zones is not None else self.network.zones

    def generation_service_cidr(self, generation: Generation) -> str:
        """A generation's service range: its pin, else the fleet's."""
        return generation.service_cidr or self.service_cidr

    def generation_subnet_ids(self, generation: Generation) -> tuple[str, ...]:
        """The subnets a generation uses (a reused VPC): its pin, else the fleet's."""
        pinned = generation.private_subnet_ids
        return pinned if pinned is not None else self.network.private_subnet_ids

    @property
    def active_hub(self) -> str:
        return next(name for name, hub in self.hubs.items() if hub.phase == "active")

    @property
    def targets(self) -> dict[str, Target]:
        """Every service's target generations, service by service (names are fleet-wide)."""
        return {name: target for service in self.services.values() for name, target in service.targets.items()}

    def service_of(self, generation: str) -> str:
        """The service a target generation belongs to."""
        return next(s for s, spec in self.services.items() if generation in spec.targets)

    def generations(self) -> Iterator[tuple[str, Literal["argocd", "target"], Hub | Target]]:
        """(`hubs.blue` or `services.web.targets.blue`, kind, spec) for every generation."""
        for name, hub in self.hubs.items():
            yield f"hubs.{name}", "argocd", hub
        for service, spec in self.services.items():
            for name, target in spec.targets.items():
                yield f"services.{service}.targets.{name}", "target", target

"""Every limit the fleet file is held to, in one table: AWS, EKS, ELB, IAM and Kubernetes quotas
and formats, each with where it was read. The models import them; nothing restates a number."""

from __future__ import annotations

from fleet import names

FLEET_NAME_MAX = 12
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
MAX_INSTANCE_TYPES = 20
"""Instance types per managed node group: a node group with a launch template (every generation's
has one) takes 0-20 in `instanceTypes` (CreateNodegroup,
https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html)."""
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

MAX_API_RULES = 50
"""Rules per SG: 60 inbound by default (VPC quotas,
https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups);
the control-plane SG keeps room for ArgoCD's rule and a few more."""

MAX_FILE_BYTES = 1 << 20
"""A fleet file is at most 1 MiB: a reviewed file never needs more, and the loader reads it whole."""

WIDE_PREFIX = 16
"""A public range shorter than /16 (more than 65,536 internet addresses) is wide: a door that
lets it in needs its named opt-in in the fleet file (`traffic.internet_facing` for an ALB's
clients, `allow_wide_admin_cidrs` for operator and API ranges), and validate warns of it."""
INTERNET_PREFIX = 8
"""A range shorter than /8 is a large part of the internet (0.0.0.0/0 is all of it): never an
operator's or an API endpoint's range, whatever the opt-ins say."""
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
"""Kubernetes' own namespaces ("Initial namespaces",
https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#initial-namespaces): no
app goes there, or ArgoCD (cluster-admin on every target) could overwrite CoreDNS or the load
balancer controller. The platform's own namespaces (`fleet.names.PLATFORM_NAMESPACES`) neither."""

MAX_ROLLBACK_WINDOW_MINUTES = 10_080
"""`rollback_window_minutes`: at most a week; a generation kept longer is kept by not merging."""

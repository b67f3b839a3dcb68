"""The guard's policy as tables: what may change, be added or be removed in place while
generations are live, and what each `shared` resource is to them. `fleet.gate.guard` applies them;
every entry says why in a comment."""

from __future__ import annotations

ANY = "*"
META = ("depends_on", "tags")
"""May change on any resource: ordering, and tags (which no generation finds anything by)."""

GENERATION_MAY_CHANGE: dict[str, tuple[str, ...]] = {
    "aws_eks_node_group": ("scaling_config", "labels", "update_config"),  # node counts, rollout pace
    "aws_cloudwatch_log_group": ("retention_in_days",),
    # values carry the apps (ApplicationSets, their Helm values); a chart's version is the platform
    # a generation was born with (ArgoCD, the load balancer controller): that takes a new generation.
    # `chart` is a shipped chart's content hash: fleet/gate/bindings.py judges it.
    "helm_release": ("chart", "values", "set", "timeout", "atomic", "wait", "max_history"),
    "kubernetes_secret_v1": ("metadata.labels", "metadata.annotations", "data"),  # registrations, pausing
    "kubernetes_namespace_v1": ("metadata.labels", "metadata.annotations"),
}
"""Safe in place on a live generation: node counts, app and chart versions and values, cluster
registrations and their pause flag, labels. Nothing here replaces a node or moves a pod's network."""
GENERATION_MAY_ADD = frozenset(
    {
        "kubernetes_secret_v1",
        "helm_release",
        "kubernetes_namespace_v1",
        "terraform_data",
        "aws_vpc_security_group_ingress_rule",
        "aws_eks_access_entry",
    }
)
"""A hub registers a new target (a cluster Secret); a target gets a new app (in a namespace it
already has); a generation set to destroyed gets the stop that makes `cdktf deploy` refuse it; a
runner or operator is let in (`api_access`: a rule on the control-plane SG, an access entry). An
access entry alone grants nothing: what a principal may do comes from its access policies, and
an added, changed or removed `aws_eks_access_policy_association` is refused: a live generation
keeps the grant it was born with (ArgoCD's: namespaces, cluster-wide only where declared)."""
GENERATION_MAY_REMOVE = frozenset({"kubernetes_secret_v1"})
"""A hub deregisters a retired target: only ArgoCD's record of the cluster goes."""

SHARED_MAY_CHANGE: dict[str, tuple[str, ...]] = {
    "aws_lb_listener": ("default_action", "certificate_arn", "ssl_policy"),  # weights; certificate rotation
    "aws_lb_listener_rule": (ANY,),  # operator rules: who may try a generation by header
    # a new public subnet (losing or swapping one is refused: guard._subnets_lost); protection off for a closed service
    "aws_lb": ("access_logs", "subnets", "enable_deletion_protection"),
    "aws_vpc_security_group_ingress_rule": (ANY,),  # who may reach the ALB (traffic.allowed_cidrs)
    "aws_wafv2_web_acl_association": (ANY,),
    "aws_flow_log": (ANY,),
}
"""Safe in `shared` while generations are live: traffic weights, who may reach the ALB and its
rules, logging. None of it is what a generation finds or runs on."""
SHARED_MAY_REMOVE = frozenset(  # and so may be replaced: a new WAF ACL, logs bucket or client range
    {"aws_lb_listener_rule", "aws_vpc_security_group_ingress_rule", "aws_wafv2_web_acl_association", "aws_flow_log"}
)

SHARED_STANDS_ON: dict[str, tuple[str, str]] = {
    "aws_vpc": ("the VPC every live generation runs in", "a new network means a new fleet; keep network.cidr"),
    "aws_subnet": (
        "subnets live generations run in",
        "keep network.zones in their order and only append a zone; pin each live generation's zones "
        "(services.<service>.targets.<gen>.zones, hubs.<gen>.zones) so only new generations use it",
    ),
    "aws_security_group": (
        "a security group live generations trust (ArgoCD-client or ALB)",
        "keep it; a change in who reaches a cluster goes into a new generation",
    ),
    "aws_vpc_security_group_egress_rule": ("the ALB's way to the pods of live generations", "keep the app's port"),
    "aws_iam_role": (
        "SharedArgoRole, which every hub acts as and every target trusts",
        "keep the fleet name and ArgoCD's namespace and service accounts",
    ),
    "aws_lb": ("the ALB that serves traffic", "keep it; a new ALB means a new service"),
    "aws_lb_listener": ("a listener of the ALB that serves traffic", "keep traffic.certificate_arn and the listener"),
    "aws_lb_target_group": (
        "the target group of a live generation",
        "its settings come from the served app (port, health check): change them only while no target "
        "generation is live",
    ),
}
"""What a `shared` resource is to live generations, and the way out, by type. Routes, NAT gateways,
their addresses and the internet gateway are the VPC's way out: `ROUTING`."""
ROUTING = (
    "the route in or out of the VPC live generations use",
    "keep network.zones in their order and only append a zone",
)


LOOKUP_FINDS = {
    "aws_subnets": "other subnets, so the control plane and node group would move (the node group is replaced)",
}
"""What a changed lookup in a live generation means, where it is worse than "finds something else"."""

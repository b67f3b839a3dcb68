"""The ways into a cluster's API: the private endpoint, on 443 only, from ArgoCD and from the
runners and operators the fleet file names."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from constructs import Construct
from constructs.ports import one_tcp_port

API_PORT = 443


@dataclass(frozen=True)
class OperatorAccess:
    """Who besides ArgoCD reaches a cluster's private endpoint: CI runners and operators."""

    cidrs: tuple[str, ...]
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class PrivateEndpointAccessProps:
    cluster_name: str
    vpc_id: str
    client_security_group_id: str | None
    """The one SG every ArgoCD generation's nodes carry; None on a hub (ArgoCD reaches its own
    cluster from inside)."""
    operators: OperatorAccess
    """CIDRs and SGs of CI runners and operators allowed to 443 (the fleet's `api_access`)."""
    public_access_cidrs: tuple[str, ...]
    """The cluster's public endpoint CIDRs; empty: no public endpoint at all."""


class PrivateEndpointAccess(Construct):
    """Lets ArgoCD reach a cluster's API over its private endpoint, on 443 only.

    Owns the control plane's *additional* security group (EKS puts it on the control-plane ENIs
    only, not on nodes, so opening 443 here opens nothing on the nodes) and its single ingress
    rule from the ArgoCD-client SG, plus one rule per runner or operator CIDR or SG the fleet file
    allows (an added rule opens, never cuts: it may be added to a live generation). Build it
    before the cluster and hand its `security_group_id`
    and `public_access_cidrs` to the cluster: private endpoint on, public endpoint off unless
    CIDRs are listed.
    """

    def __init__(self, scope: Construct, id: str, props: PrivateEndpointAccessProps) -> None:
        super().__init__(scope, id)
        self.security_group = SecurityGroup(
            self,
            "control-plane",
            name=f"{props.cluster_name}-control-plane",
            description=f"Additional control-plane SG of {props.cluster_name}: API from ArgoCD",
            vpc_id=props.vpc_id,
            revoke_rules_on_delete=True,
            tags={"Name": f"{props.cluster_name}-control-plane"},
        )
        self.security_group_id = self.security_group.id
        if props.client_security_group_id is not None:
            self.api_from_argocd = VpcSecurityGroupIngressRule(
                self,
                "api-from-argocd",
                security_group_id=self.security_group_id,
                referenced_security_group_id=props.client_security_group_id,
                **one_tcp_port(API_PORT),
                description="Kubernetes API from ArgoCD (every hub generation)",
            )
        sources: list[tuple[str, str | None, str | None, str]] = [
            *((cidr.replace("/", "-"), cidr, None, "api_access.cidrs") for cidr in props.operators.cidrs),
            *((group, None, group, "api_access.security_group_ids") for group in props.operators.security_group_ids),
        ]
        for suffix, cidr, group, field in sources:
            VpcSecurityGroupIngressRule(
                self,
                f"api-from-{suffix}",
                security_group_id=self.security_group_id,
                cidr_ipv4=cidr,
                referenced_security_group_id=group,
                **one_tcp_port(API_PORT),
                description=f"Kubernetes API from CI runners and operators ({field})",
            )
        self.public_access_cidrs = props.public_access_cidrs

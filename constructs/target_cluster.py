"""A target generation: an EKS cluster ArgoCD deploys to, bound to its own target group."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.eks_pod_identity_association import EksPodIdentityAssociation
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.namespace_v1 import NamespaceV1, NamespaceV1Metadata

from constructs import Construct
from constructs.eks_cluster import EksCluster, EksClusterProps
from constructs.pod_identity import pod_identity_trust_policy
from constructs.ports import one_tcp_port
from constructs.private_endpoint_access import OperatorAccess, PrivateEndpointAccess, PrivateEndpointAccessProps
from constructs.shared_argo_role import ClusterAccessGrant, TargetAccess

EKS_CHARTS = "https://aws.github.io/eks-charts"
APP_LABEL = "ephemeral-eks.io/app"
"""The label on every app namespace this stack creates: the app it is for."""
LBC_NAMESPACE = "kube-system"
LBC_SERVICE_ACCOUNT = "aws-load-balancer-controller"

LBC_DESCRIBE_ACTIONS: tuple[str, ...] = (
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
)
"""Read-only calls a TargetGroupBinding reconcile makes; AWS allows no resource scoping for them."""
LBC_TARGET_ACTIONS: tuple[str, ...] = (
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
)
"""The only writes: on this generation's own target group, nothing else."""


GUARDRAILS_CHART_DIR = Path(__file__).resolve().parent.parent / "charts" / "target-guardrails" / "1.0.0"
"""The project's guardrail chart (a ValidatingAdmissionPolicy refusing Services of type
LoadBalancer). A new version goes into a new directory: the guard refuses a changed shipped chart
under a live generation (fleet/gate/bindings.py)."""
GUARDRAILS_POLICY = "ephemeral-eks-no-load-balancer-services"
GUARDRAILS_NAMESPACE = "kube-system"
"""The release's namespace; the policy and its binding are cluster-scoped."""
VALIDATING_ADMISSION_POLICY_SINCE = (1, 30)
"""admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy is GA (served by default) from
Kubernetes 1.30 (kubernetes.io, "Validating Admission Policy": "FEATURE STATE: Kubernetes v1.30
[stable]"); an older target cannot have the guardrail."""


def has_validating_admission_policy(kubernetes_version: str) -> bool:
    """Whether a cluster of this minor version ("1.33") serves ValidatingAdmissionPolicy v1."""
    major, minor = (int(part) for part in kubernetes_version.split(".")[:2])
    return (major, minor) >= VALIDATING_ADMISSION_POLICY_SINCE


class GrantsClusterAccess(Protocol):
    def grant_cluster_access(self, target: EksCluster, access: TargetAccess) -> ClusterAccessGrant: ...


@dataclass(frozen=True)
class ServedApp:
    """The app whose pods the ALB reaches through this generation's target group."""

    name: str
    namespace: str
    service: str
    port: int
    """The Service port the TargetGroupBinding names."""
    target_port: int
    """The port the pods listen on, which the ALB reaches directly (IP targets): the SG opens it."""


@dataclass(frozen=True)
class TargetClusterProps:
    cluster: EksClusterProps
    vpc_id: str
    region: str
    argocd_role: GrantsClusterAccess
    """SharedArgoRole (or its by-name reference), let in as far as `namespaces` and
    `cluster_wide` say."""
    namespaces: tuple[tuple[str, str], ...]
    """(namespace, the app its `ephemeral-eks.io/app` label names) of every namespace ArgoCD
    deploys to here. This stack creates each before any hub registers the target; ArgoCD's
    access policy is scoped to exactly these. The served app's is always among them."""
    cluster_wide: bool
    """ArgoCD may also write cluster-scoped objects (the service declares some)."""
    client_security_group_id: str
    """The ArgoCD-client SG, allowed to the API on 443."""
    alb_security_group_id: str
    """The ALB's SG, allowed to the served app's pods on the app port."""
    target_group_arn: str
    """This generation's target group, owned by `shared`."""
    app: ServedApp
    lbc_chart_version: str
    binding_chart_dir: str
    """The TargetGroupBinding chart this generation runs (a directory, shipped as an asset)."""
    operators: OperatorAccess
    """CI runners and operators allowed to the API on 443, beside ArgoCD."""
    guardrails_chart_dir: str | None = str(GUARDRAILS_CHART_DIR)
    """The guardrail chart this generation runs (a directory, shipped as an asset): refuses Services
    of type LoadBalancer. Default: the project's chart; None: no guardrail. Left out on
    Kubernetes < 1.30 whatever it says (no ValidatingAdmissionPolicy v1 there)."""


def load_balancer_controller_policy(target_group_arn: str) -> str:
    """Enough for TargetGroupBinding and nothing more: no load balancer, target group or
    security group can be created, changed or deleted with it."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Describe", "Effect": "Allow", "Action": list(LBC_DESCRIBE_ACTIONS), "Resource": "*"},
                {
                    "Sid": "RegisterPods",
                    "Effect": "Allow",
                    "Action": list(LBC_TARGET_ACTIONS),
                    "Resource": target_group_arn,
                },
            ],
        }
    )


class TargetCluster(Construct):
    """An EKS generation that ArgoCD deploys to.

    ArgoCD gets in as SharedArgoRole (access entry; AmazonEKSAdminPolicy on its apps'
    namespaces, which this stack creates, and cluster admin only when the service declares
    cluster-scoped kinds) over the private endpoint on 443 only. The AWS Load Balancer Controller, with its own Pod Identity role, only binds the
    served app's pods to this generation's target group; the ALB and the target group belong to
    Terraform's `shared` stack, so destroying this generation leaves nothing behind; on
    Kubernetes >= 1.30 a ValidatingAdmissionPolicy refuses Services of type LoadBalancer, which
    EKS's in-tree controller would answer with a load balancer of its own.

    Needs default helm and kubernetes providers in its stack, configured from this cluster.
    """

    def __init__(self, scope: Construct, id: str, props: TargetClusterProps) -> None:
        super().__init__(scope, id)
        name = props.cluster.cluster_name
        self.endpoint_access = PrivateEndpointAccess(
            self,
            "endpoint-access",
            PrivateEndpointAccessProps(
                cluster_name=name,
                vpc_id=props.vpc_id,
                client_security_group_id=props.client_security_group_id,
                operators=props.operators,
                public_access_cidrs=props.cluster.public_access_cidrs,
            ),
        )
        cluster_props = EksClusterProps(
            **{
                **props.cluster.__dict__,
                "control_plane_security_group_ids": (
                    *props.cluster.control_plane_security_group_ids,
                    self.endpoint_access.security_group_id,
                ),
                "public_access_cidrs": self.endpoint_access.public_access_cidrs,
            }
        )
        self.eks = EksCluster(self, "eks", cluster_props)
        namespaces = {props.app.namespace: props.app.name, **dict(props.namespaces)}
        self.argocd_access = props.argocd_role.grant_cluster_access(
            self.eks, TargetAccess(namespaces=tuple(sorted(namespaces)), cluster_wide=props.cluster_wide)
        )

        app = props.app
        VpcSecurityGroupIngressRule(
            self,
            "app-from-alb",
            security_group_id=self.eks.cluster_security_group_id,
            referenced_security_group_id=props.alb_security_group_id,
            **one_tcp_port(app.target_port),
            description=f"{app.name} pods from the service's ALB",
        )

        lbc_role = IamRole(
            self,
            "lbc-role",
            name=f"{name}-lbc",
            description=f"AWS Load Balancer Controller of {name} (TargetGroupBinding only)",
            assume_role_policy=pod_identity_trust_policy(
                account_id=self.eks.account_id,
                namespace=LBC_NAMESPACE,
                service_accounts=(LBC_SERVICE_ACCOUNT,),
                cluster_name_pattern=name,
            ),
        )
        IamRolePolicy(
            self,
            "lbc-policy",
            role=lbc_role.name,
            name="target-group-binding",
            policy=load_balancer_controller_policy(props.target_group_arn),
        )
        lbc_identity = EksPodIdentityAssociation(
            self,
            "lbc-pod-identity",
            cluster_name=self.eks.name,
            namespace=LBC_NAMESPACE,
            service_account=LBC_SERVICE_ACCOUNT,
            role_arn=lbc_role.arn,
            depends_on=[self.eks.pod_identity_agent],
        )
        self.load_balancer_controller = Release(
            self,
            "lbc",
            name="aws-load-balancer-controller",
            repository=EKS_CHARTS,
            chart="aws-load-balancer-controller",
            version=props.lbc_chart_version,
            namespace=LBC_NAMESPACE,
            atomic=True,
            wait=True,
            values=[
                json.dumps(
                    {
                        "clusterName": name,
                        "region": props.region,
                        "vpcId": props.vpc_id,
                        "replicaCount": 2,
                        "serviceAccount": {"create": True, "name": LBC_SERVICE_ACCOUNT},
                        # Only TargetGroupBindings: no Service webhook, no IngressClass.
                        "enableServiceMutatorWebhook": False,
                        "createIngressClassResource": False,
                    }
                )
            ],
            depends_on=[lbc_identity, self.eks.node_group],
        )

        # One namespace per app namespace, before ArgoCD arrives (a scoped ArgoCD cannot create
        # one). The served app's keeps its id; every other is `namespace-<name>`. A namespace
        # leaves a live generation only with the grant naming it, which the guard refuses.
        self.namespaces = {
            namespace: NamespaceV1(
                self,
                "app-namespace" if namespace == app.namespace else f"namespace-{namespace}",
                metadata=NamespaceV1Metadata(name=namespace, labels={APP_LABEL: labelled}),
                depends_on=[self.eks.node_group, *self.argocd_access.policies],
            )
            for namespace, labelled in sorted(namespaces.items())
        }
        self.app_namespace = self.namespaces[app.namespace]
        chart = TerraformAsset(self, "tgb-chart", path=props.binding_chart_dir, type=AssetType.DIRECTORY)
        self.target_group_binding = Release(
            self,
            "tgb",
            name=f"{app.name}-tgb",
            chart=chart.path,
            namespace=app.namespace,
            values=[
                json.dumps(
                    {
                        "name": app.name,
                        "serviceName": app.service,
                        "servicePort": app.port,
                        "targetGroupARN": props.target_group_arn,
                    }
                )
            ],
            depends_on=[self.load_balancer_controller, self.app_namespace],
        )

        self.guardrails: Release | None = None
        if props.guardrails_chart_dir is not None and has_validating_admission_policy(props.cluster.kubernetes_version):
            guardrails_chart = TerraformAsset(
                self, "guardrails-chart", path=props.guardrails_chart_dir, type=AssetType.DIRECTORY
            )
            # In place before any app arrives: hubs register a target (and ArgoCD deploys to it)
            # only in a later step, after this stack is applied. On a live generation it is an
            # added release, which the guard allows (fleet/gate/rules.py GENERATION_MAY_ADD).
            self.guardrails = Release(
                self,
                "guardrails",
                name="guardrails",
                chart=guardrails_chart.path,
                namespace=GUARDRAILS_NAMESPACE,
                atomic=True,
                values=[json.dumps({"policyName": GUARDRAILS_POLICY})],
            )

"""The one IAM role every ArgoCD generation acts as, and the grant that lets it into a target."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_role import DataAwsIamRole
from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.eks_access_policy_association import (
    EksAccessPolicyAssociation,
    EksAccessPolicyAssociationAccessScope,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole

from constructs import Construct
from constructs.eks_cluster import EksCluster
from constructs.pod_identity import pod_identity_trust_policy

NAMESPACE_POLICY = "AmazonEKSAdminPolicy"
"""What ArgoCD gets in its service's namespaces. Of the AWS-managed access policies, AmazonEKSEditPolicy
and AmazonEKSAdminPolicy both create, patch and delete workloads, Services, ConfigMaps, Secrets,
ServiceAccounts, Ingresses, NetworkPolicies, PodDisruptionBudgets, HPAs and Jobs; only
AmazonEKSAdminPolicy also writes `roles` and `rolebindings` (rbac.authorization.k8s.io), which
most charts ship for their own ServiceAccount, and without which ArgoCD could neither sync nor
prune them. Scoped to namespaces it reaches nothing outside them (it reads `namespaces` only).
EKS user guide, "Review access policy permissions" (access-policy-permissions.html,
#access-policy-permissions-amazoneksadminpolicy and -amazonekseditpolicy)."""
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
"""Only for a service that declares cluster-scoped kinds: it is the one AWS-managed access policy
that writes cluster-scoped objects (AmazonEKSAdminPolicy at cluster scope writes namespaced kinds
in every namespace, and no cluster-scoped kind). It cannot be narrowed to kinds; the service's
AppProject (clusterResourceWhitelist) is what limits ArgoCD to the declared ones."""


@dataclass(frozen=True)
class TargetAccess:
    """What ArgoCD may do on one target: the same facts the hub's cluster Secret and the
    service's AppProject carry (fleet/model/access.py works them out once)."""

    namespaces: tuple[str, ...]
    """Namespaces ArgoCD may write to (AmazonEKSAdminPolicy, namespace scope)."""
    cluster_wide: bool
    """Also AmazonEKSClusterAdminPolicy at cluster scope: only when the service declares
    cluster-scoped kinds."""


@dataclass(frozen=True)
class SharedArgoRoleProps:
    role_name: str
    hub_cluster_pattern: str
    """StringLike pattern of the hub clusters' names, e.g. `acme-argocd-*`."""
    namespace: str
    """Where the argo-cd chart runs on every hub."""
    service_accounts: tuple[str, ...]
    """ArgoCD's service accounts that act toward the targets: the same list every hub associates
    with this role (ArgoCdClusterProps.service_accounts). In the fleet, the application controller
    alone (`fleet.names.ARGOCD_SERVICE_ACCOUNTS`): the applicationset controller and argocd-server
    cannot assume the role, so neither can act on any target."""


@dataclass(frozen=True)
class ClusterAccessGrant:
    entry: EksAccessEntry
    namespaced: EksAccessPolicyAssociation
    """AmazonEKSAdminPolicy on the grant's namespaces."""
    cluster: EksAccessPolicyAssociation | None
    """AmazonEKSClusterAdminPolicy at cluster scope, or None (the default)."""

    @property
    def policies(self) -> tuple[EksAccessPolicyAssociation, ...]:
        return (self.namespaced, *((self.cluster,) if self.cluster is not None else ()))


class _GrantsClusterAccess:
    role_arn: str

    def grant_cluster_access(self, target: EksCluster, access: TargetAccess) -> ClusterAccessGrant:
        """Let this role into `target` as far as `access` says: an access entry, the namespaced
        policy, and the cluster-scoped one only when `access.cluster_wide`; created in the target's
        own scope (so in the target's stack). Construct ids: `argocd-access` (the entry),
        `argocd-namespaces`, `argocd-admin` (the cluster-scope association, as before)."""
        entry = EksAccessEntry(
            target,
            "argocd-access",
            cluster_name=target.name,
            principal_arn=self.role_arn,
            type="STANDARD",
        )

        def associate(id: str, policy: str, scope: EksAccessPolicyAssociationAccessScope) -> EksAccessPolicyAssociation:
            return EksAccessPolicyAssociation(
                target,
                id,
                cluster_name=target.name,
                principal_arn=self.role_arn,
                policy_arn=f"arn:{target.partition}:eks::aws:cluster-access-policy/{policy}",
                access_scope=scope,
                depends_on=[entry],
            )

        namespaced = associate(
            "argocd-namespaces",
            NAMESPACE_POLICY,
            EksAccessPolicyAssociationAccessScope(type="namespace", namespaces=list(access.namespaces)),
        )
        cluster = None
        if access.cluster_wide:
            cluster = associate(
                "argocd-admin", CLUSTER_ADMIN_POLICY, EksAccessPolicyAssociationAccessScope(type="cluster")
            )
        return ClusterAccessGrant(entry=entry, namespaced=namespaced, cluster=cluster)


class SharedArgoRole(Construct, _GrantsClusterAccess):
    """The IAM role ArgoCD's service accounts get through EKS Pod Identity, on every hub generation.

    Its trust admits only `pods.eks.amazonaws.com`, and only when Pod Identity's session tags say
    the pod runs in ArgoCD's namespace, as one of the given service accounts (the application
    controller's, in the fleet), on a hub cluster of this fleet. It carries no permission policy: target clusters authorize it by access entry, and
    the EKS token ArgoCD presents (a presigned sts:GetCallerIdentity) needs no IAM permission.
    """

    def __init__(self, scope: Construct, id: str, props: SharedArgoRoleProps) -> None:
        super().__init__(scope, id)
        account = DataAwsCallerIdentity(self, "account").account_id
        self.role = IamRole(
            self,
            "role",
            name=props.role_name,
            description="ArgoCD of every hub generation (EKS Pod Identity)",
            assume_role_policy=pod_identity_trust_policy(
                account_id=account,
                namespace=props.namespace,
                service_accounts=props.service_accounts,
                cluster_name_pattern=props.hub_cluster_pattern,
            ),
            max_session_duration=3600,
        )
        self.role_arn = self.role.arn
        self.role_name = self.role.name

    @staticmethod
    def from_role_name(scope: Construct, id: str, role_name: str) -> SharedArgoRoleRef:
        """The role as a generation stack sees it: found by name, never referenced across stacks."""
        return SharedArgoRoleRef(scope, id, role_name)


class SharedArgoRoleRef(Construct, _GrantsClusterAccess):
    """SharedArgoRole looked up by name (a data source) from a generation stack."""

    def __init__(self, scope: Construct, id: str, role_name: str) -> None:
        super().__init__(scope, id)
        self.role = DataAwsIamRole(self, "role", name=role_name)
        self.role_arn = self.role.arn
        self.role_name = role_name

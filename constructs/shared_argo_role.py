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

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


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
    cannot assume the role, so neither is cluster-admin on any target."""


@dataclass(frozen=True)
class ClusterAccessGrant:
    entry: EksAccessEntry
    policy: EksAccessPolicyAssociation


class _GrantsClusterAccess:
    role_arn: str

    def grant_cluster_access(self, target: EksCluster) -> ClusterAccessGrant:
        """Let this role administer `target`: an access entry plus the cluster-admin access policy,
        created in the target's own scope (so in the target's stack)."""
        entry = EksAccessEntry(
            target,
            "argocd-access",
            cluster_name=target.name,
            principal_arn=self.role_arn,
            type="STANDARD",
        )
        policy = EksAccessPolicyAssociation(
            target,
            "argocd-admin",
            cluster_name=target.name,
            principal_arn=self.role_arn,
            policy_arn=f"arn:{target.partition}:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}",
            access_scope=EksAccessPolicyAssociationAccessScope(type="cluster"),
            depends_on=[entry],
        )
        return ClusterAccessGrant(entry=entry, policy=policy)


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

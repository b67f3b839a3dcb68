"""What every generation stack (`argocd-<gen>`, `target-<gen>`) sets up the same way.

A generation stack finds everything it needs in `shared` by deterministic name, through data
sources, and references no other stack: that is what lets `cdktf deploy <stack>` and
`cdktf destroy <stack>` touch one generation alone. Construct ids here (`argocd-client-sg`,
`argocd-role`, `vpc`, `private-subnets`, `kubernetes`, `helm`) are a public contract, as are the
stack ids: renaming one replaces real infrastructure.
"""

from __future__ import annotations

from cdktf import Fn, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_security_group import DataAwsSecurityGroup
from cdktf_cdktf_provider_aws.eks_addon import EksAddon
from cdktf_cdktf_provider_helm.provider import (
    HelmProvider,
    HelmProviderKubernetes,
    HelmProviderKubernetesExec,
)
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider, KubernetesProviderExec
from cdktf_cdktf_provider_kubernetes.storage_class_v1 import StorageClassV1, StorageClassV1Metadata

from constructs import Construct
from constructs.eks_cluster import EBS_CSI_DRIVER, EksCluster, EksClusterProps
from constructs.private_endpoint_access import OperatorAccess
from constructs.shared_argo_role import SharedArgoRole
from fleet import names
from fleet.lifecycle import DESTROYED
from fleet.model.resolved import Resolved, ResolvedGeneration
from stacks.common import cluster_props, configure, find_network

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


class GenerationStack(TerraformStack):
    """One generation's stack, up to its cluster: the AWS provider and state backend, the refusal
    to deploy a `destroyed` generation, the fleet's network, the ArgoCD-client SG and
    SharedArgoRole, all found by name. A subclass builds its cluster from `cluster_props()`, then
    calls `use_cluster(eks)`."""

    def __init__(self, scope: Construct, view: Resolved, generation: ResolvedGeneration, outdir: str) -> None:
        ref = generation.ref
        super().__init__(scope, ref.stack_id)
        fleet = view.fleet
        configure(self, fleet, ref.stack_id, outdir, service=ref.service)
        self.view, self.fleet, self.generation = view, fleet, generation
        self.ref, self.spec = ref, generation.spec
        if generation.phase == DESTROYED:
            refuse_deploy(self, ref.stack_id)

        self.network = find_network(self, fleet, generation)
        self.client_sg = DataAwsSecurityGroup(
            self, "argocd-client-sg", vpc_id=self.network.vpc_id, name=names.client_security_group_name(fleet.name)
        )
        """The ArgoCD-client SG `shared` owns: on a hub's nodes, admitted to 443 by a target."""
        self.argocd_role = SharedArgoRole.from_role_name(self, "argocd-role", names.shared_role_name(fleet.name))
        self.operators = OperatorAccess(
            cidrs=fleet.api_access.cidrs, security_group_ids=fleet.api_access.security_group_ids
        )
        """CI runners and operators the fleet file lets reach the cluster's API."""

    def cluster_props(self, **extra: object) -> EksClusterProps:
        """This generation's EKS cluster as the fleet file describes it; `extra` adds props."""
        return cluster_props(self.fleet, self.generation, self.network, **extra)

    def use_cluster(self, cluster: EksCluster) -> None:
        """Configure the helm and kubernetes providers from `cluster`. No other principal gets an
        access entry: PR plans compare configuration with state (`-refresh=false`)."""
        kubernetes_providers(self, cluster, self.fleet.region)
        if EBS_CSI_DRIVER in cluster.addons:
            encrypted_storage_class(self, cluster.addons[EBS_CSI_DRIVER])


def kubernetes_providers(stack: TerraformStack, cluster: EksCluster, region: str) -> None:
    """Helm and kubernetes providers of a generation stack, configured from its own cluster with
    short-lived tokens from `aws eks get-token` (no kubeconfig, nothing stored in state)."""
    args = ["eks", "get-token", "--cluster-name", cluster.name, "--region", region]
    host = cluster.endpoint
    # The resource's own token here: cdktf's Fn functions cannot take a written-out reference.
    ca = Fn.base64decode(cluster.cluster.certificate_authority.get(0).data)
    KubernetesProvider(
        stack,
        "kubernetes",
        host=host,
        cluster_ca_certificate=ca,
        exec=[KubernetesProviderExec(api_version=EXEC_API_VERSION, command="aws", args=args)],
    )
    HelmProvider(
        stack,
        "helm",
        kubernetes=HelmProviderKubernetes(
            host=host,
            cluster_ca_certificate=ca,
            exec=HelmProviderKubernetesExec(api_version=EXEC_API_VERSION, command="aws", args=args),
        ),
    )


STORAGE_CLASS = "gp3-encrypted"
"""The default StorageClass of a generation that runs the EBS CSI driver."""


def encrypted_storage_class(stack: TerraformStack, driver: EksAddon) -> StorageClassV1:
    """The cluster's default StorageClass: encrypted gp3 volumes from the EBS CSI driver (the
    account's default EBS key), made when a pod first claims one, in that pod's zone."""
    return StorageClassV1(
        stack,
        "storage-class",
        metadata=StorageClassV1Metadata(
            name=STORAGE_CLASS, annotations={"storageclass.kubernetes.io/is-default-class": "true"}
        ),
        storage_provisioner="ebs.csi.aws.com",
        parameters={"type": "gp3", "encrypted": "true"},
        reclaim_policy="Delete",
        volume_binding_mode="WaitForFirstConsumer",
        allow_volume_expansion=True,
        depends_on=[driver],
    )


def refuse_deploy(stack: TerraformStack, stack_id: str) -> None:
    """A `destroyed` generation's stack is still synthesized so that `cdktf destroy <stack>` finds
    it; this makes `cdktf deploy <stack>` fail at plan time instead of building it again. A
    precondition is checked when a resource is planned for creation or update, never on destroy."""
    stack.add_override("locals.phase", "destroyed")
    stack.add_override(
        "resource.terraform_data.destroyed",
        {
            "input": "${local.phase}",
            "lifecycle": {
                "precondition": [
                    {
                        "condition": '${local.phase != "destroyed"}',
                        "error_message": f"{stack_id} is in phase destroyed: run `cdktf destroy {stack_id}`, "
                        "never deploy; to bring it back, add a new generation",
                    }
                ]
            },
        },
    )

"""One EKS generation's cluster: the part hub and target clusters share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from cdktf_cdktf_provider_aws.eks_addon import EksAddon
from cdktf_cdktf_provider_aws.eks_cluster import (
    EksCluster as EksClusterResource,
)
from cdktf_cdktf_provider_aws.eks_cluster import (
    EksClusterAccessConfig,
    EksClusterEncryptionConfig,
    EksClusterEncryptionConfigProvider,
    EksClusterKubernetesNetworkConfig,
    EksClusterVpcConfig,
)
from cdktf_cdktf_provider_aws.eks_node_group import (
    EksNodeGroup,
    EksNodeGroupLaunchTemplate,
    EksNodeGroupScalingConfig,
    EksNodeGroupUpdateConfig,
)
from cdktf_cdktf_provider_aws.eks_pod_identity_association import EksPodIdentityAssociation
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateMetadataOptions,
    LaunchTemplateTagSpecifications,
)

from constructs import Construct
from constructs.checkov import CHECKOV_EKS_VERSIONS, skip_check
from constructs.pod_identity import pod_identity_trust_policy
from constructs.refs import Refs

LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""All five control-plane log types: every generation logs them all."""

LOG_RETENTION_DAYS = 365
CLUSTER_POLICIES: tuple[str, ...] = ("AmazonEKSClusterPolicy",)
NODE_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
)


POD_IDENTITY_AGENT = "eks-pod-identity-agent"
EBS_CSI_DRIVER = "aws-ebs-csi-driver"
EBS_CSI_NAMESPACE = "kube-system"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
"""The AWS managed policy of the EBS CSI driver: volumes and snapshots it creates and tags, and
volumes tagged as the driver's (its conditions narrow deletes to those)."""


def addon_id(addon: str) -> str:
    """Construct id of a managed add-on besides the Pod Identity agent (`pod-identity-agent`):
    `addon-<EKS name>`, a public contract like every construct id."""
    return f"addon-{addon}"


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


class ServiceRole(NamedTuple):
    role: IamRole
    arn: str
    """The role's ARN as a reference (one jsii round trip fewer than `role.arn`)."""
    attachments: list[IamRolePolicyAttachment]
    """Keep what uses the role after these: AWS needs the policies until it is done."""


@dataclass(frozen=True)
class NodeSizing:
    """A managed node group's shape. Safe to change in place."""

    instance_types: tuple[str, ...]
    min_size: int
    desired_size: int
    max_size: int
    disk_size_gib: int
    """Size of the encrypted gp3 root volume."""


@dataclass(frozen=True)
class EksClusterProps:
    cluster_name: str
    kubernetes_version: str
    """EKS minor version, e.g. "1.33". Never changed on a live generation."""
    subnet_ids: tuple[str, ...] | str
    """Private subnets of the control plane ENIs and the nodes (a list, or a token for one)."""
    node_group_name: str
    """Name of the cluster's one managed node group."""
    ami_type: str
    """The node group's AMI type for this Kubernetes version (`fleet/versions.py`), e.g.
    AL2023_x86_64_STANDARD."""
    public_access_cidrs: tuple[str, ...]
    """Empty: the public endpoint is off. The private endpoint is always on."""
    service_cidr: str
    """The Kubernetes service range. Never changed on a live generation."""
    nodes: NodeSizing
    addon_versions: tuple[tuple[str, str | None], ...]
    """EKS add-on name -> version (fleet/addons.py), in the order they are created. An add-on is
    managed only with a version (construct id `addon_id(name)`); the Pod Identity agent always is,
    at EKS's default version without one."""
    control_plane_security_group_ids: tuple[str, ...] = ()
    """Additional control-plane SGs, e.g. PrivateEndpointAccess's. Default: none."""
    node_security_group_ids: tuple[str, ...] = ()
    """Extra SGs on every node, beside the cluster SG. Default: none."""
    region: str | None = None
    """The stack's region. Default: looked up with a data source."""
    partition: str | None = None
    """The region's partition (`aws`, `aws-us-gov`, `aws-cn`). Default: looked up."""


class EksCluster(Construct):
    """An EKS cluster as every generation runs it.

    Secrets encrypted with its own KMS key (rotated), all five control-plane log types kept for a
    year in an encrypted log group, private endpoint on, access entries only (`API`
    authentication), a managed node group whose launch template enforces IMDSv2 with a hop limit
    of 1 (pods cannot borrow the node role) and carries the extra SGs, and the EKS Pod Identity
    agent add-on.
    """

    def __init__(self, scope: Construct, id: str, props: EksClusterProps) -> None:
        super().__init__(scope, id)
        self.props = props
        name = props.cluster_name
        # Partition and region are given where known: a data source each costs a lookup at plan
        # time and a round trip to the jsii runtime at synth time.
        partition = props.partition or DataAwsPartition(self, "partition").partition
        account = DataAwsCallerIdentity(self, "account").account_id
        region = props.region or DataAwsRegion(self, "region").name
        self.partition = partition
        self.account_id = account

        cluster_role = self._service_role("cluster-role", f"{name}-cluster", "eks.amazonaws.com", CLUSTER_POLICIES)

        self.key = KmsKey(
            self,
            "key",
            description=f"EKS secrets and control-plane logs of {name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=self._key_policy(partition, account, region),
        )
        key_arn = self.key.arn
        KmsAlias(self, "key-alias", name=f"alias/{name}", target_key_id=self.key.key_id)

        logs = CloudwatchLogGroup(
            self,
            "logs",
            name=f"/aws/eks/{name}/cluster",
            retention_in_days=LOG_RETENTION_DAYS,
            kms_key_id=key_arn,
        )

        subnet_ids = props.subnet_ids if isinstance(props.subnet_ids, str) else list(props.subnet_ids)
        self.cluster = EksClusterResource(
            self,
            "cluster",
            name=name,
            version=props.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=EksClusterVpcConfig(
                subnet_ids=subnet_ids,  # type: ignore[arg-type]
                security_group_ids=list(props.control_plane_security_group_ids),
                endpoint_private_access=True,
                endpoint_public_access=bool(props.public_access_cidrs),
                public_access_cidrs=list(props.public_access_cidrs) or None,
            ),
            access_config=EksClusterAccessConfig(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
            ),
            encryption_config=EksClusterEncryptionConfig(
                resources=["secrets"],
                provider=EksClusterEncryptionConfigProvider(key_arn=key_arn),
            ),
            enabled_cluster_log_types=list(LOG_TYPES),
            kubernetes_network_config=EksClusterKubernetesNetworkConfig(service_ipv4_cidr=props.service_cidr),
            # The role's policies stay until the cluster is gone: EKS needs them to delete the
            # security groups and ENIs it made, or a destroyed generation leaves them behind.
            depends_on=[logs, *cluster_role.attachments],
        )
        if props.kubernetes_version not in CHECKOV_EKS_VERSIONS:
            skip_check(
                self.cluster,
                "CKV_AWS_339",
                f"checkov's list of EKS versions ends at {CHECKOV_EKS_VERSIONS[-1]}; {props.kubernetes_version} is "
                "in EKS standard support (fleet/versions.py, from AWS's release calendar)",
            )

        # Each token read is a round trip to the jsii runtime: read the ones others use once.
        cluster = Refs(self.cluster)
        self.name: str = cluster.attr("name")
        """The cluster's name, as a reference that orders dependents after the cluster."""
        self.endpoint: str = cluster.attr("endpoint")
        self.certificate_authority_data: str = cluster.attr("certificate_authority[0].data")
        """Base64 PEM of the cluster CA."""
        self.cluster_security_group_id: str = cluster.attr("vpc_config[0].cluster_security_group_id")
        """The SG EKS creates for control plane and nodes to talk to each other."""

        node_role = self._service_role("node-role", f"{name}-node", "ec2.amazonaws.com", NODE_POLICIES)
        self.node_role = node_role.role

        sizing = props.nodes
        launch_template = LaunchTemplate(
            self,
            "nodes-template",
            name=f"{name}-nodes",
            update_default_version=True,
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            # EKS adds the cluster SG only when the template names none; name it, then the extras.
            vpc_security_group_ids=[
                self.cluster_security_group_id,
                *props.node_security_group_ids,
            ],
            block_device_mappings=[
                LaunchTemplateBlockDeviceMappings(
                    device_name="/dev/xvda",
                    ebs=LaunchTemplateBlockDeviceMappingsEbs(
                        volume_size=sizing.disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            tag_specifications=[
                LaunchTemplateTagSpecifications(resource_type="instance", tags={"Name": f"{name}-node"})
            ],
        )
        self.node_group = EksNodeGroup(
            self,
            "nodes",
            cluster_name=self.name,
            node_group_name=props.node_group_name,
            node_role_arn=node_role.arn,
            subnet_ids=subnet_ids,  # type: ignore[arg-type]
            instance_types=list(sizing.instance_types),
            ami_type=props.ami_type,
            scaling_config=EksNodeGroupScalingConfig(
                min_size=sizing.min_size, desired_size=sizing.desired_size, max_size=sizing.max_size
            ),
            update_config=EksNodeGroupUpdateConfig(max_unavailable=1),
            launch_template=EksNodeGroupLaunchTemplate(
                id=launch_template.id, version=str(launch_template.latest_version)
            ),
            depends_on=node_role.attachments,
        )

        versions = dict(props.addon_versions)
        self.pod_identity_agent = EksAddon(
            self,
            "pod-identity-agent",
            cluster_name=self.name,
            addon_name=POD_IDENTITY_AGENT,
            addon_version=versions.get(POD_IDENTITY_AGENT),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            depends_on=[self.node_group],
        )
        self.addons: dict[str, EksAddon] = {}
        """The managed add-ons besides the Pod Identity agent, by EKS name."""
        for addon, version in props.addon_versions:
            if addon == POD_IDENTITY_AGENT or version is None:
                continue
            after: list[ITerraformDependable] = [self.node_group]
            if addon == EBS_CSI_DRIVER:
                after += self._ebs_csi_identity(account)
            self.addons[addon] = EksAddon(
                self,
                addon_id(addon),
                cluster_name=self.name,
                addon_name=addon,
                addon_version=version,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                depends_on=after,
            )

    def _ebs_csi_identity(self, account: str) -> list[ITerraformDependable]:
        """The EBS CSI controller's role: AmazonEBSCSIDriverPolicy, assumed only through Pod
        Identity by kube-system/ebs-csi-controller-sa of this cluster, in this account."""
        name = self.props.cluster_name
        role = IamRole(
            self,
            "ebs-csi-role",
            name=f"{name}-ebs-csi",
            description=f"EBS CSI controller of {name} (volumes for PersistentVolumeClaims)",
            assume_role_policy=pod_identity_trust_policy(
                account_id=account,
                namespace=EBS_CSI_NAMESPACE,
                service_accounts=(EBS_CSI_SERVICE_ACCOUNT,),
                cluster_name_pattern=name,
            ),
        )
        ref = Refs(role)
        attachment = IamRolePolicyAttachment(
            self,
            "ebs-csi-role-policy",
            role=ref.attr("name"),
            policy_arn=f"arn:{self.partition}:iam::aws:policy/{EBS_CSI_POLICY}",
        )
        identity = EksPodIdentityAssociation(
            self,
            "ebs-csi-pod-identity",
            cluster_name=self.name,
            namespace=EBS_CSI_NAMESPACE,
            service_account=EBS_CSI_SERVICE_ACCOUNT,
            role_arn=ref.attr("arn"),
            depends_on=[attachment],
        )
        return [identity]

    def _service_role(self, id: str, name: str, service: str, policies: tuple[str, ...]) -> ServiceRole:
        """A role `service` assumes, with AWS managed `policies` attached (construct ids `<id>` and
        `<id>-<policy>`)."""
        role = IamRole(self, id, name=name, assume_role_policy=_trust(service))
        ref = Refs(role)
        role_name = ref.attr("name")
        attachments = [
            IamRolePolicyAttachment(
                self,
                f"{id}-{policy}",
                role=role_name,
                policy_arn=f"arn:{self.partition}:iam::aws:policy/{policy}",
            )
            for policy in policies
        ]
        return ServiceRole(role, ref.attr("arn"), attachments)

    def _key_policy(self, partition: str, account: str, region: str) -> str:
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AccountAdministers",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        "Sid": "ControlPlaneLogs",
                        "Effect": "Allow",
                        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                        "Action": [
                            "kms:Encrypt*",
                            "kms:Decrypt*",
                            "kms:ReEncrypt*",
                            "kms:GenerateDataKey*",
                            "kms:Describe*",
                        ],
                        "Resource": "*",
                        "Condition": {
                            "ArnLike": {
                                "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:log-group:/aws/eks/{self.props.cluster_name}/cluster"
                            }
                        },
                    },
                ],
            }
        )

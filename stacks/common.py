"""What every stack of the fleet sets up the same way (provider, state backend), and what a
generation stack reads of the fleet: its network and its cluster's props (stacks/generation.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cdktf import LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_subnets import DataAwsSubnets, DataAwsSubnetsFilter
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from constructs import Construct
from constructs.eks_cluster import EksClusterProps, NodeSizing
from constructs.fleet_network import PRIVATE_TIER
from fleet import names
from fleet.model import Fleet
from fleet.model.resolved import ResolvedGeneration


def configure(stack: TerraformStack, fleet: Fleet, stack_id: str, outdir: str, service: str | None = None) -> None:
    """The AWS provider (with the fleet's tags on every resource) and the state backend: one state
    per fleet and stack, so `cdktf deploy <stack>` and `cdktf destroy <stack>` touch that stack
    alone and two fleets never share one. `outdir` is the App's output directory: cdktf runs
    terraform in `<outdir>/stacks/<stack>/`, and a local state path is relative to that. A target
    stack's resources also carry their service's tag."""
    from stacks.endpoints import aws_provider_settings

    AwsProvider(
        stack,
        "aws",
        region=fleet.region,
        default_tags=[
            AwsProviderDefaultTags(
                tags={
                    **fleet.tags,
                    names.TAG_FLEET: fleet.name,
                    names.TAG_STACK: stack_id,
                    **({names.TAG_SERVICE: service} if service else {}),
                }
            )
        ],
        **aws_provider_settings(),  # EPHEMERAL_EKS_AWS_ENDPOINT: a local emulator (stacks/endpoints.py)
    )
    state = fleet.state
    if state.backend == "s3":
        S3Backend(
            stack,
            bucket=state.bucket,
            key=names.s3_state_key(state.key_prefix, fleet.name, fleet.region, stack_id),
            region=state.region,
            encrypt=True,
            dynamodb_table=state.dynamodb_table,
        )
        if state.dynamodb_table is None:
            # S3's own lock file (terraform >= 1.10); cdktf 0.21's S3Backend has no field for it.
            stack.add_override("terraform.backend.s3.use_lockfile", True)
    else:
        # Under the project root, outside the output directory, so a re-synth never touches it;
        # written relative to the stack directory, so the JSON names no machine's paths.
        state_file = names.PROJECT_ROOT / names.local_state_file(fleet.name, fleet.region, stack_id)
        LocalBackend(stack, path=os.path.relpath(state_file, Path(outdir).resolve() / "stacks" / stack_id))


@dataclass(frozen=True)
class NetworkRef:
    vpc_id: str
    private_subnet_ids: tuple[str, ...] | str
    """A tuple for a reused VPC; a token (list) when the subnets are found by tag."""


def find_network(scope: Construct, fleet: Fleet, generation: ResolvedGeneration) -> NetworkRef:
    """The fleet's VPC from a generation stack: the ids from the fleet file when reused, else the
    VPC `shared` created, found by its Name tag, and its private subnets by tier tag - in the
    generation's own zones only, so a zone added to the fleet later never moves its nodes."""
    net = fleet.network
    if net.vpc_id:
        return NetworkRef(vpc_id=net.vpc_id, private_subnet_ids=generation.private_subnet_ids)
    vpc_id = DataAwsVpc(scope, "vpc", tags={"Name": names.vpc_name(fleet.name), names.TAG_FLEET: fleet.name}).id
    subnets = DataAwsSubnets(
        scope,
        "private-subnets",
        filter=[
            DataAwsSubnetsFilter(name="vpc-id", values=[vpc_id]),
            DataAwsSubnetsFilter(name="availability-zone", values=list(generation.zones)),
        ],
        tags={names.TAG_TIER: PRIVATE_TIER},
    )
    return NetworkRef(vpc_id=vpc_id, private_subnet_ids=subnets.ids)  # type: ignore[arg-type]


def cluster_props(
    fleet: Fleet, generation: ResolvedGeneration, network: NetworkRef, **extra: object
) -> EksClusterProps:
    spec = generation.spec
    nodes = spec.nodes
    return EksClusterProps(
        cluster_name=generation.cluster_name,
        kubernetes_version=spec.kubernetes_version,
        node_group_name=names.node_group_name(generation.cluster_name),
        ami_type=spec.nodes.resolved_ami_type,
        subnet_ids=network.private_subnet_ids,
        public_access_cidrs=spec.public_access_cidrs,
        service_cidr=generation.service_cidr,
        addon_versions=tuple(generation.addon_versions().items()),
        region=fleet.region,
        partition=names.partition(fleet.region),
        nodes=NodeSizing(
            instance_types=nodes.instance_types,
            min_size=nodes.min_size,
            desired_size=nodes.desired_size,
            max_size=nodes.max_size,
            disk_size_gib=nodes.disk_size_gib,
        ),
        **extra,  # type: ignore[arg-type]
    )

"""The VPC `shared` creates when the fleet file gives a CIDR instead of a VPC to reuse."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc

from constructs import Construct

PRIVATE_TIER = "private"
PUBLIC_TIER = "public"
"""Values of the tier tag on the private and public subnets; generation stacks find their
subnets by the private one."""


@dataclass(frozen=True)
class FleetNetworkProps:
    name: str
    """Name tag of the VPC; generation stacks find it by this tag."""
    cidr: str
    zones: tuple[str, ...]
    """Availability zone names, e.g. ("eu-west-1a", "eu-west-1b"); one private and one public
    subnet each. Named, not looked up, so a new zone in the region changes nothing."""
    tier_tag: str
    """Tag whose value (`PRIVATE_TIER` / `PUBLIC_TIER`) generation stacks find subnets by."""
    flow_logs_bucket: str | None
    """Existing S3 bucket for VPC flow logs; None for none."""


def subnet_cidrs(cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """Private and public subnet ranges: the VPC split in eight, private first, public from the
    fifth on, so adding a zone never moves an existing subnet."""
    eighths = list(ipaddress.IPv4Network(cidr).subnets(prefixlen_diff=3))
    return [str(n) for n in eighths[:zones]], [str(n) for n in eighths[4 : 4 + zones]]


class FleetNetwork(Construct):
    """A VPC over `zones` zones: private subnets (nodes, control planes, one NAT gateway per zone)
    and public subnets (the ALB), flow logs on, the default security group emptied."""

    def __init__(self, scope: Construct, id: str, props: FleetNetworkProps) -> None:
        super().__init__(scope, id)
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=props.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": props.name},
        )
        DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc.id, tags={"Name": f"{props.name}-default-closed"})
        if props.flow_logs_bucket:
            partition = DataAwsPartition(self, "partition").partition
            FlowLog(
                self,
                "flow-logs",
                vpc_id=self.vpc.id,
                traffic_type="ALL",
                log_destination_type="s3",
                log_destination=f"arn:{partition}:s3:::{props.flow_logs_bucket}/vpc-flow-logs/",
            )
        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": props.name})
        public_rt = RouteTable(self, "public-rt", vpc_id=self.vpc.id, tags={"Name": f"{props.name}-public"})
        Route(
            self, "public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id
        )

        private_cidrs, public_cidrs = subnet_cidrs(props.cidr, len(props.zones))
        self.private_subnet_ids: list[str] = []
        self.public_subnet_ids: list[str] = []
        for i, zone in enumerate(props.zones):
            public = self._subnet(props, f"public-{i}", public_cidrs[i], zone, PUBLIC_TIER)
            RouteTableAssociation(self, f"public-{i}-rt", subnet_id=public.id, route_table_id=public_rt.id)
            private = self._subnet(props, f"private-{i}", private_cidrs[i], zone, PRIVATE_TIER)
            eip = Eip(self, f"nat-{i}-ip", domain="vpc", tags={"Name": f"{props.name}-nat-{i}"})
            nat = NatGateway(
                self,
                f"nat-{i}",
                subnet_id=public.id,
                allocation_id=eip.id,
                tags={"Name": f"{props.name}-nat-{i}"},
                depends_on=[igw],
            )
            private_rt = RouteTable(
                self, f"private-{i}-rt", vpc_id=self.vpc.id, tags={"Name": f"{props.name}-private-{i}"}
            )
            Route(
                self,
                f"private-{i}-default",
                route_table_id=private_rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
            )
            RouteTableAssociation(self, f"private-{i}-rta", subnet_id=private.id, route_table_id=private_rt.id)
            self.private_subnet_ids.append(private.id)
            self.public_subnet_ids.append(public.id)
        self.vpc_id = self.vpc.id
        self.vpc_cidr = self.vpc.cidr_block

    def _subnet(self, props: FleetNetworkProps, id: str, cidr: str, zone: str, tier: str) -> Subnet:
        """A subnet of `tier`, tagged for the generation stacks (`props.tier_tag`) and for the load
        balancer controller (internet-facing load balancers in public subnets, internal ones in
        private). Neither gives an instance a public IP at launch: the public one says so, the
        private one keeps AWS's default, false."""
        public = tier == PUBLIC_TIER
        return Subnet(
            self,
            id,
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone=zone,
            map_public_ip_on_launch=False if public else None,
            tags={
                "Name": f"{props.name}-{id}",
                props.tier_tag: tier,
                "kubernetes.io/role/elb" if public else "kubernetes.io/role/internal-elb": "1",
            },
        )

"""`shared`: what outlives every generation - network, SharedArgoRole, the ArgoCD-client SG and,
per service, an ALB with one target group per target generation of that service."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack, TerraformVariable
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc
from cdktf_cdktf_provider_aws.security_group import SecurityGroup

from constructs import Construct
from constructs.checkov import skip_check
from constructs.fleet_network import FleetNetwork, FleetNetworkProps
from constructs.fleet_traffic import FleetTraffic, FleetTrafficProps, TrafficTarget
from constructs.shared_argo_role import SharedArgoRole, SharedArgoRoleProps
from fleet import names
from fleet.lifecycle import OPERATOR_RULE_PHASES, REGISTERED_PHASES, SERVING
from fleet.model import Fleet
from fleet.model.generation import Target
from stacks.common import configure


class SharedStack(TerraformStack):
    def __init__(self, scope: Construct, fleet: Fleet, outdir: str) -> None:
        super().__init__(scope, names.SHARED_STACK)
        configure(self, fleet, names.SHARED_STACK, outdir)
        fleet_name = fleet.name

        if fleet.network.cidr:
            network = FleetNetwork(
                self,
                "network",
                FleetNetworkProps(
                    name=names.vpc_name(fleet_name),
                    cidr=fleet.network.cidr,
                    zones=fleet.network.zones,
                    tier_tag=names.TAG_TIER,
                    flow_logs_bucket=fleet.logs_bucket,
                ),
            )
            vpc_id, vpc_cidr = network.vpc_id, network.vpc_cidr
            public_subnets: list[str] | tuple[str, ...] = network.public_subnet_ids
        else:
            assert fleet.network.vpc_id is not None
            vpc = DataAwsVpc(self, "vpc", id=fleet.network.vpc_id)
            vpc_id, vpc_cidr = vpc.id, vpc.cidr_block
            public_subnets = fleet.network.public_subnet_ids

        self.argo_role = SharedArgoRole(
            self,
            "argocd-role",
            SharedArgoRoleProps(
                role_name=names.shared_role_name(fleet_name),
                hub_cluster_pattern=names.hub_cluster_pattern(fleet_name),
                namespace=names.ARGOCD_NAMESPACE,
                service_accounts=names.ARGOCD_SERVICE_ACCOUNTS,
            ),
        )
        client_sg_name = names.client_security_group_name(fleet_name)
        self.client_sg = SecurityGroup(
            self,
            "argocd-client-sg",
            name=client_sg_name,
            description="Carried by the nodes of every ArgoCD generation; targets allow it to 443",
            vpc_id=vpc_id,
            revoke_rules_on_delete=True,
            tags={"Name": client_sg_name},
        )
        skip_check(
            self.client_sg,
            "CKV2_AWS_5",
            "attached by name to the node launch template of every argocd-<gen> stack, not this one",
        )

        self.traffic: dict[str, FleetTraffic] = {}
        for service_name, service in fleet.services.items():
            app = service.served_app
            assert app.port is not None  # the model requires it of the served app
            traffic = service.traffic
            self.traffic[service_name] = FleetTraffic(
                self,
                f"traffic-{service_name}",
                FleetTrafficProps(
                    alb_name=names.alb_name(fleet_name, service_name),
                    security_group_name=names.alb_security_group_name(fleet_name, service_name),
                    vpc_id=vpc_id,
                    vpc_cidr=vpc_cidr,
                    public_subnet_ids=public_subnets,
                    certificate_arn=traffic.certificate_arn,
                    app_port=app.port,
                    target_port=app.target_port(),
                    health_check_path=app.health_check_path,
                    targets=tuple(
                        self._traffic_target(fleet_name, service_name, gen, target, shifted=traffic.shift is not None)
                        for gen, target in service.targets.items()
                    ),
                    access_logs_bucket=fleet.logs_bucket,
                    allowed_cidrs=traffic.allowed_cidrs,
                    operator_cidrs=traffic.operator_cidrs or (vpc_cidr,),
                    generation_tag=names.TAG_GENERATION,
                    service_tag=(names.TAG_SERVICE, service_name),
                    deletion_protection=not service.closed,
                    waf_acl_arn=traffic.waf_acl_arn,
                ),
            )
            TerraformOutput(self, f"alb-dns-name-{service_name}", value=self.traffic[service_name].alb.dns_name)

    def _traffic_target(self, fleet_name: str, service: str, gen: str, target: Target, shifted: bool) -> TrafficTarget:
        """A target generation in its service's forward: a shifted service lists every serving and
        registered one, its weight a variable; otherwise the serving ones, their weights numbers."""
        in_forward = shifted and target.phase in REGISTERED_PHASES
        return TrafficTarget(
            generation=gen,
            target_group_name=names.target_group_name(fleet_name, gen),
            weight=self._weight_variable(service, gen, target.weight) if in_forward else target.weight,
            serving=target.phase == SERVING,
            rule_priority=names.rule_priority(gen),
            operator_rule=target.phase in OPERATOR_RULE_PHASES,
            in_forward=in_forward,
        )

    def _weight_variable(self, service: str, generation: str, weight: int) -> float:
        """A shifted service's weight as a variable whose default is the file's: a plain deploy
        applies the file, and `fleet shift` applies each step with `-var` without a new synth."""
        variable = TerraformVariable(
            self,
            names.weight_variable(service, generation),
            type="number",
            default=weight,
            nullable=False,
            description=f"Weight of generation {generation} in service {service}'s forward (fleet shift sets it per step)",
        )
        return variable.number_value

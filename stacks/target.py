"""`target-<gen>`: one target generation. Finds everything it needs by name; references no stack."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.data_aws_lb_target_group import DataAwsLbTargetGroup
from cdktf_cdktf_provider_aws.data_aws_security_group import DataAwsSecurityGroup

from constructs import Construct
from constructs.shared_argo_role import SharedArgoRole
from constructs.target_cluster import ServedApp, TargetCluster, TargetClusterProps
from fleet import names
from fleet.lifecycle import DESTROYED
from fleet.spec import Fleet
from stacks.common import (
    cluster_props,
    configure,
    find_network,
    grant_plan_role,
    kubernetes_providers,
    operator_access,
    refuse_deploy,
)


class TargetStack(TerraformStack):
    def __init__(self, scope: Construct, fleet: Fleet, generation: str, outdir: str) -> None:
        stack_id = names.stack_id("target", generation)
        super().__init__(scope, stack_id)
        service_name = fleet.service_of(generation)
        service = fleet.services[service_name]
        configure(self, fleet, stack_id, outdir, service=service_name)
        target = service.targets[generation]
        prefix = fleet.name
        if target.phase == DESTROYED:
            refuse_deploy(self, stack_id)

        network = find_network(self, fleet, target)
        client_sg = DataAwsSecurityGroup(
            self, "argocd-client-sg", vpc_id=network.vpc_id, name=names.client_security_group_name(prefix)
        )
        alb_sg = DataAwsSecurityGroup(
            self, "alb-sg", vpc_id=network.vpc_id, name=names.alb_security_group_name(prefix, service_name)
        )
        target_group = DataAwsLbTargetGroup(self, "target-group", name=names.target_group_name(prefix, generation))
        role = SharedArgoRole.from_role_name(self, "argocd-role", names.shared_role_name(prefix))

        app_name = service.traffic.app
        app = service.served_app
        assert app.port is not None  # the model requires it of the served app
        self.target = TargetCluster(
            self,
            "target",
            TargetClusterProps(
                cluster=cluster_props(fleet, "target", generation, target, network),
                vpc_id=network.vpc_id,
                region=fleet.region,
                argocd_role=role,
                client_security_group_id=client_sg.id,
                alb_security_group_id=alb_sg.id,
                target_group_arn=target_group.arn,
                app=ServedApp(
                    name=app_name,
                    namespace=app.namespace,
                    service=app.service_name(app_name),
                    port=app.port,
                    target_port=app.target_port(),
                ),
                lbc_chart_version=fleet.load_balancer_controller.chart_version,
                operators=operator_access(fleet),
            ),
        )
        grant_plan_role(self.target.eks, fleet)
        kubernetes_providers(self, self.target.eks, fleet.region)

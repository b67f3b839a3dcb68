"""`target-<gen>`: one target generation. Finds everything it needs by name; references no stack."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_lb_target_group import DataAwsLbTargetGroup
from cdktf_cdktf_provider_aws.data_aws_security_group import DataAwsSecurityGroup

from constructs import Construct
from constructs.target_cluster import ServedApp, TargetCluster, TargetClusterProps
from fleet import names
from fleet.model.resolved import Resolved, ResolvedGeneration
from fleet.versions import BINDING_CHART_DIR
from stacks.generation import GenerationStack


class TargetStack(GenerationStack):
    """Adds to the generation setup: the target cluster, admitting SharedArgoRole (as far as its
    grant, fleet/model/access.py: pinned, else its service's) and the ArgoCD-client SG, with its apps' namespaces,
    and bound to its own target group behind its service's ALB."""

    def __init__(self, scope: Construct, view: Resolved, generation: ResolvedGeneration, outdir: str) -> None:
        super().__init__(scope, view, generation, outdir)
        fleet = view.fleet
        assert generation.service is not None and generation.grant is not None  # a target's
        service_name = generation.service
        service = fleet.services[service_name]
        fleet_name = fleet.name
        vpc_id = self.network.vpc_id
        alb_sg = DataAwsSecurityGroup(
            self, "alb-sg", vpc_id=vpc_id, name=names.alb_security_group_name(fleet_name, service_name)
        )
        target_group = DataAwsLbTargetGroup(
            self, "target-group", name=names.target_group_name(fleet_name, generation.ref.name)
        )

        app_name = service.traffic.app
        app = service.served_app
        assert app.port is not None  # the model requires it of the served app
        self.target = TargetCluster(
            self,
            "target",
            TargetClusterProps(
                cluster=self.cluster_props(),
                vpc_id=vpc_id,
                region=fleet.region,
                argocd_role=self.argocd_role,
                namespaces=generation.namespaces,
                cluster_wide=generation.grant.cluster_wide,
                client_security_group_id=self.client_sg.id,
                alb_security_group_id=alb_sg.id,
                target_group_arn=target_group.arn,
                app=ServedApp(
                    name=app_name,
                    namespace=app.namespace,
                    service=app.service_name(app_name),
                    port=app.port,
                    target_port=app.target_port(),
                ),
                lbc_chart_version=generation.value("lbc_chart"),
                binding_chart_dir=str(BINDING_CHART_DIR / str(generation.binding_chart)),
                operators=self.operators,
            ),
        )
        self.use_cluster(self.target.eks)

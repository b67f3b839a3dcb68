"""`argocd-<gen>`: one hub generation. Finds everything it needs by name; references no stack."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.data_aws_eks_cluster import DataAwsEksCluster

from constructs import Construct
from constructs.argocd_cluster import (
    AppSpec,
    ArgoCdCluster,
    ArgoCdClusterProps,
    ClusterRegistration,
    ProjectSpec,
    RegistrationKeys,
)
from constructs.refs import Refs
from fleet import names
from fleet.lifecycle import PAUSED_HUB_PHASES
from fleet.model.access import grant_of
from fleet.model.resolved import Resolved, ResolvedGeneration
from stacks.generation import GenerationStack

REGISTRATION_KEYS = RegistrationKeys(
    generation_label=names.LABEL_GENERATION,
    service_label=names.LABEL_SERVICE,
    values_annotation=names.ANNOTATION_VALUES,
)
"""The keys `fleet check` reads the cluster Secrets and Applications back by (fleet/names.py)."""


class HubStack(GenerationStack):
    """Adds to the generation setup: the hub cluster (its nodes carry the ArgoCD-client SG), a
    registration of every registered target (scoped to its grant), and per service an
    AppProject and ApplicationSets."""

    def __init__(self, scope: Construct, view: Resolved, generation: ResolvedGeneration, outdir: str) -> None:
        super().__init__(scope, view, generation, outdir)
        fleet = view.fleet
        fleet_name = fleet.name

        registrations = []
        projects = []
        apps = []
        for service_name, service in fleet.services.items():
            # Each registered target's grant (its pin, else the service's) feeds its cluster Secret
            # and its destinations in the project, as it feeds its own access policies.
            registered = [t for t in view.service_targets(service_name) if t.registered]
            grants = {t.ref.name: t.grant for t in registered if t.grant is not None}
            for target, grant in grants.items():  # provisioning: not deployed yet; retiring: deregistered
                name = names.cluster_name(fleet_name, "target", target)
                found = Refs(DataAwsEksCluster(self, f"target-{target}", name=name))
                registrations.append(
                    ClusterRegistration(
                        generation=target,
                        service=service_name,
                        cluster_name=name,
                        server=found.attr("endpoint"),
                        ca_data=found.attr("certificate_authority[0].data"),
                        helm_values=tuple(
                            (app_name, json.dumps(values, sort_keys=True))
                            for app_name, app in service.apps.items()
                            if app.helm and (values := service.helm_values(app_name, target))
                        ),
                        namespaces=grant.namespaces,
                        cluster_resources=grant.cluster_wide,
                    )
                )
            project = names.project_name(service_name)
            projects.append(
                ProjectSpec(
                    name=project,
                    description=f"Service {service_name} of fleet {fleet_name}, its target generations only",
                    source_repos=tuple(dict.fromkeys(app.repo_url for app in service.apps.values())),
                    destinations=tuple(
                        (names.cluster_name(fleet_name, "target", target), ns)
                        for target, grant in grants.items()
                        for ns in grant.namespaces
                    ),
                    # one whitelist per project: the service's kinds, and a live generation's
                    # pinned ones while it lives (its Secret and access decide per cluster)
                    cluster_resources=tuple(
                        dict.fromkeys(kind for g in (grant_of(service), *grants.values()) for kind in g.kinds)
                    ),
                )
            )
            apps += [
                AppSpec(
                    name=app_name,
                    service=service_name,
                    application_set_name=names.application_set_name(service_name, app_name),
                    project=project,
                    repo_url=app.repo_url,
                    revision=app.version or app.revision or "",
                    namespace=app.namespace,
                    chart=app.chart,
                    path=app.path,
                    create_namespace=False,  # the target stack creates it
                    # a live generation pinned to a grant without this namespace gets no Application
                    excluded_generations=tuple(t for t, g in grants.items() if app.namespace not in g.namespaces),
                )
                for app_name, app in service.apps.items()
            ]

        self.argocd = ArgoCdCluster(
            self,
            "argocd",
            ArgoCdClusterProps(
                cluster=self.cluster_props(node_security_group_ids=(self.client_sg.id,)),
                vpc_id=self.network.vpc_id,
                operators=self.operators,
                role_arn=self.argocd_role.role_arn,
                fleet_name=fleet_name,
                argocd_chart_version=generation.value("argocd_chart"),
                apps_chart_version=generation.value("apps_chart"),
                namespace=names.ARGOCD_NAMESPACE,
                service_accounts=names.ARGOCD_SERVICE_ACCOUNTS,
                registrations=tuple(registrations),
                apps=tuple(apps),
                projects=tuple(projects),
                paused=generation.phase in PAUSED_HUB_PHASES,
                keys=REGISTRATION_KEYS,
            ),
        )
        self.use_cluster(self.argocd.eks)

"""A hub generation: an EKS cluster running ArgoCD that deploys the apps to target generations."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from cdktf_cdktf_provider_aws.eks_pod_identity_association import EksPodIdentityAssociation
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata

from constructs import Construct
from constructs.eks_cluster import EksCluster, EksClusterProps
from constructs.private_endpoint_access import OperatorAccess, PrivateEndpointAccess, PrivateEndpointAccessProps
from constructs.shared_argo_role import ARGOCD_SERVICE_ACCOUNTS

ARGO_HELM = "https://argoproj.github.io/argo-helm"
SKIP_RECONCILE = "argocd.argoproj.io/skip-reconcile"
SECRET_TYPE = "argocd.argoproj.io/secret-type"
LABEL_FLEET = "ephemeral-eks.io/fleet"
LABEL_ROLE = "ephemeral-eks.io/role"
LABEL_GENERATION = "ephemeral-eks.io/generation"
ANNOTATION_CLUSTER = "ephemeral-eks.io/cluster-name"


@dataclass(frozen=True)
class ClusterRegistration:
    """A target generation as ArgoCD sees it. Nothing here moves when traffic weights move."""

    generation: str
    cluster_name: str
    server: str
    """The target's API endpoint (private when its public endpoint is off)."""
    ca_data: str
    """Base64 PEM of the target's cluster CA, as EKS returns it."""


@dataclass(frozen=True)
class AppSpec:
    """A Helm chart every registered target gets, through one ApplicationSet."""

    name: str
    repo_url: str
    chart: str
    version: str
    namespace: str


@dataclass(frozen=True)
class ArgoCdClusterProps:
    cluster: EksClusterProps
    vpc_id: str
    operators: OperatorAccess
    """CI runners and operators allowed to the hub's API on 443 (its own additional SG)."""
    role_arn: str
    """ARN of SharedArgoRole, which ArgoCD's service accounts get through Pod Identity."""
    fleet: str
    """Value of the fleet label the ApplicationSets select clusters by."""
    argocd_chart_version: str
    apps_chart_version: str
    registrations: tuple[ClusterRegistration, ...] = ()
    apps: tuple[AppSpec, ...] = ()
    paused: bool = False
    """A standby hub: every cluster Secret (and so every generated Application) carries
    `argocd.argoproj.io/skip-reconcile: "true"`. Default: False (the active hub)."""
    namespace: str = "argocd"


def cluster_secret_metadata(fleet: str, registration: ClusterRegistration, paused: bool) -> dict[str, Any]:
    """Labels and annotations of a cluster Secret, gitops-bridge style: the ApplicationSets select
    on the labels and read the annotations in their templates."""
    annotations = {ANNOTATION_CLUSTER: registration.cluster_name}
    if paused:
        annotations[SKIP_RECONCILE] = "true"
    return {
        "name": registration.cluster_name,
        "labels": {
            SECRET_TYPE: "cluster",
            LABEL_FLEET: fleet,
            LABEL_ROLE: "target",
            LABEL_GENERATION: registration.generation,
        },
        "annotations": annotations,
    }


def application_set(app: AppSpec, fleet: str, namespace: str = "argocd") -> dict[str, Any]:
    """The ApplicationSet that deploys `app` to every target cluster of `fleet` this hub knows.

    One Application per cluster Secret, named `<cluster>-<app>`. A paused Secret's annotation is
    copied onto the Application, so a standby hub's Applications never sync. Deleting a cluster
    Secret (deregistering a generation) leaves the app's resources running on that cluster.
    """
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": app.name, "namespace": namespace},
        "spec": {
            "goTemplate": True,
            "generators": [
                {
                    "clusters": {
                        "selector": {
                            "matchLabels": {
                                SECRET_TYPE: "cluster",
                                LABEL_FLEET: fleet,
                                LABEL_ROLE: "target",
                            }
                        }
                    }
                }
            ],
            "syncPolicy": {"preserveResourcesOnDeletion": True},
            "template": {
                "metadata": {
                    "name": f"{{{{ .name }}}}-{app.name}",
                    "labels": {
                        LABEL_FLEET: fleet,
                        LABEL_GENERATION: f'{{{{ index .metadata.labels "{LABEL_GENERATION}" }}}}',
                    },
                    "annotations": {
                        SKIP_RECONCILE: (f'{{{{ index .metadata.annotations "{SKIP_RECONCILE}" | default "false" }}}}')
                    },
                },
                "spec": {
                    "project": "default",
                    "source": {
                        "repoURL": app.repo_url,
                        "chart": app.chart,
                        "targetRevision": app.version,
                        "helm": {"releaseName": app.name},
                    },
                    "destination": {"server": "{{ .server }}", "namespace": app.namespace},
                    "syncPolicy": {
                        "automated": {"prune": True, "selfHeal": True},
                        "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
                    },
                },
            },
        },
    }


def argocd_apps_values(application_sets: list[dict[str, Any]]) -> dict[str, Any]:
    """argo-helm's argocd-apps chart (2.x) takes ApplicationSets as a map of name to spec."""
    return {
        "applicationsets": {
            appset["metadata"]["name"]: {"namespace": appset["metadata"]["namespace"], **appset["spec"]}
            for appset in application_sets
        }
    }


class ArgoCdCluster(Construct):
    """An EKS generation running ArgoCD, acting as SharedArgoRole toward every target.

    Needs default helm and kubernetes providers in its stack, configured from this cluster.
    ApplicationSets travel in a Helm release (argo-helm's argocd-apps chart) and cluster Secrets
    are core `Secret`s, so the first apply, before the cluster exists, plans without the CRDs.
    """

    def __init__(self, scope: Construct, id: str, props: ArgoCdClusterProps) -> None:
        super().__init__(scope, id)
        cluster = props.cluster
        self.endpoint_access = PrivateEndpointAccess(
            self,
            "endpoint-access",
            PrivateEndpointAccessProps(
                cluster_name=cluster.cluster_name,
                vpc_id=props.vpc_id,
                client_security_group_id=None,
                operators=props.operators,
                public_access_cidrs=cluster.public_access_cidrs,
            ),
        )
        self.eks = EksCluster(
            self,
            "eks",
            replace(
                cluster,
                control_plane_security_group_ids=(
                    *cluster.control_plane_security_group_ids,
                    self.endpoint_access.security_group_id,
                ),
            ),
        )
        self.pod_identity = [
            EksPodIdentityAssociation(
                self,
                f"pod-identity-{account}",
                cluster_name=self.eks.name,
                namespace=props.namespace,
                service_account=account,
                role_arn=props.role_arn,
                depends_on=[self.eks.pod_identity_agent],
            )
            for account in ARGOCD_SERVICE_ACCOUNTS
        ]

        self.argocd = Release(
            self,
            "argocd",
            name="argocd",
            repository=ARGO_HELM,
            chart="argo-cd",
            version=props.argocd_chart_version,
            namespace=props.namespace,
            create_namespace=True,
            atomic=True,
            wait=True,
            timeout=900,
            values=[json.dumps(self._argocd_values(props))],
            depends_on=[*self.pod_identity, self.eks.node_group],
        )

        self.cluster_secrets = [self._cluster_secret(props, registration) for registration in props.registrations]

        self.application_sets = [application_set(app, props.fleet, props.namespace) for app in props.apps]
        self.apps = Release(
            self,
            "applicationsets",
            name="applicationsets",
            repository=ARGO_HELM,
            chart="argocd-apps",
            version=props.apps_chart_version,
            namespace=props.namespace,
            values=[json.dumps(argocd_apps_values(self.application_sets))],
            depends_on=[self.argocd],
        )

    @staticmethod
    def _argocd_values(props: ArgoCdClusterProps) -> dict[str, Any]:
        return {
            "global": {"logging": {"format": "json"}},
            # The ApplicationSet controller ships with the chart; its service account is among the
            # Pod Identity associations above.
            "applicationSet": {"replicas": 1},
            "server": {"service": {"type": "ClusterIP"}},
            # `python -m fleet check` reads ArgoCD's own view of each cluster from the application
            # controller's metrics (argocd_cluster_connection_status), through the API's service proxy.
            "controller": {"metrics": {"enabled": True}},
        }

    def _cluster_secret(self, props: ArgoCdClusterProps, registration: ClusterRegistration) -> SecretV1:
        meta = cluster_secret_metadata(props.fleet, registration, props.paused)
        config = {
            "awsAuthConfig": {"clusterName": registration.cluster_name},
            "tlsClientConfig": {"insecure": False, "caData": registration.ca_data},
        }
        return SecretV1(
            self,
            f"cluster-{registration.generation}",
            metadata=SecretV1Metadata(
                name=meta["name"],
                namespace=props.namespace,
                labels=meta["labels"],
                annotations=meta["annotations"],
            ),
            data={
                "name": registration.cluster_name,
                "server": registration.server,
                "config": json.dumps(config),
            },
            type="Opaque",
            depends_on=[self.argocd],
        )

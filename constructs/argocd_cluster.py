"""A hub generation: an EKS cluster running ArgoCD that deploys the apps to target generations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from cdktf_cdktf_provider_aws.eks_pod_identity_association import EksPodIdentityAssociation
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.secret_v1 import SecretV1, SecretV1Metadata

from constructs import Construct
from constructs.eks_cluster import EksCluster, EksClusterProps
from constructs.private_endpoint_access import OperatorAccess, PrivateEndpointAccess, PrivateEndpointAccessProps

ARGO_HELM = "https://argoproj.github.io/argo-helm"
SKIP_RECONCILE = "argocd.argoproj.io/skip-reconcile"
SECRET_TYPE = "argocd.argoproj.io/secret-type"
LABEL_FLEET = "ephemeral-eks.io/fleet"
LABEL_ROLE = "ephemeral-eks.io/role"
ANNOTATION_CLUSTER = "ephemeral-eks.io/cluster-name"
CREATE_NAMESPACE = "CreateNamespace=true"


@dataclass(frozen=True)
class ClusterRegistration:
    """A target generation as ArgoCD sees it. Nothing here moves when traffic weights move."""

    generation: str
    service: str
    """The service the generation belongs to: only that service's ApplicationSets select it."""
    cluster_name: str
    server: str
    """The target's API endpoint (private when its public endpoint is off)."""
    ca_data: str
    """Base64 PEM of the target's cluster CA, as EKS returns it."""
    helm_values: tuple[tuple[str, str], ...]
    """(app, values YAML) for each Helm app with values on this generation; its ApplicationSet
    reads them from the cluster Secret's annotation. Empty: the charts' own values."""
    namespaces: tuple[str, ...]
    """The only namespaces ArgoCD watches and manages on the target (the Secret's `namespaces`):
    the ones its access policy is scoped to. Never empty (empty would mean every namespace)."""
    cluster_resources: bool
    """Whether ArgoCD manages cluster-scoped objects there (the Secret's `clusterResources`): only
    where the target's access admits them."""


@dataclass(frozen=True)
class AppSpec:
    """What every registered target of one service gets, through one ApplicationSet: a chart
    (`chart` + `revision`, its version) or a Git path (`path` + `revision`)."""

    name: str
    service: str
    application_set_name: str
    """Name of the app's ApplicationSet, unique on the hub."""
    project: str
    repo_url: str
    revision: str
    namespace: str
    chart: str | None
    """The chart's name, or None for a Git path."""
    path: str | None
    """The Git path, or None for a chart."""
    create_namespace: bool
    """Whether ArgoCD creates the namespace. False in the fleet: every target stack creates its
    apps' namespaces, and a namespace-scoped ArgoCD could not."""
    excluded_generations: tuple[str, ...]
    """Registered generations of the service that get no Application of this app: their grant
    (pinned, what they were born with) does not name its namespace. Empty in a steady fleet."""


@dataclass(frozen=True)
class ProjectSpec:
    """A service's AppProject: its apps reach only its own clusters and namespaces, from only
    the repositories its apps use."""

    name: str
    description: str
    source_repos: tuple[str, ...]
    destinations: tuple[tuple[str, str], ...]
    """(cluster name, namespace) pairs: each registered cluster of the service x the namespaces of
    its grant (the same list as its cluster Secret and its access policy)."""
    cluster_resources: tuple[tuple[str, str], ...]
    """(group, kind) of the cluster-scoped resources its apps may create: what the service
    declares (the list that gives its targets cluster-wide access), and a registered generation's
    pinned kinds while it lives; empty: none."""


@dataclass(frozen=True)
class RegistrationKeys:
    """The label and annotation keys the cluster Secrets carry and the ApplicationSets select and
    template on. Props, because whoever reads the Secrets and Applications back (the fleet's
    checks) must use the same keys: they are that reader's, not this construct's."""

    generation_label: str
    """Label naming a target's generation (Secrets, and the Applications generated for them)."""
    service_label: str
    """Label naming the service a target generation belongs to."""
    values_annotation: str
    """Prefix of the annotation holding an app's Helm values for one generation (`<prefix><app>`)."""


@dataclass(frozen=True)
class ArgoCdClusterProps:
    cluster: EksClusterProps
    vpc_id: str
    operators: OperatorAccess
    """CI runners and operators allowed to the hub's API on 443 (its own additional SG)."""
    role_arn: str
    """ARN of SharedArgoRole, which ArgoCD's service accounts get through Pod Identity."""
    fleet_name: str
    """Value of the fleet label the ApplicationSets select clusters by."""
    argocd_chart_version: str
    apps_chart_version: str
    namespace: str
    """Where ArgoCD runs: the releases, the cluster Secrets, the ApplicationSets and AppProjects."""
    service_accounts: tuple[str, ...]
    """ArgoCD's service accounts associated with SharedArgoRole: the same list the role trusts
    (`fleet.names.ARGOCD_SERVICE_ACCOUNTS`: the application controller alone)."""
    registrations: tuple[ClusterRegistration, ...]
    apps: tuple[AppSpec, ...]
    projects: tuple[ProjectSpec, ...]
    paused: bool
    """A standby hub: every cluster Secret (and so every generated Application) carries
    `argocd.argoproj.io/skip-reconcile: "true"`. False on the active hub."""
    keys: RegistrationKeys


def cluster_secret_metadata(
    fleet_name: str, registration: ClusterRegistration, paused: bool, keys: RegistrationKeys
) -> dict[str, Any]:
    """Labels and annotations of a cluster Secret, gitops-bridge style: the ApplicationSets select
    on the labels and read the annotations in their templates."""
    annotations = {ANNOTATION_CLUSTER: registration.cluster_name}
    if paused:
        annotations[SKIP_RECONCILE] = "true"
    annotations |= {f"{keys.values_annotation}{app}": values for app, values in registration.helm_values}
    return {
        "name": registration.cluster_name,
        "labels": {
            SECRET_TYPE: "cluster",
            LABEL_FLEET: fleet_name,
            LABEL_ROLE: "target",
            keys.service_label: registration.service,
            keys.generation_label: registration.generation,
        },
        "annotations": annotations,
    }


def cluster_scope(registration: ClusterRegistration) -> dict[str, str]:
    """The cluster Secret's `namespaces` ("optional comma-separated list of namespaces which are
    accessible in that cluster") and `clusterResources` ("optional boolean string ... whether Argo
    CD can manage cluster-level resources on this cluster", used only with a namespace list):
    argo-cd docs/operator-manual/declarative-setup.md, "Clusters". With them ArgoCD watches and
    manages only what the target's access policy lets it touch."""
    return {
        "namespaces": ",".join(registration.namespaces),
        "clusterResources": "true" if registration.cluster_resources else "false",
    }


def _annotation(key: str, default: str) -> str:
    """A goTemplate reading one annotation of the cluster Secret, `default` when it is absent."""
    return f'{{{{ index .metadata.annotations "{key}" | default "{default}" }}}}'


def _excluding(generations: tuple[str, ...], label: str) -> dict[str, Any]:
    """A label selector's matchExpressions leaving out `generations` (nothing when none): a
    generation whose grant lacks an app's namespace is never its destination."""
    if not generations:
        return {}
    return {"matchExpressions": [{"key": label, "operator": "NotIn", "values": list(generations)}]}


def application_set(app: AppSpec, fleet_name: str, namespace: str, keys: RegistrationKeys) -> dict[str, Any]:
    """The ApplicationSet that deploys `app` to every target cluster of its service this hub knows.

    It lives in ArgoCD's `namespace`. One Application per cluster Secret, named `<cluster>-<app>`,
    in the service's project. A paused Secret's annotation is copied onto the Application, so a
    standby hub's Applications never sync. A chart's Helm values come from the Secret's
    `values.<app>` annotation, so each generation can take its own. Deleting a cluster Secret
    (deregistering a generation) leaves the app's resources running on that cluster.
    """
    if app.chart is not None:
        source: dict[str, Any] = {
            "repoURL": app.repo_url,
            "chart": app.chart,
            "targetRevision": app.revision,
            "helm": {"releaseName": app.name, "values": _annotation(keys.values_annotation + app.name, "")},
        }
    else:
        source = {"repoURL": app.repo_url, "path": app.path, "targetRevision": app.revision}
    sync_policy: dict[str, Any] = {
        "automated": {"prune": True, "selfHeal": True},
        "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
    }
    if app.create_namespace:
        sync_policy["syncOptions"] = [CREATE_NAMESPACE]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": app.application_set_name, "namespace": namespace},
        "spec": {
            "goTemplate": True,
            "generators": [
                {
                    "clusters": {
                        "selector": {
                            "matchLabels": {
                                SECRET_TYPE: "cluster",
                                LABEL_FLEET: fleet_name,
                                LABEL_ROLE: "target",
                                keys.service_label: app.service,
                            },
                            **_excluding(app.excluded_generations, keys.generation_label),
                        }
                    }
                }
            ],
            "syncPolicy": {"preserveResourcesOnDeletion": True},
            "template": {
                "metadata": {
                    "name": f"{{{{ .name }}}}-{app.name}",
                    "labels": {
                        LABEL_FLEET: fleet_name,
                        keys.service_label: app.service,
                        keys.generation_label: f'{{{{ index .metadata.labels "{keys.generation_label}" }}}}',
                    },
                    "annotations": {SKIP_RECONCILE: _annotation(SKIP_RECONCILE, "false")},
                },
                "spec": {
                    "project": app.project,
                    "source": source,
                    "destination": {"name": "{{ .name }}", "namespace": app.namespace},
                    "syncPolicy": sync_policy,
                },
            },
        },
    }


def app_project(project: ProjectSpec, namespace: str) -> dict[str, Any]:
    """A service's AppProject: only its clusters and namespaces, only its apps' repositories,
    no cluster-scoped resource it did not list, and no project roles."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": project.name, "namespace": namespace},
        "spec": {
            "description": project.description,
            "sourceRepos": list(project.source_repos),
            "destinations": [{"name": cluster, "namespace": ns} for cluster, ns in project.destinations],
            "clusterResourceWhitelist": [{"group": group, "kind": kind} for group, kind in project.cluster_resources],
        },
    }


DEFAULT_PROJECT = "default"
"""ArgoCD's own project: argocd-server creates it at start, open to every repo, cluster and kind,
when it is missing (argo-cd v3.0.11 server/server.go `initializeDefaultProject`)."""


def closed_default_project(namespace: str) -> dict[str, Any]:
    """The `default` AppProject with nothing in it: no source repo, no destination, no resource
    kind, so an Application that names no project (or names `default`) is refused. Every app of
    the fleet runs in its service's project. The spec is the one argo-cd's docs give "to remove all
    permissions from the default project" (v3.0.11 docs/user-guide/projects.md, "The Default
    Project"); argocd-apps leaves empty lists out of the rendered spec (`with`), and an absent
    list is an empty one. The description is plain words with no `: `: argocd-apps writes it into
    the YAML unquoted (`description: {{ . }}`, argo-helm charts/argocd-apps/templates/projects.yaml)."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": DEFAULT_PROJECT, "namespace": namespace},
        "spec": {
            "description": "Closed, every app of the fleet runs in its own service project",
            "sourceRepos": [],
            "sourceNamespaces": [],
            "destinations": [],
            "clusterResourceWhitelist": [],
            "namespaceResourceBlacklist": [{"group": "*", "kind": "*"}],
        },
    }


def argocd_values(*, admin_enabled: bool = False) -> dict[str, Any]:
    """Values of the argo-cd chart (argo-helm, 8.x) every hub runs.

    The local `admin` account is off (`configs.cm."admin.enabled"`, which the chart writes into
    argocd-cm; argo-helm charts/argo-cd/values.yaml). With it off, argocd-server never creates
    `argocd-initial-admin-secret`: `SettingsManager.InitializeSettings` generates the initial
    password and writes that Secret only `if adminAccount.Enabled` (argo-cd v3.0.11
    util/settings/settings.go), so the Secret does not exist after the first deploy, nor ever.
    Operators get in with `argocd --core` and their own kube credentials on the hub
    (docs/security.md).
    """
    return {
        "global": {"logging": {"format": "json"}},
        "configs": {"cm": {"admin.enabled": admin_enabled}},
        # The ApplicationSet controller ships with the chart. It only reads the cluster Secrets in
        # ArgoCD's namespace, so it is not associated with SharedArgoRole.
        "applicationSet": {"replicas": 1},
        "server": {"service": {"type": "ClusterIP"}},
        # `python -m fleet check` reads ArgoCD's own view of each cluster from the application
        # controller's metrics (argocd_cluster_connection_status), through the API's service proxy.
        "controller": {"metrics": {"enabled": True}},
    }


def argocd_apps_values(
    application_sets: Sequence[dict[str, Any]], projects: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """argo-helm's argocd-apps chart (2.x) takes ApplicationSets and AppProjects as maps of name
    to spec (plus the namespace)."""
    values: dict[str, Any] = {
        "applicationsets": {
            appset["metadata"]["name"]: {"namespace": appset["metadata"]["namespace"], **appset["spec"]}
            for appset in application_sets
        }
    }
    if projects:
        values["projects"] = {
            project["metadata"]["name"]: {"namespace": project["metadata"]["namespace"], **project["spec"]}
            for project in projects
        }
    return values


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
            for account in props.service_accounts
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
            values=[json.dumps(argocd_values())],
            depends_on=[*self.pod_identity, self.eks.node_group],
        )

        self.cluster_secrets = [self._cluster_secret(props, registration) for registration in props.registrations]

        self.application_sets = [
            application_set(app, props.fleet_name, props.namespace, props.keys) for app in props.apps
        ]
        self.projects = [app_project(project, props.namespace) for project in props.projects]
        self.apps = self._apps_release(
            props, "applicationsets", argocd_apps_values(self.application_sets, self.projects)
        )
        # The default project, managed like the services' projects (argocd-apps `projects`), in a
        # release of its own: argocd-server has created it (open) by the time the argo-cd release
        # is ready, so Helm must adopt it, and `take_ownership` (Helm >= 3.17, helm provider 3.x
        # `take_ownership`) is set on this release alone; on a live hub it is an added release.
        self.default_project = self._apps_release(
            props,
            "default-project",
            argocd_apps_values((), (closed_default_project(props.namespace),)),
            take_ownership=True,
        )

    def _apps_release(
        self, props: ArgoCdClusterProps, name: str, values: dict[str, Any], *, take_ownership: bool | None = None
    ) -> Release:
        """An argo-helm argocd-apps release named `name` (also its construct id), installed once
        the argo-cd release is ready."""
        return Release(
            self,
            name,
            name=name,
            repository=ARGO_HELM,
            chart="argocd-apps",
            version=props.apps_chart_version,
            namespace=props.namespace,
            take_ownership=take_ownership,
            values=[json.dumps(values)],
            depends_on=[self.argocd],
        )

    def _cluster_secret(self, props: ArgoCdClusterProps, registration: ClusterRegistration) -> SecretV1:
        meta = cluster_secret_metadata(props.fleet_name, registration, props.paused, props.keys)
        config = {
            "awsAuthConfig": {"clusterName": registration.cluster_name},
            "tlsClientConfig": {"insecure": False, "caData": registration.ca_data},
        }
        if not registration.namespaces:
            raise ValueError(f"namespaces: name what ArgoCD may manage on {registration.cluster_name}")
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
                **cluster_scope(registration),
                "config": json.dumps(config),
            },
            type="Opaque",
            depends_on=[self.argocd],
        )

"""`python -m fleet check STACK [FILE]`: the checks an operator passes before the next step of a swap.

They run against real AWS (boto3) and the clusters' Kubernetes APIs, for one stack of the fleet:

    argocd-<gen>  the EKS cluster and its node group `<cluster>-nodes` are ACTIVE, every node is Ready
    target-<gen>  the same, and, on the active hub: ArgoCD reaches the cluster (ArgoCD's own view,
                  below), every Application labelled `ephemeral-eks.io/generation=<gen>` is Synced
                  and Healthy; and the generation's target group has healthy targets and none unhealthy
    target-<gen> --before-destroy
                  no request reached its target group over the last --window-minutes (CloudWatch
                  AWS/ApplicationELB RequestCount, Sum, by TargetGroup and LoadBalancer)
    shared        every service's ALB is active, and each serving target's group has healthy targets

`--only GROUP` (repeatable) runs only the checks of a group: `cluster` (EKS cluster, node group,
nodes: what a new generation passes before any hub registers it), `argocd` (ArgoCD's connection
to a target and its apps), `traffic` (load balancer and target groups).

All checks pass: one line per check on stdout, exit 0. Any fails: one line per failed check on
stderr, exit 1. The fleet file, the arguments, or AWS itself unusable (no credentials, no
network): one line, exit 2. Never a traceback.

AWS: the standard credential chain, in the fleet's region. `AWS_ENDPOINT_URL` (and the
per-service `AWS_ENDPOINT_URL_<SERVICE>`) point every call at another endpoint, such as a local
emulator; boto3 reads them itself. STS is called on its regional endpoint, as `aws eks get-token`
(CLI v2) does.

Kubernetes: an EKS token made the way `aws eks get-token` makes it (a presigned STS
GetCallerIdentity URL that signs the `x-k8s-aws-id: <cluster>` header, base64url, prefixed
`k8s-aws-v1.`), sent to the endpoint and checked against the CA that DescribeCluster returns. The
caller's IAM identity needs an EKS access entry on each cluster with read access to nodes, to
`applications.argoproj.io` in the argocd namespace, and `get` on `services/proxy` there (hub).

Private endpoints: `--api-endpoint CLUSTER=URL` (repeatable) talks to CLUSTER's API at URL
instead, e.g. an SSM port forward to the endpoint on https://127.0.0.1:8443. TLS stays on: the
cluster's CA is still required and the certificate is checked against the real endpoint's host
name (sent as the TLS server name), so the tunnel must pass TLS through unchanged. There is no
switch to skip verification. `http://` is refused except on a loopback address (127.0.0.0/8,
::1, localhost): for a local proxy that terminates TLS itself, such as `kubectl proxy`.

ArgoCD's view of a target cluster: the application controller's Prometheus metrics
`argocd_cluster_connection_status{server=...}` (1 when its last sync of the cluster's cache had
no error) and `argocd_cluster_cache_age_seconds{server=...}` (-1 while the first sync has not
finished), read through the hub's Kubernetes API service proxy from the service
`argocd-application-controller-metrics` on port 8082. This needs no ArgoCD login: the API's `GET
/api/v1/clusters` would say the same (`connectionState`) but wants an ArgoCD session or API
token, which the operator's IAM identity is not. The argo-cd chart creates that service only with
`controller.metrics.enabled: true`. A controller reports only the clusters it manages and caches
(a cluster no Application targets yet has no series); with a sharded controller (several
replicas) the service reaches one shard at random.
"""

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from fleet import names
from fleet.ops.aws import Aws, not_found
from fleet.ops.errors import SHOWN, CheckFailed
from fleet.ops.kube import KUBE_TIMEOUT, Kube, kube_errors, samples

METRICS_SERVICE = "argocd-application-controller-metrics"
"""The argo-cd chart's controller metrics Service (release `argocd`, `controller.metrics.enabled`)."""
METRICS_PORT = 8082
CONNECTION_METRIC = "argocd_cluster_connection_status"
CACHE_AGE_METRIC = "argocd_cluster_cache_age_seconds"


def _same_server(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


# --- the checks: each returns its passing line or raises CheckFailed ----------------------------


def cluster_active(aws: Aws, cluster: str) -> str:
    status = aws.cluster(cluster).get("status")
    if status != "ACTIVE":
        raise CheckFailed(f"cluster {cluster} is {status}, not ACTIVE")
    return f"cluster {cluster} is ACTIVE"


def node_group_active(aws: Aws, cluster: str) -> str:
    name = names.node_group_name(cluster)
    try:
        group = aws.client("eks").describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
    except ClientError as err:
        if not_found(err, "ResourceNotFoundException"):
            raise CheckFailed(f"node group {name} not found on cluster {cluster}") from None
        raise
    status = group.get("status")
    if status != "ACTIVE":
        issues = [i.get("message", i.get("code", "")) for i in (group.get("health") or {}).get("issues") or []]
        detail = f" ({'; '.join(issues[:SHOWN])})" if issues else ""
        raise CheckFailed(f"node group {name} is {status}, not ACTIVE{detail}")
    return f"node group {name} is ACTIVE"


def _ready(node: Any) -> str:
    """A node's Ready condition status: True, False, Unknown, or missing."""
    for condition in (node.status and node.status.conditions) or []:
        if condition.type == "Ready":
            return str(condition.status)
    return "missing"


def nodes_ready(kube: Kube, cluster: str) -> str:
    from kubernetes import client

    with kube_errors(kube, cluster):
        nodes = client.CoreV1Api(kube.api(cluster)).list_node(_request_timeout=KUBE_TIMEOUT).items
    if not nodes:
        raise CheckFailed(f"cluster {cluster} has no nodes")
    not_ready = [f"{n.metadata.name} (Ready={_ready(n)})" for n in nodes if _ready(n) != "True"]
    if not_ready:
        raise CheckFailed(
            f"{len(not_ready)} of {_count(len(nodes), 'node')} of {cluster} not Ready: {_listed(not_ready)}"
        )
    return f"{_count(len(nodes), 'node')} of {cluster} Ready"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _listed(items: list[str]) -> str:
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more


def controller_metrics(kube: Kube, hub: str) -> str:
    """The hub's application controller metrics, through the API server's service proxy."""
    from kubernetes import client

    missing = (
        f"is service {names.ARGOCD_NAMESPACE}/{METRICS_SERVICE} there? "
        "The argo-cd chart creates it with controller.metrics.enabled: true"
    )
    with kube_errors(kube, hub, not_found=missing):
        response = client.CoreV1Api(kube.api(hub)).connect_get_namespaced_service_proxy_with_path(
            f"{METRICS_SERVICE}:{METRICS_PORT}",
            names.ARGOCD_NAMESPACE,
            "metrics",
            _preload_content=False,
            _request_timeout=KUBE_TIMEOUT,
        )
        return str(response.data.decode("utf-8", errors="replace"))


def _for_server(text: str, metric: str, server: str) -> list[float]:
    return [value for labels, value in samples(text, metric) if _same_server(labels.get("server", ""), server)]


def argocd_connected(aws: Aws, kube: Kube, hub: str, target: str) -> str:
    server = str(aws.cluster(target).get("endpoint") or "")
    if not server:
        raise CheckFailed(f"cluster {target} has no API endpoint yet")
    text = controller_metrics(kube, hub)
    status = _for_server(text, CONNECTION_METRIC, server)
    if not status:
        raise CheckFailed(
            f"ArgoCD on hub {hub} reports no connection state for {target} ({server}): no Application "
            "targets it yet, it is not registered, or another controller shard manages it"
        )
    if status[0] != 1:
        raise CheckFailed(
            f"ArgoCD on hub {hub} cannot reach {target} ({CONNECTION_METRIC} is {status[0]:g}); "
            "the application controller's log says why"
        )
    age = _for_server(text, CACHE_AGE_METRIC, server)
    if age and age[0] < 0:
        raise CheckFailed(f"ArgoCD on hub {hub} has not finished its first sync of {target} yet")
    return f"ArgoCD on hub {hub} is connected to {target}"


def _app_state(app: dict[str, Any]) -> tuple[str, str]:
    status = app.get("status") or {}
    sync = (status.get("sync") or {}).get("status")
    health = (status.get("health") or {}).get("status")
    return sync or "Unknown", health or "Unknown"


def apps_synced(kube: Kube, hub: str, generation: str) -> str:
    from kubernetes import client

    selector = f"{names.LABEL_GENERATION}={generation}"
    with kube_errors(kube, hub):
        listing = client.CustomObjectsApi(kube.api(hub)).list_namespaced_custom_object(
            "argoproj.io",
            "v1alpha1",
            names.ARGOCD_NAMESPACE,
            "applications",
            label_selector=selector,
            _request_timeout=KUBE_TIMEOUT,
        )
    apps = listing.get("items") or []
    if not apps:
        raise CheckFailed(f"no ArgoCD Application on hub {hub} is labelled {selector}")
    bad = []
    for app in apps:
        sync, health = _app_state(app)
        if (sync, health) != ("Synced", "Healthy"):
            bad.append(f"{app.get('metadata', {}).get('name')} ({sync}/{health})")
    if bad:
        raise CheckFailed(
            f"{len(bad)} of {_count(len(apps), 'ArgoCD app')} for {generation} not Synced/Healthy: {_listed(bad)}"
        )
    return f"{_count(len(apps), 'ArgoCD app')} for {generation} Synced and Healthy on hub {hub}"


def target_group_healthy(aws: Aws, name: str) -> str:
    group = aws.target_group(name)
    health = aws.client("elbv2").describe_target_health(TargetGroupArn=group["TargetGroupArn"])
    states: dict[str, list[str]] = {}
    for description in health.get("TargetHealthDescriptions", []):
        target, state = description.get("Target", {}), description.get("TargetHealth", {})
        where = f"{target.get('Id')}:{target.get('Port')}"
        reason = state.get("Reason")
        states.setdefault(state.get("State", "unknown"), []).append(f"{where} ({reason})" if reason else where)
    if not states:
        raise CheckFailed(f"target group {name} has no registered targets")
    if states.get("unhealthy"):
        raise CheckFailed(f"target group {name} has unhealthy targets: {_listed(states['unhealthy'])}")
    if not states.get("healthy"):
        counts = ", ".join(f"{len(v)} {k}" for k, v in sorted(states.items()))
        raise CheckFailed(f"target group {name} has no healthy target ({counts})")
    return f"target group {name} has {_count(len(states['healthy']), 'healthy target')}"


def load_balancer_active(aws: Aws, name: str) -> str:
    state = aws.load_balancer(name).get("State") or {}
    if state.get("Code") != "active":
        reason = f" ({state['Reason']})" if state.get("Reason") else ""
        raise CheckFailed(f"load balancer {name} is {state.get('Code')}, not active{reason}")
    return f"load balancer {name} is active"


def no_requests(aws: Aws, alb: str, group_name: str, window_minutes: int, now: datetime | None = None) -> str:
    """RequestCount (Sum) of the target group on the ALB over the window is 0."""
    group = aws.target_group(group_name)
    balancer = aws.load_balancer(alb)
    end = now or datetime.now(UTC)
    answer = aws.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/ApplicationELB",
        MetricName="RequestCount",
        Dimensions=[
            {"Name": "TargetGroup", "Value": group["TargetGroupArn"].split(":")[-1]},
            {"Name": "LoadBalancer", "Value": balancer["LoadBalancerArn"].split(":loadbalancer/", 1)[-1]},
        ],
        StartTime=end - timedelta(minutes=window_minutes),
        EndTime=end,
        Period=window_minutes * 60,
        Statistics=["Sum"],
    )
    total = sum(point.get("Sum", 0.0) for point in answer.get("Datapoints", []))
    if total:
        shown = int(total) if math.isfinite(total) and total == int(total) else total
        raise CheckFailed(
            f"{shown} requests reached target group {group_name} in the last {window_minutes} minutes; "
            "move its weight to 0 and wait"
        )
    return f"no requests reached target group {group_name} in the last {window_minutes} minutes"

"""A service: its target generations, the apps ArgoCD deploys to them, and its ALB."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import (
    StrictBool,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from fleet import names
from fleet.lifecycle import REGISTERED_PHASES
from fleet.model.access import ClusterResource
from fleet.model.generation import Target
from fleet.model.limits import (
    ALB_RULES_PER_CIDR,
    CLUSTER_SG_PORTS,
    MAX_ALLOWED_CIDRS,
    MAX_HEALTH_CHECK_PATH,
    MAX_OPERATOR_CIDRS,
    MAX_SERVING_TARGETS,
    MAX_TARGETS_PER_SERVICE,
    MAX_VALUES_BYTES,
    RESERVED_NAMESPACES,
    SG_INBOUND_RULES,
    SYSTEM_NAMESPACES,
)
from fleet.model.shift import Shift
from fleet.model.types import (
    AppName,
    ChartVersion,
    Cidr,
    DnsLabel,
    GenerationName,
    GitPath,
    GitRevision,
    HelmValues,
    Model,
    Port,
    ServiceObjectName,
    is_wide,
    limit,
    no_overlap,
    not_the_internet,
    pattern,
    some,
)
from fleet.names import rule_priority


class App(Model):
    """What ArgoCD deploys to every registered target of the service: a Helm chart from a chart
    repository (`chart` + `version`), or a path in a Git repository (`path` + `revision`), which
    ArgoCD renders as it finds it (Helm chart, Kustomize or plain manifests)."""

    repo_url: Annotated[
        StrictStr,
        pattern(
            r"(?:https|oci)://(?:(?!['\"{}])[!-~])+",
            "an https:// (or, for charts, oci://) repository URL: printable ASCII without quotes or braces "
            "(percent-encode the rest)",
        ),
    ]
    chart: DnsLabel | None = None
    """Chart name in a Helm repository. Give `chart` and `version`, or `path` and `revision`."""
    version: ChartVersion | None = None
    """Chart version (with `chart`)."""
    path: GitPath | None = None
    """Directory in the Git repository `repo_url` (with `revision`)."""
    revision: GitRevision | None = None
    """Branch, tag or commit of `repo_url` (with `path`)."""
    namespace: DnsLabel
    values: HelmValues = {}
    """Helm values for every generation (chart sources only); a generation's `values.<app>` is
    merged over them. Default: the chart's own."""
    port: Port | None = None
    """The Service port (the served app: required). The ALB's target group is created with it."""
    container_port: Port | None = None
    """The port the pods listen on (the Service's targetPort). The ALB sends traffic and health
    checks straight to pod IPs, so the SG rules open this port. Default: `port`."""
    service: ServiceObjectName | None = None
    """Name of the Service the chart creates. Default: the app's name (the release name)."""
    health_check_path: Annotated[
        StrictStr,
        pattern(
            rf"/[A-Za-z0-9/._~-]{{0,{MAX_HEALTH_CHECK_PATH - 1}}}",
            f"a URL path such as /healthz, at most {MAX_HEALTH_CHECK_PATH} characters (an ALB health check's limit)",
        ),
    ] = "/"
    """Path the target group's health check requests. Default: /."""

    @model_validator(mode="after")
    def _one_source(self) -> App:
        pairs = {"chart": "version", "version": "chart", "path": "revision", "revision": "path"}
        given = {f for f in pairs if getattr(self, f) is not None}
        if given & {"chart", "version"} and given & {"path", "revision"}:
            raise ValueError(
                "give chart and version (a Helm repository) or path and revision (a Git repository), not both"
            )
        if not given:
            raise ValueError(
                "chart: give chart and version (a Helm repository) or path and revision (a Git repository)"
            )
        for field in sorted(given):
            if pairs[field] not in given:
                raise ValueError(f"{pairs[field]}: is required with {field}")
        if self.path is not None:
            if self.repo_url.startswith("oci://"):
                raise ValueError("repo_url: a Git repository is https://; oci:// holds Helm charts (chart + version)")
            if self.values:
                raise ValueError(
                    "values: Helm values apply to chart sources; a Git path carries its own (commit them there)"
                )
        return self

    @property
    def helm(self) -> bool:
        """A chart from a Helm repository (else a Git path)."""
        return self.chart is not None

    def service_name(self, name: str) -> str:
        return self.service or name

    def target_port(self) -> int:
        """The port the ALB reaches the pods on."""
        assert self.port is not None
        return self.container_port or self.port


EVERYONE = "0.0.0.0/0"


class Traffic(Model):
    """The ALB in `shared` that splits traffic between target generations by weight."""

    app: AppName
    """The app (a key of `apps`) the ALB serves."""
    certificate_arn: Annotated[
        StrictStr, pattern(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}", "an ACM certificate ARN")
    ]
    """ACM certificate of the HTTPS listener (HTTP redirects to it)."""
    internet_facing: StrictBool = False
    """The ALB serves the internet: `allowed_cidrs` may then be wide (0.0.0.0/0, the default with
    it), and validate says so in a warning. Default: false - list the clients in `allowed_cidrs`."""
    allowed_cidrs: tuple[Cidr, ...] = ()
    """Who may reach the ALB on 443 (and 80, which redirects). A public range wider than a /16
    needs `internet_facing: true`. Default: 0.0.0.0/0 with `internet_facing: true`, else required."""
    operator_cidrs: tuple[Cidr, ...] = ()
    """Who may try a generation that takes no traffic yet, with the header
    `X-Ephemeral-Eks-Generation: <gen>` (at most 3 CIDRs: an ALB rule condition's limit). Default:
    nobody from outside - the rule admits only the VPC's own range, and exists so that the ALB
    health-checks a new generation before it takes weight."""
    waf_acl_arn: (
        Annotated[
            StrictStr,
            pattern(
                r"arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/[A-Za-z0-9_-]+/[0-9a-f-]{36}",
                "a regional WAFv2 web ACL ARN",
            ),
        ]
        | None
    ) = None
    """A WAFv2 web ACL to associate with the ALB. Default: none."""
    shift: Shift | None = None
    """Move this service's traffic with `fleet shift` (metric-gated steps, automatic rollback)
    instead of one PR per weight step. Default: none - weight steps are PRs, as `fleet plan` says."""

    @model_validator(mode="before")
    @classmethod
    def _everyone_when_internet_facing(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("internet_facing") is True and "allowed_cidrs" not in data:
            return {**data, "allowed_cidrs": [EVERYONE]}
        return data

    @model_validator(mode="after")
    def _clients_named(self) -> Traffic:
        if not self.allowed_cidrs:
            raise ValueError(
                "allowed_cidrs: list who may reach the ALB (your clients' CIDRs), or set internet_facing: true "
                f"to serve everyone ({EVERYONE})"
            )
        wide = [c for c in self.allowed_cidrs if is_wide(c)]
        if wide and not self.internet_facing:
            raise ValueError(
                f"allowed_cidrs: {wide[0]} opens the ALB to the internet; set internet_facing: true if that is "
                "what you mean, or list your clients' ranges"
            )
        try:
            not_the_internet(self.operator_cidrs, "the generations that take no traffic yet")
        except ValueError as err:
            raise ValueError(f"operator_cidrs: {err}") from None
        return self

    @limit("allowed_cidrs", MAX_ALLOWED_CIDRS)
    def _too_many_clients(n: int, most: int) -> str:
        return (
            f"{n} CIDRs make {n * ALB_RULES_PER_CIDR} inbound rules on the ALB's SG (443 and 80 each), and an SG "
            f"takes {SG_INBOUND_RULES} (AWS VPC quotas): list at most {most}, wider ranges"
        )

    @limit("operator_cidrs", MAX_OPERATOR_CIDRS)
    def _too_many_operators(n: int, most: int) -> str:
        return f"at most {most} CIDRs, {n} given: an ALB rule condition takes at most {most} values (AWS); list wider ranges"

    @field_validator("allowed_cidrs", "operator_cidrs")
    @classmethod
    def _distinct(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        return no_overlap(value, str(info.field_name))


class Service(Model):
    """One service: its own target generations (two while it swaps), the apps ArgoCD deploys to
    them under the service's own ArgoCD project, and its own ALB. Every hub serves every service."""

    targets: dict[GenerationName, Target]
    """Target generations, oldest first: stack `target-<name>` each. Generation names are unique
    in the fleet (they name stacks, clusters and target groups). A new service starts with none
    serving (its ALB answers 503) until its first generation is registered and takes the traffic;
    from then on one always serves (the PR gate refuses the PR that would leave none)."""
    apps: dict[AppName, App]
    traffic: Traffic
    cluster_resources: tuple[ClusterResource, ...] = ()
    """Cluster-scoped kinds the apps may create (CRDs, ClusterRoles, ...). Declaring any widens, for
    new generations, exactly three things (fleet/model/access.py): the AppProject's
    clusterResourceWhitelist (these kinds), the targets' access (AmazonEKSClusterAdminPolicy at
    cluster scope) and the hub's cluster Secrets (`clusterResources: "true"`). Default: none -
    nothing cluster-scoped; each target stack creates its apps' namespaces."""
    closed: StrictBool = False
    """Take the service out of service: no generation serves and its ALB answers 503. The PR that
    closes it sets its serving generation to registered (weight 0); `fleet plan` then retires and
    destroys its generations and removes the service. Default: false."""

    @limit("targets", MAX_TARGETS_PER_SERVICE, none="a service needs at least one target generation")
    def _too_many_targets(n: int, most: int) -> str:
        return f"{n} target generations; each has a rule on the service's ALB listener, which takes {most} (AWS ALB quotas): remove the destroyed ones"

    @field_validator("targets")
    @classmethod
    def _weights_sum_to_100(cls, targets: dict[str, Target]) -> dict[str, Target]:
        serving = [n for n, t in targets.items() if t.phase == "serving"]
        if len(serving) > MAX_SERVING_TARGETS:
            raise ValueError(
                f"{len(serving)} targets are serving ({some(serving)}); an ALB forwards to at most "
                f"{MAX_SERVING_TARGETS}: retire some first"
            )
        priorities: dict[int, str] = {}
        for name in targets:
            other = priorities.setdefault(rule_priority(name), name)
            if other != name:
                raise ValueError(f"generations {other} and {name} would share an ALB rule priority; rename {name}")
        total = sum(t.weight for t in targets.values())
        if serving and total != 100:
            weights = some(f"{n}={t.weight}" for n, t in targets.items())
            raise ValueError(f"weights must sum to 100, they sum to {total} ({weights}); adjust them")
        return targets

    @field_validator("apps")
    @classmethod
    def _some_app(cls, apps: dict[str, App]) -> dict[str, App]:
        if not apps:
            raise ValueError("list at least one app for the ApplicationSets to deploy")
        return apps

    @model_validator(mode="after")
    def _served_app(self) -> Service:
        if self.closed and any(t.phase == "serving" for t in self.targets.values()):
            raise ValueError(
                "closed: a closed service has no serving generation; set its serving targets to registered, weight 0"
            )
        if self.traffic.app not in self.apps:
            raise ValueError(
                f"traffic.app: {self.traffic.app!r} is not an app of this service; use one of {some(sorted(self.apps))}"
            )
        in_forward = [n for n, t in self.targets.items() if t.phase in REGISTERED_PHASES]
        if self.traffic.shift and len(in_forward) > MAX_SERVING_TARGETS:
            raise ValueError(
                f"traffic.shift: {len(in_forward)} targets are serving or registered ({some(in_forward)}); a shifted "
                f"service's forward lists each of them (weight 0 when registered) and an ALB forwards to at most "
                f"{MAX_SERVING_TARGETS}: retire some first"
            )
        served = self.apps[self.traffic.app]
        if served.port is None:
            raise ValueError(f"apps.{self.traffic.app}.port: the served app needs its Service port; add it")
        for name, spec in self.apps.items():
            if spec.namespace in SYSTEM_NAMESPACES or spec.namespace in names.PLATFORM_NAMESPACES:
                raise ValueError(
                    f"apps.{name}.namespace: {spec.namespace} is Kubernetes' or the platform's own (CoreDNS, the load "
                    "balancer controller, ArgoCD run there), and the service's ArgoCD project would let ArgoCD "
                    "write into it; use a namespace of the app's own"
                )
        if served.namespace in RESERVED_NAMESPACES:
            raise ValueError(
                f"apps.{self.traffic.app}.namespace: {served.namespace} exists in every cluster, and the target stack "
                "creates the served app's namespace (Kubernetes initial namespaces); use a namespace of its own"
            )
        pod_port = served.target_port()
        if pod_port in CLUSTER_SG_PORTS:
            field = "container_port" if served.container_port else "port"
            raise ValueError(
                f"apps.{self.traffic.app}.{field}: the ALB is let into the EKS cluster SG on the pods' port, and "
                f"{pod_port} there is {CLUSTER_SG_PORTS[pod_port]} (EKS security group requirements); serve another port"
            )
        if not served.helm and served.service is None:
            raise ValueError(f"apps.{self.traffic.app}.service: a served app from a Git path names its Service; add it")
        for gen, target in self.targets.items():
            if target.grant is not None and served.namespace not in target.grant.namespaces:
                raise ValueError(
                    f"targets.{gen}.grant.namespaces: list {served.namespace}, the served app's namespace (its "
                    "TargetGroupBinding lives there); a generation without it serves nothing"
                )
            for app in target.values:
                if app not in self.apps:
                    raise ValueError(
                        f"targets.{gen}.values.{app}: not an app of this service; use one of {some(sorted(self.apps))}"
                    )
                if not self.apps[app].helm:
                    raise ValueError(
                        f"targets.{gen}.values.{app}: {app} is a Git path; Helm values apply to chart sources"
                    )
            size = sum(
                len(json.dumps(self.helm_values(app, gen), sort_keys=True)) for app in self.apps if self.apps[app].helm
            )
            if size > MAX_VALUES_BYTES:
                raise ValueError(
                    f"targets.{gen}.values: {size} bytes of Helm values for this generation; they travel in a cluster "
                    f"Secret's annotations, which Kubernetes caps at 256 KiB: keep them under {MAX_VALUES_BYTES} "
                    "(move bulk into the chart or a Git path)"
                )
        return self

    @property
    def served_app(self) -> App:
        return self.apps[self.traffic.app]

    def helm_values(self, app: str, generation: str) -> dict[str, Any]:
        """`apps.<app>.values` with `targets.<generation>.values.<app>` merged over them."""
        return _merged(self.apps[app].values, self.targets[generation].values.get(app, {}))


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out

"""One list of boundary cases that the model and the fuzz oracle both judge (issue 11, item 3).

Each row is `(description, edit, expected)`: `edit` changes a copy of `BASE` (a valid fleet, as
parsed YAML), and `expected` is `VALID` or the path of the field the verdict must name
(`services.web.targets.blue.weight`; a path ending in `.*` is that field or anything under it).
`test_fleet_validation.py` runs every row through `fleet.model.load.validate` (FleetError with a line
`<path>: ...`, or success) and through `fleet_strategies.judge` (the same path, or nothing).

A row for a limit the model does not enforce yet is `awaiting(...)`: a strict xfail on the model
side only (the oracle judges it already), so it fails loudly the moment the model enforces the
limit - then make it a plain row.

Add a row: pick the smallest edit that reaches the boundary, one row each side of it. A new rule
of the model needs its twin in `fleet_strategies` (`SPEC` or `judge`), or the oracle's test of the
row fails: that is the point.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fleet.names import rule_priority
from support.fleets import Edit, both, drop, put, rename

ParameterSet = type(pytest.param(None))
VALID = None
AWAITING = pytest.mark.xfail(strict=True, reason="awaiting model limit")

CERT = "arn:aws:acm:eu-west-1:111122223333:certificate/0e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b"
WAF = "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/acme-edge/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
BASE: dict[str, Any] = {
    "name": "acme",
    "region": "eu-west-1",
    "network": {"cidr": "10.40.0.0/16", "zones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"]},
    "argocd": {"chart_version": "8.1.3", "apps_chart_version": "2.0.2"},
    "load_balancer_controller": {"chart_version": "1.13.3"},
    "hubs": {"blue": {"kubernetes_version": "1.35", "phase": "active"}},
    "services": {
        "web": {
            "targets": {"blue": {"kubernetes_version": "1.35", "phase": "serving", "weight": 100}},
            "apps": {
                "podinfo": {
                    "repo_url": "https://stefanprodan.github.io/podinfo",
                    "chart": "podinfo",
                    "version": "6.9.2",
                    "namespace": "podinfo",
                    "port": 9898,
                    "health_check_path": "/readyz",
                }
            },
            "traffic": {"app": "podinfo", "internet_facing": True, "certificate_arn": CERT, "waf_acl_arn": WAF},
        }
    },
    "logs_bucket": "acme-fleet-logs",
    "tags": {"team": "platform"},
}
"""examples/steady.yaml, written out here so that the rows do not move when the example does."""

REUSED_VPC = {
    "vpc_id": "vpc-0123456789abcdef0",
    "private_subnet_ids": ["subnet-00000001", "subnet-00000002"],
    "public_subnet_ids": ["subnet-00000003", "subnet-00000004"],
}
VALUES_BYTES = 200 * 1024
"""Helm values per generation of a service, as JSON (they travel in a cluster Secret's annotations)."""

WEB = "services.web"
BLUE = f"{WEB}.targets.blue"
PODINFO = f"{WEB}.apps.podinfo"
TRAFFIC = f"{WEB}.traffic"


# --- edits (put, drop, rename, both: tests/support/fleets.py) ------------------------------------


def nothing(data: dict[str, Any]) -> None:
    """The base fleet as it is."""


def apply(edit: Edit) -> dict[str, Any]:
    """A copy of `BASE` with `edit` made."""
    data = copy.deepcopy(BASE)
    edit(data)
    return data


def generation_names(count: int, prefix: str = "g") -> list[str]:
    """`count` generation names whose ALB rule priorities differ (as one service's must)."""
    names: list[str] = []
    seen: set[int] = set()
    i = 0
    while len(names) < count:
        name, i = f"{prefix}{i}", i + 1
        if rule_priority(name) not in seen:
            seen.add(rule_priority(name))
            names.append(name)
    return names


def targets(*weights: int, phase: str = "serving") -> Edit:
    """Service web's targets replaced by one per weight, all `phase` (registered ones weigh 0)."""
    names = generation_names(len(weights), "t")
    return put(
        f"{WEB}.targets",
        {n: {"kubernetes_version": "1.35", "phase": phase, "weight": w} for n, w in zip(names, weights, strict=True)},
    )


def many_targets(count: int) -> Edit:
    """Service web with `count` targets: one serving, the others registered."""

    def edit(data: dict[str, Any]) -> None:
        spec = {"kubernetes_version": "1.35", "phase": "registered", "weight": 0}
        found = {n: dict(spec) for n in generation_names(count)}
        found[next(iter(found))].update(phase="serving", weight=100)
        data["services"]["web"]["targets"] = found

    return edit


def services(count: int) -> Edit:
    """`count` copies of service web, each with its own generation name."""

    def edit(data: dict[str, Any]) -> None:
        web = data["services"].pop("web")
        for i in range(count):
            clone = copy.deepcopy(web)
            clone["targets"] = {f"g{i}": clone["targets"]["blue"]}
            data["services"][f"s{i}"] = clone

    return edit


def cidrs(count: int, prefix: int = 24, first: int = 11) -> list[str]:
    """`count` distinct, non-overlapping public CIDRs."""
    return [f"{first + i // 256}.{i % 256}.0.0/{prefix}" for i in range(count)]


def tags(count: int) -> Edit:
    return put("tags", {f"tag{i}": "x" for i in range(count)})


def s3_state(**changes: Any) -> Edit:
    return put("state", {"backend": "s3", "bucket": "acme-tfstate", "region": "eu-west-1", **changes})


def govcloud(certificate_partition: str = "aws-us-gov") -> Edit:
    """The fleet in us-gov-west-1, its ARNs in the GovCloud partition (but the certificate's)."""
    region = "us-gov-west-1"
    return both(
        put("region", region),
        put("network.zones", [f"{region}a", f"{region}b"]),
        put(f"{TRAFFIC}.certificate_arn", CERT.replace("aws:acm:eu-west-1", f"{certificate_partition}:acm:{region}")),
        put(f"{TRAFFIC}.waf_acl_arn", WAF.replace("aws:wafv2:eu-west-1", f"aws-us-gov:wafv2:{region}")),
    )


def iso_f(data: dict[str, Any]) -> None:
    """The fleet in us-isof-south-1 (partition aws-iso-f), reusing a VPC."""
    region = "us-isof-south-1"
    data.update(region=region, network=REUSED_VPC)
    traffic = data["services"]["web"]["traffic"]
    for field in ("certificate_arn", "waf_acl_arn"):
        traffic[field] = traffic[field].replace("arn:aws:", "arn:aws-iso-f:").replace("eu-west-1", region)


def git_app(**changes: Any) -> Edit:
    """The served app from a Git path, with its Service named."""
    app = {
        "repo_url": "https://github.com/acme/deploy",
        "path": "podinfo",
        "revision": "main",
        "namespace": "podinfo",
        "port": 9898,
        "service": "podinfo",
        **changes,
    }
    return put(PODINFO, {k: v for k, v in app.items() if v is not None})


def second_service_with_blue(data: dict[str, Any]) -> None:
    data["services"]["api"] = copy.deepcopy(data["services"]["web"])


def one_service_file(data: dict[str, Any]) -> None:
    data.update(data.pop("services")["web"])


def extra_app(namespace: str) -> Edit:
    """Service web with a second app, not served, in `namespace`."""
    app = {"repo_url": "https://charts.example.com", "chart": "extra", "version": "1.0.0", "namespace": namespace}
    return put(f"{WEB}.apps.extra", app)


def clients(*cidrs: str) -> Edit:
    """The ALB's clients listed, and the ALB not internet-facing (its opt-in left out)."""
    return both(drop(f"{TRAFFIC}.internet_facing"), put(f"{TRAFFIC}.allowed_cidrs", list(cidrs)))


WIDE_ADMIN = put("allow_wide_admin_cidrs", True)


def awaiting(description: str, edit: Edit, expected: str | None) -> ParameterSet:
    """A row for a limit the model does not enforce yet: a strict xfail against the model."""
    return pytest.param(description, edit, expected, marks=AWAITING, id=description)


# --- the rows ------------------------------------------------------------------------------------

Row = tuple[str, Edit, str | None] | ParameterSet

EDGE_CASES: list[Row] = [
    ("the base fleet", nothing, VALID),
    # the fleet's name: it prefixes every AWS name
    ("fleet name of one letter", put("name", "a"), VALID),
    ("fleet name of 12 characters", put("name", "abcdefghijkl"), VALID),
    ("fleet name of 13 characters", put("name", "abcdefghijklm"), "name"),
    ("fleet name with single inner hyphens", put("name", "a-b-c"), VALID),
    ("fleet name with --", put("name", "a--b"), "name"),
    ("fleet name ending in a hyphen", put("name", "acme-"), "name"),
    ("fleet name starting with a digit", put("name", "1acme"), "name"),
    ("fleet name in capitals", put("name", "Acme"), "name"),
    ("fleet name with the segment argocd", put("name", "acme-argocd"), "name"),
    ("fleet name starting with the segment target", put("name", "target-x"), "name"),
    ("fleet name sg", put("name", "sg"), "name"),
    ("fleet name starting with internal-", put("name", "internal-a"), "name"),
    ("fleet name null", put("name", None), "name"),
    # generation, service and app names
    ("generation name of 12 characters", rename(BLUE, "abcdefghijkl"), VALID),
    ("generation name of 13 characters", rename(BLUE, "abcdefghijklm"), f"{WEB}.targets.abcdefghijklm"),
    ("generation name with a hyphen", rename("hubs.blue", "blue-1"), "hubs.blue-1"),
    ("generation name starting with a digit", rename("hubs.blue", "1blue"), "hubs.1blue"),
    ("generation name in two services", second_service_with_blue, "services.api.targets.blue"),
    ("service name of 12 characters", rename(WEB, "abcdefghijkl"), VALID),
    ("service name of 13 characters", rename(WEB, "abcdefghijklm"), "services.abcdefghijklm"),
    ("service named default", rename(WEB, "default"), "services.default"),
    ("service name with a hyphen", rename(WEB, "web-1"), "services.web-1"),
    ("app name of 40 characters", both(rename(PODINFO, "a" * 40), put(f"{TRAFFIC}.app", "a" * 40)), VALID),
    ("app name of 41 characters", both(rename(PODINFO, "a" * 41), put(f"{TRAFFIC}.app", "a" * 41)), f"{WEB}.apps.*"),
    (
        "served app name starting with a digit, its Service named",
        both(rename(PODINFO, "0web"), put(f"{TRAFFIC}.app", "0web"), put(f"{WEB}.apps.0web.service", "web")),
        VALID,
    ),
    ("namespace of 63 characters", put(f"{PODINFO}.namespace", "n" * 63), VALID),
    ("namespace of 64 characters", put(f"{PODINFO}.namespace", "n" * 64), f"{PODINFO}.namespace"),
    ("Service name of 63 characters", put(f"{PODINFO}.service", "s" * 63), VALID),
    ("Service name starting with a digit", put(f"{PODINFO}.service", "0web"), f"{PODINFO}.service"),
    # chart versions: semver, v?MAJOR.MINOR.PATCH[-prerelease][+build]
    ("chart version with prerelease and build", put(f"{PODINFO}.version", "1.2.3-rc.1+b5"), VALID),
    ("chart version with a v", put("argocd.chart_version", "v8.1.3"), VALID),
    ("chart version with build only", put("argocd.chart_version", "8.1.3+build.5"), VALID),
    ("chart version with a hyphenated prerelease", put("argocd.apps_chart_version", "2.0.2-rc-1"), VALID),
    ("chart version of two numbers", put("argocd.chart_version", "8.1"), "argocd.chart_version"),
    (
        "chart version of four numbers",
        put("load_balancer_controller.chart_version", "1.13.3.1"),
        "load_balancer_controller.chart_version",
    ),
    ("chart version with an empty prerelease", put("argocd.chart_version", "8.1.3-"), "argocd.chart_version"),
    ("chart version with two builds", put("argocd.chart_version", "8.1.3+b5+b6"), "argocd.chart_version"),
    ("chart version with an underscore", put(f"{PODINFO}.version", "6.9.2-rc_1"), f"{PODINFO}.version"),
    (
        "chart version of Arabic-Indic digits",
        put("argocd.chart_version", "\u0668.\u0661.\u0663"),
        "argocd.chart_version",
    ),
    # phases and weights
    ("two serving targets weighing 1 and 99", targets(1, 99), VALID),
    ("five serving targets", targets(20, 20, 20, 20, 20), VALID),
    ("six serving targets", targets(20, 20, 20, 20, 10, 10), f"{WEB}.targets"),
    ("weights summing to 99", targets(1, 98), f"{WEB}.targets"),
    ("weight of 101", put(f"{BLUE}.weight", 101), f"{BLUE}.weight"),
    ("a serving target of weight 0", put(f"{BLUE}.weight", 0), f"{BLUE}.weight"),
    (
        "a registered target with weight",
        put(f"{WEB}.targets.green", {"kubernetes_version": "1.35", "phase": "registered", "weight": 10}),
        f"{WEB}.targets.green.weight",
    ),
    ("a service with no serving target yet", targets(0, 0, phase="registered"), VALID),
    (
        "a destroyed target beside the serving one",
        put(f"{WEB}.targets.green", {"kubernetes_version": "1.35", "phase": "destroyed", "weight": 0}),
        VALID,
    ),
    (
        "a closed service",
        both(put(f"{BLUE}.phase", "registered"), put(f"{BLUE}.weight", 0), put(f"{WEB}.closed", True)),
        VALID,
    ),
    ("a closed service with a serving target", put(f"{WEB}.closed", True), f"{WEB}.closed"),
    ("closed as text", put(f"{WEB}.closed", "yes"), f"{WEB}.closed"),
    ("99 targets and a hub: 100 clusters", many_targets(99), VALID),
    ("100 targets and a hub: 101 clusters", many_targets(100), "services"),
    ("101 targets in a service", many_targets(101), f"{WEB}.targets"),
    ("two active hubs", put("hubs.green", {"kubernetes_version": "1.35", "phase": "active"}), "hubs"),
    ("no active hub", put("hubs.blue.phase", "standby"), "hubs"),
    ("20 services", services(20), VALID),
    ("21 services", services(21), "services"),
    ("the one-service file", one_service_file, "targets, apps, traffic"),
    # Kubernetes versions (the day is pinned: tests/conftest.py)
    (
        "a new target on a version past extended support",
        put(f"{WEB}.targets.green", {"kubernetes_version": "1.31", "phase": "provisioning", "weight": 0}),
        f"{WEB}.targets.green.kubernetes_version",
    ),
    ("a live target on a version past extended support", put(f"{BLUE}.kubernetes_version", "1.31"), VALID),
    ("a version EKS never had", put("hubs.blue.kubernetes_version", "1.99"), "hubs.blue.kubernetes_version"),
    ("an unquoted version", put("hubs.blue.kubernetes_version", 1.35), "hubs.blue.kubernetes_version"),
    # nodes
    ("nodes at 450", put("hubs.blue.nodes", {"min_size": 1, "desired_size": 450, "max_size": 450}), VALID),
    ("nodes over 450", put("hubs.blue.nodes", {"max_size": 451}), "hubs.blue.nodes.max_size"),
    ("min_size above desired_size", put("hubs.blue.nodes", {"min_size": 3}), "hubs.blue.nodes"),
    ("a 20 GiB disk", put("hubs.blue.nodes", {"disk_size_gib": 20}), VALID),
    ("a 19 GiB disk", put("hubs.blue.nodes", {"disk_size_gib": 19}), "hubs.blue.nodes.disk_size_gib"),
    ("no instance types", put("hubs.blue.nodes", {"instance_types": []}), "hubs.blue.nodes.instance_types"),
    # the network
    ("a created VPC of /20", put("network.cidr", "10.40.0.0/20"), VALID),
    ("a created VPC of /21", put("network.cidr", "10.40.0.0/21"), "network"),
    ("a created VPC of /15", put("network.cidr", "10.40.0.0/15"), "network"),
    ("a CIDR with host bits", put("network.cidr", "10.40.0.1/16"), "network.cidr"),
    ("four zones", put("network.zones", ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]), VALID),
    ("five zones", put("network.zones", [f"eu-west-1{z}" for z in "abcde"]), "network.zones"),
    ("one zone", put("network.zones", ["eu-west-1a"]), "network.zones"),
    ("a zone of another region", put("network.zones", ["eu-west-1a", "eu-west-2b"]), "network.zones"),
    ("a reused VPC", put("network", REUSED_VPC), VALID),
    (
        "a reused VPC with one private subnet",
        put(
            "network",
            {
                "vpc_id": "vpc-0123456789abcdef0",
                "private_subnet_ids": ["subnet-00000001"],
                "public_subnet_ids": ["subnet-00000003", "subnet-00000004"],
            },
        ),
        "network.private_subnet_ids",
    ),
    ("both vpc_id and cidr", put("network.vpc_id", "vpc-0123456789abcdef0"), "network"),
    ("a target pinned to two of the fleet's zones", put(f"{BLUE}.zones", ["eu-west-1a", "eu-west-1b"]), VALID),
    ("a target pinned to one zone", put(f"{BLUE}.zones", ["eu-west-1a"]), f"{BLUE}.zones"),
    ("a target pinned to a zone the fleet lacks", put(f"{BLUE}.zones", ["eu-west-1a", "eu-west-1d"]), f"{BLUE}.zones"),
    (
        "a target pinned to subnets of a created VPC",
        put(f"{BLUE}.private_subnet_ids", ["subnet-00000001", "subnet-00000002"]),
        f"{BLUE}.private_subnet_ids",
    ),
    # service ranges: inside 10/8, 172.16/12 or 192.168/16, /12 to /24, outside the VPC
    ("service_cidr 192.168.0.0/16", put("service_cidr", "192.168.0.0/16"), VALID),
    ("service_cidr 172.16.0.0/12", put("service_cidr", "172.16.0.0/12"), VALID),
    ("service_cidr 10.96.0.0/12", put("service_cidr", "10.96.0.0/12"), VALID),
    ("service_cidr of /24", put("service_cidr", "172.20.0.0/24"), VALID),
    ("service_cidr of /11", put("service_cidr", "10.0.0.0/11"), "service_cidr"),
    ("service_cidr of /25", put("service_cidr", "172.20.0.0/25"), "service_cidr"),
    ("service_cidr inside the VPC", put("service_cidr", "10.40.128.0/20"), "service_cidr"),
    ("service_cidr public", put("service_cidr", "8.8.0.0/16"), "service_cidr"),
    ("service_cidr in the shared address space", put("service_cidr", "100.64.0.0/16"), "service_cidr"),
    ("service_cidr in the benchmarking range", put("service_cidr", "198.18.0.0/16"), "service_cidr"),
    ("service_cidr link-local", put("service_cidr", "169.254.0.0/16"), "service_cidr"),
    ("a generation's service_cidr pin", put(f"{BLUE}.service_cidr", "172.21.0.0/16"), VALID),
    ("a generation's service_cidr pin of /25", put(f"{BLUE}.service_cidr", "172.21.0.0/25"), f"{BLUE}.service_cidr"),
    (
        "a generation's service_cidr pin inside the VPC",
        put(f"{BLUE}.service_cidr", "10.40.0.0/20"),
        f"{BLUE}.service_cidr",
    ),
    # CIDR lists
    (
        "allowed_cidrs overlapping",
        put(f"{TRAFFIC}.allowed_cidrs", ["10.0.0.0/8", "10.1.0.0/16"]),
        f"{TRAFFIC}.allowed_cidrs",
    ),
    (
        "an allowed CIDR without its prefix length",
        put(f"{TRAFFIC}.allowed_cidrs", ["203.0.113.7"]),
        f"{TRAFFIC}.allowed_cidrs.0",
    ),
    ("30 allowed_cidrs", put(f"{TRAFFIC}.allowed_cidrs", cidrs(30)), VALID),
    ("31 allowed_cidrs", put(f"{TRAFFIC}.allowed_cidrs", cidrs(31)), f"{TRAFFIC}.allowed_cidrs"),
    ("3 operator_cidrs", put(f"{TRAFFIC}.operator_cidrs", cidrs(3)), VALID),
    ("4 operator_cidrs", put(f"{TRAFFIC}.operator_cidrs", cidrs(4)), f"{TRAFFIC}.operator_cidrs"),
    (
        "a public access CIDR of /8 with allow_wide_admin_cidrs",
        both(put("hubs.blue.public_access_cidrs", ["11.0.0.0/8"]), WIDE_ADMIN),
        VALID,
    ),
    (
        "a public access CIDR of /7 with allow_wide_admin_cidrs",
        both(put("hubs.blue.public_access_cidrs", ["12.0.0.0/7"]), WIDE_ADMIN),
        "hubs.blue.public_access_cidrs",
    ),
    (
        "public access CIDRs that together are the internet",
        put("hubs.blue.public_access_cidrs", ["0.0.0.0/1", "128.0.0.0/1"]),
        "hubs.blue.public_access_cidrs",
    ),
    ("40 public access CIDRs", put(f"{BLUE}.public_access_cidrs", cidrs(40)), VALID),
    ("41 public access CIDRs", put(f"{BLUE}.public_access_cidrs", cidrs(41)), f"{BLUE}.public_access_cidrs"),
    (
        "api_access with 50 rules",
        put("api_access", {"cidrs": cidrs(48), "security_group_ids": ["sg-00000001", "sg-00000002"]}),
        VALID,
    ),
    (
        "api_access with 51 rules",
        put("api_access", {"cidrs": cidrs(49), "security_group_ids": ["sg-00000001", "sg-00000002"]}),
        "api_access",
    ),
    ("api_access CIDRs overlapping", put("api_access", {"cidrs": ["10.0.0.0/8", "10.1.0.0/16"]}), "api_access"),
    # who may reach the ALB: clients listed, or internet_facing (everyone by default)
    ("an internet-facing ALB open to 0.0.0.0/0", put(f"{TRAFFIC}.allowed_cidrs", ["0.0.0.0/0"]), VALID),
    ("0.0.0.0/0 on an ALB that is not internet-facing", clients("0.0.0.0/0"), f"{TRAFFIC}.allowed_cidrs"),
    (
        "0.0.0.0/0 on an ALB with internet_facing false",
        both(put(f"{TRAFFIC}.allowed_cidrs", ["0.0.0.0/0"]), put(f"{TRAFFIC}.internet_facing", False)),
        f"{TRAFFIC}.allowed_cidrs",
    ),
    ("0.0.0.0/1 on an ALB that is not internet-facing", clients("0.0.0.0/1"), f"{TRAFFIC}.allowed_cidrs"),
    ("0.0.0.0/1 on an internet-facing ALB", put(f"{TRAFFIC}.allowed_cidrs", ["0.0.0.0/1"]), VALID),
    ("no clients listed and not internet-facing", drop(f"{TRAFFIC}.internet_facing"), f"{TRAFFIC}.allowed_cidrs"),
    (
        "internet_facing false and no clients listed",
        put(f"{TRAFFIC}.internet_facing", False),
        f"{TRAFFIC}.allowed_cidrs",
    ),
    (
        "an empty allowed_cidrs on an internet-facing ALB",
        put(f"{TRAFFIC}.allowed_cidrs", []),
        f"{TRAFFIC}.allowed_cidrs",
    ),
    ("an empty allowed_cidrs on an ALB that is not internet-facing", clients(), f"{TRAFFIC}.allowed_cidrs"),
    ("internet_facing as text", put(f"{TRAFFIC}.internet_facing", "yes"), f"{TRAFFIC}.internet_facing"),
    ("internet_facing null", put(f"{TRAFFIC}.internet_facing", None), f"{TRAFFIC}.internet_facing"),
    ("a client range of /32, not internet-facing", clients("203.0.113.7/32"), VALID),
    ("a public /16 on an ALB that is not internet-facing", clients("52.0.0.0/16"), VALID),
    ("a public /15 on an ALB that is not internet-facing", clients("52.0.0.0/15"), f"{TRAFFIC}.allowed_cidrs"),
    ("a public /15 on an internet-facing ALB", put(f"{TRAFFIC}.allowed_cidrs", ["52.0.0.0/15"]), VALID),
    ("a private /8 on an ALB that is not internet-facing", clients("10.0.0.0/8"), VALID),
    ("a private /12 on an ALB that is not internet-facing", clients("172.16.0.0/12"), VALID),
    (
        "a narrow and a wide client range, not internet-facing",
        clients("203.0.113.0/24", "52.0.0.0/12"),
        f"{TRAFFIC}.allowed_cidrs",
    ),
    # operator and API doors: never shorter than /8, wide public ranges with allow_wide_admin_cidrs
    ("0.0.0.0/0 in operator_cidrs", put(f"{TRAFFIC}.operator_cidrs", ["0.0.0.0/0"]), f"{TRAFFIC}.operator_cidrs"),
    (
        "0.0.0.0/0 in operator_cidrs with allow_wide_admin_cidrs",
        both(put(f"{TRAFFIC}.operator_cidrs", ["0.0.0.0/0"]), WIDE_ADMIN),
        f"{TRAFFIC}.operator_cidrs",
    ),
    (
        "0.0.0.0/1 in operator_cidrs with allow_wide_admin_cidrs",
        both(put(f"{TRAFFIC}.operator_cidrs", ["0.0.0.0/1"]), WIDE_ADMIN),
        f"{TRAFFIC}.operator_cidrs",
    ),
    ("a public /16 in operator_cidrs", put(f"{TRAFFIC}.operator_cidrs", ["52.0.0.0/16"]), VALID),
    ("a public /15 in operator_cidrs", put(f"{TRAFFIC}.operator_cidrs", ["52.0.0.0/15"]), f"{TRAFFIC}.operator_cidrs"),
    (
        "a public /15 in operator_cidrs with allow_wide_admin_cidrs",
        both(put(f"{TRAFFIC}.operator_cidrs", ["52.0.0.0/15"]), WIDE_ADMIN),
        VALID,
    ),
    (
        "a public /8 in operator_cidrs with allow_wide_admin_cidrs",
        both(put(f"{TRAFFIC}.operator_cidrs", ["52.0.0.0/8"]), WIDE_ADMIN),
        VALID,
    ),
    ("a private /8 in operator_cidrs", put(f"{TRAFFIC}.operator_cidrs", ["10.0.0.0/8"]), VALID),
    ("0.0.0.0/0 in api_access.cidrs", put("api_access", {"cidrs": ["0.0.0.0/0"]}), "api_access.cidrs"),
    (
        "0.0.0.0/0 in api_access.cidrs with allow_wide_admin_cidrs",
        both(put("api_access", {"cidrs": ["0.0.0.0/0"]}), WIDE_ADMIN),
        "api_access.cidrs",
    ),
    ("a public /16 in api_access.cidrs", put("api_access", {"cidrs": ["52.0.0.0/16"]}), VALID),
    ("a public /15 in api_access.cidrs", put("api_access", {"cidrs": ["52.0.0.0/15"]}), "api_access.cidrs"),
    (
        "a public /15 in api_access.cidrs with allow_wide_admin_cidrs",
        both(put("api_access", {"cidrs": ["52.0.0.0/15"]}), WIDE_ADMIN),
        VALID,
    ),
    ("a private /8 in api_access.cidrs", put("api_access", {"cidrs": ["10.0.0.0/8"]}), VALID),
    (
        "a public access CIDR of /8",
        put("hubs.blue.public_access_cidrs", ["11.0.0.0/8"]),
        "hubs.blue.public_access_cidrs",
    ),
    ("a public access CIDR of /16", put(f"{BLUE}.public_access_cidrs", ["52.0.0.0/16"]), VALID),
    ("a public access CIDR of /15", put(f"{BLUE}.public_access_cidrs", ["52.0.0.0/15"]), f"{BLUE}.public_access_cidrs"),
    (
        "a public access CIDR of /15 with allow_wide_admin_cidrs",
        both(put(f"{BLUE}.public_access_cidrs", ["52.0.0.0/15"]), WIDE_ADMIN),
        VALID,
    ),
    (
        "0.0.0.0/0 as a public access CIDR with allow_wide_admin_cidrs",
        both(put("hubs.blue.public_access_cidrs", ["0.0.0.0/0"]), WIDE_ADMIN),
        "hubs.blue.public_access_cidrs",
    ),
    ("a private /8 as a public access CIDR", put("hubs.blue.public_access_cidrs", ["10.0.0.0/8"]), VALID),
    ("allow_wide_admin_cidrs with no wide door", WIDE_ADMIN, VALID),
    ("allow_wide_admin_cidrs as text", put("allow_wide_admin_cidrs", "yes"), "allow_wide_admin_cidrs"),
    # tags
    ("tag value of 256 characters", put("tags.team", "v" * 256), VALID),
    ("tag value of 257 characters", put("tags.team", "v" * 257), "tags.team"),
    ("tag value with a Terraform template", put("tags.team", "${x}"), "tags.team"),
    ("tag key of 128 characters", put("tags", {"k" * 128: "x"}), VALID),
    ("tag key of 129 characters", put("tags", {"k" * 129: "x"}), "tags.*"),
    ("tag key starting with aws:", put("tags", {"aws:team": "x"}), "tags.aws:team"),
    ("tag key starting with AWS:", put("tags", {"AWS:team": "x"}), "tags.*"),
    ("45 tags: 50 with a subnet's five built-in ones", tags(45), VALID),
    ("46 tags", tags(46), "tags"),
    ("tag keys differing only in case", put("tags", {"team": "a", "Team": "b"}), "tags"),
    ("tag key of a built-in tag", put("tags", {"ephemeral-eks/fleet": "other"}), "tags.*"),
    ("tag key of a built-in tag in other case", put("tags", {"Ephemeral-EKS/Stack": "x"}), "tags.*"),
    ("tag key Name", put("tags", {"Name": "x"}), "tags.*"),
    # ARNs: the fleet's region and partition
    ("a GovCloud fleet with GovCloud ARNs", govcloud(), VALID),
    ("an ISO-F fleet with ISO-F ARNs", iso_f, VALID),
    ("a GovCloud fleet with a commercial certificate ARN", govcloud("aws"), f"{TRAFFIC}.certificate_arn"),
    (
        "a certificate of another region",
        put(f"{TRAFFIC}.certificate_arn", CERT.replace("eu-west-1", "us-east-1")),
        f"{TRAFFIC}.certificate_arn",
    ),
    (
        "a WAF ACL of another region",
        put(f"{TRAFFIC}.waf_acl_arn", WAF.replace("eu-west-1", "eu-west-2")),
        f"{TRAFFIC}.waf_acl_arn",
    ),
    ("a certificate ARN with a short id", put(f"{TRAFFIC}.certificate_arn", CERT[:-1]), f"{TRAFFIC}.certificate_arn"),
    (
        "a plan role (PR plans read no cluster any more)",
        put("api_access", {"plan_role_arn": "arn:aws:iam::111122223333:role/fleet-plan"}),
        "api_access.plan_role_arn",
    ),
    # the served app
    ("served app in namespace default", put(f"{PODINFO}.namespace", "default"), f"{PODINFO}.namespace"),
    ("served app in namespace kube-system", put(f"{PODINFO}.namespace", "kube-system"), f"{PODINFO}.namespace"),
    ("served app in namespace kube-public", put(f"{PODINFO}.namespace", "kube-public"), f"{PODINFO}.namespace"),
    (
        "served app in namespace kube-node-lease",
        put(f"{PODINFO}.namespace", "kube-node-lease"),
        f"{PODINFO}.namespace",
    ),
    ("served app in namespace argocd", put(f"{PODINFO}.namespace", "argocd"), f"{PODINFO}.namespace"),
    ("served app in namespace argocd-apps", put(f"{PODINFO}.namespace", "argocd-apps"), VALID),
    *[
        (f"an app that is not served in namespace {ns}", extra_app(ns), f"{WEB}.apps.extra.namespace")
        for ns in ("kube-system", "kube-public", "kube-node-lease", "argocd")
    ],
    ("an app that is not served in namespace default", extra_app("default"), VALID),
    ("an app that is not served in the served app's namespace", extra_app("podinfo"), VALID),
    ("served app on port 443", put(f"{PODINFO}.port", 443), f"{PODINFO}.port"),
    (
        "served app on port 443, its pods on 8443",
        both(put(f"{PODINFO}.port", 443), put(f"{PODINFO}.container_port", 8443)),
        VALID,
    ),
    ("served app's pods on port 10250", put(f"{PODINFO}.container_port", 10250), f"{PODINFO}.container_port"),
    ("served app's pods on port 443", put(f"{PODINFO}.container_port", 443), f"{PODINFO}.container_port"),
    ("port 65535", put(f"{PODINFO}.port", 65535), VALID),
    ("port 65536", put(f"{PODINFO}.port", 65536), f"{PODINFO}.port"),
    ("port 0", put(f"{PODINFO}.port", 0), f"{PODINFO}.port"),
    ("served app without a port", drop(f"{PODINFO}.port"), f"{PODINFO}.port"),
    ("traffic to an app the service lacks", put(f"{TRAFFIC}.app", "nope"), f"{TRAFFIC}.app"),
    ("health check path of 1024 characters", put(f"{PODINFO}.health_check_path", "/" + "h" * 1023), VALID),
    (
        "health check path of 1025 characters",
        put(f"{PODINFO}.health_check_path", "/" + "h" * 1024),
        f"{PODINFO}.health_check_path",
    ),
    (
        "health check path without its slash",
        put(f"{PODINFO}.health_check_path", "healthz"),
        f"{PODINFO}.health_check_path",
    ),
    # app sources
    ("a chart and a Git path", put(f"{PODINFO}.path", "deploy"), PODINFO),
    ("a chart without its version", drop(f"{PODINFO}.version"), f"{PODINFO}.version"),
    ("a chart with a null version", put(f"{PODINFO}.version", None), f"{PODINFO}.version"),
    ("no source", both(drop(f"{PODINFO}.chart"), drop(f"{PODINFO}.version")), f"{PODINFO}.chart"),
    ("a served Git path with its Service", git_app(), VALID),
    ("a served Git path without its Service", git_app(service=None), f"{PODINFO}.service"),
    ("a Git path from oci://", git_app(repo_url="oci://ghcr.io/acme/charts"), f"{PODINFO}.repo_url"),
    ("a Git path with ..", git_app(path="deploy/../../etc"), f"{PODINFO}.path"),
    ("Helm values on a Git path", git_app(values={"replicaCount": 2}), f"{PODINFO}.values"),
    (
        "generation values for an app the service lacks",
        put(f"{BLUE}.values", {"nope": {"a": 1}}),
        f"{BLUE}.values.nope",
    ),
    ("a Helm values key of 253 characters", put(f"{PODINFO}.values", {"k" * 253: 1}), VALID),
    ("Helm values of 200 KiB as JSON", put(f"{PODINFO}.values", {"k": "x" * (VALUES_BYTES - 9)}), VALID),
    (
        "Helm values of 200 KiB and a byte as JSON",
        put(f"{PODINFO}.values", {"k": "x" * (VALUES_BYTES - 8)}),
        f"{BLUE}.values",
    ),
    (
        "a generation's Helm values over 200 KiB with the app's",
        both(
            put(f"{PODINFO}.values", {"a": "x" * (VALUES_BYTES // 2)}),
            put(f"{BLUE}.values", {"podinfo": {"b": "x" * (VALUES_BYTES // 2)}}),
        ),
        f"{BLUE}.values",
    ),
    ("a Helm values key of 254 characters", put(f"{PODINFO}.values", {"k" * 254: 1}), f"{PODINFO}.values.*"),
    (
        "a cluster resource kind of 63 characters",
        put(f"{WEB}.cluster_resources", [{"group": "", "kind": "K" * 63}]),
        VALID,
    ),
    (
        "a cluster resource kind of 64 characters",
        put(f"{WEB}.cluster_resources", [{"group": "", "kind": "K" * 64}]),
        f"{WEB}.cluster_resources.0.kind",
    ),
    # buckets and state
    ("logs bucket of 3 characters", put("logs_bucket", "abc"), VALID),
    ("logs bucket of 2 characters", put("logs_bucket", "ab"), "logs_bucket"),
    ("logs bucket of 63 characters", put("logs_bucket", "b" * 63), VALID),
    ("logs bucket of 64 characters", put("logs_bucket", "b" * 64), "logs_bucket"),
    ("logs bucket with dots", put("logs_bucket", "acme.fleet.logs"), VALID),
    ("logs bucket with ..", put("logs_bucket", "acme..logs"), "logs_bucket"),
    ("logs bucket like an IP address", put("logs_bucket", "192.168.5.4"), "logs_bucket"),
    ("logs bucket starting xn--", put("logs_bucket", "xn--acme"), "logs_bucket"),
    ("logs bucket starting sthree-", put("logs_bucket", "sthree-logs"), "logs_bucket"),
    ("logs bucket ending -s3alias", put("logs_bucket", "logs-s3alias"), "logs_bucket"),
    ("logs bucket ending --x-s3", put("logs_bucket", "logs--x-s3"), "logs_bucket"),
    ("S3 state", s3_state(), VALID),
    ("S3 state bucket with ..", s3_state(bucket="a..b"), "state.bucket"),
    ("S3 state without its bucket", put("state", {"backend": "s3", "region": "eu-west-1"}), "state.bucket"),
    ("state backend gcs", put("state", {"backend": "gcs"}), "state.backend"),
    ("local state with a bucket", put("state", {"backend": "local", "bucket": "acme-tfstate"}), "state.bucket"),
    ("S3 key prefix of 200 characters", s3_state(key_prefix="k" * 200), VALID),
    ("S3 key prefix of 201 characters", s3_state(key_prefix="k" * 201), "state.key_prefix"),
    ("S3 key prefix with an empty segment", s3_state(key_prefix="a//b"), "state.key_prefix"),
    # keys and types
    ("an unknown key", put("hubs.blue.wieght", 1), "hubs.blue.wieght"),
    ("a weight as text", put(f"{BLUE}.weight", "100"), f"{BLUE}.weight"),
    ("a null WAF ACL", put(f"{TRAFFIC}.waf_acl_arn", None), VALID),
]


def _row(row: Row, marks: bool) -> ParameterSet:
    values, kept = (row.values, row.marks) if isinstance(row, ParameterSet) else (row, ())
    return pytest.param(*values, marks=kept if marks else (), id=values[0])


def model_cases() -> list[ParameterSet]:
    """Every row, `awaiting` ones as strict xfails: for the model."""
    return [_row(r, marks=True) for r in EDGE_CASES]


def oracle_cases() -> list[ParameterSet]:
    """Every row, none of them xfail: the oracle judges the awaited limits already."""
    return [_row(r, marks=False) for r in EDGE_CASES]


def named(expected: str, paths: list[str]) -> bool:
    """Whether one of `paths` (field paths, or whole message lines `<path>: ...`) names
    `expected`: that path exactly, or for `a.b.*` that path or anything under it."""
    if expected.endswith(".*"):
        stem = expected[:-2]
        return any(p == stem or p.startswith((f"{stem}.", f"{stem}: ")) for p in paths)
    return any(p == expected or p.startswith(f"{expected}: ") for p in paths)

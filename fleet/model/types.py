"""The field types of the fleet file: names, ids, CIDRs, versions, each with the one-line message a
wrong value gets, and the model base every section derives from."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterable, Sized
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictInt,
    StrictStr,
    field_validator,
)

from fleet.model.limits import FLEET_NAME_MAX, GENERATION_MAX, INTERNET_PREFIX, SERVICE_MAX, WIDE_PREFIX
from fleet.text import quoted, shorten
from fleet.versions import KUBERNETES_VERSIONS, offered, today


def pattern(regex: str, what: str):
    compiled = re.compile(regex, re.ASCII)  # \d is 0-9 only, not every script's digits

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{quoted(value)} is not {what}")
        return value

    return AfterValidator(check)


def _cidr(value: str) -> str:
    if "/" not in value:
        raise ValueError(f"{quoted(value)} is not a CIDR: add the prefix length, e.g. {quoted(value + '/32')}")
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"{value!r} is not an IPv4 CIDR such as 10.0.0.0/16 ({err})") from None
    return str(network)


def _kubernetes_version(value: str) -> str:
    if value not in KUBERNETES_VERSIONS:
        raise ValueError(
            f"{value!r} is not an EKS version; use one of {', '.join(offered(today()))} (see fleet/versions.py)"
        )
    return value


def _prefix_usable(value: str) -> str:
    if "--" in value:
        raise ValueError(f"{value!r} has a double hyphen, which reads as two names glued together; use single hyphens")
    segments = value.split("-")
    if {"argocd", "target"} & set(segments[1:]) or segments[0] in ("argocd", "target"):
        raise ValueError(
            f"{value!r} contains the segment argocd or target, which cluster names use: another fleet's "
            "hub pattern could then match this fleet's clusters; pick another name"
        )
    if value == "sg" or value.startswith("sg-"):
        raise ValueError(f"{value!r} would name security groups sg-...; AWS reserves that prefix, pick another name")
    if value == "internal" or value.startswith("internal-"):
        raise ValueError(
            f"{value!r} would name the load balancer internal-...; AWS reserves that prefix, pick another name"
        )
    return value


FleetName = Annotated[
    StrictStr,
    AfterValidator(_prefix_usable),
    pattern(
        rf"[a-z](?:[a-z0-9-]{{0,{FLEET_NAME_MAX - 2}}}[a-z0-9])?",
        f"a fleet name: 1-{FLEET_NAME_MAX} lowercase letters, digits or inner hyphens, starting "
        "with a letter (it prefixes every AWS name, and target group names allow 32 characters)",
    ),
]
GenerationName = Annotated[
    StrictStr,
    pattern(
        rf"[a-z][a-z0-9]{{0,{GENERATION_MAX - 1}}}",
        f"a generation name: 1-{GENERATION_MAX} lowercase letters or digits, starting with a "
        "letter, such as blue, green or v133",
    ),
]
ServiceName = Annotated[
    StrictStr,
    AfterValidator(lambda v: _not_reserved_service(v)),
    pattern(
        rf"[a-z][a-z0-9]{{0,{SERVICE_MAX - 1}}}",
        f"a service name: 1-{SERVICE_MAX} lowercase letters or digits, starting with a letter (it names "
        "the service's load balancer and its ArgoCD project)",
    ),
]
DnsLabel = Annotated[
    StrictStr,
    pattern(
        r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?",
        "a DNS label: lowercase letters, digits and inner hyphens, at most 63 characters",
    ),
]
ServiceObjectName = Annotated[
    StrictStr,
    pattern(
        r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?",
        "a Kubernetes Service name: an RFC 1035 label, 1-63 lowercase letters, digits and inner hyphens, "
        "starting with a letter (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/)",
    ),
]
AppName = Annotated[
    StrictStr,
    pattern(
        r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?",
        "an app name: at most 40 lowercase letters, digits and inner hyphens (it names Helm releases, "
        "which allow 53 characters with their suffixes)",
    ),
]


def _bucket_name(value: str) -> str:
    """S3's rules beyond the characters ("General purpose bucket naming rules",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)."""
    if ".." in value:
        raise ValueError(f"{quoted(value)}: an S3 bucket name has no two adjacent periods")
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value):
        raise ValueError(f"{quoted(value)}: an S3 bucket name is not an IP address")
    for prefix in ("xn--", "sthree-", "amzn-s3-demo-"):
        if value.startswith(prefix):
            raise ValueError(f"{quoted(value)}: S3 reserves bucket names starting with {prefix}")
    for suffix in ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"):
        if value.endswith(suffix):
            raise ValueError(f"{quoted(value)}: S3 reserves bucket names ending with {suffix}")
    return value


BucketName = Annotated[
    StrictStr,
    AfterValidator(_bucket_name),
    pattern(
        r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "an S3 bucket name: 3-63 lowercase letters, digits, periods and hyphens"
    ),
]
Cidr = Annotated[StrictStr, AfterValidator(_cidr)]
KubernetesVersion = Annotated[StrictStr, AfterValidator(_kubernetes_version)]
ChartVersion = Annotated[
    StrictStr,
    pattern(r"v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?", "a chart version such as 1.2.3"),
]
Zone = Annotated[
    StrictStr, pattern(r"[a-z]{2}(?:-gov)?-[a-z]+-\d[a-z]", "an availability zone name such as eu-west-1a")
]
Region = Annotated[StrictStr, pattern(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d", "an AWS region such as eu-west-1")]
SubnetId = Annotated[StrictStr, pattern(r"subnet-[0-9a-f]{8,17}", "a subnet id such as subnet-0123456789abcdef0")]
VpcId = Annotated[StrictStr, pattern(r"vpc-[0-9a-f]{8,17}", "a VPC id such as vpc-0123456789abcdef0")]
Port = Annotated[StrictInt, Field(ge=1, le=65535)]
TagValue = Annotated[
    StrictStr,
    pattern(r"[A-Za-z0-9 _.:/=+@-]{0,256}", "a tag value: at most 256 letters, digits, spaces and _ . : / = + @ -"),
]
"""Nothing Terraform or cdktf would read as an expression (`${`, `%{`) gets through."""
TagKey = Annotated[
    StrictStr,
    pattern(
        r"(?!aws:)[A-Za-z0-9 _.:/=+@-]{1,128}",
        "a tag key: 1-128 letters, digits, spaces and _ . : / = + @ -, not starting with aws:",
    ),
]


def _not_json(value: Any) -> str | None:
    """What keeps one Helm value - its own number, text or keys, not what it holds - out of JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"is {value}, which JSON (how Helm values reach ArgoCD) cannot carry; write a finite number, or quote it"
    texts: list[str] = []
    if isinstance(value, str):
        texts = [value]
    elif isinstance(value, dict):
        texts = [key for key in value if isinstance(key, str)]
    lone = next((c for text in texts for c in text if "\ud800" <= c <= "\udfff"), None)
    if lone is not None:
        return (
            f"holds a lone UTF-16 surrogate (U+{ord(lone):04X}), which is no character; write the character itself, "
            "not its \\u escapes"
        )
    return None


def _travels_as_json(values: Any) -> Any:
    """Every Helm value, at any depth, can travel as JSON; the first one that cannot is refused.
    Before the type check, so that a key that is no text gets this message too."""
    pending: list[tuple[tuple[str, ...], Any]] = [((), values)] if isinstance(values, dict) else []
    while pending:
        at, value = pending.pop()
        why = _not_json(value)
        if why is not None:
            where = f"the value at {shorten('.'.join(at), 60)}" if at else "a key"
            raise ValueError(f"{where} {why}")
        if isinstance(value, dict):
            pending += reversed([((*at, str(k)), v) for k, v in value.items()])
        elif isinstance(value, list):
            pending += reversed([((*at, str(i)), v) for i, v in enumerate(value)])
    return values


HelmValues = Annotated[
    dict[Annotated[StrictStr, Field(min_length=1, max_length=253)], JsonValue], BeforeValidator(_travels_as_json)
]
"""A mapping of Helm values, as the chart's values.yaml would hold them. They reach ArgoCD as JSON,
so every number is finite and every text valid Unicode."""
GitPath = Annotated[
    StrictStr,
    pattern(
        r"(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9._/-]{1,255}",
        "a path inside the Git repository such as deploy/podinfo (relative, no ..)",
    ),
]
GitRevision = Annotated[
    StrictStr,
    pattern(r"[A-Za-z0-9._/-]{1,255}", "a Git revision: a branch, a tag or a commit SHA such as v1.2.0"),
]


def _not_reserved_service(value: str) -> str:
    if value == "default":
        raise ValueError(
            "'default' is ArgoCD's built-in project, which every Application could use; name the service otherwise"
        )
    return value


SHOWN_NAMES = 10
"""A message names at most this many of a list (`a, b, ..., j and 90 more`): it stays one readable line."""


def some(names: Iterable[str]) -> str:
    """`names` joined with commas, cut after `SHOWN_NAMES` with a count of the rest."""
    listed = list(names)
    shown = ", ".join(listed[:SHOWN_NAMES])
    return f"{shown} and {len(listed) - SHOWN_NAMES} more" if len(listed) > SHOWN_NAMES else shown


def limit(field: str, most: int, *, none: str | None = None) -> Callable[[Callable[[int, int], str]], Any]:
    """Makes the refusal it decorates - given how many values there are and `most`, what the limit
    is and how to stay within it - a validator of `field` that refuses more than `most` values
    (and, with `none`, no value at all). A model declares it where it belongs among its other
    checks of `field`: pydantic runs them in the order they are defined and reports the first
    refusal, which decides the message a value wrong in several ways gets."""

    def validator(refusal: Callable[[int, int], str]) -> Any:
        def check(values: Sized) -> Sized:
            if none is not None and not values:
                raise ValueError(none)
            if len(values) > most:
                raise ValueError(refusal(len(values), most))
            return values

        return field_validator(field)(check)

    return validator


def listed_once(values: tuple[str, ...], what: str) -> tuple[str, ...]:
    """`values`, each listed once; else ValueError naming the first one listed twice."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value} is listed twice; list each {what} once")
        seen.add(value)
    return values


def no_overlap(cidrs: tuple[str, ...], what: str) -> tuple[str, ...]:
    networks = [ipaddress.IPv4Network(c) for c in cidrs]
    for i, a in enumerate(networks):
        for b in networks[i + 1 :]:
            if a.overlaps(b):
                raise ValueError(f"{what} {a} and {b} overlap; list each range once")
    return cidrs


SecurityGroupId = Annotated[
    StrictStr, pattern(r"sg-[0-9a-f]{8,17}", "a security group id such as sg-0123456789abcdef0")
]


class Model(BaseModel):
    """Unknown keys are rejected; values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def is_wide(cidr: str) -> bool:
    """A public range of more than a /16 (`WIDE_PREFIX`); private ranges never are."""
    network = ipaddress.IPv4Network(cidr)
    return network.prefixlen < WIDE_PREFIX and not network.is_private


def not_the_internet(cidrs: tuple[str, ...], door: str) -> tuple[str, ...]:
    """Operator and API doors never admit a large part of the internet (`INTERNET_PREFIX`)."""
    huge = [c for c in cidrs if ipaddress.IPv4Network(c).prefixlen < INTERNET_PREFIX]
    if huge:
        raise ValueError(
            f"{huge[0]} opens {door} to a large part of the internet; list your own ranges (/{INTERNET_PREFIX} or narrower)"
        )
    return cidrs

"""Hypothesis strategies for fleet files: valid ones, and corrupted ones as the bytes of a file.

`valid_fleets()` draws dicts that `fleet.model.Fleet` accepts. The corrupted strategies draw
`Corrupt(kind, content)`: `content` is what goes into the file (bytes), `kind` says which
corruption made it (for the counts the fuzz tests print).

The corrupted strategies only make files that are surely invalid, judged by the rules written
here (ASCII-strict regular expressions of what each field accepts), never by the model itself:
a corrupted file the model accepts is a finding, not a strategy bug.

`judge(data)` is the oracle's verdict on a fleet dict: the paths of the fields it breaks, by the
same rules (empty: valid). Drawn valid fleets must get an empty verdict and corrupted ones a
non-empty one (`test_fuzz.py`), and `tests/support/edge_cases.py` runs one list of boundary cases
through both `judge` and the model (`test_fleet_validation.py`): where the two disagree, one of
them is wrong.

The bugs these strategies found (YAML constructor crashes, control characters and bidi
overrides echoed into messages, huge values, injection through tag values, ...) are fixed; the
bulk draws those inputs like any other, and `test_fuzz.py` keeps one regression test per bug.
The ones still standing are in `KNOWN_BUGS`, left out of the bulk.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from fleet import names
from fleet.model.limits import MAX_FILE_BYTES as MAX_BYTES
from fleet.versions import KUBERNETES_VERSIONS, offered, today
from support.yaml_text import dump

KNOWN_BUGS: dict[str, str] = {
    "json-surrogate-pair": "a JSON fleet file's escaped surrogate pair (\\ud83d\\ude00, as json.dumps writes an "
    "emoji) is read as two lone surrogates, not the one character; valid fleets write no character beyond "
    "U+FFFF in Helm values (test_yaml_1_1_reads_a_json_surrogate_pair_as_two_lone_surrogates)",
    "json-exponent-float": "a JSON number with an exponent and no point (1e-05, 1e+16, as json.dumps writes "
    "them) is read as the text '1e-05' (YAML 1.1 floats need a point); valid fleets draw no such float in "
    "Helm values (test_yaml_1_1_reads_a_json_exponent_float_as_text)",
}
"""Classes of input the bulk leaves out while their bug stands, each with its strict-xfail test."""

HUGE_INT_DIGITS = 4000
"""Bulk integers stay below the 4300 digits Python converts to text (the strategies write them as
YAML); the regression tests feed longer ones as raw text."""
MAX_BULK_STRING = 400
"""Bulk strings stay short enough that echoing one is still a readable line (`huge-string`)."""

# --- what each field accepts: the rules these strategies judge by (ASCII only, by design) -----

BUCKET = (
    r"(?!xn--|sthree-|amzn-s3-demo-)(?!.*\.\.)(?![0-9]+\.[0-9]+\.[0-9]+\.[0-9]+\Z)"
    r"(?!.*(?:-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)\Z)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
)
"""An S3 general purpose bucket name ("General purpose bucket naming rules",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3-63 lowercase
letters, digits, dots and hyphens, a letter or digit at both ends, no `..`, not an IP address,
none of the reserved prefixes and suffixes."""

SPEC = {
    "prefix": r"(?!.*--)[a-z](?:[a-z0-9-]{0,10}[a-z0-9])?",
    "app": r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?",
    "generation": r"[a-z][a-z0-9]{0,11}",
    "dns": r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?",
    "k8s_service": r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?",  # a Service name is a DNS-1035 label
    # semver: MAJOR.MINOR.PATCH, then an optional -prerelease, then an optional +build
    "chart_version": r"v?[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?",
    "region": r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]",
    "zone": r"[a-z]{2}(?:-gov)?-[a-z]+-[0-9][a-z]",
    "subnet_id": r"subnet-[0-9a-f]{8,17}",
    "vpc_id": r"vpc-[0-9a-f]{8,17}",
    "sg_id": r"sg-[0-9a-f]{8,17}",
    "instance_type": r"[a-z0-9-]+\.[a-z0-9]+",
    "repo_url": r"(?:https|oci)://[^\s'\"{}]+",
    "path": r"/[A-Za-z0-9/._~-]{0,1023}",
    "bucket": BUCKET,
    "key_prefix": r"(?!/)(?!.*//)(?!.*/$)[A-Za-z0-9!_.*'()/-]{1,200}",
    "dynamodb_table": r"[A-Za-z0-9_.-]{3,255}",
    "cert_arn": r"arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}",
    "waf_arn": r"arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]+/[0-9a-f-]{36}",
    "role_arn": r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}",
    "tag_key": r"(?![Aa][Ww][Ss]:)[A-Za-z0-9 _.:/=+@-]{1,128}",  # AWS reserves aws: in any case
    "tag_value": r"[A-Za-z0-9 _.:/=+@-]{0,256}",
    # services (one ALB and one ArgoCD project each; ArgoCD's own project is `default`)
    "service": r"(?!default\Z)[a-z][a-z0-9]{0,11}",
    "git_path": r"(?!/)(?!(?:.*/)?\.\.(?:/|\Z))[A-Za-z0-9._/-]{1,255}",
    "git_revision": r"[A-Za-z0-9._/-]{1,255}",
    "helm_key": r"(?s:.){1,253}",
    "api_group": r"(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)?",
    "kind": r"[A-Z][A-Za-z0-9]{0,62}",
}
SPEC_RE = {k: re.compile(v, re.ASCII) for k, v in SPEC.items()}
HUB_PHASES = ("standby", "active", "retiring")
TARGET_PHASES = ("provisioning", "registered", "serving", "retiring")
"""The phases valid fleets draw; `destroyed` is valid too (`ALL_*_PHASES`), but not drawn."""
ALL_HUB_PHASES = (*HUB_PHASES, "destroyed")
ALL_TARGET_PHASES = (*TARGET_PHASES, "destroyed")
NEW_PHASES = {"argocd": "standby", "target": "provisioning"}
"""The phase of a generation nobody depends on yet: it starts on a version EKS offers today."""
MAX_SERVICES = 20
"""A fleet holds 1-20 services (each has its own ALB; a region allows 50)."""
MAX_SERVING = 5
"""A service's ALB forwards to at most five target groups."""
MAX_TARGETS = 100
"""Target generations per service (each has a rule on the service's ALB listener)."""
MAX_CLUSTERS = 100
"""Generations (hubs and targets, every service's) per fleet: each is an EKS cluster, and a region
takes 100."""
MAX_VALUES_BYTES = 200 * 1024
"""Helm values of one generation of a service, all its chart apps' merged values as JSON: they
travel in a cluster Secret's annotations (256 KiB in all)."""
MAX_ALLOWED_CIDRS = 30
"""`traffic.allowed_cidrs`: rules on the ALB's SG (two ports each)."""
MAX_OPERATOR_CIDRS = 3
"""`traffic.operator_cidrs`: an ALB rule condition takes three values."""
MAX_PUBLIC_ACCESS_CIDRS = 40
"""`public_access_cidrs`: EKS takes at most 40 public access CIDRs per cluster."""
MAX_API_RULES = 50
"""`api_access`: CIDRs plus distinct SGs, each a rule on the control-plane SG."""
BUILTIN_TAG_KEYS = (
    "Name",
    "ephemeral-eks/fleet",
    "ephemeral-eks/stack",
    "ephemeral-eks/service",
    "ephemeral-eks/tier",
    "ephemeral-eks/generation",
    "kubernetes.io/role/elb",
    "kubernetes.io/role/internal-elb",
)
"""Tag keys the stacks set themselves; a fleet's `tags` may not name them, in any case (IAM tag
keys are case-insensitive), nor name one key twice in two cases."""
MAX_TAGS = 50
"""Tags per AWS resource. A created subnet carries five of the built-in ones (Name, fleet,
stack, tier, its load balancer role), so a fleet lists at most 45."""
MAX_BUILTIN_TAGS_PER_RESOURCE = 5
BUILTIN_LOWER = frozenset(k.lower() for k in BUILTIN_TAG_KEYS)
SERVICE_RANGES = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
SERVICE_PREFIXES = (12, 24)
"""A Kubernetes service range (the fleet's or a generation's): inside an RFC 1918 range, /12 to /24."""
RESERVED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
"""Not the served app's namespace (the target stack creates and owns that one)."""
REFUSED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "argocd")
"""Not the namespace of any app of a service, served or not: Kubernetes' own (CoreDNS and the load
balancer controller run in kube-system) and ArgoCD's, where ArgoCD (cluster-admin on every
target) would write for the service's project."""
WIDE_PREFIX = 16
"""A public range shorter than /16 is wide: an ALB takes it from `traffic.internet_facing: true`
only, an operator or API door from the fleet's `allow_wide_admin_cidrs: true` only."""
INTERNET_PREFIX = 8
"""An operator or API door never takes a range shorter than /8, whatever the opt-ins say."""
EVERYONE = "0.0.0.0/0"
"""What an internet-facing ALB admits when its `allowed_cidrs` are left out."""
UNSERVABLE_PORTS = (443, 10250)
"""Not the port the ALB reaches the served app's pods on (`container_port`, else `port`)."""
LEGACY_KEYS = ("targets", "apps", "traffic")
"""Top-level keys of the one-service fleet file; now they live under `services.<name>`."""
CHART_SOURCE = ("chart", "version")
GIT_SOURCE = ("path", "revision")


def accepts(spec: str, value: str) -> bool:
    return bool(SPEC_RE[spec].fullmatch(value))


def _given(app: dict[str, Any], key: str) -> bool:
    return app.get(key) is not None


def app_source_ok(app: dict[str, Any]) -> bool:
    """The source rule of an app, as written here: `chart` + `version` (a Helm repository, https://
    or oci://) or `path` + `revision` (a Git repository, https:// only, no Helm `values`); never
    parts of both, never one of a pair alone, never neither."""
    chart = [k for k in CHART_SOURCE if _given(app, k)]
    git = [k for k in GIT_SOURCE if _given(app, k)]
    if chart and git:
        return False
    if chart:
        return len(chart) == 2
    if git:
        url = app.get("repo_url")
        return len(git) == 2 and not (isinstance(url, str) and url.startswith("oci://")) and not app.get("values")
    return False


def is_git_app(app: Any) -> bool:
    return isinstance(app, dict) and _given(app, "path") and not _given(app, "chart")


def partition(region: str) -> str:
    """The AWS partition of a region: the second field of every ARN in it."""
    if region.startswith("cn-"):
        return "aws-cn"
    if "-gov-" in region:
        return "aws-us-gov"
    iso = re.match(r"[a-z]{2}-iso([a-z]?)-", region)
    if iso:
        return "aws-iso" + (f"-{iso.group(1)}" if iso.group(1) else "")
    return "aws"


def wide_range(network: ipaddress.IPv4Network) -> bool:
    """A public range (not `is_private`) of more addresses than a /16: it needs its opt-in."""
    return network.prefixlen < WIDE_PREFIX and not network.is_private


def strict_cidr(value: str) -> ipaddress.IPv4Network | None:
    """The CIDR rule: dotted-quad ASCII IPv4 network with no host bits."""
    if not re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}/[0-9]{1,2}", value, re.ASCII):
        return None
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return None


# --- valid fleets ---------------------------------------------------------------------------

REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2", "us-gov-west-1", "sa-east-1", "eu-central-2")


GEN = {
    "prefix": SPEC["prefix"],
    "generation": SPEC["generation"],
    "dns": r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?",
    "app": r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?",
    "chart_version": r"v?[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?:-[0-9A-Za-z.-]{1,10})?(?:\+[0-9A-Za-z.-]{1,10})?",
    "bucket": r"[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]",
    "key_prefix": r"[A-Za-z0-9!_.*'()-]{1,10}(?:/[A-Za-z0-9!_.*'()-]{1,9}){0,2}",
    "dynamodb_table": r"[A-Za-z0-9_.-]{3,30}",
    "tag_key": r"[A-Za-z0-9 _.:/=+@-]{1,30}",
    "path": r"/[A-Za-z0-9/._~-]{0,30}",
    "service": r"[a-z][a-z0-9]{0,11}",
    "git_path": r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,9}(?:/[A-Za-z0-9_-][A-Za-z0-9._-]{0,9}){0,2}/?",
    "git_revision": r"[A-Za-z0-9._/-]{1,20}",
    "helm_key": r"[A-Za-z][A-Za-z0-9_.-]{0,15}",
    "api_group": r"[a-z0-9](?:[a-z0-9.-]{0,20}[a-z0-9])?",
    "kind": r"[A-Z][A-Za-z0-9]{0,20}",
}
"""What valid fleets draw from: shorter subsets of `SPEC`, so files stay small."""


def _regex(spec: str) -> st.SearchStrategy[str]:
    return st.from_regex(re.compile(GEN[spec], re.ASCII), fullmatch=True)


def _longest(alphabet_first: str, alphabet_rest: str, length: int) -> st.SearchStrategy[str]:
    """Names at their maximum length: the cases that break length limits."""
    return st.tuples(
        st.sampled_from(alphabet_first), st.text(alphabet=alphabet_rest, min_size=length - 1, max_size=length - 1)
    ).map("".join)


LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"


def usable_prefix(name: str) -> bool:
    """What the model also refuses: segments cluster names use, and names AWS reserves."""
    segments = name.split("-")
    return (
        "--" not in name
        and not {"argocd", "target"} & set(segments)
        and not (name == "sg" or name.startswith("sg-") or name == "internal" or name.startswith("internal-"))
    )


prefixes = st.one_of(
    _regex("prefix"),
    st.tuples(
        st.sampled_from(LOWER), st.text(alphabet=LOWER + DIGITS + "-", min_size=10, max_size=10), st.sampled_from(LOWER)
    ).map("".join),
    st.sampled_from(["acme", "a", "a-b", "x1-2-3", "fleet-prod-1"]),
).filter(usable_prefix)
app_names = st.one_of(_regex("app"), st.sampled_from(["podinfo", "web", "api", "0", "a-b", "x" * 40]))
generation_names = st.one_of(
    _regex("generation"), _longest(LOWER, LOWER + DIGITS, 12), st.sampled_from(["blue", "green", "v133", "a"])
)
dns_labels = st.one_of(
    _regex("dns"),
    st.sampled_from(["podinfo", "web", "api", "0", "a-b", "x" * 63]),
)
chart_versions = st.one_of(
    _regex("chart_version"), st.sampled_from(["1.2.3", "8.1.3", "v0.0.1", "6.9.2-rc.1", "1.2.3-rc.1+b5", "1.0.0+b.7"])
)
k8s_service_names = dns_labels.filter(lambda n: accepts("k8s_service", n))
"""A Kubernetes Service name: a DNS-1035 label (it starts with a letter)."""
buckets = _regex("bucket").filter(lambda b: accepts("bucket", b))
hex_ids = st.one_of(
    st.text(alphabet="0123456789abcdef", min_size=8, max_size=8),
    st.text(alphabet="0123456789abcdef", min_size=17, max_size=17),
)
service_names = st.one_of(
    _regex("service"),
    _longest(LOWER, LOWER + DIGITS, 12),
    st.sampled_from(["web", "api", "a", "argocd", "target", "shared", "defaults", "default0"]),
).filter(lambda s: accepts("service", s))
git_paths = st.one_of(_regex("git_path"), st.sampled_from(["guestbook", ".", "deploy/podinfo", "a/b.c/d", "x" * 255]))
git_revisions = st.one_of(
    _regex("git_revision"),
    st.sampled_from(["main", "HEAD", "v1.2.0", "release/1.x", "53e28ff20cc530b9ada2173fbbd64d48338583ba"]),
)
account_ids = st.text(alphabet=DIGITS, min_size=12, max_size=12)
safe_tag_text = st.text(alphabet=LOWER + DIGITS + "ABCZ _.:/=+@-", max_size=40)
"""Tag values without `$` or `%`: a tag value is a Terraform template (see the xfail test)."""


@st.composite
def narrow_public_cidrs(draw: Any) -> str:
    """A public /24 or /32."""
    a, b, c = draw(st.tuples(st.integers(11, 99), st.integers(0, 255), st.integers(0, 255)))
    return f"{a}.{b}.{c}.0/24" if draw(st.booleans()) else f"{a}.{b}.{c}.{draw(st.integers(0, 255))}/32"


private_cidrs = st.sampled_from(
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "172.20.0.0/14", "10.20.0.0/16", "192.168.4.0/24"]
)
"""Private ranges: never wide, whatever their size."""


@st.composite
def wide_public_cidrs(draw: Any, shortest: int = INTERNET_PREFIX) -> str:
    """A public range wider than a /16: a /`shortest` to a /15 (0.0.0.0/0 with `shortest` 0)."""
    prefix = draw(st.integers(shortest, WIDE_PREFIX - 1))
    address = f"{draw(st.integers(11, 99))}.{draw(st.integers(0, 255))}.0.0"
    network = ipaddress.IPv4Network(f"{address}/{prefix}", strict=False)
    if network.is_private:  # a supernet of 11-99 is never private; never a private one anyway
        network = ipaddress.IPv4Network("52.0.0.0/15")
    return str(network)


@st.composite
def cidr_lists(draw: Any, max_size: int = 3, min_size: int = 0, wide: int | None = None) -> list[str]:
    """Distinct, non-overlapping CIDRs: public /24s and /32s, private ranges of any size and, with
    `wide` (the shortest prefix the door takes), public ranges wider than a /16."""
    pool = [narrow_public_cidrs(), private_cidrs] + ([wide_public_cidrs(wide)] if wide is not None else [])
    kept: list[ipaddress.IPv4Network] = []
    for cidr in draw(st.lists(st.one_of(pool), min_size=min_size, max_size=max_size)):
        network = ipaddress.IPv4Network(cidr)
        if not any(network.overlaps(k) for k in kept):
            kept.append(network)
    return [str(n) for n in kept]


X86_TYPES = ("m6i.large", "t3.medium", "c6a.xlarge", "r5d.2xlarge", "m5.large")
ARM_TYPES = ("c7g.2xlarge", "m7g.large", "t4g.medium", "r6gd.xlarge", "a1.large")
"""A node group runs one AMI: its instance types are of one architecture. EC2's naming convention
(`<series><generation><options>.<size>`): a `g` first in the options is Graviton (Arm), as is
`a1`; the series p, g, gr, inf, trn, dl, f and vt carry accelerators (their AMI must be named) and
mac is no EKS node: valid fleets draw none of those."""
PLAIN_SERIES = ("m", "c", "r", "t", "x", "z", "i", "d", "h", "u")


def instance_types(arm: bool) -> st.SearchStrategy[str]:
    """Instance type names of one architecture, no accelerator, by the naming convention."""
    options = r"g[a-z-]{0,3}" if arm else r"(?:[a-fh-z][a-z-]{0,3})?"
    rest = st.from_regex(re.compile(rf"[1-9]{options}\.[a-z0-9]{{1,10}}", re.ASCII), fullmatch=True)
    return st.builds(lambda series, tail: series + tail, st.sampled_from(PLAIN_SERIES), rest)


@st.composite
def node_groups(draw: Any) -> dict[str, Any]:
    sizes = sorted(draw(st.lists(st.integers(1, 450), min_size=3, max_size=3)))
    nodes: dict[str, Any] = {}
    if draw(st.booleans()):
        arm = draw(st.booleans())
        nodes["instance_types"] = draw(
            st.lists(
                st.one_of(st.sampled_from(ARM_TYPES if arm else X86_TYPES), instance_types(arm)), min_size=1, max_size=3
            )
        )
    for key, value in zip(("min_size", "desired_size", "max_size"), sizes, strict=True):
        if draw(st.booleans()):
            nodes[key] = value
    if not nodes.get("min_size", 2) <= nodes.get("desired_size", 2) <= nodes.get("max_size", 4):
        nodes.update(min_size=sizes[0], desired_size=sizes[1], max_size=sizes[2])
    if draw(st.booleans()):
        nodes["disk_size_gib"] = draw(st.integers(20, 16384))
    return nodes


@st.composite
def generation(draw: Any, extra: dict[str, Any]) -> dict[str, Any]:
    # offered today: a new generation (provisioning, standby) may not start on an ended version
    spec: dict[str, Any] = {"kubernetes_version": draw(st.sampled_from(offered(today()))), **extra}
    if draw(st.booleans()):
        spec["nodes"] = draw(node_groups())
    if draw(st.integers(0, 3)) == 0:  # wide ones: `valid_fleets` sets allow_wide_admin_cidrs
        spec["public_access_cidrs"] = draw(cidr_lists(wide=INTERNET_PREFIX))
    return spec


def _split_100(draw: Any, parts: int) -> list[int]:
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=parts - 1, max_size=parts - 1, unique=True)))
    bounds = [0, *cuts, 100]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


def _priorities_distinct(targets: list[str]) -> bool:
    priority = getattr(names, "rule_priority", None)
    return priority is None or len({priority(t) for t in targets}) == len(targets)


@st.composite
def network(draw: Any, region: str) -> dict[str, Any]:
    if draw(st.booleans()):
        prefixlen = draw(st.integers(16, 20))
        second = draw(st.integers(0, 255))
        base = ipaddress.IPv4Network(f"10.{second}.0.0/16")
        subnets = list(base.subnets(new_prefix=prefixlen))
        cidr = str(draw(st.sampled_from(subnets)))
        letters = draw(st.lists(st.sampled_from("abcdef"), min_size=2, max_size=4, unique=True))
        return {"cidr": cidr, "zones": [f"{region}{z}" for z in letters]}
    ids = draw(st.lists(hex_ids, min_size=4, max_size=6, unique=True))
    split = draw(st.integers(2, len(ids) - 2))
    return {
        "vpc_id": f"vpc-{draw(hex_ids)}",
        "private_subnet_ids": [f"subnet-{i}" for i in ids[:split]],
        "public_subnet_ids": [f"subnet-{i}" for i in ids[split:]],
    }


helm_keys = _regex("helm_key")
helm_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: "e" not in repr(x) or "." in repr(x)),
    st.text(alphabet=LOWER + DIGITS + " -_.:/@é中", max_size=12),  # nothing past U+FFFF: KNOWN_BUGS
)
helm_values = st.dictionaries(
    helm_keys,
    st.recursive(
        helm_leaves,
        lambda inner: st.one_of(st.lists(inner, max_size=2), st.dictionaries(helm_keys, inner, max_size=2)),
        max_leaves=4,
    ),
    min_size=1,
    max_size=2,
)
"""Helm values as a values.yaml holds them: a mapping of any JSON-like values."""
CHART_REPOS = ("https://stefanprodan.github.io/podinfo", "oci://ghcr.io/org/charts")
GIT_REPOS = ("https://github.com/argoproj/argocd-example-apps", "https://git.example.com/org/deploy.git")


https_urls = st.builds(
    lambda h, p: f"https://{h}.example.com/{p}", dns_labels, st.text(alphabet=LOWER + "/-_.", max_size=20)
)
git_repo_urls = st.one_of(st.sampled_from(GIT_REPOS), https_urls)
chart_repo_urls = st.one_of(st.sampled_from(CHART_REPOS), https_urls)
health_check_paths = st.one_of(st.just("/"), _regex("path"))
namespaces = st.one_of(
    dns_labels, st.sampled_from([*RESERVED_NAMESPACES, *REFUSED_NAMESPACES, "argocd-apps", "kube-systems"])
)
"""Namespaces near the refused ones (`app_spec` filters those out)."""


@st.composite
def app_spec(draw: Any, served: bool, name: str = "a") -> dict[str, Any]:
    """An app: a chart (`chart` + `version`, https:// or oci://, maybe `values`) or a Git path
    (`path` + `revision`, https://). The served app has a `port`, and a `service` when it is a Git
    path or its name is no Service name; `port`, `container_port` and `service` are optional
    otherwise. No app's namespace is one of `REFUSED_NAMESPACES`, the served app's not one of
    `RESERVED_NAMESPACES` either, and the port its pods are reached on (`container_port`, else
    `port`) is not one of `UNSERVABLE_PORTS`."""
    git = draw(st.integers(0, 3)) == 0
    app: dict[str, Any]
    if git:
        app = {
            "repo_url": draw(git_repo_urls),
            "path": draw(git_paths),
            "revision": draw(git_revisions),
        }
    else:
        app = {
            "repo_url": draw(chart_repo_urls),
            "chart": draw(dns_labels),
            "version": draw(chart_versions),
        }
        if draw(st.integers(0, 2)) == 0:
            app["values"] = draw(helm_values)
    ports = st.integers(1, 65535).filter(lambda p: not served or p not in UNSERVABLE_PORTS)
    app["namespace"] = draw(
        namespaces.filter(lambda n: n not in REFUSED_NAMESPACES and (not served or n not in RESERVED_NAMESPACES))
    )
    if served or draw(st.booleans()):
        app["port"] = draw(ports)
    if draw(st.integers(0, 2)) == 0:
        app["container_port"] = draw(ports)
    if (served and (git or not accepts("k8s_service", name))) or draw(st.booleans()):
        app["service"] = draw(k8s_service_names)
    if draw(st.booleans()):
        app["health_check_path"] = draw(health_check_paths)
    return app


cluster_resources = st.lists(
    st.fixed_dictionaries(
        {
            "group": st.one_of(
                st.sampled_from(["", "rbac.authorization.k8s.io", "apiextensions.k8s.io"]), _regex("api_group")
            ),
            "kind": st.one_of(
                st.sampled_from(["ClusterRole", "CustomResourceDefinition", "Namespace"]), _regex("kind")
            ),
        }
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def service_spec(draw: Any, region: str, account: str, taken: set[str], most: int = 3) -> dict[str, Any]:
    """A service: 1-`most` apps, 1-`most` target generations (names not in `taken`, which grows
    by them: generation names are unique in the fleet), its traffic. One in five has no serving
    target yet (all weights 0, before it first serves); the others' serving weights sum to 100."""
    app_list = draw(st.lists(app_names, min_size=1, max_size=most, unique=True))
    served = draw(st.sampled_from(app_list))
    apps = {n: draw(app_spec(served=n == served, name=n)) for n in app_list}
    charts = [n for n, a in apps.items() if not is_git_app(a)]

    target_names = draw(
        st.lists(generation_names, min_size=1, max_size=most, unique=True).filter(
            lambda names: _priorities_distinct(names) and not taken & set(names)
        )
    )
    taken.update(target_names)
    if draw(st.integers(0, 4)) == 0:
        phases = draw(
            st.lists(
                st.sampled_from([p for p in TARGET_PHASES if p != "serving"]),
                min_size=len(target_names),
                max_size=len(target_names),
            )
        )
    else:
        phases = draw(st.lists(st.sampled_from(TARGET_PHASES), min_size=len(target_names), max_size=len(target_names)))
        phases[draw(st.integers(0, len(phases) - 1))] = "serving"
    weights = iter(_split_100(draw, phases.count("serving")) if "serving" in phases else [])
    targets = {}
    for n, p in zip(target_names, phases, strict=True):
        target = draw(generation({"phase": p, "weight": next(weights) if p == "serving" else 0}))
        if charts and draw(st.integers(0, 3)) == 0:
            chosen = draw(st.lists(st.sampled_from(charts), min_size=1, max_size=len(charts), unique=True))
            target["values"] = {a: draw(helm_values) for a in chosen}
        targets[n] = target

    traffic: dict[str, Any] = {
        "app": served,
        "certificate_arn": f"arn:{partition(region)}:acm:{region}:{account}:certificate/{draw(st.uuids())}",
    }
    clients = draw(st.integers(0, 3))
    if clients == 0:  # internet-facing, allowed_cidrs left out: everyone
        traffic["internet_facing"] = True
    elif clients == 1:  # internet-facing, clients listed (wide ones too)
        traffic["internet_facing"] = True
        traffic["allowed_cidrs"] = draw(st.one_of(st.just([EVERYONE]), cidr_lists(min_size=1, wide=0)))
    else:  # clients listed, none of them wide
        if draw(st.booleans()):
            traffic["internet_facing"] = False
        traffic["allowed_cidrs"] = draw(cidr_lists(min_size=1))
    if draw(st.integers(0, 3)) == 0:  # wide ones: `valid_fleets` sets allow_wide_admin_cidrs
        traffic["operator_cidrs"] = draw(cidr_lists(max_size=MAX_OPERATOR_CIDRS, min_size=1, wide=INTERNET_PREFIX))
    if draw(st.booleans()):
        traffic["waf_acl_arn"] = (
            f"arn:{partition(region)}:wafv2:{region}:{account}:regional/webacl/{draw(_regex('dns'))}/{draw(st.uuids())}"
        )
    service: dict[str, Any] = {"targets": targets, "apps": apps, "traffic": traffic}
    if draw(st.integers(0, 3)) == 0:
        service["cluster_resources"] = draw(cluster_resources)
    return service


@st.composite
def valid_fleets(draw: Any) -> dict[str, Any]:
    """A fleet file (as parsed YAML) that the fleet model must accept."""
    region = draw(st.sampled_from(REGIONS))
    account = draw(account_ids)
    data: dict[str, Any] = {"name": draw(prefixes), "region": region, "network": draw(network(region))}
    if draw(st.booleans()):
        second = draw(st.integers(16, 31))
        data["service_cidr"] = draw(
            st.sampled_from([f"172.{second}.0.0/16", "192.168.0.0/16", f"172.{second}.128.0/20"])
        )
    state = draw(st.integers(0, 2))
    if state == 1:
        data["state"] = {"backend": "local"}
    elif state == 2:
        s3: dict[str, Any] = {
            "backend": "s3",
            "bucket": draw(buckets),
            "region": draw(st.sampled_from(REGIONS)),
        }
        if draw(st.booleans()):
            s3["key_prefix"] = draw(_regex("key_prefix"))
        if draw(st.booleans()):
            s3["dynamodb_table"] = draw(_regex("dynamodb_table"))
        data["state"] = s3
    data["argocd"] = {"chart_version": draw(chart_versions), "apps_chart_version": draw(chart_versions)}
    data["load_balancer_controller"] = {"chart_version": draw(chart_versions)}

    hub_names = draw(st.lists(generation_names, min_size=1, max_size=3, unique=True))
    active = draw(st.sampled_from(hub_names))
    data["hubs"] = {
        n: draw(generation({"phase": "active" if n == active else draw(st.sampled_from(["standby", "retiring"]))}))
        for n in hub_names
    }

    taken: set[str] = set()  # a target generation's name may be a hub's, not another target's
    count = draw(st.sampled_from([1, 2, 1, 3]))  # mostly one service: files stay small
    data["services"] = {
        s: draw(service_spec(region, account, taken, most=3 if count == 1 else 2))
        for s in draw(st.lists(service_names, min_size=count, max_size=count, unique=True))
    }
    data["logs_bucket"] = draw(buckets)
    if draw(st.booleans()):
        tags = draw(
            st.lists(
                st.tuples(
                    _regex("tag_key").filter(
                        lambda k: (
                            k.lower() not in BUILTIN_LOWER and not k.lower().startswith(("ephemeral-eks/", "aws:"))
                        )
                    ),
                    safe_tag_text,
                ),
                unique_by=lambda kv: kv[0].lower(),  # AWS tag keys are unique whatever their case
                max_size=3,
            )
        )
        data["tags"] = dict(tags)
    if draw(st.integers(0, 3)) == 0:
        data["api_access"] = draw(api_access(region, account))
    if any(wide_range(n) for _, cidrs in admin_doors(data) for n in _networks(cidrs) or []):
        data["allow_wide_admin_cidrs"] = True
    elif draw(st.integers(0, 3)) == 0:  # said, though no door is wide
        data["allow_wide_admin_cidrs"] = draw(st.booleans())
    return data


@st.composite
def api_access(draw: Any, region: str, account: str) -> dict[str, Any]:
    access: dict[str, Any] = {}
    if draw(st.booleans()):
        access["cidrs"] = draw(cidr_lists(wide=INTERNET_PREFIX))
    if draw(st.booleans()):
        access["security_group_ids"] = draw(st.lists(hex_ids.map(lambda h: f"sg-{h}"), max_size=3, unique=True))
    return access


def to_yaml(data: Any, flow: bool | None = False) -> str:
    return dump(data, sort_keys=False, allow_unicode=True, default_flow_style=flow, width=4096)


@st.composite
def valid_fleet_texts(draw: Any) -> str:
    data = draw(valid_fleets())
    style = draw(st.sampled_from(["block", "flow", "json"]))
    if style == "json":
        return json.dumps(data, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 2])))
    return to_yaml(data, flow=style == "flow")


# --- the schema: what corrupting a fleet and judging one need -------------------------------

REQ = True
"""Required (for corrupting: dropping it breaks the fleet as it stands)."""
NULL = None
"""Optional, and null is the same as leaving it out (for every other field null is the wrong
type)."""
NODES = {
    "instance_types": ("list", "instance_type", False),
    "min_size": ("int", (1, 450), False),
    "desired_size": ("int", (1, 450), False),
    "max_size": ("int", (1, 450), False),
    "disk_size_gib": ("int", (20, 16384), False),
}
GENERATION = {
    "kubernetes_version": ("str", "k8s", REQ),
    "nodes": ("model", NODES, False),
    "public_access_cidrs": ("list", "cidr", False),
    "zones": ("list", "zone", NULL),
    "private_subnet_ids": ("list", "subnet_id", NULL),
    "service_cidr": ("str", "service_cidr", NULL),
}
HUB = {**GENERATION, "phase": ("str", "hub_phase", REQ)}
TARGET = {
    **GENERATION,
    "phase": ("str", "target_phase", REQ),
    "weight": ("int", (0, 100), REQ),
    "values": ("names", ("helm", "app"), False),
}
APP = {  # which of chart/version/path/revision/port/service a given app needs: `_app_needs`
    "repo_url": ("str", "repo_url", REQ),
    "chart": ("str", "dns", NULL),
    "version": ("str", "chart_version", NULL),
    "path": ("str", "git_path", NULL),
    "revision": ("str", "git_revision", NULL),
    "namespace": ("str", "dns", REQ),
    "values": ("helm", None, False),
    "port": ("int", (1, 65535), NULL),
    "container_port": ("int", (1, 65535), NULL),
    "service": ("str", "k8s_service", NULL),
    "health_check_path": ("str", "path", False),
}
NETWORK = {  # with either source, every field present is needed (judged by `_judge_network`)
    "vpc_id": ("str", "vpc_id", REQ),
    "private_subnet_ids": ("list", "subnet_id", REQ),
    "public_subnet_ids": ("list", "subnet_id", REQ),
    "cidr": ("str", "vpc_cidr", REQ),
    "zones": ("list", "zone", REQ),
}
STATE = {
    "backend": ("str", "backend", REQ),
    "bucket": ("str", "bucket", REQ),
    "region": ("str", "region", REQ),
    "key_prefix": ("str", "key_prefix", False),
    "dynamodb_table": ("str", "dynamodb_table", NULL),
}
LOCAL_STATE = {"backend": ("str", "backend", REQ)}
ARGOCD = {"chart_version": ("str", "chart_version", REQ), "apps_chart_version": ("str", "chart_version", REQ)}
LBC = {"chart_version": ("str", "chart_version", REQ)}
TRAFFIC = {
    "app": ("str", "app_ref", REQ),
    "certificate_arn": ("str", "cert_arn", REQ),
    "internet_facing": ("bool", None, False),
    "allowed_cidrs": ("list", "cidr", False),
    "operator_cidrs": ("list", "cidr", False),
    "waf_acl_arn": ("str", "waf_arn", NULL),
}
CLUSTER_RESOURCE = {"group": ("str", "api_group", REQ), "kind": ("str", "kind", REQ)}
SERVICE = {
    "targets": ("names", (TARGET, "generation"), REQ),
    "apps": ("names", (APP, "app"), REQ),
    "traffic": ("model", TRAFFIC, REQ),
    "cluster_resources": ("models", CLUSTER_RESOURCE, False),
    "closed": ("bool", None, False),
}
API_ACCESS = {
    "cidrs": ("list", "cidr", False),
    "security_group_ids": ("list", "sg_id", False),
}
"""`plan_role_arn` is gone (PR plans read no cluster): an unknown key, refused like any other."""
FLEET = {
    "name": ("str", "prefix", REQ),
    "region": ("str", "region", REQ),
    "network": ("model", NETWORK, REQ),
    "service_cidr": ("str", "service_cidr", False),
    "state": ("model", STATE, False),
    "argocd": ("model", ARGOCD, REQ),
    "load_balancer_controller": ("model", LBC, REQ),
    "hubs": ("names", (HUB, "generation"), REQ),
    "services": ("names", (SERVICE, "service"), REQ),
    "logs_bucket": ("str", "bucket", REQ),
    "tags": ("names", ("tag_value", "tag_key"), False),
    "allow_wide_admin_cidrs": ("bool", None, False),
    "api_access": ("model", API_ACCESS, False),
}

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Field:
    path: Path
    kind: str  # str, int, bool, model, names, list, item (a list element), entry (a names-map or
    # models entry), models (a list of models), helm (a mapping of Helm values)
    rule: Any
    required: bool  # dropping it breaks the fleet as it stands
    nullable: bool = False  # null is the same as leaving it out


def fields(data: Any) -> list[Field]:
    """Every field present in a fleet dict, with what it must be. Walks only what still has the
    right shape, so it works on a fleet an earlier mutation already broke."""
    out: list[Field] = []

    def model(path: Path, obj: Any, spec: dict[str, Any]) -> None:
        if not isinstance(obj, dict):
            return
        for key, value in obj.items():
            if key not in spec:
                continue
            kind, rule, required = spec[key]
            here = (*path, key)
            out.append(Field(here, kind, rule, bool(required), nullable=required is NULL))
            if kind == "model":
                model(here, value, rule)
            elif kind == "list" and isinstance(value, list):
                out.extend(Field((*here, i), "item", rule, False) for i in range(len(value)))
            elif kind == "models" and isinstance(value, list):
                for i, item in enumerate(value):
                    out.append(Field((*here, i), "entry", rule, False))
                    model((*here, i), item, rule)
            elif kind == "names" and isinstance(value, dict):
                item_spec, _ = rule
                for name, item in value.items():
                    if isinstance(item_spec, dict):
                        out.append(Field((*here, name), "entry", item_spec, False))
                        model((*here, name), item, item_spec)
                    elif item_spec == "helm":
                        out.append(Field((*here, name), "helm", None, False))
                    else:
                        out.append(Field((*here, name), "str", item_spec, False))

    model((), data, FLEET)
    return [_door_needs(data, _app_needs(data, f)) for f in out]


TRAFFIC_DOOR = ("allowed_cidrs", "internet_facing")


def _door_needs(data: Any, field: Field) -> Field:
    """A door's field is required when leaving it out breaks the fleet as it stands: an ALB's
    `allowed_cidrs` without `internet_facing: true`; `internet_facing: true` that admits everyone
    (no `allowed_cidrs`) or a wide range; `allow_wide_admin_cidrs: true` that lets in a wide range."""
    path = field.path
    if path == ("allow_wide_admin_cidrs",):
        required = data[path[0]] is True and any(
            wide_range(n) for _, cidrs in admin_doors(data) for n in _networks(cidrs) or []
        )
    elif len(path) == 4 and path[0] == "services" and path[2] == "traffic" and path[3] in TRAFFIC_DOOR:
        traffic = get(data, path[:3])
        facing = traffic.get("internet_facing") is True
        if path[3] == "allowed_cidrs":
            required = not facing
        else:
            allowed = _networks(traffic.get("allowed_cidrs", []))
            required = facing and ("allowed_cidrs" not in traffic or any(wide_range(n) for n in allowed or []))
    else:
        return field
    return Field(path, field.kind, field.rule, required, field.nullable)


def _app_needs(data: Any, field: Field) -> Field:
    """An app field is required when leaving it out breaks the app as it stands: one of a
    source pair (`app_source_ok`), the served app's `port`, a served Git path's `service`."""
    path = field.path
    if not (len(path) == 5 and path[0] == "services" and path[2] == "apps"):
        return field
    service, app, key = get(data, path[:2]), get(data, path[:4]), path[4]
    traffic = service.get("traffic")
    served = isinstance(traffic, dict) and traffic.get("app") == path[3]
    if key in CHART_SOURCE + GIT_SOURCE:
        required = not app_source_ok({k: v for k, v in app.items() if k != key})
    elif key == "port":
        required = served
    elif key == "service":
        required = served and is_git_app(app)
    else:
        return field
    return Field(path, field.kind, field.rule, required, field.nullable)


def get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def put(data: Any, path: Path, value: Any) -> None:
    get(data, path[:-1])[path[-1]] = value


def delete(data: Any, path: Path) -> None:
    del get(data, path[:-1])[path[-1]]


def rename_key(mapping: dict[str, Any], old: str, new: Any) -> None:
    """Rename a key, keeping the mapping's order."""
    items = [(new if k == old else k, v) for k, v in mapping.items()]
    mapping.clear()
    mapping.update(items)


# --- the oracle's verdict ----------------------------------------------------------------------


def judge(data: Any) -> list[str]:
    """What is wrong with a fleet (as parsed YAML): the paths of the fields that break a rule
    written here (`hubs.blue.weight`, `services.web.targets`), in the model's notation; empty
    when the fleet is valid. A path names the field the model's message must name too; a
    top-level problem of the whole file is ``""``, and the one-service file's keys are named
    together (`targets, apps, traffic`)."""
    if not isinstance(data, dict):
        return [""]
    moved = [key for key in LEGACY_KEYS if key in data]
    if moved and "services" not in data:
        return [", ".join(moved)]
    found: list[Path] = []
    _judge_model((), data, FLEET, found)
    _judge_fleet(data, found)
    return list(dict.fromkeys(".".join(str(p) for p in path) for path in found))


def _strings(value: Any) -> list[str] | None:
    """`value` as a list of strings, or None when it is not one (a type problem found elsewhere)."""
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _networks(value: Any) -> list[ipaddress.IPv4Network] | None:
    """`value` as a list of CIDRs, or None when it is not one."""
    texts = _strings(value)
    if texts is None:
        return None
    networks = [strict_cidr(t) for t in texts]
    return None if None in networks else networks  # type: ignore[return-value]


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _merged(base: dict[Any, Any], over: dict[Any, Any]) -> dict[Any, Any]:
    """Helm values with a generation's over an app's: mappings merge key by key, the rest replaces."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _overlap(networks: list[ipaddress.IPv4Network]) -> bool:
    return any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])


def _text_ok(rule: str, value: str) -> bool:
    if rule == "k8s":
        return value in KUBERNETES_VERSIONS
    if rule == "hub_phase":
        return value in ALL_HUB_PHASES
    if rule == "target_phase":
        return value in ALL_TARGET_PHASES
    if rule == "backend":
        return value in ("local", "s3")
    if rule in ("cidr", "vpc_cidr", "service_cidr"):
        return strict_cidr(value) is not None
    if rule == "app_ref":
        return accepts("app", value)
    return accepts(rule, value)


def _json_ok(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list):
        return all(_json_ok(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_ok(v) for k, v in value.items())
    return False


def _helm_ok(value: Any) -> bool:
    """Helm values: a mapping of keys of 1-253 characters to JSON-like values."""
    return isinstance(value, dict) and all(
        isinstance(k, str) and 1 <= len(k) <= 253 and _json_ok(v) for k, v in value.items()
    )


def _judge_model(path: Path, obj: Any, spec: dict[str, Any], found: list[Path]) -> None:
    """Types, values, required and unknown keys of one mapping and everything in it."""
    if not isinstance(obj, dict):
        found.append(path)
        return
    for key, value in obj.items():
        if key not in spec:
            found.append((*path, key))
            continue
        kind, rule, required = spec[key]
        if value is None:
            if required is not NULL:
                found.append((*path, key))
            continue
        _judge_value((*path, key), kind, rule, value, found)
    if spec is not NETWORK:  # either source, each with its own fields: `_judge_network`
        found.extend((*path, key) for key, (_, _, required) in spec.items() if required is REQ and key not in obj)


def _judge_value(here: Path, kind: str, rule: Any, value: Any, found: list[Path]) -> None:
    if kind == "str":
        if not (isinstance(value, str) and _text_ok(rule, value)):
            found.append(here)
    elif kind == "int":
        lo, hi = rule
        if not (type(value) is int and lo <= value <= hi):
            found.append(here)
    elif kind == "bool":
        if not isinstance(value, bool):
            found.append(here)
    elif kind == "helm":
        if not _helm_ok(value):
            found.append(here)
    elif kind == "model":
        if rule is STATE:
            _judge_state(here, value, found)
        else:
            _judge_model(here, value, rule, found)
    elif kind in ("list", "models"):
        if not isinstance(value, list | tuple):
            found.append(here)
            return
        for i, item in enumerate(value):
            if kind == "models":
                _judge_model((*here, i), item, rule, found)
            elif not (isinstance(item, str) and _text_ok(rule, item)):
                found.append((*here, i))
    elif kind == "names":
        if not isinstance(value, dict):
            found.append(here)
            return
        item_spec, key_rule = rule
        for name, item in value.items():
            at = (*here, name)
            if not (isinstance(name, str) and accepts(key_rule, name)):
                found.append(at)
            if isinstance(item_spec, dict):
                _judge_model(at, item, item_spec, found)
            elif item_spec == "helm":
                if not _helm_ok(item):
                    found.append(at)
            elif not (isinstance(item, str) and _text_ok(item_spec, item)):
                found.append(at)


def _judge_state(here: Path, state: Any, found: list[Path]) -> None:
    """A union on `backend`: `local` takes nothing else, `s3` its bucket and region."""
    if not isinstance(state, dict):
        found.append(here)
    elif state.get("backend") == "local":
        _judge_model(here, state, LOCAL_STATE, found)
    elif state.get("backend") == "s3":
        _judge_model(here, state, STATE, found)
    else:
        found.append((*here, "backend"))


def _judge_network(network: Any, region: str | None, found: list[Path]) -> ipaddress.IPv4Network | None:
    """Either `vpc_id` with two or more private and public subnets, or `cidr` (/16-/20) with two
    to four zones of the region. Returns the created VPC's range."""
    if not isinstance(network, dict):
        return None
    at = ("network",)
    if (network.get("vpc_id") is None) == (network.get("cidr") is None):
        found.append(at)
        return None
    private, public = network.get("private_subnet_ids", []), network.get("public_subnet_ids", [])
    zones = _strings(network.get("zones", []))
    if network.get("vpc_id") is not None:
        for field, ids in (("private_subnet_ids", _strings(private)), ("public_subnet_ids", _strings(public))):
            if ids is not None and (len(ids) < 2 or len(set(ids)) != len(ids)):
                found.append((*at, field))
        if network.get("zones"):
            found.append(at)
        if _strings(private) and _strings(public) and set(_strings(private) or ()) & set(_strings(public) or ()):
            found.append(at)
        return None
    if private or public:
        found.append(at)
    if zones is not None:
        if not 2 <= len(zones) <= 4 or len(set(zones)) != len(zones):
            found.append((*at, "zones"))
        if region and any(not z.startswith(region) for z in zones):
            found.append((*at, "zones"))
    cidr = network.get("cidr")
    vpc = strict_cidr(cidr) if isinstance(cidr, str) else None
    if vpc is not None and not 16 <= vpc.prefixlen <= 20:
        found.append(at)
    return vpc


def _judge_service_cidr(at: Path, value: Any, vpc: ipaddress.IPv4Network | None, found: list[Path]) -> None:
    service = strict_cidr(value) if isinstance(value, str) else None
    if service is None:
        return
    lo, hi = SERVICE_PREFIXES
    outside = not any(service.subnet_of(r) for r in SERVICE_RANGES)
    if (vpc is not None and service.overlaps(vpc)) or outside or not lo <= service.prefixlen <= hi:
        found.append(at)


def _judge_generation(at: Path, kind: str, gen: dict[str, Any], data: dict[str, Any], found: list[Path]) -> None:
    version = gen.get("kubernetes_version")
    if gen.get("phase") == NEW_PHASES[kind] and version in KUBERNETES_VERSIONS and version not in offered(today()):
        found.append((*at, "kubernetes_version"))
    if kind == "target":
        weight, phase = gen.get("weight"), gen.get("phase")
        if type(weight) is int and phase in ALL_TARGET_PHASES and (phase == "serving") != (weight > 0):
            found.append((*at, "weight"))
    nodes = gen.get("nodes")
    if isinstance(nodes, dict):
        sizes = [nodes.get(k, d) for k, d in (("min_size", 2), ("desired_size", 2), ("max_size", 4))]
        if all(type(s) is int for s in sizes) and not sizes[0] <= sizes[1] <= sizes[2]:
            found.append((*at, "nodes"))
        if nodes.get("instance_types") == []:
            found.append((*at, "nodes", "instance_types"))
    public = _networks(gen.get("public_access_cidrs", []))
    if public is not None and (len(public) > MAX_PUBLIC_ACCESS_CIDRS or _overlap(public)):
        found.append((*at, "public_access_cidrs"))
    network = data.get("network") if isinstance(data.get("network"), dict) else {}
    for field, created in (("zones", True), ("private_subnet_ids", False)):
        pinned = _strings(gen.get(field))
        if pinned is None:
            continue
        fleet = _strings(network.get(field, [])) or []
        applies = network.get("cidr" if created else "vpc_id") is not None
        if len(pinned) < 2 or len(set(pinned)) != len(pinned) or not applies or set(pinned) - set(fleet):
            found.append((*at, field))
    if gen.get("service_cidr") is not None:
        cidr = network.get("cidr")
        vpc = strict_cidr(cidr) if isinstance(cidr, str) else None
        _judge_service_cidr((*at, "service_cidr"), gen["service_cidr"], vpc, found)


def _arn_in(arn: Any, region: str | None, regional: bool = True) -> bool:
    """An ARN of the region's partition (and, for a regional service, of the region itself)."""
    if not isinstance(arn, str) or region is None:
        return True
    parts = arn.split(":")
    return len(parts) > 3 and parts[1] == partition(region) and (not regional or parts[3] == region)


def _judge_service(at: Path, service: dict[str, Any], region: str | None, found: list[Path]) -> None:
    targets, apps, traffic = service.get("targets"), service.get("apps"), service.get("traffic")
    targets = targets if isinstance(targets, dict) else {}
    apps = apps if isinstance(apps, dict) else None
    specs = {n: t for n, t in targets.items() if isinstance(t, dict)}
    serving = [n for n, t in specs.items() if t.get("phase") == "serving"]
    weights = [t.get("weight") for t in specs.values()]
    if isinstance(service.get("targets"), dict) and (
        not targets
        or len(targets) > MAX_TARGETS
        or len(serving) > MAX_SERVING
        or not _priorities_distinct([n for n in targets if isinstance(n, str)])
        or (serving and all(type(w) is int for w in weights) and sum(weights) != 100)
    ):
        found.append((*at, "targets"))
    if service.get("closed") is True and serving:
        found.append((*at, "closed"))
    if apps is not None:
        if not apps:
            found.append((*at, "apps"))
        for name, app in apps.items():
            if isinstance(app, dict):
                _judge_app((*at, "apps", name), app, found)
                if app.get("namespace") in REFUSED_NAMESPACES:
                    found.append((*at, "apps", name, "namespace"))
        for gen, target in specs.items():
            values = _mapping(target.get("values"))
            for app in values:
                if app not in apps or not isinstance(apps[app], dict) or apps[app].get("chart") is None:
                    found.append((*at, "targets", gen, "values", app))
            charts = {a: app for a, app in apps.items() if isinstance(app, dict) and app.get("chart") is not None}
            merged = [_merged(_mapping(app.get("values")), _mapping(values.get(a))) for a, app in charts.items()]
            try:
                size = sum(len(json.dumps(m, sort_keys=True, default=str)) for m in merged)
            except ValueError:  # an integer of more digits than Python writes out
                size = MAX_VALUES_BYTES + 1
            if size > MAX_VALUES_BYTES:
                found.append((*at, "targets", gen, "values"))
    if not isinstance(traffic, dict):
        return
    served = traffic.get("app")
    if apps is not None and isinstance(served, str):
        if served not in apps:
            found.append((*at, "traffic", "app"))
        elif isinstance(apps[served], dict):
            _judge_served((*at, "apps", served), apps[served], found)
    for field in ("certificate_arn", "waf_acl_arn"):
        if not _arn_in(traffic.get(field), region):
            found.append((*at, "traffic", field))
    for field, most in (("allowed_cidrs", MAX_ALLOWED_CIDRS), ("operator_cidrs", MAX_OPERATOR_CIDRS)):
        listed = _networks(traffic.get(field, []))
        if listed is not None and (len(listed) > most or _overlap(listed)):
            found.append((*at, "traffic", field))
    _judge_clients((*at, "traffic"), traffic, found)


def _judge_clients(at: Path, traffic: dict[str, Any], found: list[Path]) -> None:
    """Who may reach the ALB: listed, and none of them wide unless it is internet-facing; an
    internet-facing ALB whose `allowed_cidrs` are left out admits everyone."""
    facing = traffic.get("internet_facing") is True
    if "allowed_cidrs" not in traffic:
        if not facing:
            found.append((*at, "allowed_cidrs"))
        return
    allowed = _networks(traffic["allowed_cidrs"])
    if allowed is not None and (not allowed or (not facing and any(wide_range(n) for n in allowed))):
        found.append((*at, "allowed_cidrs"))


def _judge_app(at: Path, app: dict[str, Any], found: list[Path]) -> None:
    """`chart` + `version` or `path` + `revision`; a Git path is https:// and takes no values."""
    chart = [k for k in CHART_SOURCE if _given(app, k)]
    git = [k for k in GIT_SOURCE if _given(app, k)]
    if chart and git:
        found.append(at)
    elif not chart and not git:
        found.append((*at, "chart"))
    else:
        given = chart or git
        pair = CHART_SOURCE if chart else GIT_SOURCE
        if len(given) == 1:
            found.append((*at, next(k for k in pair if k not in given)))
        elif git:
            url = app.get("repo_url")
            if isinstance(url, str) and url.startswith("oci://"):
                found.append((*at, "repo_url"))
            if app.get("values"):
                found.append((*at, "values"))


def _judge_served(at: Path, app: dict[str, Any], found: list[Path]) -> None:
    """The app the ALB serves: its Service port, its Service's name (a Git path names it), a
    namespace of its own, and pods the ALB may reach."""
    port, container_port = app.get("port"), app.get("container_port")
    if port is None:
        found.append((*at, "port"))
    if app.get("chart") is None and app.get("service") is None:
        found.append((*at, "service"))
    if app.get("namespace") in RESERVED_NAMESPACES:
        found.append((*at, "namespace"))
    reached = container_port if container_port is not None else port
    if type(reached) is int and reached in UNSERVABLE_PORTS:
        found.append((*at, "container_port" if container_port is not None else "port"))


def admin_doors(data: Any) -> list[tuple[Path, Any]]:
    """(path, value) of every operator and API door's CIDR list present in a fleet (as parsed
    YAML, however broken): each service's `traffic.operator_cidrs`, `api_access.cidrs`, and every
    hub's and target's `public_access_cidrs`."""
    doors: list[tuple[Path, Any]] = []
    for hub, spec in _mapping(_mapping(data).get("hubs")).items():
        if isinstance(spec, dict) and "public_access_cidrs" in spec:
            doors.append((("hubs", hub, "public_access_cidrs"), spec["public_access_cidrs"]))
    for service, spec in _mapping(_mapping(data).get("services")).items():
        spec = _mapping(spec)
        for gen, target in _mapping(spec.get("targets")).items():
            if isinstance(target, dict) and "public_access_cidrs" in target:
                doors.append(
                    (("services", service, "targets", gen, "public_access_cidrs"), target["public_access_cidrs"])
                )
        traffic = _mapping(spec.get("traffic"))
        if "operator_cidrs" in traffic:
            doors.append((("services", service, "traffic", "operator_cidrs"), traffic["operator_cidrs"]))
    access = _mapping(_mapping(data).get("api_access"))
    if "cidrs" in access:
        doors.append((("api_access", "cidrs"), access["cidrs"]))
    return doors


def _judge_admin_doors(data: dict[str, Any], found: list[Path]) -> None:
    """No operator or API door admits a range shorter than /8; a wide public range (shorter than
    /16) needs the fleet's `allow_wide_admin_cidrs: true`."""
    opted_in = data.get("allow_wide_admin_cidrs") is True
    for at, cidrs in admin_doors(data):
        listed = _networks(cidrs) or []
        if any(n.prefixlen < INTERNET_PREFIX or (wide_range(n) and not opted_in) for n in listed):
            found.append(at)


def _judge_fleet(data: dict[str, Any], found: list[Path]) -> None:
    """The rules across fields."""
    name, region = data.get("name"), data.get("region")
    region = region if isinstance(region, str) and accepts("region", region) else None
    if isinstance(name, str) and not usable_prefix(name):
        found.append(("name",))
    vpc = _judge_network(data.get("network"), region, found)
    if "service_cidr" in data:
        _judge_service_cidr(("service_cidr",), data["service_cidr"], vpc, found)

    hubs = data.get("hubs") if isinstance(data.get("hubs"), dict) else {}
    if isinstance(data.get("hubs"), dict):
        active = [n for n, h in hubs.items() if isinstance(h, dict) and h.get("phase") == "active"]
        if len(active) != 1:
            found.append(("hubs",))
    for hub, spec in hubs.items():
        if isinstance(spec, dict):
            _judge_generation(("hubs", hub), "argocd", spec, data, found)

    services = data.get("services")
    if isinstance(services, dict):
        targets = [t for s in services.values() if isinstance(s, dict) for t in _mapping(s.get("targets"))]
        if not 1 <= len(services) <= MAX_SERVICES or len(hubs) + len(targets) > MAX_CLUSTERS:
            found.append(("services",))
        owner: dict[Any, Any] = {}
        for service, spec in services.items():
            if not isinstance(spec, dict):
                continue
            targets = spec.get("targets") if isinstance(spec.get("targets"), dict) else {}
            for gen, target in targets.items():
                if owner.setdefault(gen, service) != service:
                    found.append(("services", service, "targets", gen))
                if isinstance(target, dict):
                    _judge_generation(("services", service, "targets", gen), "target", target, data, found)
            _judge_service(("services", service), spec, region, found)

    tags = data.get("tags")
    if isinstance(tags, dict):
        keys = [k.lower() for k in tags if isinstance(k, str)]
        if len(set(keys)) != len(keys) or len(tags) > MAX_TAGS - MAX_BUILTIN_TAGS_PER_RESOURCE:
            found.append(("tags",))
        found.extend(("tags", k) for k in tags if isinstance(k, str) and k.lower() in BUILTIN_LOWER)

    access = data.get("api_access")
    if isinstance(access, dict):
        cidrs = _networks(access.get("cidrs", []))
        groups = _strings(access.get("security_group_ids", []))
        if cidrs is not None and (_overlap(cidrs) or len(cidrs) + len(set(groups or [])) > MAX_API_RULES):
            found.append(("api_access",))
    _judge_admin_doors(data, found)


# --- hostile values -------------------------------------------------------------------------

INJECTIONS = [
    "../x",
    "a/b",
    "..",
    ".",
    "/",
    "/etc/passwd",
    "..\\x",
    "${x}",
    "${var.x}",
    "${aws_iam_role.r.arn}",
    "%{ if true }x%{ endif }",
    '"',
    "'",
    "}",
    "{",
    "]",
    "a b",
    " blue",
    "blue ",
    "a\tb",
    "blue.green",
    "blue:green",
    "a,b",
    "a;b",
    "a|b",
    "`id`",
    "$(id)",
    "a\\b",
    "a*",
    "?",
    "#x",
    "&a",
    "*a",
    "!x",
    "@x",
    "=x",
    "-",
    "a-",
    "-a",
    "--",
    "BLUE",
    "Blue",
    "bLue",
    "a" * 13,
    "a" * 64,
    "argocd-blue",
    "target-blue",
    "shared",
    "default",
    "blue-",
    "v1.33",
    "1.33",
    "0blue",
    "_blue",
    "blue_green",
    "ｂｌｕｅ",
    "blu\u200be",
    "\u200bblue",
    "b\u00e9",
    "blue\u0301",
    "\u05e9\u05dc\u05d5\u05dd",
    "\u0628\u0644\u0648",
    "😀",
    "blue😀",
    "ß",
    "ǅ",
    "ⅰ",
    "١",
    "null",
    "true",
    "~",
    "yes",
    "0x10",
    "1e3",
    "<<",
    "&",
    "*",
    "-1",
    "{{ .name }}",
    '{"a": 1}',
    "[1]",
]
"""Strings that must never be a name: paths, template and JSON syntax, spaces, case, unicode."""

BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def bulk_key(text: str) -> bool:
    """Every key is fair game for the bulk now (empty, control, bidi and surrogate keys included)."""
    return True


def bulk_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Any text, unicode included, but with no control, surrogate or bidi characters."""
    return st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="".join(BIDI)),
        max_size=max_size,
    )


def hostile_names(spec: str, known_bugs: bool = True) -> st.SearchStrategy[str]:
    """Strings the rule `spec` refuses, for a name or a name-like value."""
    pool = [bulk_text(), st.sampled_from(INJECTIONS), st.text(alphabet=LOWER + DIGITS + "-._/ ${}\"'\\", max_size=80)]
    if known_bugs:
        pool.append(st.text(min_size=0, max_size=20))
    strategy = st.one_of(pool)
    if spec in SPEC_RE:
        strategy = strategy.filter(lambda s: not accepts(spec, s))
    if not known_bugs:
        strategy = strategy.filter(bulk_key)
    return strategy


def _service_apps(data: Any, path: Path) -> tuple[set[str], set[str]]:
    """The app names of the service `path` is in, and those of the other services."""
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return set(), set()
    own: set[str] = set()
    others: set[str] = set()
    for name, service in services.items():
        apps = service.get("apps") if isinstance(service, dict) else None
        if isinstance(apps, dict):
            (own if len(path) > 1 and name == path[1] else others).update(a for a in apps if isinstance(a, str))
    return own, others


def invalid_strings(rule: str, data: dict[str, Any], path: Path = ()) -> st.SearchStrategy[str]:
    """A string of the right type that the field `rule` (at `path`) must refuse."""
    if rule == "k8s":
        return st.one_of(
            st.sampled_from(["1.29", "1.34", "1.3", "v1.33", "1.33.0", "1", "latest", ""]), bulk_text()
        ).filter(lambda s: s not in KUBERNETES_VERSIONS)
    if rule in ("hub_phase", "target_phase"):
        allowed = ALL_HUB_PHASES if rule == "hub_phase" else ALL_TARGET_PHASES
        return st.one_of(
            st.sampled_from(["Active", "SERVING", "live", "", "serving ", "standby\n"]), bulk_text()
        ).filter(lambda s: s not in allowed)
    if rule == "backend":
        return st.one_of(st.sampled_from(["S3", "Local", "gcs", "", "s3 "]), bulk_text()).filter(
            lambda s: s not in ("local", "s3")
        )
    if rule in ("cidr", "vpc_cidr", "service_cidr"):
        samples = [
            "10.0.0.1/16",
            "256.0.0.0/8",
            "10.0.0.0/33",
            "::/0",
            "10.0.0.0",
            "",
            "10.0.0.0/16 ",
            "010.0.0.0/16",
            "10.0.0.0/-1",
            "1.2.3/24",
        ]
        if rule == "vpc_cidr":
            samples += ["10.0.0.0/8", "10.0.0.0/15", "10.0.0.0/21", "10.0.0.0/28"]
        if rule == "service_cidr":
            samples += ["8.8.0.0/16", "1.0.0.0/8"]
            cidr = data["network"].get("cidr") if isinstance(data.get("network"), dict) else None
            if isinstance(cidr, str) and strict_cidr(cidr):
                samples += [cidr, str(ipaddress.IPv4Network(cidr).supernet(new_prefix=8))]
        if rule == "cidr":
            return st.one_of(st.sampled_from(samples), bulk_text()).filter(lambda s: strict_cidr(s) is None)
        return st.one_of(st.sampled_from(samples), bulk_text().filter(lambda s: strict_cidr(s) is None))
    if rule == "app_ref":  # an app of another service is not one of this service's
        own, others = _service_apps(data, path)
        pool = [_regex("dns"), bulk_text()] + ([st.sampled_from(sorted(others))] if others else [])
        return st.one_of(pool).filter(lambda s: s not in own)
    if rule == "tag_value":
        return st.text(alphabet=LOWER, min_size=257, max_size=MAX_BULK_STRING)
    return hostile_names(rule)


def invalid_helm_values() -> st.SearchStrategy[dict[str, Any]]:
    """A mapping that is not Helm values: a key empty or longer than 253 characters."""
    return st.one_of(
        st.just({"": 1}),
        st.integers(254, MAX_BULK_STRING).map(lambda n: {"k" * n: "v"}),
        st.builds(lambda v: {"": v}, helm_values),
    )


def wrong_types(kind: str, nullable: bool) -> st.SearchStrategy[Any]:
    """A value of the wrong type for a field of this kind."""
    scalars = [
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.binary(max_size=8),
    ]
    # A date is not a wrong type for a text field: the loader reads dates as text.
    not_text = [st.dates()] if kind not in ("str", "item") else []
    containers = [
        st.lists(st.integers(), max_size=3),
        st.dictionaries(bulk_text(8).filter(bulk_key), st.integers(), max_size=2),
    ]
    text = bulk_text(20)
    if kind in ("str", "item"):
        pool = [*scalars, *containers]
    elif kind == "int":
        pool = [text, st.integers(0, 100).map(str), st.floats(), st.booleans(), st.binary(max_size=4), *containers]
    elif kind == "bool":
        pool = [text, st.integers(0, 1), st.floats(), st.binary(max_size=4), *containers]
    elif kind in ("model", "entry", "helm"):
        pool = [text, *scalars, st.lists(st.integers(), max_size=3)]
    elif kind == "names":
        pool = [text, *scalars, st.lists(st.text(alphabet=LOWER, max_size=5), max_size=3)]
    else:  # list, models
        pool = [text, *scalars, containers[1]]
    if not nullable:
        pool.append(st.none())
    return st.one_of(pool + not_text)


def out_of_range(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.one_of(
        st.integers(max_value=lo - 1).filter(lambda n: n > -(10**HUGE_INT_DIGITS)),
        st.integers(min_value=hi + 1).filter(lambda n: n < 10**HUGE_INT_DIGITS),
        st.integers(20, HUGE_INT_DIGITS - 1).map(lambda d: 10**d),
        st.integers(20, HUGE_INT_DIGITS - 1).map(lambda d: -(10**d)),
    )


# --- corrupting a valid fleet ---------------------------------------------------------------


@dataclass(frozen=True)
class Corrupt:
    kind: str
    content: bytes

    def __repr__(self) -> str:  # hypothesis prints this for a failing example
        shown = self.content if len(self.content) <= 3000 else self.content[:3000] + b"..."
        return f"Corrupt({self.kind!r}, {shown!r})"


def _unknown_key_spots(data: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
    spots: list[tuple[Path, dict[str, Any]]] = [((), FLEET)]
    for f in fields(data):
        if f.kind in ("model", "entry") and isinstance(get(data, f.path), dict):
            spots.append((f.path, f.rule))
    return spots


def _typos(name: str) -> list[str]:
    out = {
        name.upper(),
        name.replace("_", "-"),
        name + "s",
        name[:-1],
        name[1:] + name[0],
        name.title(),
        f" {name}",
        f"{name} ",
    }
    return sorted(out - {name})


@st.composite
def mutated_fleets(draw: Any) -> tuple[str, dict[str, Any]]:
    """A valid fleet dict with one to three changes, each of which makes it invalid on its own,
    and what they were. A cross-field (semantic) change comes first, while the fleet is still
    well-typed; the structural ones after it only ever replace, drop or add, so none of them can
    make the fleet valid again."""
    data = draw(valid_fleets())
    labels = []
    if draw(st.integers(0, 3)) == 0:
        labels.append(draw(_semantic(data)))
    for _ in range(draw(st.integers(0 if labels else 1, 2))):
        labels.append(draw(_structural(data)))
    return "+".join(labels), data


NAME_RULES = {"hubs": "generation", "services": "service", "targets": "generation", "apps": "app", "values": "app"}
"""What the keys of each names-map must be (tags: `tag_key`)."""


@st.composite
def _structural(draw: Any, data: dict[str, Any]) -> str:
    present = fields(data)
    required = [f for f in present if f.required]
    name_maps = [
        f.path for f in present if f.kind == "names" and isinstance(get(data, f.path), dict) and get(data, f.path)
    ]
    kinds = ["wrong-type", "bad-value", "bad-name", "unknown-key"] + (["drop"] if required else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "drop":
        target = draw(st.sampled_from(required))
        delete(data, target.path)
        return f"drop:{target.path[-1]}"
    if kind == "wrong-type":
        target = draw(st.sampled_from(present))
        put(data, target.path, draw(wrong_types(target.kind, target.nullable)))
        return f"wrong-type:{target.kind}"
    if kind == "bad-value":
        candidates = [f for f in present if f.kind in ("str", "item", "int", "helm")]
        if candidates:
            target = draw(st.sampled_from(candidates))
            if target.kind == "int":
                lo, hi = target.rule
                put(data, target.path, draw(out_of_range(lo, hi)))
            elif target.kind == "helm":
                put(data, target.path, draw(invalid_helm_values()))
            else:
                put(data, target.path, draw(invalid_strings(target.rule, data, target.path)))
            return f"bad-value:{target.rule if isinstance(target.rule, str) else target.kind}"
        kind = "bad-name"
    if kind == "bad-name":
        spot = draw(st.sampled_from([("name",), *name_maps]))
        if spot == ("name",):
            data["name"] = draw(hostile_names("prefix"))
            return "bad-name:prefix"
        mapping = get(data, spot)
        old = draw(st.sampled_from(sorted(mapping)))
        new = draw(hostile_names(NAME_RULES.get(spot[-1], "tag_key")).filter(lambda s: s not in mapping))
        rename_key(mapping, old, new)
        if spot[-1] == "apps":  # sometimes the service's traffic follows its app's new name
            traffic = get(data, spot[:-1]).get("traffic")
            if isinstance(traffic, dict) and traffic.get("app") == old and draw(st.booleans()):
                traffic["app"] = new
        return f"bad-name:{spot[-1]}"
    path, spec = draw(st.sampled_from(_unknown_key_spots(data)))
    obj = get(data, path)
    key = draw(
        st.one_of(
            st.sampled_from([t for n in sorted(spec) for t in _typos(n)]),
            bulk_text(30),
            st.sampled_from(["x", "__class__", "model_config", "nodes_", "Name", "__proto__", "$ref"]),
        ).filter(lambda k: k not in spec and k not in obj and bulk_key(k))
    )
    obj[key] = draw(st.one_of(st.none(), st.integers(), bulk_text(10), st.just({}), st.just([])))
    return "unknown-key"


def _spread_pick(draw: Any, options: list[str], data: Any) -> str:
    """One of `options`. Hypothesis fills many draws with their simplest choice, which made the
    first option most of the semantic corruptions: that choice stands for one picked by a
    checksum of the drawn fleet instead (deterministic, so a failure still replays)."""
    pick = draw(st.integers(0, len(options)))
    if pick:
        return options[pick - 1]
    return options[zlib.crc32(json.dumps(data, sort_keys=True, default=str).encode()) % len(options)]


def _fresh(draw: Any, strategy: st.SearchStrategy[str], taken: Any) -> str:
    return draw(strategy.filter(lambda n: n not in taken))


@st.composite
def _semantic(draw: Any, data: dict[str, Any]) -> str:
    """A cross-field rule broken with well-typed values."""
    hubs, services, net = data["hubs"], data["services"], data["network"]
    targets = {n: t for spec in services.values() for n, t in spec["targets"].items()}
    all_apps = {(s, a): app for s, spec in services.items() for a, app in spec["apps"].items()}
    with_serving = [s for s, spec in services.items() if any(t["phase"] == "serving" for t in spec["targets"].values())]
    idle = [n for n, t in targets.items() if t["phase"] != "serving"]
    gits = [k for k, a in all_apps.items() if is_git_app(a)]
    options = [
        "no-active-hub",
        "extra-active-hub",
        "empty-map",
        "traffic-app",
        "network-source",
        "nodes-order",
        "shared-generation",
        "default-service",
        "too-many-services",
        "legacy-keys",
        "both-sources",
        "half-source",
        "no-source",
        "served-no-port",
        "served-git-no-service",
        "values-unknown-app",
    ]
    if with_serving:
        options += ["weight-sum", "serving-zero", "serving-too-many"]
    if idle:
        options.append("idle-weight")
    if gits:
        options += ["git-oci", "git-values", "values-git-app"]
    if net.get("cidr"):
        options += ["zone-region", "zone-count", "service-overlap", "subnets-with-cidr"]
    else:
        options += ["subnet-count", "subnet-dup", "subnet-both", "zones-with-vpc"]
    options += ["public-everyone", "cidr-overlap", "service-public"]
    options += [
        "alb-wide-not-facing",
        "alb-no-clients",
        "admin-internet",
        "admin-wide-no-opt-in",
        "app-refused-namespace",
    ]
    if data.get("state", {}).get("backend") == "s3":
        options.append("s3-missing")
    choice = _spread_pick(draw, options, data)
    service_name = draw(st.sampled_from(sorted(services)))
    service = services[service_name]
    if choice == "no-active-hub":
        for hub in hubs.values():
            if hub["phase"] == "active":
                hub["phase"] = draw(st.sampled_from(["standby", "retiring"]))
    elif choice == "extra-active-hub":
        others = [n for n, h in hubs.items() if h["phase"] != "active"]
        if others:
            hubs[draw(st.sampled_from(others))]["phase"] = "active"
        else:
            name = _fresh(draw, generation_names, hubs)
            hubs[name] = {"kubernetes_version": "1.33", "phase": "active"}
    elif choice in ("weight-sum", "serving-zero", "serving-too-many"):
        service = services[draw(st.sampled_from(with_serving))]
        serving = [n for n, t in service["targets"].items() if t["phase"] == "serving"]
        name = draw(st.sampled_from(serving))
        if choice == "weight-sum":
            weight = service["targets"][name]["weight"]
            service["targets"][name]["weight"] = draw(st.integers(1, 100).filter(lambda w: w != weight))
        elif choice == "serving-zero":
            service["targets"][name]["weight"] = 0
        else:  # weights that sum to 100 over more serving targets than an ALB forwards to
            count = draw(st.integers(MAX_SERVING, 7))
            extra = draw(
                st.lists(
                    generation_names.filter(lambda n: n not in targets), min_size=count, max_size=count, unique=True
                )
            )
            for n in extra:
                service["targets"][n] = targets[n] = {"kubernetes_version": "1.35", "phase": "serving", "weight": 1}
            shares = [t for t in service["targets"].values() if t["phase"] == "serving"]
            for t in shares:
                t["weight"] = 1
            shares[0]["weight"] = 100 - (len(shares) - 1)
    elif choice == "idle-weight":
        targets[draw(st.sampled_from(idle))]["weight"] = draw(st.integers(1, 100))
    elif choice == "empty-map":
        where = draw(st.sampled_from(["hubs", "services", "targets", "apps"]))
        (data if where in ("hubs", "services") else service)[where] = {}
    elif choice == "traffic-app":
        others = sorted({a for (s, a) in all_apps if s != service_name} - set(service["apps"]))
        pool = [_regex("dns"), *([st.sampled_from(others)] if others else [])]
        service["traffic"]["app"] = draw(st.one_of(pool).filter(lambda a: a not in service["apps"]))
    elif choice == "shared-generation":  # a target generation named as another service's
        name, target = draw(st.sampled_from(sorted(targets.items())))
        owner = next(s for s, spec in services.items() if name in spec["targets"])
        others = [s for s in services if s != owner]
        if others:
            other = services[draw(st.sampled_from(others))]
            other["targets"][name] = {
                "kubernetes_version": target["kubernetes_version"],
                "phase": "registered",
                "weight": 0,
            }
        else:
            services[_fresh(draw, service_names, services)] = copy.deepcopy(services[owner])
    elif choice == "default-service":
        rename_key(services, service_name, "default")
    elif choice == "too-many-services":
        count = draw(st.integers(MAX_SERVICES + 1, MAX_SERVICES + 3))
        fresh = draw(
            st.lists(service_names.filter(lambda n: n not in services), min_size=count, max_size=count, unique=True)
        )
        for i, name in enumerate(fresh[: count - len(services)]):
            clone = copy.deepcopy(service)
            clone["targets"] = {f"{g[:8]}x{i}": t for g, t in clone["targets"].items()}
            services[name] = clone
    elif choice == "legacy-keys":  # the one-service file: targets, apps and traffic at the top
        del data["services"]
        keys = draw(st.lists(st.sampled_from(LEGACY_KEYS), min_size=1, max_size=3, unique=True))
        data.update({k: service[k] for k in keys})
    elif choice in ("both-sources", "half-source", "no-source"):
        app = draw(st.sampled_from(sorted(all_apps.items())))[1]
        if choice == "both-sources":
            if is_git_app(app):
                app.update(chart=draw(dns_labels), version=draw(chart_versions))
            else:
                app.update(path=draw(git_paths), revision=draw(git_revisions))
        else:
            pair = GIT_SOURCE if is_git_app(app) else CHART_SOURCE
            gone = pair if choice == "no-source" else [draw(st.sampled_from(pair))]
            for key in gone:
                del app[key]
            if choice == "half-source" and draw(st.booleans()):  # the missing half as null
                app[next(k for k in pair if k not in app)] = None
    elif choice == "served-no-port":
        app = service["apps"][service["traffic"]["app"]]
        if draw(st.booleans()):
            del app["port"]
        else:
            app["port"] = None
        if draw(st.booleans()):
            app["container_port"] = draw(st.integers(1, 65535))
    elif choice == "served-git-no-service":
        app = service["apps"][service["traffic"]["app"]]
        for key in (*CHART_SOURCE, "values", "service"):
            app.pop(key, None)
        app.update(repo_url=draw(st.sampled_from(GIT_REPOS)), path=draw(git_paths), revision=draw(git_revisions))
    elif choice == "values-unknown-app":  # an app of another service, or of none
        name, target = draw(st.sampled_from(sorted(targets.items())))
        owner = services[next(s for s, spec in services.items() if name in spec["targets"])]
        others = sorted({a for (_, a) in all_apps} - set(owner["apps"]))
        app = draw(
            st.one_of(_regex("app"), *([st.sampled_from(others)] if others else [])).filter(
                lambda a: a not in owner["apps"]
            )
        )
        target.setdefault("values", {})[app] = draw(helm_values)
    elif choice == "git-oci":
        all_apps[draw(st.sampled_from(gits))]["repo_url"] = "oci://ghcr.io/org/charts"
    elif choice == "git-values":
        all_apps[draw(st.sampled_from(gits))]["values"] = draw(helm_values)
    elif choice == "values-git-app":
        owner, app = draw(st.sampled_from(gits))
        gen = draw(st.sampled_from(sorted(services[owner]["targets"])))
        services[owner]["targets"][gen].setdefault("values", {})[app] = draw(helm_values)
    elif choice == "network-source":
        if draw(st.booleans()):
            net.clear()
        elif net.get("cidr"):
            net["vpc_id"] = "vpc-0123456789abcdef0"
        else:
            net["cidr"] = "10.40.0.0/16"
    elif choice == "nodes-order":
        target = draw(st.sampled_from([*hubs.values(), *targets.values()]))
        low, high = sorted(draw(st.lists(st.integers(1, 450), min_size=2, max_size=2, unique=True)))
        key = draw(st.sampled_from(["min-above-desired", "desired-above-max", "empty-types"]))
        if key == "min-above-desired":
            target["nodes"] = {"min_size": high, "desired_size": low, "max_size": 450}
        elif key == "desired-above-max":
            target["nodes"] = {"min_size": 1, "desired_size": high, "max_size": low}
        else:
            target["nodes"] = {"instance_types": []}
    elif choice == "zone-region":
        other = draw(
            st.sampled_from(
                [r for r in REGIONS if not r.startswith(data["region"]) and not data["region"].startswith(r)]
            )
        )
        net["zones"][draw(st.integers(0, len(net["zones"]) - 1))] = f"{other}a"
    elif choice == "zone-count":
        region = data["region"]
        net["zones"] = draw(
            st.sampled_from([[f"{region}a"], [], [f"{region}{z}" for z in "abcde"], [f"{region}a", f"{region}a"]])
        )
    elif choice == "service-overlap":
        vpc = ipaddress.IPv4Network(net["cidr"])
        data["service_cidr"] = str(
            draw(st.sampled_from([vpc, vpc.supernet(new_prefix=8), next(vpc.subnets(new_prefix=24))]))
        )
    elif choice == "subnets-with-cidr":
        net[draw(st.sampled_from(["private_subnet_ids", "public_subnet_ids"]))] = [
            "subnet-0123456789abcdef0",
            "subnet-1123456789abcdef0",
        ]
    elif choice == "subnet-count":
        key = draw(st.sampled_from(["private_subnet_ids", "public_subnet_ids"]))
        net[key] = net[key][:1] if draw(st.booleans()) else []
    elif choice == "subnet-dup":
        key = draw(st.sampled_from(["private_subnet_ids", "public_subnet_ids"]))
        net[key] = [*net[key], net[key][0]]
    elif choice == "subnet-both":
        net["public_subnet_ids"] = [*net["public_subnet_ids"], net["private_subnet_ids"][0]]
    elif choice == "zones-with-vpc":
        net["zones"] = [f"{data['region']}a", f"{data['region']}b"]
    elif choice == "public-everyone":
        target = draw(st.sampled_from([*hubs.values(), *targets.values()]))
        target["public_access_cidrs"] = [*target.get("public_access_cidrs", []), "0.0.0.0/0"]
    elif choice == "cidr-overlap":
        traffics = [spec["traffic"] for spec in services.values()]
        owner = draw(st.sampled_from([*hubs.values(), *targets.values(), *traffics]))
        key = (
            draw(st.sampled_from(["allowed_cidrs", "operator_cidrs"]))
            if any(owner is t for t in traffics)
            else "public_access_cidrs"
        )
        owner[key] = draw(
            st.sampled_from(
                [
                    ["10.0.0.0/8", "10.1.0.0/16"],
                    ["203.0.113.0/24", "203.0.113.7/32"],
                    ["198.51.100.0/24", "198.51.100.0/24"],
                ]
            )
        )
    elif choice == "service-public":
        data["service_cidr"] = draw(st.sampled_from(["8.8.0.0/16", "1.0.0.0/8", "100.64.0.0/16", "52.0.0.0/16"]))
    elif choice == "s3-missing":
        del data["state"][draw(st.sampled_from(["bucket", "region"]))]
    elif choice == "alb-wide-not-facing":  # a wide range on an ALB that is not internet-facing
        traffic = service["traffic"]
        wide = draw(st.one_of(st.just(EVERYONE), wide_public_cidrs(0)))
        traffic["allowed_cidrs"] = [wide, *draw(st.sampled_from([[], ["10.0.0.0/8"], ["192.168.0.0/16"]]))]
        if draw(st.booleans()):
            traffic["internet_facing"] = False
        else:
            traffic.pop("internet_facing", None)
    elif choice == "alb-no-clients":  # no allowed_cidrs and not internet-facing, or an empty list
        traffic = service["traffic"]
        if draw(st.booleans()):
            traffic.pop("allowed_cidrs", None)
            if draw(st.booleans()):
                traffic["internet_facing"] = False
            else:
                traffic.pop("internet_facing", None)
        else:
            traffic["allowed_cidrs"] = []
    elif choice in ("admin-internet", "admin-wide-no-opt-in"):
        doors: list[tuple[dict[str, Any], str]] = [
            (g, "public_access_cidrs") for g in (*hubs.values(), *targets.values())
        ]
        doors += [(spec["traffic"], "operator_cidrs") for spec in services.values()]
        doors.append((data.setdefault("api_access", {}), "cidrs"))
        owner, key = doors[draw(st.integers(0, len(doors) - 1))]
        if choice == "admin-internet":  # never, opt-in or not
            owner[key] = [draw(st.sampled_from([EVERYONE, "0.0.0.0/1", "128.0.0.0/1", "64.0.0.0/2", "52.0.0.0/7"]))]
            data["allow_wide_admin_cidrs"] = draw(st.booleans())
        else:
            owner[key] = [draw(wide_public_cidrs(INTERNET_PREFIX))]
            if draw(st.booleans()):
                data["allow_wide_admin_cidrs"] = False
            else:
                data.pop("allow_wide_admin_cidrs", None)
    elif choice == "app-refused-namespace":  # any app, served or not
        app = draw(st.sampled_from(sorted(all_apps.items())))[1]
        app["namespace"] = draw(st.sampled_from(REFUSED_NAMESPACES))
    return f"semantic:{choice}"


def _encode(text: str) -> bytes:
    return text.encode("utf-8")


@st.composite
def corrupted_data(draw: Any) -> Corrupt:
    """A valid fleet with invalid data, written as YAML or JSON."""
    label, data = draw(mutated_fleets())
    style = draw(st.sampled_from(["block", "block", "flow", "json"]))
    if style == "json":
        try:
            text = json.dumps(data, ensure_ascii=draw(st.booleans()), allow_nan=False)
        except (TypeError, ValueError):  # bytes, dates, nan are not JSON: YAML it is
            text = to_yaml(data)
    else:
        text = to_yaml(data, flow=style == "flow")
    return Corrupt(f"data:{label}", _encode(text))


TOKEN = "zzplaceholderzz"

RAW_KEYS = [
    "1",
    "-1",
    "1.5",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "null",
    "~",
    "0x10",
    ".inf",
    "[a, b]",
    "{a: 1}",
    "!!binary aGk=",
    "!!int 3",
    "? [x]\n",
]
"""YAML keys that are not strings. (Not a date: the loader reads dates as text, so `2001-01-01`
is a string key, valid wherever any string is - in Helm values, for one.)"""
RAW_VALUES = [
    "&a x",
    "*a",
    "&a [1, 2]",
    "!!python/object/apply:os.system ['echo pwned']",
    "!!python/name:os.system",
    "!!python/object:os.system x",
    "!custom x",
    "!<tag:example.com,2000:x> y",
    "!!binary aGVsbG8=",
    "!!omap [{a: 1}]",
    "!!pairs [{a: 1}]",
    "!!binary aGk",
    "!!timestamp 2001-12-14",
    "!!seq {a: 1}",
    "!!str [1]",
    "!!map {a: 1}",
    "2001-12-14",
    "2001-12-14 21:59:43.10 -5",
    "[&a [1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a], [*b,*b,*b,*b,*b,*b,*b,*b,*b]]",
    "{<<: {a: 1}}",
    "[unclosed",
    "{a: 1",
    "'unterminated",
    '"unterminated',
    "|\n bad",
    ">-",
    "@reserved",
    "`reserved",
    "%",
    "a: b: c",
    "- x",
    "? x",
    ": x",
    ".nan",
    "-.inf",
    "1.0e+400",
    "0x" + "f" * 3000,
    "0b" + "1" * 4000,
    "1" + "0" * 4200,
    "-" + "9" * 4200,
]
"""Raw YAML written where a valid value was: tags, anchors, aliases and bombs, malformed flow."""
DATES = ("2001-12-14", "2001-12-14 21:59:43.10 -5")
"""Raw values the loader reads as text (dates stay text): wrong only where the text is."""


def _may_accept_text(field: Field, raw: str) -> bool:
    """Whether `raw`, read as text, might be a valid value of `field` (then it is no corruption):
    `2001-12-14` is a DNS label, a tag value, a Git revision."""
    if raw not in DATES or field.kind not in ("str", "item"):
        return False
    return not isinstance(field.rule, str) or field.rule not in SPEC_RE or accepts(field.rule, raw)


NEST = {"flow-list": ("[", "]"), "flow-map": ("{a: ", "}"), "flow-mixed": ("[{a: ", "}]")}


def nested(kind: str, depth: int) -> str:
    opening, closing = NEST[kind]
    return opening * depth + "1" + closing * depth


@st.composite
def corrupted_text(draw: Any) -> Corrupt:
    """A valid fleet written as YAML, then corrupted as text: duplicate and non-string keys,
    anchors, aliases and bombs, merge keys, tags, deep nesting, tabs, encodings, invalid UTF-8,
    BOM, CRLF, oversize files."""
    kind = draw(
        st.sampled_from(
            [
                "dup-key",
                "raw-key",
                "merge-key",
                "raw-value",
                "deep",
                "tab",
                "invalid-utf8",
                "bom-encoding",
                "oversize",
                "bom-plus",
                "crlf-plus",
            ]
        )
    )
    if kind in ("bom-plus", "crlf-plus"):
        inner = draw(corrupted_data())
        text = inner.content.decode("utf-8")
        if kind == "bom-plus":
            return Corrupt(f"text:bom+{inner.kind}", b"\xef\xbb\xbf" + _encode(text))
        return Corrupt(f"text:crlf+{inner.kind}", _encode(text.replace("\n", "\r\n")))
    data = draw(valid_fleets())
    spots = [(), *(f.path for f in fields(data) if f.kind in ("model", "entry", "names", "helm"))]
    if kind in ("dup-key", "raw-key", "merge-key"):
        path = draw(st.sampled_from(spots))
        mapping = get(data, path)
        if not isinstance(mapping, dict) or (kind == "dup-key" and not mapping):
            path, mapping = (), data
        flow = draw(st.booleans())
        if kind == "dup-key":
            existing = draw(st.sampled_from(sorted(mapping)))
            mapping[TOKEN] = copy.deepcopy(mapping[existing])
            replacement = json.dumps(existing)
        elif kind == "raw-key":
            mapping[TOKEN] = draw(st.sampled_from([1, "x", {"a": 1}]))
            replacement = draw(st.sampled_from(RAW_KEYS))
            if replacement.startswith("?"):
                flow = False
                replacement = "? [x]\n" + "  " * len(path)  # a complex key; its value follows
        else:
            mapping[TOKEN] = draw(st.sampled_from([{}, {"phase": "active"}, {"zz": 1}]))
            replacement = "<<"
        text = to_yaml(data, flow=flow).replace(TOKEN, replacement, 1)
        return Corrupt(f"text:{kind}", _encode(text))
    if kind in ("raw-value", "deep"):
        # Nested flow mappings are Helm values: no "deep" where Helm values go.
        target = draw(
            st.sampled_from(
                [f for f in fields(data) if kind == "raw-value" or not (f.kind == "helm" or f.path[-1] == "values")]
            )
        )
        put(data, target.path, TOKEN)
        if kind == "raw-value":
            raw = draw(st.sampled_from([r for r in RAW_VALUES if not _may_accept_text(target, r)]))
            if raw.startswith("*") or raw == "&a x":  # an alias needs an anchor, an anchor an alias
                raw = draw(st.sampled_from(["*a", "&a x"]))
                data["zzother"] = TOKEN + "2"
            text = to_yaml(data, flow=True if raw.startswith(("|", ">")) else False)
            text = text.replace(TOKEN + "2", "*a" if raw != "*a" else "&a x", 1).replace(TOKEN, raw, 1)
            return Corrupt(f"text:raw-value:{raw[:12]}", _encode(text))
        depth = draw(st.one_of(st.integers(1, 60), st.integers(60, 3000)))
        text = to_yaml(data).replace(TOKEN, nested(draw(st.sampled_from(sorted(NEST))), depth), 1)
        return Corrupt(f"text:deep:{'shallow' if depth < 60 else 'deep'}", _encode(text))
    text = to_yaml(data)
    if kind == "tab":
        lines = text.split("\n")
        indented = [i for i, line in enumerate(lines) if line.startswith(" ")]
        i = draw(st.sampled_from(indented))
        lines[i] = (
            "\t" + lines[i][1:]
            if draw(st.booleans())
            else lines[i].replace(" " * (len(lines[i]) - len(lines[i].lstrip(" "))), "\t", 1)
        )
        return Corrupt("text:tab", _encode("\n".join(lines)))
    raw = _encode(text)
    if kind == "invalid-utf8":
        where = draw(st.integers(0, len(raw)))
        bad = draw(
            st.sampled_from(
                [
                    b"\x80",
                    b"\xff",
                    b"\xfe",
                    b"\xc0\xaf",
                    b"\xed\xa0\x80",
                    b"\xf8\x88\x80\x80\x80",
                    b"\xe2\x82",
                    b"\xc3\x28",
                    b"\xf4\x90\x80\x80",
                ]
            )
        )
        # never split a character: move to the next character boundary
        while where < len(raw) and (raw[where] & 0xC0) == 0x80:
            where += 1
        return Corrupt("text:invalid-utf8", raw[:where] + bad + raw[where:])
    if kind == "bom-encoding":
        encoding = draw(st.sampled_from(["utf-16", "utf-32"]))  # with their BOM: never valid UTF-8
        return Corrupt(f"text:{encoding}", text.encode(encoding))
    size = (1 << 20) + draw(st.integers(1, 4096))
    return Corrupt("text:oversize", raw + b"\n#" + b"x" * (size - len(raw)))


YAML_UNACCEPTABLE = yaml.reader.Reader.NON_PRINTABLE
"""Characters PyYAML refuses in a stream (once a two-line message, now one clean line)."""


def bulk_ok(content: bytes) -> bool:
    """Every input is fair game for the bulk: the classes it once left out (YAML constructor
    crashes, control and bidi characters, empty and surrogate keys) have their bugs fixed."""
    return True


BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
    + ["name: *i"]
)

RAW_FILES = [
    "",
    " ",
    "\n\n",
    "# only a comment\n",
    "---\n",
    "...\n",
    "--- \n...\n",
    "~",
    "null",
    "true",
    "0",
    "-1",
    "1.5",
    ".nan",
    "'name'",
    '"acme"',
    "name",
    "[]",
    "{}",
    "- name: acme\n",
    "[name, region]",
    "{name: acme}",
    "name: acme\n",
    "name:\n",
    ":\n",
    "? \n",
    "name: acme\n---\nname: other\n",
    "%YAML 1.1\n---\nname: acme\n",
    "%TAG ! tag:example.com,2000:\n---\nname: !x acme\n",
    "%YAML 9.9\n---\n{}\n",
    "\ufeff",
    "\ufeff[]",
    "\ufeffname: acme",
    BILLION_LAUGHS,
    "a: &a 1\nb: *a\n",
    "*a\n",
    "&a\n",
    "<<: {name: acme}\n",
    "name: acme\nname: acme\n",
    "1: 2\n",
    "? [a]\n: b\n",
    "name: acme\n\tregion: x\n",
    "\tname: acme\n",
    "name: [acme\n",
    "name: {acme\n",
    "name: 'acme\n",
    'name: "acme\n',
    "name: acme\n  region: x\n",
    "- - - - -\n",
    "!!binary aGk=",
    "!!python/object/apply:os.system ['id']",
    "!!set {a, b}",
    "!!omap [{name: acme}]",
    "name: !!str\n",
    "name: |\n",
    "name: 1" + "0" * 4200 + "\n",
    "name: 0x" + "f" * 3000 + "\n",
    "name: 1e999\n",
    "name: -.inf\n",
]
"""Hand-written files: empty, scalars, lists, directives, bombs, merge and duplicate keys."""


@st.composite
def raw_garbage(draw: Any) -> Corrupt:
    """Files not derived from a fleet: random text and bytes, deep nesting, bombs, scalars."""
    kind = draw(st.sampled_from(["file", "text", "bytes", "yamlish", "deep", "long-line", "huge-number"]))
    if kind == "file":
        return Corrupt("raw:file", _encode(draw(st.sampled_from(RAW_FILES))))
    if kind == "text":
        return Corrupt("raw:text", _encode(draw(bulk_text(300))))
    if kind == "bytes":
        content = draw(st.binary(max_size=300))
        try:
            decoded = content.decode("utf-8")
        except UnicodeDecodeError:
            return Corrupt("raw:bytes", content)
        return Corrupt("raw:bytes", _encode(YAML_UNACCEPTABLE.sub("?", decoded)))
    if kind == "yamlish":
        pieces = st.sampled_from(
            [
                "name",
                "region",
                "hubs",
                "targets",
                ":",
                " ",
                "\n",
                "  ",
                "- ",
                "[",
                "]",
                "{",
                "}",
                ",",
                "&a",
                "*a",
                "<<",
                "!!",
                "'",
                '"',
                "#",
                "?",
                "|",
                ">",
                "\t",
                "1",
                "acme",
                "\ufeff",
                "😀",
                "\u05d0",
            ]
        )
        return Corrupt("raw:yamlish", _encode("".join(draw(st.lists(pieces, max_size=60)))))
    if kind == "deep":
        depth = draw(st.one_of(st.integers(1, 100), st.integers(100, 5000)))
        style = draw(st.sampled_from(["flow-list", "flow-map", "flow-mixed", "block-map", "block-list"]))
        if style == "block-map":
            depth = min(depth, 900)
            body = "".join(f"{'  ' * i}a:\n" for i in range(depth)) + "  " * depth + "1\n"
        elif style == "block-list":
            body = "name:\n" + "- " * depth + "1\n"
        else:
            body = "name: " + nested(style, depth) + "\n"
        return Corrupt(f"raw:deep:{style}", _encode(body))
    if kind == "long-line":  # a long value echoed whole is known bug `huge-string`: no value here
        size = draw(st.one_of(st.integers(1_000, 100_000), st.integers(MAX_BYTES + 1, MAX_BYTES + 100)))
        if size > MAX_BYTES:
            return Corrupt("raw:long-line", _encode("name: " + "a" * size))
        return Corrupt("raw:long-line", _encode("# " + "a" * size + "\n- name: acme\n"))
    digits = draw(st.integers(20, HUGE_INT_DIGITS - 1))
    return Corrupt("raw:huge-number", _encode(f"name: acme\nport: {draw(st.sampled_from(['', '-']))}{'9' * digits}\n"))


def corrupted_fleets() -> st.SearchStrategy[Corrupt]:
    """Every corrupted-file strategy, mixed."""
    return st.one_of(corrupted_data(), corrupted_text(), raw_garbage())


def draw_examples(strategy: st.SearchStrategy[Any], count: int, seed_value: int) -> list[Any]:
    """`count` examples of `strategy`, the same on every run (a fixed seed, no database)."""
    drawn: list[Any] = []

    @seed(seed_value)
    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn[:count]

"""Hypothesis strategies for fleet files: valid ones, and corrupted ones as the bytes of a file.

`valid_fleets()` draws dicts that `fleet.model.Fleet` accepts. The corrupted strategies draw
`Corrupt(kind, content)`: `content` is what goes into the file (bytes), `kind` says which
corruption made it (for the counts the fuzz tests print).

The corrupted strategies only make files that are surely invalid, judged by the rules written
here (ASCII-strict regular expressions of what each field accepts), never by the model itself:
a corrupted file the model accepts is a finding, not a strategy bug.

The bugs these strategies found (YAML constructor crashes, control characters and bidi
overrides echoed into messages, huge values, injection through tag values, ...) are fixed; the
bulk draws those inputs like any other, and `test_fuzz.py` keeps one regression test per bug.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import strategies as st

from fleet import names
from fleet.load import MAX_BYTES
from fleet.versions import KUBERNETES_VERSIONS, offered, today

KNOWN_BUGS: dict[str, str] = {}
"""Classes of input the bulk would leave out: none since the fixes (kept for the summary line)."""

HUGE_INT_DIGITS = 4000
"""Bulk integers stay below the 4300 digits Python converts to text (the strategies write them as
YAML); the regression tests feed longer ones as raw text."""
MAX_BULK_STRING = 400
"""Bulk strings stay short enough that echoing one is still a readable line (`huge-string`)."""

# --- what each field accepts: the rules these strategies judge by (ASCII only, by design) -----

SPEC = {
    "prefix": r"(?!.*--)[a-z](?:[a-z0-9-]{0,10}[a-z0-9])?",
    "app": r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?",
    "generation": r"[a-z][a-z0-9]{0,11}",
    "dns": r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?",
    "chart_version": r"v?[0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.-]+)?",
    "region": r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]",
    "zone": r"[a-z]{2}(?:-gov)?-[a-z]+-[0-9][a-z]",
    "subnet_id": r"subnet-[0-9a-f]{8,17}",
    "vpc_id": r"vpc-[0-9a-f]{8,17}",
    "instance_type": r"[a-z0-9-]+\.[a-z0-9]+",
    "repo_url": r"(?:https|oci)://[!#-&(-z|~]+",
    "path": r"/[A-Za-z0-9/._~-]*",
    "bucket": r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
    "key_prefix": r"(?!/)(?!.*//)(?!.*/$)[A-Za-z0-9!_.*'()/-]{1,200}",
    "dynamodb_table": r"[A-Za-z0-9_.-]{3,255}",
    "cert_arn": r"arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}",
    "waf_arn": r"arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]+/[0-9a-f-]{36}",
    "tag_key": r"[A-Za-z0-9 _.:/=+@-]{1,128}",
}
SPEC_RE = {k: re.compile(v, re.ASCII) for k, v in SPEC.items()}
HUB_PHASES = ("standby", "active", "retiring")
TARGET_PHASES = ("provisioning", "registered", "serving", "retiring")


def accepts(spec: str, value: str) -> bool:
    return bool(SPEC_RE[spec].fullmatch(value))


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
    "chart_version": r"v?[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?:[-+][0-9A-Za-z.-]{1,10})?",
    "bucket": r"[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]",
    "key_prefix": r"[A-Za-z0-9!_.*'()-]{1,10}(?:/[A-Za-z0-9!_.*'()-]{1,9}){0,2}",
    "dynamodb_table": r"[A-Za-z0-9_.-]{3,30}",
    "tag_key": r"[A-Za-z0-9 _.:/=+@-]{1,30}",
    "instance_type": r"[a-z0-9-]{1,10}\.[a-z0-9]{1,10}",
    "path": r"/[A-Za-z0-9/._~-]{0,30}",
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
chart_versions = st.one_of(_regex("chart_version"), st.sampled_from(["1.2.3", "8.1.3", "v0.0.1", "6.9.2-rc.1"]))
hex_ids = st.one_of(
    st.text(alphabet="0123456789abcdef", min_size=8, max_size=8),
    st.text(alphabet="0123456789abcdef", min_size=17, max_size=17),
)
account_ids = st.text(alphabet=DIGITS, min_size=12, max_size=12)
safe_tag_text = st.text(alphabet=LOWER + DIGITS + "ABCZ _.:/=+@-", max_size=40)
"""Tag values without `$` or `%`: a tag value is a Terraform template (see the xfail test)."""


@st.composite
def public_cidr_lists(draw: Any, max_size: int = 3) -> list[str]:
    """Distinct, non-overlapping public CIDRs (a /24 or a /32 each of distinct /24s)."""
    blocks = draw(
        st.lists(
            st.tuples(st.integers(11, 99), st.integers(0, 255), st.integers(0, 255)),
            unique=True,
            max_size=max_size,
        )
    )
    out = []
    for a, b, c in blocks:
        out.append(f"{a}.{b}.{c}.0/24" if draw(st.booleans()) else f"{a}.{b}.{c}.{draw(st.integers(0, 255))}/32")
    return out


@st.composite
def node_groups(draw: Any) -> dict[str, Any]:
    sizes = sorted(draw(st.lists(st.integers(1, 450), min_size=3, max_size=3)))
    nodes: dict[str, Any] = {}
    if draw(st.booleans()):
        nodes["instance_types"] = draw(
            st.lists(
                st.one_of(st.sampled_from(["m6i.large", "t3.medium", "c7g.2xlarge"]), _regex("instance_type")),
                min_size=1,
                max_size=3,
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
    if draw(st.integers(0, 3)) == 0:
        spec["public_access_cidrs"] = draw(public_cidr_lists())
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


@st.composite
def app_spec(draw: Any) -> dict[str, Any]:
    app: dict[str, Any] = {
        "repo_url": draw(
            st.one_of(
                st.sampled_from(["https://stefanprodan.github.io/podinfo", "oci://ghcr.io/org/charts"]),
                st.builds(
                    lambda h, p: f"https://{h}.example.com/{p}",
                    dns_labels,
                    st.text(alphabet=LOWER + "/-_.", max_size=20),
                ),
            )
        ),
        "chart": draw(dns_labels),
        "version": draw(chart_versions),
        "namespace": draw(dns_labels),
        "port": draw(st.integers(1, 65535)),
    }
    if draw(st.booleans()):
        app["service"] = draw(dns_labels)
    if draw(st.booleans()):
        app["health_check_path"] = draw(st.one_of(st.just("/"), _regex("path")))
    return app


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
            "bucket": draw(_regex("bucket")),
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

    target_names = draw(st.lists(generation_names, min_size=1, max_size=4, unique=True).filter(_priorities_distinct))
    phases = draw(st.lists(st.sampled_from(TARGET_PHASES), min_size=len(target_names), max_size=len(target_names)))
    phases[draw(st.integers(0, len(phases) - 1))] = "serving"
    weights = iter(_split_100(draw, phases.count("serving")))
    data["targets"] = {
        n: draw(generation({"phase": p, "weight": next(weights) if p == "serving" else 0}))
        for n, p in zip(target_names, phases, strict=True)
    }

    names_of_apps = draw(st.lists(app_names, min_size=1, max_size=3, unique=True))
    data["apps"] = {n: draw(app_spec()) for n in names_of_apps}
    traffic: dict[str, Any] = {
        "app": draw(st.sampled_from(names_of_apps)),
        "certificate_arn": f"arn:aws:acm:{region}:{account}:certificate/{draw(st.uuids())}",
    }
    if draw(st.booleans()):
        traffic["allowed_cidrs"] = draw(st.one_of(st.just(["0.0.0.0/0"]), public_cidr_lists().filter(bool)))
    if draw(st.booleans()):
        traffic["waf_acl_arn"] = (
            f"arn:aws:wafv2:{region}:{account}:regional/webacl/{draw(_regex('dns'))}/{draw(st.uuids())}"
        )
    data["traffic"] = traffic
    data["logs_bucket"] = draw(_regex("bucket"))
    if draw(st.booleans()):
        data["tags"] = draw(
            st.dictionaries(
                _regex("tag_key").filter(lambda k: not k.startswith(("ephemeral-eks/", "aws:"))),
                safe_tag_text,
                max_size=3,
            )
        )
    return data


class _NoAliasDumper(yaml.SafeDumper):
    """Never write anchors: a dict or list used twice is written out twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(data: Any, flow: bool | None = False) -> str:
    return yaml.dump(
        data, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, default_flow_style=flow, width=4096
    )


@st.composite
def valid_fleet_texts(draw: Any) -> str:
    data = draw(valid_fleets())
    style = draw(st.sampled_from(["block", "flow", "json"]))
    if style == "json":
        return json.dumps(data, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 2])))
    return to_yaml(data, flow=style == "flow")


# --- the schema, as far as corrupting it needs ---------------------------------------------

REQ = True
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
}
HUB = {**GENERATION, "phase": ("str", "hub_phase", REQ)}
TARGET = {**GENERATION, "phase": ("str", "target_phase", REQ), "weight": ("int", (0, 100), REQ)}
APP = {
    "repo_url": ("str", "repo_url", REQ),
    "chart": ("str", "dns", REQ),
    "version": ("str", "chart_version", REQ),
    "namespace": ("str", "dns", REQ),
    "port": ("int", (1, 65535), REQ),
    "service": ("str", "dns", False),
    "health_check_path": ("str", "path", False),
}
NETWORK = {  # with either source, every field present is needed
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
    "dynamodb_table": ("str", "dynamodb_table", False),
}
ARGOCD = {"chart_version": ("str", "chart_version", REQ), "apps_chart_version": ("str", "chart_version", REQ)}
LBC = {"chart_version": ("str", "chart_version", REQ)}
TRAFFIC = {
    "app": ("str", "app_ref", REQ),
    "certificate_arn": ("str", "cert_arn", REQ),
    "allowed_cidrs": ("list", "cidr", False),
    "waf_acl_arn": ("str", "waf_arn", False),
}
FLEET = {
    "name": ("str", "prefix", REQ),
    "region": ("str", "region", REQ),
    "network": ("model", NETWORK, REQ),
    "service_cidr": ("str", "service_cidr", False),
    "state": ("model", STATE, False),
    "argocd": ("model", ARGOCD, REQ),
    "load_balancer_controller": ("model", LBC, REQ),
    "hubs": ("names", (HUB, "generation"), REQ),
    "targets": ("names", (TARGET, "generation"), REQ),
    "apps": ("names", (APP, "dns"), REQ),
    "traffic": ("model", TRAFFIC, REQ),
    "logs_bucket": ("str", "bucket", REQ),
    "tags": ("names", ("tag_value", "tag_key"), False),
}
NULLABLE = {"service", "waf_acl_arn", "dynamodb_table"}
"""Fields whose value may be null; for every other field null is the wrong type."""

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Field:
    path: Path
    kind: str  # str, int, model, names, list, item (a list element), entry (a names-map entry)
    rule: Any
    required: bool


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
            out.append(Field(here, kind, rule, required))
            if kind == "model":
                model(here, value, rule)
            elif kind == "list" and isinstance(value, list):
                out.extend(Field((*here, i), "item", rule, False) for i in range(len(value)))
            elif kind == "names" and isinstance(value, dict):
                item_spec, _ = rule
                for name, item in value.items():
                    if isinstance(item_spec, dict):
                        out.append(Field((*here, name), "entry", item_spec, False))
                        model((*here, name), item, item_spec)
                    else:
                        out.append(Field((*here, name), "str", item_spec, False))

    model((), data, FLEET)
    return out


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


def invalid_strings(rule: str, data: dict[str, Any], apps: dict[str, Any]) -> st.SearchStrategy[str]:
    """A string of the right type that the field `rule` must refuse."""
    if rule == "k8s":
        return st.one_of(
            st.sampled_from(["1.29", "1.34", "1.3", "v1.33", "1.33.0", "1", "latest", ""]), bulk_text()
        ).filter(lambda s: s not in KUBERNETES_VERSIONS)
    if rule in ("hub_phase", "target_phase"):
        allowed = HUB_PHASES if rule == "hub_phase" else TARGET_PHASES
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
    if rule == "app_ref":
        return st.one_of(_regex("dns"), bulk_text()).filter(lambda s: s not in apps)
    if rule == "tag_value":
        return st.text(alphabet=LOWER, min_size=257, max_size=MAX_BULK_STRING)
    if rule == "repo_url":  # the model allows any non-ASCII URL: only surely-wrong ones here
        return hostile_names("repo_url").filter(lambda s: not re.fullmatch(r"(?:https|oci)://[^\s'\"{}]+", s))
    return hostile_names(rule)


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
    elif kind in ("model", "entry"):
        pool = [text, *scalars, st.lists(st.integers(), max_size=3)]
    elif kind == "names":
        pool = [text, *scalars, st.lists(st.text(alphabet=LOWER, max_size=5), max_size=3)]
    else:  # list
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


@st.composite
def _structural(draw: Any, data: dict[str, Any]) -> str:
    present = fields(data)
    required = [f for f in present if f.required]
    apps = data.get("apps") if isinstance(data.get("apps"), dict) else {}
    name_maps = [k for k in ("hubs", "targets", "apps", "tags") if isinstance(data.get(k), dict) and data[k]]
    kinds = ["wrong-type", "bad-value", "bad-name", "unknown-key"] + (["drop"] if required else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "drop":
        target = draw(st.sampled_from(required))
        delete(data, target.path)
        return f"drop:{target.path[-1]}"
    if kind == "wrong-type":
        target = draw(st.sampled_from(present))
        last = target.path[-1]
        put(data, target.path, draw(wrong_types(target.kind, isinstance(last, str) and last in NULLABLE)))
        return f"wrong-type:{target.kind}"
    if kind == "bad-value":
        candidates = [f for f in present if f.kind in ("str", "item", "int")]
        if candidates:
            target = draw(st.sampled_from(candidates))
            if target.kind == "int":
                lo, hi = target.rule
                put(data, target.path, draw(out_of_range(lo, hi)))
            else:
                put(data, target.path, draw(invalid_strings(target.rule, data, apps)))
            return f"bad-value:{target.rule if isinstance(target.rule, str) else 'int'}"
        kind = "bad-name"
    if kind == "bad-name":
        spot = draw(st.sampled_from(["name", *name_maps]))
        if spot == "name":
            data["name"] = draw(hostile_names("prefix"))
            return "bad-name:prefix"
        mapping = data[spot]
        old = draw(st.sampled_from(sorted(mapping)))
        rule = {"hubs": "generation", "targets": "generation", "apps": "dns", "tags": "tag_key"}[spot]
        new = draw(hostile_names(rule).filter(lambda s: s not in mapping))
        rename_key(mapping, old, new)
        traffic = data.get("traffic")
        if spot == "apps" and isinstance(traffic, dict) and traffic.get("app") == old and draw(st.booleans()):
            traffic["app"] = new
        return f"bad-name:{spot}"
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


@st.composite
def _semantic(draw: Any, data: dict[str, Any]) -> str:
    """A cross-field rule broken with well-typed values."""
    hubs, targets, net = data["hubs"], data["targets"], data["network"]
    serving = [n for n, t in targets.items() if t["phase"] == "serving"]
    idle = [n for n, t in targets.items() if t["phase"] != "serving"]
    options = [
        "no-active-hub",
        "extra-active-hub",
        "weight-sum",
        "serving-zero",
        "no-serving",
        "empty-map",
        "traffic-app",
        "network-source",
        "nodes-order",
    ]
    if idle:
        options.append("idle-weight")
    if net.get("cidr"):
        options += ["zone-region", "zone-count", "service-overlap", "subnets-with-cidr"]
    else:
        options += ["subnet-count", "subnet-dup", "subnet-both", "zones-with-vpc"]
    options += ["public-everyone", "cidr-overlap", "service-public"]
    if data.get("state", {}).get("backend") == "s3":
        options.append("s3-missing")
    choice = draw(st.sampled_from(options))
    if choice == "no-active-hub":
        for hub in hubs.values():
            if hub["phase"] == "active":
                hub["phase"] = draw(st.sampled_from(["standby", "retiring"]))
    elif choice == "extra-active-hub":
        others = [n for n, h in hubs.items() if h["phase"] != "active"]
        if others:
            hubs[draw(st.sampled_from(others))]["phase"] = "active"
        else:
            name = draw(generation_names.filter(lambda n: n not in hubs))
            hubs[name] = {"kubernetes_version": "1.33", "phase": "active"}
    elif choice == "weight-sum":
        name = draw(st.sampled_from(serving))
        weight = targets[name]["weight"]
        targets[name]["weight"] = draw(st.integers(1, 100).filter(lambda w: w != weight))
    elif choice == "serving-zero":
        targets[draw(st.sampled_from(serving))]["weight"] = 0
    elif choice == "idle-weight":
        targets[draw(st.sampled_from(idle))]["weight"] = draw(st.integers(1, 100))
    elif choice == "no-serving":
        for target in targets.values():
            target.update(phase=draw(st.sampled_from(["provisioning", "registered", "retiring"])), weight=0)
    elif choice == "empty-map":
        data[draw(st.sampled_from(["hubs", "targets", "apps"]))] = {}
    elif choice == "traffic-app":
        data["traffic"]["app"] = draw(_regex("dns").filter(lambda a: a not in data["apps"]))
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
        owner = draw(st.sampled_from([*hubs.values(), *targets.values(), data["traffic"]]))
        key = "allowed_cidrs" if owner is data["traffic"] else "public_access_cidrs"
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
    "2001-01-01",
    "0x10",
    ".inf",
    "[a, b]",
    "{a: 1}",
    "!!binary aGk=",
    "!!int 3",
    "? [x]\n",
]
"""YAML keys that are not strings."""
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
    spots = [(), *(f.path for f in fields(data) if f.kind in ("model", "entry", "names"))]
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
        target = draw(st.sampled_from(fields(data)))
        put(data, target.path, TOKEN)
        if kind == "raw-value":
            raw = draw(st.sampled_from(RAW_VALUES))
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

"""The EKS managed add-on versions EKS offers per Kubernetes minor: the one table, beside the
Kubernetes versions table (fleet/versions.py).

A generation runs the add-on versions it was born with (`addons` on a hub or target, else the
fleet's `addons`, the defaults for new generations). A version not listed here for the
generation's minor is refused: this table lists only versions read from a source named on its
row, never one guessed. Each AWS "latest version" table lists one version per minor at the time
it was read; EKS keeps offering a version after a newer one comes out (`aws eks
describe-addon-versions --addon-name <name> --kubernetes-version <minor>` lists them all), so
every version read for a minor stays on its row. To use another version, read it from AWS
(the command above, or the add-on's page) and add it here with its source, and nowhere else.

Sources (read through the stored copies of the pages, in 2026; the Japanese and Chinese pages
are AWS's own translations of the English tables, with the same rows):

- [coredns-ja] "Manage CoreDNS for DNS in Amazon EKS clusters", CoreDNS versions,
  https://docs.aws.amazon.com/ja_jp/eks/latest/userguide/managing-coredns.md (rows 1.30-1.36)
- [coredns-cn] the same page, https://docs.amazonaws.cn/zh_cn/eks/latest/userguide/managing-coredns.md
  (rows 1.30-1.35)
- [coredns-en] the same page, https://docs.aws.amazon.com/eks/latest/userguide/managing-coredns.html
  (rows 1.28-1.34, an earlier copy)
- [kube-proxy-ja] "Manage kube-proxy in Amazon EKS clusters", kube-proxy versions,
  https://docs.aws.amazon.com/ja_jp/eks/latest/userguide/managing-kube-proxy.md (rows 1.31-1.36)
- [kube-proxy-cn] the same page, https://docs.amazonaws.cn/zh_cn/eks/latest/userguide/managing-kube-proxy.md
  (rows 1.30-1.35)
- [kube-proxy-cn-html] the same page, https://docs.amazonaws.cn/eks/latest/userguide/managing-kube-proxy.html
  (rows 1.28-1.34, an earlier copy)
- [vpc-cni-src] "Assign IPs to Pods with the Amazon VPC CNI", Amazon VPC CNI versions, from its
  source awsdocs/amazon-eks-user-guide latest/ug/networking/managing-vpc-cni.adoc, commit
  057948d9301426e6165db5fddb5617a971d08b6c (rows 1.27-1.33)
- [blueprints-1224] awslabs/cdk-eks-blueprints pull request #1224 (2026-02-16), "Addon Version
  Compatibility Sources" for 1.34: vpc-cni from AWS's VPC CNI table, aws-ebs-csi-driver and
  eks-pod-identity-agent from `aws eks describe-addon-versions --kubernetes-version 1.34`
- [ol-5959] mitodl/ol-infrastructure pull request #5959 (2026-09-21): aws-ebs-csi-driver
  v1.66.0-eksbuild.1 is the `defaultVersion` `describe-addon-versions` gives for 1.36, and
  v1.65.0-eksbuild.1 ran on their 1.36 clusters

Not found, so left out (a pin there is refused until a row is read and added):

- vpc-cni for 1.35 and 1.36: no copy of AWS's table with those rows was found.
- aws-ebs-csi-driver for 1.29-1.33 and 1.35; eks-pod-identity-agent for every minor but 1.34:
  AWS publishes no per-minor table for them, and no `describe-addon-versions` output for those
  minors was found.
- metrics-server (an EKS community add-on since March 31, 2025: "Kubernetes Metrics Server setup
  recommendations", https://repost.aws/articles/ARo3gNWB0fTaOUSasgws8VBA): no version per minor
  was found; the option is there, and refuses every version until rows are added.
- 1.29 for kube-proxy beyond its one row, and everything before 1.29 (not in fleet/versions.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet.versions import KUBERNETES_VERSIONS


@dataclass(frozen=True)
class Addon:
    field: str
    """The field in a fleet file's `addons` section."""
    name: str
    """The EKS add-on name (`aws eks create-addon --addon-name`)."""
    offered: dict[str, tuple[str, ...]]
    """Kubernetes minor -> versions read for it, newest first."""


def version_key(version: str) -> tuple[int, ...]:
    """v1.14.3-eksbuild.3 -> (1, 14, 3, 3): orders add-on versions."""
    release, _, build = version.lstrip("v").partition("-eksbuild.")
    return (*map(int, release.split(".")), int(build or 0))


def _rows(*rows: tuple[tuple[str, ...], tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = {}
    for minors, versions in rows:
        for minor in minors:
            found.setdefault(minor, set()).update(versions)
    ordered = sorted(found, key=lambda m: tuple(map(int, m.split("."))))
    return {minor: tuple(sorted(found[minor], key=version_key, reverse=True)) for minor in ordered}


VPC_CNI = Addon(
    "vpc_cni",
    "vpc-cni",
    _rows(
        (("1.29", "1.30", "1.31", "1.32", "1.33"), ("v1.20.1-eksbuild.3",)),  # [vpc-cni-src]
        (("1.34",), ("v1.21.1-eksbuild.3",)),  # [blueprints-1224]
        # 1.35, 1.36: not found (see the module docstring)
    ),
)
COREDNS = Addon(
    "coredns",
    "coredns",
    _rows(
        (("1.35", "1.36"), ("v1.14.3-eksbuild.3",)),  # [coredns-ja]
        (("1.34",), ("v1.13.2-eksbuild.11",)),  # [coredns-ja]
        (("1.33",), ("v1.12.4-eksbuild.18",)),  # [coredns-ja]
        (("1.30", "1.31", "1.32"), ("v1.11.4-eksbuild.40",)),  # [coredns-ja]
        # [coredns-cn] lists v1.13.2-eksbuild.4 for 1.33 too; the later [coredns-ja] does not: left out
        (("1.34", "1.35"), ("v1.13.2-eksbuild.4",)),  # [coredns-cn]
        (("1.30", "1.31", "1.32"), ("v1.11.4-eksbuild.33",)),  # [coredns-cn]
        (("1.33", "1.34"), ("v1.12.4-eksbuild.1",)),  # [coredns-en]
        (("1.29", "1.30", "1.31", "1.32"), ("v1.11.4-eksbuild.24",)),  # [coredns-en]
    ),
)
KUBE_PROXY = Addon(
    "kube_proxy",
    "kube-proxy",
    _rows(
        (("1.36",), ("v1.36.0-eksbuild.14",)),  # [kube-proxy-ja]
        (("1.35",), ("v1.35.3-eksbuild.13", "v1.35.3-eksbuild.2")),  # [kube-proxy-ja], [kube-proxy-cn]
        (("1.34",), ("v1.34.6-eksbuild.13", "v1.34.6-eksbuild.2", "v1.34.1-eksbuild.2")),  # ja, cn, cn-html
        (("1.33",), ("v1.33.10-eksbuild.13", "v1.33.10-eksbuild.2", "v1.33.5-eksbuild.2")),  # ja, cn, cn-html
        (("1.32",), ("v1.32.13-eksbuild.16", "v1.32.13-eksbuild.5", "v1.32.9-eksbuild.2")),  # ja, cn, cn-html
        (("1.31",), ("v1.31.14-eksbuild.20", "v1.31.14-eksbuild.9", "v1.31.13-eksbuild.2")),  # ja, cn, cn-html
        (("1.30",), ("v1.30.14-eksbuild.28", "v1.30.14-eksbuild.8")),  # [kube-proxy-cn], [kube-proxy-cn-html]
        (("1.29",), ("v1.29.15-eksbuild.16",)),  # [kube-proxy-cn-html]
    ),
)
POD_IDENTITY_AGENT = Addon(
    "eks_pod_identity_agent",
    "eks-pod-identity-agent",
    _rows(
        (("1.34",), ("v1.3.8-eksbuild.2",)),  # [blueprints-1224]
    ),
)
EBS_CSI_DRIVER = Addon(
    "aws_ebs_csi_driver",
    "aws-ebs-csi-driver",
    _rows(
        (("1.36",), ("v1.66.0-eksbuild.1", "v1.65.0-eksbuild.1")),  # [ol-5959]
        (("1.34",), ("v1.48.0-eksbuild.2",)),  # [blueprints-1224]
    ),
)
METRICS_SERVER = Addon("metrics_server", "metrics-server", {})

ADDONS: tuple[Addon, ...] = (VPC_CNI, COREDNS, KUBE_PROXY, POD_IDENTITY_AGENT, EBS_CSI_DRIVER, METRICS_SERVER)
BY_FIELD = {a.field: a for a in ADDONS}

NONE = "none"
"""A pin meaning "no version of this fleet's": the add-on is not a managed add-on of this
generation (EKS's own self-managed vpc-cni, coredns and kube-proxy stay as EKS installs them),
except eks-pod-identity-agent, which every generation runs: `none` there is EKS's default version
at creation, as generations made before add-on pins run it."""


def offered(addon: Addon, minor: str) -> tuple[str, ...]:
    return addon.offered.get(minor, ())


def missing_minors(addon: Addon) -> tuple[str, ...]:
    """The Kubernetes versions of fleet/versions.py this table has no row of `addon` for."""
    return tuple(v for v in KUBERNETES_VERSIONS if v not in addon.offered)


def refusal(addon: Addon, version: str, minor: str, where: str, pin_at: str) -> str | None:
    """One line when EKS offers no `version` of `addon` for `minor` (as far as this table knows);
    `pin_at` is the field the fix goes into."""
    if version == NONE or version in offered(addon, minor):
        return None
    known = offered(addon, minor)
    fix = (
        f"set {pin_at} to one EKS offers for {minor} ({', '.join(known)})"
        if known
        else f"no version of {addon.name} for {minor} is recorded in fleet/addons.py: set {pin_at} to {NONE}, "
        f"or add the row, read from `aws eks describe-addon-versions --addon-name {addon.name} "
        f"--kubernetes-version {minor}`, with its source"
    )
    return f"{where}: {addon.name} {version} is not offered for Kubernetes {minor}; {fix}"


def newest(addon: Addon, minor: str) -> str | None:
    """The newest version read for `minor` (the first of its row), if any."""
    known = offered(addon, minor)
    return known[0] if known else None

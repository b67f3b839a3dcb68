"""The Kubernetes versions Amazon EKS offers, with their support dates: the one table.

Source: "Understand the Kubernetes version lifecycle on EKS", release calendar,
https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar
(read from its source, awsdocs/amazon-eks-user-guide latest/ug/versioning/kubernetes-versions.adoc,
commit 0e7fca3762579493a98cb32ab54b137ab194a2d7, rows 1.29 to 1.35). The 1.36 row is AWS's
calendar as quoted by endoflife-date/release-data (a scrape of that table), not read from an AWS
copy. 1.37 is on EKS since October 2026 (EKS AL2023 AMIs, awslabs/amazon-eks-ami v20261023) but no
copy of its calendar row was found: add its row here, and nowhere else, once read.

Standard support lasts 14 months from the EKS release, extended support (extra cost per cluster
hour) 12 more; after that AWS may upgrade a control plane at any time. Dates are UTC.

Node AMIs: every version here runs Amazon Linux 2023 nodes, of the architecture and accelerator
the instance types name (fleet/model/instances.py); EKS publishes no Amazon Linux 2 AMI for 1.33 and
later ("Amazon EKS AMI deprecation FAQs",
https://docs.aws.amazon.com/eks/latest/userguide/eks-ami-deprecation-faqs.html).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import date
from typing import Literal

from fleet import names

Support = Literal["standard", "extended", "ended"]
TODAY_ENV = "EPHEMERAL_EKS_TODAY"
"""An ISO date that replaces today's (tests pin it so they do not rot)."""


@dataclass(frozen=True)
class EksVersion:
    version: str
    released: date
    """Amazon EKS release."""
    end_of_standard: date
    end_of_extended: date

    def support(self, on: date) -> Support:
        if on <= self.end_of_standard:
            return "standard"
        return "extended" if on <= self.end_of_extended else "ended"


VERSIONS: tuple[EksVersion, ...] = (
    EksVersion("1.29", date(2024, 1, 23), date(2025, 3, 23), date(2026, 3, 23)),
    EksVersion("1.30", date(2024, 5, 23), date(2025, 7, 23), date(2026, 7, 23)),
    EksVersion("1.31", date(2024, 9, 26), date(2025, 11, 26), date(2026, 11, 26)),
    EksVersion("1.32", date(2025, 1, 23), date(2026, 3, 23), date(2027, 3, 23)),
    EksVersion("1.33", date(2025, 5, 29), date(2026, 7, 29), date(2027, 7, 29)),
    EksVersion("1.34", date(2025, 10, 2), date(2026, 12, 2), date(2027, 12, 2)),
    EksVersion("1.35", date(2026, 1, 27), date(2027, 3, 27), date(2028, 3, 27)),
    EksVersion("1.36", date(2026, 6, 2), date(2027, 8, 2), date(2028, 8, 2)),
)
BY_VERSION = {v.version: v for v in VERSIONS}
KUBERNETES_VERSIONS: tuple[str, ...] = tuple(BY_VERSION)
"""Every version a fleet file may name: a live generation keeps validating after its version's
support ended, so that it can still be swapped away and destroyed."""


def today() -> date:
    """Today (UTC), or the date $EPHEMERAL_EKS_TODAY pins."""
    pinned = os.environ.get(TODAY_ENV)
    if pinned:
        return date.fromisoformat(pinned)
    from datetime import UTC, datetime

    return datetime.now(UTC).date()


def newest(on: date) -> EksVersion:
    """The newest version EKS has released by `on`: what a new generation should run."""
    return max((v for v in VERSIONS if v.released <= on), key=lambda v: v.released)


def offered(on: date) -> tuple[str, ...]:
    """Versions a new generation may start on: released, and not past the end of extended support."""
    return tuple(v.version for v in VERSIONS if v.released <= on and v.support(on) != "ended")


BINDING_CHART_DIR = names.PROJECT_ROOT / "charts" / "target-group-binding"
"""The project's own TargetGroupBinding chart, one directory per version (`<version>/Chart.yaml`):
a target generation runs the version it was born with, so a template change reaches only new
generations (the guard refuses a change to the content a live generation runs)."""


def _semver(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-")[0].split("+")[0].lstrip("v").split("."))


@functools.cache
def binding_chart_versions() -> tuple[str, ...]:
    """The versions under `BINDING_CHART_DIR`, oldest first: listed once per process (the charts
    ship with the code; validating a fleet file no longer lists the directory per generation)."""
    found = (
        [d.name for d in BINDING_CHART_DIR.iterdir() if (d / "Chart.yaml").is_file()]
        if BINDING_CHART_DIR.is_dir()
        else []
    )
    return tuple(sorted(found, key=_semver))

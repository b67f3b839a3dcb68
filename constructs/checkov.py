"""A checkov skip written next to the resource it concerns, with its reason.

The skip lands in the resource's JSON comment block (`"//": {"checkov": [...]}`, beside cdktf's
own metadata), which Terraform ignores. checkov's terraform_json runner does not read skip
comments itself, so the test suite does: a failed check passes only where the failing resource
carries `checkov:skip=<ID>:<reason>`.
"""

from __future__ import annotations

from cdktf import TerraformElement

COMMENT_PATH = "//.checkov"
CHECKOV_EKS_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35")
"""The Kubernetes versions CKV_AWS_339 (checkov 3.3.30) accepts; EKS has released newer ones since.
A test pins this to checkov's own list, so a checkov upgrade that learns a version shows here."""


def skip_check(resource: TerraformElement, check_id: str, reason: str) -> None:
    """Record that `check_id` is accepted for `resource`, and why."""
    skips: list[str] = getattr(resource, "_checkov_skips", [])
    skips.append(f"checkov:skip={check_id}:{reason}")
    resource._checkov_skips = skips  # type: ignore[attr-defined]
    resource.add_override(COMMENT_PATH, list(skips))

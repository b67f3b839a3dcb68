"""EPHEMERAL_EKS_AWS_ENDPOINT: run the stacks against a local AWS API emulator.

Set `EPHEMERAL_EKS_AWS_ENDPOINT` to the URL of an emulator (moto_server, LocalStack, ...) when
you synthesize, e.g. `EPHEMERAL_EKS_AWS_ENDPOINT=http://127.0.0.1:5000 npx cdktf deploy shared`,
and the AWS provider of every stack sends every call of each service in `SERVICES` there, with
S3 in path style (a local endpoint has no per-bucket host names). The URL is written into the
synthesized `cdk.tf.json`, so it holds for whatever runs that output (`cdktf deploy`, plain
`terraform`), until the next synth without it. Unset or empty, the provider is configured as
for real AWS and the output does not differ by a byte.

Everything else stays as for AWS: credentials come from the usual chain (an emulator takes any
key, e.g. `AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test`), the fleet's region is the
provider's, and the account id is asked of the emulator's STS. Only the AWS provider is pointed
at the emulator: an S3 state backend, and `aws eks get-token` run by the helm and kubernetes
providers of the generation stacks, still reach real AWS; use local state with an emulator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

ENV = "EPHEMERAL_EKS_AWS_ENDPOINT"

SERVICES: tuple[str, ...] = ("acm", "ec2", "eks", "elb", "elbv2", "iam", "kms", "logs", "s3", "sts", "wafv2")
"""Provider `endpoints` keys set: every service the stacks call (ec2, eks, elbv2, iam, kms, logs,
sts, wafv2), and acm, elb and s3, which no resource of today's stacks calls, so that a stack
planned against an emulator reaches nothing else."""


class EndpointError(ValueError):
    """EPHEMERAL_EKS_AWS_ENDPOINT is set but is not an http(s) URL."""


def aws_endpoint(environ: Mapping[str, str] | None = None) -> str | None:
    """The emulator URL from EPHEMERAL_EKS_AWS_ENDPOINT, or None when it is unset or empty."""
    url = (os.environ if environ is None else environ).get(ENV, "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise EndpointError(f"{ENV}={url!r}: expected the emulator's URL, e.g. http://127.0.0.1:5000")
    return url.rstrip("/")


def aws_provider_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Keyword arguments for `AwsProvider`: none, or those that point it at the emulator."""
    url = aws_endpoint(environ)
    if url is None:
        return {}
    from cdktf_cdktf_provider_aws.provider import AwsProviderEndpoints

    return {
        "endpoints": [AwsProviderEndpoints(**dict.fromkeys(SERVICES, url))],
        "s3_use_path_style": True,
    }

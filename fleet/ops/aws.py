"""AWS for the live checks: boto3 clients in the fleet's region, and the EKS token a Kubernetes
API accepts, made the way `aws eks get-token` makes it (a presigned STS GetCallerIdentity URL
that signs the `x-k8s-aws-id: <cluster>` header, base64url, prefixed `k8s-aws-v1.`)."""

import base64
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from fleet.ops.errors import CheckFailed, Unusable, one_line

TOKEN_PREFIX = "k8s-aws-v1."
TOKEN_HEADER = "x-k8s-aws-id"
TOKEN_EXPIRES = 60
"""Seconds the presigned URL is valid, as `aws eks get-token` signs it (EKS accepts it 15 minutes)."""

AWS_CONFIG = Config(retries={"mode": "standard"}, connect_timeout=5, read_timeout=30)


def aws_reason(err: Exception) -> str:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(err)


def not_found(err: ClientError, *codes: str) -> bool:
    return err.response.get("Error", {}).get("Code") in codes


# --- arguments ---------------------------------------------------------------------------------


class Aws:
    """boto3 clients in the fleet's region, and what several checks read (clusters) read once."""

    def __init__(self, region: str) -> None:
        self.region = region
        core = botocore.session.get_session()
        core.set_config_variable("sts_regional_endpoints", "regional")
        try:
            self.session = boto3.session.Session(botocore_session=core, region_name=region)
        except BotoCoreError as err:  # AWS_PROFILE names no profile, a config file is broken
            raise self._unusable(err) from None
        self._clients: dict[str, Any] = {}
        self._clusters: dict[str, dict[str, Any]] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, config=AWS_CONFIG)
        return self._clients[service]

    def reachable(self) -> None:
        """STS GetCallerIdentity, or Unusable with the reason: no credentials, no network, ..."""
        try:
            self.client("sts").get_caller_identity()
        except (BotoCoreError, ClientError) as err:
            raise self._unusable(err) from None

    def _unusable(self, err: Exception) -> Unusable:
        return Unusable(
            f"fleet check: cannot reach AWS ({self.region}): {one_line(aws_reason(err))}; "
            "set AWS credentials/region or run from a runner that can"
        )

    def cluster(self, name: str) -> dict[str, Any]:
        """DescribeCluster, once per run."""
        if name not in self._clusters:
            try:
                self._clusters[name] = self.client("eks").describe_cluster(name=name)["cluster"]
            except ClientError as err:
                if not_found(err, "ResourceNotFoundException"):
                    raise CheckFailed(f"cluster {name} not found in {self.region}") from None
                raise
        return self._clusters[name]

    def token(self, cluster: str) -> str:
        """What `aws eks get-token --cluster-name CLUSTER` prints as status.token."""
        sts = self.session.client("sts", config=AWS_CONFIG)

        def sign_cluster_header(request: Any, **_: Any) -> None:
            request.headers[TOKEN_HEADER] = cluster

        sts.meta.events.register("before-sign.sts.GetCallerIdentity", sign_cluster_header)
        url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=TOKEN_EXPIRES, HttpMethod="GET")
        return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")

    def target_group(self, name: str) -> dict[str, Any]:
        return self._elbv2_named("describe_target_groups", "TargetGroups", "TargetGroupNotFound", "target group", name)

    def load_balancer(self, name: str) -> dict[str, Any]:
        return self._elbv2_named(
            "describe_load_balancers", "LoadBalancers", "LoadBalancerNotFound", "load balancer", name
        )

    def _elbv2_named(self, operation: str, key: str, missing: str, what: str, name: str) -> dict[str, Any]:
        """The one ELBv2 object `operation` finds by `name` (under `key`); its error code `missing`
        is a failed check that names `what` was not found."""
        try:
            return getattr(self.client("elbv2"), operation)(Names=[name])[key][0]
        except ClientError as err:
            if not_found(err, missing):
                raise CheckFailed(f"{what} {name} not found in {self.region}") from None
            raise


# --- Kubernetes --------------------------------------------------------------------------------

"""Kubernetes for the live checks: one API client per cluster (endpoint and CA from DescribeCluster,
or an `--api-endpoint` override that keeps TLS on), errors as one line, and the Prometheus text
format ArgoCD's controller metrics come in."""

import base64
import contextlib
import json
import re
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fleet.model.shift_checks import loopback
from fleet.ops.aws import Aws
from fleet.ops.errors import CheckFailed, Unusable

KUBE_TIMEOUT = (5.0, 30.0)
"""Connect and read timeouts, seconds, of every Kubernetes request."""


def parse_api_endpoints(values: list[str], clusters: set[str]) -> dict[str, str]:
    """`CLUSTER=URL` options into {cluster: url}; https anywhere, http only on loopback."""
    endpoints: dict[str, str] = {}
    for value in values:
        cluster, sep, url = value.partition("=")
        where = f"--api-endpoint {value!r}"
        if not sep or not cluster or not url:
            raise Unusable(f"fleet check: {where}: write CLUSTER=URL, e.g. acme-target-green=https://127.0.0.1:8443")
        if cluster not in clusters:
            known = ", ".join(sorted(clusters))
            raise Unusable(f"fleet check: {where}: {cluster} is not a cluster of this fleet; use one of {known}")
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise Unusable(f"fleet check: {where}: {url} is not an https:// URL such as https://127.0.0.1:8443")
        if parts.scheme == "http" and not loopback(parts.hostname):
            raise Unusable(
                f"fleet check: {where}: plain http is only for a loopback address (a local proxy); use https"
            )
        if cluster in endpoints:
            raise Unusable(f"fleet check: {where}: {cluster} has two --api-endpoint options; give one")
        endpoints[cluster] = url.rstrip("/")
    return endpoints


# --- AWS ---------------------------------------------------------------------------------------


class Kube:
    """A Kubernetes API client per cluster: endpoint and CA from DescribeCluster (or the
    `--api-endpoint` override), an EKS token for the caller's IAM identity."""

    def __init__(self, aws: Aws, endpoints: dict[str, str], stack: contextlib.ExitStack) -> None:
        self.aws = aws
        self.endpoints = endpoints
        self._stack = stack
        self._clients: dict[str, Any] = {}
        self._ca_dir: Path | None = None

    def api(self, cluster: str) -> Any:
        if cluster not in self._clients:
            from kubernetes import client

            api_client = client.ApiClient(self._configuration(cluster))
            self._stack.callback(api_client.close)
            self._clients[cluster] = api_client
        return self._clients[cluster]

    def url(self, cluster: str) -> str:
        return self.endpoints.get(cluster) or str(self.aws.cluster(cluster).get("endpoint") or "")

    def _configuration(self, cluster: str) -> Any:
        from kubernetes import client
        from urllib3.util.retry import Retry

        url = self.url(cluster)
        if not url:
            raise CheckFailed(f"cluster {cluster} has no API endpoint yet")
        config = client.Configuration()
        config.host = url
        # kubernetes 36 reads the token under BearerToken (and the prefix only under that name)
        config.api_key = {"BearerToken": f"Bearer {self.aws.token(cluster)}"}
        config.retries = Retry(total=1, connect=1, read=0, status=0)
        if urlsplit(url).scheme == "https":
            config.ssl_ca_cert = str(self._ca_file(cluster))
            if cluster in self.endpoints:
                config.tls_server_name = urlsplit(str(self.aws.cluster(cluster)["endpoint"])).hostname
        return config

    def _ca_file(self, cluster: str) -> Path:
        data = (self.aws.cluster(cluster).get("certificateAuthority") or {}).get("data") or ""
        try:
            pem = base64.b64decode(data, validate=True)
        except ValueError:
            pem = b""
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            raise CheckFailed(f"cluster {cluster} has no usable certificate authority in DescribeCluster")
        if self._ca_dir is None:
            self._ca_dir = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="fleet-check-")))
        path = self._ca_dir / f"{cluster}.crt"
        path.write_bytes(pem)
        return path


def _kube_reason(err: Exception, cluster: str, url: str, tunnelled: bool, not_found: str) -> str:
    """One line for a failed Kubernetes request, with what to do about it."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import SSLError

    if isinstance(err, ApiException):
        message = ""
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            message = json.loads(err.body).get("message", "")
        line = f"the Kubernetes API of {cluster} answered {err.status} {err.reason}" + (
            f": {message}" if message else ""
        )
        if err.status in (401, 403):
            return f"{line}; give your IAM identity an EKS access entry on {cluster}"
        return f"{line}; {not_found}" if err.status == 404 and not_found else line
    cause = getattr(err, "reason", None) or err
    reason = re.sub(r"^\w+\(host=[^)]*\): ", "", str(cause))
    if isinstance(cause, SSLError | ssl.SSLError):
        line = f"TLS to the Kubernetes API of {cluster} at {url} failed: {reason}"
        return f"{line}; the tunnel must pass TLS through to the cluster's endpoint unchanged" if tunnelled else line
    line = f"cannot reach the Kubernetes API of {cluster} at {url}: {reason}"
    if tunnelled:
        return f"{line}; is the tunnel up?"
    return f"{line}; a private endpoint needs a tunnel and --api-endpoint {cluster}=https://127.0.0.1:PORT"


@contextlib.contextmanager
def kube_errors(kube: Kube, cluster: str, not_found: str = "") -> Iterator[None]:
    """Turn a Kubernetes client or connection error into CheckFailed; `not_found` is what a 404
    line adds."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except (ApiException, HTTPError, OSError) as err:
        tunnelled = cluster in kube.endpoints
        raise CheckFailed(_kube_reason(err, cluster, kube.url(cluster), tunnelled, not_found)) from None


# --- Prometheus text ---------------------------------------------------------------------------

_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"')


def samples(text: str, metric: str) -> list[tuple[dict[str, str], float]]:
    """The samples of one metric in Prometheus text exposition format: (labels, value)."""
    found = []
    for line in text.splitlines():
        match = _SAMPLE.match(line.strip())
        if not match or match.group(1) != metric:
            continue
        labels = {
            key: re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)
            for key, value in _LABEL.findall(match.group(2) or "")
        }
        try:
            found.append((labels, float(match.group(3))))
        except ValueError:
            continue
    return found

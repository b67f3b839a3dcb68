"""A real Prometheus server (Debian's `prometheus` package) on 127.0.0.1, holding samples stamped
with the fake clock's times.

The samples are written as OpenMetrics, turned into TSDB blocks by `promtool tsdb
create-blocks-from openmetrics` and served by `prometheus --storage.tsdb.path` of those blocks:
no scrape, no wall clock, so a test reads exactly the samples it wrote. The server is started on a
free port, waited for (bounded, /-/ready) and always stopped.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 60.0
Sample = tuple[str, dict[str, str], float, float]
"""(metric name, labels, unix seconds, value)"""


def prometheus_unavailable() -> str | None:
    """Why the tests cannot start Prometheus here, or None."""
    missing = [tool for tool in ("prometheus", "promtool") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not on PATH (Debian: apt-get install prometheus; .ci/run installs it)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def openmetrics(samples: Iterable[Sample]) -> str:
    """The samples as an OpenMetrics text file (gauges; series grouped per metric, times ascending)."""
    by_metric: dict[str, list[Sample]] = {}
    for sample in samples:
        by_metric.setdefault(sample[0], []).append(sample)
    lines = []
    for name, found in by_metric.items():
        lines.append(f"# TYPE {name} gauge")
        for _, labels, stamp, value in sorted(found, key=lambda s: (sorted(s[1].items()), s[2])):
            shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            lines.append(f"{name}{{{shown}}} {value} {stamp:.3f}")
    return "\n".join([*lines, "# EOF", ""])


@contextlib.contextmanager
def running_prometheus(samples: Iterable[Sample], work: Path) -> Iterator[str]:
    """A Prometheus server holding `samples`; yields its base URL (http://127.0.0.1:<port>)."""
    work.mkdir(parents=True, exist_ok=True)
    data, source = work / "data", work / "samples.om"
    source.write_text(openmetrics(samples))
    done = subprocess.run(
        ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"promtool failed: {done.stderr[-2000:]}")
    config = work / "prometheus.yml"
    config.write_text("global:\n  evaluation_interval: 1h\nscrape_configs: []\n")
    port = _free_port()
    log = (work / "prometheus.log").open("w")
    server = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address={HOST}:{port}",
            "--storage.tsdb.retention.time=100y",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if server.poll() is not None:
                raise RuntimeError(
                    f"prometheus exited {server.returncode}: {(work / 'prometheus.log').read_text()[-2000:]}"
                )
            with contextlib.suppress(OSError, urllib.error.URLError):
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as ready:  # noqa: S310 - loopback
                    if ready.status == 200:
                        break
            if time.monotonic() > deadline:
                raise RuntimeError(f"prometheus not ready after {STARTUP_TIMEOUT:.0f} s")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()

"""The acceptance test of `traffic.shift.acceptance`, run before the first step: each incoming
generation is reached through the ALB's header route (`X-Ephemeral-Eks-Generation: <gen>`) while
its weight is still 0, by a command or by an HTTP GET with an expected status. A failure stops the
shift before any weight moves; its output goes to the job summary.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass

from fleet.model.shift import Shift
from fleet.model.shift_checks import Acceptance, fill
from fleet.ops.shift_live import ServiceInState
from fleet.ops.shift_queries import placeholders
from fleet.text import printable

GENERATION_HEADER = "X-Ephemeral-Eks-Generation"
"""The header the listener's per-generation rule matches (constructs/fleet_traffic.py)."""
MAX_OUTPUT = 4000


@dataclass(frozen=True)
class AcceptanceFailed:
    line: str
    """One line: which generation, what failed."""
    output: str
    """What the test printed (its last MAX_OUTPUT characters), or the answer's start."""


def acceptance_failure(
    shift: Shift, service: str, state: ServiceInState, incoming: list[str]
) -> AcceptanceFailed | None:
    """The first incoming generation that fails the acceptance test, or None (or no test)."""
    test = shift.acceptance
    if test is None:
        return None
    base = test.url or (f"https://{state.dns_name}" if state.dns_name else "")
    for generation in incoming:
        if not base:
            return AcceptanceFailed(f"acceptance of {generation}: the state of shared has no DNS name for the ALB", "")
        filled = placeholders(service, state.load_balancer, state.groups[generation], shift.period_minutes * 60)
        failed = _command(test, base, generation, filled) if test.command else _probe(test, base, generation)
        if failed is not None:
            return failed
    return None


def _command(test: Acceptance, base: str, generation: str, filled: dict[str, str]) -> AcceptanceFailed | None:
    assert test.command is not None
    env = {
        **os.environ,
        "FLEET_SHIFT_URL": base,
        "FLEET_SHIFT_HEADER": f"{GENERATION_HEADER}: {generation}",
        "FLEET_SHIFT_GENERATION": generation,
    }
    try:
        done = subprocess.run(
            ["sh", "-c", fill(test.command, filled)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=test.timeout_seconds,
        )
    except subprocess.TimeoutExpired as err:
        out = err.stdout.decode(errors="replace") if isinstance(err.stdout, bytes) else (err.stdout or "")
        return AcceptanceFailed(
            f"acceptance of {generation}: the command ran longer than timeout_seconds {test.timeout_seconds}",
            out[-MAX_OUTPUT:],
        )
    if done.returncode != 0:
        return AcceptanceFailed(
            f"acceptance of {generation}: the command exited {done.returncode}", done.stdout[-MAX_OUTPUT:]
        )
    return None


def _probe(test: Acceptance, base: str, generation: str) -> AcceptanceFailed | None:
    assert test.http is not None
    url = base + test.http.path
    request = urllib.request.Request(url, headers={GENERATION_HEADER: generation}, method="GET")
    context = None if test.verify_tls else ssl._create_unverified_context()  # noqa: S323 - the team's choice
    try:
        with urllib.request.urlopen(request, timeout=test.timeout_seconds, context=context) as answer:  # noqa: S310
            status, body = answer.status, answer.read(MAX_OUTPUT)
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read(MAX_OUTPUT)
    except (OSError, ValueError) as err:
        return AcceptanceFailed(f"acceptance of {generation}: GET {url} failed: {printable(str(err))[:200]}", "")
    if status != test.http.status:
        return AcceptanceFailed(
            f"acceptance of {generation}: GET {url} answered {status}, not {test.http.status}",
            body.decode(errors="replace"),
        )
    return None

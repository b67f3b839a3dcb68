"""`python -m fleet check STACK [FILE]`: which checks a stack gets (`fleet.ops.checks` has the checks
and what each looks at), running them one line each, and waiting for them after a deploy."""

import contextlib
import logging
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from fleet import names
from fleet.lifecycle import SERVING
from fleet.model import Fleet
from fleet.model.load import FleetError, load_fleet
from fleet.ops.aws import Aws, aws_reason
from fleet.ops.checks import (
    apps_synced,
    argocd_connected,
    cluster_active,
    load_balancer_active,
    no_requests,
    node_group_active,
    nodes_ready,
    target_group_healthy,
)
from fleet.ops.defaults import DEFAULT_WINDOW_MINUTES, GROUPS, MAX_WAIT_MINUTES, MAX_WINDOW_MINUTES, RETRY_SECONDS
from fleet.ops.errors import CheckFailed, Outcome, Unusable, one_line
from fleet.ops.kube import Kube, parse_api_endpoints
from fleet.ref import GenerationRef, parse_stack_id

# --- which checks a stack gets -----------------------------------------------------------------


class Check(NamedTuple):
    group: str
    what: str
    """What it checks, for the line when it breaks unexpectedly."""
    run: Callable[[], str]


def cluster_checks(aws: Aws, kube: Kube, cluster: str) -> list[Check]:
    return [
        Check("cluster", f"cluster {cluster}", partial(cluster_active, aws, cluster)),
        Check("cluster", f"node group {names.node_group_name(cluster)}", partial(node_group_active, aws, cluster)),
        Check("cluster", f"nodes of {cluster}", partial(nodes_ready, kube, cluster)),
    ]


def checks_for(
    fleet: Fleet, stack: str, aws: Aws, kube: Kube, *, before_destroy: bool, window_minutes: int
) -> list[Check]:
    fleet_name = fleet.name
    if stack == names.SHARED_STACK:
        checks = []
        for service_name, service in fleet.services.items():
            alb = names.alb_name(fleet_name, service_name)
            serving = [
                names.target_group_name(fleet_name, gen) for gen, t in service.targets.items() if t.phase == SERVING
            ]
            checks += [Check("traffic", f"load balancer {alb}", partial(load_balancer_active, aws, alb))] + [
                Check("traffic", f"target group {group}", partial(target_group_healthy, aws, group))
                for group in serving
            ]
        return checks
    ref = _generation(fleet, stack)
    generation, cluster = ref.name, ref.cluster_name(fleet_name)
    group = names.target_group_name(fleet_name, generation)
    if before_destroy:
        alb = names.alb_name(fleet_name, ref.service or "")
        return [Check("traffic", f"requests to {group}", partial(no_requests, aws, alb, group, window_minutes))]
    checks = cluster_checks(aws, kube, cluster)
    if ref.kind == "target":
        hub = GenerationRef.hub(fleet.active_hub).cluster_name(fleet_name)
        checks += [
            Check("argocd", f"ArgoCD on {hub} reaching {cluster}", partial(argocd_connected, aws, kube, hub, cluster)),
            Check("argocd", f"ArgoCD apps for {generation}", partial(apps_synced, kube, hub, generation)),
            Check("traffic", f"target group {group}", partial(target_group_healthy, aws, group)),
        ]
    return checks


def only(checks: list[Check], stack: str, groups: list[str]) -> list[Check]:
    """The checks of `groups` (all when empty); Unusable when that leaves none."""
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise Unusable(f"fleet check: --only {unknown[0]}: use one of {', '.join(GROUPS)}")
    chosen = [c for c in checks if not groups or c.group in groups]
    if not chosen:
        offered = ", ".join(dict.fromkeys(c.group for c in checks))
        raise Unusable(f"fleet check: {stack} has no {' or '.join(groups)} checks; it has {offered}")
    return chosen


def _generation(fleet: Fleet, stack: str) -> GenerationRef:
    ref = fleet.find(stack)
    if ref is not None:
        return ref
    raise Unusable(f"{stack}: not a stack of fleet {fleet.name}; use shared, argocd-<hub> or target-<target>")


def run_check(stack: str, what: str, check: Callable[[], str]) -> Outcome:
    """One check, one line, whatever happens inside it."""
    try:
        return Outcome(True, f"{stack}: {one_line(check())}")
    except CheckFailed as failed:
        return Outcome(False, f"{stack}: {one_line(failed)}")
    except (BotoCoreError, ClientError) as err:
        return Outcome(False, f"{stack}: {what}: AWS said {one_line(aws_reason(err))}")
    except Exception as err:  # noqa: BLE001 - the promise is one line per check, never a traceback
        return Outcome(False, f"{stack}: {what}: {type(err).__name__}: {one_line(err)}")


def _fleet_clusters(fleet: Fleet) -> set[str]:
    return {ref.cluster_name(fleet.name) for ref, _ in fleet.generations()}


def run(
    file: str,
    stack: str,
    *,
    before_destroy: bool = False,
    window_minutes: int = DEFAULT_WINDOW_MINUTES,
    api_endpoints: list[str] | None = None,
    groups: list[str] | None = None,
    wait_minutes: int = 0,
) -> int:
    """The `check` command: print the lines, return the exit code (0 passed, 1 failed, 2 unusable).
    With `wait_minutes`, failed checks are run again every `RETRY_SECONDS` until they pass or the
    time is up (a node still joining, ArgoCD still syncing): what the pipeline runs after a deploy."""
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # its retry warnings would add lines
    if not 0 <= wait_minutes <= MAX_WAIT_MINUTES:
        print(f"fleet check: --wait-minutes {wait_minutes}: give 0 to {MAX_WAIT_MINUTES} minutes", file=sys.stderr)
        return 2
    try:
        outcomes = _run(file, stack, before_destroy, window_minutes, api_endpoints or [], groups or [], wait_minutes)
    except (FleetError, Unusable) as err:
        print(err, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fleet check: interrupted", file=sys.stderr)
        return 130
    failed = [o.line for o in outcomes if not o.ok]
    for line in failed or [o.line for o in outcomes]:
        print(line, file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0


def _run(
    file: str,
    stack: str,
    before_destroy: bool,
    window_minutes: int,
    api_endpoints: list[str],
    groups: list[str],
    wait_minutes: int = 0,
) -> list[Outcome]:
    fleet = load_fleet(file)
    parsed = parse_stack_id(stack)
    if before_destroy and (parsed is None or parsed[0] != "target"):
        raise Unusable(f"fleet check: {stack}: --before-destroy is for a target-<gen> stack")
    if not 1 <= window_minutes <= MAX_WINDOW_MINUTES:
        raise Unusable(f"fleet check: --window-minutes {window_minutes}: give 1 to {MAX_WINDOW_MINUTES} minutes")
    endpoints = parse_api_endpoints(api_endpoints, _fleet_clusters(fleet))
    aws = Aws(fleet.region)
    with contextlib.ExitStack() as resources:
        kube = Kube(aws, endpoints, resources)
        every = checks_for(fleet, stack, aws, kube, before_destroy=before_destroy, window_minutes=window_minutes)
        checks = only(every, stack, groups)
        aws.reachable()
        return until_passed(stack, checks, wait_minutes * 60)


def until_passed(
    stack: str,
    checks: list[Check],
    wait_seconds: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Outcome]:
    """Run every check; while some fail and `wait_seconds` have not passed, run the failed ones
    again every `RETRY_SECONDS`. The outcomes of the last try of each."""
    deadline = clock() + wait_seconds
    outcomes = {check: run_check(stack, check.what, check.run) for check in checks}
    while any(not o.ok for o in outcomes.values()) and clock() + RETRY_SECONDS <= deadline:
        sleep(RETRY_SECONDS)
        for check, outcome in outcomes.items():
            if not outcome.ok:
                outcomes[check] = run_check(stack, check.what, check.run)
    return list(outcomes.values())

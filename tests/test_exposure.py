"""Doors are narrow by default: who may reach an ALB, a generation before it serves, or a cluster's
API is listed in the fleet file, a wide public range needs its named opt-in (and validate warns of
it), and operator and API doors never admit a large part of the internet. No app of a service may
deploy into Kubernetes' own namespaces or the platform's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet import names
from fleet.model.limits import SYSTEM_NAMESPACES
from fleet.model.load import FleetError, validate
from support.cli import run_fleet
from support.fleets import example_data


def _traffic(d: dict[str, Any]) -> dict[str, Any]:
    return d["services"]["web"]["traffic"]


REFUSED = {
    # name -> (edit of steady, the one line it gets)
    "an ALB with no clients listed and no opt-in": (
        lambda d: _traffic(d).pop("internet_facing"),
        "services.web.traffic.allowed_cidrs: list who may reach the ALB (your clients' CIDRs), or set "
        "internet_facing: true to serve everyone (0.0.0.0/0)",
    ),
    "everyone on an ALB without the opt-in": (
        lambda d: (_traffic(d).pop("internet_facing"), _traffic(d).update(allowed_cidrs=["0.0.0.0/0"])),
        "services.web.traffic.allowed_cidrs: 0.0.0.0/0 opens the ALB to the internet; set internet_facing: true if "
        "that is what you mean, or list your clients' ranges",
    ),
    "a /12 of public space on an ALB without the opt-in": (
        lambda d: (_traffic(d).pop("internet_facing"), _traffic(d).update(allowed_cidrs=["52.0.0.0/12"])),
        "services.web.traffic.allowed_cidrs: 52.0.0.0/12 opens the ALB to the internet",
    ),
    "operators from the whole internet": (
        lambda d: _traffic(d).update(operator_cidrs=["0.0.0.0/0"]),
        "services.web.traffic.operator_cidrs: 0.0.0.0/0 opens the generations that take no traffic yet to a large "
        "part of the internet; list your own ranges (/8 or narrower)",
    ),
    "operators from the whole internet, opt-in or not": (
        lambda d: (_traffic(d).update(operator_cidrs=["0.0.0.0/1"]), d.update(allow_wide_admin_cidrs=True)),
        "services.web.traffic.operator_cidrs: 0.0.0.0/1 opens the generations that take no traffic yet",
    ),
    "operators from a wide public range": (
        lambda d: _traffic(d).update(operator_cidrs=["52.0.0.0/12"]),
        "services.web.traffic.operator_cidrs: 52.0.0.0/12 is a public range wider than a /16; list your own "
        "ranges, or set allow_wide_admin_cidrs: true if that is what you mean",
    ),
    "the API from the whole internet": (
        lambda d: d.update(api_access={"cidrs": ["0.0.0.0/0"]}),
        "api_access.cidrs: 0.0.0.0/0 opens every cluster's API endpoint to a large part of the internet",
    ),
    "the API from a wide public range": (
        lambda d: d.update(api_access={"cidrs": ["52.0.0.0/12"]}),
        "api_access.cidrs: 52.0.0.0/12 is a public range wider than a /16",
    ),
    "a public endpoint for a wide public range": (
        lambda d: d["hubs"]["blue"].update(public_access_cidrs=["52.0.0.0/12"]),
        "hubs.blue.public_access_cidrs: 52.0.0.0/12 is a public range wider than a /16",
    ),
    **{
        f"an app that is not served in {namespace}": (
            lambda d, namespace=namespace: d["services"]["web"]["apps"].update(
                extra={
                    "repo_url": "https://charts.example.com",
                    "chart": "extra",
                    "version": "1.0.0",
                    "namespace": namespace,
                }
            ),
            f"services.web.apps.extra.namespace: {namespace} is Kubernetes' or the platform's own",
        )
        for namespace in (*SYSTEM_NAMESPACES, *names.PLATFORM_NAMESPACES)
    },
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_wide_door_without_its_opt_in_is_refused_in_one_line(case):
    edit, says = REFUSED[case]
    with pytest.raises(FleetError) as refused:
        validate(example_data("steady", edit), "fleet.yaml")
    lines = str(refused.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"fleet.yaml: {says}"), lines


PASSES = {
    "clients listed, no opt-in": lambda d: (
        _traffic(d).pop("internet_facing"),
        _traffic(d).update(allowed_cidrs=["203.0.113.0/24"]),
    ),
    "a private range of any size": lambda d: (
        _traffic(d).pop("internet_facing"),
        _traffic(d).update(allowed_cidrs=["10.0.0.0/8"], operator_cidrs=["172.16.0.0/12"]),
        d.update(api_access={"cidrs": ["10.0.0.0/8"]}),
    ),
    "a wide operator range with the opt-in": lambda d: (
        _traffic(d).update(operator_cidrs=["52.0.0.0/12"]),
        d.update(allow_wide_admin_cidrs=True),
    ),
}


@pytest.mark.parametrize("case", sorted(PASSES))
def test_a_narrow_door_or_an_opted_in_one_is_valid(case):
    validate(example_data("steady", PASSES[case]), "fleet.yaml")


def test_validate_warns_of_every_door_opened_wide(tmp_path):
    data = example_data(
        "steady", lambda d: (_traffic(d).update(operator_cidrs=["52.0.0.0/12"]), d.update(allow_wide_admin_cidrs=True))
    )
    path = tmp_path / "wide.yaml"
    path.write_text(yaml.safe_dump(data))
    done = run_fleet("validate", path)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if ": warning: " in line]
    assert warnings == [
        f"{path}: warning: services.web.traffic.internet_facing: its ALB takes requests from 0.0.0.0/0",
        f"{path}: warning: services.web.traffic.operator_cidrs: 52.0.0.0/12 is a wide public range (allow_wide_admin_cidrs)",
    ]


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda tmp: tmp, "a directory, not a fleet file"),
        (lambda tmp: (os.mkfifo(tmp / "pipe"), tmp / "pipe")[1], "a named pipe (FIFO), not a fleet file"),
        (lambda tmp: Path("/dev/zero"), "a character device, not a fleet file"),
        (lambda tmp: tmp / "absent.yaml", "no such fleet file"),
    ],
    ids=["directory", "fifo", "device", "missing"],
)
def test_a_fleet_path_that_is_not_a_regular_file_gets_its_own_line(tmp_path, make, says):
    """Neither read (a FIFO would block, /dev/zero never ends) nor called missing."""
    path = make(tmp_path)
    done = run_fleet("validate", path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"{path}: {says}; pass the path of a fleet YAML file (FLEET=... or an argument)"
    ]

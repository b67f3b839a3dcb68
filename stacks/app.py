"""Build every stack of a fleet into a cdktf App."""

from __future__ import annotations

from cdktf import App

from fleet.model import Fleet
from stacks.hub import HubStack
from stacks.literal import terraform_literals
from stacks.shared import SharedStack
from stacks.target import TargetStack


def build(app: App, fleet: Fleet) -> None:
    """`shared`, then one stack per hub and per target generation, in fleet-file order.
    Stack ids are a public contract: `cdktf deploy <id>` takes them. The stacks read the fleet
    only through `terraform_literals`: no fleet-file string reaches Terraform as an expression."""
    fleet = terraform_literals(fleet)
    outdir = app.outdir
    SharedStack(app, fleet, outdir)
    for generation in fleet.hubs:
        HubStack(app, fleet, generation, outdir)
    for generation in fleet.targets:
        TargetStack(app, fleet, generation, outdir)

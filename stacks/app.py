"""Build every stack of a fleet into a cdktf App."""

from __future__ import annotations

from datetime import date

from cdktf import App

from fleet.model import Fleet
from fleet.model.resolved import resolve
from stacks.hub import HubStack
from stacks.literal import terraform_literals
from stacks.shared import SharedStack
from stacks.target import TargetStack


def build(app: App, fleet: Fleet, on: date) -> None:
    """`shared`, then one stack per hub and per target generation, in fleet-file order.
    Stack ids are a public contract: `cdktf deploy <id>` takes them. The stacks read the fleet
    only through its resolved view (fleet/model/resolved.py), built once here from
    `terraform_literals`: no fleet-file string reaches Terraform as an expression."""
    view = resolve(terraform_literals(fleet), on)
    outdir = app.outdir
    SharedStack(app, view.fleet, outdir)
    for generation in view.hubs:
        HubStack(app, view, generation, outdir)
    for generation in view.targets:
        TargetStack(app, view, generation, outdir)

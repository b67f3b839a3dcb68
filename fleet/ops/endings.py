"""How generations leave: retired (deregistered, weight 0), destroyed while still in the file (so
`cdktf destroy` finds the stack), then removed from the file - with their service, when it is the
last one. The planner writes these steps into its draft after a swap, a promotion or a service's
closing."""

from __future__ import annotations

from fleet import names
from fleet.lifecycle import DESTROYED, PROVISIONING, RETIRING, STANDBY
from fleet.model import Fleet
from fleet.ops.commands import CheckRun, checks_after_deploy, deploy, deploy_hubs, destroy
from fleet.ops.edits import Edit
from fleet.ops.step import Draft
from fleet.ref import Section

EMPTY = "the PR gate's `fleet plan --base` confirms its state is empty"


def retire(draft: Draft, service: str, leaving: list[str], whose: str) -> None:
    """The PR that retires registered targets at weight 0: deregistered from every hub, their
    operator rule closed; their apps keep running until the stack is destroyed."""
    draft.pr(
        f"Retire {', '.join(leaving)} {whose}: deregister it from every hub and close its operator rule",
        {Section.targets(service): {n: {"phase": RETIRING} for n in leaving}},
        commands=(deploy(names.SHARED_STACK), *deploy_hubs(draft.fleet)),
        checks=tuple(CheckRun(names.stack_id("target", n), "--before-destroy") for n in leaving),
        rollback=f"PR setting {', '.join(leaving)} back to registered; deploy the hubs (re-register), then shared",
    )


def end_leaving(draft: Draft, section: Section, why: str) -> None:
    """The generations of `section` on their way out: a destroyed one leaves the file, a retiring
    one is destroyed, then leaves (with its service, if it is the last)."""
    if section.service is not None and section.service not in draft.fleet.services:
        return  # the service left the file with its last generation
    phases = {n: t.phase for n, t in section.lookup(draft.fleet).items()}
    for name in [n for n, p in phases.items() if p == DESTROYED]:
        remove_destroyed(draft, section, name)
    for name in [n for n, p in phases.items() if p == RETIRING]:
        rollback = f"none once destroyed; until then, a PR setting {name} back to registered"
        destroy_target(draft, section, name, why=why, rollback=rollback)


def removal_edit(fleet: Fleet, section: Section, name: str) -> Edit:
    """The edit that removes a generation from the file: the whole service with its last target."""
    service = section.service
    if service is not None and list(fleet.services[service].targets) == [name]:
        return {Section.services(): {service: None}}
    return {section: {name: None}}


def _removal_title(gone: Edit, what: str, shared_drops: str) -> str:
    if Section.services() in gone:
        service = next(iter(gone[Section.services()]))
        return (
            f"Remove service {service} from the fleet file with its last generation, {what} (shared drops the "
            f"service's ALB; {EMPTY})"
        )
    if shared_drops == "nothing":
        return f"Remove {what} from the fleet file ({EMPTY})"
    return f"Remove {what} from the fleet file (shared drops {shared_drops}; {EMPTY})"


def _removal_rollback(gone: Edit, name: str, first_phase: str) -> str:
    if Section.services() in gone:
        service = next(iter(gone[Section.services()]))
        return f"add service {service} back with a new generation (phase: provisioning); its new ALB has a new DNS name"
    return f"add {name} back as a new generation (phase: {first_phase})"


def destroy_target(draft: Draft, section: Section, name: str, why: str, rollback: str) -> None:
    """The PR that ends a target generation nothing depends on (phase destroyed), its `cdktf
    destroy`, then the PR removing it from the file."""
    stack = names.stack_id("target", name)
    had_rule = section.lookup(draft.fleet)[name].phase == PROVISIONING  # its operator rule goes from shared too
    draft.pr(
        f"Destroy {stack} ({why})",
        {section: {name: {"phase": DESTROYED}}},
        commands=(destroy(stack), *((deploy(names.SHARED_STACK),) if had_rule else ())),
        rollback=rollback,
    )
    gone = removal_edit(draft.fleet, section, name)
    draft.pr(
        _removal_title(gone, f"target {name}", "its target group"),
        gone,
        commands=(deploy(names.SHARED_STACK),),
        rollback=_removal_rollback(gone, name, PROVISIONING),
    )


def remove_destroyed(draft: Draft, section: Section, name: str) -> None:
    """A generation already in phase destroyed: its stack was destroyed by the last deploy."""
    hubs = section == Section.hubs()
    stack = names.stack_id("hub" if hubs else "target", name)
    gone = removal_edit(draft.fleet, section, name)
    draft.pr(
        _removal_title(gone, f"{stack} (destroyed)", "nothing" if hubs else "its target group"),
        gone,
        commands=() if hubs else (deploy(names.SHARED_STACK),),
        rollback=_removal_rollback(gone, name, STANDBY if hubs else PROVISIONING),
    )


def retire_hub(draft: Draft, name: str, superseded_by: str | None = None) -> None:
    """A paused or superseded hub: destroyed, then removed from the file."""
    fleet = draft.fleet
    stack = names.stack_id("hub", name)
    why = f" (superseded by {superseded_by})" if superseded_by else " (paused since the step before)"
    draft.pr(
        f"Destroy {stack}{why}",
        {Section.hubs(): {name: {"phase": DESTROYED}}},
        commands=(destroy(stack),),
        checks=(
            CheckRun(names.stack_id("hub", fleet.active_hub)),
            *checks_after_deploy([n for n, t in fleet.targets.items() if t.registered]),
        ),
        rollback=f"none once destroyed; until the PR merges, keep {name} {fleet.hubs[name].phase}",
    )
    draft.pr(
        f"Remove hub {name} from the fleet file (no other stack changes; {EMPTY})",
        {Section.hubs(): {name: None}},
        rollback=f"add {name} back as a new generation (phase: standby)",
    )

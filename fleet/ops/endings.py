"""How generations leave: retired (deregistered, weight 0), destroyed while still in the file (so
`cdktf destroy` finds the stack), then removed from the file - with their service, when it is the
last one. The planner puts these steps after a swap, a promotion or a service's closing."""

from __future__ import annotations

from fleet import names
from fleet.lifecycle import DESTROYED, PROVISIONING, RETIRING, STANDBY
from fleet.model import Fleet
from fleet.ops.commands import check_command, checks_after_deploy, deploy, destroy, hub_order
from fleet.ops.edits import Edit, apply_edit, describe_edit
from fleet.ops.step import Step
from fleet.ref import Section


def retire(fleet: Fleet, service: str, leaving: list[str], whose: str) -> Step:
    """The PR that retires registered targets at weight 0: deregistered from every hub, their
    operator rule closed; their apps keep running until the stack is destroyed."""
    edit: Edit = {Section.targets(service): {n: {"phase": RETIRING} for n in leaving}}
    return Step(
        title=f"Retire {', '.join(leaving)} {whose}: deregister it from every hub and close its operator rule",
        edit=edit,
        changes=describe_edit(fleet, edit),
        commands=(deploy(names.SHARED_STACK), *(deploy(s) for s in hub_order(fleet))),
        checks=tuple(check_command(names.stack_id("target", n), "--before-destroy") for n in leaving),
        rollback=f"PR setting {', '.join(leaving)} back to registered; deploy the hubs (re-register), then shared",
    )


def end_leaving(fleet: Fleet, section: Section, why: str) -> list[Step]:
    """The generations of `section` on their way out: a destroyed one leaves the file, a retiring
    one is destroyed, then leaves (with its service, if it is the last)."""
    steps: list[Step] = []
    current = fleet

    def phases() -> dict[str, str]:
        try:
            return {n: t.phase for n, t in section.lookup(current).items()}
        except KeyError:  # the service left the file with its last generation
            return {}

    for name in [n for n, p in phases().items() if p == DESTROYED]:
        steps.append(remove_destroyed(current, section, name))
        current = apply_edit(current, removal_edit(current, section, name))
    for name in [n for n, p in phases().items() if p == RETIRING]:
        rollback = f"none once destroyed; until then, a PR setting {name} back to registered"
        steps += destroy_target(current, section, name, why=why, rollback=rollback)
        current = apply_edit(current, removal_edit(current, section, name))
    return steps


def removal_edit(fleet: Fleet, section: Section, name: str) -> Edit:
    """The edit that removes a generation from the file: the whole service with its last target."""
    service = section.service
    if service is not None and list(fleet.services[service].targets) == [name]:
        return {Section.services(): {service: None}}
    return {section: {name: None}}


def _removal_title(gone: Edit, what: str, shared_drops: str) -> str:
    check = "the PR gate's `fleet plan --base` confirms its state is empty"
    if Section.services() in gone:
        service = next(iter(gone[Section.services()]))
        return (
            f"Remove service {service} from the fleet file with its last generation, {what} (shared drops the "
            f"service's ALB; {check})"
        )
    if shared_drops == "nothing":
        return f"Remove {what} from the fleet file ({check})"
    return f"Remove {what} from the fleet file (shared drops {shared_drops}; {check})"


def _removal_rollback(gone: Edit, name: str, first_phase: str) -> str:
    if Section.services() in gone:
        service = next(iter(gone[Section.services()]))
        return f"add service {service} back with a new generation (phase: provisioning); its new ALB has a new DNS name"
    return f"add {name} back as a new generation (phase: {first_phase})"


def destroy_target(
    fleet: Fleet, section: Section, name: str, why: str, rollback: str, checks: tuple[str, ...] = ()
) -> list[Step]:
    """The PR that ends a target generation nothing depends on (phase destroyed), its `cdktf
    destroy`, then the PR removing it from the file."""
    stack = names.stack_id("target", name)
    end: Edit = {section: {name: {"phase": DESTROYED}}}
    had_rule = section.lookup(fleet)[name].phase == PROVISIONING  # its operator rule goes from shared too
    gone = removal_edit(fleet, section, name)
    return [
        Step(
            title=f"Destroy {stack} ({why})",
            edit=end,
            changes=describe_edit(fleet, end),
            commands=(destroy(stack), *((deploy(names.SHARED_STACK),) if had_rule else ())),
            checks=checks,
            rollback=rollback,
        ),
        Step(
            title=_removal_title(gone, f"target {name}", "its target group"),
            edit=gone,
            changes=describe_edit(apply_edit(fleet, end), gone),
            commands=(deploy(names.SHARED_STACK),),
            rollback=_removal_rollback(gone, name, PROVISIONING),
        ),
    ]


def remove_destroyed(fleet: Fleet, section: Section, name: str) -> Step:
    """A generation already in phase destroyed: its stack was destroyed by the last deploy."""
    kind: names.Kind = "hub" if section == Section.hubs() else "target"
    stack = names.stack_id(kind, name)
    gone = removal_edit(fleet, section, name)
    return Step(
        title=_removal_title(
            gone, f"{stack} (destroyed)", "nothing" if section == Section.hubs() else "its target group"
        ),
        edit=gone,
        changes=describe_edit(fleet, gone),
        commands=(deploy(names.SHARED_STACK),) if section != Section.hubs() else (),
        rollback=_removal_rollback(gone, name, STANDBY if section == Section.hubs() else PROVISIONING),
    )


def retire_hub(fleet: Fleet, name: str, superseded_by: str | None = None) -> list[Step]:
    stack = names.stack_id("hub", name)
    why = f" (superseded by {superseded_by})" if superseded_by else " (paused since the step before)"
    end: Edit = {Section.hubs(): {name: {"phase": DESTROYED}}}
    gone: Edit = {Section.hubs(): {name: None}}
    return [
        Step(
            title=f"Destroy {stack}{why}",
            edit=end,
            changes=describe_edit(fleet, end),
            commands=(destroy(stack),),
            checks=(
                check_command(names.stack_id("hub", fleet.active_hub)),
                *checks_after_deploy(fleet, [n for n, t in fleet.targets.items() if t.registered]),
            ),
            rollback=f"none once destroyed; until the PR merges, keep {name} {fleet.hubs[name].phase}",
        ),
        Step(
            title=f"Remove hub {name} from the fleet file (no other stack changes; the PR gate's `fleet plan "
            "--base` confirms its state is empty)",
            edit=gone,
            changes=describe_edit(apply_edit(fleet, end), gone),
            rollback=f"add {name} back as a new generation (phase: standby)",
        ),
    ]

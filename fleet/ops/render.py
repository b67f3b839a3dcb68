"""A plan as people and pipelines read it: text with each step's PR, commands, checks and
rollback, or JSON."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from fleet import names
from fleet.addons import ADDONS, NONE
from fleet.addons import newest as newest_addon
from fleet.lifecycle import DESTROYED, is_live
from fleet.model import Fleet, Hub, Target
from fleet.ops.edits import edit_json
from fleet.ops.shift_shown import judged_lines
from fleet.ops.step import Step
from fleet.ref import GenerationRef
from fleet.versions import newest, today


def upgrade_note(fleet: Fleet) -> str:
    """The newest EKS version, and which generations run an older one."""
    best = newest(today())
    behind = [
        f"{ref.path} ({spec.kubernetes_version})"
        for ref, spec in fleet.generations()
        if spec.phase != DESTROYED and spec.kubernetes_version != best.version
    ]
    note = f"newest EKS version: {best.version} (standard support until {best.end_of_standard})"
    return note + (f"; move {', '.join(behind)} to it with new generations" if behind else "")


def platform_note(fleet: Fleet) -> list[str]:
    """What each new generation (not live yet) runs of the platform - its charts and add-on
    versions - when that differs from what a live generation of its kind runs, and the newest
    add-on versions EKS offers for its Kubernetes version (fleet/addons.py) where it takes older
    ones. Nothing when every generation runs the same."""
    lines: list[str] = []
    generations = [(ref, spec, _platform(fleet, spec)) for ref, spec in fleet.generations()]
    for ref, spec, runs in generations:
        if spec.phase == DESTROYED or is_live(ref.kind, spec.phase):
            continue
        live = {
            item
            for other, other_spec, other_runs in generations
            if other.kind == ref.kind and is_live(other.kind, other_spec.phase)
            for item in other_runs.items()
        }
        if set(runs.items()) <= live:
            continue
        taken = ", ".join(f"{name} {version}" for name, version in runs.items() if version != NONE)
        lines.append(f"platform of {ref.path} (new, {spec.kubernetes_version}): {taken}")
        newer = [
            f"{addon.field} {best}"
            for addon in ADDONS
            if (best := newest_addon(addon, spec.kubernetes_version)) is not None
            and fleet.addon_version(spec, addon.field) not in (NONE, best)
        ]
        if newer:
            lines.append(
                f"  newer add-ons EKS offers for {spec.kubernetes_version} (fleet/addons.py): {', '.join(newer)}"
            )
    return lines


def _platform(fleet: Fleet, spec: Hub | Target) -> dict[str, str]:
    charts = (
        {"argo-cd chart": fleet.argocd_chart(spec), "argocd-apps chart": fleet.apps_chart(spec)}
        if isinstance(spec, Hub)
        else {"aws-load-balancer-controller chart": fleet.lbc_chart(spec)}
    )
    return charts | {addon.name: fleet.addon_version(spec, addon.field) for addon in ADDONS}


def reach(fleet: Fleet) -> list[str]:
    """How an operator reaches what the checks look at: a kubeconfig alias per generation (the
    alias is the stack id), and ArgoCD on the active hub through the operator's own kube
    credentials (`argocd admin dashboard`, `argocd login --core`: the local admin is disabled).
    The private endpoints answer only from networks `api_access` lets in."""
    hub = GenerationRef.hub(fleet.active_hub).stack_id
    lines = ["reach (from a network api_access lets in; the alias is the stack id):"]
    for ref, spec in fleet.generations():
        if spec.phase != DESTROYED:
            cluster, alias = ref.cluster_name(fleet.name), ref.stack_id
            lines.append(f"  aws eks update-kubeconfig --region {fleet.region} --name {cluster} --alias {alias}")
    ns = names.ARGOCD_NAMESPACE
    lines += [
        f"  ArgoCD (active hub {fleet.active_hub}; no local admin, your kube credentials are the login): "
        f"kubectl config use-context {hub}, then",
        f"  argocd admin dashboard -n {ns} (the UI on http://localhost:8080) or argocd login --core",
    ]
    return lines


def render_text(source: str, fleet: Fleet, steps: list[Step]) -> str:
    if not steps:
        return "\n".join(
            [
                f"{source}: steady - one serving target, one active hub, nothing to do.",
                upgrade_note(fleet),
                *reach(fleet),
            ]
        )
    lines = [
        f"{source}: {len(steps)} steps to a steady fleet",
        upgrade_note(fleet),
        *platform_note(fleet),
        *reach(fleet),
    ]
    for number, step in enumerate(steps, 1):
        lines.append("")
        lines.append(f"{number}. {step.title}")
        if step.changes:
            lines.append("   PR (fleet file):")
            lines += [f"     {c}" for c in step.changes]
        if step.commands:
            lines.append("   then run, in order:")
            lines += [f"     {c}" for c in step.commands]
            lines += judged_lines(fleet, step.commands, prefix="   ")
        if step.checks:
            lines.append("   check before the next step:")
            lines += [f"     - {c}" for c in step.checks]
        lines.append(f"   rollback: {step.rollback}")
    return "\n".join(lines)


def render_json(source: str, steps: list[Step]) -> dict[str, Any]:
    return {
        "fleet": source,
        "steady": not steps,
        "steps": [
            {
                "number": i,
                **{f.name: getattr(s, f.name) for f in fields(s)},
                "edit": edit_json(s.edit),
                "commands": [str(c) for c in s.commands],
                "checks": [str(c) for c in s.checks],
                "changes": list(s.changes),
            }
            for i, s in enumerate(steps, 1)
        ],
    }

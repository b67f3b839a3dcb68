"""The resolved view: every generation with what it runs, worked out once right after loading.

A fleet file leaves much unsaid: a generation that pins nothing runs the fleet's zones, ranges,
charts and add-ons. `resolve(fleet, on)` turns the model into one value per generation (its ref,
stack id, cluster name, service, phase, whether it is live) with every setting resolved and
marked `pinned` (the generation's own value) or defaulted (the fleet's). The stacks, the guard,
the planner, the checks and the shift read it instead of looking a generation up again and
resolving defaults on their own.

`PINNABLE` is the one table of settings a generation can pin: the fleet-wide setting that is its
default, the generation's own field, and how the default is found. The guard's advice to pin a
live generation, the stacks' values and `fleet plan`'s platform lines all come from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from fleet import names
from fleet.addons import ADDONS, NONE
from fleet.lifecycle import is_live
from fleet.model.access import Grant, grant_of, namespace_labels
from fleet.model.fleet import Fleet
from fleet.model.generation import Hub, Target
from fleet.ref import GenerationRef
from fleet.versions import binding_chart_versions


@dataclass(frozen=True)
class Pinnable:
    """A setting a generation may pin to the value it was born with."""

    fleet_wide: str
    """The fleet-file path of the default: `network.zones`, `addons.vpc_cni`."""
    field: str
    """The generation's own field (a dotted path under it): `zones`, `addons.vpc_cni`."""
    kinds: frozenset[names.Kind]
    """The kinds of generation that run it."""

    unset: Any = None
    """What a generation runs when neither it nor the fleet sets a value (`none` for an add-on)."""

    def default(self, fleet: Fleet) -> Any:
        """The fleet's value, for a generation that pins nothing."""
        found = _path(fleet, self.fleet_wide)
        return self.unset if found is None else found


def _path(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


BOTH: frozenset[names.Kind] = frozenset({"hub", "target"})
PINNABLE: tuple[Pinnable, ...] = (
    Pinnable("network.zones", "zones", BOTH),
    Pinnable("network.private_subnet_ids", "private_subnet_ids", BOTH),
    Pinnable("service_cidr", "service_cidr", BOTH),
    Pinnable("argocd.chart_version", "argocd_chart", frozenset({"hub"})),
    Pinnable("argocd.apps_chart_version", "apps_chart", frozenset({"hub"})),
    Pinnable("load_balancer_controller.chart_version", "lbc_chart", frozenset({"target"})),
    *(Pinnable(f"addons.{addon.field}", f"addons.{addon.field}", BOTH, unset=NONE) for addon in ADDONS),
)
"""Fleet-wide settings a generation can pin, in the order the fleet reference lists them."""


@dataclass(frozen=True)
class Setting:
    """One resolved setting of one generation."""

    pinnable: Pinnable
    value: Any
    pinned: bool
    """The generation's own value; False when it runs the fleet's default."""


@dataclass(frozen=True)
class ResolvedGeneration:
    ref: GenerationRef
    spec: Hub | Target
    stack_id: str
    cluster_name: str
    service: str | None
    phase: str
    live: bool
    settings: tuple[Setting, ...]
    binding_chart: str | None
    """A target's TargetGroupBinding chart (charts/target-group-binding/<version>/): its pin,
    else the newest shipped; None for a hub."""
    grant: Grant | None
    """What ArgoCD may do on a target (fleet/model/access.py): its pin, else its service's; None
    for a hub."""
    grant_pinned: bool
    namespaces: tuple[tuple[str, str], ...]
    """A target's grant's namespaces, each with the app its label names (`namespace_labels`)."""

    @property
    def registered(self) -> bool:
        """A target every hub has a cluster Secret for (its apps deploy to it)."""
        return isinstance(self.spec, Target) and self.spec.registered

    def setting(self, field: str) -> Setting:
        return next(s for s in self.settings if s.pinnable.field == field)

    def value(self, field: str) -> Any:
        return self.setting(field).value

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(self.value("zones") or ())

    @property
    def private_subnet_ids(self) -> tuple[str, ...]:
        return tuple(self.value("private_subnet_ids") or ())

    @property
    def service_cidr(self) -> str:
        return str(self.value("service_cidr"))

    def addon_version(self, field: str) -> str:
        """The version of add-on `field` (fleet/addons.py) it runs, or `none`."""
        return str(self.value(f"addons.{field}"))

    def addon_versions(self) -> dict[str, str | None]:
        """EKS add-on name -> the version it runs (None: `none`), every add-on."""
        found = {a.name: self.addon_version(a.field) for a in ADDONS}
        return {name: (None if version == NONE else version) for name, version in found.items()}


@dataclass(frozen=True)
class Resolved:
    fleet: Fleet
    on: date
    generations: tuple[ResolvedGeneration, ...]

    def __iter__(self) -> Iterator[ResolvedGeneration]:
        return iter(self.generations)

    def service_targets(self, service: str) -> tuple[ResolvedGeneration, ...]:
        """A service's target generations, in file order."""
        return tuple(g for g in self.targets if g.service == service)

    def by_stack(self, stack_id: str) -> ResolvedGeneration | None:
        """The generation whose stack this is; None for `shared` or a stack not in the fleet."""
        return next((g for g in self.generations if g.stack_id == stack_id), None)

    def hub(self, name: str) -> ResolvedGeneration:
        return _one(self.generations, "hub", name)

    def target(self, name: str) -> ResolvedGeneration:
        return _one(self.generations, "target", name)

    @property
    def hubs(self) -> tuple[ResolvedGeneration, ...]:
        return tuple(g for g in self.generations if g.ref.kind == "hub")

    @property
    def targets(self) -> tuple[ResolvedGeneration, ...]:
        return tuple(g for g in self.generations if g.ref.kind == "target")


def _one(generations: tuple[ResolvedGeneration, ...], kind: str, name: str) -> ResolvedGeneration:
    return next(g for g in generations if g.ref.kind == kind and g.ref.name == name)


def resolve(fleet: Fleet, on: date) -> Resolved:
    """Every generation of `fleet`, hubs first, then each service's targets, in file order, with
    what it runs on day `on` (nothing here reads the clock or the disk but the shipped charts,
    listed once)."""
    shipped = binding_chart_versions()
    newest_binding = shipped[-1] if shipped else None
    found = []
    for ref, spec in fleet.generations():
        settings = tuple(_setting(fleet, spec, pinnable) for pinnable in PINNABLE if ref.kind in pinnable.kinds)
        found.append(
            ResolvedGeneration(
                ref=ref,
                spec=spec,
                stack_id=ref.stack_id,
                cluster_name=ref.cluster_name(fleet.name),
                service=ref.service,
                phase=spec.phase,
                live=is_live(ref.kind, spec.phase),
                settings=settings,
                binding_chart=(spec.binding_chart or newest_binding) if isinstance(spec, Target) else None,
                **_access(fleet, ref, spec),
            )
        )
    return Resolved(fleet=fleet, on=on, generations=tuple(found))


def _access(fleet: Fleet, ref: GenerationRef, spec: Hub | Target) -> dict[str, Any]:
    if not isinstance(spec, Target) or ref.service is None:
        return {"grant": None, "grant_pinned": False, "namespaces": ()}
    service = fleet.services[ref.service]
    return {
        "grant": grant_of(service, ref.name),
        "grant_pinned": spec.grant is not None,
        "namespaces": tuple(namespace_labels(service, ref.name).items()),
    }


def _setting(fleet: Fleet, spec: Hub | Target, pinnable: Pinnable) -> Setting:
    pin = _path(spec, pinnable.field)
    if pin is not None and pin != "":
        return Setting(pinnable, pin, pinned=True)
    return Setting(pinnable, pinnable.default(fleet), pinned=False)

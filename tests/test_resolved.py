"""The resolved view (fleet/model/resolved.py): what each generation runs, pinned or defaulted,
worked out once from the fleet file; the one table of settings a generation can pin."""

from __future__ import annotations

from datetime import date
from typing import get_args

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from pydantic import BaseModel

from fleet.model import Fleet, Hub, Target
from fleet.model.load import load_fleet, validate
from fleet.model.resolved import PINNABLE, resolve
from support.examples import examples
from support.fleet_strategies import valid_fleets
from support.paths import EXAMPLES

ON = date(2026, 11, 27)
ALL_EXAMPLES = sorted(EXAMPLES.glob("*.yaml"))


def _raw(data: dict, dotted: str) -> object:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _check(data: dict, fleet: Fleet) -> None:
    view = resolve(fleet, ON)
    stacks = [g.stack_id for g in view]
    assert len(stacks) == len(set(stacks)), "one resolved generation per stack"
    for generation in view:
        assert view.by_stack(generation.stack_id) is generation
        section = "hubs" if generation.ref.kind == "hub" else f"services.{generation.service}.targets"
        raw = _raw(data, f"{section}.{generation.ref.name}")
        assert isinstance(raw, dict)
        assert generation.phase == raw["phase"]
        assert generation.cluster_name.endswith(
            f"-{'argocd' if generation.ref.kind == 'hub' else 'target'}-{generation.ref.name}"
        )
        for setting in generation.settings:
            pin = _raw(raw, setting.pinnable.field)
            assert setting.pinned == (pin not in (None, "")), (generation.stack_id, setting.pinnable.field)
            if setting.pinned:
                assert _same(setting.value, pin), (generation.stack_id, setting.pinnable.field)
            else:
                assert setting.value == setting.pinnable.default(fleet)
    assert view.by_stack("shared") is None


def _same(value: object, raw: object) -> bool:
    if isinstance(value, tuple):
        return list(value) == list(raw)  # type: ignore[arg-type]
    return str(value) == str(raw)


@pytest.mark.parametrize("path", ALL_EXAMPLES, ids=lambda p: p.stem)
def test_every_setting_of_every_example_is_its_pin_or_the_fleets_default(path):
    data = yaml.safe_load(path.read_text())
    _check(data, load_fleet(path))


@settings(
    max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(valid_fleets())
def test_every_setting_of_a_generated_fleet_is_its_pin_or_the_fleets_default(data):
    _check(data, validate(data, "generated"))


def _has(model: type[BaseModel], dotted: str) -> bool:
    """Whether `dotted` is a field path of `model`, through nested models (optional or not)."""
    head, _, rest = dotted.partition(".")
    if head not in model.model_fields:
        return False
    if not rest:
        return True
    annotation = model.model_fields[head].annotation
    nested = [a for a in (annotation, *get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)]
    return any(_has(n, rest) for n in nested)


def test_the_pinnable_table_names_fields_the_fleet_file_has():
    """A renamed field or fleet-wide setting fails here, not as a silently unpinned generation."""
    kinds = {"hub": Hub, "target": Target}
    for pinnable in PINNABLE:
        assert _has(Fleet, pinnable.fleet_wide), pinnable.fleet_wide
        for kind in pinnable.kinds:
            assert _has(kinds[kind], pinnable.field), (kind, pinnable.field)
    assert not _has(Fleet, "network.no_such_field") and not _has(Target, "argocd_chart")

"""Stack ids and resource addresses are a public contract: renaming a construct id replaces real
infrastructure. The addresses of the steady example and of two services (examples/two-services.yaml:
each service's ALB under `traffic-<service>` in shared) are pinned; a rename fails here first.

After a deliberate rename (with a migration plan: `terraform state mv` or a new generation),
refresh the pin with `UPDATE_ADDRESSES=1 make test`.
"""

from __future__ import annotations

import json
import os

from support.paths import ROOT

PIN = ROOT / "tests" / "snapshots" / "steady-addresses.json"
TWO_SERVICES_PIN = ROOT / "tests" / "snapshots" / "two-services-addresses.json"


def addresses(stacks: dict) -> dict[str, list[str]]:
    out = {}
    for stack_id, stack in sorted(stacks.items()):
        found = [f"{kind}.{name}" for kind, items in stack.get("resource", {}).items() for name in items]
        found += [f"data.{kind}.{name}" for kind, items in stack.get("data", {}).items() for name in items]
        out[stack_id] = sorted(found)
    return out


def _check_pinned(stacks: dict, pin) -> None:
    current = addresses(stacks)
    if os.environ.get("UPDATE_ADDRESSES"):
        pin.write_text(json.dumps(current, indent=2) + "\n")
    pinned = json.loads(pin.read_text())
    assert sorted(current) == sorted(pinned), "stack ids changed"
    for stack_id in pinned:
        gone = sorted(set(pinned[stack_id]) - set(current[stack_id]))
        new = sorted(set(current[stack_id]) - set(pinned[stack_id]))
        assert not gone and not new, (
            f"{stack_id}: addresses would be destroyed {gone} and created {new}; "
            "if deliberate, refresh with UPDATE_ADDRESSES=1"
        )


def test_steady_fleet_stack_ids_and_resource_addresses_are_pinned(steady):
    _check_pinned(steady, PIN)


def test_two_services_stack_ids_and_resource_addresses_are_pinned(synth):
    _check_pinned(synth("examples/two-services.yaml"), TWO_SERVICES_PIN)


def test_a_renamed_construct_id_is_caught(steady):
    renamed = json.loads(json.dumps(steady))
    clusters = renamed["target-blue"]["resource"]["aws_eks_cluster"]
    [(name, body)] = clusters.items()
    clusters[name.replace("eks_cluster", "eks_control_plane")] = clusters.pop(name)
    assert addresses(renamed)["target-blue"] != json.loads(PIN.read_text())["target-blue"]

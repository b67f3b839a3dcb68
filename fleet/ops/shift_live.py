"""What a shift touches: the synthesized `shared` stack through Terraform (the owner of the
weights) and the ALB listener in AWS (read back after every apply).

A step is `terraform apply -target=<the service's HTTPS listener> -refresh=false -var
weight_<svc>_<gen>=N ...` in the synthesized stack's directory: one resource, no synth, no refresh
of the rest of `shared` (the pre-flight compared the live weights with the state, and every apply
is read back). The pre-flight reads the state with `terraform state pull` (the provider is not
started) and plans the file without refresh at the weights the state holds, so that any change it
plans is one besides the weights. The weights' variables default to the fleet file's, so a plain
plan after a step shows exactly the weights still to come.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleet import names
from fleet.errors import FleetFailure
from fleet.ops.shift_metrics import TargetGroupRef, arn_dimension
from fleet.ops.shift_record import Weights
from fleet.ops.shift_signals import run_child
from fleet.text import shorten

TERRAFORM_TIMEOUT = 1800


class ShiftRefused(FleetFailure):
    """The shift cannot start or go on; `str()` is one line saying why and what to do."""


@dataclass(frozen=True)
class ServiceInState:
    listener: str
    """Terraform address of the service's HTTPS listener."""
    listener_arn: str
    load_balancer: str
    """`app/<name>/<id>`: the LoadBalancer dimension."""
    groups: dict[str, TargetGroupRef]
    """Per generation, its target group."""
    arns: dict[str, str]
    """Target group ARN -> generation."""
    weights: Weights
    """The weights the state holds."""
    dns_name: str = ""
    """The ALB's DNS name (the acceptance test's default address)."""


Runner = Callable[[list[str], Path], subprocess.CompletedProcess[str]]


def run_terraform(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Terraform in `cwd`; a signal held during it reaches it as SIGINT (fleet.ops.shift_signals)."""
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
    return run_child(["terraform", *args], cwd=cwd, env=env, timeout=TERRAFORM_TIMEOUT)


class ShiftTerraform:
    """Terraform in the synthesized `shared` stack's directory."""

    def __init__(self, directory: Path, fleet_name: str, service: str, run: Runner = run_terraform) -> None:
        self.directory = directory
        self.fleet_name = fleet_name
        self.service = service
        self.run = run

    def _ok(self, args: list[str], what: str) -> str:
        done = self.run(args, self.directory)
        if done.returncode != 0:
            detail = " ".join((done.stderr or done.stdout).split())
            raise ShiftRefused(f"terraform {what} failed in {self.directory}: {shorten(detail, 400)}")
        return done.stdout

    def init(self) -> None:
        self._ok(["init", "-input=false", "-no-color"], "init")

    def variables(self) -> Weights:
        """The weights' variables of this service in the synthesized stack, with their defaults."""
        try:
            stack = json.loads((self.directory / "cdk.tf.json").read_text())
        except (OSError, ValueError) as err:
            raise ShiftRefused(
                f"{self.directory}: no synthesized shared stack ({err}); run `npx cdktf synth` first"
            ) from None
        prefix = names.weight_variable(self.service, "")
        return {
            name.removeprefix(prefix): int(body["default"])
            for name, body in stack.get("variable", {}).items()
            if name.startswith(prefix)
        }

    def state(self) -> ServiceInState:
        """The service's listener, target groups and weights as the state holds them."""
        resources = _resources(self._ok(["state", "pull"], "state pull"))
        alb_name = names.alb_name(self.fleet_name, self.service)
        albs = [r for r in resources if r["type"] == "aws_lb" and r["values"].get("name") == alb_name]
        if not albs:
            raise ShiftRefused(
                f"the state of shared has no ALB {alb_name}: deploy shared first (`cdktf deploy shared`)"
            )
        alb_arn = albs[0]["values"]["arn"]
        listeners = [
            r
            for r in resources
            if r["type"] == "aws_lb_listener"
            and r["values"].get("load_balancer_arn") == alb_arn
            and r["values"].get("port") == 443
        ]
        if not listeners:
            raise ShiftRefused(f"the state of shared has no HTTPS listener on {alb_name}: deploy shared first")
        groups, arns = {}, {}
        for r in resources:
            if r["type"] != "aws_lb_target_group":
                continue
            for gen in [
                g for g in self.variables() if names.target_group_name(self.fleet_name, g) == r["values"]["name"]
            ]:
                groups[gen] = TargetGroupRef(gen, arn_dimension(r["values"]["arn"], "targetgroup"))
                arns[r["values"]["arn"]] = gen
        listener = listeners[0]
        weights = _forward_weights(listener["values"].get("default_action", []), arns, snake=True)
        return ServiceInState(
            listener=listener["address"],
            listener_arn=listener["values"]["arn"],
            load_balancer=arn_dimension(alb_arn, "loadbalancer"),
            groups=groups,
            arns=arns,
            weights=weights,
            dns_name=str(albs[0]["values"].get("dns_name") or ""),
        )

    def pending_besides_weights(self, state: ServiceInState) -> list[str]:
        """Addresses a plan of the file would change besides this service's weights: the plan keeps
        the weights the state holds (`-var`), so the listener is listed only when something else of
        it changes. One `plan -json` (its planned changes, without the provider's schema)."""
        done = self.run(
            [
                "plan",
                "-input=false",
                "-no-color",
                "-json",
                "-lock-timeout=60s",
                "-refresh=false",  # the file against the state; the weights' drift is read from AWS apart
                *_vars(self.service, state.weights),
            ],
            self.directory,
        )
        messages = [_message(line) for line in done.stdout.splitlines()]
        if done.returncode != 0:
            errors = [
                f"{m.get('@message', '')} {m.get('diagnostic', {}).get('detail', '')}".strip()
                for m in messages
                if m.get("@level") == "error"
            ]
            detail = " ".join(" ".join(errors or [done.stderr or done.stdout]).split())
            raise ShiftRefused(f"terraform plan failed in {self.directory}: {shorten(detail, 400)}")
        return [
            f"{m['change']['resource']['addr']} ({m['change']['action']})"
            for m in messages
            if m.get("type") == "planned_change" and m["change"].get("action") not in ("noop", "read")
        ]

    def apply(self, weights: Weights, listener: str, refresh: bool = False) -> None:
        """The weights onto the listener alone. A step needs no refresh (the live weights were
        compared with the state before the first, and each apply is read back); a rollback
        refreshes, so that it restores the weights whatever the ALB serves."""
        self._ok(
            [
                "apply",
                "-input=false",
                "-auto-approve",
                "-no-color",
                "-lock-timeout=60s",
                f"-refresh={'true' if refresh else 'false'}",
                f"-target={listener}",
                *_vars(self.service, weights),
            ],
            "apply",
        )


def _vars(service: str, weights: Weights) -> list[str]:
    return [f"-var={names.weight_variable(service, gen)}={weight}" for gen, weight in sorted(weights.items())]


def _resources(pulled: str) -> list[dict[str, Any]]:
    """The managed resources of a `terraform state pull` (the state as stored, read without the
    provider), each as `show -json` names it: its address, its type and its attributes as `values`."""
    state = json.loads(pulled) if pulled.strip() else {}
    found = []
    for resource in state.get("resources", []):
        if resource.get("mode") != "managed":
            continue
        base = ".".join(filter(None, (resource.get("module"), resource["type"], resource["name"])))
        for instance in resource.get("instances", []):
            key = instance.get("index_key")
            index = "" if key is None else f"[{json.dumps(key)}]"
            found.append({"address": base + index, "type": resource["type"], "values": instance["attributes"]})
    return found


def _message(line: str) -> dict[str, Any]:
    """One line of Terraform's machine-readable output (`-json`); {} for anything else."""
    try:
        message = json.loads(line)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def _forward_weights(actions: list[dict[str, Any]], arns: dict[str, str], snake: bool) -> Weights:
    """Weights per generation of a listener's forward default action (state: snake_case; the
    ELBv2 API: CamelCase). A generation absent from the forward has weight 0."""
    weights = dict.fromkeys(arns.values(), 0)
    for action in actions:
        if snake:
            groups = [g for f in action.get("forward", []) or [] for g in f.get("target_group", []) or []]
            pairs = [(g["arn"], g["weight"]) for g in groups]
        else:
            groups = (action.get("ForwardConfig") or {}).get("TargetGroups", [])
            pairs = [(g["TargetGroupArn"], g.get("Weight", 1)) for g in groups]
        for arn, weight in pairs:
            if arn in arns:
                weights[arns[arn]] = int(weight)
    return weights


def live_weights(elbv2: Any, state: ServiceInState) -> Weights:
    """The weights AWS serves now (DescribeListeners), per generation."""
    listener = elbv2.describe_listeners(ListenerArns=[state.listener_arn])["Listeners"][0]
    return _forward_weights(listener.get("DefaultActions", []), state.arns, snake=False)


def restore_weights(elbv2: Any, state: ServiceInState, weights: Weights) -> Weights:
    """`weights` onto the listener through the ELBv2 API alone (ModifyListener of its forward, every
    other field as DescribeListeners gives it), then the weights read back. What a cancelled shift
    does: well under a second, where a Terraform apply takes longer than GitHub waits."""
    listener = elbv2.describe_listeners(ListenerArns=[state.listener_arn])["Listeners"][0]
    actions = []
    for action in listener.get("DefaultActions", []):
        forward = action.get("ForwardConfig")
        if action.get("Type") == "forward" and forward:
            groups = [
                {**group, "Weight": weights.get(state.arns.get(group["TargetGroupArn"], ""), group.get("Weight", 1))}
                for group in forward.get("TargetGroups", [])
            ]
            action = {k: v for k, v in action.items() if k != "TargetGroupArn"}
            action["ForwardConfig"] = {**forward, "TargetGroups": groups}
        actions.append(action)
    elbv2.modify_listener(ListenerArn=state.listener_arn, DefaultActions=actions)
    return live_weights(elbv2, state)

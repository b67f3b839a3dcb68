"""One hub, many services: each service's swaps stay inside its own stacks, its apps run only in
its own ArgoCD project on its own clusters, and its ALB reaches its pods on their own port.

Fleets are examples/two-services.yaml (web steady; api mid-swap) and files derived from it, each
synthesized once per session; every check reads the synthesized JSON.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet import names
from fleet.gate.diff import diff_stacks
from fleet.gate.guard import refusals as guard_refusals
from fleet.gate.phases import transition_refusals
from fleet.model.load import FleetError, load_fleet, validate
from fleet.ops.edits import apply_edit
from fleet.ops.planner import plan
from fleet.ref import Section, parse_stack_id
from support.cli import run_fleet
from support.fleets import example_data
from support.paths import ROOT
from support.synth import Stacks, Synth, resources

TWO = "examples/two-services.yaml"
Edit = Callable[[dict[str, Any]], None]


def _raw(stacks_dir: Path) -> dict[str, str]:
    return {d.name: (d / "cdk.tf.json").read_text() for d in sorted(stacks_dir.iterdir())}


@pytest.fixture(scope="session")
def two(synth: Synth) -> Stacks:
    return synth(TWO)


@pytest.fixture(scope="session")
def variant(synth: Synth, derived_fleet: Callable[..., Path]) -> Callable[[str, Edit], tuple[Path, dict[str, str]]]:
    """A fleet derived from the two-service example, synthesized: (its file, stack -> JSON text)."""

    def make(name: str, edit: Edit) -> tuple[Path, dict[str, str]]:
        path = derived_fleet(TWO, name, edit)
        return path, _raw(synth.outdir(path) / "stacks")

    return make


def _target_stacks_of(fleet_file: str | Path, service: str) -> list[str]:
    fleet = load_fleet(ROOT / fleet_file)
    return [names.stack_id("target", g) for g in fleet.services[service].targets]


def _hub_values(stacks: Stacks, hub: str = "argocd-blue") -> dict[str, Any]:
    release = next(r for r in resources(stacks[hub], "helm_release").values() if r["name"] == "applicationsets")
    return json.loads(release["values"][0])


def _cluster_secrets(stacks: Stacks, hub: str = "argocd-blue") -> list[dict[str, Any]]:
    return list(resources(stacks[hub], "kubernetes_secret_v1").values())


# --- the example ------------------------------------------------------------------------------


def test_one_target_stack_per_target_generation(two: Stacks) -> None:
    fleet = load_fleet(ROOT / TWO)
    generations = [g for service in fleet.services.values() for g in service.targets]
    assert len(fleet.services) == 2 and len(generations) == 3
    kinds = {stack: parse_stack_id(stack) for stack in two}
    targets = sorted(stack for stack, parsed in kinds.items() if parsed and parsed[0] == "target")
    assert targets == sorted(names.stack_id("target", g) for g in generations)
    assert sorted(set(two) - set(targets)) == ["argocd-blue", "shared"]


def test_each_service_has_its_own_alb_and_target_groups(two: Stacks) -> None:
    fleet = load_fleet(ROOT / TWO)
    shared = two["shared"]
    albs = {lb["name"]: lb for lb in resources(shared, "aws_lb").values()}
    assert sorted(albs) == sorted(names.alb_name(fleet.name, s) for s in fleet.services)
    for service, spec in fleet.services.items():
        groups = {
            tg["name"]
            for tg in resources(shared, "aws_lb_target_group").values()
            if tg["tags"][names.TAG_SERVICE] == service
        }
        assert groups == {names.target_group_name(fleet.name, g) for g in spec.targets}
    for stack in _target_stacks_of(TWO, "api"):
        sg = resources(two[stack], "aws_security_group") and two[stack]["data"]["aws_security_group"]
        assert {d["name"] for d in sg.values()} >= {names.alb_security_group_name(fleet.name, "api")}
        tags = two[stack]["provider"]["aws"][0]["default_tags"][0]["tags"]
        assert tags[names.TAG_SERVICE] == "api"


def test_the_alb_reaches_pods_on_their_own_port(two: Stacks) -> None:
    """api's Service listens on 80 and its pods on 9898: the ALB (IP targets) opens 9898."""
    shared = two["shared"]
    api_alb_sg = next(
        key for key, sg in resources(shared, "aws_security_group").items() if sg["name"] == "acme-api-alb"
    )
    egress = [
        r
        for r in resources(shared, "aws_vpc_security_group_egress_rule").values()
        if api_alb_sg in r["security_group_id"]
    ]
    assert [(r["from_port"], r["to_port"]) for r in egress] == [(9898, 9898)]
    api_groups = [
        tg for tg in resources(shared, "aws_lb_target_group").values() if tg["tags"][names.TAG_SERVICE] == "api"
    ]
    assert {tg["port"] for tg in api_groups} == {80}
    for stack in _target_stacks_of(TWO, "api"):
        rule = next(
            r
            for key, r in resources(two[stack], "aws_vpc_security_group_ingress_rule").items()
            if "app-from-alb" in key
        )
        assert (rule["from_port"], rule["to_port"]) == (9898, 9898)
        binding = next(r for r in resources(two[stack], "helm_release").values() if r["name"].endswith("-tgb"))
        values = json.loads(binding["values"][0])
        assert (values["serviceName"], values["servicePort"]) == ("api-podinfo", 80)


# --- ArgoCD: projects, ApplicationSets, values --------------------------------------------------


def _selects(appset: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = appset["generators"][0]["clusters"]["selector"]["matchLabels"]
    return all(labels.get(k) == v for k, v in wanted.items())


def test_no_application_runs_in_default_and_each_service_selects_only_its_clusters(two: Stacks) -> None:
    fleet = load_fleet(ROOT / TWO)
    values = _hub_values(two)
    appsets, projects = values["applicationsets"], values["projects"]
    assert sorted(projects) == sorted(names.project_name(s) for s in fleet.services)
    secrets = _cluster_secrets(two)
    assert secrets, "the hub registers the targets"
    for name, appset in appsets.items():
        project = appset["template"]["spec"]["project"]
        assert project != "default" and project in projects, name
        service = next(s for s in fleet.services if name.startswith(f"{s}-"))
        assert project == names.project_name(service)
        selected = {s["metadata"]["name"] for s in secrets if _selects(appset, s["metadata"]["labels"])}
        expected = {
            names.cluster_name(fleet.name, "target", g)
            for g, t in fleet.services[service].targets.items()
            if t.registered
        }
        assert selected == expected, name
    selectors = {
        json.dumps(a["generators"][0]["clusters"]["selector"], sort_keys=True)
        for n, a in appsets.items()
        if n.startswith("web-")
    }
    assert selectors.isdisjoint(
        json.dumps(a["generators"][0]["clusters"]["selector"], sort_keys=True)
        for n, a in appsets.items()
        if n.startswith("api-")
    )


def test_a_project_reaches_only_its_clusters_namespaces_and_repositories(two: Stacks) -> None:
    fleet = load_fleet(ROOT / TWO)
    projects = _hub_values(two)["projects"]
    for service, spec in fleet.services.items():
        project = projects[names.project_name(service)]
        clusters = {names.cluster_name(fleet.name, "target", g) for g, t in spec.targets.items() if t.registered}
        namespaces = {a.namespace for a in spec.apps.values()}
        assert {(d["name"], d["namespace"]) for d in project["destinations"]} == {
            (c, n) for c in clusters for n in namespaces
        }
        assert all(set(d) == {"name", "namespace"} for d in project["destinations"]), "no server wildcard"
        assert set(project["sourceRepos"]) == {a.repo_url for a in spec.apps.values()}
        kinds = {(r["group"], r["kind"]) for r in project["clusterResourceWhitelist"]}
        assert kinds == {(r.group, r.kind) for r in spec.cluster_resources}  # issue 27: no implied Namespace


def test_every_target_stack_creates_its_services_namespaces_and_argocd_creates_none(two: Stacks) -> None:
    fleet = load_fleet(ROOT / TWO)
    appsets = _hub_values(two)["applicationsets"]
    for service, spec in fleet.services.items():
        for app_name in spec.apps:
            options = appsets[f"{service}-{app_name}"]["template"]["spec"]["syncPolicy"].get("syncOptions", [])
            assert "CreateNamespace=true" not in options, f"{service}/{app_name}"
        for stack in _target_stacks_of(TWO, service):
            made = {n["metadata"]["name"] for n in resources(two[stack], "kubernetes_namespace_v1").values()}
            assert made == {a.namespace for a in spec.apps.values()}


def test_git_path_sources_beside_helm_charts(two: Stacks) -> None:
    appsets = _hub_values(two)["applicationsets"]
    guestbook = appsets["api-guestbook"]["template"]["spec"]["source"]
    assert guestbook == {
        "repoURL": "https://github.com/argoproj/argocd-example-apps",
        "path": "guestbook",
        "targetRevision": "53e28ff20cc530b9ada2173fbbd64d48338583ba",
    }
    chart = appsets["api-api"]["template"]["spec"]["source"]
    assert chart["chart"] == "podinfo" and chart["helm"]["releaseName"] == "api"


def test_each_generation_takes_its_own_helm_values(two: Stacks) -> None:
    """apps.api.values for every api generation, apigreen's override merged over them."""
    by_cluster = {s["metadata"]["name"]: s["metadata"]["annotations"] for s in _cluster_secrets(two)}
    key = names.ANNOTATION_VALUES + "api"
    blue = json.loads(by_cluster["acme-target-apiblue"][key])
    green = json.loads(by_cluster["acme-target-apigreen"][key])
    assert blue == {"replicaCount": 2, "service": {"externalPort": 80}}
    assert green == {**blue, "resources": {"requests": {"cpu": "200m", "memory": "128Mi"}}}
    assert json.loads(by_cluster["acme-target-blue"][names.ANNOTATION_VALUES + "podinfo"])["replicaCount"] == 3
    assert not any(k.endswith(".guestbook") for a in by_cluster.values() for k in a), "a Git path takes no values"
    source = _hub_values(two)["applicationsets"]["api-api"]["template"]["spec"]["source"]
    assert key in source["helm"]["values"], "the ApplicationSet reads the generation's annotation"


# --- independence ------------------------------------------------------------------------------


def _add_web_generation(data: dict[str, Any]) -> None:
    data["services"]["web"]["targets"]["webgreen"] = {
        "kubernetes_version": "1.36",
        "phase": "provisioning",
        "weight": 0,
    }


def _register_web_generation(data: dict[str, Any]) -> None:
    _add_web_generation(data)
    data["services"]["web"]["targets"]["webgreen"]["phase"] = "registered"


def _shift_api(data: dict[str, Any]) -> None:
    api = data["services"]["api"]["targets"]
    api["apigreen"].update(phase="serving", weight=10)
    api["apiblue"].update(weight=90)


def _add_service(data: dict[str, Any]) -> None:
    web = data["services"]["web"]
    data["services"]["shop"] = {
        "targets": {"shopblue": {"kubernetes_version": "1.36", "phase": "provisioning", "weight": 0}},
        "apps": copy.deepcopy(web["apps"]),
        "traffic": copy.deepcopy(web["traffic"]),
    }


def _add_standby_hub(data: dict[str, Any]) -> None:
    data["hubs"]["green"] = {"kubernetes_version": "1.36", "phase": "standby"}


INDEPENDENT: dict[str, tuple[Edit, str]] = {
    "a web generation is added": (_add_web_generation, "api"),
    "a web generation is registered": (_register_web_generation, "api"),
    "api's traffic shifts": (_shift_api, "web"),
    "a service is added": (_add_service, "web"),
}


@pytest.mark.parametrize("case", sorted(INDEPENDENT))
def test_a_swap_in_one_service_leaves_the_others_stacks_byte_identical(case: str, variant, synth: Synth) -> None:
    edit, other = INDEPENDENT[case]
    before = _raw(synth.outdir(TWO) / "stacks")
    path, after = variant(case.replace(" ", "-").replace("'", ""), edit)
    untouched = _target_stacks_of(TWO, other)
    assert untouched
    for stack in untouched:
        assert after[stack] == before[stack], f"{case}: {stack} changed"
    changed = {s for s in after if after[s] != before.get(s)}
    hubs = {s for s in after if (parse_stack_id(s) or ("",))[0] == "hub"}
    allowed = {names.SHARED_STACK, *hubs, *(set(after) - set(before))}
    assert changed <= allowed, f"{case}: {sorted(changed - allowed)} changed"
    diffs = diff_stacks({s: json.loads(t) for s, t in before.items()}, {s: json.loads(t) for s, t in after.items()})
    refusals = guard_refusals(
        diffs,
        {s: json.loads(t) for s, t in before.items()},
        {s: json.loads(t) for s, t in after.items()},
        load_fleet(ROOT / TWO),
        load_fleet(path),
    )
    assert not refusals, [str(r) for r in refusals]


def test_a_hub_swap_touches_no_target_stack(variant, synth: Synth) -> None:
    before = _raw(synth.outdir(TWO) / "stacks")
    _, after = variant("standby-hub", _add_standby_hub)
    assert {s for s in after if after[s] != before.get(s)} == {"argocd-green"}


def test_a_new_service_opens_with_its_first_generation(tmp_path: Path) -> None:
    data = _data()
    _add_service(data)
    path = tmp_path / "new-service.yaml"
    path.write_text(yaml.safe_dump(data))
    steps = plan(load_fleet(path))
    opening = [s for s in steps if s.edit and Section.targets("shop") in s.edit]
    assert [s.edit for s in opening] == [
        {Section.targets("shop"): {"shopblue": {"phase": "registered"}}},
        {Section.targets("shop"): {"shopblue": {"phase": "serving", "weight": 100}}},
    ]
    assert "Open service shop" in opening[-1].title


def test_a_pr_leaving_a_serving_service_without_a_serving_generation_is_refused() -> None:
    base = load_fleet(ROOT / TWO)
    head = apply_edit(base, {Section.targets("web"): {"blue": {"phase": "registered", "weight": 0}}})
    reasons = transition_refusals(base, head)
    assert len(reasons) == 1 and reasons[0].startswith("services.web.targets: no generation would serve web")


def test_the_planner_swaps_one_service_at_a_time() -> None:
    fleet = load_fleet(ROOT / TWO)
    steps = plan(fleet)
    assert steps
    current = fleet
    for step in steps:
        if step.edit:
            assert set(step.edit) <= {Section.hubs(), Section.targets("api")}, step.title
            current = apply_edit(current, step.edit)
    assert current.services["web"] == fleet.services["web"]
    assert list(current.services["api"].targets) == ["apigreen"]


# --- the fleet file ----------------------------------------------------------------------------


def _data() -> dict[str, Any]:
    return example_data("two-services")


def _message(edit: Edit) -> str:
    data = _data()
    edit(data)
    with pytest.raises(FleetError) as err:
        validate(data, "fleet.yaml")
    assert len(err.value.problems) == 1, err.value.problems
    return err.value.problems[0]


MISTAKES: dict[str, tuple[Edit, str]] = {
    "a generation name in two services": (
        lambda d: d["services"]["api"]["targets"].update(blue=d["services"]["api"]["targets"].pop("apigreen")),
        "services.api.targets.blue: web has a target generation blue too",
    ),
    "a service named default": (
        lambda d: d["services"].update(default=d["services"].pop("api")),
        "services.default: 'default' is ArgoCD's built-in project",
    ),
    "values on a Git path": (
        lambda d: d["services"]["api"]["apps"]["guestbook"].update(values={"a": 1}),
        "services.api.apps.guestbook.values: Helm values apply to chart sources",
    ),
    "a chart and a Git path at once": (
        lambda d: d["services"]["api"]["apps"]["guestbook"].update(chart="guestbook"),
        "services.api.apps.guestbook: give chart and version (a Helm repository) or path and revision",
    ),
    "a chart without a version": (
        lambda d: d["services"]["api"]["apps"]["api"].pop("version"),
        "services.api.apps.api.version: is required with chart",
    ),
    "values for an app of another service": (
        lambda d: d["services"]["api"]["targets"]["apigreen"].update(values={"podinfo": {"a": 1}}),
        "services.api.targets.apigreen.values.podinfo: not an app of this service",
    ),
    "a served app without a port": (
        lambda d: d["services"]["web"]["apps"]["podinfo"].pop("port"),
        "services.web.apps.podinfo.port: the served app needs its Service port",
    ),
    "a served Git path without its Service": (
        lambda d: (
            d["services"]["api"]["traffic"].update(app="guestbook")
            or d["services"]["api"]["apps"]["guestbook"].update(port=80)
        ),
        "services.api.apps.guestbook.service: a served app from a Git path names its Service",
    ),
    "no services": (lambda d: d.update(services={}), "services: list at least one service"),
    "traffic.app of another service": (
        lambda d: d["services"]["api"]["traffic"].update(app="podinfo"),
        "services.api.traffic.app: 'podinfo' is not an app of this service",
    ),
}


@pytest.mark.parametrize("case", sorted(MISTAKES))
def test_a_mistake_is_one_line_naming_the_field(case: str) -> None:
    edit, expected = MISTAKES[case]
    assert _message(edit).startswith(expected)


def test_a_fleet_file_in_the_one_service_shape_gets_one_line_saying_how_to_rewrite_it(tmp_path: Path) -> None:
    data = _data()
    web = data.pop("services")["web"]
    data.update(web)  # targets, apps, traffic at the top, as before services
    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump(data))
    run = run_fleet("validate", old)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr
    assert "move targets, apps and traffic under services.<name>" in lines[0]
    assert "services: {podinfo: {targets: ..., apps: ..., traffic: ...}}" in lines[0]


# --- closing and removing a service --------------------------------------------------------------


def _close_web(data: dict[str, Any]) -> None:
    data["services"]["web"]["closed"] = True
    data["services"]["web"]["targets"]["blue"].update(phase="registered", weight=0)


def test_a_closed_service_serves_nothing() -> None:
    message = _message(lambda d: d["services"]["web"].update(closed=True))
    assert message.startswith("services.web.closed: a closed service has no serving generation")


def test_closing_a_service_passes_the_gate_and_lets_its_alb_go(variant, synth: Synth) -> None:
    before = _raw(synth.outdir(TWO) / "stacks")
    path, after = variant("closed-web", _close_web)
    base, head = load_fleet(ROOT / TWO), load_fleet(path)
    assert transition_refusals(base, head) == []
    stacks_before = {s: json.loads(t) for s, t in before.items()}
    stacks_after = {s: json.loads(t) for s, t in after.items()}
    refusals = guard_refusals(diff_stacks(stacks_before, stacks_after), stacks_before, stacks_after, base, head)
    assert not refusals, [str(r) for r in refusals]
    for stack in _target_stacks_of(TWO, "api"):
        assert after[stack] == before[stack]
    albs = {lb["name"]: lb for lb in resources(stacks_after["shared"], "aws_lb").values()}
    assert albs["acme-web-alb"]["enable_deletion_protection"] is False
    assert albs["acme-api-alb"]["enable_deletion_protection"] is True
    web_https = next(
        listener
        for key, listener in resources(stacks_after["shared"], "aws_lb_listener").items()
        if key.startswith("traffic-web_https")
    )
    assert web_https["default_action"][0]["type"] == "fixed-response"
    assert web_https["default_action"][0]["fixed_response"]["status_code"] == "503"


def test_the_planner_takes_a_closed_service_out_of_the_file(tmp_path: Path) -> None:
    data = _data()
    _close_web(data)
    path = tmp_path / "closed.yaml"
    path.write_text(yaml.safe_dump(data))
    fleet = load_fleet(path)
    current = fleet
    web_steps = []
    for step in plan(fleet):
        if step.edit:
            if any(section.service == "web" or section == Section.services() for section in step.edit):
                web_steps.append(step)
            before = current
            current = apply_edit(current, step.edit)
            assert transition_refusals(before, current) == [], step.title
    assert "web" not in current.services
    assert [s.edit for s in web_steps] == [
        {Section.targets("web"): {"blue": {"phase": "retiring"}}},
        {Section.targets("web"): {"blue": {"phase": "destroyed"}}},
        {Section.services(): {"web": None}},
    ]
    assert web_steps[1].commands[0] == "cdktf destroy target-blue"
    assert web_steps[2].commands == ("cdktf deploy shared",)

"""Issue 27: the hub can touch only what a service deploys.

On the synthesized JSON of every example (and of generated fleets), each target's EKS access
policies, the hub's cluster Secret for it and its service's AppProject name the same namespaces
and the same cluster kinds: the target's grant (fleet/model/access.py: its pin, else its
service's); no target grants cluster admin unless its grant lists cluster-scoped kinds. A live
generation keeps its grant: adding or dropping an app's namespace passes the guard once the live
generations are pinned, and a live generation's grant changing in place is refused in one line.

Sources: EKS user guide, "Review access policy permissions"
(https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html) for
AmazonEKSAdminPolicy (namespace scope: writes workloads, Secrets, roles and rolebindings),
AmazonEKSEditPolicy (no roles/rolebindings) and AmazonEKSClusterAdminPolicy (`*` on `*`); argo-cd
docs/operator-manual/declarative-setup.md, "Clusters"
(https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#clusters) for the
cluster Secret's fields (`name`, `server`, `namespaces`, `clusterResources`, `project`, `config`).
"""

from __future__ import annotations

import copy
import importlib.util
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fleet import names
from fleet.gate.context import Context
from fleet.gate.diff import StackDiff, diff_stacks
from fleet.gate.guard import grant_refusal
from fleet.gate.guard import refusals as guard_refusals
from fleet.gate.refusal import Refusal
from fleet.lifecycle import is_live
from fleet.model import Fleet
from fleet.model.access import grant_of
from fleet.model.load import load_fleet, validate
from fleet.model.summary import summary
from support import argocd_apps as schemas
from support.cli import run_fleet
from support.emulator import EMULATOR_EXCLUSIONS
from support.examples import examples
from support.fleet_strategies import draw_examples, to_yaml, valid_fleets
from support.fleets import put
from support.paths import EXAMPLES, ROOT
from support.synth import Stacks, resources
from support.tf_tools import KUBE_PREFIXES

EXAMPLE_FILES = sorted(p.relative_to(ROOT).as_posix() for p in EXAMPLES.glob("*.yaml"))
ADMIN = "AmazonEKSAdminPolicy"
CLUSTER_ADMIN = "AmazonEKSClusterAdminPolicy"
SECRET_FIELDS = {"name", "server", "namespaces", "clusterResources", "project", "config"}
"""The cluster Secret's data fields argo-cd's declarative setup documents ("Clusters")."""
DECLARED = [
    {"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition"},
    {"group": "rbac.authorization.k8s.io", "kind": "ClusterRole"},
]
NEW_APP = {
    "repo_url": "https://github.com/argoproj/argocd-example-apps",
    "path": "guestbook",
    "revision": "53e28ff20cc530b9ada2173fbbd64d48338583ba",
}


def _policy(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


def target_grant(stack: dict[str, Any]) -> tuple[tuple[str, ...], bool]:
    """(namespaces, cluster-wide) a target stack's access policies give: only these two shapes."""
    namespaced, cluster = [], []
    for association in resources(stack, "aws_eks_access_policy_association").values():
        scope, policy = association["access_scope"], _policy(association["policy_arn"])
        if scope["type"] == "namespace":
            assert policy == ADMIN, policy
            namespaced.append(tuple(sorted(scope["namespaces"])))
        else:
            assert (scope, policy) == ({"type": "cluster"}, CLUSTER_ADMIN)
            cluster.append(policy)
    assert len(namespaced) == 1 and len(cluster) <= 1, (namespaced, cluster)
    return namespaced[0], bool(cluster)


def _hub_values(hub_stack: dict[str, Any]) -> dict[str, Any]:
    release = next(r for r in resources(hub_stack, "helm_release").values() if r["name"] == "applicationsets")
    return json.loads(release["values"][0])


def check_agreement(stacks: Stacks, fleet: Fleet) -> None:
    """The three places that carry each target's grant agree with it and with each other."""
    for service_name, service in fleet.services.items():
        declared = {(r.group, r.kind) for r in service.cluster_resources}
        pinned_kinds = {k for g, t in service.targets.items() if t.registered for k in grant_of(service, g).kinds}
        for gen in service.targets:
            grant = grant_of(service, gen)
            stack = stacks[names.stack_id("target", gen)]
            assert target_grant(stack) == (grant.namespaces, grant.cluster_wide), gen
            assert grant.cluster_wide == bool(grant.kinds), "cluster admin only with declared kinds"
            if service.targets[gen].grant is None:
                assert set(grant.kinds) == declared, f"{gen}: unpinned, it has what its service declares"
            made = sorted(n["metadata"]["name"] for n in resources(stack, "kubernetes_namespace_v1").values())
            assert made == list(grant.namespaces), f"{gen} creates every namespace it grants, and no other"
            for namespace in resources(stack, "kubernetes_namespace_v1").values():
                assert set(namespace["metadata"]["labels"]) == {"ephemeral-eks.io/app"}
                assert any(d.startswith("aws_eks_access_policy_association.") for d in namespace["depends_on"])
        for hub in fleet.hubs:
            hub_stack = stacks[names.stack_id("hub", hub)]
            secrets = {
                s["metadata"]["labels"][names.LABEL_GENERATION]: s
                for s in resources(hub_stack, "kubernetes_secret_v1").values()
                if s["metadata"]["labels"].get(names.LABEL_SERVICE) == service_name
            }
            registered = {g for g, t in service.targets.items() if t.registered}
            assert set(secrets) == registered
            values = _hub_values(hub_stack)
            project = values["projects"][names.project_name(service_name)]
            whitelist = {(r["group"], r["kind"]) for r in project.get("clusterResourceWhitelist", [])}
            assert whitelist == declared | pinned_kinds, "the declared kinds, and a live generation's pinned ones"
            for gen, secret in secrets.items():
                grant = grant_of(service, gen)
                data = secret["data"]
                assert set(data) <= SECRET_FIELDS, set(data) - SECRET_FIELDS
                assert tuple(data["namespaces"].split(",")) == grant.namespaces
                assert data["clusterResources"] == ("true" if grant.cluster_wide else "false")
                cluster = names.cluster_name(fleet.name, "target", gen)
                reached = sorted(d["namespace"] for d in project.get("destinations", []) if d["name"] == cluster)
                assert reached == list(grant.namespaces), f"{gen}: the project's destinations there"
            for app_name, app in service.apps.items():
                appset = values["applicationsets"][names.application_set_name(service_name, app_name)]
                assert "CreateNamespace=true" not in appset["template"]["spec"]["syncPolicy"].get("syncOptions", [])
                selector = appset["generators"][0]["clusters"]["selector"]
                left_out = {v for e in selector.get("matchExpressions", []) for v in e["values"]}
                assert left_out == {g for g in registered if app.namespace not in grant_of(service, g).namespaces}


@pytest.mark.parametrize("example", EXAMPLE_FILES)
def test_every_examples_access_policies_secrets_and_projects_agree(example: str, synth) -> None:
    fleet = load_fleet(ROOT / example)
    stacks = synth(example)
    check_agreement(stacks, fleet)
    for service in fleet.services.values():
        for gen, target in service.targets.items():
            declared = target.grant.cluster_resources if target.grant is not None else service.cluster_resources
            wide = target_grant(stacks[names.stack_id("target", gen)])[1]
            assert wide == bool(declared), f"{gen}: cluster admin exactly where cluster-scoped kinds are declared"


def test_the_grant_swap_example_keeps_blues_grant_and_gives_green_the_new_one(synth) -> None:
    stacks = synth("examples/grant-swap.yaml")
    assert target_grant(stacks["target-blue"]) == (("podinfo",), True), "born with web's CRD"
    assert target_grant(stacks["target-green"]) == (("guestbook", "podinfo"), True)
    whitelist = _hub_values(stacks["argocd-blue"])["projects"]["web"]["clusterResourceWhitelist"]
    assert [r["kind"] for r in whitelist] == ["CustomResourceDefinition", "ClusterRole"]
    appsets = _hub_values(stacks["argocd-blue"])["applicationsets"]
    expressions = appsets["web-guestbook"]["generators"][0]["clusters"]["selector"]["matchExpressions"]
    assert expressions == [{"key": names.LABEL_GENERATION, "operator": "NotIn", "values": ["blue"]}]
    assert "matchExpressions" not in appsets["web-podinfo"]["generators"][0]["clusters"]["selector"]


def test_the_grant_swap_examples_argocd_objects_pass_argocds_schemas(synth) -> None:
    """Its ApplicationSets (one with a `NotIn` cluster selector) and AppProject (per-cluster
    destinations, a cluster whitelist), as argocd-apps renders them, against ArgoCD's CRD schemas
    (tests/support/argocd_schemas.py), strictly, as tests/support/argocd_apps.py renders them."""
    appsets = schemas.strict_validator("ApplicationSet", schemas.APPSET_METADATA)
    projects = schemas.strict_validator("AppProject", schemas.PROJECT_METADATA)
    checked = 0
    for stack_id, values in schemas.apps_releases(synth("examples/grant-swap.yaml")):
        for document, validator in [
            *((d, appsets) for d in schemas.rendered_by_chart(values)),
            *((d, projects) for d in schemas.projects_rendered_by_chart(values)),
        ]:
            assert not schemas.errors(validator, document), f"{stack_id}: {schemas.errors(validator, document)}"
            checked += 1
    assert checked >= 3


@pytest.fixture(scope="module")
def declared(synth, derived_fleet) -> tuple[Stacks, Fleet]:
    path = derived_fleet(
        "examples/two-services.yaml", "declares-cluster-resources", put("services.api.cluster_resources", DECLARED)
    )
    return synth(path), load_fleet(path)


def test_a_declared_cluster_resource_widens_exactly_its_services_three_places(declared) -> None:
    stacks, fleet = declared
    check_agreement(stacks, fleet)
    assert target_grant(stacks["target-apiblue"]) == (("api", "guestbook"), True)
    assert target_grant(stacks["target-blue"]) == (("podinfo",), False), "another service stays scoped"
    assert "ArgoCD:  write in namespaces api, guestbook; cluster-scoped: CustomResourceDefinition" in summary(fleet)


def test_fleet_validate_summarizes_each_services_grant() -> None:
    text = summary(load_fleet(ROOT / "examples/two-services.yaml"))
    assert "  ArgoCD:  write in namespaces podinfo; nothing cluster-scoped" in text
    assert "  ArgoCD:  write in namespaces api, guestbook; nothing cluster-scoped" in text
    swap = summary(load_fleet(ROOT / "examples/grant-swap.yaml"))
    assert "cluster-scoped: CustomResourceDefinition (apiextensions.k8s.io)" in swap
    assert swap.rstrip().endswith(
        "; blue keeps {namespaces: [podinfo], cluster_resources: [{group: apiextensions.k8s.io, kind: "
        "CustomResourceDefinition}]}"
    )


BAD_PINS = {
    "{namespaces: []}": "grant.namespaces: list at least the served app's namespace",
    "{namespaces: [podinfo, podinfo]}": "grant.namespaces: list each namespace once",
    "{namespaces: [podinfo, kube-system]}": "grant.namespaces: kube-system is Kubernetes' or the platform's own",
    "{namespaces: [guestbook]}": "grant.namespaces: list podinfo, the served app's namespace",
    "{namespaces: [podinfo], cluster_resources: [{group: x, kind: lower}]}": "grant.cluster_resources.0.kind:",
    "{namespaces: [podinfo], verbs: [get]}": "grant.verbs: unknown key",
}


@pytest.mark.parametrize("pin", sorted(BAD_PINS))
def test_a_bad_pin_is_one_line_naming_the_field_and_exit_2(pin: str, tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "examples/grant-swap.yaml").read_text())
    data["services"]["web"]["targets"]["blue"]["grant"] = yaml.safe_load(pin)
    path = tmp_path / "bad-pin.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    done = run_fleet("validate", path)
    assert done.returncode == 2, done
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"services.web.targets.blue.{BAD_PINS[pin]}" in done.stderr and "Traceback" not in done.stderr


def test_the_emulator_gaps_of_a_grant_are_listed_with_why(synth) -> None:
    """What the emulated apply cannot take of a grant is listed, with why (moto answers 404); the
    namespaces are Kubernetes objects, stripped with the helm/kubernetes parts (no cluster API)."""
    for kind in ("aws_eks_access_entry", "aws_eks_access_policy_association"):
        assert "404" in EMULATOR_EXCLUSIONS[kind]
    stack = synth("examples/grant-swap.yaml")["target-green"]
    assert resources(stack, "kubernetes_namespace_v1") and "kubernetes_namespace_v1".startswith(KUBE_PREFIXES)


# --- generated fleets -----------------------------------------------------------------------------


def _pick(count: int, seed_value: int) -> list[dict[str, Any]]:
    drawn = draw_examples(valid_fleets(), count * 5, seed_value)
    with_declared = [d for d in drawn if any(s.get("cluster_resources") for s in d["services"].values())]
    without = [d for d in drawn if d not in with_declared]
    return (with_declared[:1] + without[:1])[:count]


@pytest.mark.slow
@pytest.mark.fuzz
def test_generated_fleets_access_policies_secrets_and_projects_agree(synth, tmp_path_factory) -> None:
    base: Path = tmp_path_factory.mktemp("generated-grants")
    picks = _pick(2, 2727)
    assert picks
    for i, data in enumerate(picks):
        path = base / f"generated-{i}.yaml"
        path.write_text(to_yaml(data))
        check_agreement(synth(path), load_fleet(path))


def _free_namespace(data: dict[str, Any]) -> str:
    used = {a["namespace"] for s in data["services"].values() for a in s["apps"].values()}
    return next(f"granted{i}" for i in range(len(used) + 1) if f"granted{i}" not in used)


def _free_app(service: dict[str, Any]) -> str:
    return next(f"extra{i}" for i in range(len(service["apps"]) + 1) if f"extra{i}" not in service["apps"])


def with_new_namespace(data: dict[str, Any], service: str, *, pin: bool) -> dict[str, Any]:
    """`data` with an app in a namespace no app uses added to `service`; with `pin`, each of the
    service's targets pinned first to the grant it has in `data`."""
    fleet = validate(data, "generated")
    head = copy.deepcopy(data)
    spec = head["services"][service]
    if pin:
        for gen, target in spec["targets"].items():
            target["grant"] = grant_of(fleet.services[service], gen).model_dump(mode="json", exclude_defaults=True)
    spec["apps"][_free_app(spec)] = {**NEW_APP, "namespace": _free_namespace(data)}
    return head


def _live_targets(fleet: Fleet, service: str) -> list[str]:
    return [g for g, t in fleet.services[service].targets.items() if is_live("target", t.phase)]


def _grant_refusal(stack: str, base: Fleet, head: Fleet) -> list[Refusal]:
    """The guard's grant rule alone, for a live generation of `base` (no synth needed)."""
    return grant_refusal(StackDiff(stack, "changed"), Context.of(base, head, {stack: None}, date(2026, 11, 27)))


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=valid_fleets(), choice=st.data())
def test_a_new_namespace_passes_with_pins_and_a_changed_pin_is_a_swap(data: dict[str, Any], choice) -> None:
    """Over generated fleets: adding an app's namespace to a service leaves every target's grant as
    it was once its targets are pinned (the guard has nothing to refuse); without the pins each live
    target is refused in one line whose pin, pasted in, clears it; editing a live target's pin is
    refused in one line saying to swap."""
    service = choice.draw(st.sampled_from(sorted(data["services"])))
    base = validate(data, "generated")
    live = _live_targets(base, service)

    pinned = validate(with_new_namespace(data, service, pin=True), "generated")
    for gen in base.services[service].targets:
        assert grant_of(pinned.services[service], gen).same(grant_of(base.services[service], gen))
        assert _grant_refusal(names.stack_id("target", gen), base, pinned) == []

    unpinned_data = with_new_namespace(data, service, pin=False)
    unpinned = validate(unpinned_data, "generated")
    for gen in live:
        stack = names.stack_id("target", gen)
        [line] = [str(r) for r in _grant_refusal(stack, base, unpinned)]
        assert "\n" not in line and "swap" in line and f"services.{service}.targets.{gen}.grant: " in line
        advised = yaml.safe_load(line.split(".grant: ", 1)[1].split(" (what it was born with)")[0])
        unpinned_data["services"][service]["targets"][gen]["grant"] = advised
    assert all(
        _grant_refusal(names.stack_id("target", g), base, validate(unpinned_data, "generated")) == [] for g in live
    )

    if live:
        gen = choice.draw(st.sampled_from(live))
        edited = copy.deepcopy(with_new_namespace(data, service, pin=True))
        grant = edited["services"][service]["targets"][gen]["grant"]
        grant["namespaces"] = [*grant["namespaces"], _free_namespace(data)]
        [line] = [str(r) for r in _grant_refusal(names.stack_id("target", gen), base, validate(edited, "generated"))]
        assert "\n" not in line and "ArgoCD's grant" in line
        assert "add a new generation (phase: provisioning), which takes the new grant, and swap to it" in line
        assert ".grant: {" not in line, "an edited pin is a swap, not another pin"


def without_a_namespace(data: dict[str, Any], service: str, namespace: str, *, pin: bool) -> dict[str, Any]:
    """`data` with every app of `service` in `namespace` (not the served app's) removed, and its
    targets' values for them; with `pin`, each target pinned first to the grant it has in `data`."""
    fleet = validate(data, "generated")
    head = copy.deepcopy(data)
    spec = head["services"][service]
    gone = [name for name, app in spec["apps"].items() if app["namespace"] == namespace]
    for gen, target in spec["targets"].items():
        if pin:
            target["grant"] = grant_of(fleet.services[service], gen).model_dump(mode="json", exclude_defaults=True)
        for name in gone:
            target.get("values", {}).pop(name, None)
        if target.get("values") == {}:
            del target["values"]
    for name in gone:
        del spec["apps"][name]
    return head


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=valid_fleets(), choice=st.data())
def test_dropping_a_namespace_passes_with_pins_and_is_refused_without(data: dict[str, Any], choice) -> None:
    """Over generated fleets: removing the apps of one namespace (not the served app's) from a
    service leaves every target's grant as it was once its targets are pinned; without the pins
    each live target is refused in one line naming the pin."""
    services = {
        name: sorted({a["namespace"] for a in s["apps"].values()} - {s["apps"][s["traffic"]["app"]]["namespace"]})
        for name, s in data["services"].items()
    }
    assume(any(services.values()))
    service = choice.draw(st.sampled_from(sorted(n for n, spaces in services.items() if spaces)))
    namespace = choice.draw(st.sampled_from(services[service]))
    base = validate(data, "generated")

    pinned = validate(without_a_namespace(data, service, namespace, pin=True), "generated")
    for gen in base.services[service].targets:
        assert grant_of(pinned.services[service], gen).same(grant_of(base.services[service], gen))
        assert _grant_refusal(names.stack_id("target", gen), base, pinned) == []

    unpinned = validate(without_a_namespace(data, service, namespace, pin=False), "generated")
    for gen in _live_targets(base, service):
        [line] = [str(r) for r in _grant_refusal(names.stack_id("target", gen), base, unpinned)]
        assert "\n" not in line and f"pin services.{service}.targets.{gen}.grant: " in line and "swap" in line
        assert f"namespaces {', '.join(grant_of(base.services[service], gen).namespaces)} -> " in line


@pytest.mark.slow
@pytest.mark.fuzz
def test_a_generated_fleet_adds_a_namespace_with_pins_and_the_guard_passes(synth, tmp_path_factory) -> None:
    """The same on the synthesized JSON of a generated fleet with live targets: with the pins, every
    target stack of the service is byte-identical and the whole guard passes; without, it refuses
    each live target in one line."""
    base_dir: Path = tmp_path_factory.mktemp("generated-pins")
    data = next(
        d
        for d in draw_examples(valid_fleets(), 40, 2728)
        if any(_live_targets(validate(d, "generated"), s) for s in d["services"]) and len(d["services"]) >= 1
    )
    base_fleet = validate(data, "generated")
    service = next(s for s in sorted(data["services"]) if _live_targets(base_fleet, s))
    paths = {}
    for name, fleet_data in (
        ("base", data),
        ("pinned", with_new_namespace(data, service, pin=True)),
        ("unpinned", with_new_namespace(data, service, pin=False)),
    ):
        paths[name] = base_dir / f"{name}.yaml"
        paths[name].write_text(to_yaml(fleet_data))
    base, pinned = synth(paths["base"]), synth(paths["pinned"])
    for gen in base_fleet.services[service].targets:
        stack = names.stack_id("target", gen)
        assert json.dumps(pinned[stack], sort_keys=True) == json.dumps(base[stack], sort_keys=True), stack
    head_fleet = load_fleet(paths["pinned"])
    assert guard_refusals(diff_stacks(base, pinned), base, pinned, base_fleet, head_fleet) == []
    check_agreement(pinned, head_fleet)

    unpinned = synth(paths["unpinned"])
    lines = [
        str(r)
        for r in guard_refusals(diff_stacks(base, unpinned), base, unpinned, base_fleet, load_fleet(paths["unpinned"]))
    ]
    live = {names.stack_id("target", g) for g in _live_targets(base_fleet, service)}
    assert {line.split(" ", 1)[0] for line in lines} >= live
    for stack in live:
        [line] = [line for line in lines if line.startswith(stack + " ")]
        assert "ArgoCD's grant" in line and "swap" in line


# --- the guard on the examples: swaps, not edits --------------------------------------------------


def _refusals(synth, derived_fleet, name: str, edit) -> list[str]:
    base_path = ROOT / "examples/two-services.yaml"
    base, head_path = synth(base_path), derived_fleet("examples/two-services.yaml", name, edit)
    head = synth(head_path)
    return [
        str(r)
        for r in guard_refusals(diff_stacks(base, head), base, head, load_fleet(base_path), load_fleet(head_path))
    ]


def test_widening_a_live_generations_grant_is_refused_in_one_line(synth, derived_fleet, declared) -> None:
    lines = _refusals(
        synth, derived_fleet, "declares-cluster-resources", put("services.api.cluster_resources", DECLARED)
    )
    for target in ("target-apiblue", "target-apigreen"):
        [line] = [line for line in lines if line.startswith(target + " ")]
        assert "ArgoCD's grant" in line and "cluster-scoped none -> CustomResourceDefinition, ClusterRole" in line
        assert f"pin services.api.targets.{target[7:]}.grant: {{namespaces: [api, guestbook]}}" in line
    assert not any(line.startswith("target-blue") for line in lines), "the other service's targets keep theirs"


def _drop_guestbook(data: dict[str, Any]) -> None:
    del data["services"]["api"]["apps"]["guestbook"]
    for target in data["services"]["api"]["targets"].values():
        target.get("values", {}).pop("guestbook", None)


def _pin_api(data: dict[str, Any]) -> None:
    for target in data["services"]["api"]["targets"].values():
        target["grant"] = {"namespaces": ["api", "guestbook"]}


def test_dropping_an_apps_namespace_is_refused_unpinned_and_passes_pinned(synth, derived_fleet) -> None:
    lines = _refusals(synth, derived_fleet, "drops-an-apps-namespace", _drop_guestbook)
    [line] = [line for line in lines if line.startswith("target-apiblue ")]
    assert "namespaces api, guestbook -> api" in line and "swap" in line
    assert not any("kubernetes_namespace_v1" in line for line in lines), "one line stands for the grant's parts"

    def pinned(data: dict[str, Any]) -> None:
        _drop_guestbook(data)
        _pin_api(data)

    assert _refusals(synth, derived_fleet, "drops-an-apps-namespace-pinned", pinned) == []


def test_adding_an_apps_namespace_passes_pinned_and_the_new_generation_takes_it(synth, derived_fleet) -> None:
    def added(data: dict[str, Any]) -> None:
        _pin_api(data)
        data["services"]["api"]["apps"]["extra"] = {**NEW_APP, "namespace": "extra"}
        data["services"]["api"]["targets"]["apinext"] = {
            "kubernetes_version": "1.36",
            "phase": "provisioning",
            "weight": 0,
        }

    assert _refusals(synth, derived_fleet, "adds-an-apps-namespace-pinned", added) == []
    path = derived_fleet("examples/two-services.yaml", "adds-an-apps-namespace-pinned", added)
    assert target_grant(synth(path)["target-apinext"]) == (("api", "extra", "guestbook"), False)


def test_editing_a_live_generations_pin_is_refused_saying_swap(synth, derived_fleet) -> None:
    def edited(data: dict[str, Any]) -> None:
        _pin_api(data)
        data["services"]["api"]["targets"]["apiblue"]["grant"] = {"namespaces": ["api"]}

    lines = _refusals(synth, derived_fleet, "edits-a-live-pin", edited)
    assert lines == [
        "target-apiblue (phase serving): ArgoCD's grant: what ArgoCD may do on a live generation would change in "
        "place (namespaces api, guestbook -> api); add a new generation (phase: provisioning), which takes the new "
        "grant, and swap to it"
    ]


def test_an_app_in_a_namespace_the_service_has_changes_no_grant(synth, derived_fleet) -> None:
    app = {
        "repo_url": "https://stefanprodan.github.io/podinfo",
        "chart": "podinfo",
        "version": "6.9.2",
        "namespace": "api",
    }
    lines = _refusals(synth, derived_fleet, "adds-an-app-beside-api", put("services.api.apps.extra", app))
    assert lines == [], lines


def test_security_mds_table_is_what_the_generator_writes_from_the_model() -> None:
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    assert spec and spec.loader
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    text = (ROOT / "docs" / "security.md").read_text()
    assert text == generate.render_security(text), "docs/security.md is stale: run `make docs`"
    assert "| `examples/two-services.yaml` | api | new, apiblue, apigreen | `api`, `guestbook` | nothing |" in text
    assert "| `examples/grant-swap.yaml` | web | blue (pinned) | `podinfo` | `AmazonEKSClusterAdminPolicy`" in text

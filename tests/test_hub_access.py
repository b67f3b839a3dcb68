"""Issue 27: the hub can touch only what a service deploys.

On the synthesized JSON of every example (and of generated fleets), each target's EKS access
policies, the hub's cluster Secret for it and its service's AppProject name the same namespaces
and the same cluster kinds; no target grants cluster admin unless its service declares
`cluster_resources`. The guard refuses narrowing or widening a live generation's grant.

Sources: EKS user guide, "Review access policy permissions"
(https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html) for the
policies; argo-cd docs/operator-manual/declarative-setup.md, "Clusters"
(https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#clusters) for the
cluster Secret's fields.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from conftest import ROOT, Stacks, resources
from fleet import names
from fleet.gate.diff import diff_stacks
from fleet.gate.guard import refusals as guard_refusals
from fleet.spec import Fleet
from fleet.spec.access import grant_of
from fleet.spec.load import load_fleet
from fleet.spec.summary import summary
from support.fleet_strategies import to_yaml, valid_fleets
from support.fleets import put

EXAMPLES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*.yaml"))
ADMIN = "AmazonEKSAdminPolicy"
CLUSTER_ADMIN = "AmazonEKSClusterAdminPolicy"
SECRET_FIELDS = {"name", "server", "namespaces", "clusterResources", "project", "config"}
"""The cluster Secret's data fields argo-cd's declarative setup documents ("Clusters")."""
DECLARED = [
    {"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition"},
    {"group": "rbac.authorization.k8s.io", "kind": "ClusterRole"},
]


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


def check_agreement(stacks: Stacks, fleet: Fleet) -> None:
    """The three places that carry a service's grant agree with it and with each other."""
    for service_name, service in fleet.services.items():
        grant = grant_of(service)
        kinds = {(g, k) for g, k in grant.cluster_resources}
        for gen in service.targets:
            stack = stacks[names.stack_id("target", gen)]
            assert target_grant(stack) == (grant.namespaces, grant.cluster_wide), gen
            made = sorted(n["metadata"]["name"] for n in resources(stack, "kubernetes_namespace_v1").values())
            assert made == list(grant.namespaces), f"{gen} creates every namespace it grants, and no other"
            for namespace in resources(stack, "kubernetes_namespace_v1").values():
                assert set(namespace["metadata"]["labels"]) == {"ephemeral-eks.io/app"}
                assert any(d.startswith("aws_eks_access_policy_association.") for d in namespace["depends_on"])
        for hub in fleet.hubs:
            hub_stack = stacks[names.stack_id("hub", hub)]
            for secret in resources(hub_stack, "kubernetes_secret_v1").values():
                if secret["metadata"]["labels"][names.LABEL_SERVICE] != service_name:
                    continue
                data = secret["data"]
                assert set(data) <= SECRET_FIELDS, set(data) - SECRET_FIELDS
                assert tuple(data["namespaces"].split(",")) == grant.namespaces
                assert data["clusterResources"] == ("true" if grant.cluster_wide else "false")
            release = next(r for r in resources(hub_stack, "helm_release").values() if r["name"] == "applicationsets")
            values = json.loads(release["values"][0])
            project = values["projects"][names.project_name(service_name)]
            assert {(r["group"], r["kind"]) for r in project.get("clusterResourceWhitelist", [])} == kinds
            assert {d["namespace"] for d in project.get("destinations", [])} <= set(grant.namespaces)
            for appset in values["applicationsets"].values():
                assert "CreateNamespace=true" not in appset["template"]["spec"]["syncPolicy"].get("syncOptions", [])


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_examples_access_policies_secrets_and_projects_agree(example: str, synth) -> None:
    fleet = load_fleet(ROOT / example)
    stacks = synth(example)
    check_agreement(stacks, fleet)
    for name, stack in stacks.items():
        if name.startswith("target-"):
            assert target_grant(stack)[1] is False, f"{name}: no example declares cluster resources"


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


def _draw(count: int, seed_value: int) -> list[dict[str, Any]]:
    drawn: list[dict[str, Any]] = []

    @seed(seed_value)
    @settings(
        max_examples=count * 5,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(valid_fleets())
    def collect(value: dict[str, Any]) -> None:
        drawn.append(value)

    collect()
    with_declared = [d for d in drawn if any(s.get("cluster_resources") for s in d["services"].values())]
    without = [d for d in drawn if d not in with_declared]
    return (with_declared[:1] + without[:1])[:count]


@pytest.mark.slow
@pytest.mark.fuzz
def test_generated_fleets_access_policies_secrets_and_projects_agree(synth, tmp_path_factory) -> None:
    base: Path = tmp_path_factory.mktemp("generated-grants")
    picks = _draw(2, 2727)
    assert picks
    for i, data in enumerate(picks):
        path = base / f"generated-{i}.yaml"
        path.write_text(to_yaml(data))
        check_agreement(synth(path), load_fleet(path))


# --- the guard: swaps, not edits -------------------------------------------------------------------


def _refusals(synth, derived_fleet, name: str, edit) -> list[str]:
    base_path = ROOT / "examples/two-services.yaml"
    base, head_path = synth(base_path), derived_fleet("examples/two-services.yaml", name, edit)
    head = synth(head_path)
    return [
        str(r)
        for r in guard_refusals(diff_stacks(base, head), base, head, load_fleet(base_path), load_fleet(head_path))
    ]


def test_widening_a_live_generations_grant_is_refused(synth, derived_fleet, declared) -> None:
    lines = _refusals(
        synth, derived_fleet, "declares-cluster-resources", put("services.api.cluster_resources", DECLARED)
    )
    assert any(
        line.startswith("target-apiblue") and ": aws_eks_access_policy_association." in line for line in lines
    ), lines
    assert not any(line.startswith("target-blue") for line in lines), "the other service's targets keep theirs"


def test_narrowing_a_live_generations_grant_is_refused(synth, derived_fleet) -> None:
    def drop_guestbook(data: dict[str, Any]) -> None:
        del data["services"]["api"]["apps"]["guestbook"]
        for target in data["services"]["api"]["targets"].values():
            target.get("values", {}).pop("guestbook", None)

    lines = _refusals(synth, derived_fleet, "drops-an-apps-namespace", drop_guestbook)
    assert any(
        line.startswith("target-apiblue") and ": aws_eks_access_policy_association." in line and "access_scope" in line
        for line in lines
    ), lines
    assert any(
        line.startswith("target-apiblue") and ": kubernetes_namespace_v1." in line and "destroys it" in line
        for line in lines
    )


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
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    assert spec and spec.loader
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    text = (ROOT / "docs" / "security.md").read_text()
    assert text == generate.render_security(text), "docs/security.md is stale: run `make docs`"
    assert "| `examples/two-services.yaml` | api | `api`, `guestbook` | nothing |" in text

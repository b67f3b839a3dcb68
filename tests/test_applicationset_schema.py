"""Every ApplicationSet and AppProject the hub stacks write validates strictly against ArgoCD's own CRD
schema: a field the CRD does not declare would be pruned silently by the API server, so it is an error
here. The projects and ApplicationSets also fit together: no app runs in the `default` project, every
template names a project of its own release, and each project's ApplicationSets select their own clusters.

The schemas come from tests/support/argocd_schemas.py: ../shared/schemas/argocd/*-crd.yaml where that folder
exists, else npm's @kubernetes-models/argo-cd under node_modules (package.json pins it; `make deps`
installs it). Only a clone with neither skips the schema tests, and says so.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from constructs.argocd_cluster import AppSpec, application_set
from fleet import names
from stacks.hub import REGISTRATION_KEYS
from support.argocd_apps import (
    APPSET_METADATA,
    PROJECT_METADATA,
    apps_releases,
    errors,
    projects_rendered_by_chart,
    rendered_by_chart,
    strict_validator,
)

EXAMPLES = ["steady", "target_swap", "hub_swap", "two_services"]
PODINFO = AppSpec(
    name="podinfo",
    service="web",
    application_set_name=names.application_set_name("web", "podinfo"),
    project="web",
    repo_url="https://example.com/charts",
    revision="1.0.0",
    namespace="podinfo",
    chart="podinfo",
    path=None,
    create_namespace=True,
    excluded_generations=(),
)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Validator:
    return strict_validator("ApplicationSet", APPSET_METADATA)


@pytest.fixture(scope="module")
def project_validator() -> jsonschema.Validator:
    return strict_validator("AppProject", PROJECT_METADATA)


def cluster_selectors(generators: list[dict[str, Any]]) -> list[str]:
    """Every cluster generator's selector (canonical JSON), matrix and merge generators included."""
    found = []
    for generator in generators:
        if "clusters" in generator:
            found.append(json.dumps((generator["clusters"] or {}).get("selector", {}), sort_keys=True))
        for nested in ("matrix", "merge"):
            if nested in generator:
                found += cluster_selectors(generator[nested].get("generators", []))
    return found


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_synthesized_applicationset_validates_against_the_crd(request, validator, example):
    checked = 0
    for stack_id, values in apps_releases(request.getfixturevalue(example)):
        for appset in rendered_by_chart(values):
            assert not errors(validator, appset), f"{stack_id}: {errors(validator, appset)}"
            checked += 1
    assert checked >= 1


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_synthesized_appproject_validates_against_the_crd(request, project_validator, example):
    checked = 0
    for stack_id, values in apps_releases(request.getfixturevalue(example)):
        for project in projects_rendered_by_chart(values):
            assert not errors(project_validator, project), f"{stack_id}: {errors(project_validator, project)}"
            checked += 1
    assert checked >= 1, "no argocd-apps release carries `projects`"


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_template_names_a_project_of_its_own_release_and_never_default(request, example):
    checked = 0
    for stack_id, values in apps_releases(request.getfixturevalue(example)):
        projects = set(values.get("projects", {}))
        for name, entry in values["applicationsets"].items():
            project = entry["template"]["spec"]["project"]
            assert project != "default", f"{stack_id}: ApplicationSet {name} deploys in the `default` project"
            assert project in projects, (
                f"{stack_id}: ApplicationSet {name} names project {project!r}, not in {projects}"
            )
            checked += 1
    assert checked >= 1


@pytest.mark.parametrize("example", EXAMPLES)
def test_applicationsets_of_different_projects_select_clusters_by_different_selectors(request, example):
    for stack_id, values in apps_releases(request.getfixturevalue(example)):
        selectors: dict[str, set[str]] = {}
        for name, entry in values["applicationsets"].items():
            found = cluster_selectors(entry.get("generators", []))
            assert found, f"{stack_id}: ApplicationSet {name} has no cluster generator"
            selectors.setdefault(entry["template"]["spec"]["project"], set()).update(found)
        for project, mine in selectors.items():
            for other, theirs in selectors.items():
                if project < other:
                    assert not mine & theirs, (
                        f"{stack_id}: projects {project} and {other} select clusters with the same selector {mine & theirs}"
                    )


def test_strict_schema_rejects_a_field_the_crd_does_not_declare(validator):
    appset = application_set(PODINFO, "acme", names.ARGOCD_NAMESPACE, REGISTRATION_KEYS)
    assert not errors(validator, appset)
    wrong = copy.deepcopy(appset)
    wrong["spec"]["template"]["spec"]["source"]["helm"]["releaseNmae"] = "podinfo"
    assert any("releaseNmae" in e for e in errors(validator, wrong))


def test_strict_appproject_schema_rejects_a_field_the_crd_does_not_declare(project_validator):
    entry = {
        "namespace": names.ARGOCD_NAMESPACE,
        "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        "description": "podinfo on the acme fleet's targets",
        "sourceRepos": ["https://example.com/charts"],
        "destinations": [{"server": "https://example.eks.amazonaws.com", "namespace": "podinfo"}],
        "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
        "roles": [
            {
                "name": "read-only",
                "description": "look only",
                "policies": ["p, proj:acme:read-only, applications, get, acme/*, allow"],
            }
        ],
        "permitOnlyProjectScopedClusters": False,
    }
    [project] = projects_rendered_by_chart({"projects": {"acme": entry}})
    assert "permitOnlyProjectScopedClusters" not in project["spec"]  # the chart's `with` leaves false out
    assert not errors(project_validator, project)
    wrong = copy.deepcopy(project)
    wrong["spec"]["destinations"][0]["nmaespace"] = "podinfo"
    assert any("nmaespace" in e for e in errors(project_validator, wrong))


def test_applicationset_selects_the_fleets_target_clusters_and_keeps_apps_on_deregistration():
    appset = application_set(PODINFO, "acme", names.ARGOCD_NAMESPACE, REGISTRATION_KEYS)
    selector = appset["spec"]["generators"][0]["clusters"]["selector"]["matchLabels"]
    assert selector == {
        "argocd.argoproj.io/secret-type": "cluster",
        "ephemeral-eks.io/fleet": "acme",
        "ephemeral-eks.io/role": "target",
        "ephemeral-eks.io/service": "web",
    }
    assert appset["spec"]["syncPolicy"]["preserveResourcesOnDeletion"] is True


@pytest.mark.parametrize(("kind", "metadata"), [("ApplicationSet", APPSET_METADATA), ("AppProject", PROJECT_METADATA)])
def test_the_npm_fallback_judges_what_the_stacks_write_as_the_crd_does(request, kind, metadata):
    """A user's clone has only the npm package: where ../shared is here too, both sources must accept
    every document the examples write, and both must reject the same misspelt field in each."""
    from support.argocd_schemas import NPM_PACKAGE, SHARED_ARGOCD, _npm_schema, _shared_schema, strict

    shared, npm = _shared_schema(kind), _npm_schema(kind)
    if shared is None:
        pytest.skip(
            f"only the npm package is here: the CRD to compare it with ({SHARED_ARGOCD}) is not beside this clone"
        )
    if npm is None:
        pytest.skip(f"the npm package ({NPM_PACKAGE}) or node is missing: `make deps` installs them")
    judges = []
    for schema, _source in (shared, npm):
        strict_schema = strict(json.loads(json.dumps(schema)))
        strict_schema["properties"]["metadata"] = metadata
        judges.append(jsonschema.Draft7Validator(strict_schema))
    render = rendered_by_chart if kind == "ApplicationSet" else projects_rendered_by_chart
    checked = 0
    for example in EXAMPLES:
        for stack_id, values in apps_releases(request.getfixturevalue(example)):
            for document in render(values):
                for judge in judges:
                    assert not errors(judge, document), f"{stack_id}: {errors(judge, document)}"
                wrong = copy.deepcopy(document)
                wrong["spec"]["sourceRepoz" if kind == "AppProject" else "goTemplat"] = True
                for judge in judges:
                    assert errors(judge, wrong), f"{stack_id}: a misspelt spec field passed"
                checked += 1
    assert checked >= 2

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
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from constructs.argocd_cluster import AppSpec, application_set
from fleet import names
from stacks.hub import REGISTRATION_KEYS
from support.argocd_schemas import crd_schema, missing_reason, strict
from support.synth import Stacks, resources

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

# What argo-helm's argocd-apps chart (2.x, templates/applicationsets.yaml) copies from a values
# entry into the ApplicationSet it renders; anything else in the values would be dropped.
CHART_SPEC_KEYS = {
    "goTemplate",
    "generators",
    "ignoreApplicationDifferences",
    "strategy",
    "syncPolicy",
    "template",
    "templatePatch",
}
CHART_ENTRY_KEYS = CHART_SPEC_KEYS | {"namespace", "additionalLabels", "additionalAnnotations"}
CHART_TEMPLATE_METADATA_KEYS = {"annotations", "labels", "name", "namespace"}
CHART_TEMPLATE_SPEC_KEYS = {"project", "source", "sources", "destination", "syncPolicy", "ignoreDifferences", "info"}

# What the same chart (2.0.2, templates/projects.yaml) copies from a `projects` entry into the
# AppProject it renders: each under `{{- with }}`, so an empty or false value is left out. Note what
# is not there: `destinationServiceAccounts` (the CRD has it; the chart would drop it).
CHART_PROJECT_SPEC_KEYS = {
    "permitOnlyProjectScopedClusters",
    "description",
    "sourceRepos",
    "destinations",
    "clusterResourceWhitelist",
    "clusterResourceBlacklist",
    "namespaceResourceBlacklist",
    "namespaceResourceWhitelist",
    "orphanedResources",
    "roles",
    "syncWindows",
    "signatureKeys",
    "sourceNamespaces",
}
CHART_PROJECT_METADATA_KEYS = {"namespace", "additionalLabels", "additionalAnnotations", "finalizers"}
CHART_PROJECT_ENTRY_KEYS = CHART_PROJECT_SPEC_KEYS | CHART_PROJECT_METADATA_KEYS

STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
# metadata is ObjectMeta, which the CRDs leave open; check what this project sets.
APPSET_METADATA = {
    "type": "object",
    "required": ["name", "namespace"],
    "additionalProperties": False,
    "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
}
PROJECT_METADATA = {
    "type": "object",
    "required": ["name", "namespace"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": STRING_MAP,
        "annotations": STRING_MAP,
        "finalizers": {"type": "array", "items": {"type": "string"}},
    },
}


def strict_validator(kind: str, metadata: dict[str, Any]) -> jsonschema.Validator:
    found = crd_schema(kind)
    if found is None:
        pytest.skip(missing_reason(kind))
    schema, _source = found
    schema = strict(schema)
    schema["properties"]["metadata"] = metadata
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Validator:
    return strict_validator("ApplicationSet", APPSET_METADATA)


@pytest.fixture(scope="module")
def project_validator() -> jsonschema.Validator:
    return strict_validator("AppProject", PROJECT_METADATA)


def errors(validator: jsonschema.Validator, document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def apps_releases(stacks: Stacks) -> Iterator[tuple[str, dict[str, Any]]]:
    """(stack id, values) of every argocd-apps Helm release in the synthesized stacks."""
    for stack_id, stack in stacks.items():
        for release in resources(stack, "helm_release").values():
            if release["chart"] == "argocd-apps":
                yield stack_id, json.loads(release["values"][0])


def rendered_by_chart(values: dict[str, Any]) -> list[dict[str, Any]]:
    """What the argocd-apps chart renders from its `applicationsets` values."""
    out = []
    for name, entry in values["applicationsets"].items():
        assert set(entry) <= CHART_ENTRY_KEYS, f"the chart drops {set(entry) - CHART_ENTRY_KEYS}"
        template = entry["template"]
        assert set(template["metadata"]) <= CHART_TEMPLATE_METADATA_KEYS
        assert set(template["spec"]) <= CHART_TEMPLATE_SPEC_KEYS, (
            f"the chart drops {set(template['spec']) - CHART_TEMPLATE_SPEC_KEYS}"
        )
        out.append(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "ApplicationSet",
                "metadata": {"name": name, "namespace": entry["namespace"]},
                "spec": {k: v for k, v in entry.items() if k in CHART_SPEC_KEYS},
            }
        )
    return out


def projects_rendered_by_chart(values: dict[str, Any]) -> list[dict[str, Any]]:
    """What the argocd-apps chart renders from its `projects` values."""
    out = []
    for name, entry in values.get("projects", {}).items():
        assert set(entry) <= CHART_PROJECT_ENTRY_KEYS, f"the chart drops {set(entry) - CHART_PROJECT_ENTRY_KEYS}"
        metadata: dict[str, Any] = {"name": name}
        for key, field in [
            ("additionalAnnotations", "annotations"),
            ("additionalLabels", "labels"),
            ("namespace", "namespace"),
            ("finalizers", "finalizers"),
        ]:
            if entry.get(key):
                metadata[field] = entry[key]
        out.append(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "AppProject",
                "metadata": metadata,
                "spec": {k: v for k, v in entry.items() if k in CHART_PROJECT_SPEC_KEYS and v},
            }
        )
    return out


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
    from support.argocd_schemas import NPM_PACKAGE, SHARED_ARGOCD, _npm_schema, _shared_schema

    shared, npm = _shared_schema(kind), _npm_schema(kind)
    if shared is None:
        pytest.skip(f"only the npm package is here: the CRD to compare it with ({SHARED_ARGOCD}) is not beside this clone")
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

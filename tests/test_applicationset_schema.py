"""Every ApplicationSet validates strictly against ArgoCD's own CRD schema: a field the CRD does
not declare would be pruned silently by the API server, so it is an error here.

The CRD is read from ../shared/schemas/argocd/applicationset-crd.yaml (argoproj/argo-cd); a
clone without that folder skips these tests and says so.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
import yaml

from conftest import SHARED_SCHEMAS, resources
from constructs.argocd_cluster import AppSpec, application_set

CRD = SHARED_SCHEMAS / "argocd" / "applicationset-crd.yaml"
pytestmark = pytest.mark.skipif(
    not CRD.exists(), reason=f"ArgoCD's ApplicationSet CRD is not at {CRD} (it ships in ../shared/schemas)"
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


def strict(schema: Any) -> Any:
    """OpenAPI v3 (Kubernetes flavour) to a JSON Schema that rejects undeclared fields."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        if not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    return out


@pytest.fixture(scope="module")
def validator() -> jsonschema.Validator:
    crd = yaml.safe_load(CRD.read_text())
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    schema = strict(version["schema"]["openAPIV3Schema"])
    # metadata is ObjectMeta, which the CRD leaves open; check what this project sets.
    schema["properties"]["metadata"] = {
        "type": "object",
        "required": ["name", "namespace"],
        "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
    }
    return jsonschema.Draft7Validator(schema)


def errors(validator: jsonschema.Validator, document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


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


@pytest.mark.parametrize("example", ["steady", "target_swap", "hub_swap"])
def test_every_synthesized_applicationset_validates_against_the_crd(request, validator, example):
    checked = 0
    for stack_id, stack in request.getfixturevalue(example).items():
        for release in resources(stack, "helm_release").values():
            if release["chart"] != "argocd-apps":
                continue
            for appset in rendered_by_chart(json.loads(release["values"][0])):
                assert not errors(validator, appset), f"{stack_id}: {errors(validator, appset)}"
                checked += 1
    assert checked >= 1


def test_strict_schema_rejects_a_field_the_crd_does_not_declare(validator):
    appset = application_set(AppSpec("podinfo", "https://example.com/charts", "podinfo", "1.0.0", "podinfo"), "acme")
    assert not errors(validator, appset)
    wrong = copy.deepcopy(appset)
    wrong["spec"]["template"]["spec"]["source"]["helm"]["releaseNmae"] = "podinfo"
    assert any("releaseNmae" in e for e in errors(validator, wrong))


def test_applicationset_selects_the_fleets_target_clusters_and_keeps_apps_on_deregistration():
    appset = application_set(AppSpec("podinfo", "https://example.com/charts", "podinfo", "1.0.0", "podinfo"), "acme")
    selector = appset["spec"]["generators"][0]["clusters"]["selector"]["matchLabels"]
    assert selector == {
        "argocd.argoproj.io/secret-type": "cluster",
        "ephemeral-eks.io/fleet": "acme",
        "ephemeral-eks.io/role": "target",
    }
    assert appset["spec"]["syncPolicy"]["preserveResourcesOnDeletion"] is True

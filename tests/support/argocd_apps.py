"""What argo-helm's argocd-apps chart renders from the values this project gives it: the
ApplicationSets and AppProjects, built from the synthesized Helm release's values as the chart's
templates would, and strict validators of ArgoCD's CRD schemas (tests/support/argocd_schemas.py) to
judge them with. Read by tests/test_applicationset_schema.py and tests/test_hub_access.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from support.argocd_schemas import crd_schema, missing_reason, strict
from support.synth import Stacks, resources

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

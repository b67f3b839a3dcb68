"""ArgoCD holds only what it needs, and targets make no load balancer Terraform does not own
(issue 15, items 5 and 6): construct-level on bare stacks, then on every synthesized example."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting  # not `Testing`: pytest would try to collect it

from constructs.argocd_cluster import (
    DEFAULT_PROJECT,
    ArgoCdCluster,
    ArgoCdClusterProps,
    argocd_values,
    closed_default_project,
)
from constructs.eks_cluster import EksClusterProps, NodeSizing
from constructs.private_endpoint_access import OperatorAccess
from constructs.shared_argo_role import SharedArgoRole, SharedArgoRoleProps
from constructs.target_cluster import (
    GUARDRAILS_CHART_DIR,
    GUARDRAILS_POLICY,
    ServedApp,
    TargetCluster,
    TargetClusterProps,
    has_validating_admission_policy,
)
from fleet import names
from fleet.versions import BINDING_CHART_DIR, binding_chart_versions
from stacks.hub import REGISTRATION_KEYS
from support.paths import EXAMPLES
from support.synth import resources

ALL_EXAMPLES = sorted(f"examples/{p.name}" for p in EXAMPLES.glob("*.yaml"))
ROLE_ARN = "arn:aws:iam::111122223333:role/unit-argocd"
NO_OPERATORS = OperatorAccess(cidrs=(), security_group_ids=())
SERVICE_ACCOUNT_TAG = "aws:RequestTag/kubernetes-service-account"


def cluster(name: str, version: str = "1.33") -> EksClusterProps:
    return EksClusterProps(
        cluster_name=name,
        kubernetes_version=version,
        subnet_ids=("subnet-a", "subnet-b"),
        node_group_name=f"{name}-nodes",
        ami_type="AL2023_x86_64_STANDARD",
        public_access_cidrs=(),
        service_cidr="172.20.0.0/16",
        nodes=NodeSizing(instance_types=("m6i.large",), min_size=1, desired_size=2, max_size=3, disk_size_gib=50),
        addon_versions=(),
        region="eu-west-1",
        partition="aws",
    )


def target_props(stack: TerraformStack, version: str) -> TargetClusterProps:
    return TargetClusterProps(
        cluster=cluster("unit-target-blue", version),
        vpc_id="vpc-1",
        region="eu-west-1",
        argocd_role=SharedArgoRole.from_role_name(stack, "argocd-role", "unit-argocd"),
        client_security_group_id="sg-client",
        alb_security_group_id="sg-alb",
        target_group_arn="arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/unit-blue/0123",
        app=ServedApp(name="podinfo", namespace="podinfo", service="podinfo", port=80, target_port=9898),
        namespaces=(("podinfo", "podinfo"),),
        cluster_wide=False,
        lbc_chart_version="1.13.0",
        binding_chart_dir=str(BINDING_CHART_DIR / binding_chart_versions()[-1]),
        operators=NO_OPERATORS,
    )


@pytest.fixture(scope="module")
def unit() -> dict[str, dict[str, Any]]:
    """The role, a hub and targets on bare stacks of one test app, from the fleet's one list of
    service accounts, synthesized once."""
    app = CdktfTesting.app()
    built: dict[str, TerraformStack] = {}

    def stack(id: str) -> TerraformStack:
        built[id] = TerraformStack(app, id)
        return built[id]

    SharedArgoRole(
        stack("role"),
        "argocd-role",
        SharedArgoRoleProps(
            role_name="unit-argocd",
            hub_cluster_pattern="unit-argocd-*",
            namespace=names.ARGOCD_NAMESPACE,
            service_accounts=names.ARGOCD_SERVICE_ACCOUNTS,
        ),
    )
    ArgoCdCluster(
        stack("hub"),
        "argocd",
        ArgoCdClusterProps(
            cluster=cluster("unit-argocd-blue"),
            vpc_id="vpc-1",
            operators=NO_OPERATORS,
            role_arn=ROLE_ARN,
            fleet_name="unit",
            argocd_chart_version="8.1.3",
            apps_chart_version="2.0.2",
            namespace=names.ARGOCD_NAMESPACE,
            service_accounts=names.ARGOCD_SERVICE_ACCOUNTS,
            registrations=(),
            apps=(),
            projects=(),
            paused=False,
            keys=REGISTRATION_KEYS,
        ),
    )
    for version in ("1.33", "1.30", "1.29"):
        target = stack(f"target-{version}")
        TargetCluster(target, "target", target_props(target, version))
    return {id: json.loads(CdktfTesting.synth(s)) for id, s in built.items()}


def _trusted_accounts(stack: dict[str, Any]) -> list[str]:
    [role] = resources(stack, "aws_iam_role").values()
    [statement] = json.loads(role["assume_role_policy"])["Statement"]
    return sorted(statement["Condition"]["StringEquals"][SERVICE_ACCOUNT_TAG])


def _releases(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in resources(stack, "helm_release").values()}


# --- Item 5: only the application controller holds SharedArgoRole ----------------------------


def test_the_fleet_list_names_the_application_controller_alone():
    assert names.ARGOCD_SERVICE_ACCOUNTS == ("argocd-application-controller",)


def test_the_roles_trust_names_only_the_application_controller(unit):
    assert _trusted_accounts(unit["role"]) == ["argocd-application-controller"]


def test_the_hub_associates_only_the_application_controller_with_the_role(unit):
    associations = resources(unit["hub"], "aws_eks_pod_identity_association").values()
    assert sorted((a["namespace"], a["service_account"], a["role_arn"]) for a in associations) == [
        ("argocd", "argocd-application-controller", ROLE_ARN)
    ]


@pytest.mark.parametrize("example", ALL_EXAMPLES)
def test_every_example_trusts_and_associates_the_application_controller_alone(synth, example):
    stacks = synth(example)
    assert _trusted_accounts(stacks["shared"]) == ["argocd-application-controller"]
    hubs = [s for s in stacks if s.startswith(f"{names.NAME_SEGMENT['hub']}-")]
    assert hubs
    for hub in hubs:
        accounts = {a["service_account"] for a in resources(stacks[hub], "aws_eks_pod_identity_association").values()}
        assert accounts == {"argocd-application-controller"}, f"{example}:{hub}"


# --- Item 5: the default project is closed -----------------------------------------------------


def test_the_default_project_is_closed_by_its_own_release_that_adopts_it(unit):
    release = _releases(unit["hub"])["default-project"]
    assert release["chart"] == "argocd-apps"
    assert release["namespace"] == names.ARGOCD_NAMESPACE
    # argocd-server has created `default` (open) before this release runs: Helm adopts it.
    assert release["take_ownership"] is True
    values = json.loads(release["values"][0])
    assert values["applicationsets"] == {}
    [(name, entry)] = values["projects"].items()
    assert name == DEFAULT_PROJECT == "default"
    assert entry["namespace"] == names.ARGOCD_NAMESPACE
    assert entry["sourceRepos"] == []
    assert entry["destinations"] == []
    assert entry["sourceNamespaces"] == []
    assert entry["clusterResourceWhitelist"] == []
    assert entry["namespaceResourceBlacklist"] == [{"group": "*", "kind": "*"}]
    assert not entry.get("roles")
    # argocd-apps writes the description unquoted into YAML: no `: ` in it.
    assert ": " not in entry["description"] and not entry["description"].endswith(":")


def test_the_closed_default_project_renders_with_no_repo_no_destination_and_no_kind():
    """What argocd-apps renders (`with`: an empty list is left out) is the spec argo-cd's docs give
    to remove every permission from the default project."""
    spec = closed_default_project(names.ARGOCD_NAMESPACE)["spec"]
    rendered = {k: v for k, v in spec.items() if v}
    assert rendered == {
        "description": spec["description"],
        "namespaceResourceBlacklist": [{"group": "*", "kind": "*"}],
    }
    yaml.safe_load(f"description: {spec['description']}")  # as the chart's template writes it


def test_the_services_projects_stay_in_the_apps_release_and_default_is_not_among_them(steady):
    releases = _releases(steady["argocd-blue"])
    apps = json.loads(releases["applicationsets"]["values"][0])
    assert DEFAULT_PROJECT not in apps.get("projects", {})
    assert json.loads(releases["default-project"]["values"][0])["projects"]["default"]["destinations"] == []


# --- Item 5: no local admin, no initial admin Secret -----------------------------------------


def test_argocd_values_disable_the_local_admin_and_so_the_initial_admin_secret():
    values = argocd_values()
    assert values["configs"]["cm"]["admin.enabled"] is False
    # No admin password either: with admin off, argocd-server never writes
    # argocd-initial-admin-secret (argo-cd v3.0.11 util/settings/settings.go InitializeSettings).
    assert "secret" not in values["configs"]
    assert "dex" not in values  # no SSO configured by the fleet: operators use `argocd --core`


@pytest.mark.parametrize("example", ALL_EXAMPLES)
def test_every_hub_runs_argocd_with_the_local_admin_disabled(synth, example):
    stacks = synth(example)
    for stack_id, stack in stacks.items():
        for release in resources(stack, "helm_release").values():
            if release["chart"] == "argo-cd":
                values = json.loads(release["values"][0])
                assert values["configs"]["cm"]["admin.enabled"] is False, f"{example}:{stack_id}"
                assert "argocdServerAdminPassword" not in json.dumps(values)


# --- Item 6: targets refuse Services of type LoadBalancer --------------------------------------

CHART = Path(GUARDRAILS_CHART_DIR)
PLACEHOLDER = re.compile(r"\{\{\s*\.Values\.(\w+)\s*\|\s*quote\s*\}\}")


def render_guardrails(values: dict[str, Any]) -> list[dict[str, Any]]:
    """The guardrail chart's templates with `values`, as Helm renders them: the chart uses one
    form of placeholder only (`{{ .Values.<key> | quote }}`), and this refuses any other."""
    documents = []
    for template in sorted((CHART / "templates").glob("*.yaml")):
        text = template.read_text()
        rendered = PLACEHOLDER.sub(lambda m: json.dumps(str(values[m.group(1)])), text)
        assert "{{" not in rendered, f"{template.name}: a template form this renderer does not know"
        documents += [d for d in yaml.safe_load_all(rendered) if d]
    return documents


def cel_matches(expression: str, obj: dict[str, Any]) -> bool:
    """Evaluates the small CEL subset the policy uses (`has(...)`, field selection on `object`,
    string literals, `==`, `!=`, `!`, `&&`, `||`, parentheses) by translating it to Python; any
    other token fails the test, so a policy that outgrows the subset is noticed."""
    tokens = re.findall(r"\s*(has\(|object(?:\.\w+)+|'[^']*'|==|!=|\|\||&&|!|\(|\))", expression)
    assert "".join(tokens).replace(" ", "") == expression.replace(" ", ""), f"outside the subset: {expression}"

    def lookup(path: str) -> tuple[bool, Any]:
        node: Any = {"object": obj}
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return False, None
            node = node[part]
        return True, node

    python, depth_has = [], []
    for token in tokens:
        if token == "has(":
            python.append("(")
            depth_has.append(True)
        elif token.startswith("object"):
            found, value = lookup(token)
            if depth_has and depth_has[-1]:
                python.append(repr(found))
            else:  # a missing field is an error in CEL: raised only if evaluated (`||` short-circuits)
                python.append(repr(value) if found else f"_missing({token!r})")
        elif token == ")":
            python.append(")")
            if depth_has:
                depth_has.pop()
        elif token == "(":
            python.append("(")
            depth_has.append(False)
        else:
            python.append({"||": " or ", "&&": " and ", "!": " not "}.get(token, f" {token} "))

    def missing(path: str) -> None:
        raise AssertionError(f"{path} is not set: CEL fails with no such key")

    return bool(eval("".join(python), {"__builtins__": {}}, {"_missing": missing}))  # noqa: S307 - tokens checked


def service(type_: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"ports": [{"port": 80}]}
    if type_ is not None:
        spec["type"] = type_
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}


def test_the_guardrail_chart_renders_a_denying_policy_and_its_binding():
    policy, binding = render_guardrails({"policyName": GUARDRAILS_POLICY})
    assert policy["apiVersion"] == binding["apiVersion"] == "admissionregistration.k8s.io/v1"
    assert policy["kind"] == "ValidatingAdmissionPolicy"
    assert binding["kind"] == "ValidatingAdmissionPolicyBinding"
    assert policy["metadata"]["name"] == binding["spec"]["policyName"] == GUARDRAILS_POLICY
    assert binding["spec"]["validationActions"] == ["Deny"]
    assert "matchResources" not in binding["spec"]  # every namespace, kube-system included
    assert policy["spec"]["failurePolicy"] == "Fail"
    [rule] = policy["spec"]["matchConstraints"]["resourceRules"]
    assert rule["apiGroups"] == [""] and rule["resources"] == ["services"]
    assert set(rule["operations"]) == {"CREATE", "UPDATE"}  # an UPDATE to LoadBalancer is refused too


@pytest.mark.parametrize(
    ("type_", "admitted"),
    [("LoadBalancer", False), ("ClusterIP", True), ("NodePort", True), ("ExternalName", True), (None, True)],
)
def test_the_policy_expression_refuses_type_load_balancer_only(type_, admitted):
    [policy, _] = render_guardrails({"policyName": GUARDRAILS_POLICY})
    [validation] = policy["spec"]["validations"]
    assert cel_matches(validation["expression"], service(type_)) is admitted
    assert "LoadBalancer" in validation["message"]


def test_the_chart_values_schema_and_version_floor():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["version"] == CHART.name
    assert chart["kubeVersion"].startswith(">=1.30")
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["required"] == ["policyName"] and schema["additionalProperties"] is False


@pytest.mark.parametrize(("version", "has"), [("1.29", False), ("1.30", True), ("1.33", True), ("2.0", True)])
def test_validating_admission_policy_from_kubernetes_1_30(version, has):
    assert has_validating_admission_policy(version) is has


def test_a_target_releases_the_guardrails_from_1_30_and_not_before(unit):
    for stack_id in ("target-1.33", "target-1.30"):
        release = _releases(unit[stack_id])["guardrails"]
        assert release["chart"].startswith("assets/"), stack_id  # the shipped chart, by content hash
        assert release["namespace"] == "kube-system"
        assert json.loads(release["values"][0]) == {"policyName": GUARDRAILS_POLICY}
    assert "guardrails" not in _releases(unit["target-1.29"])


@pytest.mark.parametrize("example", ALL_EXAMPLES)
def test_every_examples_targets_carry_the_guardrails_and_hubs_do_not(synth, example):
    stacks = synth(example)
    targets = [s for s in stacks if s.startswith("target-")]
    assert targets, example
    for stack_id, stack in stacks.items():
        releases = _releases(stack)
        if stack_id.startswith("target-"):
            assert "guardrails" in releases, f"{example}:{stack_id}"
            assert json.loads(releases["guardrails"]["values"][0]) == {"policyName": GUARDRAILS_POLICY}
        else:
            assert "guardrails" not in releases, f"{example}:{stack_id}"

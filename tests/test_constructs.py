"""Each construct's promises, asserted on the synthesized JSON of the example fleets."""

from __future__ import annotations

import json

import pytest

from fleet import names
from support.paths import ROOT
from support.synth import only, resources

GENERATION_STACKS = ("argocd-blue", "target-blue")


def _policy(document: str) -> dict:
    return json.loads(document)


# --- EksCluster: one construct for both kinds of cluster ------------------------------------


@pytest.mark.parametrize("stack_id", GENERATION_STACKS)
def test_every_cluster_encrypts_secrets_with_its_own_rotated_kms_key(steady, stack_id):
    stack = steady[stack_id]
    cluster = only(stack, "aws_eks_cluster")
    key_id, key = next(iter(resources(stack, "aws_kms_key").items()))
    assert cluster["encryption_config"]["resources"] == ["secrets"]
    assert cluster["encryption_config"]["provider"]["key_arn"] == f"${{aws_kms_key.{key_id}.arn}}"
    assert key["enable_key_rotation"] is True


@pytest.mark.parametrize("stack_id", GENERATION_STACKS)
def test_every_cluster_logs_all_five_control_plane_log_types_to_an_encrypted_group(steady, stack_id):
    stack = steady[stack_id]
    cluster = only(stack, "aws_eks_cluster")
    logs = only(stack, "aws_cloudwatch_log_group")
    assert sorted(cluster["enabled_cluster_log_types"]) == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    assert logs["name"] == f"/aws/eks/{cluster['name']}/cluster"
    assert logs["kms_key_id"].startswith("${aws_kms_key.")


@pytest.mark.parametrize("stack_id", GENERATION_STACKS)
def test_every_cluster_has_private_endpoint_on_public_off_and_access_entries_only(steady, stack_id):
    cluster = only(steady[stack_id], "aws_eks_cluster")
    vpc = cluster["vpc_config"]
    assert vpc["endpoint_private_access"] is True
    assert vpc["endpoint_public_access"] is False
    assert "public_access_cidrs" not in vpc
    assert cluster["access_config"]["authentication_mode"] == "API"


def test_public_endpoint_is_narrowed_to_listed_cidrs(synth, derived_fleet):
    path = derived_fleet(
        "examples/steady.yaml",
        "public-endpoint",
        lambda d: d["services"]["web"]["targets"]["blue"].update(public_access_cidrs=["203.0.113.0/24"]),
    )
    cluster = only(synth(path)["target-blue"], "aws_eks_cluster")
    assert cluster["vpc_config"]["endpoint_public_access"] is True
    assert cluster["vpc_config"]["public_access_cidrs"] == ["203.0.113.0/24"]
    assert cluster["vpc_config"]["endpoint_private_access"] is True


@pytest.mark.parametrize("stack_id", GENERATION_STACKS)
def test_nodes_enforce_imdsv2_with_hop_limit_one_and_encrypted_disks(steady, stack_id):
    template = only(steady[stack_id], "aws_launch_template")
    metadata = template["metadata_options"]
    assert metadata["http_tokens"] == "required"
    assert metadata["http_put_response_hop_limit"] == 1
    assert template["block_device_mappings"][0]["ebs"]["encrypted"] == "true"
    group = only(steady[stack_id], "aws_eks_node_group")
    assert group["launch_template"]["id"].startswith("${aws_launch_template.")


def test_hub_nodes_carry_the_cluster_sg_and_the_argocd_client_sg(steady):
    template = only(steady["argocd-blue"], "aws_launch_template")
    groups = template["vpc_security_group_ids"]
    assert groups[0].endswith(".vpc_config[0].cluster_security_group_id}")
    assert groups[1] == "${data.aws_security_group.argocd-client-sg.id}"
    client = steady["argocd-blue"]["data"]["aws_security_group"]["argocd-client-sg"]
    assert client["name"] == "acme-argocd-client"


@pytest.mark.parametrize("stack_id", GENERATION_STACKS)
def test_every_cluster_runs_the_pod_identity_agent(steady, stack_id):
    addon = only(steady[stack_id], "aws_eks_addon")
    assert addon["addon_name"] == "eks-pod-identity-agent"


# --- SharedArgoRole ---------------------------------------------------------------------------


def test_shared_argo_role_trusts_only_pod_identity_narrowed_by_session_tags(steady):
    role = only(steady["shared"], "aws_iam_role")
    trust = _policy(role["assume_role_policy"])
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    equals = statement["Condition"]["StringEquals"]
    assert equals["aws:RequestTag/kubernetes-namespace"] == "argocd"
    # The application controller alone (issue 15): the applicationset controller and argocd-server
    # never act as the role (tests/test_argocd_privileges.py).
    assert sorted(equals["aws:RequestTag/kubernetes-service-account"]) == ["argocd-application-controller"]
    assert equals["aws:SourceAccount"].startswith("${data.aws_caller_identity.")
    assert statement["Condition"]["StringLike"] == {"aws:RequestTag/eks-cluster-name": "acme-argocd-*"}
    assert role["name"] == "acme-argocd"


def test_shared_argo_role_has_no_permission_policy(steady):
    shared = steady["shared"]
    for kind in ("aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_policy"):
        assert not resources(shared, kind), f"SharedArgoRole needs no {kind}"


def test_grant_cluster_access_adds_access_entry_and_namespaced_admin_on_the_target(steady):
    target = steady["target-blue"]
    entry = only(target, "aws_eks_access_entry")
    association = only(target, "aws_eks_access_policy_association")
    assert entry["principal_arn"] == association["principal_arn"] == _shared_role_arn(target)
    assert entry["type"] == "STANDARD"
    assert association["policy_arn"].endswith(":eks::aws:cluster-access-policy/AmazonEKSAdminPolicy")
    assert association["access_scope"]["type"] == "namespace"


def test_hub_associates_argocds_service_accounts_with_the_shared_role(steady):
    associations = resources(steady["argocd-blue"], "aws_eks_pod_identity_association").values()
    assert sorted((a["namespace"], a["service_account"]) for a in associations) == [
        ("argocd", "argocd-application-controller"),
    ]
    assert {a["role_arn"] for a in associations} == {_shared_role_arn(steady["argocd-blue"])}


def test_the_roles_trust_and_every_hubs_associations_name_the_same_service_accounts(hub_swap):
    """One list feeds both: the day they differ, a hub loses its role with no error."""
    [statement] = _policy(only(hub_swap["shared"], "aws_iam_role")["assume_role_policy"])["Statement"]
    equals = statement["Condition"]["StringEquals"]
    trusted = {
        (equals["aws:RequestTag/kubernetes-namespace"], a) for a in equals["aws:RequestTag/kubernetes-service-account"]
    }
    assert trusted == {(names.ARGOCD_NAMESPACE, a) for a in names.ARGOCD_SERVICE_ACCOUNTS}
    for hub in ("argocd-blue", "argocd-green"):
        associations = resources(hub_swap[hub], "aws_eks_pod_identity_association").values()
        assert {(a["namespace"], a["service_account"]) for a in associations} == trusted, hub


def _shared_role_arn(stack) -> str:
    """The stack finds SharedArgoRole by its name, through a data source."""
    [(key, role)] = stack["data"]["aws_iam_role"].items()
    assert role["name"] == "acme-argocd"
    return f"${{data.aws_iam_role.{key}.arn}}"


# --- PrivateEndpointAccess ------------------------------------------------------------------


def test_target_api_is_open_to_the_argocd_client_sg_on_443_only(steady):
    target = steady["target-blue"]
    rules = resources(target, "aws_vpc_security_group_ingress_rule")
    from_argocd = [
        r
        for r in rules.values()
        if r["referenced_security_group_id"] == "${data.aws_security_group.argocd-client-sg.id}"
    ]
    assert len(from_argocd) == 1
    [rule] = from_argocd
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 443, 443)
    sg_id = rule["security_group_id"]
    cluster = only(target, "aws_eks_cluster")
    assert sg_id in cluster["vpc_config"]["security_group_ids"], "the rule must be on the control plane's additional SG"
    assert not resources(target, "aws_security_group_rule")


# --- TargetCluster ----------------------------------------------------------------------------


def test_load_balancer_controller_can_only_register_pods_in_its_own_target_group(steady):
    target = steady["target-blue"]
    policy = _policy(only(target, "aws_iam_role_policy")["policy"])
    writes = [s for s in policy["Statement"] if s["Resource"] != "*"]
    reads = [s for s in policy["Statement"] if s["Resource"] == "*"]
    assert writes == [
        {
            "Sid": "RegisterPods",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": "${data.aws_lb_target_group.target-group.arn}",
        }
    ]
    assert all(a.split(":")[1].startswith("Describe") for s in reads for a in s["Action"])
    assert target["data"]["aws_lb_target_group"]["target-group"]["name"] == "acme-blue"


def test_load_balancer_controller_role_trusts_only_its_own_cluster_and_service_account(steady):
    roles = resources(steady["target-blue"], "aws_iam_role")
    [lbc] = [r for r in roles.values() if r["name"].endswith("-lbc")]
    [statement] = _policy(lbc["assume_role_policy"])["Statement"]
    assert statement["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == [
        "aws-load-balancer-controller"
    ]
    assert statement["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-namespace"] == "kube-system"
    assert statement["Condition"]["StringLike"] == {"aws:RequestTag/eks-cluster-name": "acme-target-blue"}


def test_target_binds_the_served_app_to_its_target_group_through_a_shipped_chart(steady):
    target = steady["target-blue"]
    releases = resources(target, "helm_release")
    [binding] = [r for r in releases.values() if r["name"] == "podinfo-tgb"]
    assert binding["chart"].startswith("assets/")
    values = json.loads(binding["values"][0])
    assert values == {
        "name": "podinfo",
        "serviceName": "podinfo",
        "servicePort": 9898,
        "targetGroupARN": "${data.aws_lb_target_group.target-group.arn}",
    }
    namespace = only(target, "kubernetes_namespace_v1")
    assert namespace["metadata"]["name"] == binding["namespace"] == "podinfo"
    [lbc] = [r for r in releases.values() if r["chart"] == "aws-load-balancer-controller"]
    assert any(d.startswith("helm_release.") for d in binding["depends_on"])
    assert json.loads(lbc["values"][0])["enableServiceMutatorWebhook"] is False


def test_alb_reaches_the_app_pods_on_the_app_port_only(steady):
    rules = resources(steady["target-blue"], "aws_vpc_security_group_ingress_rule").values()
    [from_alb] = [r for r in rules if r["referenced_security_group_id"] == "${data.aws_security_group.alb-sg.id}"]
    assert (from_alb["from_port"], from_alb["to_port"]) == (9898, 9898)
    assert from_alb["security_group_id"].endswith(".vpc_config[0].cluster_security_group_id}")
    assert steady["target-blue"]["data"]["aws_security_group"]["alb-sg"]["name"] == "acme-web-alb"


def test_alb_reaches_the_pods_on_their_container_port_not_the_service_port(synth):
    """api's app: Service port 80, pods on 9898. The TargetGroupBinding names the Service port;
    the ALB (IP targets) reaches the pods on 9898, so both SG rules open 9898 alone."""
    two = synth("examples/two-services.yaml")
    for gen in ("apiblue", "apigreen"):
        target = two[names.stack_id("target", gen)]
        [binding] = [r for r in resources(target, "helm_release").values() if r["name"] == "api-tgb"]
        assert json.loads(binding["values"][0])["servicePort"] == 80
        rules = resources(target, "aws_vpc_security_group_ingress_rule").values()
        [from_alb] = [r for r in rules if r["referenced_security_group_id"] == "${data.aws_security_group.alb-sg.id}"]
        assert (from_alb["from_port"], from_alb["to_port"]) == (9898, 9898)
        assert target["data"]["aws_security_group"]["alb-sg"]["name"] == "acme-api-alb"
        tags = target["provider"]["aws"][0]["default_tags"][0]["tags"]
        assert tags["ephemeral-eks/service"] == "api"
    shared = two["shared"]
    out = {
        r["tags"]["ephemeral-eks/service"]: r for r in resources(shared, "aws_vpc_security_group_egress_rule").values()
    }
    assert {s: (r["from_port"], r["to_port"]) for s, r in out.items()} == {"web": (9898, 9898), "api": (9898, 9898)}
    groups = {r["name"]: r for r in resources(shared, "aws_lb_target_group").values()}
    assert {n: g["port"] for n, g in groups.items()} == {"acme-blue": 9898, "acme-apiblue": 80, "acme-apigreen": 80}


# --- ArgoCdCluster ------------------------------------------------------------------------------


def _secrets(stack):
    return {
        s["metadata"]["labels"]["ephemeral-eks.io/generation"]: s
        for s in resources(stack, "kubernetes_secret_v1").values()
    }


def test_hub_registers_each_target_with_an_argocd_cluster_secret(target_swap):
    secrets = _secrets(target_swap["argocd-blue"])
    assert sorted(secrets) == ["blue", "green"]
    green = secrets["green"]
    assert green["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "cluster"
    assert green["metadata"]["labels"]["ephemeral-eks.io/fleet"] == "acme"
    assert green["metadata"]["labels"]["ephemeral-eks.io/service"] == "web"
    assert green["metadata"]["namespace"] == "argocd"
    assert green["data"]["server"] == "${data.aws_eks_cluster.target-green.endpoint}"
    assert json.loads(green["data"]["config"]) == {
        "awsAuthConfig": {"clusterName": "acme-target-green"},
        "tlsClientConfig": {
            "insecure": False,
            "caData": "${data.aws_eks_cluster.target-green.certificate_authority[0].data}",
        },
    }
    assert target_swap["argocd-blue"]["data"]["aws_eks_cluster"]["target-green"]["name"] == "acme-target-green"


def test_each_cluster_secret_carries_its_service_and_its_generations_helm_values(synth):
    secrets = _secrets(synth("examples/two-services.yaml")["argocd-blue"])
    assert {g: s["metadata"]["labels"]["ephemeral-eks.io/service"] for g, s in secrets.items()} == {
        "blue": "web",
        "apiblue": "api",
        "apigreen": "api",
    }
    values = {
        g: {
            k: json.loads(v)
            for k, v in s["metadata"]["annotations"].items()
            if k.startswith("ephemeral-eks.io/values.")
        }
        for g, s in secrets.items()
    }
    assert values["blue"] == {
        "ephemeral-eks.io/values.podinfo": {"replicaCount": 3, "ui": {"message": "served by the web service"}}
    }
    assert values["apiblue"] == {"ephemeral-eks.io/values.api": {"replicaCount": 2, "service": {"externalPort": 80}}}
    # apigreen's own values merged over the app's
    assert values["apigreen"] == {
        "ephemeral-eks.io/values.api": {
            "replicaCount": 2,
            "service": {"externalPort": 80},
            "resources": {"requests": {"cpu": "200m", "memory": "128Mi"}},
        }
    }


def test_skip_reconcile_is_on_every_standby_secret_and_on_no_active_one(hub_swap):
    standby = _secrets(hub_swap["argocd-green"])
    active = _secrets(hub_swap["argocd-blue"])
    assert standby and active
    assert all(
        s["metadata"]["annotations"].get("argocd.argoproj.io/skip-reconcile") == "true" for s in standby.values()
    )
    assert all("argocd.argoproj.io/skip-reconcile" not in s["metadata"]["annotations"] for s in active.values())


def test_hub_installs_argocd_and_ships_applicationsets_in_a_helm_release(steady):
    releases = {
        r["chart"]: r
        for r in resources(steady["argocd-blue"], "helm_release").values()
        if r["name"] != "default-project"
    }
    assert releases["argo-cd"]["repository"] == "https://argoproj.github.io/argo-helm"
    assert releases["argo-cd"]["version"] == "8.1.3"
    values = json.loads(releases["argocd-apps"]["values"][0])
    apps = values["applicationsets"]
    assert sorted(apps) == ["web-podinfo"]  # one per (service, app): <service>-<app>
    podinfo = apps["web-podinfo"]
    selector = podinfo["generators"][0]["clusters"]["selector"]["matchLabels"]
    assert selector["ephemeral-eks.io/fleet"] == "acme"
    assert selector["ephemeral-eks.io/service"] == "web"
    assert podinfo["syncPolicy"] == {"preserveResourcesOnDeletion": True}
    # the destination names the cluster Secret, as the service's AppProject lists its destinations
    assert podinfo["template"]["spec"]["destination"] == {"name": "{{ .name }}", "namespace": "podinfo"}
    assert podinfo["template"]["spec"]["project"] == "web"
    assert "skip-reconcile" in json.dumps(podinfo["template"]["metadata"]["annotations"])
    project = values["projects"]["web"]
    assert project["namespace"] == "argocd"
    assert project["destinations"] == [{"name": "acme-target-blue", "namespace": "podinfo"}]
    assert project["sourceRepos"] == [podinfo["template"]["spec"]["source"]["repoURL"]]


def test_kubernetes_providers_of_a_stack_are_configured_from_its_own_cluster(steady):
    for stack_id in GENERATION_STACKS:
        stack = steady[stack_id]
        [cluster_id] = resources(stack, "aws_eks_cluster")
        helm = stack["provider"]["helm"][0]["kubernetes"]
        kube = stack["provider"]["kubernetes"][0]
        for config in (helm, kube):
            assert config["host"] == f"${{aws_eks_cluster.{cluster_id}.endpoint}}"


@pytest.mark.parametrize("stack_id", GENERATION_STACKS)
def test_cluster_keeps_its_role_policy_until_it_is_gone(steady, stack_id):
    """Terraform destroys in reverse dependency order: the cluster must depend on its role's
    policy attachment, or the policy goes first and EKS cannot clean up what it created."""
    stack = steady[stack_id]
    cluster = only(stack, "aws_eks_cluster")
    attachments = {
        f"aws_iam_role_policy_attachment.{name}"
        for name, body in resources(stack, "aws_iam_role_policy_attachment").items()
        if body["policy_arn"].endswith("/AmazonEKSClusterPolicy")
    }
    assert attachments and attachments <= set(cluster["depends_on"])


# --- Each fact once: what a construct must own itself is pinned to the fleet's one copy ------


OWN_DEFAULTS = {
    "EksClusterProps.control_plane_security_group_ids": "what PrivateEndpointAccess adds, not the fleet",
    "EksClusterProps.node_security_group_ids": "the ArgoCD-client SG a hub adds, not the fleet",
    "EksClusterProps.region": "looked up when not given",
    "EksClusterProps.partition": "looked up when not given",
    "TargetClusterProps.guardrails_chart_dir": "the project's own guardrail chart; no fleet option names it",
}
"""The only construct props with a default: none of them is a value the fleet file decides."""


def test_no_construct_prop_copies_a_default_the_fleet_model_owns():
    """Node sizing, service range, tier tag, namespace, service accounts, CIDRs...: a prop the
    stacks set from the fleet is required, so a fleet default is written once (fleet/model/)."""
    import dataclasses
    import importlib

    defaults = set()
    for path in sorted((ROOT / "constructs").glob("*.py")):
        module = importlib.import_module(f"constructs.{path.stem}")
        for cls in vars(module).values():
            if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__:
                defaults |= {
                    f"{cls.__name__}.{f.name}"
                    for f in dataclasses.fields(cls)
                    if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
                }
    assert defaults == set(OWN_DEFAULTS)

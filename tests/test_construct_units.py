"""Each construct on a bare stack, from typed props, with no fleet file: a construct change is
checked in seconds. Every construct is built once, in one `Testing.app()`, by the module fixture;
a test reads one stack's synthesized JSON (as the cdktf Python examples do)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting  # not `Testing`: pytest would try to collect it

from constructs.argocd_cluster import AppSpec, ArgoCdCluster, ArgoCdClusterProps, ClusterRegistration, ProjectSpec
from constructs.eks_cluster import EksCluster, EksClusterProps, NodeSizing
from constructs.fleet_network import FleetNetwork, FleetNetworkProps, subnet_cidrs
from constructs.fleet_traffic import FleetTraffic, FleetTrafficProps, TrafficTarget
from constructs.private_endpoint_access import OperatorAccess, PrivateEndpointAccess, PrivateEndpointAccessProps
from constructs.shared_argo_role import SharedArgoRole, SharedArgoRoleProps
from constructs.target_cluster import ServedApp, TargetCluster, TargetClusterProps
from fleet.versions import BINDING_CHART_DIR, binding_chart_versions
from stacks.hub import REGISTRATION_KEYS
from support.synth import only, resources

ACCOUNT_ROLE = "arn:aws:iam::111122223333:role"
CLIENT_SG = "sg-argocd-client"
ALB_SG = "sg-alb"
TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/unit-blue/0123456789abcdef"
SKIP_RECONCILE = "argocd.argoproj.io/skip-reconcile"
SERVICE_ACCOUNTS = ("argocd-application-controller", "argocd-applicationset-controller", "argocd-server")
NO_OPERATORS = OperatorAccess(cidrs=(), security_group_ids=())


def cluster(name: str, public_access_cidrs: tuple[str, ...] = ()) -> EksClusterProps:
    return EksClusterProps(
        cluster_name=name,
        kubernetes_version="1.33",
        subnet_ids=("subnet-a", "subnet-b"),
        node_group_name=f"{name}-nodes",
        ami_type="AL2023_x86_64_STANDARD",
        public_access_cidrs=public_access_cidrs,
        service_cidr="172.20.0.0/16",
        nodes=NodeSizing(instance_types=("m6i.large",), min_size=1, desired_size=2, max_size=3, disk_size_gib=50),
        addon_versions=(),
        region="eu-west-1",
        partition="aws",
    )


def hub(paused: bool) -> ArgoCdClusterProps:
    registrations = tuple(
        ClusterRegistration(
            generation=gen,
            service="web",
            cluster_name=f"unit-target-{gen}",
            server=f"https://{gen}.eks.example",
            ca_data="Q0E=",
            helm_values=(("podinfo", '{"replicaCount": 2}'),),
            namespaces=("podinfo",),
            cluster_resources=False,
        )
        for gen in ("blue", "green")
    )
    app = AppSpec(
        name="podinfo",
        service="web",
        application_set_name="web-podinfo",
        project="web",
        repo_url="https://stefanprodan.github.io/podinfo",
        revision="6.7.1",
        namespace="podinfo",
        chart="podinfo",
        path=None,
        create_namespace=False,
        excluded_generations=(),
    )
    project = ProjectSpec(
        name="web",
        description="Service web",
        source_repos=(app.repo_url,),
        destinations=tuple((r.cluster_name, "podinfo") for r in registrations),
        cluster_resources=(),
    )
    return ArgoCdClusterProps(
        cluster=cluster("unit-argocd-blue"),
        vpc_id="vpc-1",
        operators=NO_OPERATORS,
        role_arn=f"{ACCOUNT_ROLE}/unit-argocd",
        fleet_name="unit",
        argocd_chart_version="7.8.0",
        apps_chart_version="2.0.0",
        namespace="argocd",
        service_accounts=SERVICE_ACCOUNTS,
        registrations=registrations,
        apps=(app,),
        projects=(project,),
        paused=paused,
        keys=REGISTRATION_KEYS,
    )


def traffic(targets: tuple[TrafficTarget, ...], deletion_protection: bool = True) -> FleetTrafficProps:
    return FleetTrafficProps(
        alb_name="unit-web-alb",
        security_group_name="unit-web-alb",
        vpc_id="vpc-1",
        vpc_cidr="10.0.0.0/16",
        public_subnet_ids=("subnet-p1", "subnet-p2"),
        certificate_arn="arn:aws:acm:eu-west-1:111122223333:certificate/unit",
        app_port=80,
        target_port=9898,
        targets=targets,
        access_logs_bucket="unit-logs",
        operator_cidrs=("10.0.0.0/16",),
        generation_tag="ephemeral-eks/generation",
        service_tag=("ephemeral-eks/service", "web"),
        deletion_protection=deletion_protection,
        allowed_cidrs=("0.0.0.0/0",),
        health_check_path="/healthz",
        waf_acl_arn=None,
    )


def traffic_target(generation: str, weight: int, serving: bool, operator_rule: bool) -> TrafficTarget:
    return TrafficTarget(
        generation=generation,
        target_group_name=f"unit-{generation}",
        weight=weight,
        serving=serving,
        rule_priority=len(generation),
        operator_rule=operator_rule,
        in_forward=False,
    )


SWAPPING = (
    traffic_target("blue", 90, serving=True, operator_rule=True),
    traffic_target("green", 10, serving=True, operator_rule=True),
    traffic_target("purple", 0, serving=False, operator_rule=True),  # provisioning
    traffic_target("old", 0, serving=False, operator_rule=False),  # retiring
)


@dataclass(frozen=True)
class Synthesized:
    raw: str
    """As `Testing.synth` returns it, for the cdktf matchers."""
    json: dict[str, Any]


@pytest.fixture(scope="module")
def unit() -> dict[str, Synthesized]:
    """Every construct, each in its own bare stack of one test app, synthesized once."""
    app = CdktfTesting.app()
    built: dict[str, TerraformStack] = {}

    def stack(id: str) -> TerraformStack:
        built[id] = TerraformStack(app, id)
        return built[id]

    EksCluster(stack("eks"), "eks", cluster("unit-target-blue"))
    EksCluster(stack("eks-public"), "eks", cluster("unit-target-blue", public_access_cidrs=("203.0.113.0/24",)))
    PrivateEndpointAccess(
        stack("endpoint"),
        "endpoint-access",
        PrivateEndpointAccessProps(
            cluster_name="unit-target-blue",
            vpc_id="vpc-1",
            client_security_group_id=CLIENT_SG,
            operators=NO_OPERATORS,
            public_access_cidrs=(),
        ),
    )
    SharedArgoRole(
        stack("role"),
        "argocd-role",
        SharedArgoRoleProps(
            role_name="unit-argocd",
            hub_cluster_pattern="unit-argocd-*",
            namespace="argocd",
            service_accounts=SERVICE_ACCOUNTS,
        ),
    )
    ArgoCdCluster(stack("hub-standby"), "argocd", hub(paused=True))
    ArgoCdCluster(stack("hub-active"), "argocd", hub(paused=False))
    target = stack("target")
    TargetCluster(
        target,
        "target",
        TargetClusterProps(
            cluster=cluster("unit-target-blue"),
            vpc_id="vpc-1",
            region="eu-west-1",
            argocd_role=SharedArgoRole.from_role_name(target, "argocd-role", "unit-argocd"),
            client_security_group_id=CLIENT_SG,
            alb_security_group_id=ALB_SG,
            target_group_arn=TARGET_GROUP,
            app=ServedApp(name="podinfo", namespace="podinfo", service="podinfo", port=80, target_port=9898),
            namespaces=(("podinfo", "podinfo"),),
            cluster_wide=False,
            lbc_chart_version="1.13.0",
            binding_chart_dir=str(BINDING_CHART_DIR / binding_chart_versions()[-1]),
            operators=OperatorAccess(cidrs=("192.0.2.0/24",), security_group_ids=("sg-runner",)),
        ),
    )
    FleetNetwork(
        stack("network"),
        "network",
        FleetNetworkProps(
            name="unit",
            cidr="10.0.0.0/16",
            zones=("eu-west-1a", "eu-west-1b"),
            tier_tag="ephemeral-eks/tier",
            flow_logs_bucket="unit-logs",
        ),
    )
    FleetTraffic(stack("traffic"), "traffic-web", traffic(SWAPPING))
    FleetTraffic(
        stack("traffic-none-serving"),
        "traffic-web",
        traffic((traffic_target("blue", 0, serving=False, operator_rule=True),), deletion_protection=False),
    )
    out = {}
    for id, built_stack in built.items():
        raw = CdktfTesting.synth(built_stack)
        out[id] = Synthesized(raw, json.loads(raw))
    return out


def ingress_rules(stack: dict[str, Any]) -> list[dict[str, Any]]:
    return list(resources(stack, "aws_vpc_security_group_ingress_rule").values())


def ref(stack: dict[str, Any], kind: str, attribute: str) -> str:
    """The reference to `attribute` of the stack's one resource of `kind`."""
    (address,) = resources(stack, kind)
    return f"${{{kind}.{address}.{attribute}}}"


# --- EksCluster -----------------------------------------------------------------------------


def test_cluster_secrets_are_encrypted_with_its_own_rotated_key(unit):
    eks = unit["eks"].json
    assert only(eks, "aws_eks_cluster")["encryption_config"] == {
        "provider": {"key_arn": ref(eks, "aws_kms_key", "arn")},
        "resources": ["secrets"],
    }
    assert CdktfTesting.to_have_resource_with_properties(unit["eks"].raw, "aws_kms_key", {"enable_key_rotation": True})


def test_cluster_logs_every_control_plane_log_type_for_a_year_encrypted(unit):
    eks = unit["eks"].json
    cluster_ = only(eks, "aws_eks_cluster")
    assert set(cluster_["enabled_cluster_log_types"]) == {
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    }
    logs = only(eks, "aws_cloudwatch_log_group")
    assert logs["name"] == "/aws/eks/unit-target-blue/cluster"  # the group EKS writes to
    assert logs["retention_in_days"] == 365
    assert logs["kms_key_id"] == ref(eks, "aws_kms_key", "arn")


def test_cluster_without_public_cidrs_has_no_public_endpoint(unit):
    vpc = only(unit["eks"].json, "aws_eks_cluster")["vpc_config"]
    assert vpc["endpoint_private_access"] is True
    assert vpc["endpoint_public_access"] is False
    assert "public_access_cidrs" not in vpc


def test_cluster_public_endpoint_admits_only_the_listed_cidrs(unit):
    assert CdktfTesting.to_have_resource_with_properties(
        unit["eks-public"].raw,
        "aws_eks_cluster",
        {
            "vpc_config": {
                "endpoint_private_access": True,
                "endpoint_public_access": True,
                "public_access_cidrs": ["203.0.113.0/24"],
            }
        },
    )


def test_cluster_grants_access_by_access_entries_only(unit):
    access = only(unit["eks"].json, "aws_eks_cluster")["access_config"]
    assert access["authentication_mode"] == "API"


def test_nodes_require_imdsv2_with_hop_limit_one_and_encrypt_their_disk(unit):
    eks = unit["eks"].json
    template = only(eks, "aws_launch_template")
    assert template["metadata_options"] == {
        "http_endpoint": "enabled",
        "http_put_response_hop_limit": 1,
        "http_tokens": "required",
    }
    assert template["block_device_mappings"][0]["ebs"]["encrypted"] == "true"
    assert only(eks, "aws_eks_node_group")["launch_template"]["id"] == ref(eks, "aws_launch_template", "id")


def test_cluster_keeps_its_role_policies_until_it_is_deleted(unit):
    """EKS needs the cluster policy to delete the SGs and ENIs it made: Terraform must destroy
    the cluster before the attachment, and likewise the nodes before theirs."""
    eks = unit["eks"].json
    attachments = resources(eks, "aws_iam_role_policy_attachment")
    by_policy = {
        a["policy_arn"].rsplit("/", 1)[1]: f"aws_iam_role_policy_attachment.{k}" for k, a in attachments.items()
    }
    assert set(by_policy) == {
        "AmazonEKSClusterPolicy",
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly",
    }
    assert by_policy["AmazonEKSClusterPolicy"] in only(eks, "aws_eks_cluster")["depends_on"]
    node_policies = {by_policy[p] for p in by_policy if p != "AmazonEKSClusterPolicy"}
    assert node_policies <= set(only(eks, "aws_eks_node_group")["depends_on"])


def test_cluster_and_node_roles_are_assumed_by_their_services_only(unit):
    roles = resources(unit["eks"].json, "aws_iam_role").values()
    trusted = {
        role["name"]: [s["Principal"] for s in json.loads(role["assume_role_policy"])["Statement"]] for role in roles
    }
    assert trusted == {
        "unit-target-blue-cluster": [{"Service": "eks.amazonaws.com"}],
        "unit-target-blue-node": [{"Service": "ec2.amazonaws.com"}],
    }


def test_a_bare_cluster_grants_no_principal_any_access(unit):
    """No access entry on a cluster by itself: ArgoCD's comes from SharedArgoRole's grant on a
    target, and PR plans read no cluster (terraform plan -refresh=false)."""
    eks = unit["eks"].raw
    assert not resources(json.loads(eks), "aws_eks_access_entry")
    assert not resources(json.loads(eks), "aws_eks_access_policy_association")


# --- PrivateEndpointAccess ------------------------------------------------------------------


def test_control_plane_sg_admits_443_from_the_argocd_client_sg_only(unit):
    endpoint = unit["endpoint"].json
    (rule,) = ingress_rules(endpoint)
    assert rule["referenced_security_group_id"] == CLIENT_SG
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 443, 443)
    assert rule["security_group_id"] == ref(endpoint, "aws_security_group", "id")
    assert "cidr_ipv4" not in rule


def test_operators_reach_a_target_api_on_443_only(unit):
    rules = ingress_rules(unit["target"].json)
    api = [r for r in rules if r.get("referenced_security_group_id") != ALB_SG]  # the ALB's rule: the pods
    assert {r.get("cidr_ipv4") or r["referenced_security_group_id"] for r in api} == {
        CLIENT_SG,
        "192.0.2.0/24",
        "sg-runner",
    }
    assert {(r["from_port"], r["to_port"]) for r in api} == {(443, 443)}


# --- SharedArgoRole -------------------------------------------------------------------------


def test_shared_role_trusts_only_argocd_pods_on_the_fleets_hubs(unit):
    role = unit["role"].json
    (statement,) = json.loads(only(role, "aws_iam_role")["assume_role_policy"])["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    equals = statement["Condition"]["StringEquals"]
    assert equals["aws:RequestTag/kubernetes-namespace"] == "argocd"
    assert equals["aws:RequestTag/kubernetes-service-account"] == list(SERVICE_ACCOUNTS)
    assert equals["aws:SourceAccount"].startswith("${data.aws_caller_identity.")
    assert statement["Condition"]["StringLike"] == {"aws:RequestTag/eks-cluster-name": "unit-argocd-*"}


def test_shared_role_carries_no_permission_policy(unit):
    role = unit["role"].json
    assert set(role["resource"]) == {"aws_iam_role"}
    assert "inline_policy" not in only(role, "aws_iam_role")


# --- ArgoCdCluster --------------------------------------------------------------------------


def test_standby_hub_marks_every_cluster_secret_skip_reconcile(unit):
    secrets = resources(unit["hub-standby"].json, "kubernetes_secret_v1").values()
    assert len(secrets) == 2
    assert all(s["metadata"]["annotations"][SKIP_RECONCILE] == "true" for s in secrets)


def test_active_hub_leaves_every_cluster_secret_reconciling(unit):
    secrets = resources(unit["hub-active"].json, "kubernetes_secret_v1").values()
    assert len(secrets) == 2
    assert not any(SKIP_RECONCILE in s["metadata"]["annotations"] for s in secrets)


def test_hub_cluster_secrets_name_the_role_to_assume_and_hold_no_credential(unit):
    for secret in resources(unit["hub-active"].json, "kubernetes_secret_v1").values():
        config = json.loads(secret["data"]["config"])
        assert config == {
            "awsAuthConfig": {"clusterName": secret["data"]["name"]},
            "tlsClientConfig": {"insecure": False, "caData": "Q0E="},
        }


def test_hub_gives_each_argocd_service_account_the_shared_role(unit):
    associations = resources(unit["hub-active"].json, "aws_eks_pod_identity_association").values()
    assert {(a["namespace"], a["service_account"], a["role_arn"]) for a in associations} == {
        ("argocd", account, f"{ACCOUNT_ROLE}/unit-argocd") for account in SERVICE_ACCOUNTS
    }


def test_hub_applications_copy_the_pause_from_their_cluster_secret(unit):
    """A standby hub's Applications never sync: each takes skip-reconcile from its Secret."""
    releases = resources(unit["hub-standby"].json, "helm_release").values()
    (apps,) = [r for r in releases if r["name"] == "applicationsets"]  # not default-project
    template = json.loads(apps["values"][0])["applicationsets"]["web-podinfo"]["template"]
    assert SKIP_RECONCILE in template["metadata"]["annotations"][SKIP_RECONCILE]


def test_hub_api_admits_no_client_sg_and_no_operator_when_none_is_listed(unit):
    assert ingress_rules(unit["hub-active"].json) == []


# --- TargetCluster --------------------------------------------------------------------------


def test_target_group_binding_names_the_generations_own_target_group(unit):
    releases = resources(unit["target"].json, "helm_release").values()
    (binding,) = [r for r in releases if r["name"] == "podinfo-tgb"]
    assert json.loads(binding["values"][0]) == {
        "name": "podinfo",
        "serviceName": "podinfo",
        "servicePort": 80,
        "targetGroupARN": TARGET_GROUP,
    }


def test_load_balancer_controller_writes_only_to_its_own_target_group(unit):
    policy = json.loads(only(unit["target"].json, "aws_iam_role_policy")["policy"])
    writes = [s for s in policy["Statement"] if s["Resource"] != "*"]
    assert writes == [
        {
            "Sid": "RegisterPods",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": TARGET_GROUP,
        }
    ]
    reads = [a for s in policy["Statement"] if s["Resource"] == "*" for a in s["Action"]]
    assert all(":Describe" in action for action in reads)


def test_target_admits_the_shared_role_to_the_served_apps_namespace_only(unit):
    target = unit["target"].json
    role_arn = f"${{data.aws_iam_role.{next(iter(target['data']['aws_iam_role']))}.arn}}"
    assert only(target, "aws_eks_access_entry")["principal_arn"] == role_arn
    association = only(target, "aws_eks_access_policy_association")
    assert association["principal_arn"] == role_arn
    assert association["policy_arn"].endswith("/AmazonEKSAdminPolicy")
    assert association["access_scope"] == {"type": "namespace", "namespaces": ["podinfo"]}


def test_target_pods_take_traffic_from_the_alb_on_the_app_port_only(unit):
    (rule,) = [r for r in ingress_rules(unit["target"].json) if r.get("referenced_security_group_id") == ALB_SG]
    assert (rule["from_port"], rule["to_port"]) == (9898, 9898)
    assert rule["security_group_id"].endswith(".vpc_config[0].cluster_security_group_id}")


def test_target_control_plane_carries_the_endpoint_access_sg(unit):
    target = unit["target"].json
    groups = only(target, "aws_eks_cluster")["vpc_config"]["security_group_ids"]
    assert groups == [ref(target, "aws_security_group", "id")]


# --- FleetNetwork ---------------------------------------------------------------------------


def test_network_has_one_private_and_one_public_subnet_per_zone_tagged_by_tier(unit):
    subnets = resources(unit["network"].json, "aws_subnet").values()
    by_tier = {
        (s["tags"]["ephemeral-eks/tier"], s["availability_zone"], s.get("map_public_ip_on_launch", False))
        for s in subnets
    }
    assert by_tier == {
        ("private", "eu-west-1a", False),
        ("private", "eu-west-1b", False),
        ("public", "eu-west-1a", False),
        ("public", "eu-west-1b", False),
    }


def test_adding_a_zone_never_moves_an_existing_subnet():
    two_private, two_public = subnet_cidrs("10.0.0.0/16", 2)
    three_private, three_public = subnet_cidrs("10.0.0.0/16", 3)
    assert three_private[:2] == two_private and three_public[:2] == two_public


def test_private_subnets_reach_out_through_a_nat_gateway_of_their_own_zone(unit):
    network = unit["network"].json
    routes = [r for r in resources(network, "aws_route").values() if "nat_gateway_id" in r]
    assert len(routes) == 2 == len(resources(network, "aws_nat_gateway"))
    assert all(r["destination_cidr_block"] == "0.0.0.0/0" for r in routes)


def test_network_default_security_group_admits_nothing(unit):
    default = only(unit["network"].json, "aws_default_security_group")
    assert "ingress" not in default and "egress" not in default


def test_network_logs_all_flows_to_the_bucket(unit):
    (partition,) = unit["network"].json["data"]["aws_partition"]
    assert CdktfTesting.to_have_resource_with_properties(
        unit["network"].raw,
        "aws_flow_log",
        {
            "traffic_type": "ALL",
            "log_destination_type": "s3",
            "log_destination": f"arn:${{data.aws_partition.{partition}.partition}}:s3:::unit-logs/vpc-flow-logs/",
        },
    )


# --- FleetTraffic ---------------------------------------------------------------------------


def listener(stack: dict[str, Any], port: int) -> dict[str, Any]:
    (found,) = [lst for lst in resources(stack, "aws_lb_listener").values() if lst["port"] == port]
    return found


def group_refs(stack: dict[str, Any]) -> dict[str, str]:
    """Generation -> the `${...arn}` reference to its target group."""
    return {
        g["tags"]["ephemeral-eks/generation"]: f"${{aws_lb_target_group.{k}.arn}}"
        for k, g in resources(stack, "aws_lb_target_group").items()
    }


def test_alb_forwards_only_to_serving_generations_by_weight(unit):
    stack = unit["traffic"].json
    groups = group_refs(stack)
    (action,) = listener(stack, 443)["default_action"]
    assert action["forward"]["target_group"] == [
        {"arn": groups["blue"], "weight": 90},
        {"arn": groups["green"], "weight": 10},
    ]


def test_operators_try_a_generation_by_header_until_it_retires(unit):
    stack = unit["traffic"].json
    groups = group_refs(stack)
    rules = resources(stack, "aws_lb_listener_rule").values()
    reached = {rule["action"][0]["target_group_arn"] for rule in rules}
    assert reached == {groups["blue"], groups["green"], groups["purple"]}
    for rule in rules:
        conditions = {key: value for c in rule["condition"] for key, value in c.items()}
        assert conditions["http_header"]["http_header_name"] == "X-Ephemeral-Eks-Generation"
        assert conditions["source_ip"]["values"] == ["10.0.0.0/16"]


def test_alb_answers_503_while_no_generation_serves(unit):
    (action,) = listener(unit["traffic-none-serving"].json, 443)["default_action"]
    assert action["type"] == "fixed-response"
    assert action["fixed_response"]["status_code"] == "503"


def test_alb_redirects_http_to_https_and_speaks_tls_1_3(unit):
    stack = unit["traffic"].json
    (redirect,) = listener(stack, 80)["default_action"]
    assert redirect["redirect"] == {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}
    assert listener(stack, 443)["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"


def test_alb_reaches_only_the_vpc_on_the_pods_port(unit):
    (egress,) = resources(unit["traffic"].json, "aws_vpc_security_group_egress_rule").values()
    assert (egress["cidr_ipv4"], egress["from_port"], egress["to_port"]) == ("10.0.0.0/16", 9898, 9898)


def test_alb_forwards_to_as_many_generations_as_the_model_lets_serve_and_refuses_one_more():
    """The model's limit (fleet/model/limits.py) is what the ALB forwards to: the construct takes a
    fleet at the limit, and refuses the first generation past it."""
    from fleet.model.limits import MAX_SERVING_TARGETS

    def serving(count: int) -> tuple[TrafficTarget, ...]:
        return tuple(traffic_target(f"g{i}", 1, serving=True, operator_rule=False) for i in range(count))

    at_limit = TerraformStack(CdktfTesting.app(), "at-limit")
    FleetTraffic(at_limit, "traffic-web", traffic(serving(MAX_SERVING_TARGETS)))
    forward = json.loads(CdktfTesting.synth(at_limit))["resource"]["aws_lb_listener"]
    groups = [
        g
        for listener in forward.values()
        for a in listener["default_action"]
        for g in a.get("forward", {}).get("target_group", [])
    ]
    assert len(groups) == MAX_SERVING_TARGETS
    with pytest.raises(ValueError, match=f"at most {MAX_SERVING_TARGETS}"):
        FleetTraffic(
            TerraformStack(CdktfTesting.app(), "past-limit"), "traffic-web", traffic(serving(MAX_SERVING_TARGETS + 1))
        )

"""Least privilege, read off the synthesized IAM of every example: who may assume what, and
what each role may do."""

from __future__ import annotations

import json
import re

import pytest

from support.paths import EXAMPLES
from support.synth import resources

ALL_EXAMPLES = sorted(f"examples/{p.name}" for p in EXAMPLES.glob("*.yaml"))
ROLE_WRITES_LBC_MUST_NOT_HAVE = re.compile(
    r"^(elasticloadbalancing:(Create|Delete|Modify|Add|Remove|Set)|ec2:(Authorize|Revoke|Create|Delete|Modify)|iam:|wafv2:|shield:|acm:)"
)


@pytest.fixture(scope="module")
def every_stack(synth):
    return [(f"{example}:{stack_id}", stack) for example in ALL_EXAMPLES for stack_id, stack in synth(example).items()]


def _documents(stack: dict):
    """Every IAM / KMS policy document in a stack, with where it sits."""
    for kind, attribute in (
        ("aws_iam_role", "assume_role_policy"),
        ("aws_iam_role_policy", "policy"),
        ("aws_kms_key", "policy"),
        ("aws_iam_policy", "policy"),
    ):
        for name, body in resources(stack, kind).items():
            if attribute in body:
                yield f"{kind}.{name}.{attribute}", json.loads(body[attribute])


def test_no_policy_anywhere_names_the_wildcard_principal(every_stack):
    for where, stack in every_stack:
        for path, document in _documents(stack):
            for statement in document["Statement"]:
                principal = statement.get("Principal")
                assert principal != "*", f"{where} {path}"
                if isinstance(principal, dict):
                    for value in principal.values():
                        values = value if isinstance(value, list) else [value]
                        assert "*" not in values, f"{where} {path}"
                assert "NotPrincipal" not in statement, f"{where} {path}"


def test_every_pod_identity_trust_is_narrowed_by_namespace_service_account_cluster_and_account(every_stack):
    count = 0
    for where, stack in every_stack:
        for path, document in _documents(stack):
            for statement in document["Statement"]:
                if statement.get("Principal") != {"Service": "pods.eks.amazonaws.com"}:
                    continue
                count += 1
                equals, like = statement["Condition"]["StringEquals"], statement["Condition"]["StringLike"]
                assert equals["aws:RequestTag/kubernetes-namespace"], f"{where} {path}"
                assert equals["aws:RequestTag/kubernetes-service-account"], f"{where} {path}"
                assert equals["aws:SourceAccount"].startswith("${data.aws_caller_identity."), f"{where} {path}"
                assert like["aws:RequestTag/eks-cluster-name"].startswith("acme-"), f"{where} {path}"
                assert "*" not in like["aws:RequestTag/eks-cluster-name"][:-1], "only a trailing wildcard"
    assert count >= len(ALL_EXAMPLES) * 2


def test_shared_argo_role_trusts_only_hub_clusters_and_holds_no_permissions(every_stack):
    for where, stack in every_stack:
        if not where.endswith(":shared"):
            continue
        [role] = resources(stack, "aws_iam_role").values()
        [statement] = json.loads(role["assume_role_policy"])["Statement"]
        assert statement["Condition"]["StringLike"]["aws:RequestTag/eks-cluster-name"] == "acme-argocd-*"
        assert not resources(stack, "aws_iam_role_policy") and not resources(stack, "aws_iam_role_policy_attachment")


def test_load_balancer_controller_may_only_read_and_register_pods_in_its_own_target_group(every_stack):
    checked = 0
    for where, stack in every_stack:
        for name, body in resources(stack, "aws_iam_role_policy").items():
            document = json.loads(body["policy"])
            actions = [
                a
                for s in document["Statement"]
                for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
            ]
            assert not [a for a in actions if ROLE_WRITES_LBC_MUST_NOT_HAVE.match(a) or a.endswith("*")], (
                f"{where} {name}"
            )
            for statement in document["Statement"]:
                if statement["Resource"] == "*":
                    assert all(a.split(":")[1].startswith("Describe") for a in statement["Action"]), f"{where} {name}"
                else:
                    assert statement["Resource"] == "${data.aws_lb_target_group.target-group.arn}"
            checked += 1
    assert checked >= len(ALL_EXAMPLES)


SECRET_PATTERNS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "secret access key": re.compile(r"(?i)secret_access_key|aws_secret|secret_key"),
    "password": re.compile(r"(?i)\"password\"\s*:"),
    "bearer token": re.compile(r"(?i)bearerToken|\"token\"\s*:\s*\"[^$]"),
}


def test_no_secret_value_appears_in_any_synthesized_file(synth):
    for example in ALL_EXAMPLES:
        for path in (synth.outdir(example)).rglob("*"):
            if not path.is_file():
                continue
            text = path.read_text(errors="replace")
            for what, pattern in SECRET_PATTERNS.items():
                assert not pattern.search(text), f"{what} in {path}"


def test_argocd_cluster_secrets_carry_no_credentials_only_the_role_to_use(every_stack):
    for where, stack in every_stack:
        for body in resources(stack, "kubernetes_secret_v1").values():
            config = json.loads(body["data"]["config"])
            assert set(config) == {"awsAuthConfig", "tlsClientConfig"}, where
            assert (
                set(config["tlsClientConfig"]) == {"insecure", "caData"}
                and config["tlsClientConfig"]["insecure"] is False
            )
            assert set(config["awsAuthConfig"]) == {"clusterName"}

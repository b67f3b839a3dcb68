"""What the project's synth writes, as tables: every top-level key, provider, backend, resource and
data source type and argument, Helm repository and function that any example's synthesized stacks
hold (tests/test_plan_inputs.py keeps them equal to the union over every example; regenerate them
from its failure message). fleet/gate/plan_inputs.py accepts nothing else in a PR's stacks."""

from __future__ import annotations

TOP_LEVEL = ("//", "data", "locals", "output", "provider", "resource", "terraform", "variable")
"""The top-level blocks: no `module`, `check`, `import`, `moved` or `removed`."""
TERRAFORM_SETTINGS = ("backend", "required_providers")
PROVIDERS = {
    "aws": "registry.terraform.io/hashicorp/aws",
    "helm": "registry.terraform.io/hashicorp/helm",
    "kubernetes": "registry.terraform.io/hashicorp/kubernetes",
}
"""Each provider's local name and its source, the only ones `terraform init` may install."""
REQUIRED_PROVIDER_SETTINGS = ("source", "version")
PROVIDER_ARGUMENTS = {
    "aws": ("default_tags", "region"),
    "helm": ("kubernetes",),
    "kubernetes": ("cluster_ca_certificate", "exec", "host"),
}
HELM_KUBERNETES_ARGUMENTS = ("cluster_ca_certificate", "exec", "host")
BACKENDS = {
    "local": ("path",),
    "s3": ("bucket", "dynamodb_table", "encrypt", "key", "region", "use_lockfile"),
}
"""stacks/common.py's two backends and their settings (s3: from fleets with `state.backend: s3`)."""
RESOURCE_TYPES = (
    "aws_cloudwatch_log_group",
    "aws_default_security_group",
    "aws_eip",
    "aws_eks_access_entry",
    "aws_eks_access_policy_association",
    "aws_eks_addon",
    "aws_eks_cluster",
    "aws_eks_node_group",
    "aws_eks_pod_identity_association",
    "aws_flow_log",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_internet_gateway",
    "aws_kms_alias",
    "aws_kms_key",
    "aws_launch_template",
    "aws_lb",
    "aws_lb_listener",
    "aws_lb_listener_rule",
    "aws_lb_target_group",
    "aws_nat_gateway",
    "aws_route",
    "aws_route_table",
    "aws_route_table_association",
    "aws_security_group",
    "aws_subnet",
    "aws_vpc",
    "aws_vpc_security_group_egress_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_wafv2_web_acl_association",
    "helm_release",
    "kubernetes_namespace_v1",
    "kubernetes_secret_v1",
    "kubernetes_storage_class_v1",
    "terraform_data",
)
DATA_SOURCES = (
    "aws_caller_identity",
    "aws_eks_cluster",
    "aws_iam_role",
    "aws_lb_target_group",
    "aws_partition",
    "aws_security_group",
    "aws_subnets",
    "aws_vpc",
)
RESOURCE_ARGUMENTS = {
    "helm_release": (
        "//",
        "atomic",
        "chart",
        "create_namespace",
        "depends_on",
        "name",
        "namespace",
        "repository",
        "take_ownership",
        "timeout",
        "values",
        "version",
        "wait",
    ),
    "terraform_data": ("input", "lifecycle"),
}
"""Types whose every argument is pinned: a Helm release is fetched and rendered at plan time
(`postrender` runs a program; `repository_*_file` read the runner's files); `terraform_data` is the
stop stacks/generation.py writes into a destroyed generation (with no provisioner it runs nothing)."""
HELM_REPOSITORIES = ("https://argoproj.github.io/argo-helm", "https://aws.github.io/eks-charts")
FUNCTIONS = ("base64decode",)
"""The functions the synthesized expressions call: none reads a file, the environment or a provider."""

"""Which attribute changes make Terraform replace a resource (destroy + create), per resource type.

Read from the providers' source: `ForceNew: true` in SDKv2 schemas, `RequiresReplace` plan
modifiers (and `resp.RequiresReplace` in ModifyPlan) in framework resources, `ForceNew` calls in
CustomizeDiff functions.

- hashicorp/aws v5.100.0, the version the bindings and terraform use here (build commit
  f7a3b98da589ab1d52756b0dcee0dbf2de83d635, from the binary's build info). The repository is too
  large to fetch whole, so its files were read as stored copies, not all at that commit. Each entry
  was then checked against the v5.100.0 binary in /opt/tf-plugins: `terraform plan -refresh=false`
  over a made-up prior state, every settable argument changed, the plan's `replace_paths` compared.
  Where the source changed after v5.100.0, the binary's answer is kept.
- hashicorp/helm v3.1.1 (tag commit 1cbf08f6a306ab3cdff6079b87a61c7641b64f3b) and
  hashicorp/kubernetes v2.38.0 (tag commit be88f44271050f69d52f410bca388834afedfe71), the versions
  the installed bindings were generated from. Read at those tags.
- terraform_data: Terraform's built-in resource. Only `triggers_replace` replaces it (checked
  with terraform 1.11.4).

Paths are argument names as written in Terraform JSON configuration, joined by dots, with no list
indices. A nested block is named by its block name. An entry covers everything beneath it, so a
block that forces replacement as a whole is listed by its name alone. Computed-only attributes are
left out. A type with no replacing arguments maps to an empty tuple.

UPDATES_MAY_REPLACE lists arguments that are updated in place but that a CustomizeDiff or
ModifyPlan replaces under a condition. Those conditions are not part of FORCES_REPLACEMENT.
"""

from __future__ import annotations

FORCES_REPLACEMENT: dict[str, tuple[str, ...]] = {
    # internal/service/logs/group.go
    "aws_cloudwatch_log_group": ("log_group_class", "name", "name_prefix"),
    # internal/service/ec2/vpc_default_security_group.go
    "aws_default_security_group": ("vpc_id",),
    # internal/service/ec2/ec2_eip.go
    "aws_eip": ("address", "domain", "ipam_pool_id", "network_border_group", "public_ipv4_pool", "vpc"),
    # internal/service/eks/access_entry.go
    "aws_eks_access_entry": ("cluster_name", "principal_arn", "type"),
    # internal/service/eks/access_policy_association.go (no update at all)
    "aws_eks_access_policy_association": ("access_scope", "cluster_name", "policy_arn", "principal_arn"),
    # internal/service/eks/addon.go
    "aws_eks_addon": ("addon_name", "cluster_name"),
    # internal/service/eks/cluster.go: `version` is updated in place, and nothing stops a downgrade
    # at plan time. vpc_config.subnet_ids and security_group_ids are updated in place in v5.100.0.
    "aws_eks_cluster": (
        "access_config.bootstrap_cluster_creator_admin_permissions",
        "bootstrap_self_managed_addons",
        "kubernetes_network_config.ip_family",
        "kubernetes_network_config.service_ipv4_cidr",
        "name",
        "outpost_config.control_plane_instance_type",
        "outpost_config.control_plane_placement.group_name",
        "remote_network_config",
        "role_arn",
    ),
    # internal/service/eks/node_group.go: launch_template.version, scaling_config, labels, taint,
    # version and release_version are updated in place.
    "aws_eks_node_group": (
        "ami_type",
        "capacity_type",
        "cluster_name",
        "disk_size",
        "instance_types",
        "launch_template.id",
        "launch_template.name",
        "node_group_name",
        "node_group_name_prefix",
        "node_role_arn",
        "remote_access",
        "subnet_ids",
    ),
    # internal/service/eks/pod_identity_association.go (framework): role_arn is updated in place.
    "aws_eks_pod_identity_association": ("cluster_name", "namespace", "service_account"),
    # internal/service/ec2/vpc_flow_log.go: only tags are updated in place.
    "aws_flow_log": (
        "deliver_cross_account_role",
        "destination_options",
        "eni_id",
        "iam_role_arn",
        "log_destination",
        "log_destination_type",
        "log_format",
        "log_group_name",
        "max_aggregation_interval",
        "subnet_id",
        "traffic_type",
        "transit_gateway_attachment_id",
        "transit_gateway_id",
        "vpc_id",
    ),
    # internal/service/iam/role.go
    "aws_iam_role": ("name", "name_prefix", "path"),
    # internal/service/iam/role_policy.go
    "aws_iam_role_policy": ("name", "name_prefix", "role"),
    # internal/service/iam/role_policy_attachment.go
    "aws_iam_role_policy_attachment": ("policy_arn", "role"),
    # internal/service/ec2/vpc_internet_gateway.go: vpc_id is updated in place.
    "aws_internet_gateway": (),
    # internal/service/kms/alias.go: target_key_id is updated in place.
    "aws_kms_alias": ("name", "name_prefix"),
    # internal/service/kms/key.go
    "aws_kms_key": ("custom_key_store_id", "customer_master_key_spec", "key_usage", "multi_region", "xks_key_id"),
    # internal/service/ec2/ec2_launch_template.go: everything else is updated in place.
    "aws_launch_template": ("name", "name_prefix"),
    # internal/service/elbv2/load_balancer.go: see UPDATES_MAY_REPLACE for subnets and security groups.
    "aws_lb": ("customer_owned_ipv4_pool", "internal", "load_balancer_type", "name", "name_prefix"),
    # internal/service/elbv2/listener.go
    "aws_lb_listener": ("load_balancer_arn",),
    # internal/service/elbv2/listener_rule.go
    "aws_lb_listener_rule": ("listener_arn",),
    # internal/service/elbv2/target_group.go
    "aws_lb_target_group": (
        "ip_address_type",
        "name",
        "name_prefix",
        "port",
        "protocol",
        "protocol_version",
        "target_type",
        "vpc_id",
    ),
    # internal/service/ec2/vpc_nat_gateway.go: secondary_allocation_ids and
    # secondary_private_ip_addresses are updated in place.
    "aws_nat_gateway": (
        "allocation_id",
        "connectivity_type",
        "private_ip",
        "secondary_private_ip_address_count",
        "subnet_id",
    ),
    # internal/service/ec2/vpc_route.go: the target (gateway_id, nat_gateway_id, ...) is updated in place.
    "aws_route": (
        "destination_cidr_block",
        "destination_ipv6_cidr_block",
        "destination_prefix_list_id",
        "route_table_id",
    ),
    # internal/service/ec2/vpc_route_table.go
    "aws_route_table": ("vpc_id",),
    # internal/service/ec2/vpc_route_table_association.go: route_table_id is updated in place.
    "aws_route_table_association": ("gateway_id", "subnet_id"),
    # internal/service/ec2/vpc_security_group.go: ingress and egress are updated in place.
    "aws_security_group": ("description", "name", "name_prefix", "vpc_id"),
    # internal/service/ec2/vpc_subnet.go: ipv6_cidr_block is updated in place in v5.100.0.
    "aws_subnet": ("availability_zone", "availability_zone_id", "cidr_block", "ipv6_native", "outpost_arn", "vpc_id"),
    # internal/service/ec2/vpc_.go
    "aws_vpc": ("cidr_block", "ipv4_ipam_pool_id", "ipv4_netmask_length"),
    # internal/service/ec2/vpc_security_group_egress_rule.go (framework, shares the ingress rule's
    # schema and ModifyPlan)
    "aws_vpc_security_group_egress_rule": ("security_group_id",),
    # internal/service/ec2/vpc_security_group_ingress_rule.go (framework)
    "aws_vpc_security_group_ingress_rule": ("security_group_id",),
    # internal/service/wafv2/web_acl_association.go
    "aws_wafv2_web_acl_association": ("resource_arn", "web_acl_arn"),
    # helm/resource_helm_release.go (framework)
    "helm_release": ("name", "namespace"),
    # kubernetes/resource_kubernetes_namespace_v1.go, metadata from kubernetes/schema_metadata.go
    "kubernetes_namespace_v1": ("metadata.generate_name", "metadata.name"),
    # kubernetes/resource_kubernetes_storage_class_v1.go: the API server refuses an update of a
    # StorageClass's provisioner, parameters, reclaim policy, binding mode, topologies and mount
    # options, so the provider replaces it
    "kubernetes_storage_class_v1": (
        "metadata.generate_name",
        "metadata.name",
        "storage_provisioner",
        "parameters",
        "reclaim_policy",
        "volume_binding_mode",
        "allowed_topologies",
        "mount_options",
    ),
    # kubernetes/resource_kubernetes_secret_v1.go, metadata from kubernetes/schema_metadata.go
    "kubernetes_secret_v1": ("metadata.generate_name", "metadata.name", "metadata.namespace", "type"),
    # internal/builtin/providers/terraform/resource_data.go (hashicorp/terraform)
    "terraform_data": ("triggers_replace",),
}

_RULE_SOURCE = "replaced when the rule's source moves to another of cidr_ipv4, cidr_ipv6, prefix_list_id, referenced_security_group_id"
_SECRET_IMMUTABLE = "replaced when the secret was immutable = true"

UPDATES_MAY_REPLACE: dict[str, str] = {
    # internal/service/eks/cluster.go
    "aws_eks_cluster.encryption_config": "replaced when the block is removed (encryption cannot be turned off)",
    "aws_eks_cluster.compute_config.node_role_arn": "replaced when an already-set role changes (a first one is set in place)",
    # internal/service/ec2/vpc_.go
    "aws_vpc.instance_tenancy": "replaced on any change except dedicated -> default",
    # internal/service/elbv2/load_balancer.go (customizeDiffLoadBalancerNLB / ...ALB)
    "aws_lb.subnets": "network LB: replaced unless subnets are only added",
    "aws_lb.security_groups": "network LB: replaced when going from none to some or from some to none",
    # subnet_mapping: from the source only; the offline plan check could not reproduce it.
    "aws_lb.subnet_mapping": "network LB: replaced unless mappings are only added; application LB: unless only added or only removed",
    # internal/service/ec2/vpc_security_group_ingress_rule.go, ModifyPlan
    "aws_vpc_security_group_egress_rule.cidr_ipv4": _RULE_SOURCE,
    "aws_vpc_security_group_egress_rule.cidr_ipv6": _RULE_SOURCE,
    "aws_vpc_security_group_egress_rule.prefix_list_id": _RULE_SOURCE,
    "aws_vpc_security_group_egress_rule.referenced_security_group_id": _RULE_SOURCE,
    "aws_vpc_security_group_ingress_rule.cidr_ipv4": _RULE_SOURCE,
    "aws_vpc_security_group_ingress_rule.cidr_ipv6": _RULE_SOURCE,
    "aws_vpc_security_group_ingress_rule.prefix_list_id": _RULE_SOURCE,
    "aws_vpc_security_group_ingress_rule.referenced_security_group_id": _RULE_SOURCE,
    # kubernetes/resource_kubernetes_secret_v1.go, CustomizeDiff
    "kubernetes_secret_v1.binary_data": _SECRET_IMMUTABLE,
    "kubernetes_secret_v1.data": _SECRET_IMMUTABLE,
    "kubernetes_secret_v1.immutable": _SECRET_IMMUTABLE,
}

"""A service's front door: its own ALB in `shared`, one target group per target generation of the
service, and a weighted forward over the serving ones. Terraform owns all of it; the controllers on the targets
only register pods.

Every target group of a generation on its way in is attached to the HTTPS listener by a rule that
matches only requests carrying `X-Ephemeral-Eks-Generation: <gen>` from the operators' CIDRs: the
ALB health-checks a new generation before it takes any traffic, and an operator can try it through
the real ALB (`curl -H 'X-Ephemeral-Eks-Generation: green' https://...`); nobody else reaches it.
A retiring generation loses its rule, so nothing reaches it once it stops serving. The default
action forwards only to the serving target groups, by weight (AWS allows at most five).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionFixedResponse,
    LbListenerDefaultActionForward,
    LbListenerDefaultActionForwardStickiness,
    LbListenerDefaultActionForwardTargetGroup,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleCondition,
    LbListenerRuleConditionHttpHeader,
    LbListenerRuleConditionSourceIp,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation

from constructs import Construct
from constructs.checkov import skip_check
from constructs.ports import one_tcp_port

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
GENERATION_HEADER = "X-Ephemeral-Eks-Generation"
MAX_FORWARD_TARGET_GROUPS = 5
"""AWS's limit on target groups in one forward action. The fleet model refuses more serving
generations first (fleet.model.limits.MAX_SERVING_TARGETS): tests/test_construct_units.py builds
this construct at the model's limit and sees it refuse one more."""


@dataclass(frozen=True)
class TrafficTarget:
    generation: str
    target_group_name: str
    weight: int | float
    """Its share of the default action's forward while it serves; ignored otherwise. A number, or
    a Terraform variable's value (a token) when the service's weights move by `fleet shift`."""
    serving: bool
    """Whether it takes traffic: the HTTPS listener's default action forwards to it, by `weight`.
    The stacks decide it from the generation's phase (`serving`), never from the weight."""
    rule_priority: int
    """Priority of the listener rule that reaches this generation by header; unique per listener.
    Derive it from the generation alone, so adding one never renumbers another's rule."""
    operator_rule: bool
    """Whether operators reach this generation by header (a generation on its way in, or serving)."""
    in_forward: bool
    """Listed in the forward even when not serving (at weight 0): a shifted service lists every
    serving and registered generation, so that `fleet shift` moves traffic by the weights alone."""


@dataclass(frozen=True)
class FleetTrafficProps:
    alb_name: str
    security_group_name: str
    vpc_id: str
    vpc_cidr: str
    public_subnet_ids: list[str] | tuple[str, ...]
    certificate_arn: str
    app_port: int
    """The served app's Service port: the target groups' default port."""
    target_port: int
    """The port the pods listen on: the ALB reaches pod IPs there (traffic and health checks)."""
    targets: tuple[TrafficTarget, ...]
    access_logs_bucket: str
    operator_cidrs: tuple[str, ...]
    """Sources the per-generation header rules admit (at most three: an ALB condition's limit)."""
    generation_tag: str
    """Tag key naming the generation a target group or rule belongs to."""
    service_tag: tuple[str, str]
    """(key, value) of the tag naming the service the ALB and its groups serve."""
    deletion_protection: bool
    """On while the service may serve; off once it is closed, so that removing it can delete the ALB."""
    allowed_cidrs: tuple[str, ...]
    """Clients allowed to 443 (and 80, which only redirects)."""
    health_check_path: str
    """The path the target groups' health checks request."""
    waf_acl_arn: str | None
    """A WAF web ACL to associate with the ALB; None for none."""


class FleetTraffic(Construct):
    def __init__(self, scope: Construct, id: str, props: FleetTrafficProps) -> None:
        super().__init__(scope, id)
        service_tags = dict([props.service_tag])
        self.security_group = SecurityGroup(
            self,
            "alb-sg",
            name=props.security_group_name,
            description="Service ALB: HTTPS in, the pods' port out to the VPC",
            vpc_id=props.vpc_id,
            revoke_rules_on_delete=True,
            tags={"Name": props.security_group_name, **service_tags},
        )
        for i, cidr in enumerate(props.allowed_cidrs):
            for port in (443, 80):
                rule = VpcSecurityGroupIngressRule(
                    self,
                    f"in-{port}-{i}",
                    security_group_id=self.security_group.id,
                    cidr_ipv4=cidr,
                    **one_tcp_port(port),
                    description="HTTPS from clients" if port == 443 else "HTTP from clients (redirected to HTTPS)",
                    tags=service_tags,
                )
                if port == 80:
                    skip_check(rule, "CKV_AWS_260", "port 80 only answers with a redirect to HTTPS")
        VpcSecurityGroupEgressRule(
            self,
            "out-app",
            security_group_id=self.security_group.id,
            cidr_ipv4=props.vpc_cidr,
            **one_tcp_port(props.target_port),
            description="The app's pods, in the VPC",
            tags=service_tags,
        )
        self.alb = Lb(
            self,
            "alb",
            name=props.alb_name,
            load_balancer_type="application",
            internal=False,
            security_groups=[self.security_group.id],
            subnets=list(props.public_subnet_ids)
            if not isinstance(props.public_subnet_ids, str)
            else props.public_subnet_ids,  # type: ignore[arg-type]
            drop_invalid_header_fields=True,
            enable_deletion_protection=props.deletion_protection,
            access_logs=LbAccessLogs(bucket=props.access_logs_bucket, prefix=props.alb_name, enabled=True),
            tags=service_tags,
        )
        if not props.deletion_protection:
            skip_check(
                self.alb, "CKV_AWS_150", "the service is closed: removing it from the fleet file deletes this ALB"
            )
        if props.waf_acl_arn:
            Wafv2WebAclAssociation(self, "waf", resource_arn=self.alb.arn, web_acl_arn=props.waf_acl_arn)
            skip_check(
                self.alb,
                "CKV2_AWS_76",
                "the WAF web ACL is the fleet file's (traffic.waf_acl_arn), managed outside this repo",
            )
        else:
            skip_check(self.alb, "CKV2_AWS_28", "no WAF web ACL given in the fleet file (traffic.waf_acl_arn)")

        self.target_groups: dict[str, LbTargetGroup] = {}
        for target in props.targets:
            group = self.target_groups[target.generation] = LbTargetGroup(
                self,
                f"tg-{target.generation}",
                name=target.target_group_name,
                port=props.app_port,
                protocol="HTTP",
                target_type="ip",
                vpc_id=props.vpc_id,
                deregistration_delay="30",
                health_check=LbTargetGroupHealthCheck(
                    path=props.health_check_path, matcher="200-399", interval=15, healthy_threshold=2
                ),
                tags={props.generation_tag: target.generation, **service_tags},
            )
            if not (target.serving or target.in_forward):
                # checkov accepts HTTP target groups only behind an HTTPS listener's default action.
                skip_check(
                    group,
                    "CKV_AWS_378",
                    "TLS ends at the HTTPS listener; a group without weight is reached only by its operator rule, if any",
                )
        serving = [t for t in props.targets if t.serving]
        forwarded = [t for t in props.targets if t.serving or t.in_forward]
        if len(forwarded) > MAX_FORWARD_TARGET_GROUPS:
            raise ValueError(
                f"{len(forwarded)} target groups in the forward; the ALB forwards to at most {MAX_FORWARD_TARGET_GROUPS}"
            )
        default_action = (
            LbListenerDefaultAction(
                type="forward",
                forward=LbListenerDefaultActionForward(
                    target_group=[
                        LbListenerDefaultActionForwardTargetGroup(
                            arn=self.target_groups[t.generation].arn, weight=t.weight
                        )
                        for t in forwarded
                    ],
                    stickiness=LbListenerDefaultActionForwardStickiness(enabled=False, duration=1),
                ),
            )
            if serving
            else LbListenerDefaultAction(  # a new service before its first generation serves
                type="fixed-response",
                fixed_response=LbListenerDefaultActionFixedResponse(
                    content_type="text/plain", status_code="503", message_body="no generation serves yet"
                ),
            )
        )
        self.https = self._listener("https", 443, default_action, service_tags, props.certificate_arn)
        https_arn = self.https.arn
        for target in props.targets:
            if not target.operator_rule:
                continue
            LbListenerRule(
                self,
                f"try-{target.generation}",
                listener_arn=https_arn,
                priority=target.rule_priority,
                condition=[
                    LbListenerRuleCondition(
                        http_header=LbListenerRuleConditionHttpHeader(
                            http_header_name=GENERATION_HEADER, values=[target.generation]
                        )
                    ),
                    LbListenerRuleCondition(
                        source_ip=LbListenerRuleConditionSourceIp(values=list(props.operator_cidrs))
                    ),
                ],
                tags={props.generation_tag: target.generation, **service_tags},
                action=[
                    LbListenerRuleAction(type="forward", target_group_arn=self.target_groups[target.generation].arn)
                ],
            )
        redirect = LbListenerDefaultActionRedirect(port="443", protocol="HTTPS", status_code="HTTP_301")
        self._listener("http", 80, LbListenerDefaultAction(type="redirect", redirect=redirect), service_tags)

    def _listener(
        self,
        id: str,
        port: int,
        action: LbListenerDefaultAction,
        tags: dict[str, str],
        certificate_arn: str | None = None,
    ) -> LbListener:
        """A listener of the ALB: HTTPS under `TLS_POLICY` when it holds a certificate, else plain HTTP."""
        return LbListener(
            self,
            id,
            load_balancer_arn=self.alb.arn,
            port=port,
            protocol="HTTP" if certificate_arn is None else "HTTPS",
            ssl_policy=None if certificate_arn is None else TLS_POLICY,
            certificate_arn=certificate_arn,
            tags=tags,
            default_action=[action],
        )

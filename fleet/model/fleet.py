"""The whole fleet file: its sections, the checks across them, and what the stacks read."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticSerializationError

from fleet.addons import ADDONS, NONE
from fleet.addons import refusal as addon_refusal
from fleet.lifecycle import ACTIVE, CANDIDATE_PHASES, DESTROYED
from fleet.model.generation import Generation, Hub, Target
from fleet.model.leaves import leaves
from fleet.model.limits import (
    BUILTIN_TAG_KEYS,
    GENERATION_MAX,
    MAX_BUILTIN_TAGS_PER_RESOURCE,
    MAX_CLUSTERS,
    MAX_FLEET_TAGS,
    MAX_ROLLBACK_WINDOW_MINUTES,
    MAX_SERVICES,
    MAX_TAGS,
    SERVICE_CIDR_PREFIXES,
    SERVICE_CIDR_RANGES,
    WIDE_PREFIX,
)
from fleet.model.platform import Addons, ApiAccess, ArgoCd, LoadBalancerController, LocalState, Network, S3State
from fleet.model.service import Service
from fleet.model.types import (
    BucketName,
    Cidr,
    FleetName,
    GenerationName,
    Model,
    Region,
    ServiceName,
    TagKey,
    TagValue,
    is_wide,
    limit,
    some,
)
from fleet.names import partition as region_partition
from fleet.ref import GenerationRef, parse_stack_id
from fleet.tokens import holds_token_text, is_token_number, json_may_hold_token_number
from fleet.versions import BY_VERSION, newest, today


class Fleet(Model):
    """The whole fleet file."""

    format: Literal[1] = 1
    """The layout this file is written in (`fleet/model/migrate.py`): a later release reads an older
    format by migrating it, and refuses a later one. Default: 1, this release's."""
    name: FleetName
    """Prefix of every AWS name, and the fleet label ApplicationSets select on."""
    region: Region
    network: Network
    service_cidr: Cidr = "172.20.0.0/16"
    """Kubernetes service range of every cluster; must not overlap the VPC. Default: 172.20.0.0/16."""
    state: Annotated[LocalState | S3State, Field(discriminator="backend")] = LocalState()
    """Default: local state files (no AWS)."""
    argocd: ArgoCd
    load_balancer_controller: LoadBalancerController
    addons: Addons = Addons()
    """EKS add-on versions for new generations (a generation's `addons` pins its own). Default:
    none - no managed add-on but the Pod Identity agent, at EKS's default version."""
    hubs: dict[GenerationName, Hub]
    """Hub generations: stack `argocd-<name>` each. Every hub serves every service."""
    services: dict[ServiceName, Service]
    """The services, each with its target generations, apps and ALB."""
    logs_bucket: BucketName
    """Existing S3 bucket for the ALB's access logs and (for a created VPC) VPC flow logs."""
    tags: dict[TagKey, TagValue] = {}
    """Extra tags on every AWS resource. Default: none."""
    allow_wide_admin_cidrs: StrictBool = False
    """Lets operator and API ranges be wide: public ranges of more than a /16 in
    `services.<svc>.traffic.operator_cidrs`, `api_access.cidrs` and a generation's
    `public_access_cidrs` (never more than a /8). Validate warns of each. Default: false."""
    api_access: ApiAccess = ApiAccess()
    """CI runners and operators allowed to the clusters' APIs. Default: ArgoCD only."""
    rollback_window_minutes: Annotated[StrictInt, Field(ge=0, le=MAX_ROLLBACK_WINDOW_MINUTES)] = 60
    """How long a drained generation (a target at weight 0, a paused hub) stays ready for a
    one-PR rollback before `fleet next` and the deploy propose the step that ends it (retiring the
    target, destroying the hub), counted from the merge that drained it. 0 proposes it at once.
    Default: 60."""

    @model_validator(mode="after")
    def _no_cdktf_tokens(self) -> Fleet:
        """What no escape can make inert to cdktf (`fleet.tokens`): a number that is one of its
        token encodings, anywhere; text that holds one in a field the backend block is built from
        (Terraform reads a backend as written). Strings elsewhere are made inert by the synth."""
        try:  # the file's JSON (serialized in Rust) first: the walk that names the field costs 10x more
            suspect = json_may_hold_token_number(self.model_dump_json())
        except PydanticSerializationError:  # a value JSON cannot hold: walk it
            suspect = True
        for where, value in leaves(self.model_dump(mode="python"), "") if suspect else ():
            if isinstance(value, float) and is_token_number(value):
                raise ValueError(
                    f"{where}: {value!r} is how cdktf writes one of its tokens (it would read it as a reference); "
                    "write another number"
                )
        for field in ("name", "region", "state"):
            for where, value in leaves(getattr(self, field), field):
                if isinstance(value, str) and holds_token_text(value):
                    raise ValueError(
                        f"{where}: {value!r} holds text cdktf reads as one of its tokens, and the backend block "
                        "(which Terraform reads as written) can hold no escape; choose another"
                    )
        return self

    @field_validator("hubs")
    @classmethod
    def _one_active_hub(cls, hubs: dict[str, Hub]) -> dict[str, Hub]:
        active = sorted(name for name, hub in hubs.items() if hub.phase == ACTIVE)
        if len(active) != 1:
            found = f"found {len(active)}" + (f" ({some(active)})" if active else "")
            raise ValueError(f"exactly one hub must have phase: active, {found}; set the others to standby")
        return hubs

    @limit("services", MAX_SERVICES, none="list at least one service (its targets, apps and traffic)")
    def _too_many_services(n: int, most: int) -> str:
        return f"{n} services; each has its own ALB and a region allows 50 by default (AWS): at most {most} per fleet, split the rest into another fleet"

    @field_validator("services")
    @classmethod
    def _generation_names_unique(cls, services: dict[str, Service]) -> dict[str, Service]:
        seen: dict[str, str] = {}
        for service, spec in services.items():
            for gen in spec.targets:
                other = seen.setdefault(gen, service)
                if other != service:
                    raise ValueError(
                        f"{service}.targets.{gen}: {other} has a target generation {gen} too; generation names are "
                        "unique in the fleet (they name stacks target-<name>, clusters and target groups): rename one, "
                        f"e.g. with its service's name in it (at most {GENERATION_MAX} characters)"
                    )
        return services

    @field_validator("tags")
    @classmethod
    def _tag_keys_usable(cls, tags: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        builtin = {k.lower(): k for k in BUILTIN_TAG_KEYS}
        for key in tags:
            folded = key.lower()
            if folded.startswith("aws:"):
                raise ValueError(f"{key!r}: AWS reserves tag keys starting with aws: (in any case)")
            if folded in builtin:
                raise ValueError(
                    f"{key!r}: the stacks set the tag {builtin[folded]} themselves (IAM tag keys are case-insensitive); "
                    "pick another key"
                )
            if folded in seen:
                raise ValueError(
                    f"{seen[folded]!r} and {key!r} are one key to IAM, whose tag keys are case-insensitive "
                    "(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html); keep one"
                )
            seen[folded] = key
        return tags

    @limit("tags", MAX_FLEET_TAGS)
    def _too_many_tags(n: int, most: int) -> str:
        return f"{n} tags; a resource takes {MAX_TAGS} (AWS) and some carry {MAX_BUILTIN_TAGS_PER_RESOURCE} of the stacks' own: at most {most}"

    @model_validator(mode="after")
    def _cross_checks(self) -> Fleet:
        clusters = len(self.hubs) + len(self.targets)
        if clusters > MAX_CLUSTERS:
            raise ValueError(
                f"services: {clusters} generations are {clusters} EKS clusters, and a region takes {MAX_CLUSTERS} "
                "(EKS service quotas): remove destroyed generations or split the fleet"
            )
        self._arns_in_region()
        self._admin_doors_narrow()
        self._generation_subnets()
        self._new_generations_on_offered_versions()
        self._addons_offered()
        wrong = [z for z in self.network.zones if not z.startswith(self.region)]
        if wrong:
            raise ValueError(
                f"network.zones: {wrong[0]} is not in region {self.region}; use zones such as {self.region}a"
            )
        ranges = {"service_cidr": self.service_cidr}
        ranges |= {f"{ref.path}.service_cidr": g.service_cidr for ref, g in self.generations() if g.service_cidr}
        for where, cidr in ranges.items():
            service = ipaddress.IPv4Network(cidr)
            if self.network.cidr and service.overlaps(ipaddress.IPv4Network(self.network.cidr)):
                raise ValueError(
                    f"{where}: {cidr} overlaps network.cidr {self.network.cidr}; "
                    "pick a service range outside the VPC (e.g. 172.20.0.0/16)"
                )
            low, high = SERVICE_CIDR_PREFIXES
            if not any(service.subnet_of(ipaddress.IPv4Network(r)) for r in SERVICE_CIDR_RANGES):
                raise ValueError(
                    f"{where}: {cidr} is outside {', '.join(SERVICE_CIDR_RANGES)}, where EKS takes a service range "
                    "(KubernetesNetworkConfigRequest); use e.g. 172.20.0.0/16"
                )
            if not low <= service.prefixlen <= high:
                raise ValueError(
                    f"{where}: {cidr} is a /{service.prefixlen}; EKS takes a service range from /{low} to /{high} "
                    "(KubernetesNetworkConfigRequest)"
                )
        return self

    def _addons_offered(self) -> None:
        """Every add-on version a generation runs is one EKS offers for its Kubernetes version
        (fleet/addons.py); a destroyed generation is on its way out and is not checked."""
        for ref, gen in self.generations():
            if gen.phase == DESTROYED:
                continue
            for addon in ADDONS:
                version = self.addon_version(gen, addon.field)
                own = getattr(gen.addons, addon.field) is not None
                where = (
                    f"{ref.path}.addons.{addon.field}"
                    if own
                    else f"addons.{addon.field} (the fleet's default, which {ref.path} takes)"
                )
                line = addon_refusal(addon, version, gen.kubernetes_version, where, f"{ref.path}.addons.{addon.field}")
                if line:
                    raise ValueError(line)

    def _admin_doors(self) -> list[tuple[str, str]]:
        """(where, cidr) of every wide range an operator or API door admits."""
        doors = [
            (f"services.{n}.traffic.operator_cidrs", c)
            for n, s in self.services.items()
            for c in s.traffic.operator_cidrs
        ]
        doors += [("api_access.cidrs", c) for c in self.api_access.cidrs]
        doors += [
            (f"{ref.path}.public_access_cidrs", c) for ref, g in self.generations() for c in g.public_access_cidrs
        ]
        return [(where, cidr) for where, cidr in doors if is_wide(cidr)]

    def _admin_doors_narrow(self) -> None:
        wide = self._admin_doors()
        if wide and not self.allow_wide_admin_cidrs:
            where, cidr = wide[0]
            raise ValueError(
                f"{where}: {cidr} is a public range wider than a /{WIDE_PREFIX}; list your own ranges, or set "
                "allow_wide_admin_cidrs: true if that is what you mean"
            )

    def _arns_in_region(self) -> None:
        """An ALB takes a certificate and a web ACL of its own region, and every ARN is of the region's
        partition (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/https-listener-certificates.html,
        https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html)."""
        partition = region_partition(self.region)
        arns: list[tuple[str, str | None, bool]] = [
            (f"services.{n}.traffic.certificate_arn", s.traffic.certificate_arn, True) for n, s in self.services.items()
        ]
        arns += [(f"services.{n}.traffic.waf_acl_arn", s.traffic.waf_acl_arn, True) for n, s in self.services.items()]
        for where, arn, regional in arns:
            if arn is None:
                continue
            _, arn_partition, _, arn_region, *_ = arn.split(":")
            if arn_partition != partition:
                raise ValueError(f"{where}: {arn_partition} is not the partition of {self.region} ({partition})")
            if regional and arn_region != self.region:
                raise ValueError(
                    f"{where}: the ARN is in {arn_region}, and the ALB in {self.region} takes only its own region's; "
                    f"use the one in {self.region}"
                )

    def _new_generations_on_offered_versions(self) -> None:
        on = today()
        for ref, gen in self.generations():
            where = ref.path
            eks = BY_VERSION[gen.kubernetes_version]
            if gen.phase not in CANDIDATE_PHASES[ref.kind]:
                continue  # a live generation keeps its version until it is swapped away
            if eks.support(on) == "ended":
                best = newest(on)
                raise ValueError(
                    f"{where}.kubernetes_version: {eks.version} left EKS extended support on "
                    f"{eks.end_of_extended}; a new generation starts on a supported version, such as "
                    f"{best.version} (standard support until {best.end_of_standard})"
                )
            if eks.released > on:
                raise ValueError(f"{where}.kubernetes_version: EKS releases {eks.version} on {eks.released}")

    def _generation_subnets(self) -> None:
        """A generation pins a subset of the fleet's zones (created VPC) or subnets (reused VPC)."""
        pins = (
            (
                "zones",
                "network.zones",
                self.network.zones,
                bool(self.network.cidr),
                "a created VPC",
                "private_subnet_ids",
            ),
            (
                "private_subnet_ids",
                "network.private_subnet_ids",
                self.network.private_subnet_ids,
                bool(self.network.vpc_id),
                "a reused VPC",
                "zones",
            ),
        )
        for ref, gen in self.generations():
            at, name = ref.path, ref.name
            for field, fleet_field, fleet_values, applies, network, instead in pins:
                pinned = getattr(gen, field)
                if pinned is None:
                    continue
                where = f"{at}.{field}"
                if not applies:
                    raise ValueError(f"{where}: {field} belong to {network}; pin {instead} instead")
                extra = [v for v in pinned if v not in fleet_values]
                if extra:
                    raise ValueError(
                        f"{where}: {extra[0]} is not in {fleet_field}; a generation uses the fleet's "
                        f"(keep {extra[0]} in {fleet_field} while {name} uses it)"
                    )

    # --- what the stacks read ---------------------------------------------------------------

    def argocd_chart(self, hub: Hub) -> str:
        """The argo-cd chart a hub runs: its pin, else the fleet's default for new hubs."""
        return hub.argocd_chart or self.argocd.chart_version

    def apps_chart(self, hub: Hub) -> str:
        return hub.apps_chart or self.argocd.apps_chart_version

    def lbc_chart(self, target: Target) -> str:
        """The load balancer controller chart a target runs: its pin, else the fleet's default."""
        return target.lbc_chart or self.load_balancer_controller.chart_version

    def addon_version(self, generation: Generation, field: str) -> str:
        """The version of add-on `field` (fleet/addons.py) a generation runs: its pin, else the
        fleet's default, else `none`."""
        pinned = getattr(generation.addons, field)
        if pinned is not None:
            return str(pinned)
        default = getattr(self.addons, field)
        return str(default) if default is not None else NONE

    @property
    def active_hub(self) -> str:
        return next(name for name, hub in self.hubs.items() if hub.phase == ACTIVE)

    @property
    def targets(self) -> dict[str, Target]:
        """Every service's target generations, service by service (names are fleet-wide)."""
        return {name: target for service in self.services.values() for name, target in service.targets.items()}

    def generations(self) -> Iterator[tuple[GenerationRef, Hub | Target]]:
        """Every generation, hubs first, then each service's targets, in file order."""
        for name, hub in self.hubs.items():
            yield GenerationRef.hub(name), hub
        for service, spec in self.services.items():
            for name, target in spec.targets.items():
                yield GenerationRef.target(service, name), target

    def find(self, stack_id: str) -> GenerationRef | None:
        """The generation whose stack id this is; None for `shared` or a stack not in the fleet."""
        parsed = parse_stack_id(stack_id)
        if parsed is None:
            return None
        kind, name = parsed
        if kind == "hub":
            return GenerationRef.hub(name) if name in self.hubs else None
        service = next((s for s, spec in self.services.items() if name in spec.targets), None)
        return GenerationRef.target(service, name) if service is not None else None

    def spec(self, ref: GenerationRef) -> Hub | Target | None:
        """What the fleet file says of a generation; None when it is not (or no longer) there."""
        if ref.kind == "hub":
            return self.hubs.get(ref.name)
        service = self.services.get(ref.service or "")
        return service.targets.get(ref.name) if service is not None else None

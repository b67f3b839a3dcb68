"""What a node group's instance types say about its AMI: architecture and accelerator, read from the
instance type's name by EC2's naming convention, not from a list that ages.

Source: "Amazon EC2 instance type naming conventions",
https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html - a name is
`<series><generation><options>.<size>`; the options' processor letter `g` is AWS Graviton (Arm);
the series `p` and `g` are NVIDIA GPU instances, `inf` and `trn` AWS Inferentia and Trainium
(Neuron), `dl`, `f`, `vt` other accelerators. `a1` is the first Graviton generation, named before
the convention. AMI types: the AL2023 values of a managed node group's `amiType`
(CreateNodegroup, https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html),
as the EKS-optimized AMI guide lists them
(https://docs.aws.amazon.com/eks/latest/userguide/eks-optimized-ami.html).
"""

from __future__ import annotations

import re
from typing import Literal

Architecture = Literal["x86_64", "arm64"]
Accelerator = Literal["nvidia", "neuron", "other"]
AmiType = Literal[
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
    "AL2023_x86_64_NEURON",
]
AMI_TYPES: dict[tuple[Architecture, Accelerator | None], AmiType] = {
    ("x86_64", None): "AL2023_x86_64_STANDARD",
    ("arm64", None): "AL2023_ARM_64_STANDARD",
    ("x86_64", "nvidia"): "AL2023_x86_64_NVIDIA",
    ("arm64", "nvidia"): "AL2023_ARM_64_NVIDIA",
    ("x86_64", "neuron"): "AL2023_x86_64_NEURON",
}
"""The AMI each (architecture, accelerator) runs on; a pair not here has no AL2023 EKS AMI."""

_NAME = re.compile(r"(?P<series>[a-z]+?)(?P<generation>\d+)(?P<options>[a-z-]*)")
ACCELERATED_SERIES: dict[str, Accelerator] = {
    "p": "nvidia",
    "g": "nvidia",
    "gr": "nvidia",
    "inf": "neuron",
    "trn": "neuron",
    "dl": "other",
    "f": "other",
    "vt": "other",
}


def family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def architecture(instance_type: str) -> Architecture:
    name = family(instance_type)
    match = _NAME.fullmatch(name)
    if name == "a1" or (match is not None and match["options"].startswith("g")):
        return "arm64"
    return "x86_64"


def accelerator(instance_type: str) -> Accelerator | None:
    match = _NAME.fullmatch(family(instance_type))
    return ACCELERATED_SERIES.get(match["series"]) if match is not None else None


UNSUPPORTED_SERIES = {"mac": "Mac instances run macOS, which EKS nodes do not"}


def ami_type_for(instance_types: tuple[str, ...], chosen: AmiType | None) -> AmiType:
    """The AMI type a node group of `instance_types` runs, or ValueError with one line: the types
    mix architectures; an accelerated family has no AMI chosen for it; the chosen one does not fit."""
    for instance_type in instance_types:
        match = _NAME.fullmatch(family(instance_type))
        if match is not None and match["series"] in UNSUPPORTED_SERIES:
            raise ValueError(
                f"instance_types: {instance_type}: {UNSUPPORTED_SERIES[match['series']]}; pick another family"
            )
    arches = {architecture(t): t for t in instance_types}
    if len(arches) > 1:
        listed = ", ".join(f"{t} ({arch})" for arch, t in sorted(arches.items()))
        raise ValueError(
            f"instance_types mix architectures ({listed}); a node group runs one AMI: list one architecture"
        )
    (arch,) = arches
    kinds = {accelerator(t): t for t in instance_types}
    if len(kinds) > 1:
        listed = ", ".join(f"{t} ({kind or 'no accelerator'})" for kind, t in kinds.items())
        raise ValueError(f"instance_types mix accelerators ({listed}); a node group runs one AMI: list one kind")
    ((kind, example),) = kinds.items()
    wanted = AMI_TYPES.get((arch, kind))
    if wanted is None:
        raise ValueError(
            f"instance_types: {example}: no AL2023 EKS AMI drives its {kind} accelerator on {arch}; pick another family"
        )
    if kind is not None and chosen is None:
        raise ValueError(f"{example} is a {kind} accelerator family: set ami_type: {wanted} to mean it")
    if chosen is not None and chosen != wanted:
        raise ValueError(f"ami_type: {chosen} does not run {', '.join(instance_types)}; use {wanted}")
    return wanted

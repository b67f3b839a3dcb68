"""Architecture follows the instance types: Arm families take the AL2023 Arm AMI, a node group
never mixes architectures or accelerators, and GPU or Neuron families need their AMI type named."""

from __future__ import annotations

import pytest

from fleet.model.instances import accelerator, architecture
from fleet.model.load import FleetError, validate
from support.fleets import example_data


@pytest.mark.parametrize(
    ("instance_type", "arch", "kind"),
    [
        ("m6i.large", "x86_64", None),
        ("c7a.xlarge", "x86_64", None),
        ("m7i-flex.large", "x86_64", None),
        ("m7g.large", "arm64", None),
        ("c6gn.xlarge", "arm64", None),
        ("t4g.small", "arm64", None),
        ("x2gd.large", "arm64", None),
        ("im4gn.large", "arm64", None),
        ("a1.large", "arm64", None),
        ("g4dn.xlarge", "x86_64", "nvidia"),
        ("g5g.xlarge", "arm64", "nvidia"),
        ("p5.48xlarge", "x86_64", "nvidia"),
        ("inf2.xlarge", "x86_64", "neuron"),
        ("trn1.2xlarge", "x86_64", "neuron"),
    ],
)
def test_the_name_says_the_architecture_and_accelerator(instance_type, arch, kind):
    assert (architecture(instance_type), accelerator(instance_type)) == (arch, kind)


def _nodes(**nodes) -> dict:
    data = example_data("steady")
    data["services"]["web"]["targets"]["blue"]["nodes"] = {
        **data["services"]["web"]["targets"]["blue"]["nodes"],
        **nodes,
    }
    return data


@pytest.mark.parametrize(
    ("nodes", "ami"),
    [
        ({"instance_types": ["m6i.large"]}, "AL2023_x86_64_STANDARD"),
        ({"instance_types": ["m7g.large", "c7g.large"]}, "AL2023_ARM_64_STANDARD"),
        ({"instance_types": ["g5.xlarge"], "ami_type": "AL2023_x86_64_NVIDIA"}, "AL2023_x86_64_NVIDIA"),
        ({"instance_types": ["g5g.xlarge"], "ami_type": "AL2023_ARM_64_NVIDIA"}, "AL2023_ARM_64_NVIDIA"),
        ({"instance_types": ["inf2.xlarge"], "ami_type": "AL2023_x86_64_NEURON"}, "AL2023_x86_64_NEURON"),
    ],
)
def test_a_node_group_runs_the_ami_of_its_architecture(nodes, ami):
    fleet = validate(_nodes(**nodes), "fleet.yaml")
    assert fleet.services["web"].targets["blue"].nodes.resolved_ami_type == ami


@pytest.mark.parametrize(
    ("nodes", "says"),
    [
        (
            {"instance_types": ["m6i.large", "m7g.large"]},
            "instance_types mix architectures (m7g.large (arm64), m6i.large (x86_64))",
        ),
        ({"instance_types": ["m6i.large", "g5.xlarge"]}, "instance_types mix accelerators"),
        (
            {"instance_types": ["g5.xlarge"]},
            "g5.xlarge is a nvidia accelerator family: set ami_type: AL2023_x86_64_NVIDIA",
        ),
        ({"instance_types": ["trn1.2xlarge"]}, "set ami_type: AL2023_x86_64_NEURON"),
        (
            {"instance_types": ["m7g.large"], "ami_type": "AL2023_x86_64_STANDARD"},
            "ami_type: AL2023_x86_64_STANDARD does not run m7g.large; use AL2023_ARM_64_STANDARD",
        ),
        ({"instance_types": ["dl1.24xlarge"], "ami_type": "AL2023_x86_64_NVIDIA"}, "no AL2023 EKS AMI drives"),
        ({"instance_types": ["mac2.metal"]}, "mac2.metal: Mac instances run macOS"),
    ],
)
def test_a_node_group_that_cannot_run_one_ami_is_refused_in_one_line(nodes, says):
    with pytest.raises(FleetError) as refused:
        validate(_nodes(**nodes), "fleet.yaml")
    (line,) = str(refused.value).splitlines()
    assert line.startswith("fleet.yaml: services.web.targets.blue.nodes") and says in line, line

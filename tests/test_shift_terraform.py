"""What `fleet shift` says when Terraform itself fails or the state is empty: one line naming what
to do, read from real terraform (no emulator: these fail before any AWS call)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fleet import names
from fleet.ops.shift_live import ServiceInState, ShiftRefused, ShiftTerraform

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")

CONFIG = {
    "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}},
    "variable": {"weight_web_blue": {"default": 100}, "weight_web_green": {"default": 0}},
    "resource": {"aws_lb": {"web": {"name": "acme-web"}}},
}


@pytest.fixture
def shared(tmp_path: Path) -> ShiftTerraform:
    """A synthesized `shared` nobody ran `terraform init` in, and no state."""
    (tmp_path / "cdk.tf.json").write_text(json.dumps(CONFIG))
    return ShiftTerraform(tmp_path, "acme", "web")


def test_a_plan_terraform_refuses_is_one_line_with_terraforms_own_words(shared: ShiftTerraform) -> None:
    state = ServiceInState("aws_lb_listener.web", "arn", "app/acme-web/1", {}, {}, {"blue": 100, "green": 0})
    with pytest.raises(ShiftRefused) as refused:
        shared.pending_besides_weights(state)
    said = str(refused.value)
    assert said.startswith(f"terraform plan failed in {shared.directory}: Error: Inconsistent dependency lock file")
    assert "terraform init" in said and "\n" not in said and '"@level"' not in said, said


def test_an_empty_state_says_to_deploy_shared_first(shared: ShiftTerraform) -> None:
    alb = names.alb_name("acme", "web")
    with pytest.raises(ShiftRefused, match=rf"the state of shared has no ALB {alb}: deploy shared first"):
        shared.state()

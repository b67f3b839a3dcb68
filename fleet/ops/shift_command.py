"""`python -m fleet shift`: the fleet file, Terraform in the synthesized `shared` stack, AWS in
the fleet's region and the record store put together, and one line for what refuses to run."""

from __future__ import annotations

import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from fleet import names
from fleet.model.load import load_fleet
from fleet.ops.aws import Aws, aws_reason
from fleet.ops.errors import Unusable, one_line
from fleet.ops.pipeline import PipelineRefused, refuse_local_state_in_ci
from fleet.ops.shift import RealClock, ShiftRun
from fleet.ops.shift_live import ShiftRefused, ShiftTerraform
from fleet.ops.shift_record import RecordError, record_store


def run(file: str, service: str, synth_dir: Path, *, resume: bool, abort: bool, as_json: bool) -> int:
    fleet = load_fleet(file)
    try:
        refuse_local_state_in_ci(fleet)  # the record of a shift must outlive the runner
        aws = Aws(fleet.region)
        shifting = ShiftRun(
            fleet=fleet,
            service=service,
            terraform=ShiftTerraform(synth_dir / "stacks" / names.SHARED_STACK, fleet.name, service),
            elbv2=aws.client("elbv2"),
            cloudwatch=aws.client("cloudwatch"),
            store=record_store(fleet, names.PROJECT_ROOT, aws.client("s3") if fleet.state.backend == "s3" else None),
            clock=RealClock(),
            say=lambda line: print(line, flush=True),
            as_json=as_json,
            credentials=aws.session.get_credentials,  # SigV4 for Amazon Managed Service for Prometheus
        )
        return shifting.abort() if abort else shifting.resume() if resume else shifting.start()
    except (ShiftRefused, Unusable, PipelineRefused, RecordError) as err:
        print(f"{file}: shift refused: {one_line(err)}", file=sys.stderr)
    except (BotoCoreError, ClientError) as err:
        print(f"{file}: shift refused: AWS: {one_line(aws_reason(err))}", file=sys.stderr)
    return 2

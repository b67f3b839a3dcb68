"""What a stack's Terraform state holds, where this process can read it.

Used before a destroyed generation leaves the fleet file: its state must be empty, or the
resources it lists would be orphaned. Local state is read from `state/<fleet>/<region>/<stack>.tfstate`;
S3 state through boto3 with the caller's credentials. Anything unreadable is reported as
unknown, never as empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fleet import names
from fleet.lifecycle import DESTROYED
from fleet.model import Fleet


@dataclass(frozen=True)
class StateReading:
    where: str
    resources: int | None
    """How many resources the state lists; None when it could not be read (`why`)."""
    why: str = ""


def _count(text: str) -> int:
    state = json.loads(text)
    return sum(len(r.get("instances", [])) for r in state.get("resources", []) if r.get("mode") == "managed")


def read_state(fleet: Fleet, stack: str, root: Path = names.PROJECT_ROOT) -> StateReading:
    state = fleet.state
    if state.backend == "local":
        path = root / names.local_state_file(fleet.name, fleet.region, stack)
        where = str(path.relative_to(root))
        if not path.exists():
            return StateReading(where, 0)
        try:
            return StateReading(where, _count(path.read_text()))
        except (OSError, ValueError) as err:
            return StateReading(where, None, f"unreadable: {err}")
    key = names.s3_state_key(state.key_prefix, fleet.name, fleet.region, stack)
    where = f"s3://{state.bucket}/{key}"
    try:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            region_name=state.region,
            config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 1}),
        )
        body = client.get_object(Bucket=state.bucket, Key=key)["Body"].read().decode()
        return StateReading(where, _count(body))
    except Exception as err:  # no credentials, no network, no such key: all mean "not read"
        code = getattr(err, "response", {}).get("Error", {}).get("Code") if hasattr(err, "response") else None
        if code in ("NoSuchKey", "404"):
            return StateReading(where, 0)
        return StateReading(
            where, None, f"not read: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        )


def left_with_state(base: Fleet, head: Fleet) -> list[str]:
    """A destroyed generation leaving the file: its state must be read, and empty. Fails closed:
    a state this process cannot read is a refusal, not a note."""
    refusals = []
    for ref, spec in base.generations():
        if head.spec(ref) is not None or spec.phase != DESTROYED:
            continue
        reading = read_state(base, ref.stack_id)
        if reading.resources is None:
            refusals.append(
                f"{ref.path}: its state {reading.where} was {reading.why}; the gate removes a generation only once "
                "it has read that its state is empty: run it with the state-read role (the plan role's credentials)"
            )
        elif reading.resources:
            refusals.append(
                f"{ref.path}: its state {reading.where} still lists {reading.resources} resource(s); "
                f"run `cdktf destroy {ref.stack_id}` before removing it from the file"
            )
    return refusals

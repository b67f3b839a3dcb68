"""What a shift remembers between runs, beside the fleet's Terraform state: the weights live before
it started, the weights it moves to, the last step applied and how it ended. A runner that dies
mid-way leaves the record `running` (`fleet shift --resume` / `--abort` read it); a rollback leaves
it `rolled-back`, and until the file is reverted `fleet action shared` refuses the service's weights.

Local state keeps records in `state/<fleet>/<region>/shift/<service>.json`; S3 state in the state
bucket at `<key_prefix>/<fleet>/<region>/shift/<service>.json`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from fleet import names
from fleet.lifecycle import REGISTERED, REGISTERED_PHASES, SERVING
from fleet.spec import Fleet

Status = Literal["running", "rolled-back"]
Weights = dict[str, int]


@dataclass(frozen=True)
class ShiftRecord:
    service: str
    before: Weights
    """Weights live (and in state) when the shift started: what a rollback restores."""
    after: Weights
    """Weights the fleet file names: where the shift ends."""
    steps: tuple[int, ...]
    applied: int = -1
    """Index in `steps` of the last step applied; -1 before the first."""
    status: Status = "running"
    reason: str = ""
    """Why it rolled back, one line."""
    started: float = 0.0
    history: tuple[dict[str, Any], ...] = field(default=())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ShiftRecord:
        data = json.loads(text)
        data["steps"] = tuple(data["steps"])
        data["history"] = tuple(data.get("history", ()))
        return cls(**data)


def step_weights(before: Weights, after: Weights, share: int) -> Weights:
    """The weights `share` percent of the way from `before` to `after`: whole numbers summing to
    100 (largest remainder), exactly `before` at 0 and `after` at 100."""
    gens = sorted(set(before) | set(after))
    exact = {g: before.get(g, 0) + (after.get(g, 0) - before.get(g, 0)) * share / 100 for g in gens}
    weights = {g: int(exact[g]) for g in gens}
    short = 100 - sum(weights.values())
    for g in sorted(gens, key=lambda g: (-(exact[g] - weights[g]), g))[:short]:
        weights[g] += 1
    return weights


def revert_edit(record: ShiftRecord) -> str:
    """The fleet-file edit that puts the service back where the shift started."""
    parts = [
        f"{gen}: phase {SERVING if weight else REGISTERED}, weight {weight}"
        for gen, weight in sorted(record.before.items())
    ]
    return f"services.{record.service}.targets: " + "; ".join(parts)


class RecordStore(Protocol):
    def read(self, service: str) -> ShiftRecord | None: ...
    def write(self, record: ShiftRecord) -> None: ...
    def delete(self, service: str) -> None: ...
    def where(self, service: str) -> str: ...


class LocalRecords:
    """Records in a directory (local state: beside the state files)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, service: str) -> Path:
        return self.directory / f"{service}.json"

    def where(self, service: str) -> str:
        return str(self._path(service))

    def read(self, service: str) -> ShiftRecord | None:
        path = self._path(service)
        return ShiftRecord.from_json(path.read_text()) if path.is_file() else None

    def write(self, record: ShiftRecord) -> None:
        path = self._path(record.service)
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_suffix(".json.new")
        staged.write_text(record.to_json())
        staged.replace(path)  # never half-written

    def delete(self, service: str) -> None:
        self._path(service).unlink(missing_ok=True)


class S3Records:
    """Records in the state bucket, beside the state objects."""

    def __init__(self, s3: Any, bucket: str, prefix: str) -> None:
        self.s3, self.bucket, self.prefix = s3, bucket, prefix

    def _key(self, service: str) -> str:
        return f"{self.prefix}/{service}.json"

    def where(self, service: str) -> str:
        return f"s3://{self.bucket}/{self._key(service)}"

    def read(self, service: str) -> ShiftRecord | None:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self._key(service))["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        return ShiftRecord.from_json(body.decode())

    def write(self, record: ShiftRecord) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=self._key(record.service), Body=record.to_json().encode())

    def delete(self, service: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=self._key(service))


def record_store(fleet: Fleet, root: Path, s3_client: Any = None) -> RecordStore:
    """Where `fleet`'s shift records live, as its state backend says."""
    state = fleet.state
    if state.backend == "local":
        return LocalRecords(root / names.STATE_DIR / fleet.name / fleet.region / "shift")
    if s3_client is None:
        import boto3

        s3_client = boto3.client("s3", region_name=state.region)
    return S3Records(s3_client, state.bucket, f"{state.key_prefix}/{fleet.name}/{fleet.region}/shift")


def file_weights(fleet: Fleet, service: str) -> Weights:
    """The weights the fleet file gives a service's generations that the forward lists."""
    return {
        gen: target.weight
        for gen, target in fleet.services[service].targets.items()
        if target.phase in REGISTERED_PHASES
    }


def refuse_after_rollback(fleet: Fleet, store: RecordStore) -> str | None:
    """Why `shared` must not be deployed now, or None: a shift of a service is running, or rolled
    back while the file still names the weights it did not reach."""
    for service, spec in fleet.services.items():
        if spec.traffic.shift is None:
            continue
        record = store.read(service)
        if record is None or file_weights(fleet, service) == record.before:
            continue
        if record.status == "running":
            return (
                f"services.{service}: a fleet shift is under way ({store.where(service)}); deploying shared would jump "
                f"its weights: let it finish, or run `python -m fleet shift {service} --resume` or `--abort`"
            )
        return (
            f"services.{service}: the last fleet shift rolled back ({record.reason}); deploying shared would apply "
            f"the weights it refused without analysis: revert the file ({revert_edit(record)}) or run "
            f"`python -m fleet shift {service}` again"
        )
    return None

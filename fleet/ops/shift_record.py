"""What a shift remembers between runs, beside the fleet's Terraform state: the weights live before
it started, the weights it moves to, the last step applied and how it ended. A runner that dies
mid-way leaves the record `running` (`fleet shift --resume` / `--abort` read it); a rollback leaves
it `rolled-back`, and until the file is reverted `fleet action shared` refuses the service's weights;
a shift that reached the file's weights leaves it `done`: its `before` are the weights a rollback
PR goes back to, which the merge step (`fleet.ops.merge`) applies at once.

Local state keeps records in `state/<fleet>/<region>/shift/<service>.json`; S3 state in the state
bucket at `<key_prefix>/<fleet>/<region>/shift/<service>.json`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from fleet import names
from fleet.errors import FleetFailure
from fleet.lifecycle import REGISTERED, REGISTERED_PHASES, SERVING
from fleet.model import Fleet
from fleet.model.weights import step_weights as step_weights  # the one rule, fleet/model/weights.py
from fleet.text import printable

Status = Literal["running", "rolled-back", "done"]
HOLDING: frozenset[str] = frozenset({"running", "rolled-back"})
"""A record in these keeps `shared` refused while the file's weights differ from its `before`."""


class RecordError(FleetFailure):
    """A shift record that cannot be read; `str()` is the one line to show."""


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
    def from_json(cls, text: str, where: str = "the shift record") -> ShiftRecord:
        """The record `text` holds, or one `RecordError` line that names `where` and what is wrong."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            record = cls(
                service=_text(data, "service"),
                before=_weights(data, "before"),
                after=_weights(data, "after"),
                steps=tuple(_int(step, "steps") for step in _list(data, "steps")),
                applied=_int(data.get("applied", -1), "applied"),
                status=_status(data.get("status", "running")),
                reason=_text(data, "reason", ""),
                started=float(_number(data.get("started", 0.0), "started")),
                history=tuple(item for item in _list(data, "history", []) if isinstance(item, dict)),
            )
        except (ValueError, RecursionError) as err:
            raise RecordError(
                f"{where}: not a readable shift record ({printable(str(err))[:200]}); check the ALB's weights against "
                "the fleet file, then move the file aside (it only remembers a shift's progress)"
            ) from None
        return record


def _text(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def _list(data: dict[str, Any], key: str, default: list[Any] | None = None) -> list[Any]:
    value = data.get(key, default)
    if not isinstance(value, list):
        raise ValueError(f"{key} is not a list")
    return value


def _int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} holds {printable(repr(value))[:40]}, not a whole number")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} is not a number")
    return float(value)


def _weights(data: dict[str, Any], key: str) -> Weights:
    value = data.get(key)
    if not isinstance(value, dict) or not all(isinstance(gen, str) for gen in value):
        raise ValueError(f"{key} is not a mapping of generation to weight")
    return {gen: _int(weight, f"{key}.{gen}") for gen, weight in value.items()}


def _status(value: Any) -> Status:
    if value not in ("running", "rolled-back", "done"):
        raise ValueError(f"status {printable(repr(value))[:40]} is not running, rolled-back or done")
    return value  # type: ignore[no-any-return]


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
        if not path.is_file():
            return None
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as err:
            raise RecordError(f"{path}: cannot read the shift record: {err}") from None
        return ShiftRecord.from_json(text, str(path))

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
        try:
            text = body.decode()
        except UnicodeDecodeError as err:
            raise RecordError(f"{self.where(service)}: cannot read the shift record: {err}") from None
        return ShiftRecord.from_json(text, self.where(service))

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
    back while the file still names the weights it did not reach - whether or not the file still
    sets the service's `traffic.shift` (removing it unlocks nothing)."""
    for service in fleet.services:
        record = store.read(service)
        if record is None or record.status not in HOLDING or file_weights(fleet, service) == record.before:
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


def read_records(
    fleet: Fleet, base_shifts: Any = None, root: Path = names.PROJECT_ROOT, store: RecordStore | None = None
) -> tuple[dict[str, ShiftRecord] | None, str]:
    """Every service's shift record, for the merge step; (None, why) when the store cannot be
    reached (no credentials where the PR gate runs without the state role). A record that is
    there but unreadable raises `RecordError`: it is never taken for no record."""
    services = list(fleet.services) + [s for s in (base_shifts or {}) if s not in fleet.services]
    try:
        store = store or record_store(fleet, root)
        found = {service: record for service in services if (record := store.read(service)) is not None}
    except RecordError:
        raise
    except Exception as err:  # noqa: BLE001 - no credentials, no network, no bucket: all mean "not read"
        return None, f"the shift records were not read ({type(err).__name__}: {printable(str(err))[:200]})"
    return found, ""

"""`python -m fleet shift SERVICE [FILE]`: move a service's traffic from the weights live now to the
fleet file's, in the steps of `traffic.shift`, judging the incoming generations every period, and
put back the weights that were live before when they fail.

Exit 0: the file's weights are live and `terraform plan` of `shared` is clean. Exit 1: rolled back
(one line: step, metric, value, threshold); the record left beside the state makes `fleet action
shared` refuse the file's weights until the file is reverted or a new shift succeeds. Exit 2:
refused before anything moved, or a rollback that could not be applied (then `--abort` again).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from fleet.model import Fleet
from fleet.model.shift import Shift
from fleet.ops.shift_acceptance import AcceptanceFailed, acceptance_failure
from fleet.ops.shift_live import ServiceInState, ShiftRefused, ShiftTerraform, live_weights, restore_weights
from fleet.ops.shift_metrics import PUBLISH_DELAY_SECONDS, CloudWatchMetrics, Period
from fleet.ops.shift_queries import Analysis, CheckQueries, Credentials, default_credentials
from fleet.ops.shift_record import RecordStore, ShiftRecord, Weights, file_weights, revert_edit, step_weights
from fleet.ops.shift_signals import Cancelled, cancellable, held, ignored

MINUTE = 60


class Clock(Protocol):
    def now(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class RolledBack(Exception):
    """The shift failed; `str()` is why (step, metric, value, threshold)."""


@dataclass
class ShiftRun:
    """One `fleet shift` of one service: the fleet as merged, Terraform in the synthesized `shared`
    stack, the AWS clients (elbv2, cloudwatch), where the record lives, a clock, and the output."""

    fleet: Fleet
    service: str
    terraform: ShiftTerraform
    elbv2: Any
    cloudwatch: Any
    store: RecordStore
    clock: Clock
    say: Callable[[str], None]
    as_json: bool = False
    credentials: Credentials = default_credentials
    """AWS credentials for a SigV4-signed Prometheus check (Amazon Managed Service for Prometheus)."""

    @property
    def shift(self) -> Shift:
        spec = self.fleet.services.get(self.service)
        if spec is None:
            raise ShiftRefused(f"{self.service} is not a service of fleet {self.fleet.name}")
        if spec.traffic.shift is None:
            raise ShiftRefused(
                f"services.{self.service}.traffic.shift is not set: its traffic moves by one PR per weight step "
                "(`python -m fleet plan`); add `shift: {}` to its traffic to move it with `fleet shift`"
            )
        return spec.traffic.shift

    # --- the three ways in ----------------------------------------------------------------------

    def start(self) -> int:
        shift, final = self.shift, file_weights(self.fleet, self.service)
        record = self.store.read(self.service)  # an unreadable record refuses before Terraform runs
        state = self._prepared(final)
        if record is not None and record.status == "running":
            raise ShiftRefused(
                f"a shift of {self.service} is under way (step {record.applied + 1} of {len(record.steps)}, "
                f"{self.store.where(self.service)}): run `fleet shift {self.service} --resume` or `--abort`"
            )
        live = live_weights(self.elbv2, state)
        if record is not None and record.status == "rolled-back" and live == record.before != state.weights:
            # a cancelled shift restored the ALB by API: bring Terraform's state back in line first
            self.terraform.apply(record.before, state.listener, refresh=True)
            state = self.terraform.state()
        if live != state.weights:
            raise ShiftRefused(
                f"{self.service}: the ALB serves {_shown(live)} but Terraform's state says {_shown(state.weights)}: "
                "someone changed the weights outside Terraform; put them back (`cdktf deploy shared` from the "
                "file before this PR) before shifting"
            )
        if live == final:
            self.store.delete(self.service)
            self._emit("done", f"{self.service}: the ALB already serves {_shown(final)}; nothing to shift")
            return 0
        pending = self.terraform.pending_besides_weights(state)
        if pending:
            raise ShiftRefused(
                f"shared has changes other than {self.service}'s weights ({', '.join(pending)}): "
                "deploy them first (`cdktf deploy shared` with the file before the shift), then shift"
            )
        failed = acceptance_failure(shift, self.service, state, [g for g in final if final[g] > live.get(g, 0)])
        if failed is not None:
            self._acceptance_summary(failed)
            return 1
        record = ShiftRecord(self.service, before=live, after=final, steps=shift.steps, started=self.clock.now())
        self.store.write(record)
        return self._steps(record, state, first=0)

    def resume(self) -> int:
        final = file_weights(self.fleet, self.service)
        record = self._running()
        state = self._prepared(final)
        live = live_weights(self.elbv2, state)
        at = (
            record.before
            if record.applied < 0
            else step_weights(record.before, record.after, record.steps[record.applied])
        )
        if record.after != final or live != state.weights or live != at:
            raise ShiftRefused(
                f"{self.service}: file ({_shown(final)} wanted, record {_shown(record.after)}), state "
                f"({_shown(state.weights)}) and ALB ({_shown(live)}) disagree with the record's step "
                f"({_shown(at)}); cannot resume: `fleet shift {self.service} --abort` restores {_shown(record.before)}"
            )
        self._emit("resume", f"{self.service}: resuming at step {max(record.applied, 0) + 1} ({_shown(live)})")
        return self._steps(record, state, first=max(record.applied, 0))

    def abort(self) -> int:
        record = self._running()
        state = self._prepared(file_weights(self.fleet, self.service))
        return self._roll_back(record, state, "aborted with --abort", code=0)

    # --- the steps ------------------------------------------------------------------------------

    def _prepared(self, final: Weights) -> ServiceInState:
        _ = self.shift  # refuses a service without `shift`
        synthesized = self.terraform.variables()
        if synthesized != final:
            raise ShiftRefused(
                f"{self.terraform.directory} is not the synth of this fleet file ({self.service}'s weight variables "
                f"{_shown(synthesized) or 'missing'}, file {_shown(final)}): run `npx cdktf synth` first"
            )
        self.terraform.init()
        return self.terraform.state()

    def _running(self) -> ShiftRecord:
        record = self.store.read(self.service)
        if record is None or record.status != "running":
            raise ShiftRefused(f"no shift of {self.service} is under way ({self.store.where(self.service)})")
        return record

    def _steps(self, record: ShiftRecord, state: ServiceInState, first: int) -> int:
        shift = self.shift
        incoming = [state.groups[g] for g in record.after if record.after[g] > record.before.get(g, 0)]
        outgoing = [state.groups[g] for g in record.before if record.before[g] > record.after.get(g, 0)]
        judge = Analysis(
            shift,
            CloudWatchMetrics(self.cloudwatch, shift, state.load_balancer),
            CheckQueries(shift, self.service, state.load_balancer, self.cloudwatch, self.credentials),
            incoming,
            outgoing,
        )
        failures = 0
        index = first
        with cancellable():
            try:
                for index in range(first, len(record.steps)):
                    share = record.steps[index]
                    weights = step_weights(record.before, record.after, share)
                    label = f"step {index + 1}/{len(record.steps)} ({share}%)"
                    if index > record.applied:
                        with held():
                            self._apply(weights, state, label)
                            record = replace(record, applied=index)
                            self.store.write(record)
                    self._emit("step", f"{self.service} {label}: {_shown(weights)} applied")
                    record, failures = self._bake(record, shift, judge, label, weights, failures)
            except RolledBack as failed:
                with ignored():
                    return self._roll_back(record, state, str(failed))
            except (Cancelled, KeyboardInterrupt) as stopped:
                with ignored():
                    name = str(stopped) if isinstance(stopped, Cancelled) else "SIGINT"
                    return self._roll_back(record, state, f"cancelled ({name}) at step {index + 1}", by_api=True)
        record = replace(record, status="done")
        self.store.write(record)  # its `before` is what a rollback PR goes back to, at once
        self._summary(record, "done", f"{self.service}: shifted to {_shown(record.after)}")
        return 0

    def _apply(self, weights: Weights, state: ServiceInState, label: str) -> None:
        try:
            self.terraform.apply(weights, state.listener)
        except ShiftRefused as err:
            raise RolledBack(f"{label}: the apply failed: {err}") from None
        live = live_weights(self.elbv2, state)
        if live != weights:
            raise RolledBack(f"{label}: applied {_shown(weights)} but the ALB serves {_shown(live)}")

    def _bake(
        self,
        record: ShiftRecord,
        shift: Shift,
        judge: Analysis,
        label: str,
        weights: Weights,
        failures: int,
    ) -> tuple[ShiftRecord, int]:
        """Periods until the step has `periods_per_step` passing ones; a failure too many, or the
        shift's timeout, raises RolledBack."""
        length = shift.period_minutes * MINUTE
        deadline = record.started + shift.timeout_minutes * MINUTE
        start = math.ceil(self.clock.now() / MINUTE) * MINUTE  # ALB metrics are per whole minute
        passed = 0
        while passed < shift.periods_per_step():
            end = start + length
            ready = end + PUBLISH_DELAY_SECONDS
            if ready > deadline:
                raise RolledBack(
                    f"{label}: timeout_minutes {shift.timeout_minutes} reached with {passed}/{shift.periods_per_step()} "
                    "passing periods"
                )
            if ready > self.clock.now():
                self.clock.sleep(ready - self.clock.now())
            period = judge.period(start, end, baseline=any(weights.get(g.generation) for g in judge.outgoing))
            if period.verdict == "pass":
                passed += 1
            elif period.verdict == "fail":
                failures += 1
            entry = {"step": label, "weights": weights, **period.as_json()}
            record = replace(record, history=(*record.history, entry))
            with held():
                self.store.write(record)
            self._emit("period", _period_line(self.service, label, weights, period, shift, passed), entry)
            if period.verdict == "fail" and failures >= shift.failed_periods:
                raise RolledBack(
                    f"{label}: {period.why} ({failures} failed periods, failed_periods {shift.failed_periods})"
                )
            start = end
        return record, failures

    def _roll_back(
        self, record: ShiftRecord, state: ServiceInState, why: str, code: int = 1, by_api: bool = False
    ) -> int:
        """The weights before the shift, read back, and the record `rolled-back`. Through Terraform
        (with a refresh), or on a signal `by_api` (ModifyListener: Terraform would outlast GitHub's
        grace period; the next shift brings the state back in line first)."""
        try:
            if by_api:
                live = restore_weights(self.elbv2, state, record.before)
            else:
                self.terraform.apply(record.before, state.listener, refresh=True)
                live = live_weights(self.elbv2, state)
        except Exception as err:  # noqa: BLE001 - any failure leaves the record running
            self._summary(
                record,
                "rollback-failed",
                f"{self.service}: {why}; the rollback failed too ({err}): run "
                f"`fleet shift {self.service} --abort` again",
            )
            return 2
        if live != record.before:
            self._summary(
                record,
                "rollback-failed",
                f"{self.service}: {why}; rolled back but the ALB serves "
                f"{_shown(live)}, not {_shown(record.before)}: run `fleet shift {self.service} --abort` again",
            )
            return 2
        record = replace(record, status="rolled-back", reason=why)
        self.store.write(record)
        self._summary(
            record,
            "rolled-back",
            f"{self.service}: rolled back to {_shown(record.before)}: {why}; revert the file ({revert_edit(record)}) "
            f"or run `fleet shift {self.service}` again",
        )
        return code

    # --- output ---------------------------------------------------------------------------------

    def _emit(self, event: str, line: str, data: dict[str, Any] | None = None) -> None:
        if self.as_json:
            self.say(json.dumps({"event": event, "service": self.service, "line": line, **(data or {})}))
        else:
            self.say(line)

    def _acceptance_summary(self, failed: AcceptanceFailed) -> None:
        line = f"{self.service}: {failed.line}; no weight moved"
        self._emit("acceptance-failed", line, {"output": failed.output})
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as out:
                out.write(f"### fleet shift {self.service}: acceptance failed\n\n{line}\n\n```\n{failed.output}\n```\n")

    def _summary(self, record: ShiftRecord, outcome: str, line: str) -> None:
        self._emit(outcome, line, {"before": record.before, "after": record.after, "periods": len(record.history)})
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as out:
                out.write(_markdown(record, outcome, line))


def _shown(weights: Weights) -> str:
    return " ".join(f"{gen}={weight}" for gen, weight in sorted(weights.items()))


def _period_line(service: str, label: str, weights: Weights, period: Period, shift: Shift, passed: int) -> str:
    verdict = period.verdict + (f" ({period.why})" if period.why else f" ({passed}/{shift.periods_per_step()})")
    requests = f"{period.requests:g} requests" + (
        f" (outgoing {period.outgoing.requests:g})" if period.outgoing is not None else ""
    )
    shown = ", ".join(f"{m.name} {m.shown()}" for m in period.measures)
    return f"{service} {label} {_shown(weights)}: {requests}, {shown}: {verdict}"


def _cell(value: Any) -> str:
    if not isinstance(value, dict):
        return "-"

    def one(number: Any) -> str:
        return "-" if number is None else f"{number:g}"

    text = one(value.get("incoming")) + (f" ({one(value['outgoing'])})" if value.get("outgoing") is not None else "")
    return f"**{text}** ✗" if value.get("verdict") == "fail" else text


def _markdown(record: ShiftRecord, outcome: str, line: str) -> str:
    """The job summary: each check's value per period (incoming, and the outgoing baseline in
    brackets), its thresholds, and why a period failed or held."""
    names: list[str] = []
    thresholds: dict[str, str] = {}
    for entry in record.history:
        for name, value in (entry.get("values") or {}).items():
            if name not in names:
                names.append(name)
            if isinstance(value, dict) and value.get("threshold"):
                thresholds[name] = value["threshold"]
    rows = []
    for entry in record.history:
        values = entry.get("values") or {}
        cells = [_cell(values.get(name)) for name in names]
        outgoing = entry.get("outgoing_requests")
        requests = f"{entry.get('requests', 0):g}" + ("" if outgoing is None else f" ({outgoing:g})")
        why = str(entry.get("why", "")).replace("|", "\\|")
        rows.append(
            f"| {entry.get('step', '')} | {_shown(entry.get('weights', {}))} | {requests} | "
            + " | ".join(cells)
            + f" | {entry.get('verdict', '')} | {why} |"
        )
    limits = [f"- {name}: {thresholds[name]}" for name in names if name in thresholds]
    return "\n".join(
        [
            f"### fleet shift {record.service}: {outcome}",
            "",
            line,
            "",
            "Thresholds (incoming; outgoing in brackets, the baseline of relative rules):" if limits else "",
            *limits,
            "",
            "| step | weights | requests | " + " | ".join(names) + " | verdict | why |",
            "| --- | --- | --- | " + " | ".join("---" for _ in names) + " | --- | --- |",
            *rows,
            "",
        ]
    )

"""`fleet next`: the fleet file the plan's next step leads to, written over the one a person reviews.

The planner (`fleet.ops.planner`) already knows each step's edit; what a person should see in the
next PR is that edit alone. So the edit is written into the file's own text: every value the step
changes is replaced where it stands (its quoting kept), a removed generation's lines go, a new
field is one line beside its siblings, and every other byte - comments, key order, quoting, blank
lines - stays. The YAML is located with ruamel.yaml's composer (its nodes carry their positions);
nothing is re-dumped. The result is checked: read back, it must be the fleet the planner's edit
gives, or nothing is written.

What `fleet next` will not propose, one line each: a shift under way or rolled back (the shift
records decide what is live), a choice only a person makes (which of two incoming generations
wins, opening a new service to traffic), and - until its rollback window is over - the step that
ends a drained generation's one-PR rollback (retiring a drained target, destroying a paused hub).
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleet.errors import FleetFailure
from fleet.lifecycle import DESTROYED, PROVISIONING, REGISTERED, RETIRING, SERVING, STANDBY
from fleet.model import Fleet
from fleet.model.load import FleetError, parse_yaml, validate
from fleet.ops.edits import Edit, apply_edit, fleet_data
from fleet.ops.planner import plan
from fleet.ops.shift_record import ShiftRecord, file_weights, revert_edit
from fleet.ops.step import PlanRefused, Step
from fleet.ref import Section

BRANCH_PREFIX = "fleet-next/"


class NextRefused(FleetFailure):
    """`fleet next` proposes nothing; `str()` is the one line to show (field, reason, way out)."""


class NextWaits(FleetFailure):
    """The next step exists but must wait; `until` is when (epoch seconds)."""

    exit_code = 3

    def __init__(self, line: str, until: float) -> None:
        self.until = until
        super().__init__(line)


@dataclass(frozen=True)
class Proposal:
    step: Step
    text: str
    """The whole next fleet file."""
    swap: str
    """Which swap the step belongs to, in words: `target swap of service web`, `hub swap`."""
    left: int
    """PRs left in the plan, this one included."""
    branch: str
    """`fleet-next/<what the edit sets>`: the same step always gets the same branch."""

    @property
    def title(self) -> str:
        return f"fleet next ({self.swap}): {self.step.title}"

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "proposed",
            "title": self.title,
            "swap": self.swap,
            "step": self.step.title,
            "changes": list(self.step.changes),
            "commands": list(self.step.commands),
            "checks": list(self.step.checks),
            "rollback": self.step.rollback,
            "left": self.left,
            "last": self.left == 1,
            "branch": self.branch,
        }


def propose(
    text: str,
    fleet: Fleet,
    weight_steps: tuple[int, ...],
    records: dict[str, ShiftRecord] | None,
    since: float,
    now: float | None = None,
    window_minutes: int | None = None,
) -> Proposal | None:
    """The next step's file, or None when nothing is under way. `records` are the shift records
    (None: they could not be read); `since` is when the file's current content took effect;
    `window_minutes`: the fleet's `rollback_window_minutes` unless given."""
    if records is None:
        raise NextRefused(
            "shift records: not read, and a step is proposed only against them: run it where the state bucket is "
            "readable (the state-read role)"
        )
    _refuse_for_shifts(fleet, records)
    try:
        steps = [s for s in plan(fleet, weight_steps) if s.edit]
    except PlanRefused as refused:
        raise NextRefused(refused.reasons[0]) from None
    if not steps:
        return None
    step = steps[0]
    assert step.edit is not None
    _refuse_for_people(fleet, step.edit)
    window = fleet.rollback_window_minutes if window_minutes is None else window_minutes
    _wait_for_the_window(fleet, step.edit, since, time.time() if now is None else now, window)
    return Proposal(
        step=step,
        text=edited_text(text, fleet, step.edit),
        swap=_swap(fleet, step.edit),
        left=len(steps),
        branch=branch_name(step.edit),
    )


# --- what the pipeline does not decide ------------------------------------------------------


def _refuse_for_shifts(fleet: Fleet, records: dict[str, ShiftRecord]) -> None:
    """A shift running, or rolled back while the file names the weights it refused: the live
    weights are not the file's, so no next step follows from the file."""
    for service, spec in fleet.services.items():
        record = records.get(service)
        if record is not None and record.status == "running":
            raise NextRefused(
                f"services.{service}: mid-shift (a fleet shift is under way); the next step is proposed after it "
                f"ends: let it finish, or run `python -m fleet shift {service} --resume` or `--abort`"
            )
        if record is not None and record.status == "rolled-back" and file_weights(fleet, service) != record.before:
            raise NextRefused(
                f"services.{service}: the last fleet shift rolled back ({record.reason}); revert the file "
                f"({revert_edit(record)}) or run `python -m fleet shift {service}` again before any next step"
            )
        shifted = spec.traffic.shift is not None and not spec.closed and _drained(fleet, service)
        done = record is not None and record.status == "done" and record.after == file_weights(fleet, service)
        if shifted and not done:
            raise NextRefused(
                f"services.{service}: mid-shift (no done shift record for the file's weights); the next step is "
                f"proposed once `python -m fleet shift {service}` has reached them"
            )


def _drained(fleet: Fleet, service: str) -> list[str]:
    """Registered generations at weight 0 listed before the newest serving one (as the planner reads it)."""
    targets = fleet.services[service].targets
    order = list(targets)
    serving = [i for i, n in enumerate(order) if targets[n].phase == SERVING]
    if not serving:
        return []
    return [n for n in order[: serving[-1]] if targets[n].phase == REGISTERED]


def _refuse_for_people(fleet: Fleet, edit: Edit) -> None:
    for section in edit:
        service = section.service
        if section == Section.hubs():
            standby = [n for n, h in fleet.hubs.items() if h.phase == STANDBY]
            if len(standby) > 1:
                raise NextRefused(
                    f"hubs: {', '.join(standby)} are all standby; which one becomes active is a person's decision: "
                    "remove the others from the file in a PR"
                )
            continue
        if service is None or fleet.services[service].closed:
            continue
        targets = fleet.services[service].targets
        drained = _drained(fleet, service)
        incoming = [n for n, t in targets.items() if t.phase in (PROVISIONING, REGISTERED) and n not in drained]
        if len(incoming) > 1:
            raise NextRefused(
                f"services.{service}.targets: {', '.join(incoming)} are all incoming; which one replaces the serving "
                "generation is a person's decision: remove the others from the file in a PR"
            )
        opening = not any(t.phase == SERVING for t in targets.values()) and any(
            (change or {}).get("phase") == SERVING for change in edit[section].values()
        )
        if opening:
            raise NextRefused(
                f"services.{service}: opening the service to traffic is a person's decision: set its first "
                "generation serving at weight 100 in a PR of your own"
            )


def _ends_a_rollback(fleet: Fleet, edit: Edit) -> list[str]:
    """The generations whose one-PR rollback this edit ends: a drained target retired, a paused
    (retiring) hub destroyed."""
    ending = []
    for section, changes in edit.items():
        current = section.lookup(fleet) if section != Section.services() else {}
        for name, change in changes.items():
            phase = (change or {}).get("phase")
            before = current.get(name)
            if before is None:
                continue
            if section == Section.hubs() and phase == DESTROYED and before.phase == RETIRING:
                ending.append(f"{section.path}.{name}")
            elif section.service and phase == RETIRING and before.phase == REGISTERED:
                ending.append(f"{section.path}.{name}")
    return ending


def _wait_for_the_window(fleet: Fleet, edit: Edit, since: float, now: float, window_minutes: int) -> None:
    ending = _ends_a_rollback(fleet, edit)
    until = since + window_minutes * 60
    if ending and now < until:
        raise NextWaits(
            f"{', '.join(ending)}: kept for its rollback window ({window_minutes} min from {_iso(since)}); the "
            f"next step is proposed after {_iso(until)}",
            until,
        )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _swap(fleet: Fleet, edit: Edit) -> str:
    section = next(iter(edit))
    if section == Section.hubs():
        return "hub swap"
    if section == Section.services():
        return f"closing of service {next(iter(edit[section]))}"
    service = section.service
    assert service is not None
    return f"{'closing' if fleet.services[service].closed else 'target swap'} of service {service}"


def branch_name(edit: Edit) -> str:
    """`fleet-next/web-green-serving-50-blue-50`: what the step sets, so a re-run finds its branch."""
    words: list[str] = []
    for section, changes in edit.items():
        words.append(section.service or section.keys[0])
        for name, change in changes.items():
            words.append(name)
            words += ["removed"] if change is None else [str(v) for v in change.values()]
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(words).lower()).strip("-")
    return BRANCH_PREFIX + slug[:100]


# --- the edit, written into the file's text ---------------------------------------------------


def edited_text(text: str, fleet: Fleet, edit: Edit) -> str:
    """`text` with `edit` written in place; refused (never written) when the result does not read
    back as the planner's fleet."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        root = YAML().compose(text)
    except YAMLError as err:
        raise NextRefused(
            f"the fleet file cannot be located line by line ({' '.join(str(err).split())[:200]})"
        ) from None
    patches: list[tuple[int, int, str]] = []  # (start, end, replacement) by character index
    for section, changes in edit.items():
        mapping = _node_at(root, section.keys)
        for name, change in changes.items():
            key, value = _entry(mapping, name, section.path)
            if change is None:
                patches.append(_removal(text, key, value))
                continue
            for field, new in change.items():
                found = _find(value, field)
                if found is None:
                    patches.append(_addition(text, value, field, new, f"{section.path}.{name}"))
                elif found[1].value != _plain(new):
                    patches.append((found[1].start_mark.index, found[1].end_mark.index, _scalar(found[1], new)))
    result = text
    for start, end, replacement in sorted(patches, reverse=True):
        result = result[:start] + replacement + result[end:]
    _check(result, fleet, edit)
    return result


def _node_at(root: Any, keys: tuple[str, ...]) -> Any:
    node = root
    for depth, key in enumerate(keys):
        found = _find(node, key)
        if found is None:
            raise NextRefused(f"{'.'.join(keys[: depth + 1])}: not found in the file's text")
        node = found[1]
    return node


def _find(mapping: Any, key: str) -> tuple[Any, Any] | None:
    from ruamel.yaml.nodes import MappingNode

    if not isinstance(mapping, MappingNode):
        return None
    return next(((k, v) for k, v in mapping.value if k.value == key), None)


def _entry(mapping: Any, name: str, where: str) -> tuple[Any, Any]:
    found = _find(mapping, name)
    if found is None:
        raise NextRefused(f"{where}.{name}: not found in the file's text")
    return found


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalar(node: Any, value: Any) -> str:
    """`value` written as the node it replaces was: same quotes for a string."""
    text = _plain(value)
    if isinstance(value, str) and node.style in ('"', "'"):
        return f"{node.style}{text}{node.style}"
    return text


def _last_line(text: str, node: Any) -> int:
    """The last line (0-based) holding `node`'s own content: a block's end mark sits after the
    blank lines and comments that follow it."""
    lines = text.splitlines()
    mark = node.end_mark
    before_mark = text[mark.index - mark.column : mark.index]  # the end mark's line up to the mark
    end = min(mark.line if before_mark.strip() else mark.line - 1, len(lines) - 1)
    while end > node.start_mark.line and (not lines[end].strip() or lines[end].lstrip().startswith("#")):
        end -= 1
    return end


def _line_start(text: str, line: int) -> int:
    index = 0
    for _ in range(line):
        index = text.index("\n", index) + 1
    return index


def _removal(text: str, key: Any, value: Any) -> tuple[int, int, str]:
    """The key's lines through its value's last line; one blank line that would now follow its
    parent key (or another blank line) goes with them."""
    first, last = key.start_mark.line, _last_line(text, value)
    lines = text.splitlines(keepends=True)
    before = lines[first - 1].rstrip() if first > 0 else ""
    if last + 1 < len(lines) and not lines[last + 1].strip() and (not before or before.endswith(":")):
        last += 1
    end = _line_start(text, last + 1) if last + 1 < len(lines) else len(text)
    return _line_start(text, first), end, ""


def _addition(text: str, mapping: Any, field: str, value: Any, where: str) -> tuple[int, int, str]:
    from ruamel.yaml.nodes import MappingNode

    if not isinstance(mapping, MappingNode) or mapping.flow_style or not mapping.value:
        raise NextRefused(f"{where}: write it as a block mapping (one key a line) so that {field} can be added")
    indent = mapping.value[0][0].start_mark.column
    after = _last_line(text, mapping)
    at = _line_start(text, after + 1) if after + 1 < len(text.splitlines()) else len(text)
    newline = "" if text[:at].endswith("\n") else "\n"
    return at, at, f"{newline}{' ' * indent}{field}: {_plain(value)}\n"


def _check(result: str, fleet: Fleet, edit: Edit) -> None:
    try:
        written = validate(parse_yaml(result, "the next fleet file"), "the next fleet file")
    except FleetError as err:
        raise NextRefused(f"the edit written in place does not validate ({err.problems[0]})") from None
    if fleet_data(written) != fleet_data(apply_edit(fleet, edit)):
        raise NextRefused("the edit written in place does not read back as the planner's step; make this PR by hand")


# --- when the file's content took effect ------------------------------------------------------


def last_change(path: Path) -> float:
    """When `path` last changed: its last commit, else (not in git, or changed since) its
    modification time."""
    committed = _git(path, "log", "-1", "--format=%ct")
    return float(committed) if committed and not _git(path, "status", "--porcelain") else path.stat().st_mtime


def _git(path: Path, *args: str) -> str:
    """`git <args> -- <path>` in its folder, stripped; empty when git cannot tell."""
    try:
        return subprocess.run(
            ["git", *args, "--", path.name], cwd=path.parent, capture_output=True, text=True, timeout=30, check=False
        ).stdout.strip()
    except OSError:
        return ""

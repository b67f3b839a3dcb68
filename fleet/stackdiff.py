"""`python -m fleet diff`: what a change does to each stack, and whether a live generation allows it.

Synthesizes the base (a git revision, or a cdktf.out directory) and the head (the working tree, or
a cdktf.out directory), compares the two stack by stack and resource by resource, and refuses an
in-place change to a *live* generation's cluster: its Kubernetes version, subnets, endpoint
access, security groups, IAM roles or KMS key. Those go into a new generation instead.

    python -m fleet diff --base origin/main                 # text, for a terminal
    python -m fleet diff --base origin/main --markdown      # a PR comment
    python -m fleet diff --base origin/main --stacks        # stacks to `cdktf diff` (a CI matrix)

Exit codes: 0 nothing refused, 1 the guard refused a change, 2 the diff could not be made (a bad
fleet file, a failed synth, an unknown revision). Synthesis runs `main.py` in a subprocess, so
this module imports no cdktf.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fleet import names
from fleet.lifecycle import is_live
from fleet.load import FleetError, load_fleet
from fleet.model import Fleet

ROOT = Path(__file__).resolve().parent.parent
"""The repository synthesized for the head and checked out for a base revision (`--repo`)."""
DEFAULT_FLEET = "fleet.yaml"
MARKER = "<!-- ephemeral-eks-diff -->"
"""First line of the --markdown output, so a CI step can find and update its own PR comment."""

ANY = "*"
"""Rule: any change to the resource (every attribute, tags included), and adding or removing one."""
DESTROY = "(destroy)"
"""Rule: removing the resource, or replacing it (a renamed construct id: destroy + create)."""

# The guard's rules, for the stacks of live generations (never `shared`). Resource type -> what
# may not change in place: attribute path prefixes (`vpc_config` covers `vpc_config.subnet_ids`),
# ANY or DESTROY. Everything else passes: node counts, Helm releases (app and chart versions),
# cluster registrations, tags (default_tags), data sources, and whole stacks added or removed.
GUARDED: dict[str, tuple[str, ...]] = {
    "aws_eks_cluster": (
        DESTROY,  # everything running on the cluster goes with it
        "version",  # a control-plane minor upgrade cannot be rolled back
        "vpc_config",  # subnets, control-plane SGs, private/public endpoint and its CIDRs: who reaches the API
        "role_arn",  # the role the control plane acts as: a wrong one stops it managing ENIs and nodes
        "encryption_config",  # the KMS key of the secrets: cannot be swapped or removed once set
        "kubernetes_network_config",  # the service range: replaces the cluster
        "access_config",  # authentication mode: who may authenticate to the API at all
    ),
    "aws_eks_node_group": (
        DESTROY,  # every pod on the nodes goes with them
        "subnet_ids",  # where the nodes run: replaces the node group
        "node_role_arn",  # what every node (and, through it, the CNI) may do: replaces the node group
        "launch_template",  # which template: SGs, IMDS and disks of every node
        "instance_types",  # replaces the node group
        "ami_type",  # OS and architecture of every node
    ),
    "aws_launch_template": (
        "vpc_security_group_ids",  # the nodes' SGs: what reaches the nodes and what they reach
        "metadata_options",  # IMDSv2 with hop limit 1 keeps pods from borrowing the node role
        "block_device_mappings",  # root volume encryption, type and size of every node
    ),
    # Security groups and their rules: one wrong rule cuts ArgoCD off the API, or the ALB off the pods.
    "aws_security_group": (ANY,),
    "aws_security_group_rule": (ANY,),
    "aws_vpc_security_group_ingress_rule": (ANY,),
    "aws_vpc_security_group_egress_rule": (ANY,),
    # IAM: the roles the control plane, the nodes and the controllers act as; a broken trust or
    # policy stops the cluster, its nodes or the load balancer controller.
    "aws_iam_role": (ANY,),
    "aws_iam_role_policy": (ANY,),
    "aws_iam_role_policy_attachment": (ANY,),
    # KMS: the key that encrypts the cluster's secrets; without it they cannot be read.
    "aws_kms_key": (ANY,),
    "aws_kms_alias": (ANY,),
}

Stacks = dict[str, dict[str, Any]]
"""Stack id -> its parsed cdk.tf.json."""
Verdict = Literal["added", "removed", "changed", "unchanged"]
ChangeKind = Literal["added", "removed", "changed", "replaced"]

IDENTITY_KEYS = ("name", "node_group_name", "name_prefix")
"""Attributes that name a resource's real object: a removed and an added resource of one type with
the same name are one object under a new construct id (a rename), with different names two."""
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_MISSING = object()


class DiffError(Exception):
    """The diff cannot be made: a missing directory, an unknown revision, a failed synth."""


# --- comparison (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One addressable block of a stack: a resource, a data source, a provider, the backend..."""

    category: Literal["resource", "data", "other"]
    type: str
    """The resource or data source type (`aws_eks_cluster`); "" for the others."""
    body: Any


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    address: str
    category: Literal["resource", "data", "other"] = "resource"
    type: str = ""
    paths: tuple[str, ...] = ()
    """For `changed`: the attribute paths that differ (`vpc_config.subnet_ids`)."""
    new_address: str | None = None
    """For `replaced`: the address that takes this one's place."""

    def line(self) -> str:
        if self.kind == "added":
            return f"+ {self.address}"
        if self.kind == "removed":
            return f"- {self.address}"
        if self.kind == "replaced":
            return f"! {self.address}: replaced (destroy + create) as {self.new_address}"
        return f"~ {self.address}: {', '.join(p or '(whole value)' for p in self.paths)}"


@dataclass(frozen=True)
class StackDiff:
    stack: str
    verdict: Verdict
    changes: tuple[Change, ...] = ()
    """For a changed stack every difference; for an added or removed one its resources and data sources."""

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    def summary(self) -> str:
        """`+1 ~2 -0`: a replacement counts as one created and one destroyed resource. An added
        or removed stack: `+33` or `-33`, its resources and data sources."""
        if self.verdict in ("added", "removed"):
            return f"{'+' if self.verdict == 'added' else '-'}{len(self.changes)}"
        if self.verdict == "unchanged":
            return ""
        replaced = self.count("replaced")
        text = f"+{self.count('added') + replaced} ~{self.count('changed')} -{self.count('removed') + replaced}"
        return text + (f" ({replaced} replaced)" if replaced else "")


def entries(stack: dict[str, Any]) -> dict[str, Entry]:
    """Every addressable block of a synthesized stack by address, without cdktf's `//` comments
    (construct metadata, checkov skips), which never reach Terraform."""
    found: dict[str, Entry] = {}
    for block, content in stack.items():
        if block == "//":
            continue
        if block in ("resource", "data") and isinstance(content, dict):
            category: Literal["resource", "data"] = "resource" if block == "resource" else "data"
            for rtype, items in content.items():
                for name, body in (items or {}).items():
                    kind = rtype if block == "resource" else f"data.{rtype}"
                    found[f"{kind}.{name}"] = Entry(category, rtype, _strip(body))
        elif block == "provider" and isinstance(content, dict):
            for name, configs in content.items():
                if isinstance(configs, list):
                    configs = [_strip(c) for c in configs]
                    if len(configs) == 1:
                        configs = configs[0]
                found[f"provider.{name}"] = Entry("other", "", configs)
        elif block == "terraform" and isinstance(content, dict):
            for key, value in content.items():
                found[f"terraform.{key}"] = Entry("other", "", value)
        elif isinstance(content, dict):
            prefix = {"variable": "var", "locals": "local"}.get(block, block)
            for name, body in content.items():
                found[f"{prefix}.{name}"] = Entry("other", "", _strip(body))
        else:
            found[block] = Entry("other", "", content)
    return found


def _strip(body: Any) -> Any:
    if isinstance(body, dict) and "//" in body:
        return {k: v for k, v in body.items() if k != "//"}
    return body


def attribute_paths(base: Any, head: Any, path: str = "") -> list[str]:
    """The paths at which two values differ: `vpc_config.subnet_ids`, `scaling_config.desired_size`,
    `default_action[0].forward.target_group[1].weight`. A list of plain values is one attribute
    (`instance_types`); a list of blocks is compared element by element."""
    if base == head:
        return []
    if isinstance(base, dict) and isinstance(head, dict):
        found: list[str] = []
        for key in [*base, *(k for k in head if k not in base)]:
            found += attribute_paths(base.get(key, _MISSING), head.get(key, _MISSING), _join(path, key))
        return found
    if isinstance(base, list) and isinstance(head, list) and any(isinstance(x, dict | list) for x in base + head):
        found = []
        for i in range(max(len(base), len(head))):
            found += attribute_paths(
                base[i] if i < len(base) else _MISSING, head[i] if i < len(head) else _MISSING, f"{path}[{i}]"
            )
        return found
    return [path]


def _join(path: str, key: str) -> str:
    if not _PLAIN_KEY.fullmatch(key):
        return f"{path}[{json.dumps(key)}]"
    return f"{path}.{key}" if path else key


def _identity(body: Any) -> Any:
    if not isinstance(body, dict):
        return None
    for key in IDENTITY_KEYS:
        if isinstance(body.get(key), str):
            return body[key]
    metadata = body.get("metadata")  # kubernetes resources
    if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
        return (metadata.get("namespace"), metadata["name"])
    return None


def _replacements(
    removed: list[str], added: list[str], base: dict[str, Entry], head: dict[str, Entry]
) -> list[tuple[str, str]]:
    """Pair each removed resource with the added one of the same type that is the same real object
    under a new construct id: the same name, or the same body, or - for nameless resources - the
    only one of its type removed and the only one added. Data sources are never paired: a renamed
    lookup destroys nothing."""
    pairs: list[tuple[str, str]] = []
    left = [a for a in added if head[a].category == "resource"]
    for old in removed:
        if base[old].category != "resource":
            continue
        same_type = [a for a in left if head[a].type == base[old].type]
        ident = _identity(base[old].body)
        match = next(
            (
                a
                for a in same_type
                if (ident is not None and _identity(head[a].body) == ident) or head[a].body == base[old].body
            ),
            None,
        )
        if match is None and ident is None:
            removed_of_type = [r for r in removed if base[r].category == "resource" and base[r].type == base[old].type]
            if len(removed_of_type) == 1 and len(same_type) == 1 and _identity(head[same_type[0]].body) is None:
                match = same_type[0]
        if match is not None:
            pairs.append((old, match))
            left.remove(match)
    return pairs


def diff_stack(base: dict[str, Any], head: dict[str, Any]) -> tuple[Change, ...]:
    """Every difference between two synthesized versions of one stack, in head order, removals last."""
    old, new = entries(base), entries(head)
    removed = [a for a in old if a not in new]
    added = [a for a in new if a not in old]
    pairs = dict(_replacements(removed, added, old, new))
    taken = set(pairs.values())

    changes: list[Change] = []
    for address, entry in new.items():
        if address in old:
            paths = attribute_paths(old[address].body, entry.body)
            if paths:
                changes.append(Change("changed", address, entry.category, entry.type, tuple(paths)))
        elif address not in taken:
            changes.append(Change("added", address, entry.category, entry.type))
    for address in removed:
        entry = old[address]
        if address in pairs:
            changes.append(Change("replaced", address, entry.category, entry.type, new_address=pairs[address]))
        else:
            changes.append(Change("removed", address, entry.category, entry.type))
    return tuple(changes)


def _stack_order(stack: str) -> tuple[int, str]:
    if stack == names.SHARED_STACK:
        return 0, stack
    found = generation_of(stack)
    return (1 if found[0] == "argocd" else 2) if found else 3, stack


def diff_stacks(base: Stacks, head: Stacks) -> list[StackDiff]:
    """One verdict per stack of either side: `shared` first, then hubs, then targets."""
    diffs = []
    for stack in sorted(set(base) | set(head), key=_stack_order):
        if stack not in base:
            diffs.append(StackDiff(stack, "added", _inventory("added", head[stack])))
        elif stack not in head:
            diffs.append(StackDiff(stack, "removed", _inventory("removed", base[stack])))
        else:
            changes = diff_stack(base[stack], head[stack])
            diffs.append(StackDiff(stack, "changed" if changes else "unchanged", changes))
    return diffs


def _inventory(kind: ChangeKind, stack: dict[str, Any]) -> tuple[Change, ...]:
    return tuple(
        Change(kind, address, e.category, e.type) for address, e in entries(stack).items() if e.category != "other"
    )


# --- the guard (pure) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """An in-place change to a live generation's cluster, which the guard refuses."""

    stack: str
    address: str
    attribute: str
    """The attribute path that changed; "" when the whole resource is added, removed or replaced."""
    event: str
    """`changed in place`, `added`, `removed (destroy)`, `replaced (destroy + create) as ...`."""
    phase: str | None
    """The generation's phase in the base fleet; None when the base fleet is unknown."""

    @property
    def what(self) -> str:
        return f"{self.attribute} {self.event}" if self.attribute else self.event

    @property
    def why(self) -> str:
        if self.phase is None:
            return "a generation that exists in base (no base fleet says its phase, so it counts as live)"
        return f"a live generation (phase {self.phase})"

    def __str__(self) -> str:
        return f"{self.stack}: {self.address}: {self.what} on {self.why}; add a new generation instead"


def generation_of(stack: str) -> tuple[names.Kind, str] | None:
    """`target-blue` -> ("target", "blue"); None for `shared` and anything else."""
    for kind in ("argocd", "target"):
        if stack.startswith(f"{kind}-"):
            return kind, stack[len(kind) + 1 :]  # type: ignore[return-value]
    return None


def live_phase(stack: str, base_fleet: Fleet | None) -> tuple[bool, str | None]:
    """Whether the guard covers `stack`, and the phase to name. Only generation stacks that exist in
    base are asked; a generation the base fleet does not list is a candidate."""
    found = generation_of(stack)
    if found is None:
        return False, None
    if base_fleet is None:
        return True, None
    kind, generation = found
    spec = (base_fleet.hubs if kind == "argocd" else base_fleet.targets).get(generation)
    if spec is None:
        return False, None
    return is_live(kind, spec.phase), spec.phase


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))


def guarded_events(change: Change) -> list[tuple[str, str]]:
    """(attribute, event) of each part of `change` the rules table refuses on a live generation."""
    rules = GUARDED.get(change.type) if change.category == "resource" else None
    if not rules:
        return []
    if change.kind == "changed":
        hit = [p for p in change.paths if ANY in rules or any(_under(p, r) for r in rules if r not in (ANY, DESTROY))]
        return [(p, "changed in place") for p in hit]
    if change.kind == "added":
        return [("", "added")] if ANY in rules else []
    if ANY not in rules and DESTROY not in rules:
        return []
    if change.kind == "removed":
        return [("", "removed (destroy)")]
    return [("", f"replaced (destroy + create) as {change.new_address}")]


def check_guard(diffs: list[StackDiff], base_fleet: Fleet | None) -> list[Violation]:
    """Every refused change in the changed stacks of live generations. `base_fleet` None: the base
    fleet is unknown, and every generation stack that exists in base counts as live."""
    violations = []
    for diff in diffs:
        if diff.verdict != "changed":
            continue
        live, phase = live_phase(diff.stack, base_fleet)
        if not live:
            continue
        for change in diff.changes:
            for attribute, event in guarded_events(change):
                violations.append(Violation(diff.stack, change.address, attribute, event, phase))
    return violations


# --- output -----------------------------------------------------------------------------------


def render_text(diffs: list[StackDiff], violations: list[Violation], notes: Sequence[str] = ()) -> str:
    width = max((len(d.stack) for d in diffs), default=0) + 2
    lines = []
    for diff in diffs:
        lines.append(f"{diff.stack:<{width}}{diff.verdict}")
        if diff.verdict == "changed":
            lines += [f"    {c.line()}" for c in diff.changes]
    if not diffs:
        lines.append("no stacks on either side")
    lines += [f"note: {n}" for n in notes]
    lines.append("")
    if violations:
        lines.append(f"guard: {len(violations)} in-place change(s) to live generations refused")
        lines += [f"  {v}" for v in violations]
    else:
        lines.append("guard: ok")
    return "\n".join(lines)


def render_markdown(
    diffs: list[StackDiff],
    violations: list[Violation],
    base_label: str,
    head_label: str,
    notes: Sequence[str] = (),
) -> str:
    lines = [MARKER, "## Ephemeral EKS: stack diff", "", f"Base {base_label}, head {head_label}.", ""]
    lines += ["| stack | verdict | resources (+added ~changed -removed) |", "| --- | --- | --- |"]
    for diff in diffs:
        lines.append(f"| `{diff.stack}` | {diff.verdict} | {diff.summary()} |")
    for note in notes:
        lines += ["", f"> {note}"]
    for diff in diffs:
        if diff.verdict != "changed":
            continue
        lines += [
            "",
            f"<details><summary><code>{diff.stack}</code>: {diff.summary()}</summary>",
            "",
            "```diff",
            *(c.line() for c in diff.changes),
            "```",
            "",
            "</details>",
        ]
    lines += ["", "### Guard", ""]
    if violations:
        lines.append(
            f"❌ {len(violations)} in-place change(s) to live generations refused; add a new generation instead:"
        )
        lines.append("")
        lines += [f"- `{v.stack}` `{v.address}`: {v.what} on {v.why}; add a new generation instead" for v in violations]
    else:
        lines.append("✅ No in-place change to a live generation's cluster.")
    return "\n".join(lines)


def render_stacks(diffs: list[StackDiff]) -> str:
    """The stacks a `cdktf diff` has something to show for (added or changed), one id a line."""
    return "\n".join(d.stack for d in diffs if d.verdict in ("added", "changed"))


# --- synthesis --------------------------------------------------------------------------------


def read_outdir(outdir: Path) -> Stacks:
    """The stacks of a cdktf.out directory, by the paths its manifest.json names."""
    if not outdir.is_dir():
        raise DiffError(f"{outdir}: no such directory; pass a cdktf.out directory")
    manifest = outdir / "manifest.json"
    try:
        if manifest.is_file():
            listed = json.loads(manifest.read_text()).get("stacks", {})
            files = {
                stack: outdir / info.get("synthesizedStackPath", f"stacks/{stack}/cdk.tf.json")
                for stack, info in listed.items()
            }
        elif (outdir / "stacks").is_dir():
            files = {f.parent.name: f for f in sorted((outdir / "stacks").glob("*/cdk.tf.json"))}
        else:
            raise DiffError(f"{outdir}: not a cdktf.out directory (no manifest.json, no stacks/<id>/cdk.tf.json)")
        return {stack: json.loads(file.read_text()) for stack, file in files.items()}
    except (OSError, ValueError, AttributeError) as err:
        raise DiffError(f"{outdir}: cannot read the synthesized stacks: {err}") from None


def synthesize(cwd: Path, fleet: str, label: str) -> Stacks:
    """Run `main.py` of the checkout at `cwd` on `fleet` (a path relative to `cwd`, or absolute) in
    a subprocess, into a temporary directory, and read the result."""
    out = Path(tempfile.mkdtemp(prefix="fleet-diff-out-"))
    try:
        env = {
            **os.environ,
            "FLEET": fleet,
            "CDKTF_OUTDIR": str(out / "cdktf.out"),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
        try:
            proc = subprocess.run(
                [sys.executable, "main.py"], cwd=cwd, env=env, capture_output=True, text=True, check=False
            )
        except OSError as err:
            raise DiffError(f"synth of {label} failed: {err}") from None
        if proc.returncode != 0:
            said = [line for line in proc.stderr.splitlines() if line.strip()][-6:]
            detail = "".join(f"\n  {line}" for line in said)
            raise DiffError(f"synth of {label} failed (main.py exit code {proc.returncode}){detail}")
        return read_outdir(out / "cdktf.out")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _git(repo: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except OSError as err:
        raise DiffError(f"cannot run git: {err}") from None
    if proc.returncode != 0:
        said = [line for line in proc.stderr.splitlines() if line.strip()]
        raise DiffError(f"git {' '.join(args)} in {repo} failed: {said[-1] if said else proc.returncode}")
    return proc.stdout.strip()


@contextmanager
def worktree(repo: Path, rev: str) -> Iterator[Path]:
    """A detached checkout of `rev` in a temporary directory, removed again on the way out."""
    tmp = Path(tempfile.mkdtemp(prefix="fleet-diff-base-"))
    tree = tmp / "tree"
    added = False
    try:
        _git(repo, "worktree", "add", "--detach", str(tree), rev)
        added = True
        yield tree
    finally:
        if added:
            done = subprocess.run(
                ["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], capture_output=True, check=False
            )
            if done.returncode != 0:
                shutil.rmtree(tmp, ignore_errors=True)
                subprocess.run(["git", "-C", str(repo), "worktree", "prune"], capture_output=True, check=False)
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Sides:
    base: Stacks
    head: Stacks
    base_fleet: Fleet | None
    base_label: str
    head_label: str
    notes: list[str] = field(default_factory=list)


def _base_from_git(repo: Path, rev: str, fleet_path: Path) -> tuple[Stacks, Fleet | None, str, list[str]]:
    try:
        relative = fleet_path.relative_to(repo)
    except ValueError:
        raise DiffError(
            f"{fleet_path}: the fleet file is outside the repository {repo}, so it has no version at "
            f"--base {rev}; pass --base a cdktf.out directory instead"
        ) from None
    try:
        _git(repo, "rev-parse", "--git-dir")
    except DiffError:
        raise DiffError(
            f"--base {rev}: not a directory, and {repo} is not a git repository to read a revision from"
        ) from None
    try:
        sha = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except DiffError:
        raise DiffError(f"--base {rev}: not a directory, nor a git revision of {repo}") from None
    label = f"`{rev}` ({sha[:12]})"
    with worktree(repo, sha) as tree:
        base_file = tree / relative
        if not base_file.is_file():
            return {}, None, label, [f"{relative.as_posix()} does not exist at {rev}: every stack is new"]
        stacks = synthesize(tree, relative.as_posix(), f"--base {rev} ({relative.as_posix()})")
        try:
            return stacks, load_fleet(base_file), label, []
        except FleetError as err:
            first = err.problems[0] if err.problems else "invalid"
            note = (
                f"{relative.as_posix()} at {rev} does not load with this version's fleet schema ({first}); "
                "every generation stack in base counts as live"
            )
            return stacks, None, label, [note]


def collect(args: argparse.Namespace) -> Sides:
    repo = Path(args.repo).resolve()
    fleet_path = Path(args.fleet or os.environ.get("FLEET") or DEFAULT_FLEET).resolve()
    base_dir = Path(args.base)

    if args.head is None or args.fleet is not None:
        load_fleet(fleet_path)  # the head fleet: one clear message before seconds of synth

    notes: list[str] = []
    if base_dir.is_dir():
        base = read_outdir(base_dir)
        base_fleet = load_fleet(args.base_fleet) if args.base_fleet else None
        base_label = f"`{args.base}`"
        if base_fleet is None:
            notes.append("no --base-fleet: every generation stack in base counts as live")
    else:
        if args.base_fleet:
            raise DiffError(
                f"--base-fleet goes with a --base directory; at --base {args.base} the fleet file is read from git"
            )
        base, base_fleet, base_label, notes = _base_from_git(repo, args.base, fleet_path)

    if args.head is not None:
        head, head_label = read_outdir(Path(args.head)), f"`{args.head}`"
    else:
        head = synthesize(repo, str(fleet_path), f"the working tree ({fleet_path})")
        head_label = "the working tree"
    return Sides(base, head, base_fleet, base_label, head_label, notes)


# --- command line -----------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m fleet diff",
        description="Compare the synthesized stacks of a base and a head, and refuse an in-place change "
        "to a live generation's cluster (exit 1).",
    )
    cli.add_argument(
        "--base",
        required=True,
        metavar="GIT_REV|DIR",
        help="a cdktf.out directory, or a git revision of the repository to synthesize the fleet file at",
    )
    cli.add_argument("--head", metavar="DIR", help="a cdktf.out directory (default: synthesize the working tree)")
    cli.add_argument(
        "--fleet",
        metavar="FILE",
        help=f"the head's fleet file, and its path at a git --base (default: $FLEET, then {DEFAULT_FLEET})",
    )
    cli.add_argument(
        "--base-fleet",
        metavar="FILE",
        help="with a --base directory: the fleet file it was synthesized from, for the generations' "
        "phases (default: unknown, every generation stack in base counts as live)",
    )
    cli.add_argument(
        "--repo",
        metavar="DIR",
        default=str(ROOT),
        help="the repository to synthesize in and to read a --base revision from (default: this project)",
    )
    mode = cli.add_mutually_exclusive_group()
    mode.add_argument("--markdown", action="store_true", help="print a PR comment body")
    mode.add_argument("--stacks", action="store_true", help="print only the added or changed stack ids")
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        sides = collect(args)
    except (FleetError, DiffError) as err:
        print(err, file=sys.stderr)
        return 2

    diffs = diff_stacks(sides.base, sides.head)
    violations = check_guard(diffs, sides.base_fleet)
    if args.stacks:
        listed = render_stacks(diffs)
        if listed:
            print(listed)
        for note in sides.notes:  # stdout is the stack list alone
            print(f"note: {note}", file=sys.stderr)
        for violation in violations:
            print(f"guard: {violation}", file=sys.stderr)
    elif args.markdown:
        print(render_markdown(diffs, violations, sides.base_label, sides.head_label, sides.notes))
    else:
        print(render_text(diffs, violations, sides.notes))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())

"""Synth speed and memory against two floors, for the default fleet and fleets of growing size.

    pipenv run python bench/synth.py [--sizes 1,10,50] [--services 5] [--runs 5]      (make bench)

Besides the default fleet file, for each size N it writes a fleet with 2 hubs (one active, one
standby) and N target generations of one service (one serving, the rest registered, so every hub
registers all of them); beside them, a fleet of S services (`--services`, default 5; 0 leaves it
out) with 2 target generations each (one serving, one registered: S ALBs, S ArgoCD projects) and
the same 2 hubs. Every case runs a full synth (`python main.py`, as `make synth` does) in a fresh
process several times. Each run's wall time and the peak resident memory of Python and of the jsii
node child (sampled from /proc every 5 ms; "peak MB" is the peak of their sum) are recorded.

The two floors, measured in the same run: the *full-import floor* is a process that imports the
three provider packages as any CDKTF Python app does (each package's `__init__` imports all its
submodules: ~2,140 for AWS) and starts the jsii runtime; the *lazy floor* is what this app pays
before it synthesizes anything (stacks/bindings.py): the interpreter, node, and the jsii
assemblies of cdktf and the three providers, no resource module. Both leave as main.py does
(without the interpreter and jsii teardown; the row "full floor + teardown" shows what a normal
exit adds). Runs use `python -O`, as `make synth` does (`--python-flags ""` measures without).
Prints medians, min-max, the ratios to both floors and the marginal cost per generation.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FLOOR_CODE = (
    "import os, sys, tempfile\n"
    "import cdktf, cdktf_cdktf_provider_aws, cdktf_cdktf_provider_helm, cdktf_cdktf_provider_kubernetes\n"
    "from cdktf import App\n"
    "App(outdir=tempfile.mkdtemp())\n"  # a jsii call: the node runtime is up
    "if sys.argv[1:] == ['fast']: os._exit(0)\n"  # leave as main.py does, without the teardown
)
"""The full-import floor: what importing the provider packages costs any CDKTF Python app."""
LAZY_FLOOR_CODE = (
    "import os, sys, tempfile\n"
    "import stacks\n"  # stacks/bindings.py: the packages' __init__ is not run
    "import cdktf, cdktf_cdktf_provider_aws._jsii, cdktf_cdktf_provider_helm._jsii, "
    "cdktf_cdktf_provider_kubernetes._jsii\n"
    "from cdktf import App\n"
    "App(outdir=tempfile.mkdtemp())\n"
    "os._exit(0)\n"
)
"""The lazy floor: the interpreter, node and the four jsii assemblies, nothing synthesized."""
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    seconds: float
    peak_mb: float
    """The peak of Python's and node's resident memory summed."""
    python_mb: float
    node_mb: float


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found += [int(c) for c in text]
    except OSError:
        pass
    return found


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _tree_rss(root: int) -> tuple[int, int]:
    """(the root process's resident memory, its descendants' summed): Python, and node."""
    children, stack = 0, _children(root)
    while stack:
        pid = stack.pop()
        children += _rss(pid)
        stack += _children(pid)
    return _rss(root), children


def measure(args: list[str], env: dict[str, str], cwd: Path = ROOT, timeout: float = 600, sample: bool = True) -> Run:
    """One run's wall time and peak memory. `sample=False` only waits: reading /proc every 5 ms
    costs CPU too, and more of it for a tree of more processes (the gate's two synths), so the
    gate's wall times are measured without it and its memory in runs of their own."""
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if not sample:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise RuntimeError(f"{' '.join(args)} took over {timeout} s") from None
    peak = python = node = 0
    while process.poll() is None:
        root, children = _tree_rss(process.pid)
        peak, python, node = max(peak, root + children), max(python, root), max(node, children)
        if time.perf_counter() - start > timeout:
            process.kill()
            raise RuntimeError(f"{' '.join(args)} took over {timeout} s")
        time.sleep(0.005)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
        )
    return Run(seconds, peak / 2**20, python / 2**20, node / 2**20)


def _steady() -> tuple[dict, dict, dict]:
    """examples/steady.yaml, its hub and its one service (web, target generation blue)."""
    base = yaml.safe_load((ROOT / "examples" / "steady.yaml").read_text())
    return base, base["hubs"]["blue"], base["services"]["web"]


def _hubs(hub: dict, hubs: int) -> dict:
    return {f"h{i:02d}": {**copy.deepcopy(hub), "phase": "active" if i == 0 else "standby"} for i in range(hubs)}


def _targets(target: dict, names: list[str]) -> dict:
    """The first serving (weight 100), the others registered (weight 0)."""
    return {
        name: {
            **copy.deepcopy(target),
            "phase": "serving" if i == 0 else "registered",
            "weight": 100 if i == 0 else 0,
        }
        for i, name in enumerate(names)
    }


def fleet_of(targets: int, hubs: int = 2) -> dict:
    """One service with `targets` target generations."""
    base, hub, service = _steady()
    base["hubs"] = _hubs(hub, hubs)
    service["targets"] = _targets(service["targets"]["blue"], [f"t{i:02d}" for i in range(targets)])
    return base


def services_fleet(services: int, generations: int = 2, hubs: int = 2) -> dict:
    """`services` services (s00, s01, ...), each with `generations` target generations named
    <service>g<i> (unique in the fleet, as the model requires), its own apps and ALB."""
    base, hub, web = _steady()
    base["hubs"] = _hubs(hub, hubs)
    target = web["targets"]["blue"]
    base["services"] = {
        f"s{s:02d}": {
            **copy.deepcopy(web),
            "targets": _targets(target, [f"s{s:02d}g{i}" for i in range(generations)]),
        }
        for s in range(services)
    }
    return base


@dataclass(frozen=True)
class Summary:
    median: float
    low: float
    high: float
    peak_mb: float
    python_mb: float
    node_mb: float


def _summary(runs: list[Run]) -> Summary:
    times = [r.seconds for r in runs]
    return Summary(
        statistics.median(times),
        min(times),
        max(times),
        statistics.median(r.peak_mb for r in runs),
        statistics.median(r.python_mb for r in runs),
        statistics.median(r.node_mb for r in runs),
    )


HEADER = ("stacks", "wall s", "min-max", "/full", "/lazy", "over lazy s", "peak MB", "python MB", "node MB")
"""The columns of each row (tests/test_bench.py reads them by these names)."""


def _table(title: str, full: Summary, teardown: Summary, lazy: Summary, rows: list) -> list[str]:
    w = max(26, *(len(label) for label, _, _ in rows))

    def line(label: str, stacks: str, s: Summary) -> str:
        return (
            f"{label:<{w}} {stacks:>6} {s.median:>7.2f} ({s.low:.2f}-{s.high:.2f}) {s.median / full.median:>6.2f} "
            f"{s.median / lazy.median:>6.2f} {s.median - lazy.median:>11.2f} {s.peak_mb:>8.0f} "
            f"{s.python_mb:>9.0f} {s.node_mb:>8.0f}"
        )

    lines = [
        title,
        f"{'fleet':<{w}} {'stacks':>6} {'wall s':>18} {'/full':>6} {'/lazy':>6} {'over lazy s':>11} "
        f"{'peak MB':>8} {'python MB':>9} {'node MB':>8}",
        line("full-import floor", "-", full),
        line("full floor + teardown", "-", teardown),
        line("lazy floor", "-", lazy),
    ]
    lines += [line(label, str(generations + 1), s) for label, generations, s in rows]
    sized = [(g, s.median) for label, g, s in rows if "targets" in label]
    if len(sized) >= 2:
        (g0, t0), (g1, t1) = sized[0], sized[-1]
        lines.append(
            f"marginal cost per added generation ({g0} -> {g1} generations): {(t1 - t0) / (g1 - g0) * 1000:.0f} ms"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,10,50", help="target generations per fleet (default 1,10,50)")
    parser.add_argument(
        "--services",
        type=int,
        default=5,
        help="also a fleet of this many services x 2 target generations, + 2 hubs (default 5; 0: none)",
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument(
        "--no-default-fleet", action="store_true", help="leave out the default fleet file (measured by default)"
    )
    parser.add_argument(
        "--python-flags", default="-O", help="interpreter flags of every run, as `make synth` uses (default -O)"
    )
    parser.add_argument(
        "--baseline", metavar="REV", help="also measure the synth of git revision REV (a worktree), in the same run"
    )
    parser.add_argument("--baseline-flags", default="", help="interpreter flags of the baseline runs (default none)")
    parser.add_argument(
        "--gate",
        action="store_true",
        help="also time the PR gate (`fleet diff --base HEAD`: base and head synthesized at once) against one synth",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    work = Path(tempfile.mkdtemp(prefix="ephemeral-eks-bench-"))
    cases: list[tuple[str, Path, int]] = []
    if not args.no_default_fleet:
        sys.path.insert(0, str(ROOT))
        from fleet.model.load import DEFAULT_FLEET, load_fleet

        default = load_fleet(str(ROOT / DEFAULT_FLEET))
        cases.append((DEFAULT_FLEET, ROOT / DEFAULT_FLEET, len(default.hubs) + len(default.targets)))
    for size in sizes:
        path = work / f"fleet-{size}.yaml"
        path.write_text(yaml.safe_dump(fleet_of(size), sort_keys=False))
        cases.append((f"{size} targets + 2 hubs", path, size + 2))
    if args.services:
        path = work / f"fleet-{args.services}-services.yaml"
        path.write_text(yaml.safe_dump(services_fleet(args.services), sort_keys=False))
        cases.append((f"{args.services} services x 2 generations", path, 2 * args.services + 2))

    variants = {"this tree": (ROOT, [sys.executable, *args.python_flags.split()])}
    baseline_tree = None
    if args.baseline:
        baseline_tree = work / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(baseline_tree), args.baseline],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        variants[f"baseline {args.baseline}"] = (baseline_tree, [sys.executable, *args.baseline_flags.split()])
    try:
        results = {name: {"floor": [], "teardown": [], "lazy": [], **{c[0]: [] for c in cases}} for name in variants}
        # Interleave every variant and case run by run, so drift on the machine hits all alike.
        for _ in range(args.runs):
            for name, (tree, python) in variants.items():
                runs = results[name]
                tree_env = {**env, "PYTHONPATH": str(tree)}
                runs["floor"].append(measure([*python, "-c", FLOOR_CODE, "fast"], tree_env, cwd=tree))
                runs["teardown"].append(measure([*python, "-c", FLOOR_CODE], tree_env, cwd=tree))
                if (tree / "stacks" / "bindings.py").is_file():  # a baseline from before it has none
                    runs["lazy"].append(measure([*python, "-c", LAZY_FLOOR_CODE], tree_env, cwd=tree))
                for label, path, _generations in cases:
                    out = work / "out"
                    runs[label].append(
                        measure(
                            [*python, "main.py"], {**tree_env, "FLEET": str(path), "CDKTF_OUTDIR": str(out)}, cwd=tree
                        )
                    )
    finally:
        if baseline_tree is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline_tree)], cwd=ROOT, capture_output=True)

    if args.gate:
        print(_gate(env, args.runs))
    print(
        f"synth benchmark: {args.runs} runs each, medians (min-max); /full and /lazy: ratio to each floor; "
        "peak = the peak of python + node resident memory, summed"
    )
    for name, (_tree, python) in variants.items():
        runs = results[name]
        rows = [(label, generations, _summary(runs[label])) for label, _path, generations in cases]
        title = f"\n{name} (python {' '.join(python[1:]) or 'without flags'}):"
        full, teardown = _summary(runs["floor"]), _summary(runs["teardown"])
        lazy = _summary(runs["lazy"]) if runs["lazy"] else full
        print("\n".join(_table(title, full, teardown, lazy, rows)))
    return 0


def _gate(env: dict[str, str], runs: int) -> str:
    """The gate's wall time (two synths at once, as `fleet diff` runs them) over one synth of the
    same fleet file: the issue's target is at most 1.3x."""
    diff = [sys.executable, "-m", "fleet", "diff", "--base", "HEAD"]
    gate, one = [], []
    for _ in range(runs):  # interleaved, unsampled: wall time only
        gate.append(measure(diff, env, sample=False))
        one.append(
            measure([sys.executable, "-O", "main.py"], {**env, "CDKTF_OUTDIR": tempfile.mkdtemp()}, sample=False)
        )
    peak = measure(diff, env).peak_mb
    g, o = statistics.median(r.seconds for r in gate), statistics.median(r.seconds for r in one)
    return (
        f"gate: fleet diff --base HEAD {g:.1f} s, one synth {o:.1f} s (medians of {runs}): "
        f"{g / o:.2f}x one synth; peak {peak:.0f} MB (python and node of both synths, one sampled run)\n"
    )


if __name__ == "__main__":
    sys.exit(main())

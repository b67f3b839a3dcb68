"""Synth speed and memory against the import floor, for fleets of growing size.

    pipenv run python bench/synth.py [--sizes 1,10,50] [--runs 5]      (make bench)

For each size N it writes a fleet with 2 hubs (one active, one standby) and N target
generations (one serving, the rest registered, so every hub registers all of them), then runs a
full synth (`python main.py`, as `make synth` does) in a fresh process several times. Each run's
wall time and the peak resident memory of the whole process tree (Python and the jsii node child,
sampled from /proc every 5 ms) are recorded. The floor is a process that only imports the same
provider bindings and starts the jsii runtime: what any CDKTF Python app pays before it does
anything. Prints medians, min-max, synth/floor ratios and the marginal cost per generation.
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
    "import cdktf, cdktf_cdktf_provider_aws, cdktf_cdktf_provider_helm, cdktf_cdktf_provider_kubernetes\n"
    "from cdktf import App\n"
    "App(outdir=__import__('tempfile').mkdtemp())\n"  # a jsii call: the node runtime is up
)
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    seconds: float
    peak_mb: float


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found += [int(c) for c in text]
    except OSError:
        pass
    return found


def _tree_rss(root: int) -> int:
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        stack += _children(pid)
    return total


def measure(args: list[str], env: dict[str, str], timeout: float = 600) -> Run:
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        if time.perf_counter() - start > timeout:
            process.kill()
            raise RuntimeError(f"{' '.join(args)} took over {timeout} s")
        time.sleep(0.005)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
        )
    return Run(seconds, peak / 2**20)


def fleet_of(targets: int, hubs: int = 2) -> dict:
    base = yaml.safe_load((ROOT / "examples" / "steady.yaml").read_text())
    hub = base["hubs"]["blue"]
    target = base["targets"]["blue"]
    base["hubs"] = {
        f"h{i:02d}": {**copy.deepcopy(hub), "phase": "active" if i == 0 else "standby"} for i in range(hubs)
    }
    base["targets"] = {
        f"t{i:02d}": {
            **copy.deepcopy(target),
            "phase": "serving" if i == 0 else "registered",
            "weight": 100 if i == 0 else 0,
        }
        for i in range(targets)
    }
    return base


def _summary(runs: list[Run]) -> tuple[float, float, float, float]:
    times = [r.seconds for r in runs]
    return statistics.median(times), min(times), max(times), statistics.median(r.peak_mb for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,10,50", help="target generations per fleet (default 1,10,50)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--default-fleet", action="store_true", help="also measure fleet.yaml")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "PYTHONPATH": str(ROOT)}
    work = Path(tempfile.mkdtemp(prefix="ephemeral-eks-bench-"))
    rows: list[tuple[str, int, tuple[float, float, float, float]]] = []
    # Interleave floor and synth runs so drift on the machine hits both alike.
    floor_runs: list[Run] = []
    synth_runs: dict[str, list[Run]] = {}
    cases: list[tuple[str, Path, int]] = []
    if args.default_fleet:
        cases.append(("fleet.yaml", ROOT / "fleet.yaml", 1 + 1))
    for size in sizes:
        path = work / f"fleet-{size}.yaml"
        path.write_text(yaml.safe_dump(fleet_of(size), sort_keys=False))
        cases.append((f"{size} targets + 2 hubs", path, size + 2))
    for _ in range(args.runs):
        floor_runs.append(measure([sys.executable, "-c", FLOOR_CODE], env))
        for label, path, _generations in cases:
            out = work / "out"
            synth_runs.setdefault(label, []).append(
                measure([sys.executable, "main.py"], {**env, "FLEET": str(path), "CDKTF_OUTDIR": str(out)})
            )

    floor = _summary(floor_runs)
    for label, _path, generations in cases:
        rows.append((label, generations, _summary(synth_runs[label])))

    print(f"synth benchmark: {args.runs} runs each, medians (min-max); peak = RSS of python + node, summed")
    print(f"{'fleet':<22} {'stacks':>6} {'wall s':>18} {'ratio':>6} {'over floor s':>12} {'peak MB':>8}")
    print(
        f"{'floor (import + jsii)':<22} {'-':>6} {floor[0]:>7.2f} ({floor[1]:.2f}-{floor[2]:.2f}) {'1.00':>6} {'0.00':>12} {floor[3]:>8.0f}"
    )
    for label, generations, (med, lo, hi, peak) in rows:
        stacks = generations + 1
        print(
            f"{label:<22} {stacks:>6} {med:>7.2f} ({lo:.2f}-{hi:.2f}) {med / floor[0]:>6.2f} {med - floor[0]:>12.2f} {peak:>8.0f}"
        )
    sized = [(g, s[0]) for label, g, s in rows if "targets" in label]
    if len(sized) >= 2:
        (g0, t0), (g1, t1) = sized[0], sized[-1]
        print(f"marginal cost per added generation ({g0} -> {g1} generations): {(t1 - t0) / (g1 - g0) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

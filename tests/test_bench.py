"""The benchmark runs (on its smallest size): it prints figures, it asserts none of them."""

import subprocess
import sys

from conftest import ROOT


def test_benchmark_prints_its_table_for_the_smallest_fleet():
    done = subprocess.run(
        [sys.executable, "bench/synth.py", "--sizes", "1", "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert any(line.startswith("floor (import + jsii)") for line in lines)
    [row] = [line for line in lines if line.startswith("1 targets + 2 hubs")]
    assert float(row.split()[6]) > 0, row  # a wall time was measured

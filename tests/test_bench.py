"""The benchmark runs (on its smallest size, the default fleet and the services case) and prints
every figure of its table: each row's stacks, wall time with its range, ratios to the full-import
floor and to the lazy floor, excess over the lazy floor, and peak memory (the sum, Python's and
node's). The values vary by machine and are not judged; only that they are there, measured, and
agree with each other."""

import importlib.util
import subprocess
import sys

from support.paths import ROOT

COLUMNS = ("stacks", "wall s", "min-max", "/full", "/lazy", "over lazy s", "peak MB", "python MB", "node MB")
"""The figures of each row, in the order `bench/synth.py` prints them."""
ROWS = {
    "full-import floor": "-",
    "full floor + teardown": "-",
    "lazy floor": "-",
    "fleet.yaml": "3",  # the default fleet: shared, 1 hub, 1 target
    "1 targets + 2 hubs": "4",  # shared, 2 hubs, 1 target
    "5 services x 2 generations": "13",  # shared, 2 hubs, 5 x 2 targets
}
"""Each row the run prints, with its stack count."""


def _figures(lines: list[str], label: str) -> dict[str, str]:
    [row] = [line for line in lines if line.startswith(label + " ")]
    figures = row[len(label) :].split()
    assert len(figures) == len(COLUMNS), f"{label}: {len(figures)} figures, not {len(COLUMNS)}: {row!r}"
    return dict(zip(COLUMNS, figures, strict=True))


def test_benchmark_prints_every_figure_for_both_floors_the_default_fleet_and_five_services():
    done = subprocess.run(
        [sys.executable, "bench/synth.py", "--sizes", "1", "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert [line.split() for line in lines if line.startswith("fleet ")] == [
        [
            "fleet",
            "stacks",
            "wall",
            "s",
            "/full",
            "/lazy",
            "over",
            "lazy",
            "s",
            "peak",
            "MB",
            "python",
            "MB",
            "node",
            "MB",
        ]
    ]
    table = {label: _figures(lines, label) for label in ROWS}
    full = float(table["full-import floor"]["wall s"])
    lazy = float(table["lazy floor"]["wall s"])
    assert full > 0 and lazy > 0, table
    for label, row in table.items():
        assert row["stacks"] == ROWS[label], (label, row)
        wall = float(row["wall s"])
        low, high = (float(x) for x in row["min-max"].strip("()").split("-"))
        assert 0 < low <= wall <= high, (label, row)  # a wall time was measured, within its range
        assert float(row["python MB"]) > 0 and float(row["node MB"]) > 0, (label, row)  # both processes
        # the peak of the sum is at most the sum of the peaks (each printed rounded to 1 MB)
        assert 0 < float(row["peak MB"]) <= float(row["python MB"]) + float(row["node MB"]) + 1, (label, row)
        assert abs(float(row["/full"]) - wall / full) < 0.01, (label, row)  # its ratio to each floor
        assert abs(float(row["/lazy"]) - wall / lazy) < 0.01, (label, row)
        # each figure is printed rounded to 0.01: the difference of two rounded ones is off by up to 0.015
        assert abs(float(row["over lazy s"]) - (wall - lazy)) <= 0.016, (label, row)


def test_the_benchmarks_fleets_are_valid_fleets_of_the_sizes_it_names():
    spec = importlib.util.spec_from_file_location("bench_synth", ROOT / "bench" / "synth.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, bench)  # its dataclasses look their module up there
    spec.loader.exec_module(bench)
    from fleet.model import Fleet

    fleet = Fleet.model_validate(bench.services_fleet(5))
    assert (len(fleet.services), len(fleet.targets), len(fleet.hubs)) == (5, 10, 2)
    for service in fleet.services.values():
        assert sorted(t.phase for t in service.targets.values()) == ["registered", "serving"]
    assert [len(Fleet.model_validate(bench.fleet_of(n)).targets) for n in (1, 3)] == [1, 3]

"""The benchmark runs (on its smallest size, and the services case): it prints figures, it asserts
none of them."""

import importlib.util
import subprocess
import sys

from conftest import ROOT


def _row(lines: list[str], label: str) -> list[str]:
    [row] = [line for line in lines if line.startswith(label)]
    return row[len(label) :].split()


def test_benchmark_prints_its_table_for_the_smallest_fleet_and_five_services():
    done = subprocess.run(
        [sys.executable, "bench/synth.py", "--sizes", "1", "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    floor = _row(lines, "floor (import + jsii)")
    assert float(floor[1]) > 0, floor
    # stacks, wall s, (min-max), ratio to the floor, over floor s, peak MB
    one = _row(lines, "1 targets + 2 hubs")
    assert one[0] == "4" and float(one[1]) > 0, one  # a wall time was measured
    services = _row(lines, "5 services x 2 generations")
    assert services[0] == "13", services  # shared, 2 hubs, 5 x 2 targets
    stacks, wall, _range, ratio, over, peak = services
    assert float(wall) > 0 and float(peak) > 0, services
    assert abs(float(ratio) - float(wall) / float(floor[1])) < 0.01, services  # its ratio to the floor
    # each figure is printed rounded to 0.01: the difference of two rounded ones is off by up to 0.015
    assert abs(float(over) - (float(wall) - float(floor[1]))) <= 0.016, services


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

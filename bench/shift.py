"""What one `fleet shift` step costs beyond its bake time, against the emulator.

    pipenv run python bench/shift.py [--runs 3]      (make bench-shift)

Starts moto_server on 127.0.0.1, synthesizes examples/target-swap.yaml with `traffic.shift` (the
fleet before the PR and the PR's, once each, as `python main.py` does), applies `shared` with
terraform, then measures:

- the floor: one `terraform apply -target=<the HTTPS listener> -var ...` alone, the least a step
  that keeps Terraform the owner of the weights can cost;
- whole shifts of 3 steps with a fake clock that sleeps no real time (each period's metrics are
  put into the emulator's CloudWatch and judged at once), back to the weights before between runs.
  Every period reads everything the shift judges by default (target 5xx, connection errors, the
  load balancer's ELB 5xx, latency, unhealthy hosts, of the incoming and the outgoing generations)
  plus a relative rule and one CloudWatch metric-math check of the team's (`CHECKS`).

A step's cost beyond bake = (shift wall time - the pre-flight) / steps: the apply, the read-back
(DescribeListeners), the record writes and the GetMetricData of its periods. The issue's target
is at most one apply of one resource plus 2 s. Prints medians and min-max.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fleet.ops.shift_record import LocalRecords  # noqa: E402
from support.emulator import MotoServer  # noqa: E402
from support.shift_world import (  # noqa: E402
    BEFORE,
    CLOUDWATCH_CHECK,
    SHIFT,
    Emulated,
    Scenario,
    deploy_base,
    seed,
    shift_edits,
)

EXAMPLE = ROOT / "examples/target-swap.yaml"
CHECKS = {"relative": {"target_5xx": {"max_points": 1.0}}, **CLOUDWATCH_CHECK}
"""What the measured shifts judge besides the defaults: a relative rule and one CloudWatch check."""


def synthesizer(work: Path):
    """Fleet file -> its synthesized stacks, by `python main.py` in a fresh process, once per file."""
    done: dict[Path, dict[str, Any]] = {}

    def synth(path: Path) -> dict[str, Any]:
        if path not in done:
            out = work / f"out-{path.stem}"
            env = {**os.environ, "FLEET": str(path), "CDKTF_OUTDIR": str(out)}
            env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
            subprocess.run([sys.executable, "-O", "main.py"], cwd=ROOT, env=env, check=True, capture_output=True)
            done[path] = {
                stack.name: json.loads((stack / "cdk.tf.json").read_text()) for stack in (out / "stacks").iterdir()
            }
        return done[path]

    return synth


def _summary(name: str, values: list[float]) -> str:
    return f"{name:<52} median {statistics.median(values):6.2f} s   min {min(values):6.2f}   max {max(values):6.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="measurements of each (default 3)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CLI_CONFIG_FILE", str(ROOT / "terraform.rc"))
    work = Path(tempfile.mkdtemp(prefix="bench-shift-"))
    with MotoServer(yaml.safe_load(EXAMPLE.read_text())["region"], log_dir=work) as emulator:
        certificate = seed(emulator, EXAMPLE)
        fleets = {}
        for kind, edit in shift_edits(certificate).items():
            data = yaml.safe_load(EXAMPLE.read_text())
            edit(data)
            fleets[kind] = work / f"shift-{kind}.yaml"
            fleets[kind].write_text(yaml.safe_dump(data, sort_keys=False))
        world = Emulated(emulator, work, fleets, synthesizer(work))
        deploy_base(world)
        world.use("head")
        tf = world.tf()
        listener = tf.state().listener

        floor = []
        for n in range(args.runs):
            started = time.monotonic()
            tf.apply({"blue": 90 - n, "green": 10 + n}, listener)
            floor.append(time.monotonic() - started)

        per_step, preflight = [], []
        for n in range(args.runs):
            world.reset()
            scenario = Scenario(custom=lambda gen, weights: 1.0)
            shift, lines = world.run(scenario, LocalRecords(work / f"records-{n}"), shift=CHECKS)
            started = time.monotonic()
            final = {"blue": 0, "green": 100}
            state = shift._prepared(final)  # noqa: SLF001 - the pre-flight alone, timed apart
            shift.terraform.pending_besides_weights(state)
            prepared = time.monotonic() - started
            started = time.monotonic()
            code = shift.start()
            total = time.monotonic() - started
            assert code == 0, lines
            preflight.append(prepared)
            per_step.append((total - prepared) / len(SHIFT["steps"]))
    print(
        f"fleet shift against moto_server, {len(SHIFT['steps'])} steps, {args.runs} runs; weights {BEFORE} -> file; "
        "every ALB metric of both sides, a relative rule and one CloudWatch check per period"
    )
    print(_summary("terraform apply of the listener alone", floor))
    print(_summary("shift pre-flight (init, state pull, plan -refresh=false)", preflight))
    print(_summary("one step beyond bake (apply+read+analysis)", per_step))
    over = statistics.median(per_step) - statistics.median(floor)
    print(f"a step costs {over:+.2f} s over one targeted apply (target: at most +2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What `Session(debug_nans=True)` costs, and that leaving it off costs nothing measurable.

The switch chooses between two executor loops once per run; the plain loop has no check in it. This times the
784-256-10 Adam training step and the fixed cost of a trivial run, with the switch off and on, alternating repeats.

    python benchmarks/debug_nans.py [--repeats 7] [--batch 128]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import common
import fw_graphflow
import numpy as np

import graphflow as gf


def timer(debug: bool, batch: int):
    """(step, fixed) callables running n training steps / n trivial runs in a session with debug_nans=debug."""
    graph = gf.Graph()
    with graph.as_default():
        net = fw_graphflow.build_mlp()
        a, b = gf.placeholder(gf.float32, [10]), gf.placeholder(gf.float32, [10])
        total = a + b
    sess = gf.Session(graph=graph, debug_nans=debug)
    batches = common.step_batches(batch)
    ones = np.ones(10, np.float32)

    def step(n: int) -> float:
        start = time.perf_counter()
        for k in range(n):
            xb, yb = batches[k % len(batches)]
            sess.run(net["train"], {net["x"]: xb, net["labels"]: yb})
        return (time.perf_counter() - start) / n

    def fixed(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            sess.run(total, {a: ones, b: ones})
        return (time.perf_counter() - start) / n

    step(5), fixed(10)
    return step, fixed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    common.mnist()
    runs = {debug: timer(debug, args.batch) for debug in (False, True)}
    times = {(debug, kind): [] for debug in (False, True) for kind in ("step", "fixed")}
    for _ in range(args.repeats):  # alternate, so machine noise hits both alike
        for debug, (step, fixed) in runs.items():
            times[debug, "step"].append(step(args.steps))
            times[debug, "fixed"].append(fixed(2000))
    median = {key: statistics.median(values) for key, values in times.items()}
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, numpy {np.__version__}, graphflow {gf.GRAPHFLOW_VERSION}")
    print("| | debug_nans off | debug_nans on | on / off |\n|---|---|---|---|")
    for kind, label, unit, scale in (("step", f"training step, batch {args.batch}", "ms", 1e3),
                                     ("fixed", "Session.run of a + b, two feeds", "µs", 1e6)):  # fmt: skip
        off, on = median[False, kind], median[True, kind]
        print(f"| {label} | {off * scale:.3g} {unit} | {on * scale:.3g} {unit} | {on / off:.2f} |")


if __name__ == "__main__":
    main()

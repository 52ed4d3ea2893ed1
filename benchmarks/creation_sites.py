"""What recording each node's creation site costs graph building, and what routing numpy's warnings costs a run.

Every node records the first frame outside graphflow (`node.site`), so that run-time errors can say where the op was
built. This builds the benchmark MLP with its gradients and Adam update (about 160 nodes) and a 10,000-op chain, with
the recording on and off (`graphflow.nodes.creation_site` replaced by a function that returns None), alternating
repeats in one process, and times the fixed cost of a trivial run with the warning routing on and off.

    python benchmarks/creation_sites.py [--repeats 9]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import fw_graphflow
import numpy as np

import graphflow as gf
from graphflow import nodes
from graphflow.plan import execute


def build_mlp() -> int:
    with gf.Graph().as_default() as graph:
        fw_graphflow.build_mlp()
    return len(graph.get_operations())


def build_chain(n: int = 10_000) -> int:
    with gf.Graph().as_default() as graph:
        y = gf.placeholder(gf.float32, [4])
        for _ in range(n):
            y = y + 1.0
    return len(graph.get_operations())


def per_call(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def fixed_cost(routed: bool):
    """A callable timing n runs of a + b with two feeds, with numpy's warnings routed to name the op, or not."""
    a, b = gf.placeholder(gf.float32, [10]), gf.placeholder(gf.float32, [10])
    total, sess, ones = a + b, gf.Session(), np.ones(10, np.float32)
    feeds = {a: ones, b: ones}

    def timed(n: int) -> float:
        saved = execute._route_warnings
        if not routed:
            execute._route_warnings = lambda: None
        try:
            return per_call(lambda: sess.run(total, feeds), n)
        finally:
            execute._route_warnings = saved

    timed(100)
    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    record = nodes.creation_site
    times: dict[tuple[str, bool], list[float]] = {}
    runs = {on: fixed_cost(on) for on in (True, False)}
    load_before = os.getloadavg()[0]
    for _ in range(args.repeats):  # alternate, so machine noise hits both alike
        for on in (True, False):
            nodes.creation_site = record if on else (lambda: None)
            try:
                times.setdefault(("mlp", on), []).append(per_call(build_mlp, 20))
                times.setdefault(("chain", on), []).append(per_call(build_chain, 1))
            finally:
                nodes.creation_site = record
            times.setdefault(("run", on), []).append(runs[on](5000))
    median = {key: statistics.median(values) for key, values in times.items()}
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, "
        f"graphflow {gf.GRAPHFLOW_VERSION}; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print(f"medians of {args.repeats} alternating repeats\n")
    print("| | on | off | on / off |\n|---|---|---|---|")
    rows = (
        ("mlp", f"build the 784-256-10 Adam training graph ({build_mlp()} ops)", "ms", 1e3),
        ("chain", f"build a chain of {build_chain():,} ops", "ms", 1e3),
        ("run", "Session.run of a + b, two feeds (warnings routed)", "µs", 1e6),
    )
    for kind, label, unit, scale in rows:
        on, off = median[kind, True], median[kind, False]
        print(f"| {label} | {on * scale:.3g} {unit} | {off * scale:.3g} {unit} | {on / off:.3f} |")


if __name__ == "__main__":
    main()

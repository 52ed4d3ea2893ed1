"""Communication against compute in data-parallel training of the benchmark MLP (784-256-10, Adam, float32).

    python benchmarks/distributed.py                 # starts itself on 2 ranks with the environment's mpiexec
    ./run mpiexec -n 2 python benchmarks/distributed.py --batches 32 128 1024 --rounds 15

For each global batch B, every rank takes turns between three timings, so that a change in the machine's load
falls on all of them alike:

* **local**: the plain Adam step on this rank's B/N rows, no communication: the compute a rank does per step;
* **distributed**: the `hvd.DistributedOptimizer` step on the same rows, with the time spent inside the step's one
  fused allreduce measured apart (it includes waiting for the slower rank);
* **allreduce alone**: the fused allreduce of the gradients' 203,530 float32 numbers (814 KB), timed right after a
  barrier, so both ranks are ready: the cost of moving and adding the bytes.

Each rank uses one BLAS thread (N ranks share the N cores). The report gives medians over the rounds (per step),
and from the local steps the compute per example, which docs/distributed.md turns into the batch size below which
a network's allreduce costs more than splitting the batch saves.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

import graphflow as gf
import graphflow.distribute as hvd
from graphflow.distribute import world


def build(distributed: bool) -> dict:
    """The benchmark MLP from the shared initial weights; the train op is plain Adam or its distributed wrapper."""
    p = common.mlp_init()
    const = gf.initializers.constant_initializer
    x = gf.placeholder(gf.float32, [None, 784], name="x")
    labels = gf.placeholder(gf.int64, [None], name="labels")
    h = gf.layers.dense(x, common.HIDDEN, activation=gf.nn.relu, kernel_initializer=const(p["W1"]))
    logits = gf.layers.dense(h, 10, kernel_initializer=const(p["W2"]))
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    opt = gf.train.AdamOptimizer(common.LR, common.BETA1, common.BETA2, common.EPSILON)
    if distributed:
        opt = hvd.DistributedOptimizer(opt)
    return {"x": x, "labels": labels, "train": opt.minimize(loss)}


class Runner:
    def __init__(self, batch: int, distributed: bool) -> None:
        rank, size = hvd.rank(), hvd.size()
        part = slice(rank * batch // size, (rank + 1) * batch // size)
        self.batches = [(x[part], y[part]) for x, y in common.step_batches(batch)]
        self.graph = gf.Graph()
        with self.graph.as_default():
            self.net = build(distributed)
        self.sess = gf.Session(graph=self.graph)
        self.i = 0
        self.steps(3)  # compile the plan and numba's loops

    def steps(self, n: int) -> float:
        """Runs n steps; returns the seconds per step."""
        net, sess = self.net, self.sess
        start = time.perf_counter()
        for _ in range(n):
            xb, yb = self.batches[self.i % len(self.batches)]
            sess.run(net["train"], {net["x"]: xb, net["labels"]: yb})
            self.i += 1
        return (time.perf_counter() - start) / n


class AllreduceTimer:
    """Wraps the allreduce the ops call, adding up the seconds spent in it."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.inner = world.allreduce

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def measure(batch: int, rounds: int, steps: int, comm) -> dict[str, list[float]]:
    local, dist = Runner(batch, False), Runner(batch, True)
    timer = AllreduceTimer()
    world.allreduce = timer
    buffer = np.ones(203_530, dtype=np.float32)
    times: dict[str, list[float]] = {"local": [], "distributed": [], "in_step": [], "alone": []}
    try:
        for _ in range(rounds):
            comm.Barrier()
            times["local"].append(local.steps(steps))
            comm.Barrier()
            timer.seconds = 0.0
            times["distributed"].append(dist.steps(steps))
            times["in_step"].append(timer.seconds / steps)
            alone = []
            for _ in range(steps):
                comm.Barrier()
                start = time.perf_counter()
                timer.inner(buffer, world.Average, "allreduce")
                alone.append(time.perf_counter() - start)
            times["alone"].append(float(np.median(alone)))
    finally:
        world.allreduce = timer.inner
    return times


def report(batches: list[int], results: list[list[dict]], size: int, load: tuple) -> str:
    """A table of per-step times in ms, each the median and the best of every rank's rounds."""

    def cell(per_rank: list[dict], key: str) -> str:
        pooled = [t for r in per_rank for t in r[key]]
        return f"{1e3 * float(np.median(pooled)):.2f} ({1e3 * min(pooled):.2f})"

    lines = [
        f"Data-parallel step of the benchmark MLP on {size} ranks, one BLAS thread each "
        f"({cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}).",
        "Load average (1, 5, 15 min) before: "
        + ", ".join(f"{v:.1f}" for v in load[0])
        + "; after: "
        + ", ".join(f"{v:.1f}" for v in load[1])
        + ".",
        "Per-step times in ms: the median (and the best) of the rounds of every rank.",
        "",
        "| global batch | rows per rank | local step (compute) | distributed step | allreduce in the step "
        "| allreduce alone (814 KB) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for batch, per_rank in zip(batches, results, strict=True):
        cells = [cell(per_rank, key) for key in ("local", "distributed", "in_step", "alone")]
        lines.append(f"| {batch} | {batch // size} | " + " | ".join(cells) + " |")
    if len(batches) >= 2:
        lo, hi = batches[0], batches[-1]
        median = lambda i: np.median([t for r in results[i] for t in r["local"]])  # noqa: E731
        slope = (median(-1) - median(0)) / ((hi - lo) / size)
        lines += ["", f"Compute per example (median local steps, batch {lo} to {hi}): {1e6 * slope:.2f} µs"]
    return "\n".join(lines)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128, 1024])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=20, help="steps per timing")
    parser.add_argument("-n", "--ranks", type=int, default=2, help="ranks to start when not under mpiexec")
    args = parser.parse_args()
    if not world.launched_by_mpi():
        mpiexec = Path(sys.executable).parent / "mpiexec"
        command = [str(mpiexec if mpiexec.exists() else "mpiexec"), "-n", str(args.ranks), sys.executable]
        sys.exit(subprocess.call([*command, *sys.argv]))
    hvd.init()
    comm = world.world().comm
    results = []
    before = os.getloadavg()
    for batch in args.batches:
        mine = measure(batch, args.rounds, args.steps, comm)
        results.append(comm.gather(mine, root=0))
    if hvd.rank() == 0:
        print(report(args.batches, results, hvd.size(), (before, os.getloadavg())), flush=True)


if __name__ == "__main__":
    main()

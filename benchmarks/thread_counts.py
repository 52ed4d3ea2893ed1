"""The benchmark MLP's step with BLAS's thread count fixed at one and at every core, idle and with busy processes:
the evidence for graphflow's thread policy (graphflow/threads.py, docs/architecture.md "How many threads a product
uses").

    python benchmarks/thread_counts.py [--batches 32 128 1024] [--busy 1] [--seconds 3] [--rounds 2]

For each batch size and load, the counts take turns in rounds; each turn runs the step untimed for half a second (a
change of count or load takes tens of milliseconds to settle), then times every step for `--seconds`. The table gives
the mean (what a training loop's total time follows), the median, the 99th percentile, the slowest step and how many
steps took more than `STALL` (5 ms) over the median: under load a second BLAS thread now and then waits a whole time
slice of the busy process, which a median hides and a mean does not. The last column says how much load there was:
the CPU time the busy processes used during the turns, in cores (about 1 per process on a machine with a core to
spare for each).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import common  # noqa: E402
import numpy as np  # noqa: E402
from busy import BusyLoad  # noqa: E402
from fw_graphflow import build_mlp  # noqa: E402
from run import blas_info, blas_kernels, machine_info  # noqa: E402

import graphflow as gf  # noqa: E402
from graphflow import threads  # noqa: E402

SETTLE = 0.5  # seconds each turn runs untimed first
STALL = 5e-3  # a step this much slower than the median counts as held up

Batches = list[tuple[np.ndarray, np.ndarray]]


def time_steps(sess: gf.Session, net: dict, batches: Batches, seconds: float) -> list[float]:
    """Runs the train op for `SETTLE` seconds untimed, then for `seconds` more, timing each of those steps (at least
    one, however slow). Returns the timed steps' seconds."""
    run, train, x, labels = sess.run, net["train"], net["x"], net["labels"]
    times: list[float] = []
    i = 0
    start = time.perf_counter()
    while not times or time.perf_counter() - start < SETTLE + seconds:
        xb, yb = batches[i % len(batches)]
        i += 1
        step_start = time.perf_counter()
        run(train, {x: xb, labels: yb})
        if step_start - start >= SETTLE:
            times.append(time.perf_counter() - step_start)
    return times


def blas_threads_now() -> int:
    """The thread count numpy's BLAS has now, asked of the library through the controllers graphflow sets it with
    (0 where threadpoolctl finds none)."""
    return max((library.get_num_threads() for library in threads.POLICY.libraries()), default=0)


def row(batch: int, load: str, count: str, times: list[float], busy_cores: float) -> str:
    """One line of the table: the steps' mean and median in µs, their 99th percentile and the slowest in ms, how many
    took more than `STALL` over the median, and how many cores' worth of CPU time the busy processes used."""
    median = statistics.median(times)
    p99 = statistics.quantiles(times, n=100, method="inclusive")[98] if len(times) > 1 else times[0]
    stalls = sum(t > median + STALL for t in times)
    return (
        f"| {batch} | {load} | {count} | {statistics.fmean(times) * 1e6:.0f} µs | {median * 1e6:.0f} µs | "
        f"{p99 * 1e3:.1f} ms | {max(times) * 1e3:.1f} ms | {stalls} of {len(times)} | {busy_cores:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128, 1024])
    parser.add_argument("--busy", type=int, default=1, help="CPU-bound processes for the loaded rows (0: idle only)")
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per turn")
    parser.add_argument("--rounds", type=int, default=2, help="turns per count, for each batch size and load")
    args = parser.parse_args()
    cores = len(threads.affinity_cores())
    counts = sorted({1, cores})
    info = machine_info()
    command = " ".join(["python", "benchmarks/thread_counts.py", *sys.argv[1:]])
    print(f"Written by `{command}` on {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC.")
    print()
    print(f"{info['cpu']}, {cores} cores to run on; numpy {np.__version__} ({blas_info()}), kernels: {blas_kernels()}")
    print(f"turns per count: {args.rounds}, each {args.seconds:g} s timed after {SETTLE} s untimed; busy: {args.busy}")
    print()
    print(
        f"| batch | load | BLAS threads | mean | median | p99 | slowest | steps over median + {STALL * 1e3:g} ms "
        "| cores the busy processes used |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    common.mnist(0)  # loads and caches MNIST before any timing
    loads = ["idle"] + ([f"{args.busy} busy"] if args.busy else [])
    with BusyLoad(args.busy) as busy:
        for batch in args.batches:
            batches = common.step_batches(batch)
            graph = gf.Graph()
            with graph.as_default():
                net = build_mlp()
            sessions = {
                k: gf.Session(graph=graph, config=gf.ConfigProto(intra_op_parallelism_threads=k)) for k in counts
            }
            for load in loads:
                if load == "idle":
                    busy.pause()
                else:
                    busy.resume()
                times: dict[int, list[float]] = {k: [] for k in counts}
                ran: dict[int, set[int]] = {k: set() for k in counts}  # the count BLAS had, read back after each turn
                used = {k: [0.0, 0.0] for k in counts}  # the busy processes' CPU seconds, and the turns' seconds
                for _ in range(args.rounds):
                    for k in counts:
                        cpu, start = busy.cpu_seconds(), time.perf_counter()
                        times[k] += time_steps(sessions[k], net, batches, args.seconds)
                        used[k][0] += busy.cpu_seconds() - cpu
                        used[k][1] += time.perf_counter() - start
                        ran[k].add(blas_threads_now())
                for k in counts:
                    threads_ran = "/".join(map(str, sorted(ran[k])))
                    print(row(batch, load, threads_ran, times[k], used[k][0] / used[k][1]), flush=True)
            for sess in sessions.values():
                sess.close()


if __name__ == "__main__":
    main()

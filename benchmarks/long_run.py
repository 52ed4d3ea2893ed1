"""Whether a long training loop keeps its step time and memory flat: the 20,000-step loop of tests/test_scale.py, timed.

    python benchmarks/long_run.py [--steps 20000]

Prints the median step time over the first 1,000 steps and over the last 1,000, their ratio, and the growth of
resident memory between them. The test asserts only the memory and the single compile; a time is the benchmark's to
report, since a shared machine can slow any stretch of steps down.
"""

from __future__ import annotations

import argparse
import statistics
import time

import common
import numpy as np
from run import machine_info

import graphflow as gf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20_000)
    args = parser.parse_args()
    with gf.Graph().as_default():
        gf.set_random_seed(0)
        x = gf.placeholder(gf.float32, [None, 8])
        y = gf.placeholder(gf.int64, [None])
        logits = gf.layers.dense(gf.layers.dense(x, 16, activation=gf.nn.relu), 3)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = gf.train.AdamOptimizer(1e-3).minimize(loss, global_step=gf.train.get_or_create_global_step())
        rng = np.random.default_rng(0)
        feed = {x: rng.standard_normal((32, 8)).astype(np.float32), y: rng.integers(0, 3, 32)}
        times, rss = [], {}
        with gf.Session() as sess:
            for step in range(1, args.steps + 1):
                start = time.perf_counter()
                sess.run(train, feed)
                times.append(time.perf_counter() - start)
                if step in (1_000, args.steps):
                    rss[step] = common.rss_mib()
    early, late = statistics.median(times[:1_000]), statistics.median(times[-1_000:])
    info = machine_info()
    print(f"{info['cpu']}, {info['cores']} cores, {args.steps} steps")
    print(f"median step: first 1,000 {early * 1e6:.1f} us, last 1,000 {late * 1e6:.1f} us, ratio {late / early:.2f}")
    print(f"resident memory: {rss[1_000]:.1f} MiB at step 1,000, {rss[args.steps]:.1f} MiB at step {args.steps}")


if __name__ == "__main__":
    main()

"""The maximum over a short last axis (softmax's 10 classes): numpy's per-row reduction against graphflow's
`max_reduce`, which reduces the first axis of a transposed copy.

    python benchmarks/narrow_max.py [--repeats 15]

For each batch size and dtype, the two are timed in alternating blocks and the medians are printed with their
ratio, so the README's figure for this comes from a run anyone can repeat.
"""

from __future__ import annotations

import argparse
import statistics
import timeit

import numpy as np
from run import machine_info

from graphflow.ops._util import max_reduce


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    info = machine_info()
    print(f"{info['cpu']}, {info['cores']} cores, numpy {np.__version__}; medians of {args.repeats} alternating blocks")
    print("| rows x 10 | dtype | numpy per row | transposed copy | speed-up |")
    print("|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for rows in (32, 128, 1024, 8192):
        for dtype in (np.float32, np.float64):
            x = rng.standard_normal((rows, 10)).astype(dtype)
            assert np.array_equal(max_reduce(x, -1), np.maximum.reduce(x, axis=-1))
            number = max(1, 200_000 // rows)
            plain, ours = [], []
            for _ in range(args.repeats):
                plain.append(timeit.timeit(lambda x=x: np.maximum.reduce(x, axis=-1), number=number) / number)
                ours.append(timeit.timeit(lambda x=x: max_reduce(x, -1), number=number) / number)
            a, b = statistics.median(plain), statistics.median(ours)
            print(f"| {rows} | {np.dtype(dtype).name} | {a * 1e6:.1f} µs | {b * 1e6:.1f} µs | {a / b:.1f}x |")


if __name__ == "__main__":
    main()

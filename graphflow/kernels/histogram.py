"""TF-1's histogram of an array as one compiled pass: bucket counts, min, max, sum and sum of squares.

TF-1 puts each value into the first of 1,551 buckets whose limit exceeds it (`histogram.cc`). numpy's
`searchsorted` finds that bucket by a binary search per value, 11 dependent comparisons: about 9 ms for the 200,704
values of a 784x256 kernel, most of a histogram summary's time. The loop starts each search where a table says the
value's bucket can start, read from the value's exponent and first 4 bits of its mantissa: that range of values
(a factor of 2^(1/16) = 1.044) holds at most one limit (they grow by 1.1), so one or two comparisons finish it. The
sums are running sums in float64, TF-1's order, so the result is bit for bit `reference`'s.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import numpy as np

from graphflow.kernels.base import KERNEL_DTYPES, Kernel, jit, register

DBL_MAX = sys.float_info.max
_TABLE_SHIFT = 48  # a double's top 16 bits: sign, 11 exponent bits, 4 mantissa bits


@functools.cache
def positive_limits() -> np.ndarray:
    """TF-1's positive bucket limits: 1e-12 growing by 10% up to 1e20, then DBL_MAX (775 of them)."""
    limits = []
    v = 1.0e-12
    while v < 1.0e20:  # Python floats are C doubles, so this repeats TF's products exactly
        limits.append(v)
        v *= 1.1
    limits.append(DBL_MAX)
    out = np.array(limits)
    out.flags.writeable = False
    return out


@functools.cache
def bucket_limits() -> np.ndarray:
    """TF-1's default histogram bucket limits (1,551 of them): the positive ones mirrored below zero, and 0."""
    positive = positive_limits()
    limits = np.concatenate([-positive[::-1], [0.0], positive])
    limits.flags.writeable = False
    return limits


@functools.cache
def _start_table() -> np.ndarray:
    """For each top-16-bit pattern of a non-negative double, how many positive limits lie below the smallest double
    with that pattern: where the search for any such value can start."""
    keys = np.arange(1 << (64 - _TABLE_SHIFT - 1), dtype=np.uint64)  # sign bit clear
    smallest = (keys << np.uint64(_TABLE_SHIFT)).view(np.float64)
    table = np.searchsorted(positive_limits(), smallest, side="left").astype(np.int32)
    table.flags.writeable = False
    return table


@jit
def _histogram(x, positive, table, counts, stats):
    n_pos = positive.size
    zero = n_pos  # the index of the limit 0 in the whole list; negative limits come before it
    last = 2 * n_pos
    lo, hi, total, squares = np.inf, -np.inf, 0.0, 0.0
    nan = inf = 0
    scratch = np.empty(1, np.float64)
    bits = scratch.view(np.uint64)  # the bits of |v|, to look its first search position up in `table`
    for i in range(x.size):
        v = np.float64(x[i])
        if v != v:
            nan += 1
            continue
        a = abs(v)
        if a == np.inf:
            inf += 1
            continue
        total += v
        squares += v * v
        if v < lo:  # the first of equal values is kept, as TF compares (so -0 and 0 keep their order)
            lo = v
        if v > hi:
            hi = v
        scratch[0] = a
        c = table[bits[0] >> 48]
        if v >= 0:  # the first limit above v: after every positive limit <= v
            while c < n_pos and positive[c] <= a:
                c += 1
            k = zero + 1 + c
        else:  # the first limit above v: the negative limit of the largest positive limit below |v|, or 0
            while c < n_pos and positive[c] < a:
                c += 1
            k = zero - c
        counts[min(k, last)] += 1
    stats[0], stats[1], stats[2], stats[3], stats[4], stats[5] = lo, hi, total, squares, nan, inf


def histogram(x: Any, out: Any = None) -> tuple[np.ndarray, np.ndarray] | None:
    """TF-1's histogram of a C-contiguous float32 or float64 array, in one pass.

    Args:
        x: The values, of any shape.
        out: Unused (the results are new arrays); accepted so that every kernel driver is called alike.

    Returns:
        `(counts, stats)`: float64 counts per bucket of `bucket_limits()`, and [min, max, sum, sum of squares, number
        of NaN, number of ±inf] (the NaN and ±inf values are in no count and no sum); None, having computed nothing,
        for any other input.
    """
    if type(x) is not np.ndarray or x.dtype not in KERNEL_DTYPES or not x.flags.c_contiguous:
        return None
    limits = bucket_limits()
    counts = np.zeros(len(limits), np.float64)
    stats = np.empty(6, np.float64)
    _histogram(x.reshape(-1), positive_limits(), _start_table(), counts, stats)
    return counts, stats


def reference(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`histogram`'s results with numpy: a binary search per value (C++'s upper_bound) and running sums."""
    x = np.asarray(x, dtype=np.float64).ravel()
    nan, inf = np.isnan(x), np.isinf(x)
    finite = x[~(nan | inf)]
    limits = bucket_limits()
    index = np.minimum(np.searchsorted(limits, finite, side="right"), len(limits) - 1)
    counts = np.bincount(index, minlength=len(limits)).astype(np.float64)
    with np.errstate(over="ignore"):  # squares past 1.8e308 are infinite in TF's sums too
        total = float(np.cumsum(finite)[-1]) if finite.size else 0.0
        squares = float(np.cumsum(finite * finite)[-1]) if finite.size else 0.0
    lo = finite.min() if finite.size else np.inf
    hi = finite.max() if finite.size else -np.inf
    return counts, np.array([lo, hi, total, squares, nan.sum(), inf.sum()], np.float64)


def _example(rng: np.random.Generator, dtype: np.dtype) -> tuple[np.ndarray]:
    """Values on and beside many bucket limits, both signs, zeros, tiny and huge values, NaN and ±inf."""
    with np.errstate(over="ignore"):  # the limits past float32's range become inf, and are left out
        limits = bucket_limits().astype(dtype)
        limits = limits[np.isfinite(limits)]
        near = np.concatenate([limits, np.nextafter(limits, np.inf), np.nextafter(limits, -np.inf)])
    special = np.array([0.0, -0.0, 1e-30, -1e-30, np.nan, np.inf, -np.inf], dtype)
    scales = np.array([1e-3, 1.0, 1e3], dtype)[:, None]
    return (np.concatenate([near, special, (rng.standard_normal((3, 50)) * scales).astype(dtype).ravel()]),)


register(
    Kernel("histogram", histogram, reference=reference, example=_example, out=False, result_dtype=np.dtype(np.float64))
)

"""Helpers shared by the ops: static shape rules for graph building and the numpy side of reductions (`add_reduce`,
`sum_to`, `max_reduce`). The compiled loops live in graphflow/kernels.

Static shapes are tuples with None for a dimension known only at run time; a shape of None means the rank itself is
unknown. Every rule accepts both and raises ValueError when the known parts cannot agree.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

Shape = tuple | None


def same_shape(x: Shape, **attrs: Any) -> Shape:
    """Elementwise unary ops keep their input's shape."""
    return x


def compatible(a: Shape, b: Shape) -> bool:
    """Whether two static shapes can be equal at run time."""
    if a is None or b is None:
        return True
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


def scalar_shape(*shapes: Shape, **attrs: Any) -> Shape:
    return ()


def broadcast_shape(*shapes: Shape, **attrs: Any) -> Shape:
    """numpy's broadcasting rule on static shapes: dimensions align from the right; 1 stretches to the other."""
    if any(s is None for s in shapes):
        return None
    rank = max(len(s) for s in shapes)
    result = []
    for i in range(-rank, 0):
        dims = [s[i] for s in shapes if len(s) >= -i]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            listing = " and ".join(map(_fmt, shapes))
            raise ValueError(f"shapes {listing} cannot be broadcast (axis {i}: {sorted(known)})")
        if known:
            result.append(known.pop())
        elif None in dims:
            result.append(None)  # 1 against unknown, or unknown against unknown: only the run knows
        else:
            result.append(1)
    return tuple(result)


def never_stretched(x: Shape, other: Shape) -> bool:
    """Whether broadcasting `x` against `other` surely leaves x's shape as it is, whatever the unknown dimensions are.

    Each of other's dimensions must be 1, or face a known dimension of x other than 1 (a valid broadcast then
    leaves it), and x must have at least other's rank.
    """
    if x is None or other is None or len(x) < len(other):
        return False
    aligned = x[len(x) - len(other) :]
    return all(o == 1 or (d is not None and d != 1) for d, o in zip(aligned, other, strict=True))


def normalize_axis(axis: Any, what: str = "axis") -> tuple[int, ...] | None:
    """`axis` as a tuple of ints (None means every axis)."""
    if axis is None:
        return None
    if isinstance(axis, int | np.integer):
        return (int(axis),)
    try:
        return tuple(int(a) for a in axis)
    except TypeError:
        raise TypeError(f"{what} must be an int, a list of ints or None, got {axis!r}") from None


def resolve_axes(axis: tuple[int, ...] | None, rank: int) -> tuple[int, ...]:
    """Non-negative axes for a known rank; raises ValueError for an axis out of range."""
    if axis is None:
        return tuple(range(rank))
    resolved = []
    for a in axis:
        if not -rank <= a < rank:
            raise ValueError(f"axis {a} is out of range for a tensor of rank {rank}")
        resolved.append(a % rank)
    return tuple(sorted(set(resolved)))


def reduced_shape(x: Shape, *, axis: tuple[int, ...] | None, keepdims: bool, **attrs: Any) -> Shape:
    """The shape left after reducing `axis` (all axes when None), keeping them as 1s when `keepdims`."""
    if x is None:
        return None
    axes = resolve_axes(axis, len(x))
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(x))
    return tuple(d for i, d in enumerate(x) if i not in axes)


def sum_to(t: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Sums `t` down to `shape`, undoing numpy broadcasting (leading axes and axes stretched from 1)."""
    if t.ndim == 2 and len(shape) == 1 and shape[0] == t.shape[1] > 1 and t.shape[0] and _blas_sums(t):
        return _ones(t.shape[0], t.dtype.char) @ t  # a bias gradient: `add_reduce`'s product, without its search
    shape = tuple(shape)
    if t.shape == shape:
        return t
    lead = t.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape) if d == 1 and t.shape[lead + i] != 1)
    return add_reduce(t, axes, keepdims=True).reshape(shape) if axes else t.reshape(shape)


# Rows this long or shorter are summed by numpy's reduction loop with a few accumulators and no pairwise tree, which
# is what a matrix-vector product does too; longer rows keep numpy's more accurate pairwise summation.
SHORT_ROW = 128


def _blas_sums(x: np.ndarray) -> bool:
    """Whether `add_reduce` may sum `x` with a BLAS product: a C-contiguous float32 or float64 array."""
    return x.dtype.kind == "f" and x.dtype.itemsize >= 4 and x.flags.c_contiguous


def add_reduce(x: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool = False) -> np.ndarray:
    """`np.add.reduce(x, axis, keepdims=keepdims)`, run as a matrix-vector product with a vector of ones when it sums
    the leading axes (column sums) or short trailing axes (row sums) of a contiguous float array.

    BLAS does those 2-10x faster than numpy's reduction loop, which sums columns by adding rows one after another, so
    the rounding is of the same order: a bias gradient over 60,000 examples takes 0.35 ms instead of 1.6 ms.
    """
    if axis is None or not _blas_sums(x) or x.size == 0:
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    ndim = x.ndim
    axes = sorted({a % ndim for a in axis}) if all(-ndim <= a < ndim for a in axis) else None
    if not axes or axes[-1] - axes[0] != len(axes) - 1 or (axes[0] > 0 and axes[-1] < ndim - 1):
        return np.add.reduce(x, axis=axis, keepdims=keepdims)  # not a block of leading or trailing axes
    reduced = math.prod(x.shape[axes[0] : axes[-1] + 1])
    kept = x.size // reduced
    if kept == 1:
        return np.add.reduce(x, axis=axis, keepdims=keepdims)  # a sum of everything: numpy's pairwise sum is best
    if axes[0] == 0:
        total = _ones(reduced, x.dtype.char) @ x.reshape(reduced, kept)
    elif reduced <= SHORT_ROW:
        total = x.reshape(kept, reduced) @ _ones(reduced, x.dtype.char)
    else:
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    if keepdims:
        return total.reshape([1 if i in axes else d for i, d in enumerate(x.shape)])
    return total.reshape(x.shape[axes[-1] + 1 :] if axes[0] == 0 else x.shape[: axes[0]])


# Last axes this short are reduced as the first axis of a transposed copy (see `max_reduce`).
NARROW_ROW = 32


def max_reduce(x: np.ndarray, axis: int | tuple[int, ...] | None, keepdims: bool = False) -> np.ndarray:
    """`np.maximum.reduce(x, axis, keepdims=keepdims)`, with a short last axis of a contiguous array (softmax over
    10 classes) reduced as the first axis of a transposed copy.

    numpy reduces a last axis row by row, paying a loop set-up per row (1,024 rows of 10: 47 us); along the first
    axis each pass takes a whole contiguous row (8 us, copy included). The maximum is exact either way.
    """
    axes = axis if axis is None or isinstance(axis, tuple) else (axis,)
    if not (x.ndim >= 2 and axes is not None and len(axes) == 1 and axes[0] in (-1, x.ndim - 1)):
        return np.maximum.reduce(x, axis=axis, keepdims=keepdims)  # not the last axis alone
    if x.shape[-1] > NARROW_ROW or not x.flags.c_contiguous:
        return np.maximum.reduce(x, axis=axis, keepdims=keepdims)
    top = np.maximum.reduce(x.reshape(-1, x.shape[-1]).T.copy(), axis=0).reshape(x.shape[:-1])
    return top[..., None] if keepdims else top


@functools.lru_cache(maxsize=32)
def _ones(n: int, dtype: str) -> np.ndarray:
    ones = np.ones(n, dtype)
    ones.flags.writeable = False
    return ones


def _fmt(shape: Shape) -> str:
    return "<unknown>" if shape is None else "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"

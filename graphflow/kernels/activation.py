"""relu, its gradient, and a dense layer's bias add fused with relu, as compiled loops over float32 and float64
arrays: np.maximum is slow on floats (100 µs on a 1024x256 float32 batch, the loop 30 µs). Each driver returns None
for inputs its loop does not take, which the ops in graphflow/ops/activation.py then compute with numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.kernels.base import KERNEL_DTYPES, Kernel, elementwise, jit, out_for, register

# The values the loops treat apart: relu keeps NaN and makes -0 +0; its gradient keeps a NaN g and makes inf · 0 NaN.
SPECIAL = (-0.0, 0.0, -1.5, 2.5, np.nan, -np.inf, np.inf, 1e-30, -1e-30)


def _special_pairs(rng: np.random.Generator, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Two (12, 9) arrays that hold every pair of special values (rows 0-8, the second constant along its rows) and
    random normal values (rows 9-11)."""
    pairs = np.meshgrid(SPECIAL, SPECIAL)
    return tuple(np.concatenate([p, rng.standard_normal((3, len(SPECIAL)))]).astype(dtype) for p in pairs)


@jit
def _relu(x, out):
    source = out if x is None else x  # None: in place, x is `out` itself (see `elementwise`)
    for i in range(out.size):
        v = source[i]
        out[i] = v if v > 0 or v != v else 0  # NaN stays NaN, as with np.maximum


def relu(x: Any, out: np.ndarray | None = None) -> np.ndarray | None:
    """max(x, 0), NaN kept, for a C-contiguous float32 or float64 array.

    Args:
        x: The input, of any shape.
        out: Where to write the result: an array of x's shape and dtype (x itself, too), or None for a new array.

    Returns:
        The result, or None, having written nothing, if `x` or `out` is not such an array.
    """
    return elementwise(_relu, x, out=out)


register(
    Kernel(
        "relu",
        relu,
        reference=lambda x: np.maximum(x, 0),
        example=lambda rng, dtype: _special_pairs(rng, dtype)[:1],
        in_place=(0,),
    )
)


@jit
def _bias_relu(x, b, out):
    source = out if x is None else x  # None: in place, x is `out` itself (see `elementwise`)
    rows, n = out.shape
    for r in range(rows):
        row, source_row = out[r], source[r]
        for j in range(n):
            v = source_row[j] + b[j]
            row[j] = v if v > 0 or v != v else 0


def bias_relu(x: Any, b: Any, out: np.ndarray | None = None) -> np.ndarray | None:
    """relu(x + b) in one pass over x, with the values of np.add and relu bit for bit.

    Args:
        x: A C-contiguous float32 or float64 matrix (rows, n).
        b: A C-contiguous bias (n,) of x's dtype.
        out: Where to write the result, x itself too, or None for a new array.

    Returns:
        The result, or None, having written nothing, if `x` or `b` is not such an array.

    Raises:
        ValueError: if `out` is not a C-contiguous array of x's shape and dtype; nothing is written then.
    """
    if not (
        type(x) is np.ndarray
        and type(b) is np.ndarray
        and x.dtype in KERNEL_DTYPES
        and x.ndim == 2
        and b.shape == x.shape[1:]
        and b.dtype == x.dtype
        and x.flags.c_contiguous
        and b.flags.c_contiguous
    ):
        return None
    out = out_for(out, x.shape, x.dtype)
    _bias_relu(None if out is x else x, b, out)
    return out


register(
    Kernel(
        "bias_relu",
        bias_relu,
        reference=lambda x, b: np.maximum(np.add(x, b), 0),
        example=lambda rng, dtype: (_special_pairs(rng, dtype)[1], np.array(SPECIAL, dtype)),
        in_place=(0,),
    )
)


@jit
def _relu_grad(g, x, out):
    source = out if g is None else g  # None: into g, g is `out` itself (see `elementwise`)
    for i in range(x.size):
        out[i] = source[i] if x[i] > 0 else source[i] * 0  # g · 0 keeps NaN (and makes inf NaN), as np.multiply


def relu_grad(g: Any, x: Any, out: np.ndarray | None = None) -> np.ndarray | None:
    """g · (x > 0), as np.multiply gives it (a NaN in `g` stays NaN, inf · 0 is NaN), for C-contiguous float32 or
    float64 arrays of one shape and dtype.

    Args:
        g: The incoming gradient.
        x: relu's input (or its output: both are > 0 at the same places).
        out: Where to write the result, g or x itself too, or None for a new array.

    Returns:
        The result, or None, having written nothing, if the arrays are not such arrays.
    """
    return elementwise(_relu_grad, g, x, out=out)


register(
    Kernel(
        "relu_grad",
        relu_grad,
        reference=lambda g, x: np.multiply(g, x > 0),
        example=_special_pairs,
        in_place=(0, 1),
    )
)

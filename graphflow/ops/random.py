"""Random tensors, and the keep/drop mask of dropout. Each op draws from a numpy Generator that the running session
owns, seeded from the graph seed (`set_random_seed`) and the op's seed as in TF-1, so the same seeds give the same
values in every new session.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.graph import get_default_graph
from graphflow.nodes import Node
from graphflow.ops.elementwise import add, multiply, subtract
from graphflow.ops.shape import cast, dims_input
from graphflow.registry import defop

DEFAULT_GRAPH_SEED = 87654321  # TF-1's graph seed when only an op seed is given


def set_random_seed(seed: int | None) -> None:
    """Sets the default graph's seed; random ops built afterwards become reproducible (TF-1 `set_random_seed`)."""
    get_default_graph().seed = None if seed is None else int(seed)


def op_seed(seed: int | None) -> tuple[int, int] | None:
    """TF-1's `get_seed`: the (graph seed, op seed) pair for a new random op, or None to draw fresh entropy."""
    graph = get_default_graph()
    if graph.seed is not None:
        return graph.seed, (graph.next_op_seed() if seed is None else int(seed))
    if seed is not None:
        return DEFAULT_GRAPH_SEED, int(seed)
    return None


def _attrs(shape: Any, dtype: Any, seed: int | None) -> tuple[tuple[Node, ...], dict[str, Any]]:
    """The op's inputs (a 1-d int tensor of dimensions, when the shape is only known at run time) and attributes."""
    attrs = {"dtype": dtypes.as_dtype(dtype), "seed": op_seed(seed)}
    dims = dims_input(shape, "random ops")
    if isinstance(dims, Node):
        return (dims,), {**attrs, "shape": None}
    return (), {**attrs, "shape": dims}


def _static_shape(*dims, shape, **_):
    if shape is not None:
        return shape
    length = dims[0][0] if dims and dims[0] is not None and len(dims[0]) == 1 else None
    return None if length is None else (None,) * length


def _run_shape(dims: tuple, shape: tuple | None) -> tuple:
    return shape if shape is not None else tuple(int(d) for d in np.asarray(dims[0]).reshape(-1))


def _attr_dtype(*_dims, dtype, **__):
    return dtype


def _standard_normal(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
    native = dtype if dtype in (dtypes.float32, dtypes.float64) else dtypes.float64
    return rng.standard_normal(shape, dtype=native)


@defop("RandomStandardNormal", shape=_static_shape, dtype=_attr_dtype, needs_rng=True)
def random_normal_op(*dims, shape, dtype, mean, stddev, rng):
    shape = _run_shape(dims, shape)
    return (_standard_normal(rng, shape, dtype) * stddev + mean).astype(dtype, copy=False)


@defop("TruncatedNormal", shape=_static_shape, dtype=_attr_dtype, needs_rng=True)
def truncated_normal_op(*dims, shape, dtype, mean, stddev, rng):
    shape = _run_shape(dims, shape)
    z = _standard_normal(rng, shape, dtype)
    outside = np.abs(z) > 2.0
    while outside.any():  # redraw values beyond two standard deviations, as TF-1 does
        z[outside] = _standard_normal(rng, (int(outside.sum()),), dtype)
        outside = np.abs(z) > 2.0
    return (z * stddev + mean).astype(dtype, copy=False)


@defop("RandomUniform", shape=_static_shape, dtype=_attr_dtype, needs_rng=True)
def random_uniform_op(*dims, shape, dtype, minval, maxval, rng):
    shape = _run_shape(dims, shape)
    if dtype.kind in "iu":
        return rng.integers(minval, maxval, size=shape, dtype=dtype)
    return (rng.random(shape) * (maxval - minval) + minval).astype(dtype, copy=False)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None) -> Node:
    """Samples from a normal distribution (TF-1 `random_normal`).

    Args:
        shape: a list of ints, or a 1-d int tensor such as `gf.shape(x)` (or a list holding tensors).
        mean, stddev: numbers, or tensors (e.g. `1. / gf.sqrt(fan_in / 2.)`) broadcast against the sample.
        dtype: a float dtype.
        seed: the op seed; with the graph seed (`set_random_seed`) it makes the draws repeatable.

    Returns:
        A tensor of `shape` whose elements are `mean + stddev * z`, z standard normal. No gradient flows to shape.

    Example:
        w = gf.Variable(gf.random_normal([784, 10], stddev=0.01))
    """
    return _scaled(random_normal_op, shape, mean, stddev, dtype, seed, name)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None) -> Node:
    """Samples from a normal distribution, redrawing values more than 2 standard deviations from the mean (TF-1).

    Args:
        shape, mean, stddev, dtype, seed: as for `random_normal`; mean and stddev may be tensors.

    Returns:
        A tensor of `shape`, every element within `mean ± 2 stddev`.

    Example:
        w = gf.Variable(gf.truncated_normal([784, 128], stddev=0.1))
    """
    return _scaled(truncated_normal_op, shape, mean, stddev, dtype, seed, name)


def _scaled(op: Any, shape: Any, mean: Any, stddev: Any, dtype: Any, seed: Any, name: Any) -> Node:
    inputs, attrs = _attrs(shape, dtype, seed)
    if not isinstance(mean, Node) and not isinstance(stddev, Node):
        return op(*inputs, mean=float(mean), stddev=float(stddev), name=name, **attrs)
    # As TF-1 builds it: a standard draw, scaled and shifted by graph ops, so the moments may be tensors.
    z = op(*inputs, mean=0.0, stddev=1.0, **attrs)
    return add(multiply(z, cast(stddev, attrs["dtype"])), cast(mean, attrs["dtype"]), name=name)


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None) -> Node:
    """Samples uniformly from [minval, maxval) (TF-1 `random_uniform`).

    Args:
        shape: a list of ints, or a 1-d int tensor (`gf.shape(x)`).
        minval, maxval: the range; maxval defaults to 1 for floats and is required for integers. For floats both
            may be tensors.
        dtype: a float or integer dtype.
        seed: the op seed.

    Returns:
        A tensor of `shape`.

    Example:
        noise = gf.random_uniform(gf.shape(x), -1.0, 1.0)
    """
    inputs, attrs = _attrs(shape, dtype, seed)
    if maxval is None:
        if attrs["dtype"].kind in "iu":
            raise ValueError("random_uniform with an integer dtype needs maxval")
        maxval = 1.0
    if isinstance(minval, Node) or isinstance(maxval, Node):
        if attrs["dtype"].kind in "iu":
            raise TypeError("random_uniform of an integer dtype takes Python numbers as minval and maxval")
        low, high = cast(minval, attrs["dtype"]), cast(maxval, attrs["dtype"])
        u = random_uniform_op(*inputs, minval=0.0, maxval=1.0, **attrs)
        return add(multiply(u, subtract(high, low)), low, name=name)
    return random_uniform_op(*inputs, minval=minval, maxval=maxval, name=name, **attrs)


def _mask_shape(x, keep_prob, *, noise_shape, **_):
    if noise_shape is None or x is None:
        return x if noise_shape is None else tuple(noise_shape)
    if len(noise_shape) != len(x):
        raise ValueError(f"noise_shape {list(noise_shape)} must have one entry per axis of x, whose shape is {x}")
    return tuple(d if n is None else n for n, d in zip(noise_shape, x, strict=True))


@defop("DropoutMask", shape=_mask_shape, dtype=lambda x, keep_prob, **_: x, needs_rng=True)
def dropout_mask(x, keep_prob, *, noise_shape, rng):
    """1 with probability `keep_prob`, else 0, in x's dtype and of x's run-time shape (or `noise_shape`, where None
    entries take x's dimensions). The plan runs it once per run, so forward and gradient share the draw."""
    shape = x.shape if noise_shape is None else _mask_shape(x.shape, None, noise_shape=noise_shape)
    if not 0.0 < keep_prob <= 1.0:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
    return (rng.random(shape) < keep_prob).astype(x.dtype)


@dropout_mask.defgrad
def _dropout_mask_grad(op, g):
    return None, None  # a random draw: x gives only the shape


def dropout(x: Node, keep_prob: Any, noise_shape: Any, seed: int | None) -> Node:
    """x / keep_prob times a fresh keep/drop mask (see `gf.nn.dropout`, which checks the arguments)."""
    noise = None if noise_shape is None else tuple(None if n is None else int(n) for n in noise_shape)
    mask = dropout_mask(x, keep_prob, noise_shape=noise, seed=op_seed(seed))
    return mask * (x / keep_prob)  # the mask first, so that a bad keep_prob fails in it, with its own message

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
from graphflow.registry import defop, public
from graphflow.shapes import full_shape

DEFAULT_GRAPH_SEED = 87654321  # TF-1's graph seed when only an op seed is given


@public
def set_random_seed(seed: int | None) -> None:
    """Sets the default graph's seed (TF-1 `set_random_seed`): random ops built afterwards become reproducible.

    Each random op's draws then depend on the graph seed and the op's own seed (its `seed=` or a counter), so two
    sessions of the same graph draw the same values and a new op does not change the draws of the others.

    Args:
        seed: an int, or None to draw fresh entropy again.

    Returns:
        None.

    Examples:
        >>> gf.set_random_seed(1)
        >>> a = gf.random_uniform([3])
    """
    get_default_graph().seed = None if seed is None else int(seed)


def op_seed(seed: int | None) -> tuple[int, int] | None:
    """TF-1's `get_seed`: the (graph seed, op seed) pair for a new random op, or None to draw fresh entropy."""
    graph = get_default_graph()
    if graph.seed is not None:
        return graph.seed, (graph.next_op_seed() if seed is None else int(seed))
    if seed is not None:
        return DEFAULT_GRAPH_SEED, int(seed)
    return None


def _attrs(what: str, shape: Any, dtype: Any, seed: int | None) -> tuple[tuple[Node, ...], dict[str, Any]]:
    """The op's inputs (a 1-d int tensor of dimensions, when the shape is only known at run time) and attributes."""
    attrs = {"dtype": dtypes.as_dtype(dtype), "seed": op_seed(seed)}
    dims = dims_input(shape, f"{what}(shape=...)")
    if isinstance(dims, Node):
        return (dims,), {**attrs, "shape": None}
    return (), {**attrs, "shape": full_shape(dims, f"{what}(shape=...)")}


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


@public
def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None) -> Node:
    """Samples from the normal distribution N(mean, stddev²) (TF-1 `random_normal`), drawn afresh in every run.

    Args:
        shape: a list of ints (the result's shape), or a 1-d int tensor such as `gf.shape(x)` (or a list holding
            tensors) for a shape known only at run time.
        mean: the mean: a number, or a tensor broadcast against the sample.
        stddev: the standard deviation: a number, or a tensor (e.g. `1. / gf.sqrt(fan_in / 2.)`).
        dtype: a float dtype (float32 by default).
        seed: the op seed; with the graph seed (`gf.set_random_seed`) it makes the draws reproducible.
        name: the node's name.

    Returns:
        A tensor of shape `shape` and dtype `dtype`.

    Gradient: none: a random draw.

    Examples:
        >>> gf.set_random_seed(0)
        >>> gf.Session().run(gf.random_normal([2])).shape
        (2,)
    """
    return _scaled(random_normal_op, "random_normal", shape, mean, stddev, dtype, seed, name)


@public
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None) -> Node:
    """Samples from N(mean, stddev²), redrawing values over 2 stddev from the mean (TF-1 `truncated_normal`).

    Args:
        shape: a list of ints (the result's shape), or a 1-d int tensor such as `gf.shape(x)` (or a list holding
            tensors) for a shape known only at run time.
        mean: the mean: a number or a tensor.
        stddev: the standard deviation before truncation: a number or a tensor.
        dtype: a float dtype (float32 by default).
        seed: the op seed; with the graph seed (`gf.set_random_seed`) it makes the draws reproducible.
        name: the node's name.

    Returns:
        A tensor of shape `shape` and dtype `dtype`.

    Gradient: none: a random draw.

    Examples:
        >>> gf.set_random_seed(0)
        >>> gf.Session().run(gf.truncated_normal([2])).shape
        (2,)
    """
    return _scaled(truncated_normal_op, "truncated_normal", shape, mean, stddev, dtype, seed, name)


def _scaled(op: Any, what: str, shape: Any, mean: Any, stddev: Any, dtype: Any, seed: Any, name: Any) -> Node:
    inputs, attrs = _attrs(what, shape, dtype, seed)
    if not isinstance(mean, Node) and not isinstance(stddev, Node):
        return op(*inputs, mean=float(mean), stddev=float(stddev), name=name, **attrs)
    # As TF-1 builds it: a standard draw, scaled and shifted by graph ops, so the moments may be tensors.
    z = op(*inputs, mean=0.0, stddev=1.0, **attrs)
    return add(multiply(z, cast(stddev, attrs["dtype"])), cast(mean, attrs["dtype"]), name=name)


@public
def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None) -> Node:
    """Samples uniformly from [minval, maxval) (TF-1 `random_uniform`), drawn afresh in every run.

    Args:
        shape: a list of ints (the result's shape), or a 1-d int tensor such as `gf.shape(x)` (or a list holding
            tensors) for a shape known only at run time.
        minval: the lower bound, included; for floats a number or a tensor.
        maxval: the upper bound, excluded; 1 for float dtypes when None; for floats a number or a tensor.
        dtype: a float dtype (float32 by default), or an integer dtype (then `maxval` is required).
        seed: the op seed; with the graph seed (`gf.set_random_seed`) it makes the draws reproducible.
        name: the node's name.

    Returns:
        A tensor of shape `shape` and dtype `dtype`.

    Gradient: none: a random draw.

    Examples:
        >>> gf.set_random_seed(0)
        >>> gf.Session().run(gf.random_uniform([2])).shape
        (2,)
    """
    inputs, attrs = _attrs("random_uniform", shape, dtype, seed)
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

"""Random tensors. Each op draws from a numpy Generator that the running session owns, seeded from the graph seed
(`set_random_seed`) and the op's seed as in TF-1, so the same seeds give the same values in every new session.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.graph import get_default_graph
from graphflow.nodes import Node
from graphflow.registry import defop
from graphflow.shapes import as_shape

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


def _attrs(shape: Any, dtype: Any, seed: int | None) -> dict[str, Any]:
    dims = as_shape(shape)
    if dims is None or not dims.is_fully_defined():
        raise ValueError(f"random ops need a fully known shape, got {shape!r}")
    return {"shape": tuple(dims), "dtype": dtypes.as_dtype(dtype), "seed": op_seed(seed)}


def _static_shape(*, shape, **_):
    return shape


def _attr_dtype(*, dtype, **_):
    return dtype


def _standard_normal(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
    native = dtype if dtype in (dtypes.float32, dtypes.float64) else dtypes.float64
    return rng.standard_normal(shape, dtype=native)


@defop("RandomStandardNormal", shape=_static_shape, dtype=_attr_dtype, needs_rng=True)
def random_normal_op(*, shape, dtype, mean, stddev, rng):
    return (_standard_normal(rng, shape, dtype) * stddev + mean).astype(dtype, copy=False)


@defop("TruncatedNormal", shape=_static_shape, dtype=_attr_dtype, needs_rng=True)
def truncated_normal_op(*, shape, dtype, mean, stddev, rng):
    z = _standard_normal(rng, shape, dtype)
    outside = np.abs(z) > 2.0
    while outside.any():  # redraw values beyond two standard deviations, as TF-1 does
        z[outside] = _standard_normal(rng, (int(outside.sum()),), dtype)
        outside = np.abs(z) > 2.0
    return (z * stddev + mean).astype(dtype, copy=False)


@defop("RandomUniform", shape=_static_shape, dtype=_attr_dtype, needs_rng=True)
def random_uniform_op(*, shape, dtype, minval, maxval, rng):
    if dtype.kind in "iu":
        return rng.integers(minval, maxval, size=shape, dtype=dtype)
    return (rng.random(shape) * (maxval - minval) + minval).astype(dtype, copy=False)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None) -> Node:
    """Samples from a normal distribution (TF-1 `random_normal`)."""
    return random_normal_op(mean=float(mean), stddev=float(stddev), name=name, **_attrs(shape, dtype, seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None) -> Node:
    """Samples from a normal distribution, redrawing values more than 2 standard deviations from the mean."""
    return truncated_normal_op(mean=float(mean), stddev=float(stddev), name=name, **_attrs(shape, dtype, seed))


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None) -> Node:
    """Samples uniformly from [minval, maxval) (TF-1 `random_uniform`; maxval defaults to 1 for floats)."""
    attrs = _attrs(shape, dtype, seed)
    if maxval is None:
        if attrs["dtype"].kind in "iu":
            raise ValueError("random_uniform with an integer dtype needs maxval")
        maxval = 1.0
    return random_uniform_op(minval=minval, maxval=maxval, name=name, **attrs)

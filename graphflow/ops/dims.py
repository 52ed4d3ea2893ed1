"""Dimensions: squeeze and expand_dims (which add or drop axes of length 1), the run-time shape, size and rank of a
tensor as int32 nodes, and the tensors made from dimensions, `fill` and `range`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.nodes import Constant, Node
from graphflow.ops._util import normalize_axis, resolve_axes
from graphflow.ops.reduction import sum_op
from graphflow.ops.shape import cast, reshape_like
from graphflow.registry import as_node, defop, public
from graphflow.shapes import full_shape

# --- squeeze and expand_dims ---------------------------------------------------------------------------------------


def _squeeze_shape(x, *, axis):
    if x is None:
        return None
    if axis is None:
        return None if None in x else tuple(d for d in x if d != 1)
    axes = resolve_axes(axis, len(x))
    for a in axes:
        if x[a] not in (None, 1):
            raise ValueError(f"cannot squeeze axis {a}: it has size {x[a]}, not 1")
    return tuple(d for i, d in enumerate(x) if i not in axes)


@defop("Squeeze", shape=_squeeze_shape, views=True)
def squeeze_op(x, *, axis):
    return np.squeeze(x, axis=axis)


def _expand_dims_shape(x, *, axis):
    if x is None:
        return None
    (a,) = resolve_axes((axis,), len(x) + 1)
    return (*x[:a], 1, *x[a:])


@defop("ExpandDims", shape=_expand_dims_shape, views=True)
def expand_dims_op(x, *, axis):
    return np.expand_dims(x, axis)


@squeeze_op.defgrad
@expand_dims_op.defgrad
def _relabel_grad(op, g):
    return (reshape_like(g, op.inputs[0]),)  # only the axes of length 1 changed


@public
def squeeze(input: Any, axis: Any = None, name: str | None = None, squeeze_dims: Any = None) -> Node:
    """`input` without its axes of length 1, or only those in `axis` (TF-1 `squeeze`).

    Args:
        input: a tensor of any shape.
        axis: an int or list of ints: the axes to drop, each of length 1; None drops every axis of length 1.
        name: the node's name.
        squeeze_dims: TF-1's older name for `axis`.

    Returns:
        A tensor with the same values and fewer axes (a view when run).

    Raises:
        ValueError: an axis in `axis` does not have length 1.

    Gradient: d input = g reshaped to `input`'s shape.

    Examples:
        >>> gf.squeeze(gf.zeros([1, 3, 1])).shape
        TensorShape([3])
    """
    axis = normalize_axis(axis if axis is not None else squeeze_dims)
    return squeeze_op(input, axis=axis, name=name)


@public
def expand_dims(input: Any, axis: int | None = None, name: str | None = None, dim: int | None = None) -> Node:
    """`input` with an axis of length 1 inserted at `axis` (TF-1 `expand_dims`).

    Args:
        input: a tensor of rank r.
        axis: the new axis' position in the result, in [-r-1, r]; -1 appends one.
        name: the node's name.
        dim: TF-1's older name for `axis`.

    Returns:
        A tensor of rank r + 1 with the same values (a view when run).

    Raises:
        ValueError: neither `axis` nor `dim` is given.

    Gradient: d input = g reshaped to `input`'s shape.

    Examples:
        >>> gf.expand_dims(gf.zeros([3]), 0).shape
        TensorShape([1, 3])
    """
    if axis is None:
        if dim is None:
            raise ValueError("expand_dims needs axis=")
        axis = dim
    return expand_dims_op(input, axis=int(axis), name=name)


# --- shape, size, rank -------------------------------------------------------------------------------------------


def _out_type(*_, out_type, **__):
    return out_type


@defop("Shape", shape=lambda x, **_: None if x is None else (len(x),), dtype=_out_type)
def shape_op(x, *, out_type):
    return np.asarray(np.shape(x), out_type)


@defop("Size", shape=lambda x, **_: (), dtype=_out_type)
def size_op(x, *, out_type):
    return np.asarray(np.size(x), out_type)


@defop("Rank", shape=lambda x, **_: (), dtype=_out_type)
def rank_op(x, *, out_type):
    return np.asarray(np.ndim(x), out_type)


@shape_op.defgrad
@size_op.defgrad
@rank_op.defgrad
def _shape_grad(op, g):
    return (None,)  # depends on the input's shape only


def _index_dtype(out_type: Any) -> np.dtype:
    dtype = dtypes.as_dtype(out_type)
    if dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"out_type must be gf.int32 or gf.int64, got {dtype}")
    return dtype


@public
def shape(input: Any, name: str | None = None, out_type: Any = dtypes.int32) -> Node:
    """The run-time shape of `input` as a 1-d integer tensor (TF-1 `shape`); `input.shape` is the static one.

    Args:
        input: a tensor of any shape.
        name: the node's name.
        out_type: gf.int32 (default) or gf.int64.

    Returns:
        A tensor of shape (rank,).

    Raises:
        TypeError: another `out_type`.

    Gradient: none: it depends on the input's shape only.

    Examples:
        >>> x = gf.placeholder(gf.float32, [None, 3])
        >>> gf.Session().run(gf.shape(x), {x: np.zeros((5, 3))})
        array([5, 3], dtype=int32)
    """
    return shape_op(input, out_type=_index_dtype(out_type), name=name)


@public
def size(input: Any, name: str | None = None, out_type: Any = dtypes.int32) -> Node:
    """The number of elements of `input` at run time, as an integer scalar (TF-1 `size`).

    Args:
        input: a tensor of any shape.
        name: the node's name.
        out_type: gf.int32 (default) or gf.int64.

    Returns:
        A scalar tensor.

    Raises:
        TypeError: another `out_type`.

    Gradient: none: it depends on the input's shape only.

    Examples:
        >>> print(gf.Session().run(gf.size(gf.zeros([2, 3]))))
        6
    """
    return size_op(input, out_type=_index_dtype(out_type), name=name)


@public
def rank(input: Any, name: str | None = None) -> Node:
    """The number of axes of `input`, as an int32 scalar (TF-1 `rank`).

    Args:
        input: a tensor of any shape.
        name: the node's name.

    Returns:
        A scalar int32 tensor.

    Gradient: none: it depends on the input's shape only.

    Examples:
        >>> print(gf.Session().run(gf.rank(gf.zeros([2, 3]))))
        2
    """
    return rank_op(input, out_type=dtypes.int32, name=name)


# --- fill and range ----------------------------------------------------------------------------------------------


def _fill_shape(dims, value, *, known):
    if value is not None and len(value) != 0:
        raise ValueError(f"fill: value must be a scalar, got shape {tuple(value)}")
    if known is not None:
        return known
    return None if dims is None or dims[0] is None else (None,) * dims[0]


@defop("Fill", shape=_fill_shape, dtype=lambda dims, value, **_: value)
def fill_op(dims, value, *, known):
    return np.full(tuple(int(d) for d in np.asarray(dims).reshape(-1)), value, np.result_type(value))


@fill_op.defgrad
def _fill_grad(op, g):
    return None, sum_op(g, axis=None, keepdims=False)  # every element is the value


@public
def fill(dims: Any, value: Any, name: str | None = None) -> Node:
    """A tensor of shape `dims` with every element `value` (TF-1 `fill`).

    Args:
        dims: a list of ints >= 0, or a 1-d integer tensor such as `gf.shape(x)`.
        value: a scalar (tensor or Python number); it gives the dtype.
        name: the node's name.

    Returns:
        A tensor of shape `dims` and `value`'s dtype.

    Raises:
        ValueError: a negative dimension in a list `dims`.

    Gradient: d value = sum(g); none for `dims`.

    Examples:
        >>> gf.Session().run(gf.fill([2], 7))
        array([7, 7], dtype=int32)
    """
    known = None
    if not isinstance(dims, Node):
        known = full_shape(dims, "fill(dims=...)")
    dims = as_node(list(dims) if known is not None else dims, dtypes.int32 if known is not None else None)
    return fill_op(dims, as_node(value), known=known, name=name)


def _range_shape(start, limit, delta, *, length, dtype):
    return (length,)


@defop("Range", shape=_range_shape, dtype=lambda *_, dtype, **__: dtype)
def range_op(start, limit, delta, *, length, dtype):
    if delta == 0:
        raise ValueError("delta must not be 0")
    return np.arange(start, limit, delta, dtype=dtype)


@range_op.defgrad
def _range_grad(op, g):
    return None, None, None  # a range of floats is piecewise constant in its bounds (TF-1: no gradient)


_ORDER = [dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64]


@public(name="range")
def range_(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None, name: str = "range") -> Node:
    """The 1-d sequence start, start + delta, ... up to but not including `limit` (TF-1 `range`).

    `gf.range(n)` counts from 0 to n - 1. Without `dtype`, the widest of the arguments' dtypes (int32 for Python ints,
    float32 for floats).

    Args:
        start: the first value; the limit when `limit` is None (and the start is then 0).
        limit: the bound, excluded.
        delta: the step, not 0; negative counts down.
        dtype: the result's dtype.
        name: the node's name.

    Returns:
        A 1-d tensor.

    Raises:
        ValueError: `delta` is 0.

    Gradient: none (TF-1 gives none either).

    Examples:
        >>> gf.Session().run(gf.range(1, 7, 2))
        array([1, 3, 5], dtype=int32)
    """
    if limit is None:
        start, limit = 0, start
    args = [start, limit, delta]
    if dtype is None:
        found = [a.dtype if isinstance(a, Node) else dtypes.default_dtype(a) for a in args]
        dtype = max((d for d in found if d is not None), key=lambda d: _ORDER.index(d) if d in _ORDER else 0)
    dtype = dtypes.as_dtype(dtype)
    if not isinstance(delta, Node) and delta == 0:
        raise ValueError("range: delta must not be 0")
    length = None
    if not any(isinstance(a, Node) and not isinstance(a, Constant) for a in args):
        values = [a.value if isinstance(a, Node) else a for a in args]
        length = len(np.arange(*values, dtype=dtype))
    nodes = [cast(a, dtype) if isinstance(a, Node) and a.dtype != dtype else as_node(a, dtype) for a in args]
    return range_op(*nodes, length=length, dtype=dtype, name=name)

"""Reductions (sum, mean, max, min, prod, any, all, argmax, argmin) and their adjoints: `broadcast_like` spreads a
reduced value back over the input's shape, and `sum_to` sums a broadcast result down to an operand's shape. Each is
the other's gradient.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.nodes import Node, Operation
from graphflow.ops import _util
from graphflow.ops.comparison import equal, not_equal
from graphflow.ops.shape import cast
from graphflow.registry import defop, public


def _reduce_args(axis: Any, keepdims: Any, reduction_indices: Any, keep_dims: Any) -> dict[str, Any]:
    """TF-1 accepts the old spellings `reduction_indices` and `keep_dims`."""
    if axis is None:
        axis = reduction_indices
    if keepdims is None:
        keepdims = keep_dims
    return {"axis": _util.normalize_axis(axis), "keepdims": bool(keepdims)}


def _expand_axes(axis: tuple[int, ...] | None, keepdims: bool) -> tuple[int, ...] | None:
    """The axes a reduction removed, which its gradient must reinsert before broadcasting (None: nothing removed)."""
    return None if keepdims else axis


# --- sum_to and broadcast_like: the adjoint pair every broadcasting op's gradient uses ------------------------------


@defop("SumTo", shape=lambda t, like, **_: like, views=True)
def sum_to_op(t, like):
    """Sums `t` down to the run-time shape of `like`, undoing broadcasting."""
    return _util.sum_to(t, like.shape)


def sum_to(t: Node, like: Node, operands: tuple[Node, ...] = ()) -> Node:
    """`t` summed down to the shape of `like`, the gradient of `like` in a broadcasting op on `operands`.

    When the static shapes of `operands` prove that broadcasting never stretched `like`, `t` already has its shape
    and is returned as it is, so the gradient graph holds no sum that does nothing.
    """
    if operands and all(_util.never_stretched(like.shape, x.shape) for x in operands if x is not like):
        return t
    return sum_to_op(t, like)


def sum_to_each(t: Node, operands: tuple[Node, ...]) -> tuple[Node, ...]:
    """`sum_to(t, x, operands)` for each x of `operands`, the inputs of one broadcasting op (add_n's), in time
    linear in their number: each is held against a count, per dimension, of the operands that may stretch it."""
    shapes = [x.shape for x in operands]
    if any(s is None for s in shapes):
        return tuple(sum_to_op(t, x) for x in operands)
    rank = max(len(s) for s in shapes)
    wide = [0] * rank  # per dimension from the right: how many operands have one there that is not surely 1
    for s in shapes:
        for j, d in enumerate(reversed(s)):
            wide[j] += d != 1
    return tuple(
        t if _never_stretched_by(s, wide, rank) else sum_to_op(t, x) for x, s in zip(operands, shapes, strict=True)
    )


def _never_stretched_by(shape: tuple, wide: list[int], rank: int) -> bool:
    """`_util.never_stretched(shape, other)` for every other operand, told only by `wide` (see `sum_to_each`)."""
    return len(shape) == rank and all(
        (d is not None and d != 1) or wide[j] == (d != 1) for j, d in enumerate(reversed(shape))
    )


@sum_to_op.defgrad
def _sum_to_grad(op, g):
    t, _ = op.inputs
    return broadcast_like(g, t), None


@defop("BroadcastLike", shape=lambda g, like, **_: like, views=True)
def broadcast_like(g, like, *, axis=None):
    """Broadcasts `g` to the shape of `like`, first reinserting the reduced `axis` (as size-1 dimensions)."""
    if g.shape == like.shape:
        return g
    if axis is not None and g.ndim:  # a 0-d g (the gradient of a full mean) needs no axes put back
        g = np.expand_dims(g, _util.resolve_axes(axis, like.ndim))
    return np.broadcast_to(g, like.shape)


def spread_source(g: Node) -> Node:
    """The 0-d value that `g` merely spreads over a shape (as the gradient of a full mean does), else `g` itself.

    A gradient rule whose op broadcasts its incoming gradient anyway takes this instead of `g`, so the gradient graph
    holds no broadcast that the next product would do by itself.
    """
    if isinstance(g, Operation) and g.type == "BroadcastLike" and g.inputs[0].shape == ():
        return g.inputs[0]
    return g


@broadcast_like.defgrad
def _broadcast_like_grad(op, g):
    g_in, _ = op.inputs
    axis = op.attrs.get("axis")  # absent when built without axis=, as sum_to's gradient does
    if axis is None or g_in.shape == ():  # a 0-d g_in was spread over every axis, whatever `axis` says
        return sum_to(g, g_in), None
    return sum_op(g, axis=axis, keepdims=False), None


# --- sum, mean, max ---------------------------------------------------------------------------------------------------


@defop("Sum", shape=_util.reduced_shape)
def sum_op(x, *, axis, keepdims):
    return _util.add_reduce(x, axis, keepdims)


@sum_op.defgrad
def _sum_grad(op, g):
    (x,) = op.inputs
    return (broadcast_like(g, x, axis=_expand_axes(op.attrs["axis"], op.attrs["keepdims"])),)


@defop("Mean", shape=_util.reduced_shape)
def mean_op(x, *, axis, keepdims):
    return np.mean(x, axis=axis, keepdims=keepdims)


@mean_op.defgrad
def _mean_grad(op, g):
    (x,) = op.inputs
    axis = op.attrs["axis"]
    # Divide on the reduced side (often a scalar), then spread: d mean = broadcast(g / n).
    return (broadcast_like(g / reduced_size(x, axis), x, axis=_expand_axes(axis, op.attrs["keepdims"])),)


@defop("Max", shape=_util.reduced_shape)
def max_op(x, *, axis, keepdims):
    return _util.max_reduce(x, axis, keepdims)


@defop("Min", shape=_util.reduced_shape)
def min_op(x, *, axis, keepdims):
    return np.minimum.reduce(x, axis=axis, keepdims=keepdims)


@max_op.defgrad
@min_op.defgrad
def _extremum_grad(op, g):
    # d max = g at the maximum (d min at the minimum); ties share it equally, as TF-1 does.
    (x,) = op.inputs
    axis = op.attrs["axis"]
    expand = _expand_axes(axis, op.attrs["keepdims"])
    mask = cast(equal(x, broadcast_like(op, x, axis=expand)), x.dtype)
    share = mask / sum_op(mask, axis=axis, keepdims=True)
    return (broadcast_like(g, x, axis=expand) * share,)


@defop("Prod", shape=_util.reduced_shape)
def prod_op(x, *, axis, keepdims):
    return np.multiply.reduce(x, axis=axis, keepdims=keepdims)


@prod_op.defgrad
def _prod_grad(op, g):
    # d prod / dx_i = the product of the others: prod / x_i with no zero among them; with one zero, the product of
    # the rest at the zero and 0 elsewhere; with two or more, 0 everywhere. Zeros are replaced by ones first, so
    # nothing divides by zero (TF-1's cumulative products give the same values).
    (x,) = op.inputs
    axis = op.attrs["axis"]
    is_zero = cast(equal(x, 0.0), x.dtype)
    nonzero = x + is_zero
    rest = prod_op(nonzero, axis=axis, keepdims=True)
    zeros = sum_op(is_zero, axis=axis, keepdims=True)
    share = cast(equal(zeros, 0.0), x.dtype) / nonzero + cast(equal(zeros, 1.0), x.dtype) * is_zero
    return (broadcast_like(g, x, axis=_expand_axes(axis, op.attrs["keepdims"])) * rest * share,)


def _bool_reduction_dtype(x, **attrs):
    if x is not None and x != dtypes.bool_:
        raise TypeError(f"reduce_any and reduce_all take a bool tensor, got {x}; compare first, e.g. x > 0")
    return dtypes.bool_


@defop("Any", shape=_util.reduced_shape, dtype=_bool_reduction_dtype)
def any_op(x, *, axis, keepdims):
    return np.logical_or.reduce(x, axis=axis, keepdims=keepdims)


@defop("All", shape=_util.reduced_shape, dtype=_bool_reduction_dtype)
def all_op(x, *, axis, keepdims):
    return np.logical_and.reduce(x, axis=axis, keepdims=keepdims)


@defop("ReducedSize", shape=_util.scalar_shape, dtype=lambda x, *, axis, dtype=None: x if dtype is None else dtype)
def reduced_size_op(x, *, axis, dtype=None):
    """How many elements a reduction of x over `axis` combines into one, as a scalar of `dtype` (x's by default)."""
    count = x.size if axis is None else math.prod(x.shape[a] for a in axis)
    return np.asarray(count, dtype=x.dtype if dtype is None else dtype)


@reduced_size_op.defgrad
def _reduced_size_grad(op, g):
    return (None,)  # depends on the shape only


def reduced_size(x: Node, axis: tuple[int, ...] | None) -> Node | float:
    """The count a mean divides by, as x's dtype: a Python number when the static shape tells it, else a node.

    The node counts the elements of the node furthest up x's chain of `shape_of` inputs, which all have x's run-time
    shape: the gradient of a mean of per-example losses then counts the labels, and does not run the loss itself.
    """
    if x.shape is not None:
        dims = [x.shape[a] for a in _util.resolve_axes(axis, len(x.shape))]
        if None not in dims:
            return float(np.prod(dims))
    if x.dtype is None:  # the count takes x's dtype at run time
        return reduced_size_op(x, axis=axis)
    same_shape = x
    while isinstance(same_shape, Operation) and same_shape.opdef.shape_of is not None:
        same_shape = same_shape.inputs[same_shape.opdef.shape_of]
    return reduced_size_op(same_shape, axis=axis, dtype=x.dtype)


@public
def reduce_sum(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None) -> Node:
    """The sum over `axis`, all axes when None (TF-1 `reduce_sum`).

    Args:
        input_tensor: a tensor of any numeric dtype.
        axis: an int or list of ints (negative counts from the end); None reduces every axis.
        keepdims: keep each reduced axis with length 1, so the result broadcasts against the input.
        name: the node's name.
        reduction_indices: TF-1's older name for `axis`.
        keep_dims: TF-1's older name for `keepdims`.

    Returns:
        A tensor of `input_tensor`'s dtype: the input's shape without the reduced axes (with them as 1 when `keepdims`).

    Gradient: d input = g broadcast back over the reduced axes.

    Examples:
        >>> r = gf.reduce_sum(gf.constant([[1.0, 2.0], [3.0, 5.0]]), axis=1)
        >>> gf.Session().run(r)
        array([3., 8.], dtype=float32)
    """
    return sum_op(input_tensor, name=name, **_reduce_args(axis, keepdims, reduction_indices, keep_dims))


@public
def reduce_mean(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None) -> Node:
    """The mean over `axis`, all axes when None (TF-1 `reduce_mean`).

    Args:
        input_tensor: a tensor of any numeric dtype.
        axis: an int or list of ints (negative counts from the end); None reduces every axis.
        keepdims: keep each reduced axis with length 1, so the result broadcasts against the input.
        name: the node's name.
        reduction_indices: TF-1's older name for `axis`.
        keep_dims: TF-1's older name for `keepdims`.

    Returns:
        A tensor of `input_tensor`'s dtype: the input's shape without the reduced axes (with them as 1 when `keepdims`).

    Gradient: d input = g / n broadcast back over the reduced axes, n the number of entries averaged.

    Examples:
        >>> r = gf.reduce_mean(gf.constant([[1.0, 2.0], [3.0, 5.0]]), axis=1)
        >>> gf.Session().run(r)
        array([1.5, 4. ], dtype=float32)
    """
    return mean_op(input_tensor, name=name, **_reduce_args(axis, keepdims, reduction_indices, keep_dims))


@public
def reduce_max(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None) -> Node:
    """The maximum over `axis`, all axes when None (TF-1 `reduce_max`).

    Args:
        input_tensor: a tensor of any numeric dtype.
        axis: an int or list of ints (negative counts from the end); None reduces every axis.
        keepdims: keep each reduced axis with length 1, so the result broadcasts against the input.
        name: the node's name.
        reduction_indices: TF-1's older name for `axis`.
        keep_dims: TF-1's older name for `keepdims`.

    Returns:
        A tensor of `input_tensor`'s dtype: the input's shape without the reduced axes (with them as 1 when `keepdims`).

    Gradient: d input = g at the maxima (shared equally between ties), 0 elsewhere.

    Examples:
        >>> r = gf.reduce_max(gf.constant([[1.0, 2.0], [3.0, 5.0]]), axis=1)
        >>> gf.Session().run(r)
        array([2., 5.], dtype=float32)
    """
    return max_op(input_tensor, name=name, **_reduce_args(axis, keepdims, reduction_indices, keep_dims))


@public
def reduce_min(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None) -> Node:
    """The minimum over `axis`, all axes when None (TF-1 `reduce_min`).

    Args:
        input_tensor: a tensor of any numeric dtype.
        axis: an int or list of ints (negative counts from the end); None reduces every axis.
        keepdims: keep each reduced axis with length 1, so the result broadcasts against the input.
        name: the node's name.
        reduction_indices: TF-1's older name for `axis`.
        keep_dims: TF-1's older name for `keepdims`.

    Returns:
        A tensor of `input_tensor`'s dtype: the input's shape without the reduced axes (with them as 1 when `keepdims`).

    Gradient: d input = g at the minima (shared equally between ties), 0 elsewhere.

    Examples:
        >>> r = gf.reduce_min(gf.constant([[1.0, 2.0], [3.0, 5.0]]), axis=1)
        >>> gf.Session().run(r)
        array([1., 3.], dtype=float32)
    """
    return min_op(input_tensor, name=name, **_reduce_args(axis, keepdims, reduction_indices, keep_dims))


@public
def reduce_prod(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None) -> Node:
    """The product over `axis`, all axes when None (TF-1 `reduce_prod`).

    Args:
        input_tensor: a tensor of any numeric dtype.
        axis: an int or list of ints (negative counts from the end); None reduces every axis.
        keepdims: keep each reduced axis with length 1, so the result broadcasts against the input.
        name: the node's name.
        reduction_indices: TF-1's older name for `axis`.
        keep_dims: TF-1's older name for `keepdims`.

    Returns:
        A tensor of `input_tensor`'s dtype: the input's shape without the reduced axes (with them as 1 when `keepdims`).

    Gradient: d input_i = g times the product of the other entries (exact where inputs are 0).

    Examples:
        >>> r = gf.reduce_prod(gf.constant([[1.0, 2.0], [3.0, 5.0]]), axis=1)
        >>> gf.Session().run(r)
        array([ 2., 15.], dtype=float32)
    """
    return prod_op(input_tensor, name=name, **_reduce_args(axis, keepdims, reduction_indices, keep_dims))


@public
def reduce_any(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None) -> Node:
    """Logical or over `axis`, all axes when None (TF-1 `reduce_any`).

    Args:
        input_tensor: a tensor of bool.
        axis: an int or list of ints (negative counts from the end); None reduces every axis.
        keepdims: keep each reduced axis with length 1, so the result broadcasts against the input.
        name: the node's name.
        reduction_indices: TF-1's older name for `axis`.
        keep_dims: TF-1's older name for `keepdims`.

    Returns:
        A tensor of bool: the input's shape without the reduced axes (with them as 1 when `keepdims`).

    Gradient: none: boolean.

    Examples:
        >>> r = gf.reduce_any(gf.constant([[True, False], [True, True]]), axis=1)
        >>> gf.Session().run(r)
        array([ True,  True])
    """
    return any_op(input_tensor, name=name, **_reduce_args(axis, keepdims, reduction_indices, keep_dims))


@public
def reduce_all(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None) -> Node:
    """Logical and over `axis`, all axes when None (TF-1 `reduce_all`).

    Args:
        input_tensor: a tensor of bool.
        axis: an int or list of ints (negative counts from the end); None reduces every axis.
        keepdims: keep each reduced axis with length 1, so the result broadcasts against the input.
        name: the node's name.
        reduction_indices: TF-1's older name for `axis`.
        keep_dims: TF-1's older name for `keepdims`.

    Returns:
        A tensor of bool: the input's shape without the reduced axes (with them as 1 when `keepdims`).

    Gradient: none: boolean.

    Examples:
        >>> r = gf.reduce_all(gf.constant([[True, False], [True, True]]), axis=1)
        >>> gf.Session().run(r)
        array([False,  True])
    """
    return all_op(input_tensor, name=name, **_reduce_args(axis, keepdims, reduction_indices, keep_dims))


@public
def count_nonzero(
    input_tensor, axis=None, keepdims=None, dtype=dtypes.int64, name=None, reduction_indices=None, keep_dims=None
) -> Node:
    """How many entries are not zero (not False) over `axis`, all axes when None (TF-1 `count_nonzero`).

    Args:
        input_tensor: a tensor of any dtype.
        axis: an int or list of ints; None counts over every axis.
        keepdims: keep each reduced axis with length 1.
        dtype: the count's dtype; int64 as in TF-1.
        name: the node's name.
        reduction_indices: TF-1's older name for `axis`.
        keep_dims: TF-1's older name for `keepdims`.

    Returns:
        A tensor of `dtype`: the input's shape without the reduced axes.

    Gradient: none: a count.

    Examples:
        >>> print(gf.Session().run(gf.count_nonzero(gf.constant([0.0, 2.0, 3.0]))))
        2
    """
    nonzero = cast(not_equal(input_tensor, 0), dtypes.as_dtype(dtype))
    return sum_op(nonzero, name=name, **_reduce_args(axis, keepdims, reduction_indices, keep_dims))


# --- argmax, argmin: not differentiable (an integer result) -----------------------------------------------------------


def _argmax_shape(x, *, axis, output_type):
    return _util.reduced_shape(x, axis=(axis,), keepdims=False)


@defop("ArgMax", shape=_argmax_shape, dtype=lambda x, *, axis, output_type: output_type)
def argmax_op(x, *, axis, output_type):
    return np.argmax(x, axis=axis).astype(output_type, copy=False)


@defop("ArgMin", shape=_argmax_shape, dtype=lambda x, *, axis, output_type: output_type)
def argmin_op(x, *, axis, output_type):
    return np.argmin(x, axis=axis).astype(output_type, copy=False)


@public
def argmax(input, axis=None, name=None, dimension=None, output_type=dtypes.int64) -> Node:
    """The index of the largest value along `axis`, the first one on ties (TF-1 `argmax`).

    Args:
        input: a tensor of rank >= 1.
        axis: the axis to search; 0 when None, as in TF-1.
        name: the node's name.
        dimension: TF-1's older name for `axis`.
        output_type: gf.int64 (TF-1's default) or gf.int32.

    Returns:
        A tensor of `output_type`: the input's shape without `axis`.

    Gradient: none: an index.

    Examples:
        >>> gf.Session().run(gf.argmax(gf.constant([[1.0, 9.0], [7.0, 2.0]]), axis=1))
        array([1, 0])
    """
    if axis is None:
        axis = 0 if dimension is None else dimension
    return argmax_op(input, axis=int(axis), output_type=dtypes.as_dtype(output_type), name=name)


@public
def argmin(input, axis=None, name=None, dimension=None, output_type=dtypes.int64) -> Node:
    """The index of the smallest value along `axis`, the first one on ties (TF-1 `argmin`).

    Args:
        input: a tensor of rank >= 1.
        axis: the axis to search; 0 when None, as in TF-1.
        name: the node's name.
        dimension: TF-1's older name for `axis`.
        output_type: gf.int64 (TF-1's default) or gf.int32.

    Returns:
        A tensor of `output_type`: the input's shape without `axis`.

    Gradient: none: an index.

    Examples:
        >>> gf.Session().run(gf.argmin(gf.constant([[1.0, 9.0], [7.0, 2.0]]), axis=1))
        array([0, 1])
    """
    if axis is None:
        axis = 0 if dimension is None else dimension
    return argmin_op(input, axis=int(axis), output_type=dtypes.as_dtype(output_type), name=name)


@public
def arg_max(input: Any, dimension: Any, output_type: Any = dtypes.int64, name: str | None = None) -> Node:
    """TF-1's older name for `argmax`: the index of the largest value along `dimension`.

    Args:
        input: a tensor.
        dimension: the axis to reduce.
        output_type: int64 (the default) or int32.
        name: the node's name.

    Returns:
        The indices, with `dimension` removed from the shape.
    """
    return argmax(input, axis=dimension, output_type=output_type, name=name)


@public
def arg_min(input: Any, dimension: Any, output_type: Any = dtypes.int64, name: str | None = None) -> Node:
    """TF-1's older name for `argmin`: the index of the smallest value along `dimension`.

    Args:
        input: a tensor.
        dimension: the axis to reduce.
        output_type: int64 (the default) or int32.
        name: the node's name.

    Returns:
        The indices, with `dimension` removed from the shape.
    """
    return argmin(input, axis=dimension, output_type=output_type, name=name)

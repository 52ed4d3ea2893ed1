"""Comparisons and logical ops. Their results are booleans, so no gradient flows through them (the gradient walk
stops at them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.nodes import Node
from graphflow.ops._util import broadcast_shape
from graphflow.registry import defop, public, same_dtype


def _bool_result(*input_dtypes, **attrs):
    same_dtype(*input_dtypes)  # comparing float32 with float64 is a TypeError, as in TF-1
    return dtypes.bool_


@defop("Equal", shape=broadcast_shape, dtype=_bool_result)
def equal_op(x, y):
    return np.equal(x, y)


@public
def equal(x: Any, y: Any, name: str | None = None) -> Node:
    """Whether x == y, elementwise (TF-1 `equal`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A bool tensor of the broadcast shape of `x` and `y`.

    Gradient: none: the result is boolean, so the gradient walk stops here.

    Examples:
        >>> z = gf.equal(gf.constant([1.0, 2.0]), 2.0)
        >>> gf.Session().run(z)
        array([False,  True])
    """
    return equal_op(x, y, name=name)


@defop("NotEqual", shape=broadcast_shape, dtype=_bool_result)
def not_equal_op(x, y):
    return np.not_equal(x, y)


@public
def not_equal(x: Any, y: Any, name: str | None = None) -> Node:
    """Whether x != y, elementwise (TF-1 `not_equal`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A bool tensor of the broadcast shape of `x` and `y`.

    Gradient: none: the result is boolean, so the gradient walk stops here.

    Examples:
        >>> z = gf.not_equal(gf.constant([1.0, 2.0]), 2.0)
        >>> gf.Session().run(z)
        array([ True, False])
    """
    return not_equal_op(x, y, name=name)


@defop("Greater", shape=broadcast_shape, dtype=_bool_result)
def greater_op(x, y):
    return np.greater(x, y)


@public
def greater(x: Any, y: Any, name: str | None = None) -> Node:
    """Whether x > y, elementwise (TF-1 `greater`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A bool tensor of the broadcast shape of `x` and `y`.

    Gradient: none: the result is boolean, so the gradient walk stops here.

    Examples:
        >>> z = gf.greater(gf.constant([1.0, 3.0]), 2.0)
        >>> gf.Session().run(z)
        array([False,  True])
    """
    return greater_op(x, y, name=name)


@defop("GreaterEqual", shape=broadcast_shape, dtype=_bool_result)
def greater_equal_op(x, y):
    return np.greater_equal(x, y)


@public
def greater_equal(x: Any, y: Any, name: str | None = None) -> Node:
    """Whether x >= y, elementwise (TF-1 `greater_equal`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A bool tensor of the broadcast shape of `x` and `y`.

    Gradient: none: the result is boolean, so the gradient walk stops here.

    Examples:
        >>> z = gf.greater_equal(gf.constant([2.0, 1.0]), 2.0)
        >>> gf.Session().run(z)
        array([ True, False])
    """
    return greater_equal_op(x, y, name=name)


@defop("Less", shape=broadcast_shape, dtype=_bool_result)
def less_op(x, y):
    return np.less(x, y)


@public
def less(x: Any, y: Any, name: str | None = None) -> Node:
    """Whether x < y, elementwise (TF-1 `less`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A bool tensor of the broadcast shape of `x` and `y`.

    Gradient: none: the result is boolean, so the gradient walk stops here.

    Examples:
        >>> z = gf.less(gf.constant([1.0, 3.0]), 2.0)
        >>> gf.Session().run(z)
        array([ True, False])
    """
    return less_op(x, y, name=name)


@defop("LessEqual", shape=broadcast_shape, dtype=_bool_result)
def less_equal_op(x, y):
    return np.less_equal(x, y)


@public
def less_equal(x: Any, y: Any, name: str | None = None) -> Node:
    """Whether x <= y, elementwise (TF-1 `less_equal`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A bool tensor of the broadcast shape of `x` and `y`.

    Gradient: none: the result is boolean, so the gradient walk stops here.

    Examples:
        >>> z = gf.less_equal(gf.constant([2.0, 3.0]), 2.0)
        >>> gf.Session().run(z)
        array([ True, False])
    """
    return less_equal_op(x, y, name=name)


def _logical_dtype(*input_dtypes, **attrs):
    for dtype in input_dtypes:
        if dtype is not None and dtype != dtypes.bool_:
            raise TypeError(f"logical ops take bool inputs, got {dtype}; compare first (x > 0) or gf.cast(x, gf.bool)")
    return dtypes.bool_


@defop("LogicalAnd", shape=broadcast_shape, dtype=_logical_dtype, ufunc=np.logical_and)
def logical_and_op(x, y):
    return np.logical_and(x, y)


@public
def logical_and(x: Any, y: Any, name: str | None = None) -> Node:
    """x and y for bool tensors, elementwise (TF-1 `logical_and`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; both bool.
        name: the node's name.

    Returns:
        A bool tensor of the broadcast shape of `x` and `y`.

    Gradient: none: the result is boolean, so the gradient walk stops here.

    Examples:
        >>> z = gf.logical_and(gf.constant([True, True]), gf.constant([True, False]))
        >>> gf.Session().run(z)
        array([ True, False])
    """
    return logical_and_op(x, y, name=name)


@defop("LogicalOr", shape=broadcast_shape, dtype=_logical_dtype, ufunc=np.logical_or)
def logical_or_op(x, y):
    return np.logical_or(x, y)


@public
def logical_or(x: Any, y: Any, name: str | None = None) -> Node:
    """x or y for bool tensors, elementwise (TF-1 `logical_or`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; both bool.
        name: the node's name.

    Returns:
        A bool tensor of the broadcast shape of `x` and `y`.

    Gradient: none: the result is boolean, so the gradient walk stops here.

    Examples:
        >>> z = gf.logical_or(gf.constant([True, True]), gf.constant([True, False]))
        >>> gf.Session().run(z)
        array([ True,  True])
    """
    return logical_or_op(x, y, name=name)


@defop("LogicalNot", shape=broadcast_shape, dtype=_logical_dtype, ufunc=np.logical_not)
def logical_not_op(x):
    return np.logical_not(x)


@public
def logical_not(x: Any, name: str | None = None) -> Node:
    """not x for a bool tensor, elementwise (TF-1 `logical_not`).

    Args:
        x: a bool tensor of any shape.
        name: the node's name.

    Returns:
        A bool tensor of `x`'s shape.

    Gradient: none: the result is boolean, so the gradient walk stops here.

    Examples:
        >>> y = gf.logical_not(gf.constant([True, False]))
        >>> gf.Session().run(y)
        array([False,  True])
    """
    return logical_not_op(x, name=name)


def _in_top_k_shape(predictions, targets, *, k):
    if predictions is not None and len(predictions) != 2:
        raise ValueError(f"in_top_k: predictions must be a matrix (batch, classes), got shape {predictions}")
    return None if predictions is None else (predictions[0],)


def _in_top_k_dtype(predictions, targets, *, k):
    if targets is not None and targets.kind not in "iu":
        raise TypeError(f"in_top_k: targets must be integer class ids, got {targets}")
    return dtypes.bool_


@defop("InTopK", shape=_in_top_k_shape, dtype=_in_top_k_dtype)
def in_top_k(predictions, targets, *, k):
    """For each row, whether the target's prediction is among the `k` largest (ties with the k-th count as in); a
    row with a non-finite prediction, or a target outside [0, classes), gives False (TF-1)."""
    rows = np.arange(len(targets))
    inside = (targets >= 0) & (targets < predictions.shape[1])
    target_scores = predictions[rows, np.where(inside, targets, 0)]
    larger = (predictions > target_scores[:, None]).sum(axis=1)
    return inside & np.isfinite(predictions).all(axis=1) & (larger < k)

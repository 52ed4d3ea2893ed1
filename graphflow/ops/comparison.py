"""Comparisons and logical ops. Their results are booleans, so no gradient flows through them (the gradient walk
stops at them)."""

from __future__ import annotations

import numpy as np

from graphflow import dtypes
from graphflow.ops._util import broadcast_shape
from graphflow.registry import defop, same_dtype


def _bool_result(*input_dtypes, **attrs):
    same_dtype(*input_dtypes)  # comparing float32 with float64 is a TypeError, as in TF-1
    return dtypes.bool_


@defop("Equal", shape=broadcast_shape, dtype=_bool_result)
def equal(x, y):
    return np.equal(x, y)


@defop("NotEqual", shape=broadcast_shape, dtype=_bool_result)
def not_equal(x, y):
    return np.not_equal(x, y)


@defop("Greater", shape=broadcast_shape, dtype=_bool_result)
def greater(x, y):
    return np.greater(x, y)


@defop("GreaterEqual", shape=broadcast_shape, dtype=_bool_result)
def greater_equal(x, y):
    return np.greater_equal(x, y)


@defop("Less", shape=broadcast_shape, dtype=_bool_result)
def less(x, y):
    return np.less(x, y)


@defop("LessEqual", shape=broadcast_shape, dtype=_bool_result)
def less_equal(x, y):
    return np.less_equal(x, y)


def _logical_dtype(*input_dtypes, **attrs):
    for dtype in input_dtypes:
        if dtype is not None and dtype != dtypes.bool_:
            raise TypeError(f"logical ops take bool inputs, got {dtype}; compare first (x > 0) or gf.cast(x, gf.bool)")
    return dtypes.bool_


@defop("LogicalAnd", shape=broadcast_shape, dtype=_logical_dtype, ufunc=np.logical_and)
def logical_and(x, y):
    return np.logical_and(x, y)


@defop("LogicalOr", shape=broadcast_shape, dtype=_logical_dtype, ufunc=np.logical_or)
def logical_or(x, y):
    return np.logical_or(x, y)


@defop("LogicalNot", shape=broadcast_shape, dtype=_logical_dtype, ufunc=np.logical_not)
def logical_not(x):
    return np.logical_not(x)


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

"""Comparisons. Their results are booleans, so no gradient flows through them (the gradient walk stops at them)."""

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

"""Ops that move or relabel data without arithmetic: reshape, cast, one_hot, identity, stop_gradient, zeros_like."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.nodes import Node
from graphflow.ops._util import compatible, same_shape
from graphflow.registry import constant, defop
from graphflow.shapes import as_shape, format_shape, full_shape, size


def _reshape_shape(x, *, shape):
    if x is not None and None not in x and shape.count(-1) == 1:
        known = int(np.prod([d for d in shape if d != -1]))
        total = int(np.prod(x))
        if known == 0 or total % known:
            raise ValueError(f"cannot reshape {total} elements into {list(shape)}")
        return tuple(total // known if d == -1 else d for d in shape)
    if x is not None and None not in x and -1 not in shape and int(np.prod(x)) != int(np.prod(shape)):
        raise ValueError(f"cannot reshape {int(np.prod(x))} elements into {list(shape)}")
    return tuple(None if d == -1 else d for d in shape)


@defop("Reshape", shape=_reshape_shape, views=True)
def reshape_op(x, *, shape):
    return np.reshape(x, shape)


@reshape_op.defgrad
def _reshape_grad(op, g):
    return (reshape_like(g, op.inputs[0]),)


@defop("ReshapeLike", shape=lambda t, like, **_: like, views=True)
def reshape_like(t, like):
    """Reshapes `t` to the run-time shape of `like` (the gradient of a reshape)."""
    return t.reshape(like.shape)


@reshape_like.defgrad
def _reshape_like_grad(op, g):
    return reshape_like(g, op.inputs[0]), None


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Node:
    """TF-1 `reshape`: `shape` is a list of ints; one entry may be -1 (inferred)."""
    dims = tuple(-1 if d is None else size(d, shape, "reshape(shape=...)", unknown="-1") for d in shape)
    if dims.count(-1) > 1:
        raise ValueError(f"reshape(shape=...) got {shape!r}: at most one dimension may be -1 (or None)")
    return reshape_op(tensor, shape=dims, name=name)


def _cast_dtype(x, *, dtype):
    return dtype


@defop("Cast", shape=same_shape, dtype=_cast_dtype, views=True)  # no copy when the dtype already fits
def cast_op(x, *, dtype):
    return x.astype(dtype, copy=False)


@cast_op.defgrad
def _cast_grad(op, g):
    (x,) = op.inputs
    return (g if x.dtype is None else cast_op(g, dtype=x.dtype),)


def cast(x: Any, dtype: Any, name: str | None = None) -> Node:
    """Converts `x` to `dtype`. Gradients flow between float types only (none through integers or booleans)."""
    return cast_op(x, dtype=dtypes.as_dtype(dtype), name=name)


def _one_hot_shape(indices, *, depth, axis, **_):
    if indices is None:
        return None
    position = len(indices) if axis == -1 else axis
    return (*indices[:position], depth, *indices[position:])


@defop("OneHot", shape=_one_hot_shape, dtype=lambda indices, *, dtype, **_: dtype)
def one_hot_op(indices, *, depth, on_value, off_value, axis, dtype):
    hot = np.full((*indices.shape, depth), off_value, dtype)
    rows, columns = np.arange(indices.size), indices.reshape(-1)
    valid = (columns >= 0) & (columns < depth)  # an index out of range gives a row of off_value, as in TF
    if not valid.all():
        rows, columns = rows[valid], columns[valid]
    hot.reshape(indices.size, depth)[rows, columns] = on_value  # only the hot entries: 5x faster than comparing all
    return hot if axis == -1 else np.moveaxis(hot, -1, axis)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None) -> Node:
    """TF-1 `one_hot`: `depth` classes, `on_value` 1 and `off_value` 0 by default, float32 unless `dtype` is given."""
    dtype = dtypes.as_dtype(dtype) or dtypes.float32
    return one_hot_op(
        indices,
        depth=size(depth, depth, "one_hot(depth=...)", unknown=""),
        on_value=1 if on_value is None else on_value,
        off_value=0 if off_value is None else off_value,
        axis=-1 if axis is None else int(axis),
        dtype=dtype,
        name=name,
    )


@defop("Identity", shape=same_shape, views=True)
def identity(x):
    return x


@identity.defgrad
def _identity_grad(op, g):
    return (g,)


def _default_shape(x, *, shape):
    if not compatible(x, shape):
        raise ValueError(
            f"the default value has shape {format_shape(x)}, which the declared shape {format_shape(shape)} does not "
            "allow; use None for the dimensions a fed value may change"
        )
    return shape


@defop("PlaceholderWithDefault", shape=_default_shape, views=True)
def placeholder_with_default_op(x, *, shape):
    return x


@placeholder_with_default_op.defgrad
def _placeholder_with_default_grad(op, g):
    return (g,)


def placeholder_with_default(input: Any, shape: Any, name: str | None = None) -> Node:
    """`input`, unless a value is fed for this node (TF-1 `placeholder_with_default`): e.g. a dropout keep
    probability that is 1.0 unless training feeds 0.5.

    Args:
        input: the default value (a node or an array).
        shape: the shape a fed value may have, e.g. `[None, 784]`; the default's shape must fit it.
    """
    shape = as_shape(shape, "placeholder_with_default(shape=...)")
    return placeholder_with_default_op(input, shape=None if shape is None else tuple(shape), name=name)


@defop("StopGradient", shape=same_shape, views=True)
def stop_gradient(x):
    """Passes `x` through; gradients do not flow back through it."""
    return x


@stop_gradient.defgrad
def _stop_gradient_grad(op, g):
    return (None,)


@defop("ZerosLike", shape=same_shape)
def zeros_like(x):
    return np.zeros_like(x)


@defop("OnesLike", shape=same_shape)
def ones_like(x):
    return np.ones_like(x)


@zeros_like.defgrad
@ones_like.defgrad
def _like_grad(op, g):
    return (None,)  # depends on the input's shape only


def zeros(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Node:
    """A constant of zeros (TF-1 `zeros`)."""
    return constant(np.zeros(full_shape(shape, "zeros(shape=...)"), dtypes.as_dtype(dtype)), name=name or "zeros")


def ones(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Node:
    """A constant of ones (TF-1 `ones`)."""
    return constant(np.ones(full_shape(shape, "ones(shape=...)"), dtypes.as_dtype(dtype)), name=name or "ones")

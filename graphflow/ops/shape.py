"""Ops that move or relabel data without arithmetic: reshape, cast, one_hot, identity, stop_gradient, zeros_like."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.nodes import OPS, Node
from graphflow.ops._util import compatible, same_shape
from graphflow.registry import constant, defop
from graphflow.shapes import as_shape, format_shape


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


def _reshape_dynamic_shape(x, dims):
    return None if dims is None or len(dims) != 1 or dims[0] is None else (None,) * dims[0]


@defop("ReshapeDynamic", shape=_reshape_dynamic_shape, dtype=lambda x, dims: x, views=True)
def reshape_dynamic(x, dims):
    """Reshapes `x` to the dimensions `dims` (a 1-d int array; one entry may be -1), known only at run time."""
    return np.reshape(x, tuple(int(d) for d in np.asarray(dims).reshape(-1)))


@reshape_dynamic.defgrad
def _reshape_dynamic_grad(op, g):
    return reshape_like(g, op.inputs[0]), None  # d reshape(x) = reshape(g) back to x's shape; none for the shape


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Node:
    """Gives `tensor` a new shape with the same elements, in row-major order (TF-1 `reshape`).

    Args:
        tensor: a tensor of any shape.
        shape: a list of ints, one of which may be -1 (inferred from the number of elements); or a 1-d int tensor
            such as `gf.shape(y)`, or a list holding tensors, for a shape known only at run time.
        name: the op's name.

    Returns:
        `tensor`'s elements in `shape`. Gradient: d reshape(x) = reshape(g, shape(x)).

    Example:
        images = gf.reshape(x, [-1, 28, 28, 1])
    """
    if isinstance(shape, Node) or (isinstance(shape, list | tuple) and any(isinstance(d, Node) for d in shape)):
        return reshape_dynamic(tensor, dims_input(shape, "reshape"), name=name)
    dims = tuple(-1 if d is None else int(d) for d in shape)
    if dims.count(-1) > 1:
        raise ValueError(f"reshape: at most one dimension may be -1, got {list(shape)}")
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


def to_float(x: Any, name: str = "ToFloat") -> Node:
    """`cast(x, float32)` (TF-1 `to_float`).

    Args:
        x: a tensor of any numeric or bool dtype.
        name: the op's name.

    Returns:
        x as float32. Gradient: g cast back to x's dtype when it is a float.

    Example:
        accuracy = gf.reduce_mean(gf.to_float(gf.equal(predicted, labels)))
    """
    return cast(x, dtypes.float32, name=name)


def to_double(x: Any, name: str = "ToDouble") -> Node:
    """`cast(x, float64)` (TF-1 `to_double`); see `to_float`."""
    return cast(x, dtypes.float64, name=name)


def to_int32(x: Any, name: str = "ToInt32") -> Node:
    """`cast(x, int32)` (TF-1 `to_int32`): floats are truncated toward zero; no gradient flows."""
    return cast(x, dtypes.int32, name=name)


def to_int64(x: Any, name: str = "ToInt64") -> Node:
    """`cast(x, int64)` (TF-1 `to_int64`): floats are truncated toward zero; no gradient flows."""
    return cast(x, dtypes.int64, name=name)


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
        depth=int(depth),
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
    shape = as_shape(shape)
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
    """A tensor of zeros (TF-1 `zeros`).

    Args:
        shape: a list of ints, or a 1-d int tensor such as `gf.shape(x)` (or a list holding tensors).
        dtype: the elements' dtype.
        name: the node's name.

    Returns:
        A constant, or for a run-time shape a `Fill` op. No gradient flows to the shape.

    Example:
        b = gf.Variable(gf.zeros([10]))
    """
    return _filled(shape, 0, dtype, name or "zeros")


def ones(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Node:
    """A tensor of ones (TF-1 `ones`).

    Args:
        shape: a list of ints, or a 1-d int tensor such as `gf.shape(x)` (or a list holding tensors).
        dtype: the elements' dtype.
        name: the node's name.

    Returns:
        A constant, or for a run-time shape a `Fill` op.

    Example:
        mask = gf.ones(gf.shape(x))
    """
    return _filled(shape, 1, dtype, name or "ones")


def _filled(shape: Any, value: int, dtype: Any, name: str) -> Node:
    dtype = dtypes.as_dtype(dtype)
    if isinstance(shape, Node) or (isinstance(shape, list | tuple) and any(isinstance(d, Node) for d in shape)):
        # Fill (`gf.fill`) is looked up when called: ops/dims.py builds on this module
        return OPS["Fill"](dims_input(shape, name), constant(np.array(value, dtype)), known=None, name=name)
    return constant(np.full(tuple(as_shape(shape)), value, dtype), name=name)


def dims_input(shape: Any, what: str) -> tuple[int, ...] | Node:
    """A shape argument as TF-1 takes it: a list of ints, or a 1-d int tensor (`gf.shape(x)`) or a list holding
    tensors, which are stacked into one. Returns the ints, or the tensor of dimensions."""
    if isinstance(shape, Node):
        return shape
    if isinstance(shape, list | tuple) and any(isinstance(d, Node) for d in shape):
        # Pack (`gf.stack`) is looked up when called: ops/array.py builds on this module
        return OPS["Pack"](*[cast(d, dtypes.int32) if isinstance(d, Node) else int(d) for d in shape], axis=0)
    dims = as_shape(shape)
    if dims is None or not dims.is_fully_defined():
        raise ValueError(f"{what} need a fully known shape, got {shape!r}")
    return tuple(dims)

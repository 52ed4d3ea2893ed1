"""Ops that move or relabel data without arithmetic: reshape, cast, one_hot, identity, stop_gradient, zeros_like."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.nodes import OPS, Node
from graphflow.ops._util import compatible, same_shape
from graphflow.registry import constant, defop, public
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


def _reshape_dynamic_shape(x, dims):
    return None if dims is None or len(dims) != 1 or dims[0] is None else (None,) * dims[0]


@defop("ReshapeDynamic", shape=_reshape_dynamic_shape, dtype=lambda x, dims: x, views=True)
def reshape_dynamic(x, dims):
    """Reshapes `x` to the dimensions `dims` (a 1-d int array; one entry may be -1), known only at run time."""
    return np.reshape(x, tuple(int(d) for d in np.asarray(dims).reshape(-1)))


@reshape_dynamic.defgrad
def _reshape_dynamic_grad(op, g):
    return reshape_like(g, op.inputs[0]), None  # d reshape(x) = reshape(g) back to x's shape; none for the shape


@public
def reshape(tensor: Any, shape: Any, name: str | None = None) -> Node:
    """The values of `tensor` in a new shape (TF-1 `reshape`), row-major as numpy reads them.

    Args:
        tensor: a tensor of any shape.
        shape: a list of ints whose product is `tensor`'s size; one entry may be -1 (or None): inferred. Or a 1-d
            int tensor such as `gf.shape(y)`, or a list holding tensors, for a shape known only at run time.
        name: the node's name.

    Returns:
        A tensor of shape `shape` and `tensor`'s dtype (a view when run: no copy).

    Raises:
        ValueError: more than one -1, or a static size that does not match.

    Gradient: d tensor = g reshaped back to `tensor`'s run-time shape.

    Examples:
        >>> r = gf.reshape(gf.zeros([2, 3]), [-1])
        >>> r.shape
        TensorShape([6])
    """
    if isinstance(shape, Node) or (isinstance(shape, list | tuple) and any(isinstance(d, Node) for d in shape)):
        return reshape_dynamic(tensor, dims_input(shape, "reshape(shape=...)"), name=name)
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


@public
def cast(x: Any, dtype: Any, name: str | None = None) -> Node:
    """`x` converted to `dtype` (TF-1 `cast`); floats to integers truncate toward zero, as numpy's astype does.

    Args:
        x: a tensor of any shape.
        dtype: the target dtype, e.g. `gf.float32` or `"int64"`.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype `dtype` (no copy when `x` already has it).

    Gradient: d x = g cast back to `x`'s dtype, between float types only (none through integers or booleans).

    Examples:
        >>> c = gf.cast(gf.constant([1.7, -1.7]), gf.int32)
        >>> gf.Session().run(c)
        array([ 1, -1], dtype=int32)
    """
    return cast_op(x, dtype=dtypes.as_dtype(dtype), name=name)


def to_float(x: Any, name: str = "ToFloat") -> Node:
    """`cast(x, float32)` (TF-1 `to_float`).

    Args:
        x: a tensor of any numeric or bool dtype.
        name: the op's name.

    Returns:
        x as float32. Gradient: g cast back to x's dtype when it is a float.

    Examples:
        accuracy = gf.reduce_mean(gf.to_float(gf.equal(predicted, labels)))
    """
    return cast(x, dtypes.float32, name=name)


def to_double(x: Any, name: str = "ToDouble") -> Node:
    """`cast(x, float64)` (TF-1 `to_double`).

    Args:
        x: a tensor of any numeric or bool dtype.
        name: the op's name.

    Returns:
        x as float64. Gradient: g cast back to x's dtype when it is a float.
    """
    return cast(x, dtypes.float64, name=name)


def to_int32(x: Any, name: str = "ToInt32") -> Node:
    """`cast(x, int32)` (TF-1 `to_int32`).

    Args:
        x: a tensor of any numeric or bool dtype.
        name: the op's name.

    Returns:
        x as int32. Floats are truncated toward zero; no gradient flows.
    """
    return cast(x, dtypes.int32, name=name)


def to_int64(x: Any, name: str = "ToInt64") -> Node:
    """`cast(x, int64)` (TF-1 `to_int64`).

    Args:
        x: a tensor of any numeric or bool dtype.
        name: the op's name.

    Returns:
        x as int64. Floats are truncated toward zero; no gradient flows.
    """
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


@public
def one_hot(
    indices: Any,
    depth: int,
    on_value: Any = None,
    off_value: Any = None,
    axis: int | None = None,
    dtype: Any = None,
    name: str | None = None,
) -> Node:
    """Integer class labels as one-hot rows (TF-1 `one_hot`); an index outside [0, depth) gives a row of `off_value`.

    Args:
        indices: an integer tensor of shape (d0, ..., dn).
        depth: the number of classes.
        on_value: the value at each label's position; 1 by default.
        off_value: the value elsewhere; 0 by default.
        axis: where the new axis of size `depth` goes; last by default.
        dtype: the result's dtype; float32 by default.
        name: the node's name.

    Returns:
        A tensor of shape (d0, ..., dn, depth) (the depth axis at `axis`).

    Gradient: none: integer labels.

    Examples:
        >>> h = gf.one_hot(gf.constant([0, 2]), 3)
        >>> gf.Session().run(h)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
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
def identity_op(x):
    return x


@identity_op.defgrad
def _identity_grad(op, g):
    return (g,)


@public
def identity(input: Any, name: str | None = None) -> Node:
    """`input` itself as a new node (TF-1 `identity`): a named handle, or a value to order with control dependencies.

    Args:
        input: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor equal to `input` (the same array when run: no copy).

    Gradient: d input = g.

    Examples:
        >>> y = gf.identity(gf.constant([1.0, 2.0]), name="y")
        >>> gf.Session().run(y)
        array([1., 2.], dtype=float32)
    """
    return identity_op(input, name=name)


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


@public
def placeholder_with_default(input: Any, shape: Any, name: str | None = None) -> Node:
    """`input`, unless a value is fed for this node (TF-1 `placeholder_with_default`): e.g. a dropout keep
    probability that is 1.0 unless training feeds 0.5.

    Args:
        input: the default value (a node or an array).
        shape: the shape a fed value may have, e.g. `[None, 784]`; the default's shape must fit it.
        name: the node's name.

    Returns:
        A tensor of shape `shape`: the fed value in a run that feeds one, else `input`.

    Raises:
        ValueError: the default's static shape does not fit `shape`.

    Gradient: d input = g.

    Examples:
        >>> keep = gf.placeholder_with_default(1.0, shape=[])
        >>> gf.Session().run(keep), gf.Session().run(keep, {keep: 0.5})
        (array(1., dtype=float32), array(0.5, dtype=float32))
    """
    shape = as_shape(shape, "placeholder_with_default(shape=...)")
    return placeholder_with_default_op(input, shape=None if shape is None else tuple(shape), name=name)


@defop("StopGradient", shape=same_shape, views=True)
def stop_gradient_op(x):
    """Passes `x` through; gradients do not flow back through it."""
    return x


@stop_gradient_op.defgrad
def _stop_gradient_grad(op, g):
    return (None,)


@public
def stop_gradient(input: Any, name: str | None = None) -> Node:
    """`input`, through which no gradient flows back (TF-1 `stop_gradient`): a constant for `gf.gradients`.

    Args:
        input: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor equal to `input`.

    Gradient: none: d input = 0, the point of the op.

    Examples:
        >>> x = gf.constant(3.0)
        >>> gf.gradients(x * gf.stop_gradient(x), x)[0] is not None
        True
    """
    return stop_gradient_op(input, name=name)


@defop("ZerosLike", shape=same_shape)
def zeros_like_op(x):
    return np.zeros_like(x)


@defop("OnesLike", shape=same_shape)
def ones_like_op(x):
    return np.ones_like(x)


@zeros_like_op.defgrad
@ones_like_op.defgrad
def _like_grad(op, g):
    return (None,)  # depends on the input's shape only


def _filled_like(op: Any, tensor: Any, dtype: Any, name: str | None) -> Node:
    """`op(tensor)`, cast to `dtype` when one is given that differs from `tensor`'s."""
    dtype = dtypes.as_dtype(dtype)
    result = op(tensor, name=name if dtype is None else None)
    return result if dtype is None or dtype == result.dtype else cast_op(result, dtype=dtype, name=name)


@public
def zeros_like(tensor: Any, dtype: Any = None, name: str | None = None, optimize: bool = True) -> Node:
    """A tensor of zeros with the run-time shape of `tensor` (TF-1 `zeros_like`).

    Args:
        tensor: a tensor of any shape; only its shape is read.
        dtype: the result's dtype; `tensor`'s by default.
        name: the node's name.
        optimize: a hint in TF-1 (fold to a constant when the shape is static); accepted and ignored.

    Returns:
        A tensor of `tensor`'s shape, filled with zeros.

    Gradient: none: the value depends on `tensor`'s shape only.

    Examples:
        >>> z = gf.zeros_like(gf.constant([[1.0, 2.0]]), dtype=gf.int32)
        >>> gf.Session().run(z)
        array([[0, 0]], dtype=int32)
    """
    return _filled_like(zeros_like_op, tensor, dtype, name)


@public
def ones_like(tensor: Any, dtype: Any = None, name: str | None = None, optimize: bool = True) -> Node:
    """A tensor of ones with the run-time shape of `tensor` (TF-1 `ones_like`).

    Args:
        tensor: a tensor of any shape; only its shape is read.
        dtype: the result's dtype; `tensor`'s by default.
        name: the node's name.
        optimize: a hint in TF-1 (fold to a constant when the shape is static); accepted and ignored.

    Returns:
        A tensor of `tensor`'s shape, filled with ones.

    Gradient: none: the value depends on `tensor`'s shape only.

    Examples:
        >>> z = gf.ones_like(gf.constant([[1.0, 2.0]]), dtype=gf.int32)
        >>> gf.Session().run(z)
        array([[1, 1]], dtype=int32)
    """
    return _filled_like(ones_like_op, tensor, dtype, name)


@public(default_only=("layout",))
def zeros(shape: Any, dtype: Any = dtypes.float32, name: str | None = None, layout: Any = None) -> Node:
    """A constant tensor of shape `shape` with every element 0 (TF-1 `zeros`).

    Args:
        shape: a list of ints, or a 1-d int tensor such as `gf.shape(x)` (or a list holding tensors).
        dtype: the dtype; float32 by default.
        name: the node's name.
        layout: TF's DTensor layout, which graphflow does not have; only None.

    Returns:
        A constant of shape `shape`, or for a run-time shape a `Fill` op.

    Gradient: none (a constant).

    Examples:
        >>> gf.Session().run(gf.zeros([2]))
        array([0., 0.], dtype=float32)
    """
    return _filled(shape, 0, dtype, name or "zeros")


@public(default_only=("layout",))
def ones(shape: Any, dtype: Any = dtypes.float32, name: str | None = None, layout: Any = None) -> Node:
    """A constant tensor of shape `shape` with every element 1 (TF-1 `ones`).

    Args:
        shape: a list of ints, or a 1-d int tensor such as `gf.shape(x)` (or a list holding tensors).
        dtype: the dtype; float32 by default.
        name: the node's name.
        layout: TF's DTensor layout, which graphflow does not have; only None.

    Returns:
        A constant of shape `shape`, or for a run-time shape a `Fill` op.

    Gradient: none (a constant).

    Examples:
        >>> gf.Session().run(gf.ones([2], gf.int32))
        array([1, 1], dtype=int32)
    """
    return _filled(shape, 1, dtype, name or "ones")


def _filled(shape: Any, value: int, dtype: Any, name: str) -> Node:
    dtype = dtypes.as_dtype(dtype)
    if isinstance(shape, Node) or (isinstance(shape, list | tuple) and any(isinstance(d, Node) for d in shape)):
        # Fill (`gf.fill`) is looked up when called: ops/dims.py builds on this module
        return OPS["Fill"](dims_input(shape, name), constant(np.array(value, dtype)), known=None, name=name)
    return constant(np.full(full_shape(shape, f"{name}(shape=...)"), value, dtype), name=name)


def dims_input(shape: Any, what: str) -> tuple[int, ...] | Node:
    """A shape argument as TF-1 takes it: a list of ints, or a 1-d int tensor (`gf.shape(x)`) or a list holding
    tensors, which are stacked into one. Returns the ints, or the tensor of dimensions."""
    if isinstance(shape, Node):
        return shape
    if isinstance(shape, list | tuple) and any(isinstance(d, Node) for d in shape):
        # Pack (`gf.stack`) is looked up when called: ops/array.py builds on this module
        return OPS["Pack"](*[cast(d, dtypes.int32) if isinstance(d, Node) else int(d) for d in shape], axis=0)
    return full_shape(shape, what)

"""Piecewise functions: floor, round, floordiv (`//`), floormod (`%`), abs, sign, maximum, minimum, clip_by_value.

Their gradients route g to one side (maximum, minimum, clipping) or do not exist (floor, round, sign: piecewise
constant, as in TF-1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.nodes import Node
from graphflow.ops._util import broadcast_shape, same_shape
from graphflow.ops.comparison import greater_equal, less_equal
from graphflow.ops.elementwise import divide, where
from graphflow.ops.reduction import sum_to
from graphflow.ops.shape import zeros_like
from graphflow.registry import convert_inputs, defop, public, same_dtype


@defop("Floor", shape=same_shape, ufunc=np.floor)
def floor_op(x):
    return np.floor(x)


@defop("Round", shape=same_shape, ufunc=np.rint)
def round_op(x):
    """The nearest integer, halves to even (TF-1 `round`: 0.5 -> 0, 1.5 -> 2)."""
    return np.rint(x)


@floor_op.defgrad
@round_op.defgrad
def _step_grad(op, g):
    return (None,)  # piecewise constant: TF-1 gives no gradient either


@public
def floor(x: Any, name: str | None = None) -> Node:
    """The largest integer not above x, elementwise (TF-1 `floor`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype.

    Gradient: none: piecewise constant, so no gradient flows (as in TF-1).

    Examples:
        >>> y = gf.floor(gf.constant([1.5, -1.5]))
        >>> gf.Session().run(y)
        array([ 1., -2.], dtype=float32)
    """
    return floor_op(x, name=name)


@public(name="round")
def round_(x: Any, name: str | None = None) -> Node:
    """The nearest integer, elementwise; halves go to the even neighbour (0.5 to 0, 1.5 to 2) (TF-1 `round`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype.

    Gradient: none: piecewise constant, so no gradient flows (as in TF-1).

    Examples:
        >>> y = gf.round(gf.constant([0.5, 1.5, 2.7]))
        >>> gf.Session().run(y)
        array([0., 2., 3.], dtype=float32)
    """
    return round_op(x, name=name)


def _refuse_integer_zero(y) -> None:
    """numpy gives 0 (and a warning) for an integer divided by zero; TF-1 stops the run."""
    if y.dtype.kind in "iu" and not y.all():
        raise ZeroDivisionError("Integer division by zero")


@defop("FloorDiv", shape=broadcast_shape, out=True)
def floordiv_op(x, y, out=None):
    """floor(x / y) elementwise, for integers and floats (TF-1 `floordiv`, `x // y`); an integer divisor of zero is
    an error."""
    _refuse_integer_zero(y)
    return np.floor_divide(x, y, out=out)


@floordiv_op.defgrad
def _floordiv_grad(op, g):
    return None, None  # piecewise constant: TF-1 gives no gradient either


@public
def floordiv(x: Any, y: Any, name: str | None = None) -> Node:
    """floor(x / y) elementwise, for integers and floats (`x // y`) (TF-1 `floordiv`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A tensor of the broadcast shape of `x` and `y`.

    Gradient: none: piecewise constant, so no gradient flows (as in TF-1).

    Examples:
        >>> z = gf.floordiv(gf.constant([7, -7]), 2)
        >>> gf.Session().run(z)
        array([ 3, -4], dtype=int32)
    """
    return floordiv_op(x, y, name=name)


@defop("FloorMod", shape=broadcast_shape, out=True)
def floormod_op(x, y, out=None):
    """x - floor(x / y) * y, with the sign of y (TF-1 `floormod`, `x % y`; Python's and numpy's `%`); an integer
    divisor of zero is an error."""
    _refuse_integer_zero(y)
    return np.mod(x, y, out=out)


@floormod_op.defgrad
def _floormod_grad(op, g):
    x, y = op.inputs
    return sum_to(g, x, op.inputs), sum_to(-g * floordiv(x, y), y, op.inputs)


@public
def floormod(x: Any, y: Any, name: str | None = None) -> Node:
    """x - floor(x / y) y elementwise, with the sign of y like Python's `%` (TF-1 `floormod`), with broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A tensor of the broadcast shape of `x` and `y`.

    Gradient: dx = g, dy = -g floor(x / y), each summed over broadcast dimensions.

    Examples:
        >>> z = gf.floormod(gf.constant([7, -7]), 3)
        >>> gf.Session().run(z)
        array([1, 2], dtype=int32)
    """
    return floormod_op(x, y, name=name)


@public
def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None) -> Node:
    """`t` with values below `clip_value_min` raised to it and values above `clip_value_max` lowered to it (TF-1).

    Built as TF-1 builds it, `maximum(minimum(t, max), min)`.

    Args:
        t: a tensor of any shape.
        clip_value_min: a scalar or a tensor broadcastable to `t`'s shape.
        clip_value_max: likewise, at least `clip_value_min`.
        name: the node's name.

    Returns:
        A tensor of `t`'s shape and dtype.

    Gradient: dt = g inside [min, max] (bounds included), 0 outside.

    Examples:
        >>> y = gf.clip_by_value(gf.constant([-2.0, 0.5, 3.0]), 0.0, 1.0)
        >>> gf.Session().run(y)
        array([0. , 0.5, 1. ], dtype=float32)
    """
    (t,) = convert_inputs((t,), "clip_by_value")
    return maximum(minimum(t, clip_value_max), clip_value_min, name=name or "clip_by_value")


@defop("Abs", shape=same_shape, ufunc=np.absolute)
def absolute_op(x):
    return np.abs(x)


@absolute_op.defgrad
def _absolute_grad(op, g):
    return (g * sign(op.inputs[0]),)


@public(name="abs")
def absolute(x: Any, name: str | None = None) -> Node:
    """|x| elementwise (TF-1 `abs`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype.

    Gradient: dx = g sign(x) (0 at x = 0).

    Examples:
        >>> y = gf.abs(gf.constant([-2.0, 3.0]))
        >>> gf.Session().run(y)
        array([2., 3.], dtype=float32)
    """
    return absolute_op(x, name=name)


@defop("Sign", shape=same_shape, ufunc=np.sign)
def sign_op(x):
    return np.sign(x)


@sign_op.defgrad
def _sign_grad(op, g):
    return (None,)  # zero almost everywhere


@public
def sign(x: Any, name: str | None = None) -> Node:
    """-1, 0 or 1 elementwise, as x is negative, zero or positive (TF-1 `sign`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype.

    Gradient: none: zero almost everywhere.

    Examples:
        >>> y = gf.sign(gf.constant([-2.0, 0.0, 3.0]))
        >>> gf.Session().run(y)
        array([-1.,  0.,  1.], dtype=float32)
    """
    return sign_op(x, name=name)


@defop("Maximum", shape=broadcast_shape, ufunc=np.maximum)
def maximum_op(x, y):
    return np.maximum(x, y)


@maximum_op.defgrad
def _maximum_grad(op, g):
    x, y = op.inputs
    return _route(greater_equal(x, y), g, x, y)  # ties go to x, as in TF-1


@public
def maximum(x: Any, y: Any, name: str | None = None) -> Node:
    """The larger of x and y, elementwise (TF-1 `maximum`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A tensor of the broadcast shape of `x` and `y`.

    Gradient: g goes to x where x >= y, else to y (ties go to x, as in TF-1).

    Examples:
        >>> z = gf.maximum(gf.constant([1.0, 5.0]), 3.0)
        >>> gf.Session().run(z)
        array([3., 5.], dtype=float32)
    """
    return maximum_op(x, y, name=name)


@defop("Minimum", shape=broadcast_shape, ufunc=np.minimum)
def minimum_op(x, y):
    return np.minimum(x, y)


@minimum_op.defgrad
def _minimum_grad(op, g):
    x, y = op.inputs
    return _route(less_equal(x, y), g, x, y)


@public
def minimum(x: Any, y: Any, name: str | None = None) -> Node:
    """The smaller of x and y, elementwise (TF-1 `minimum`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A tensor of the broadcast shape of `x` and `y`.

    Gradient: g goes to x where x <= y, else to y (ties go to x, as in TF-1).

    Examples:
        >>> z = gf.minimum(gf.constant([1.0, 5.0]), 3.0)
        >>> gf.Session().run(z)
        array([1., 3.], dtype=float32)
    """
    return minimum_op(x, y, name=name)


def _route(x_wins: Node, g: Node, x: Node, y: Node) -> tuple[Node, Node]:
    """Sends g to x where `x_wins`, to y elsewhere, each summed down to its operand's shape."""
    zero = zeros_like(g)
    return sum_to(where(x_wins, g, zero), x, (x, y)), sum_to(where(x_wins, zero, g), y, (x, y))


@public
def div(x: Any, y: Any, name: str | None = None) -> Node:
    """x / y with Python 2's rule (TF-1 `div`): floor division for integers, true division for floats.

    Args:
        x, y: tensors or numbers of the same dtype, broadcast together.
        name: the op's name.

    Returns:
        `floordiv(x, y)` for integer dtypes, else `divide(x, y)`. Gradient: that of the op chosen.

    Examples:
        gf.div(gf.constant(7), gf.constant(2))  # 3; gf.div(1., 4.) is 0.25
    """
    x, y = convert_inputs((x, y), "div")
    dtype = same_dtype(x.dtype, y.dtype)
    if dtype is not None and dtype.kind in "iub":
        return floordiv(x, y, name=name)
    return divide(x, y, name=name)

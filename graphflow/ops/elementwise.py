"""Elementwise arithmetic with numpy broadcasting. Binary ops undo broadcasting in their gradients with `sum_to`."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.nodes import Node
from graphflow.ops._util import broadcast_shape, same_shape
from graphflow.ops.comparison import greater, greater_equal, less_equal
from graphflow.ops.reduction import sum_to
from graphflow.ops.shape import ones_like, zeros_like
from graphflow.registry import convert_inputs, defop, same_dtype


@defop("Add", shape=broadcast_shape, ufunc=np.add)
def add(x, y):
    return x + y


@add.defgrad
def _add_grad(op, g):
    x, y = op.inputs
    return sum_to(g, x, op.inputs), sum_to(g, y, op.inputs)


@defop("Sub", shape=broadcast_shape, ufunc=np.subtract)
def subtract(x, y):
    return x - y


@subtract.defgrad
def _subtract_grad(op, g):
    x, y = op.inputs
    return sum_to(g, x, op.inputs), sum_to(-g, y, op.inputs)


@defop("Mul", shape=broadcast_shape, ufunc=np.multiply)
def multiply(x, y):
    return x * y


@multiply.defgrad
def _multiply_grad(op, g):
    x, y = op.inputs
    return sum_to(g * y, x, op.inputs), sum_to(g * x, y, op.inputs)  # d(xy) = y dx + x dy


def _true_divide_dtype(*input_dtypes, **attrs):
    dtype = same_dtype(*input_dtypes)
    return dtypes.float64 if dtype is not None and dtype.kind in "iub" else dtype  # TF-1 truediv of ints


@defop("RealDiv", shape=broadcast_shape, dtype=_true_divide_dtype, ufunc=np.true_divide)
def divide(x, y):
    return np.true_divide(x, y)


@divide.defgrad
def _divide_grad(op, g):
    x, y = op.inputs
    return sum_to(g / y, x, op.inputs), sum_to(-g * op / y, y, op.inputs)  # d(x/y) = dx/y - (x/y) dy/y


@defop("Neg", shape=same_shape, ufunc=np.negative)
def negative(x):
    return np.negative(x)


@negative.defgrad
def _negative_grad(op, g):
    return (-g,)


@defop("Exp", shape=same_shape, ufunc=np.exp)
def exp(x):
    return np.exp(x)


@exp.defgrad
def _exp_grad(op, g):
    return (g * op,)  # d exp = exp, the output itself


@defop("Log", shape=same_shape, ufunc=np.log)
def log(x):
    return np.log(x)


@log.defgrad
def _log_grad(op, g):
    return (g / op.inputs[0],)


@defop("Square", shape=same_shape, ufunc=np.square)
def square(x):
    return np.square(x)


@square.defgrad
def _square_grad(op, g):
    return (g * (2.0 * op.inputs[0]),)


@defop("Sqrt", shape=same_shape, ufunc=np.sqrt)
def sqrt(x):
    return np.sqrt(x)


@sqrt.defgrad
def _sqrt_grad(op, g):
    return (g * 0.5 / op,)  # d sqrt(x) = 1 / (2 sqrt(x))


@defop("Pow", shape=broadcast_shape, ufunc=np.power)
def power(x, y):
    return np.power(x, y)


@power.defgrad
def _power_grad(op, g):
    x, y = op.inputs
    gx = g * y * power(x, y - 1.0)
    # d/dy x^y = x^y log x, taken as 0 where x <= 0 (as TF-1 does) so no NaN leaks from log of a non-positive x.
    positive = greater(x, zeros_like(x))
    log_x = where(positive, log(where(positive, x, ones_like(x))), zeros_like(x))
    return sum_to(gx, x, op.inputs), sum_to(g * op * log_x, y, op.inputs)


@defop("Log1p", shape=same_shape, ufunc=np.log1p)
def log1p(x):
    """log(1 + x), accurate for tiny x where 1 + x rounds to 1."""
    return np.log1p(x)


@log1p.defgrad
def _log1p_grad(op, g):
    return (g / (1.0 + op.inputs[0]),)


@defop("Reciprocal", shape=same_shape, ufunc=np.reciprocal)
def reciprocal(x):
    return np.reciprocal(x)


@reciprocal.defgrad
def _reciprocal_grad(op, g):
    return (-g * op * op,)  # d (1/x) = -1/x^2, from the output


@defop("Rsqrt", shape=same_shape)
def rsqrt(x):
    """1 / sqrt(x)."""
    return np.reciprocal(np.sqrt(x))


@rsqrt.defgrad
def _rsqrt_grad(op, g):
    return (g * -0.5 * op * op * op,)  # d x^(-1/2) = -y^3 / 2


@defop("Floor", shape=same_shape, ufunc=np.floor)
def floor(x):
    return np.floor(x)


@defop("Round", shape=same_shape, ufunc=np.rint)
def round_(x):
    """The nearest integer, halves to even (TF-1 `round`: 0.5 -> 0, 1.5 -> 2)."""
    return np.rint(x)


@floor.defgrad
@round_.defgrad
def _step_grad(op, g):
    return (None,)  # piecewise constant: TF-1 gives no gradient either


@defop("FloorDiv", shape=broadcast_shape, ufunc=np.floor_divide)
def floordiv(x, y):
    """floor(x / y) elementwise, for integers and floats (TF-1 `floordiv`, `x // y`)."""
    return np.floor_divide(x, y)


@floordiv.defgrad
def _floordiv_grad(op, g):
    return None, None  # piecewise constant: TF-1 gives no gradient either


@defop("FloorMod", shape=broadcast_shape, ufunc=np.mod)
def floormod(x, y):
    """x - floor(x / y) * y, with the sign of y (TF-1 `floormod`, `x % y`; Python's and numpy's `%`)."""
    return np.mod(x, y)


@floormod.defgrad
def _floormod_grad(op, g):
    x, y = op.inputs
    return sum_to(g, x, op.inputs), sum_to(-g * floordiv(x, y), y, op.inputs)


@defop("SquaredDifference", shape=broadcast_shape)
def squared_difference(x, y):
    """(x - y) ** 2, elementwise with broadcasting."""
    d = np.subtract(x, y)
    return np.multiply(d, d, out=d) if isinstance(d, np.ndarray) else d * d


@squared_difference.defgrad
def _squared_difference_grad(op, g):
    x, y = op.inputs
    gx = g * (2.0 * (x - y))
    return sum_to(gx, x, op.inputs), sum_to(-gx, y, op.inputs)


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None) -> Node:
    """`t` with values below `clip_value_min` raised to it and values above `clip_value_max` lowered to it.

    Built as TF-1 builds it, `maximum(minimum(t, max), min)`, so the gradient is 1 inside [min, max] (bounds
    included) and 0 outside.
    """
    (t,) = convert_inputs((t,), "clip_by_value")
    return maximum(minimum(t, clip_value_max), clip_value_min, name=name or "clip_by_value")


@defop("Abs", shape=same_shape, ufunc=np.absolute)
def absolute(x):
    return np.abs(x)


@absolute.defgrad
def _absolute_grad(op, g):
    return (g * sign(op.inputs[0]),)


@defop("Sign", shape=same_shape, ufunc=np.sign)
def sign(x):
    return np.sign(x)


@sign.defgrad
def _sign_grad(op, g):
    return (None,)  # zero almost everywhere


@defop("Maximum", shape=broadcast_shape, ufunc=np.maximum)
def maximum(x, y):
    return np.maximum(x, y)


@maximum.defgrad
def _maximum_grad(op, g):
    x, y = op.inputs
    return _route(greater_equal(x, y), g, x, y)  # ties go to x, as in TF-1


@defop("Minimum", shape=broadcast_shape, ufunc=np.minimum)
def minimum(x, y):
    return np.minimum(x, y)


@minimum.defgrad
def _minimum_grad(op, g):
    x, y = op.inputs
    return _route(less_equal(x, y), g, x, y)


def _route(x_wins: Node, g: Node, x: Node, y: Node) -> tuple[Node, Node]:
    """Sends g to x where `x_wins`, to y elsewhere, each summed down to its operand's shape."""
    zero = zeros_like(g)
    return sum_to(where(x_wins, g, zero), x, (x, y)), sum_to(where(x_wins, zero, g), y, (x, y))


@defop("AddN", shape=broadcast_shape, views=True)  # one input is returned as it is
def add_n_op(*xs):
    total = xs[0] + xs[1] if len(xs) > 1 else xs[0]
    for x in xs[2:]:
        total += x  # `total` is a fresh array from the first addition, so adding in place is safe
    return total


@add_n_op.defgrad
def _add_n_grad(op, g):
    return tuple(sum_to(g, x, op.inputs) for x in op.inputs)


def add_n(inputs: list[Any], name: str | None = None) -> Node:
    """Sum of a list of tensors (TF-1 `add_n`)."""
    if not isinstance(inputs, list | tuple) or not inputs:
        raise ValueError("add_n expects a non-empty list of tensors")
    return add_n_op(*inputs, name=name)


def _select_dtype(condition, x, y, **attrs):
    if condition is not None and condition != dtypes.bool_:
        raise TypeError(f"the condition must be bool, got {condition}")
    return same_dtype(x, y)


@defop("Select", shape=broadcast_shape, dtype=_select_dtype)
def select(condition, x, y):
    return np.where(condition, x, y)


@select.defgrad
def _select_grad(op, g):
    condition, x, y = op.inputs
    zero = zeros_like(g)
    return None, sum_to(select(condition, g, zero), x, op.inputs), sum_to(select(condition, zero, g), y, op.inputs)


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Node:
    """Elementwise `x` where `condition` is true, else `y` (TF-1 `where` with three arguments)."""
    if x is None or y is None:
        raise ValueError("where(condition) without x and y (returning indices) is not supported; pass x and y")
    x, y = convert_inputs((x, y), "where")
    return select(condition, x, y, name=name)


@defop("Sin", shape=same_shape, ufunc=np.sin)
def sin(x):
    """sin(x) elementwise, x in radians (TF-1 `sin`, also `gf.math.sin`).

    Args:
        x: a float tensor of any shape.

    Returns:
        A tensor of x's shape and dtype. Gradient: d sin(x) = cos(x) dx.

    Example:
        y = gf.sin(x); d4 = gf.gradients(gf.gradients(gf.gradients(gf.gradients(y, x), x), x), x)  # sin again
    """
    return np.sin(x)


@sin.defgrad
def _sin_grad(op, g):
    return (g * cos(op.inputs[0]),)  # d sin = cos


@defop("Cos", shape=same_shape, ufunc=np.cos)
def cos(x):
    """cos(x) elementwise, x in radians (TF-1 `cos`, also `gf.math.cos`).

    Args:
        x: a float tensor of any shape.

    Returns:
        A tensor of x's shape and dtype. Gradient: d cos(x) = -sin(x) dx.

    Example:
        y = gf.cos(gf.constant(0.0))  # 1.0
    """
    return np.cos(x)


@cos.defgrad
def _cos_grad(op, g):
    return (-g * sin(op.inputs[0]),)  # d cos = -sin


def div(x: Any, y: Any, name: str | None = None) -> Node:
    """x / y with Python 2's rule (TF-1 `div`): floor division for integers, true division for floats.

    Args:
        x, y: tensors or numbers of the same dtype, broadcast together.
        name: the op's name.

    Returns:
        `floordiv(x, y)` for integer dtypes, else `divide(x, y)`. Gradient: that of the op chosen.

    Example:
        gf.div(gf.constant(7), gf.constant(2))  # 3; gf.div(1., 4.) is 0.25
    """
    x, y = convert_inputs((x, y), "div")
    dtype = same_dtype(x.dtype, y.dtype)
    if dtype is not None and dtype.kind in "iub":
        return floordiv(x, y, name=name)
    return divide(x, y, name=name)

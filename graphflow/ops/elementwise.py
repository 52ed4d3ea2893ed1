"""Elementwise arithmetic with numpy broadcasting (+ - * / pow exp log sqrt ...), add_n and where. Binary ops undo
broadcasting in their gradients with `sum_to`. Piecewise functions (floor, abs, maximum) are in piecewise.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.nodes import Node
from graphflow.ops._util import broadcast_shape, same_shape
from graphflow.ops.comparison import greater
from graphflow.ops.reduction import sum_to, sum_to_each
from graphflow.ops.shape import ones_like, zeros_like
from graphflow.registry import convert_inputs, defop, public, same_dtype


@defop("Add", shape=broadcast_shape, ufunc=np.add)
def add_op(x, y):
    return x + y


@add_op.defgrad
def _add_grad(op, g):
    x, y = op.inputs
    return sum_to(g, x, op.inputs), sum_to(g, y, op.inputs)


@public
def add(x: Any, y: Any, name: str | None = None) -> Node:
    """x + y elementwise (TF-1 `add`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A tensor of the broadcast shape of `x` and `y`.

    Gradient: dx = g, dy = g, each summed over the dimensions broadcasting stretched.

    Examples:
        >>> z = gf.add(gf.constant([1.0, 2.0]), 10.0)
        >>> gf.Session().run(z)
        array([11., 12.], dtype=float32)
    """
    return add_op(x, y, name=name)


@defop("Sub", shape=broadcast_shape, ufunc=np.subtract)
def subtract_op(x, y):
    return x - y


@subtract_op.defgrad
def _subtract_grad(op, g):
    x, y = op.inputs
    return sum_to(g, x, op.inputs), sum_to(-g, y, op.inputs)


@public
def subtract(x: Any, y: Any, name: str | None = None) -> Node:
    """x - y elementwise (TF-1 `subtract`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A tensor of the broadcast shape of `x` and `y`.

    Gradient: dx = g, dy = -g, each summed over broadcast dimensions.

    Examples:
        >>> z = gf.subtract(gf.constant([1.0, 2.0]), 10.0)
        >>> gf.Session().run(z)
        array([-9., -8.], dtype=float32)
    """
    return subtract_op(x, y, name=name)


@defop("Mul", shape=broadcast_shape, ufunc=np.multiply)
def multiply_op(x, y):
    return x * y


@multiply_op.defgrad
def _multiply_grad(op, g):
    x, y = op.inputs
    return sum_to(g * y, x, op.inputs), sum_to(g * x, y, op.inputs)  # d(xy) = y dx + x dy


@public
def multiply(x: Any, y: Any, name: str | None = None) -> Node:
    """x * y elementwise (TF-1 `multiply`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A tensor of the broadcast shape of `x` and `y`.

    Gradient: dx = g y, dy = g x, each summed over broadcast dimensions.

    Examples:
        >>> z = gf.multiply(gf.constant([1.0, 2.0]), 3.0)
        >>> gf.Session().run(z)
        array([3., 6.], dtype=float32)
    """
    return multiply_op(x, y, name=name)


def _true_divide_dtype(*input_dtypes, **attrs):
    dtype = same_dtype(*input_dtypes)
    return dtypes.float64 if dtype is not None and dtype.kind in "iub" else dtype  # TF-1 truediv of ints


@defop("RealDiv", shape=broadcast_shape, dtype=_true_divide_dtype, ufunc=np.true_divide)
def divide_op(x, y):
    return np.true_divide(x, y)


@divide_op.defgrad
def _divide_grad(op, g):
    x, y = op.inputs
    return sum_to(g / y, x, op.inputs), sum_to(-g * op / y, y, op.inputs)  # d(x/y) = dx/y - (x/y) dy/y


@public
def divide(x: Any, y: Any, name: str | None = None) -> Node:
    """x / y elementwise, true division (TF-1 `divide`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A tensor of the broadcast shape; integer inputs give float64, as TF-1's `truediv` does.

    Gradient: dx = g / y, dy = -g x / y², each summed over broadcast dimensions.

    Examples:
        >>> z = gf.divide(gf.constant([1.0, 3.0]), 2.0)
        >>> gf.Session().run(z)
        array([0.5, 1.5], dtype=float32)
    """
    return divide_op(x, y, name=name)


@defop("Neg", shape=same_shape, ufunc=np.negative)
def negative_op(x):
    return np.negative(x)


@negative_op.defgrad
def _negative_grad(op, g):
    return (-g,)


@public
def negative(x: Any, name: str | None = None) -> Node:
    """-x elementwise (TF-1 `negative`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype.

    Gradient: dx = -g.

    Examples:
        >>> y = gf.negative(gf.constant([1.0, -2.0]))
        >>> gf.Session().run(y)
        array([-1.,  2.], dtype=float32)
    """
    return negative_op(x, name=name)


@defop("Exp", shape=same_shape, ufunc=np.exp)
def exp_op(x):
    return np.exp(x)


@exp_op.defgrad
def _exp_grad(op, g):
    return (g * op,)  # d exp = exp, the output itself


@public
def exp(x: Any, name: str | None = None) -> Node:
    """e to the power x, elementwise (TF-1 `exp`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype.

    Gradient: dx = g exp(x), reusing the output.

    Examples:
        >>> y = gf.exp(gf.constant([0.0, 1.0]))
        >>> gf.Session().run(y)
        array([1.      , 2.718282], dtype=float32)
    """
    return exp_op(x, name=name)


@defop("Log", shape=same_shape, ufunc=np.log)
def log_op(x):
    return np.log(x)


@log_op.defgrad
def _log_grad(op, g):
    return (g / op.inputs[0],)


@public
def log(x: Any, name: str | None = None) -> Node:
    """The natural logarithm, elementwise (TF-1 `log`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype. -inf at 0, nan below.

    Gradient: dx = g / x.

    Examples:
        >>> y = gf.log(gf.constant([1.0, 100.0]))
        >>> gf.Session().run(y)
        array([0.       , 4.6051702], dtype=float32)
    """
    return log_op(x, name=name)


@defop("Square", shape=same_shape, ufunc=np.square)
def square_op(x):
    return np.square(x)


@square_op.defgrad
def _square_grad(op, g):
    return (g * (2.0 * op.inputs[0]),)


@public
def square(x: Any, name: str | None = None) -> Node:
    """x² elementwise (TF-1 `square`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype.

    Gradient: dx = 2 x g.

    Examples:
        >>> y = gf.square(gf.constant([2.0, -3.0]))
        >>> gf.Session().run(y)
        array([4., 9.], dtype=float32)
    """
    return square_op(x, name=name)


@defop("Sqrt", shape=same_shape, ufunc=np.sqrt)
def sqrt_op(x):
    return np.sqrt(x)


@sqrt_op.defgrad
def _sqrt_grad(op, g):
    return (g * 0.5 / op,)  # d sqrt(x) = 1 / (2 sqrt(x))


@public
def sqrt(x: Any, name: str | None = None) -> Node:
    """The square root, elementwise (TF-1 `sqrt`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype. nan below 0.

    Gradient: dx = g / (2 sqrt(x)), reusing the output.

    Examples:
        >>> y = gf.sqrt(gf.constant([4.0, 9.0]))
        >>> gf.Session().run(y)
        array([2., 3.], dtype=float32)
    """
    return sqrt_op(x, name=name)


@defop("Pow", shape=broadcast_shape, ufunc=np.power)
def power_op(x, y):
    return np.power(x, y)


@power_op.defgrad
def _power_grad(op, g):
    x, y = op.inputs
    gx = g * y * power(x, y - 1.0)
    # d/dy x^y = x^y log x, taken as 0 where x <= 0 (as TF-1 does) so no NaN leaks from log of a non-positive x.
    positive = greater(x, zeros_like(x))
    log_x = where(positive, log(where(positive, x, ones_like(x))), zeros_like(x))
    return sum_to(gx, x, op.inputs), sum_to(g * op * log_x, y, op.inputs)


@public(name="pow")
def power(x: Any, y: Any, name: str | None = None) -> Node:
    """x to the power y, elementwise (TF-1 `pow`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A tensor of the broadcast shape of `x` and `y`.

    Gradient: dx = g y x^(y-1), dy = g x^y log x (0 where x <= 0), each summed over broadcast dimensions.

    Examples:
        >>> z = gf.pow(gf.constant([2.0, 3.0]), 2.0)
        >>> gf.Session().run(z)
        array([4., 9.], dtype=float32)
    """
    return power_op(x, y, name=name)


@defop("Log1p", shape=same_shape, ufunc=np.log1p)
def log1p_op(x):
    """log(1 + x), accurate for tiny x where 1 + x rounds to 1."""
    return np.log1p(x)


@log1p_op.defgrad
def _log1p_grad(op, g):
    return (g / (1.0 + op.inputs[0]),)


@public
def log1p(x: Any, name: str | None = None) -> Node:
    """log(1 + x) elementwise, accurate for tiny x where 1 + x rounds to 1 (TF-1 `log1p`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype.

    Gradient: dx = g / (1 + x).

    Examples:
        >>> y = gf.log1p(gf.constant([0.0, 1e-10], gf.float64))
        >>> gf.Session().run(y)
        array([0.e+00, 1.e-10])
    """
    return log1p_op(x, name=name)


@defop("Reciprocal", shape=same_shape, ufunc=np.reciprocal)
def reciprocal_op(x):
    return np.reciprocal(x)


@reciprocal_op.defgrad
def _reciprocal_grad(op, g):
    return (-g * op * op,)  # d (1/x) = -1/x^2, from the output


@public
def reciprocal(x: Any, name: str | None = None) -> Node:
    """1 / x elementwise (TF-1 `reciprocal`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype.

    Gradient: dx = -g / x², from the output.

    Examples:
        >>> y = gf.reciprocal(gf.constant([2.0, 4.0]))
        >>> gf.Session().run(y)
        array([0.5 , 0.25], dtype=float32)
    """
    return reciprocal_op(x, name=name)


@defop("Rsqrt", shape=same_shape)
def rsqrt_op(x):
    """1 / sqrt(x)."""
    return np.reciprocal(np.sqrt(x))


@rsqrt_op.defgrad
def _rsqrt_grad(op, g):
    return (g * -0.5 * op * op * op,)  # d x^(-1/2) = -y^3 / 2


@public
def rsqrt(x: Any, name: str | None = None) -> Node:
    """1 / sqrt(x) elementwise (TF-1 `rsqrt`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype.

    Gradient: dx = -g y³ / 2, with y the output.

    Examples:
        >>> y = gf.rsqrt(gf.constant([4.0, 16.0]))
        >>> gf.Session().run(y)
        array([0.5 , 0.25], dtype=float32)
    """
    return rsqrt_op(x, name=name)


@defop("SquaredDifference", shape=broadcast_shape)
def squared_difference_op(x, y):
    """(x - y) ** 2, elementwise with broadcasting."""
    d = np.subtract(x, y)
    return np.multiply(d, d, out=d) if isinstance(d, np.ndarray) else d * d


@squared_difference_op.defgrad
def _squared_difference_grad(op, g):
    x, y = op.inputs
    gx = g * (2.0 * (x - y))
    return sum_to(gx, x, op.inputs), sum_to(-gx, y, op.inputs)


@public
def squared_difference(x: Any, y: Any, name: str | None = None) -> Node:
    """(x - y)² elementwise (TF-1 `squared_difference`), with numpy broadcasting.

    Args:
        x: a tensor (or Python number, list, array) of any shape.
        y: a tensor whose shape broadcasts with `x`'s; the same dtype.
        name: the node's name.

    Returns:
        A tensor of the broadcast shape of `x` and `y`.

    Gradient: dx = 2 (x - y) g, dy = -2 (x - y) g, each summed over broadcast dimensions.

    Examples:
        >>> z = gf.squared_difference(gf.constant([1.0, 5.0]), 3.0)
        >>> gf.Session().run(z)
        array([4., 4.], dtype=float32)
    """
    return squared_difference_op(x, y, name=name)


@defop("AddN", shape=broadcast_shape, views=True)  # one input is returned as it is
def add_n_op(*xs):
    total = xs[0] + xs[1] if len(xs) > 1 else xs[0]
    for x in xs[2:]:
        total += x  # `total` is a fresh array from the first addition, so adding in place is safe
    return total


@add_n_op.defgrad
def _add_n_grad(op, g):
    return sum_to_each(g, op.inputs)  # `[g] * n` (TF-1's rule) when no input is broadcast


@public
def add_n(inputs: list[Any], name: str | None = None) -> Node:
    """The elementwise sum of a list of tensors, as one op (TF-1 `add_n`).

    Args:
        inputs: a non-empty list of tensors of one dtype whose shapes broadcast together.
        name: the node's name.

    Returns:
        A tensor of the inputs' broadcast shape.

    Raises:
        ValueError: `inputs` is not a non-empty list.

    Gradient: d input_i = g for every input (summed over the dimensions broadcasting stretched).

    Examples:
        >>> s = gf.add_n([gf.constant([1.0, 2.0]), gf.constant([3.0, 4.0]), gf.constant([5.0, 6.0])])
        >>> gf.Session().run(s)
        array([ 9., 12.], dtype=float32)
    """
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


@public
def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Node:
    """Elementwise `x` where `condition` is true, else `y` (TF-1 `where` with three arguments).

    Args:
        condition: a bool tensor whose shape broadcasts with `x` and `y`.
        x: the values taken where `condition` holds.
        y: the values taken elsewhere; `x`'s dtype.
        name: the node's name.

    Returns:
        A tensor of the broadcast shape of the three arguments.

    Raises:
        ValueError: `x` or `y` is missing (TF-1's one-argument form, which returns indices, is not supported).

    Gradient: dx = g where condition, else 0; dy = g where not condition, else 0; none for the condition.

    Examples:
        >>> w = gf.where(gf.constant([True, False]), gf.constant([1.0, 2.0]), gf.constant([9.0, 9.0]))
        >>> gf.Session().run(w)
        array([1., 9.], dtype=float32)
    """
    if x is None or y is None:
        raise ValueError("where(condition) without x and y (returning indices) is not supported; pass x and y")
    x, y = convert_inputs((x, y), "where")
    return select(condition, x, y, name=name)


@defop("Sin", shape=same_shape, ufunc=np.sin)
def sin_op(x):
    """sin(x) elementwise, x in radians (TF-1 `sin`, also `gf.math.sin`).

    Args:
        x: a float tensor of any shape.

    Returns:
        A tensor of x's shape and dtype. Gradient: d sin(x) = cos(x) dx.

    Examples:
        y = gf.sin(x); d4 = gf.gradients(gf.gradients(gf.gradients(gf.gradients(y, x), x), x), x)  # sin again
    """
    return np.sin(x)


@sin_op.defgrad
def _sin_grad(op, g):
    return (g * cos(op.inputs[0]),)  # d sin = cos


@defop("Cos", shape=same_shape, ufunc=np.cos)
def cos_op(x):
    """cos(x) elementwise, x in radians (TF-1 `cos`, also `gf.math.cos`).

    Args:
        x: a float tensor of any shape.

    Returns:
        A tensor of x's shape and dtype. Gradient: d cos(x) = -sin(x) dx.

    Examples:
        y = gf.cos(gf.constant(0.0))  # 1.0
    """
    return np.cos(x)


@cos_op.defgrad
def _cos_grad(op, g):
    return (-g * sin(op.inputs[0]),)  # d cos = -sin


@public
def sin(x: Any, name: str | None = None) -> Node:
    """sin(x) elementwise, x in radians (TF-1 `sin`, also `gf.math.sin`).

    Args:
        x: a float tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of x's shape and dtype.

    Gradient: d sin(x) = cos(x) dx.

    Examples:
        >>> gf.Session().run(gf.sin(gf.constant([0.0])))
        array([0.], dtype=float32)
    """
    return sin_op(x, name=name)


@public
def cos(x: Any, name: str | None = None) -> Node:
    """cos(x) elementwise, x in radians (TF-1 `cos`, also `gf.math.cos`).

    Args:
        x: a float tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of x's shape and dtype.

    Gradient: d cos(x) = -sin(x) dx.

    Examples:
        >>> gf.Session().run(gf.cos(gf.constant([0.0])))
        array([1.], dtype=float32)
    """
    return cos_op(x, name=name)

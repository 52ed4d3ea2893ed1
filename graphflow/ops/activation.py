"""Activations: sigmoid, tanh, relu and its variants (relu6, leaky_relu, elu, softplus), softmax, log_softmax, each
computed without overflow."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.kernels import activation as kernels
from graphflow.nodes import Node, Operation
from graphflow.ops._util import add_reduce, max_reduce, same_shape
from graphflow.ops.comparison import logical_and
from graphflow.ops.elementwise import add_op, exp, select
from graphflow.ops.reduction import sum_op
from graphflow.ops.shape import zeros_like
from graphflow.registry import deffusion, defop, public


@defop("Sigmoid", shape=same_shape, out=True)
def sigmoid_op(x, out=None):
    # 1/(1+e^-x) as 0.5 (1 + tanh(x/2)), which never overflows; the last three steps work in the first one's array.
    y = np.asarray(np.multiply(x, 0.5, out=out))  # asarray: a 0-d input gives a numpy scalar, with no buffer to reuse
    np.tanh(y, out=y)
    y += 1.0
    y *= 0.5
    return y


@sigmoid_op.defgrad
def _sigmoid_grad(op, g):
    return (g * op * (1.0 - op),)  # d sigmoid = y (1 - y), reusing the forward output


@public
def sigmoid(x: Any, name: str | None = None) -> Node:
    """The logistic function 1 / (1 + exp(-x)), elementwise, without overflow (TF-1 `sigmoid`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype. Values in [0, 1].

    Gradient: dx = g y (1 - y), with y the output.

    Examples:
        >>> y = gf.sigmoid(gf.constant([0.0, 100.0]))
        >>> gf.Session().run(y)
        array([0.5, 1. ], dtype=float32)
    """
    return sigmoid_op(x, name=name)


@defop("Tanh", shape=same_shape, ufunc=np.tanh)
def tanh_op(x):
    return np.tanh(x)


@tanh_op.defgrad
def _tanh_grad(op, g):
    return (g * (1.0 - op * op),)  # d tanh = 1 - y^2


@public
def tanh(x: Any, name: str | None = None) -> Node:
    """The hyperbolic tangent, elementwise (TF-1 `tanh`).

    Args:
        x: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `x`'s shape and dtype. Values in [-1, 1].

    Gradient: dx = g (1 - y²), with y the output.

    Examples:
        >>> y = gf.tanh(gf.constant([0.0]))
        >>> gf.Session().run(y)
        array([0.], dtype=float32)
    """
    return tanh_op(x, name=name)


@defop("Relu", shape=same_shape, out=True)
def relu_op(x, out=None):
    """max(x, 0). Float arrays go through a compiled loop, 3-4x faster than np.maximum, which is slow on floats."""
    y = kernels.relu(x, out=out)
    return np.maximum(x, 0, out=out) if y is None else y


def _is_bias_add(op: Operation) -> bool:
    """Whether `op` adds a vector to the rows of a float matrix, as far as the static shapes and dtypes tell."""
    if op.dtype is None or op.dtype.kind != "f":
        return False
    x, b = op.inputs
    return x.shape is not None and len(x.shape) == 2 and x.shape[1] is not None and b.shape == x.shape[1:]


@deffusion(add_op, relu_op, applies=_is_bias_add)
def bias_relu(x: Any, b: Any, out: np.ndarray | None = None) -> np.ndarray:
    """relu(x + b) in one pass over x: a dense layer's bias add and activation, which a plan runs as one step when
    nothing else reads the sum (see `plan.passes.fuse`). The values are those of the two ops, bit for bit.

    The compiled loop takes a C-contiguous float32 or float64 matrix and a bias of its width and dtype; other inputs
    go through the two ops' numpy forms. Like the ops, it writes into `out` when given, and checks it first.
    """
    y = kernels.bias_relu(x, b, out=out)
    return relu_op.forward(np.add(x, b), out=out) if y is None else y


@relu_op.defgrad
def _relu_grad(op, g):
    return (relu_grad(g, op),)  # relu(x) > 0 exactly where x > 0, so the output serves as the mask


@public
def relu(features: Any, name: str | None = None) -> Node:
    """The rectifier max(features, 0), elementwise (TF-1 `nn.relu`).

    Args:
        features: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `features`' shape and dtype.

    Gradient: d features = g where features > 0, else 0.

    Examples:
        >>> y = gf.nn.relu(gf.constant([-1.0, 2.0]))
        >>> gf.Session().run(y)
        array([0., 2.], dtype=float32)
    """
    return relu_op(features, name=name)


@defop("ReluGrad", shape=lambda g, x, **_: x, out=True)
def relu_grad(g, x, out=None):
    """`g · (x > 0)`: the gradient of relu at x, as TF's ReluGrad computes it (a NaN in `g` stays NaN). Float arrays
    of one shape go through a compiled loop; others through a product, rather than `np.where(x > 0, g, 0)`, which is
    3-13x slower on float32 batches."""
    y = kernels.relu_grad(g, x, out=out)
    return np.multiply(g, x > 0, out=out) if y is None else y


@relu_grad.defgrad
def _relu_grad_grad(op, gg):
    _, x = op.inputs
    return relu_grad(gg, x), zeros_like(x)  # linear in g; piecewise constant in x


@defop("Relu6", shape=same_shape)
def relu6_op(x):
    """min(max(x, 0), 6)."""
    return np.minimum(np.maximum(x, 0), 6)


@relu6_op.defgrad
def _relu6_grad(op, g):
    x = op.inputs[0]
    return (select(logical_and(x > 0.0, x < 6.0), g, zeros_like(g)),)  # 0 at both kinks, as TF-1's Relu6Grad


@public
def relu6(features: Any, name: str | None = None) -> Node:
    """min(max(features, 0), 6), elementwise (TF-1 `nn.relu6`).

    Args:
        features: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `features`' shape and dtype.

    Gradient: d features = g where 0 < features < 6, else 0.

    Examples:
        >>> y = gf.nn.relu6(gf.constant([-1.0, 2.0, 9.0]))
        >>> gf.Session().run(y)
        array([0., 2., 6.], dtype=float32)
    """
    return relu6_op(features, name=name)


@defop("LeakyRelu", shape=same_shape)
def leaky_relu_op(x, *, alpha):
    return np.where(x > 0, x, x * np.asarray(alpha, x.dtype))


@leaky_relu_op.defgrad
def _leaky_relu_grad(op, g):
    return (select(op.inputs[0] > 0.0, g, g * op.attrs["alpha"]),)  # alpha at 0 itself, as in TF-1


@public
def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Node:
    """features where positive, else alpha * features (TF-1 `nn.leaky_relu`).

    Args:
        features: a float tensor of any shape.
        alpha: the slope for negative values.
        name: the node's name.

    Returns:
        A tensor of `features`' shape and dtype.

    Gradient: d features = g where features > 0, else alpha g.

    Examples:
        >>> y = gf.nn.leaky_relu(gf.constant([-1.0, 2.0]), alpha=0.1)
        >>> gf.Session().run(y)
        array([-0.1,  2. ], dtype=float32)
    """
    return leaky_relu_op(features, alpha=float(alpha), name=name)


@defop("Elu", shape=same_shape)
def elu_op(x):
    """x where x > 0, else exp(x) - 1 (computed with expm1, exact near 0)."""
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


@elu_op.defgrad
def _elu_grad(op, g):
    return (select(op.inputs[0] > 0.0, g, g * (op + 1.0)),)  # d elu = exp(x) = y + 1 for x <= 0


@public
def elu(features: Any, name: str | None = None) -> Node:
    """features where positive, else exp(features) - 1 (the exponential linear unit) (TF-1 `nn.elu`).

    Args:
        features: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `features`' shape and dtype.

    Gradient: d features = g where features > 0, else g exp(features) = g (y + 1).

    Examples:
        >>> y = gf.nn.elu(gf.constant([-1.0, 2.0]))
        >>> gf.Session().run(y)
        array([-0.63212055,  2.        ], dtype=float32)
    """
    return elu_op(features, name=name)


@defop("Softplus", shape=same_shape)
def softplus_op(x):
    """log(1 + exp(x)) as logaddexp(0, x), which neither overflows for large x nor loses small values."""
    return np.logaddexp(0, x).astype(np.result_type(x), copy=False)


@softplus_op.defgrad
def _softplus_grad(op, g):
    return (g * sigmoid(op.inputs[0]),)


@public
def softplus(features: Any, name: str | None = None) -> Node:
    """log(1 + exp(features)), elementwise, without overflow (TF-1 `nn.softplus`).

    Args:
        features: a tensor of any shape.
        name: the node's name.

    Returns:
        A tensor of `features`' shape and dtype.

    Gradient: d features = g sigmoid(features).

    Examples:
        >>> y = gf.nn.softplus(gf.constant([0.0, 100.0]))
        >>> gf.Session().run(y)
        array([  0.6931472, 100.       ], dtype=float32)
    """
    return softplus_op(features, name=name)


def _axis(axis: Any, dim: Any) -> int:
    if axis is None:
        axis = dim
    return -1 if axis is None else int(axis)


@defop("Softmax", shape=same_shape, out=True)
def softmax_op(x, *, axis, out=None):
    e = np.exp(x - max_reduce(x, axis, keepdims=True), out=out)  # shifted by the max: exp never overflows
    e /= add_reduce(e, (axis,), keepdims=True)
    return e


@softmax_op.defgrad
def _softmax_grad(op, g):
    # d softmax: y * (g - sum(g * y))
    axis = op.attrs["axis"]
    return ((g - sum_op(g * op, axis=(axis,), keepdims=True)) * op,)


@defop("LogSoftmax", shape=same_shape)
def log_softmax_op(x, *, axis):
    shifted = x - max_reduce(x, axis, keepdims=True)
    return shifted - np.log(add_reduce(np.exp(shifted), (axis,), keepdims=True))


@log_softmax_op.defgrad
def _log_softmax_grad(op, g):
    # d log_softmax: g - softmax * sum(g); softmax is exp of the output, computed from op without overflow
    axis = op.attrs["axis"]
    return (g - exp(op) * sum_op(g, axis=(axis,), keepdims=True),)


@public
def softmax(logits: Any, axis: int | None = None, name: str | None = None, dim: int | None = None) -> Node:
    """exp(logits) / sum(exp(logits)) along `axis` (TF-1 `nn.softmax`), stable for logits of any magnitude.

    Args:
        logits: a float tensor, e.g. shape (batch, classes).
        axis: the axis to normalise along; the last by default.
        name: the node's name.
        dim: TF-1's older name for `axis`.

    Returns:
        A tensor of `logits`' shape whose entries along `axis` are positive and sum to 1.

    Gradient: d logits = y (g - sum(g y)), with y the output and the sum along `axis`.

    Examples:
        >>> p = gf.nn.softmax(gf.constant([[0.0, 0.0]]))
        >>> gf.Session().run(p)
        array([[0.5, 0.5]], dtype=float32)
    """
    return softmax_op(logits, axis=_axis(axis, dim), name=name)


@public
def log_softmax(logits: Any, axis: int | None = None, name: str | None = None, dim: int | None = None) -> Node:
    """log(softmax(logits)) along `axis` (TF-1 `nn.log_softmax`), as x - max - log(sum(exp(x - max))): no log(0).

    Args:
        logits: a float tensor, e.g. shape (batch, classes).
        axis: the axis to normalise along; the last by default.
        name: the node's name.
        dim: TF-1's older name for `axis`.

    Returns:
        A tensor of `logits`' shape; exp of it sums to 1 along `axis`.

    Gradient: d logits = g - softmax(logits) sum(g), the sum along `axis`.

    Examples:
        >>> y = gf.nn.log_softmax(gf.constant([[0.0, 0.0]], gf.float64))
        >>> gf.Session().run(y)
        array([[-0.69314718, -0.69314718]])
    """
    return log_softmax_op(logits, axis=_axis(axis, dim), name=name)

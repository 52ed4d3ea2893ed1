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
from graphflow.registry import deffusion, defop


@defop("Sigmoid", shape=same_shape, out=True)
def sigmoid(x, out=None):
    # 1/(1+e^-x) as 0.5 (1 + tanh(x/2)), which never overflows; the last three steps work in the first one's array.
    y = np.asarray(np.multiply(x, 0.5, out=out))  # asarray: a 0-d input gives a numpy scalar, with no buffer to reuse
    np.tanh(y, out=y)
    y += 1.0
    y *= 0.5
    return y


@sigmoid.defgrad
def _sigmoid_grad(op, g):
    return (g * op * (1.0 - op),)  # d sigmoid = y (1 - y), reusing the forward output


@defop("Tanh", shape=same_shape, ufunc=np.tanh)
def tanh(x):
    return np.tanh(x)


@tanh.defgrad
def _tanh_grad(op, g):
    return (g * (1.0 - op * op),)  # d tanh = 1 - y^2


@defop("Relu", shape=same_shape, out=True)
def relu(x, out=None):
    """max(x, 0). Float arrays go through a compiled loop, 3-4x faster than np.maximum, which is slow on floats."""
    y = kernels.relu(x, out=out)
    return np.maximum(x, 0, out=out) if y is None else y


def _is_bias_add(op: Operation) -> bool:
    """Whether `op` adds a vector to the rows of a float matrix, as far as the static shapes and dtypes tell."""
    if op.dtype is None or op.dtype.kind != "f":
        return False
    x, b = op.inputs
    return x.shape is not None and len(x.shape) == 2 and x.shape[1] is not None and b.shape == x.shape[1:]


@deffusion(add_op, relu, applies=_is_bias_add)
def bias_relu(x: Any, b: Any, out: np.ndarray | None = None) -> np.ndarray:
    """relu(x + b) in one pass over x: a dense layer's bias add and activation, which a plan runs as one step when
    nothing else reads the sum (see `plan.passes.fuse`). The values are those of the two ops, bit for bit.

    The compiled loop takes a C-contiguous float32 or float64 matrix and a bias of its width and dtype; other inputs
    go through the two ops' numpy forms. Like the ops, it writes into `out` when given, and checks it first.
    """
    y = kernels.bias_relu(x, b, out=out)
    return relu.forward(np.add(x, b), out=out) if y is None else y


@relu.defgrad
def _relu_grad(op, g):
    return (relu_grad(g, op),)  # relu(x) > 0 exactly where x > 0, so the output serves as the mask


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
def relu6(x):
    """min(max(x, 0), 6)."""
    return np.minimum(np.maximum(x, 0), 6)


@relu6.defgrad
def _relu6_grad(op, g):
    x = op.inputs[0]
    return (select(logical_and(x > 0.0, x < 6.0), g, zeros_like(g)),)  # 0 at both kinks, as TF-1's Relu6Grad


@defop("LeakyRelu", shape=same_shape)
def leaky_relu_op(x, *, alpha):
    return np.where(x > 0, x, x * np.asarray(alpha, x.dtype))


@leaky_relu_op.defgrad
def _leaky_relu_grad(op, g):
    return (select(op.inputs[0] > 0.0, g, g * op.attrs["alpha"]),)  # alpha at 0 itself, as in TF-1


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Node:
    """x where x > 0, else alpha * x (TF-1 `nn.leaky_relu`)."""
    return leaky_relu_op(features, alpha=float(alpha), name=name)


@defop("Elu", shape=same_shape)
def elu(x):
    """x where x > 0, else exp(x) - 1 (computed with expm1, exact near 0)."""
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


@elu.defgrad
def _elu_grad(op, g):
    return (select(op.inputs[0] > 0.0, g, g * (op + 1.0)),)  # d elu = exp(x) = y + 1 for x <= 0


@defop("Softplus", shape=same_shape)
def softplus(x):
    """log(1 + exp(x)) as logaddexp(0, x), which neither overflows for large x nor loses small values."""
    return np.logaddexp(0, x).astype(np.result_type(x), copy=False)


@softplus.defgrad
def _softplus_grad(op, g):
    return (g * sigmoid(op.inputs[0]),)


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


def softmax(logits: Any, axis: int | None = None, name: str | None = None, dim: int | None = None) -> Node:
    """exp(x) / sum(exp(x)) along `axis` (last by default), stable for logits of any magnitude."""
    return softmax_op(logits, axis=_axis(axis, dim), name=name)


def log_softmax(logits: Any, axis: int | None = None, name: str | None = None, dim: int | None = None) -> Node:
    """log(softmax(x)) along `axis`, computed as x - max - log(sum(exp(x - max))) so it never takes log(0)."""
    return log_softmax_op(logits, axis=_axis(axis, dim), name=name)

"""Activations: sigmoid, tanh, relu, softmax, log_softmax, each computed without overflow."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.kernels import activation as kernels
from graphflow.nodes import Node, Operation
from graphflow.ops._util import add_reduce, max_reduce, same_shape
from graphflow.ops.elementwise import add, exp
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


@deffusion(add, relu, applies=_is_bias_add)
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

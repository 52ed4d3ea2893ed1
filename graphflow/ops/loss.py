"""Fused softmax cross-entropy. Composing softmax and log would take log(0) for confident logits; these compute
log-softmax with the max shifted out, so values and gradients stay finite for logits of any magnitude.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.graph import get_default_graph
from graphflow.kernels import xent
from graphflow.nodes import Node
from graphflow.ops._util import compatible
from graphflow.ops.activation import _softmax_grad, log_softmax_op, softmax_op
from graphflow.ops.reduction import broadcast_like, spread_source, sum_op, sum_to
from graphflow.ops.shape import one_hot
from graphflow.registry import constant, defop, same_dtype


def _xent_shape(labels, logits, **_):
    if not compatible(labels, logits):
        raise ValueError(f"labels {tuple(labels)} and logits {tuple(logits)} must have the same shape")
    shape = logits if logits is not None else labels
    return None if shape is None else tuple(shape[:-1])


@defop("SoftmaxCrossEntropyWithLogits", shape=_xent_shape)
def softmax_xent(labels, logits):
    """Per-example -sum(labels * log_softmax(logits)) over the last axis."""
    return -np.add.reduce(labels * log_softmax_op.forward(logits, axis=-1), axis=-1)


@softmax_xent.defgrad
def _softmax_xent_grad(op, g):
    # d/dlogits = softmax * sum(labels) - labels (just softmax - labels when each row of labels sums to 1)
    labels, logits = op.inputs
    g = _per_class(spread_source(g), logits)
    d_logits = softmax_op(logits, axis=-1) * sum_op(labels, axis=(-1,), keepdims=True) - labels
    return g * -log_softmax_op(logits, axis=-1), g * d_logits


def _per_class(g: Node, logits: Node) -> Node:
    """The loss's gradient `g`, one value per example, spread over the classes of `logits`; a 0-d `g` (a mean's
    gradient) is left for the product it goes into to broadcast."""
    return g if g.shape == () else broadcast_like(g, logits, axis=(-1,))


def _sparse_xent_shape(labels, logits, **_):
    if logits is not None and len(logits) < 1:
        raise ValueError("logits must have rank >= 1")
    if logits is not None and not compatible(labels, tuple(logits[:-1])):
        raise ValueError(f"labels {tuple(labels)} must have the shape of logits {tuple(logits)} without the last axis")
    return None if logits is None else tuple(logits[:-1])


def _sparse_xent_dtype(labels, logits, **_):
    if labels is not None and labels.kind not in "iu":
        raise TypeError(f"labels must be integer class indices, got {labels}")
    if logits is not None and logits.kind != "f":
        raise TypeError(f"logits must be floating point, got {logits}; convert them with gf.cast(logits, gf.float32)")
    return same_dtype(logits)


@defop("SparseSoftmaxCrossEntropyWithLogits", shape=_sparse_xent_shape, dtype=_sparse_xent_dtype, shape_of=0)
def sparse_softmax_xent_op(labels, logits):
    """Per-example −log softmax(logits)[label] for integer class labels, in compiled passes over the rows
    (`kernels.xent.sparse_xent`)."""
    return xent.sparse_xent(labels, logits)


@sparse_softmax_xent_op.defgrad
def _sparse_softmax_xent_grad(op, g):
    labels, logits = op.inputs
    return None, sparse_softmax_xent_grad(spread_source(g), labels, logits)


def _like_logits(g, labels, logits, **_):
    """The gradient's shape or dtype rule: those of the logits."""
    return logits


@defop("SparseSoftmaxCrossEntropyWithLogitsGrad", shape=_like_logits, dtype=_like_logits, out=True)
def sparse_softmax_xent_grad(g, labels, logits, out=None):
    """The cross-entropy's gradient for the logits, g · (softmax(logits) − one_hot(labels)), in compiled passes
    over the rows (`kernels.xent.sparse_xent`), into `out` if given (TF computes it alongside the loss, as its second
    output). `g` has the labels' shape, or is 0-d when the loss is averaged over every example."""
    return xent.sparse_xent(labels, logits, g, out)


@sparse_softmax_xent_grad.defgrad
def _sparse_softmax_xent_grad_grad(op, gg):
    # out = g · (p − y) with p = softmax(logits): linear in g; in the logits, softmax's gradient applied to g · gg.
    g, labels, logits = op.inputs
    p = softmax_op(logits, axis=-1)
    target = one_hot(labels, _classes(op, logits), dtype=logits.dtype or dtypes.float32)
    d_g = sum_to(sum_op(gg * (p - target), axis=(-1,), keepdims=False), g, operands=(labels,))  # g may be 0-d
    (d_logits,) = _softmax_grad(p, gg * _per_class(g, logits))
    return d_g, None, d_logits


def _classes(op, logits: Node) -> int:
    depth = None if logits.shape is None else logits.shape[-1]
    if depth is None:
        raise ValueError(
            f"'{op.name}': the gradient needs the number of classes, but the logits' last dimension is unknown; "
            "give the logits a static shape (e.g. from a dense layer)"
        )
    return depth


def sparse_softmax_xent(labels: Any, logits: Any, name: str | None = None) -> Node:
    """Per-example sparse softmax cross-entropy; `labels` given as Python ints or an integer array stay integers.

    (Calling the op directly would convert such labels to the logits' float dtype, the rule for ordinary operands.)
    """
    if not isinstance(labels, Node):
        with (logits.graph if isinstance(logits, Node) else get_default_graph()).as_default():
            labels = constant(labels)
    return sparse_softmax_xent_op(labels, logits, name=name)

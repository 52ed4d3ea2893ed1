"""Fused softmax cross-entropy. Composing softmax and log would take log(0) for confident logits; these compute
log-softmax with the max shifted out, so values and gradients stay finite for logits of any magnitude.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.graph import Node, get_default_graph
from graphflow.ops._util import compatible
from graphflow.ops.activation import _softmax_grad, log_softmax_op, softmax_op
from graphflow.ops.reduction import broadcast_like, sum_op
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
    g = broadcast_like(g, logits, axis=(-1,))
    d_logits = softmax_op(logits, axis=-1) * sum_op(labels, axis=(-1,), keepdims=True) - labels
    return g * -log_softmax_op(logits, axis=-1), g * d_logits


def _sparse_xent_shape(labels, logits, **_):
    if logits is not None and len(logits) < 1:
        raise ValueError("logits must have rank >= 1")
    if logits is not None and not compatible(labels, tuple(logits[:-1])):
        raise ValueError(f"labels {tuple(labels)} must have the shape of logits {tuple(logits)} without the last axis")
    return None if logits is None else tuple(logits[:-1])


def _sparse_xent_dtype(labels, logits, **_):
    if labels is not None and labels.kind not in "iu":
        raise TypeError(f"labels must be integer class indices, got {labels}")
    return same_dtype(logits)


@defop("SparseSoftmaxCrossEntropyWithLogits", shape=_sparse_xent_shape, dtype=_sparse_xent_dtype)
def sparse_softmax_xent_op(labels, logits):
    """Per-example -log_softmax(logits)[label] for integer class labels."""
    _check_labels(labels, logits.shape[-1])
    return -log_softmax_op.forward(logits, axis=-1)[_label_entries(labels)]


def _label_entries(labels: np.ndarray) -> tuple[np.ndarray, ...]:
    """The index of each label's entry in an array of the logits' shape: row by row, the labelled class."""
    return (*np.indices(labels.shape, sparse=True), labels)


def _check_labels(labels, classes: int) -> None:
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)].flat[0]
        raise ValueError(f"label {bad} is outside the valid range [0, {classes}) of the logits' last axis")


@sparse_softmax_xent_op.defgrad
def _sparse_softmax_xent_grad(op, g):
    labels, logits = op.inputs
    return None, sparse_softmax_xent_grad(g, labels, logits)


def _like_logits(g, labels, logits, **_):
    """The gradient's shape or dtype rule: those of the logits."""
    return logits


@defop("SparseSoftmaxCrossEntropyWithLogitsGrad", shape=_like_logits, dtype=_like_logits, out=True)
def sparse_softmax_xent_grad(g, labels, logits, out=None):
    """The cross-entropy's gradient for the logits, g · (softmax(logits) − one_hot(labels)), in one op: one array
    (a new one, or `out`), the labels' entries lowered by one in place (TF computes it alongside the loss, as its
    second output)."""
    _check_labels(labels, logits.shape[-1])  # before anything is written into `out`
    d = softmax_op.forward(logits, axis=-1, out=out)
    d[_label_entries(labels)] -= 1
    d *= np.expand_dims(g, -1)
    return d


@sparse_softmax_xent_grad.defgrad
def _sparse_softmax_xent_grad_grad(op, gg):
    # out = g · (p − y) with p = softmax(logits): linear in g; in the logits, softmax's gradient applied to g · gg.
    g, labels, logits = op.inputs
    p = softmax_op(logits, axis=-1)
    target = one_hot(labels, _classes(op, logits), dtype=logits.dtype or dtypes.float32)
    d_g = sum_op(gg * (p - target), axis=(-1,), keepdims=False)
    (d_logits,) = _softmax_grad(p, gg * broadcast_like(g, logits, axis=(-1,)))
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

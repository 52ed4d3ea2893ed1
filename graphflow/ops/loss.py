"""Fused softmax cross-entropy. Composing softmax and log would take log(0) for confident logits; these compute
log-softmax with the max shifted out, so values and gradients stay finite for logits of any magnitude.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.graph import get_default_graph
from graphflow.nodes import Node
from graphflow.ops._util import compatible, compute_dtype, jit, out_for
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


@jit
def _shifted_rows(logits, labels, out):
    """out[r] = logits[r] − max(logits[r]) for each row of 2-d `logits` (rows, classes); a NaN is the maximum, as in
    np.max. `out` may be `logits` itself. Returns the first row whose label is outside [0, classes), before anything
    is written, or −1."""
    rows, classes = logits.shape
    for r in range(rows):
        if labels[r] < 0 or labels[r] >= classes:
            return r
    for r in range(rows):
        z, shifted = logits[r], out[r]
        top = z[0]
        for j in range(1, classes):
            if z[j] > top or z[j] != z[j]:
                top = z[j]
        for j in range(classes):
            shifted[j] = z[j] - top
    return -1


@jit
def _xent_loss_rows(shifted, exps, labels, loss):
    """loss[r] = log Σ exp(z − m) − (z[label] − m) from the shifted logits z − m and their exponentials; the sum is
    taken in float64, so nothing is lost to rounding before the log."""
    rows, classes = shifted.shape
    for r in range(rows):
        total = 0.0
        for j in range(classes):
            total += exps[r, j]
        loss[r] = np.log(total) - shifted[r, labels[r]]


@jit
def _xent_grad_rows(exps, labels, g):
    """Turns the exponentials of each row's shifted logits into the gradient g[r] · (softmax − one_hot(label)), in
    place; the sum is taken in float64. `g` holds one factor per row, or a single one for every row."""
    rows, classes = exps.shape
    for r in range(rows):
        d = exps[r]
        total = 0.0
        for j in range(classes):
            total += d[j]
        factor = g[0] if g.size == 1 else g[r]
        label = labels[r]
        for j in range(classes):
            d[j] = (d[j] / total - (j == label)) * factor


def _xent(labels: np.ndarray, logits: np.ndarray, g: Any = None, out: np.ndarray | None = None) -> np.ndarray:
    """The sparse softmax cross-entropy of logits of any rank: the loss (shape labels.shape) without `g`, else the
    gradient for the logits (their shape), into `out` if given. float16 is computed in float32. Raises before writing
    into `out` when the labels, `g` or `out` do not fit.

    Three passes over the (rows, classes) logits, each fast: compiled loops shift each row by its maximum (so exp
    never overflows) and later sum and normalise, and numpy's exp, which uses the CPU's vector instructions, runs
    between them. One compiled loop calling a scalar exp per element was twice as slow (48 against 25 µs for 1024
    rows of 10 classes).
    """
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class indices, got {labels.dtype}")
    if labels.shape != logits.shape[:-1]:
        raise ValueError(
            f"labels of shape {labels.shape} do not fit logits of shape {logits.shape}: they need the "
            "logits' shape without its last axis"
        )
    classes = logits.shape[-1]
    dtype = compute_dtype(logits.dtype)
    rows = np.asarray(logits, dtype).reshape(labels.size, classes)  # not -1: there may be no classes
    flat_labels = labels.reshape(-1)
    if g is None:
        result = np.empty(labels.shape, dtype)
        shifted = np.empty(rows.shape, dtype)
    else:
        result = out_for(out if dtype == logits.dtype else None, logits.shape, dtype)
        shifted = result.reshape(rows.shape)
        g = np.asarray(g, dtype)
        if g.size != 1 or g.ndim > labels.ndim:  # one factor per row (a single one serves every row as it is)
            g = np.broadcast_to(g, labels.shape)
    bad = _shifted_rows(rows, flat_labels, shifted)
    if bad >= 0:
        raise ValueError(f"label {flat_labels[bad]} is outside the valid range [0, {classes}) of the logits' last axis")
    if g is None:
        _xent_loss_rows(shifted, np.exp(shifted), flat_labels, result.reshape(-1))
    else:
        _xent_grad_rows(np.exp(shifted, out=shifted), flat_labels, g.reshape(-1))
    if result.dtype == logits.dtype:
        return result
    if out is None:
        return result.astype(logits.dtype)  # float16: rounded back from float32
    np.copyto(out, result, casting="same_kind")
    return out


@defop("SparseSoftmaxCrossEntropyWithLogits", shape=_sparse_xent_shape, dtype=_sparse_xent_dtype, shape_of=0)
def sparse_softmax_xent_op(labels, logits):
    """Per-example −log softmax(logits)[label] for integer class labels, in compiled passes over the rows (`_xent`)."""
    return _xent(labels, logits)


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
    over the rows (`_xent`), into `out` if given (TF computes it alongside the loss, as its second output). `g` has
    the labels' shape, or is 0-d when the loss is averaged over every example."""
    return _xent(labels, logits, g, out)


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

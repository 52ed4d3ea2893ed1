"""The sparse softmax cross-entropy and its gradient as compiled passes over the rows of the logits: a dozen numpy
calls on a (batch, 10) array become three passes (3.8 µs instead of about 35 µs at batch 32), with every row shifted
by its maximum so that exp never overflows and each sum taken in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.kernels.base import Kernel, compute_dtype, jit, out_for, register


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


def sparse_xent(labels: np.ndarray, logits: np.ndarray, g: Any = None, out: np.ndarray | None = None) -> np.ndarray:
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


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _loss_reference(labels: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """−log softmax(logits)[label], in float64, rounded to the logits' dtype."""
    wide = _log_softmax(logits.astype(np.float64))
    return (-np.take_along_axis(wide, labels[..., None], axis=-1)[..., 0]).astype(logits.dtype)


def _grad_reference(g: np.ndarray, labels: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """g · (softmax(logits) − one_hot(labels)), in float64, rounded to the logits' dtype."""
    target = np.eye(logits.shape[-1])[labels]
    wide = np.exp(_log_softmax(logits.astype(np.float64)))
    return (g.astype(np.float64)[..., None] * (wide - target)).astype(logits.dtype)


def _example(rng: np.random.Generator, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Labels and logits of rank 3 (4, 6) x 5, some large enough that exp would overflow without the shift."""
    logits = rng.normal(0, 3, (4, 6, 5)).astype(dtype)
    logits[1, 2] *= 300
    return rng.integers(0, 5, (4, 6)), logits


register(
    Kernel(
        "sparse_xent",
        lambda labels, logits: sparse_xent(labels, logits),
        _loss_reference,
        _example,
        out=False,
        tolerance=20,
    )
)
register(
    Kernel(
        "sparse_xent_grad",
        lambda g, labels, logits, out=None: sparse_xent(labels, logits, g, out),
        _grad_reference,
        lambda rng, dtype: (rng.normal(size=(4, 6)).astype(dtype), *_example(rng, dtype)),
        in_place=(2,),
        tolerance=20,
    )
)

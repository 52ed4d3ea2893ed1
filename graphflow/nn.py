"""The `gf.nn` namespace (TF-1 `tf.nn`): activations and the numerically stable cross-entropies."""

from __future__ import annotations

from typing import Any

from graphflow.nodes import Node
from graphflow.ops.activation import elu, leaky_relu, log_softmax, relu, relu6, sigmoid, softmax, softplus, tanh
from graphflow.ops.elementwise import add, square
from graphflow.ops.loss import softmax_xent, sparse_softmax_xent
from graphflow.ops.reduction import reduce_sum
from graphflow.ops.shape import stop_gradient

__all__ = [
    "bias_add", "elu", "l2_loss", "leaky_relu", "log_softmax", "relu", "relu6", "sigmoid", "softmax",
    "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2", "softplus",
    "sparse_softmax_cross_entropy_with_logits", "tanh",
]  # fmt: skip


def _keywords_only(sentinel: Any, function: str) -> None:
    if sentinel is not None:
        raise ValueError(f"Only call `{function}` with named arguments (labels=..., logits=...)")


def _last_axis(axis: Any, dim: Any, function: str) -> None:
    chosen = axis if axis is not None else dim
    if chosen not in (None, -1):
        raise ValueError(f"{function}: only the last axis is supported as the class axis, got {chosen}")


def softmax_cross_entropy_with_logits_v2(
    _sentinel: Any = None,
    labels: Any = None,
    logits: Any = None,
    axis: int | None = None,
    name: str | None = None,
    dim: int | None = None,
) -> Node:
    """Per-example cross-entropy between `labels` (a distribution per row) and softmax(`logits`).

    Stable for logits of any magnitude (computed from a shifted log-softmax, never log(softmax)). Gradients flow into
    both labels and logits, as in TF-1's v2.

    Args:
        labels: shape (batch, classes); each row a probability distribution.
        logits: shape (batch, classes), unscaled scores.

    Returns:
        Shape (batch,): -sum(labels * log_softmax(logits)) per row.
    """
    _keywords_only(_sentinel, "softmax_cross_entropy_with_logits_v2")
    _last_axis(axis, dim, "softmax_cross_entropy_with_logits_v2")
    return softmax_xent(labels, logits, name=name)


def softmax_cross_entropy_with_logits(
    _sentinel: Any = None,
    labels: Any = None,
    logits: Any = None,
    dim: int = -1,
    name: str | None = None,
    axis: int | None = None,
) -> Node:
    """As `softmax_cross_entropy_with_logits_v2`, but like TF-1's v1 no gradient flows into `labels`."""
    _keywords_only(_sentinel, "softmax_cross_entropy_with_logits")
    _last_axis(axis, dim, "softmax_cross_entropy_with_logits")
    if isinstance(labels, Node):
        labels = stop_gradient(labels)
    return softmax_xent(labels, logits, name=name)


def sparse_softmax_cross_entropy_with_logits(
    _sentinel: Any = None, labels: Any = None, logits: Any = None, name: str | None = None
) -> Node:
    """Per-example cross-entropy for integer class `labels` (shape (batch,)) and `logits` (batch, classes).

    A label outside [0, classes) raises an error naming the op, instead of silently giving NaN.
    """
    _keywords_only(_sentinel, "sparse_softmax_cross_entropy_with_logits")
    return sparse_softmax_xent(labels, logits, name=name)


def bias_add(value: Any, bias: Any, name: str | None = None) -> Node:
    """`value + bias`, the bias broadcast along the last axis (TF-1 `nn.bias_add`)."""
    return add(value, bias, name=name or "BiasAdd")


def l2_loss(t: Any, name: str | None = None) -> Node:
    """sum(t ** 2) / 2 (TF-1 `nn.l2_loss`), for weight decay."""
    return reduce_sum(square(t), name=name) * 0.5

"""The `gf.losses` namespace (TF-1 `tf.losses`): losses reduced to a scalar, with optional weights.

By default a loss is the weighted sum divided by the number of non-zero weights (TF-1's `SUM_BY_NONZERO_WEIGHTS`),
which for the default weight of 1 is the plain mean.
"""

from __future__ import annotations

from typing import Any

from graphflow.graph import get_default_graph
from graphflow.nn import sigmoid_cross_entropy_with_logits
from graphflow.nodes import Node
from graphflow.ops.comparison import not_equal
from graphflow.ops.elementwise import add_n, square, subtract
from graphflow.ops.loss import softmax_xent, sparse_softmax_xent
from graphflow.ops.piecewise import maximum
from graphflow.ops.reduction import reduce_mean, reduce_sum
from graphflow.ops.shape import cast, ones_like, stop_gradient
from graphflow.registry import convert_inputs

__all__ = [
    "Reduction",
    "compute_weighted_loss",
    "get_losses",
    "get_total_loss",
    "mean_squared_error",
    "sigmoid_cross_entropy",
    "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
]


class Reduction:
    """How a loss's per-element values become the result (TF-1 `tf.losses.Reduction`)."""

    NONE = "none"
    SUM = "weighted_sum"
    MEAN = "weighted_mean"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    ALL = (NONE, SUM, MEAN, SUM_OVER_BATCH_SIZE, SUM_BY_NONZERO_WEIGHTS)


LOSSES = "losses"


def compute_weighted_loss(
    losses: Node,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Node:
    """Applies `weights` (a number, or a node broadcastable to `losses`) and `reduction` to per-element `losses`."""
    if reduction not in Reduction.ALL:
        raise ValueError(f"reduction must be one of gf.losses.Reduction's values, got {reduction!r}")
    plain_weight = isinstance(weights, int | float)
    weighted = losses if plain_weight and weights == 1 else losses * weights
    if reduction == Reduction.NONE:
        result = weighted
    elif reduction == Reduction.SUM:
        result = reduce_sum(weighted)
    elif plain_weight and reduction != Reduction.MEAN:
        # A single weight: every element counts (none is zero-weighted unless the weight itself is 0).
        result = reduce_mean(weighted) if weights != 0 else reduce_sum(weighted) * 0.0
    else:
        full_weights = ones_like(losses) * weights
        if reduction == Reduction.MEAN:
            count = reduce_sum(full_weights)
        elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
            count = reduce_sum(ones_like(losses))
        else:
            count = reduce_sum(cast(not_equal(full_weights, 0.0), full_weights.dtype or "float32"))
        result = reduce_sum(weighted) / maximum(count, 1e-12 if reduction == Reduction.MEAN else 1.0)
    if loss_collection:
        get_default_graph().add_to_collection(loss_collection, result)
    return result


def mean_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Node:
    """Weighted mean of (predictions - labels)**2 over every element."""
    labels, predictions = convert_inputs((labels, predictions), "mean_squared_error")
    return compute_weighted_loss(square(subtract(predictions, labels)), weights, scope, loss_collection, reduction)


def softmax_cross_entropy(
    onehot_labels: Any,
    logits: Any,
    weights: Any = 1.0,
    label_smoothing: float = 0.0,
    scope: str | None = None,
    loss_collection: str | None = LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Node:
    """Mean softmax cross-entropy over the batch, for one-hot (or smoothed) labels; stable for large logits.

    `label_smoothing` s replaces labels by labels * (1 - s) + s / classes. No gradient flows into the labels.
    """
    onehot_labels, logits = convert_inputs((onehot_labels, logits), "softmax_cross_entropy")
    if label_smoothing:
        classes = onehot_labels.shape[-1] if onehot_labels.shape is not None else None
        if classes is None:
            raise ValueError("label_smoothing needs the number of classes: give onehot_labels a static last dimension")
        onehot_labels = onehot_labels * (1.0 - label_smoothing) + label_smoothing / classes
    per_example = softmax_xent(stop_gradient(onehot_labels), logits)
    return compute_weighted_loss(per_example, weights, scope, loss_collection, reduction)


def sigmoid_cross_entropy(
    multi_class_labels: Any,
    logits: Any,
    weights: Any = 1.0,
    label_smoothing: float = 0.0,
    scope: str | None = None,
    loss_collection: str | None = LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Node:
    """Mean sigmoid cross-entropy over every element, for labels in [0, 1] (one column per independent class).

    `label_smoothing` s replaces labels by labels * (1 - s) + s / 2. Stable for logits of any magnitude.
    """
    labels, logits = convert_inputs((multi_class_labels, logits), "sigmoid_cross_entropy")
    if label_smoothing:
        labels = labels * (1.0 - label_smoothing) + 0.5 * label_smoothing
    per_element = sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    return compute_weighted_loss(per_element, weights, scope, loss_collection, reduction)


def sparse_softmax_cross_entropy(
    labels: Any,
    logits: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Node:
    """Mean softmax cross-entropy over the batch for integer class labels of shape (batch,)."""
    return compute_weighted_loss(sparse_softmax_xent(labels, logits), weights, scope, loss_collection, reduction)


def get_losses(loss_collection: str = LOSSES) -> list[Node]:
    """The losses built so far in the default graph."""
    return get_default_graph().get_collection(loss_collection)


def get_total_loss(add_regularization_losses: bool = True, name: str = "total_loss") -> Node:
    """The sum of every loss built in the default graph (and of the regularization losses, if any were added)."""
    losses = get_losses()
    if add_regularization_losses:
        losses += get_default_graph().get_collection("regularization_losses")
    if not losses:
        raise ValueError("No losses have been built in the default graph")
    return add_n(losses, name=name)


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports

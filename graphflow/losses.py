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
    """Applies `weights` and `reduction` to per-element `losses` (TF-1 `losses.compute_weighted_loss`).

    Args:
        losses: a tensor of per-element losses.
        weights: a number, or a tensor broadcastable to the per-element losses (0 drops an element).
        scope: accepted for TF-1 compatibility; the nodes are built in the current name scope.
        loss_collection: the collection the loss joins ("losses"; None for none), which `get_total_loss` sums.
        reduction: a `gf.losses.Reduction` value; by default the weighted sum divided by the number of non-zero weights.

    Returns:
        A scalar, or `losses`' shape with `Reduction.NONE`.

    Raises:
        ValueError: an unknown `reduction`.

    Examples:
        >>> loss = gf.losses.compute_weighted_loss(gf.constant([1.0, 3.0]), weights=[1.0, 0.0])
        >>> print(gf.Session().run(loss))
        1.0
    """
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
    """The weighted mean of (predictions - labels)² over every element (TF-1 `losses.mean_squared_error`).

    Args:
        labels: the targets.
        predictions: the outputs, of `labels`' shape.
        weights: a number, or a tensor broadcastable to the per-element losses (0 drops an element).
        scope: accepted for TF-1 compatibility; the nodes are built in the current name scope.
        loss_collection: the collection the loss joins ("losses"; None for none), which `get_total_loss` sums.
        reduction: a `gf.losses.Reduction` value; by default the weighted sum divided by the number of non-zero weights.

    Returns:
        A scalar loss (per element with `Reduction.NONE`).

    Gradient: d predictions = 2 (predictions - labels) g / n, n the count the reduction divides by.

    Examples:
        >>> loss = gf.losses.mean_squared_error([1.0, 2.0], gf.constant([1.0, 4.0]))
        >>> print(gf.Session().run(loss))
        2.0
    """
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
    """The mean softmax cross-entropy over the batch, for one-hot (or smoothed) labels (TF-1).

    Stable for large logits. No gradient flows into the labels.

    Args:
        onehot_labels: shape (batch, classes), each row a distribution.
        logits: shape (batch, classes), unscaled scores.
        weights: a number, or a tensor broadcastable to the per-element losses (0 drops an element).
        label_smoothing: s replaces the labels by labels (1 - s) + s / classes.
        scope: accepted for TF-1 compatibility; the nodes are built in the current name scope.
        loss_collection: the collection the loss joins ("losses"; None for none), which `get_total_loss` sums.
        reduction: a `gf.losses.Reduction` value; by default the weighted sum divided by the number of non-zero weights.

    Returns:
        A scalar loss (per example with `Reduction.NONE`).

    Raises:
        ValueError: `label_smoothing` with an unknown number of classes.

    Gradient: d logits = (softmax(logits) - labels) g / n per row.

    Examples:
        >>> loss = gf.losses.softmax_cross_entropy([[0.0, 1.0]], gf.zeros([1, 2]))
        >>> print(gf.Session().run(loss))
        0.6931472
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
    """The mean sigmoid cross-entropy over every element, for labels in [0, 1] (TF-1 `losses.sigmoid_cross_entropy`).

    One column per independent class; stable for logits of any magnitude.

    Args:
        multi_class_labels: labels in [0, 1], of `logits`' shape.
        logits: unscaled scores.
        weights: a number, or a tensor broadcastable to the per-element losses (0 drops an element).
        label_smoothing: s replaces the labels by labels (1 - s) + s / 2.
        scope: accepted for TF-1 compatibility; the nodes are built in the current name scope.
        loss_collection: the collection the loss joins ("losses"; None for none), which `get_total_loss` sums.
        reduction: a `gf.losses.Reduction` value; by default the weighted sum divided by the number of non-zero weights.

    Returns:
        A scalar loss (per element with `Reduction.NONE`).

    Gradient: d logits = (sigmoid(logits) - labels) g / n.

    Examples:
        >>> loss = gf.losses.sigmoid_cross_entropy([[1.0]], gf.zeros([1, 1]))
        >>> print(gf.Session().run(loss))
        0.6931472
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
    """The mean softmax cross-entropy over the batch for integer class labels (TF-1).

    Args:
        labels: integer classes, shape (batch,).
        logits: shape (batch, classes), unscaled scores.
        weights: a number, or a tensor broadcastable to the per-element losses (0 drops an element).
        scope: accepted for TF-1 compatibility; the nodes are built in the current name scope.
        loss_collection: the collection the loss joins ("losses"; None for none), which `get_total_loss` sums.
        reduction: a `gf.losses.Reduction` value; by default the weighted sum divided by the number of non-zero weights.

    Returns:
        A scalar loss (per example with `Reduction.NONE`).

    Gradient: d logits = (softmax(logits) - one_hot(labels)) g / n per row.

    Examples:
        >>> loss = gf.losses.sparse_softmax_cross_entropy([1], gf.zeros([1, 2]))
        >>> print(gf.Session().run(loss))
        0.6931472
    """
    return compute_weighted_loss(sparse_softmax_xent(labels, logits), weights, scope, loss_collection, reduction)


def get_losses(scope: str | None = None, loss_collection: str = LOSSES) -> list[Node]:
    """The losses built so far in the default graph (TF-1 `losses.get_losses`).

    Args:
        scope: if given, only losses whose name starts with it.
        loss_collection: the collection to read.

    Returns:
        A list of nodes, in the order they were built.

    Examples:
        >>> with gf.Graph().as_default():
        ...     _ = gf.losses.mean_squared_error([1.0], gf.constant([2.0]))
        ...     len(gf.losses.get_losses())
        1
    """
    return [
        x for x in get_default_graph().get_collection(loss_collection) if scope is None or x.op_name.startswith(scope)
    ]


def get_total_loss(add_regularization_losses: bool = True, name: str = "total_loss", scope: str | None = None) -> Node:
    """The sum of every loss built in the default graph, regularization losses included (TF-1).

    Args:
        add_regularization_losses: also add the "regularization_losses" collection (from `kernel_regularizer`).
        name: the node's name.
        scope: if given, only losses whose name starts with it.

    Returns:
        A scalar node.

    Raises:
        ValueError: no losses have been built.

    Examples:
        >>> with gf.Graph().as_default():
        ...     _ = gf.losses.mean_squared_error([1.0], gf.constant([3.0]))
        ...     print(gf.Session().run(gf.losses.get_total_loss()))
        4.0
    """
    losses = get_losses(scope)
    if add_regularization_losses:
        losses += get_losses(scope, "regularization_losses")
    if not losses:
        raise ValueError("No losses have been built in the default graph")
    return add_n(losses, name=name)


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports

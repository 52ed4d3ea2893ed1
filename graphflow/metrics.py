"""`gf.metrics` (TF-1 `tf.metrics`): streaming metrics that accumulate over many runs in local variables.

Each metric returns `(value, update_op)`: running `update_op` adds a batch to the running totals (and gives the
updated value), running `value` reads the metric so far. The totals are local variables (collections
`GraphKeys.LOCAL_VARIABLES` and `METRIC_VARIABLES`), not trainable and not saved; `gf.local_variables_initializer()`
resets them to zero, as in TF-1.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphflow import dtypes
from graphflow.graph import get_default_graph
from graphflow.nodes import Node
from graphflow.ops.comparison import equal, greater
from graphflow.ops.elementwise import divide, multiply, where
from graphflow.ops.reduction import reduce_sum
from graphflow.ops.shape import cast, ones_like, zeros_like
from graphflow.ops.state import assign_add
from graphflow.registry import as_node
from graphflow.variables import Variable

__all__ = ["accuracy", "mean"]

LOCAL_VARIABLES = "local_variables"
METRIC_VARIABLES = "metric_variables"


def mean(
    values: Any,
    weights: Any = None,
    metrics_collections: Iterable[str] | None = None,
    updates_collections: Iterable[str] | None = None,
    name: str | None = None,
) -> tuple[Node, Node]:
    """The running (weighted) mean of every element of `values` seen by `update_op` (TF-1 `metrics.mean`).

    Args:
        values: a float tensor of any shape.
        weights: None, or a tensor broadcastable to `values` weighting each element.
        metrics_collections, updates_collections: graph collections the value and the update op join.
        name: the name scope (default "mean").

    Returns:
        `(mean, update_op)`: `total / count` from local variables `total` and `count`, and the op that adds this
        batch and gives the updated mean. Both are 0 before any update. No gradient.

    Examples:
        loss_avg, update = gf.metrics.mean(loss)
    """
    graph = get_default_graph()
    with graph.name_scope(name or "mean"):
        values = cast(as_node(values), dtypes.float32)
        weights = (
            ones_like(values)
            if weights is None
            else multiply(cast(as_node(weights), dtypes.float32), ones_like(values))
        )
        total = _local_zero("total")
        count = _local_zero("count")
        update_total = assign_add(total, reduce_sum(multiply(values, weights)))
        update_count = assign_add(count, reduce_sum(weights))
        value = _safe_div(total, count, "value")
        update_op = _safe_div(update_total, update_count, "update_op")
    for key in metrics_collections or ():
        graph.add_to_collection(key, value)
    for key in updates_collections or ():
        graph.add_to_collection(key, update_op)
    return value, update_op


def accuracy(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Iterable[str] | None = None,
    updates_collections: Iterable[str] | None = None,
    name: str | None = None,
) -> tuple[Node, Node]:
    """The running fraction of `predictions` equal to `labels` (TF-1 `metrics.accuracy`).

    Args:
        labels: a tensor of class ids (or any values), the shape of `predictions`.
        predictions: a tensor of predicted ids, e.g. `gf.argmax(logits, 1)`; cast to labels' dtype.
        weights: None, or a tensor broadcastable to `labels` weighting each prediction.
        metrics_collections, updates_collections: graph collections the value and the update op join.
        name: the name scope (default "accuracy").

    Returns:
        `(accuracy, update_op)`: local variables `accuracy/total` and `accuracy/count` hold the sums over every
        batch `update_op` saw; `accuracy` is total / count (0 before any update). No gradient.

    Examples:
        acc, acc_update = gf.metrics.accuracy(labels, gf.argmax(logits, 1))
        sess.run(acc_update, feed); print(sess.run(acc))
    """
    labels = as_node(labels)
    predictions = as_node(predictions)
    if labels.dtype is not None and predictions.dtype != labels.dtype:
        predictions = cast(predictions, labels.dtype)
    is_correct = cast(equal(predictions, labels), dtypes.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections, name or "accuracy")


def _local_zero(name: str) -> Variable:
    return Variable(0.0, trainable=False, name=name, dtype=dtypes.float32,
                    collections=[LOCAL_VARIABLES, METRIC_VARIABLES])  # fmt: skip


def _safe_div(numerator: Node, denominator: Node, name: str) -> Node:
    positive = greater(denominator, zeros_like(denominator))
    return where(positive, divide(numerator, where(positive, denominator, ones_like(denominator))),
                 zeros_like(numerator), name=name)  # fmt: skip


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports

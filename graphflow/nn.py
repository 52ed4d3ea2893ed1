"""The `gf.nn` namespace (TF-1 `tf.nn`): activations and the numerically stable cross-entropies."""

from __future__ import annotations

from typing import Any

from graphflow import dtypes
from graphflow.graph import get_default_graph
from graphflow.nodes import Node
from graphflow.ops import random
from graphflow.ops._util import compatible
from graphflow.ops.activation import elu, leaky_relu, log_softmax, relu, relu6, sigmoid, softmax, softplus, tanh
from graphflow.ops.array import gather
from graphflow.ops.comparison import greater_equal
from graphflow.ops.comparison import in_top_k as in_top_k_op
from graphflow.ops.dims import squeeze
from graphflow.ops.elementwise import (
    add,
    exp,
    log1p,
    maximum,
    minimum,
    multiply,
    rsqrt,
    select,
    sqrt,
    square,
    squared_difference,
    subtract,
)
from graphflow.ops.loss import softmax_xent, sparse_softmax_xent
from graphflow.ops.reduction import reduce_mean, reduce_sum
from graphflow.ops.shape import identity, ones_like, stop_gradient, zeros_like
from graphflow.registry import convert_inputs

__all__ = [
    "batch_normalization", "bias_add", "dropout", "elu", "embedding_lookup", "in_top_k", "l2_loss", "l2_normalize",
    "leaky_relu", "log_softmax", "moments", "relu", "relu6",
    "sigmoid", "sigmoid_cross_entropy_with_logits", "softmax", "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2", "softplus", "sparse_softmax_cross_entropy_with_logits", "tanh",
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


def sigmoid_cross_entropy_with_logits(
    _sentinel: Any = None, labels: Any = None, logits: Any = None, name: str | None = None
) -> Node:
    """Elementwise cross-entropy between `labels` in [0, 1] and sigmoid(`logits`), for independent classes.

    Computed as TF-1 does, max(x, 0) - x * z + log1p(exp(-|x|)), which never overflows; the branches are picked with
    `where` on x >= 0, so the gradient is sigmoid(x) - z everywhere, x = 0 included.

    Raises:
        ValueError: labels and logits have different static shapes.
    """
    _keywords_only(_sentinel, "sigmoid_cross_entropy_with_logits")
    labels, logits = convert_inputs((labels, logits), "sigmoid_cross_entropy_with_logits")
    if not compatible(labels.shape, logits.shape):
        raise ValueError(
            f"sigmoid_cross_entropy_with_logits: labels '{labels.op.name}' {labels.shape} and logits "
            f"'{logits.op.name}' {logits.shape} must have the same shape"
        )
    zeros = zeros_like(logits)
    positive = greater_equal(logits, zeros)
    relu_logits = select(positive, logits, zeros)
    neg_abs_logits = select(positive, -logits, logits)
    return add(relu_logits - logits * labels, log1p(exp(neg_abs_logits)), name=name or "logistic_loss")


def l2_normalize(x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None, dim: Any = None) -> Node:
    """x / sqrt(max(sum(x ** 2, axis), epsilon)) (TF-1 `nn.l2_normalize`); a zero vector stays zero."""
    axis = axis if axis is not None else dim
    square_sum = reduce_sum(square(x), axis, keepdims=True)
    return multiply(x, rsqrt(maximum(square_sum, epsilon)), name=name or "l2_normalize")


def moments(
    x: Any, axes: Any, shift: Any = None, name: str | None = None, keep_dims: Any = None, keepdims: Any = None
) -> tuple[Node, Node]:
    """The mean and variance of `x` over `axes` (TF-1 `nn.moments`; `shift` is accepted and unused, as in TF-1).

    As in TF-1, the variance is the mean of squared_difference(x, stop_gradient(mean)): its gradient treats the
    mean as a constant, which gives the same value since the deviations sum to zero.
    """
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with get_default_graph().name_scope(name or "moments"):
        mean = reduce_mean(x, axes, keepdims=True)
        variance = reduce_mean(squared_difference(x, stop_gradient(mean)), axes, keepdims=True)
        if not keep:
            mean, variance = squeeze(mean, axes), squeeze(variance, axes)
    return mean, variance


def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    offset: Any,
    scale: Any,
    variance_epsilon: float,
    name: str | None = None,
) -> Node:
    """(x - mean) / sqrt(variance + variance_epsilon) * scale + offset (TF-1 `nn.batch_normalization`).

    Built as TF-1 builds it, x * inv + (offset - mean * inv) with inv = scale * rsqrt(variance + epsilon), from
    elementwise ops, so gradients flow into every input. The statistics broadcast against x: shape (features,) for
    the last axis, or keep the reduced axes (`moments(..., keep_dims=True)`).

    Args:
        x: the input, of any shape.
        mean, variance: the statistics to normalise with (e.g. from `gf.nn.moments`).
        offset: beta, added after scaling; None for none.
        scale: gamma, multiplied after normalising; None for none.
        variance_epsilon: a small float added to the variance, so that a zero variance divides by sqrt(epsilon).

    Returns:
        The normalised x, of x's shape.
    """
    with get_default_graph().name_scope(name or "batchnorm"):
        given = [t for t in (x, mean, variance, offset, scale) if t is not None]
        converted = iter(convert_inputs(given, "batch_normalization"))
        x, mean, variance = next(converted), next(converted), next(converted)
        offset = next(converted) if offset is not None else None
        scale = next(converted) if scale is not None else None
        inv = rsqrt(add(variance, variance_epsilon))
        if scale is not None:
            inv = multiply(inv, scale)
        shift = subtract(offset, mean * inv) if offset is not None else -(mean * inv)
        return add(multiply(x, inv), shift, name="add_1")


def dropout(
    x: Any,
    keep_prob: Any = None,
    noise_shape: Any = None,
    seed: int | None = None,
    name: str | None = None,
    rate: Any = None,
) -> Node:
    """Each element of `x` kept with probability `keep_prob` and scaled by 1 / keep_prob, else 0 (TF-1
    `nn.dropout`), so the expected value is x. A new mask is drawn at every run, and the gradient uses the same one.

    Args:
        x: a float tensor.
        keep_prob: a number in (0, 1] or a scalar float node (e.g. a placeholder fed 0.5 in training, 1.0 in
            evaluation). Give it or `rate`, not both.
        noise_shape: the mask's shape, broadcast against x: e.g. [batch, 1] keeps or drops whole rows; None
            entries take x's dimensions.
        seed: the op seed (with the graph seed, `gf.set_random_seed`, as in TF-1).
        rate: the probability of dropping, 1 - keep_prob.

    Raises:
        ValueError: both or neither of keep_prob and rate are given, a number outside (0, 1], or x is not float.
    """
    if (keep_prob is None) == (rate is None):
        raise ValueError("dropout: give exactly one of keep_prob and rate (rate = 1 - keep_prob)")
    (x,) = convert_inputs((x,), "dropout")
    if x.dtype is not None and x.dtype.kind != "f":
        raise ValueError(
            f"dropout: x has to be a floating point tensor since it is scaled, got '{x.op.name}' of dtype {x.dtype}; "
            "cast it with gf.cast(x, gf.float32)"
        )
    if keep_prob is None:
        keep_prob = 1.0 - rate
    if not isinstance(keep_prob, Node):
        if not 0.0 < float(keep_prob) <= 1.0:
            given = f"rate {rate}" if rate is not None else f"keep_prob {keep_prob}"
            raise ValueError(f"dropout: keep_prob must be in (0, 1] (rate in [0, 1)), got {given}")
        if float(keep_prob) == 1.0:
            return x  # nothing is dropped, as TF-1 returns x itself
    elif keep_prob.dtype is not None and not dtypes.is_floating(keep_prob.dtype):
        raise TypeError(f"dropout: keep_prob must be a float, got '{keep_prob.op.name}' of dtype {keep_prob.dtype}")
    with get_default_graph().name_scope(name or "dropout"):
        x, keep_prob = convert_inputs((x, keep_prob), "dropout")
        return random.dropout(x, keep_prob, noise_shape, seed)


def in_top_k(predictions: Any, targets: Any, k: int, name: str | None = None) -> Node:
    """Whether each target class is among the `k` highest predictions of its row (TF-1 `nn.in_top_k`).

    Args:
        predictions: shape (batch, classes), float scores.
        targets: shape (batch,), int32 or int64 class ids.
        k: how many of the highest scores count.
        name: the op's name.

    Returns:
        Shape (batch,), bool. Ties with the k-th score count as in the top k, as in TF-1; a row whose target score is
        not finite, or a target outside [0, classes), gives False. No gradient.

    Example:
        correct = gf.reduce_sum(gf.cast(gf.nn.in_top_k(logits, labels, 1), gf.int32))
    """
    return in_top_k_op(predictions, targets, k=int(k), name=name)


def embedding_lookup(
    params: Any,
    ids: Any,
    partition_strategy: str = "mod",
    name: str | None = None,
    validate_indices: bool = True,
    max_norm: float | None = None,
) -> Node:
    """The rows of `params` picked by `ids` (TF-1 `nn.embedding_lookup`).

    Args:
        params: a (vocabulary, dims...) tensor or variable, or a list holding one (TF-1's partitioned tables are
            not supported beyond one part).
        ids: int32 or int64 ids of any shape, each in [0, vocabulary).
        partition_strategy, validate_indices: accepted for TF-1's signature.
        name: the op's name.
        max_norm: if given, rows whose L2 norm is larger are scaled down to it.

    Returns:
        Shape `ids.shape + params.shape[1:]`. Gradient: a scatter-add of g into zeros of params' shape (TF-1 gives
        the same values as `IndexedSlices`).

    Example:
        embedded = gf.nn.embedding_lookup(embeddings, word_ids)
    """
    if isinstance(params, list | tuple):
        if len(params) != 1:
            raise ValueError(f"embedding_lookup: params split into {len(params)} parts is not supported; pass one")
        params = params[0]
    rows = gather(params, ids)
    if max_norm is None:
        return identity(rows, name=name) if name is not None else rows
    norm = sqrt(reduce_sum(square(rows), axis=-1, keepdims=True))
    return multiply(rows, minimum(ones_like(norm), max_norm / maximum(norm, 1e-30)), name=name)

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
    multiply,
    rsqrt,
    select,
    sqrt,
    square,
    squared_difference,
    subtract,
)
from graphflow.ops.loss import softmax_xent, sparse_softmax_xent
from graphflow.ops.piecewise import maximum, minimum
from graphflow.ops.reduction import reduce_mean, reduce_sum
from graphflow.ops.shape import identity, ones_like, stop_gradient, zeros_like
from graphflow.registry import convert_inputs, public

__all__ = [
    "batch_normalization", "bias_add", "dropout", "elu", "embedding_lookup", "in_top_k", "l2_loss", "l2_normalize",
    "leaky_relu", "log_softmax", "moments", "relu", "relu6",
    "sigmoid", "sigmoid_cross_entropy_with_logits", "softmax", "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2", "softplus", "sparse_softmax_cross_entropy_with_logits", "tanh",
]  # fmt: skip


def _last_axis(axis: Any, dim: Any, function: str) -> None:
    chosen = axis if axis is not None else dim
    if chosen not in (None, -1):
        raise ValueError(f"{function}: only the last axis is supported as the class axis, got {chosen}")


@public
def softmax_cross_entropy_with_logits_v2(
    *,
    labels: Any = None,
    logits: Any = None,
    axis: int | None = None,
    name: str | None = None,
    dim: int | None = None,
) -> Node:
    """Per-example cross-entropy between `labels` (a distribution per row) and softmax(`logits`) (TF-1).

    Stable for logits of any magnitude (computed from a shifted log-softmax, never log(softmax)). Gradients flow into
    both labels and logits, as in TF-1's v2. labels and logits are keyword-only: TF-1 refused positional calls too,
    since swapping them is silent.

    Args:
        labels: shape (batch, classes); each row a probability distribution.
        logits: shape (batch, classes), unscaled scores.
        axis: the class axis; only the last (-1, the default) is supported.
        name: the node's name.
        dim: TF-1's older name for `axis`.

    Returns:
        Shape (batch,): -sum(labels * log_softmax(logits)) per row.

    Raises:
        ValueError: a class axis other than the last.

    Gradient: d logits = g (softmax(logits) - labels); d labels = -g log_softmax(logits).

    Examples:
        >>> xent = gf.nn.softmax_cross_entropy_with_logits_v2(labels=[[0.0, 1.0]], logits=[[0.0, 0.0]])
        >>> gf.Session().run(xent)
        array([0.6931472], dtype=float32)
    """
    _last_axis(axis, dim, "softmax_cross_entropy_with_logits_v2")
    return softmax_xent(labels, logits, name=name)


@public
def softmax_cross_entropy_with_logits(
    *,
    labels: Any = None,
    logits: Any = None,
    dim: int = -1,
    name: str | None = None,
    axis: int | None = None,
) -> Node:
    """Per-example cross-entropy between `labels` and softmax(`logits`); no gradient flows into `labels` (TF-1 v1).

    labels and logits are keyword-only: TF-1 refused positional calls too, since swapping them is silent.

    Args:
        labels: shape (batch, classes); each row a probability distribution.
        logits: shape (batch, classes), unscaled scores.
        dim: the class axis; only the last (-1, the default) is supported.
        name: the node's name.
        axis: the newer name for `dim`.

    Returns:
        Shape (batch,): -sum(labels * log_softmax(logits)) per row.

    Raises:
        ValueError: a class axis other than the last.

    Gradient: d logits = g (softmax(logits) - labels); none for labels.

    Examples:
        >>> xent = gf.nn.softmax_cross_entropy_with_logits(labels=[[0.0, 1.0]], logits=[[0.0, 0.0]])
        >>> gf.Session().run(xent)
        array([0.6931472], dtype=float32)
    """
    _last_axis(axis, dim, "softmax_cross_entropy_with_logits")
    if isinstance(labels, Node):
        labels = stop_gradient(labels)
    return softmax_xent(labels, logits, name=name)


@public
def sparse_softmax_cross_entropy_with_logits(
    *, labels: Any = None, logits: Any = None, name: str | None = None
) -> Node:
    """Per-example cross-entropy for integer class `labels` and `logits` (TF-1).

    A label outside [0, classes) raises an error naming the op, instead of silently giving NaN. labels and logits are
    keyword-only: TF-1 refused positional calls too, since swapping them is silent.

    Args:
        labels: integer class indices, shape (batch,).
        logits: unscaled scores, shape (batch, classes).
        name: the node's name.

    Returns:
        Shape (batch,): -log_softmax(logits)[i, labels[i]] per row.

    Gradient: d logits = g (softmax(logits) - one_hot(labels)); none for labels.

    Examples:
        >>> xent = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1], logits=gf.zeros([1, 2]))
        >>> gf.Session().run(xent)
        array([0.6931472], dtype=float32)
    """
    return sparse_softmax_xent(labels, logits, name=name)


@public
def bias_add(value: Any, bias: Any, data_format: str | None = None, name: str | None = None) -> Node:
    """`value + bias`, the bias added along the last axis (TF-1 `nn.bias_add`).

    Args:
        value: shape (..., channels).
        bias: shape (channels,).
        data_format: None, "NHWC" or "N...C" (channels last); "NCHW" is not supported.
        name: the node's name ("BiasAdd" by default).

    Returns:
        A tensor of `value`'s shape.

    Raises:
        NotImplementedError: a channels-first `data_format`.

    Gradient: d value = g; d bias = g summed over every axis but the last.

    Examples:
        >>> y = gf.nn.bias_add(gf.zeros([2, 3]), [1.0, 2.0, 3.0])
        >>> gf.Session().run(y)[1]
        array([1., 2., 3.], dtype=float32)
    """
    if data_format not in (None, "NHWC", "N...C"):
        raise NotImplementedError(
            f"bias_add: data_format={data_format!r} is not supported; the bias is added along the last axis"
        )
    return add(value, bias, name=name or "BiasAdd")


@public
def l2_loss(t: Any, name: str | None = None) -> Node:
    """sum(t²) / 2 (TF-1 `nn.l2_loss`), for weight decay.

    Args:
        t: a tensor of any shape.
        name: the node's name.

    Returns:
        A scalar of `t`'s dtype.

    Gradient: d t = g t.

    Examples:
        >>> print(gf.Session().run(gf.nn.l2_loss(gf.constant([1.0, 2.0]))))
        2.5
    """
    return reduce_sum(square(t), name=name) * 0.5


@public
def sigmoid_cross_entropy_with_logits(*, labels: Any = None, logits: Any = None, name: str | None = None) -> Node:
    """Elementwise cross-entropy between `labels` in [0, 1] and sigmoid(`logits`), for independent classes (TF-1).

    Computed as TF-1 does, max(x, 0) - x z + log1p(exp(-|x|)), which never overflows; the branches are picked with
    `where` on x >= 0, so the gradient is sigmoid(x) - z everywhere, x = 0 included. labels and logits are keyword-only:
    TF-1 refused positional calls too, since swapping them is silent.

    Args:
        labels: z, of `logits`' shape, values in [0, 1].
        logits: x, of any shape.
        name: the node's name ("logistic_loss" by default).

    Returns:
        A tensor of `logits`' shape.

    Raises:
        ValueError: labels and logits have different static shapes.

    Gradient: d logits = g (sigmoid(x) - z); d labels = -g x.

    Examples:
        >>> loss = gf.nn.sigmoid_cross_entropy_with_logits(labels=[1.0], logits=[0.0])
        >>> gf.Session().run(loss)
        array([0.6931472], dtype=float32)
    """
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


@public
def l2_normalize(x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None, dim: Any = None) -> Node:
    """x / sqrt(max(sum(x², axis), epsilon)) (TF-1 `nn.l2_normalize`); a zero vector stays zero.

    Args:
        x: a tensor of any shape.
        axis: the axis or axes to normalise over; all when None.
        epsilon: the lower bound of the squared norm.
        name: the node's name.
        dim: TF-1's older name for `axis`.

    Returns:
        A tensor of `x`'s shape with unit L2 norm along `axis`.

    Gradient: through its elementwise ops (x rsqrt(max(sum x², epsilon))).

    Examples:
        >>> gf.Session().run(gf.nn.l2_normalize(gf.constant([3.0, 4.0])))
        array([0.6, 0.8], dtype=float32)
    """
    axis = axis if axis is not None else dim
    square_sum = reduce_sum(square(x), axis, keepdims=True)
    return multiply(x, rsqrt(maximum(square_sum, epsilon)), name=name or "l2_normalize")


@public
def moments(
    x: Any, axes: Any, shift: Any = None, name: str | None = None, keep_dims: Any = None, keepdims: Any = None
) -> tuple[Node, Node]:
    """The mean and variance of `x` over `axes` (TF-1 `nn.moments`), e.g. for batch normalisation.

    As in TF-1, the variance is the mean of squared_difference(x, stop_gradient(mean)): its gradient treats the mean
    as a constant, which gives the same value since the deviations sum to zero.

    Args:
        x: a tensor.
        axes: the axes to reduce, e.g. [0] for a batch's per-feature statistics.
        shift: accepted and unused, as in TF-1.
        name: the scope of the nodes ("moments").
        keep_dims: keep the reduced axes with length 1.
        keepdims: the newer name for `keep_dims`.

    Returns:
        A (mean, variance) pair of tensors.

    Gradient: through reduce_mean and squared_difference.

    Examples:
        >>> mean, var = gf.nn.moments(gf.constant([1.0, 3.0]), axes=[0])
        >>> print(*gf.Session().run([mean, var]))
        2.0 1.0
    """
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with get_default_graph().name_scope(name or "moments"):
        mean = reduce_mean(x, axes, keepdims=True)
        variance = reduce_mean(squared_difference(x, stop_gradient(mean)), axes, keepdims=True)
        if not keep:
            mean, variance = squeeze(mean, axes), squeeze(variance, axes)
    return mean, variance


@public
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
        mean: the mean to normalise with (e.g. from `gf.nn.moments`).
        variance: the variance to normalise with.
        offset: beta, added after scaling; None for none.
        scale: gamma, multiplied after normalising; None for none.
        variance_epsilon: a small float added to the variance, so that a zero variance divides by sqrt(epsilon).
        name: the scope of the nodes ("batchnorm").

    Returns:
        The normalised x, of x's shape.

    Gradient: through its elementwise ops, into x, mean, variance, offset and scale.

    Examples:
        >>> y = gf.nn.batch_normalization(gf.constant([1.0, 3.0]), 2.0, 1.0, None, None, 0.0)
        >>> gf.Session().run(y)
        array([-1.,  1.], dtype=float32)
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


@public
def dropout(
    x: Any,
    keep_prob: Any = None,
    noise_shape: Any = None,
    seed: int | None = None,
    name: str | None = None,
    rate: Any = None,
) -> Node:
    """Each element of `x` kept with probability `keep_prob` and scaled by 1 / keep_prob, else 0 (TF-1 `nn.dropout`).

    The expected value is x. A new mask is drawn at every run, and the gradient uses the same one.

    Args:
        x: a float tensor.
        keep_prob: a number in (0, 1] or a scalar float node (e.g. a placeholder fed 0.5 in training, 1.0 in
            evaluation). Give it or `rate`, not both.
        noise_shape: the mask's shape, broadcast against x: e.g. [batch, 1] keeps or drops whole rows; None
            entries take x's dimensions.
        seed: the op seed (with the graph seed, `gf.set_random_seed`, as in TF-1).
        name: the scope of the nodes ("dropout").
        rate: the probability of dropping, 1 - keep_prob.

    Returns:
        A tensor of `x`'s shape (`x` itself when keep_prob is 1).

    Raises:
        ValueError: both or neither of keep_prob and rate are given, a number outside (0, 1], or x is not float.

    Gradient: d x = g mask / keep_prob, with the run's mask.

    Examples:
        >>> y = gf.nn.dropout(gf.ones([4]), keep_prob=0.5, seed=1)
        >>> sorted(set(gf.Session().run(y).tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
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


@public
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

    Examples:
        correct = gf.reduce_sum(gf.cast(gf.nn.in_top_k(logits, labels, 1), gf.int32))
    """
    return in_top_k_op(predictions, targets, k=int(k), name=name)


@public
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

    Examples:
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


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports

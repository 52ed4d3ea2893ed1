"""`gf.layers.dense`, a fully connected layer built from graph ops, its variables made by `get_variable` in a
variable scope of its own so that a second call with `reuse=True` shares them; `gf.layers.dropout`, which drops
only while training; and `gf.layers.batch_normalization`, which normalises with the batch's statistics while
training and with its moving averages otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow import dtypes, initializers, nn
from graphflow.control_flow import cond
from graphflow.graph import get_default_graph
from graphflow.nodes import Node
from graphflow.ops.array import stack
from graphflow.ops.dims import shape, size
from graphflow.ops.elementwise import add, multiply
from graphflow.ops.linalg import matmul, transpose
from graphflow.ops.piecewise import maximum
from graphflow.ops.shape import cast, identity, reshape
from graphflow.registry import as_node
from graphflow.train.moving_averages import assign_moving_average
from graphflow.variable_scope import get_variable, variable_scope

__all__ = ["batch_normalization", "dense", "dropout", "flatten"]


def dense(
    inputs: Any,
    units: int,
    activation: Callable[[Node], Node] | None = None,
    use_bias: bool = True,
    kernel_initializer: Callable[..., Node] | None = None,
    bias_initializer: Callable[..., Node] | None = None,
    kernel_regularizer: Callable[[Node], Node] | None = None,
    bias_regularizer: Callable[[Node], Node] | None = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
) -> Node:
    """`activation(inputs @ kernel + bias)` (TF-1 `tf.layers.dense`).

    The layer opens a variable scope (`dense`, `dense_1`, ... or `name`) holding the variables `kernel` (shape
    (in, units), Glorot-uniform by default) and `bias` (shape (units,), zeros by default). Random initial values come
    from the graph seed (`gf.set_random_seed`), never from numpy's global random state. Calling it again with the
    same `name` and `reuse=True` (or inside a reusing `variable_scope`) builds the layer on the same variables.

    Args:
        inputs: shape (batch, in); `in` must be known when the graph is built.
        units: the number of outputs.
        activation: e.g. `gf.nn.relu`; None for a linear layer.
        kernel_regularizer, bias_regularizer: functions of the variable whose results join the
            "regularization_losses" collection.
        reuse: True or `gf.AUTO_REUSE` to use the variables of an earlier layer of the same name.

    Returns:
        The layer's output, shape (batch, units).
    """
    inputs = as_node(inputs)
    if inputs.shape is None or len(inputs.shape) < 2 or inputs.shape[-1] is None:
        raise ValueError(
            f"dense: the last dimension of '{inputs.op_name}' must be known to size the kernel, got shape "
            f"{inputs.shape}; give the placeholder a shape such as [None, 784]"
        )
    if not isinstance(units, int) or units < 1:
        raise ValueError(f"dense: units must be a positive int, got {units!r}")
    dtype = inputs.dtype or "float32"
    kernel_initializer = kernel_initializer or initializers.glorot_uniform()
    bias_initializer = bias_initializer or initializers.zeros()
    with variable_scope(name, default_name="dense", reuse=reuse):
        shape = (inputs.shape[-1], units)
        kernel = get_variable("kernel", shape, dtype, kernel_initializer, kernel_regularizer, trainable)
        outputs = matmul(inputs, kernel)
        if use_bias:
            bias = get_variable("bias", (units,), dtype, bias_initializer, bias_regularizer, trainable)
            outputs = add(outputs, bias, name="BiasAdd")
        if activation is not None:
            outputs = activation(outputs)
    return outputs


def dropout(
    inputs: Any,
    rate: float = 0.5,
    noise_shape: Any = None,
    seed: int | None = None,
    training: Any = False,
    name: str | None = None,
) -> Node:
    """`gf.nn.dropout(inputs, rate=rate)` while training, `inputs` unchanged otherwise (TF-1 `tf.layers.dropout`).

    Args:
        inputs: a float tensor.
        rate: the fraction of elements to drop (not the fraction kept, unlike nn.dropout's keep_prob).
        noise_shape: the mask's shape, broadcast against `inputs` (see `gf.nn.dropout`).
        seed: the op seed.
        training: a Python bool, or a scalar bool node such as `gf.placeholder(gf.bool, [])`; for a node a
            `gf.cond` picks the branch at run time, so no mask is drawn when not training.
        name: the scope of the nodes ("dropout").

    Returns:
        A tensor of `inputs`' shape.

    Examples:
        >>> y = gf.layers.dropout(gf.ones([3]), rate=0.5, training=False)
        >>> gf.Session().run(y)
        array([1., 1., 1.], dtype=float32)
    """
    with get_default_graph().name_scope(name or "dropout"):
        if isinstance(training, Node):
            return cond(
                training,
                lambda: nn.dropout(inputs, noise_shape=noise_shape, seed=seed, rate=rate),
                lambda: identity(inputs),
            )
        if training:
            return nn.dropout(inputs, noise_shape=noise_shape, seed=seed, rate=rate)
        return identity(inputs)


def batch_normalization(
    inputs: Any,
    axis: int = -1,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
    center: bool = True,
    scale: bool = True,
    beta_initializer: Callable[..., Node] | None = None,
    gamma_initializer: Callable[..., Node] | None = None,
    moving_mean_initializer: Callable[..., Node] | None = None,
    moving_variance_initializer: Callable[..., Node] | None = None,
    beta_regularizer: Callable[[Node], Node] | None = None,
    gamma_regularizer: Callable[[Node], Node] | None = None,
    training: Any = False,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
    fused: bool | None = None,
) -> Node:
    """Batch normalisation over every axis but `axis` (TF-1 `tf.layers.batch_normalization`).

    The layer opens a variable scope (`batch_normalization`, `batch_normalization_1`, ... or `name`) holding
    `gamma` and `beta` (shape (channels,), trainable) and `moving_mean` and `moving_variance` (non-trainable). While
    training it normalises with the batch's mean and variance and adds two ops to `GraphKeys.UPDATE_OPS` that move
    the moving statistics towards the batch's: moving -= (moving - batch) * (1 - momentum). As in TF-1, nothing runs
    them unless the train op depends on them::

        with gf.control_dependencies(gf.get_collection(gf.GraphKeys.UPDATE_OPS)):
            train = optimizer.minimize(loss)

    Otherwise it normalises with the moving statistics.

    Args:
        inputs: e.g. shape (batch, features) or NHWC (batch, height, width, channels); the rank and the size of
            `axis` must be known when the graph is built.
        axis: the axis of the features (channels), kept; the statistics are taken over all the others.
        momentum: the moving averages' decay.
        epsilon: added to the variance before its square root.
        center, scale: whether to add `beta` and multiply by `gamma`.
        training: a Python bool, or a scalar bool node such as `gf.placeholder(gf.bool, [])`. For a node, a
            `gf.cond` picks the statistics at run time, and the update ops are conds too, so a run fed False
            neither computes the batch's statistics nor changes the moving ones, even when it runs the updates.
        fused: as TF-1's fused kernel does, update the moving variance with the unbiased batch variance (times
            n / (n - 1), n the number of values per channel); None means True for 4-D inputs with `axis` 1 or 3,
            as in TF-1. The output is normalised with the biased variance either way.
        reuse: True or `gf.AUTO_REUSE` to use the variables of an earlier layer of the same name.

    Returns:
        The normalised inputs, of their shape.

    Raises:
        ValueError: the rank or the size of `axis` is unknown, or `axis` is out of range.
    """
    inputs = as_node(inputs)
    if inputs.shape is None:
        raise ValueError(f"batch_normalization: the rank of '{inputs.op_name}' must be known, got an unknown shape")
    ndims = len(inputs.shape)
    axis = axis[0] if isinstance(axis, list | tuple) and len(axis) == 1 else axis
    if not isinstance(axis, int) or not -ndims <= axis < ndims:
        raise ValueError(f"batch_normalization: axis {axis!r} is out of range for '{inputs.op_name}' {inputs.shape}")
    axis %= ndims
    channels = inputs.shape[axis]
    if channels is None:
        raise ValueError(
            f"batch_normalization: axis {axis} of '{inputs.op_name}' {inputs.shape} must be known to size gamma"
        )
    reduction_axes = [i for i in range(ndims) if i != axis]
    if fused is None:
        fused = ndims == 4 and axis in (1, 3)
    dtype = inputs.dtype or dtypes.float32
    with variable_scope(name, default_name="batch_normalization", reuse=reuse):
        gamma = beta = None
        if scale:
            init = gamma_initializer or initializers.ones()
            gamma = get_variable("gamma", (channels,), dtype, init, gamma_regularizer, trainable)
        if center:
            init = beta_initializer or initializers.zeros()
            beta = get_variable("beta", (channels,), dtype, init, beta_regularizer, trainable)
        init = moving_mean_initializer or initializers.zeros()
        moving_mean = get_variable("moving_mean", (channels,), dtype, init, trainable=False)
        init = moving_variance_initializer or initializers.ones()
        moving_variance = get_variable("moving_variance", (channels,), dtype, init, trainable=False)

        def along_axis(t: Node | None) -> Node | None:
            if t is None or axis == ndims - 1:
                return t  # a (channels,) vector broadcasts along the last axis as it is
            return reshape(t, [channels if i == axis else 1 for i in range(ndims)])

        def normalize(mean: Node, variance: Node) -> Node:
            p = [along_axis(t) for t in (mean, variance, beta, gamma)]
            return nn.batch_normalization(inputs, *p, variance_epsilon=epsilon)

        def with_batch_statistics() -> tuple[Node, Node, Node]:
            mean, variance = nn.moments(inputs, reduction_axes)
            return normalize(mean, variance), mean, variance

        if isinstance(training, Node):
            outputs, mean, variance = cond(
                training,
                with_batch_statistics,
                lambda: (normalize(moving_mean, moving_variance), moving_mean, moving_variance),
                name="cond",
            )
        elif training:
            outputs, mean, variance = with_batch_statistics()
        else:
            return normalize(moving_mean, moving_variance)

        def update_mean() -> Node:
            return assign_moving_average(moving_mean, mean, momentum)

        def update_variance() -> Node:
            value = _unbiased(variance, inputs, channels) if fused else variance
            return assign_moving_average(moving_variance, value, momentum)

        graph = get_default_graph()
        for update, var in ((update_mean, moving_mean), (update_variance, moving_variance)):
            if isinstance(training, Node):
                # As TF-1's smart_cond: a run fed False reads the variable instead of assigning it.
                op = cond(training, update, lambda v=var: identity(v), name="cond")
            else:
                op = update()
            graph.add_to_collection("update_ops", op)
    return outputs


def _unbiased(variance: Node, inputs: Node, channels: int) -> Node:
    """variance * n / max(n - 1, 1), n the number of values per channel (taken at run time when the batch size is
    unknown), as TF-1's fused kernel corrects it: a single value per channel keeps its variance, 0."""
    if inputs.shape.is_fully_defined():
        n = inputs.shape.num_elements() // channels
        return multiply(variance, n / max(n - 1.0, 1.0))
    n = cast(size(inputs), variance.dtype) / float(channels)
    return multiply(variance, n / maximum(n - 1.0, 1.0))


def flatten(inputs: Any, name: str | None = None, data_format: str = "channels_last") -> Node:
    """Flattens every axis but the first (TF-1 `layers.flatten`): (batch, d1, d2, ...) becomes (batch, d1*d2*...).

    Args:
        inputs: a tensor of rank 2 or more; the axes after the first should be known when the graph is built
            (otherwise the product is taken at run time).
        name: the op's name.
        data_format: "channels_last" or "channels_first"; both flatten the same elements in row-major order
            (TF-1 moves the channels last first for "channels_first").

    Returns:
        Shape (batch, product of the other dimensions). Gradient: g reshaped back.

    Examples:
        features = gf.layers.flatten(images)  # (batch, 28, 28, 1) -> (batch, 784)
    """
    inputs = as_node(inputs)
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"flatten: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    if inputs.shape is not None and len(inputs.shape) >= 2 and data_format == "channels_first":
        inputs = transpose(inputs, [0, *range(2, len(inputs.shape)), 1])
    rest = None if inputs.shape is None else inputs.shape[1:]
    if rest is not None and None not in rest:
        return reshape(inputs, [-1, int(np.prod(rest, dtype=np.int64))], name=name)
    return reshape(inputs, stack([shape(inputs)[0], -1]), name=name)


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports

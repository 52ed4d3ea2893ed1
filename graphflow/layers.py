"""`gf.layers.dense`, a fully connected layer built from graph ops, its variables made by `get_variable` in a
variable scope of its own so that a second call with `reuse=True` shares them; and `gf.layers.dropout`, which drops
only while training."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow import initializers, nn
from graphflow.control_flow import cond
from graphflow.graph import get_default_graph
from graphflow.nodes import Node
from graphflow.ops.elementwise import add
from graphflow.ops.linalg import matmul
from graphflow.ops.shape import identity
from graphflow.registry import as_node
from graphflow.variable_scope import get_variable, variable_scope


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
        rate: the fraction of elements to drop (not the fraction kept, unlike nn.dropout's keep_prob).
        training: a Python bool, or a scalar bool node such as `gf.placeholder(gf.bool, [])`; for a node a
            `gf.cond` picks the branch at run time, so no mask is drawn when not training.
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

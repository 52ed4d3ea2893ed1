"""`gf.layers.dense`, a fully connected layer built from graph ops with its variables in its own name scope, and
`gf.layers.dropout`, which drops only while training."""

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
from graphflow.variables import Variable


def dense(
    inputs: Any,
    units: int,
    activation: Callable[[Node], Node] | None = None,
    use_bias: bool = True,
    kernel_initializer: Callable[..., Node] | None = None,
    bias_initializer: Callable[..., Node] | None = None,
    trainable: bool = True,
    name: str | None = None,
) -> Node:
    """`activation(inputs @ kernel + bias)` (TF-1 `tf.layers.dense`).

    The layer opens a name scope (`dense`, `dense_1`, ... or `name`) holding the variables `kernel` (shape
    (in, units), Glorot-uniform by default) and `bias` (shape (units,), zeros by default). Random initial values come
    from the graph seed (`gf.set_random_seed`), never from numpy's global random state.

    Args:
        inputs: shape (batch, in); `in` must be known when the graph is built.
        units: the number of outputs.
        activation: e.g. `gf.nn.relu`; None for a linear layer.

    Returns:
        The layer's output, shape (batch, units).
    """
    inputs = as_node(inputs)
    if inputs.shape is None or len(inputs.shape) < 2 or inputs.shape[-1] is None:
        raise ValueError(
            f"dense: the last dimension of '{inputs.name}' must be known to size the kernel, got shape "
            f"{inputs.shape}; give the placeholder a shape such as [None, 784]"
        )
    if not isinstance(units, int) or units < 1:
        raise ValueError(f"dense: units must be a positive int, got {units!r}")
    dtype = inputs.dtype or "float32"
    kernel_initializer = kernel_initializer or initializers.glorot_uniform()
    bias_initializer = bias_initializer or initializers.zeros()
    with get_default_graph().name_scope(name or "dense"):
        # Callables, as TF-1's get_variable takes them: the variable builds its initial value as an initializer.
        kernel = Variable(lambda: kernel_initializer((inputs.shape[-1], units), dtype=dtype), trainable, name="kernel")
        outputs = matmul(inputs, kernel)
        if use_bias:
            bias = Variable(lambda: bias_initializer((units,), dtype=dtype), trainable, name="bias")
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

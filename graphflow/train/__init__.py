"""The `gf.train` namespace: optimizers, the global step and (with MNIST) the checkpoint `Saver`."""

from __future__ import annotations

import numpy as np

from graphflow.graph import Graph, get_default_graph
from graphflow.train.adagrad import AdagradOptimizer
from graphflow.train.adam import AdamOptimizer
from graphflow.train.checkpoint_state import list_variables, load_variable
from graphflow.train.learning_rate import (
    exponential_decay,
    inverse_time_decay,
    natural_exp_decay,
    piecewise_constant,
    polynomial_decay,
)
from graphflow.train.momentum import MomentumOptimizer
from graphflow.train.moving_averages import ExponentialMovingAverage
from graphflow.train.optimizer import GradientDescentOptimizer, Optimizer
from graphflow.train.rmsprop import RMSPropOptimizer
from graphflow.train.saver import CheckpointError, Saver, get_checkpoint_state, latest_checkpoint
from graphflow.variables import Variable

__all__ = [
    "AdagradOptimizer",
    "AdamOptimizer",
    "CheckpointError",
    "ExponentialMovingAverage",
    "GradientDescentOptimizer",
    "MomentumOptimizer",
    "Optimizer",
    "RMSPropOptimizer",
    "Saver",
    "create_global_step",
    "exponential_decay",
    "get_checkpoint_state",
    "get_global_step",
    "get_or_create_global_step",
    "inverse_time_decay",
    "latest_checkpoint",
    "list_variables",
    "load_variable",
    "natural_exp_decay",
    "piecewise_constant",
    "polynomial_decay",
]  # fmt: skip

GLOBAL_STEP = "global_step"


def get_global_step(graph: Graph | None = None) -> Variable | None:
    """The graph's global step variable, or None if it has none (TF-1 `train.get_global_step`).

    Args:
        graph: the graph to look in; the default graph when None.

    Returns:
        The int64 scalar `gf.Variable` named `global_step`, or None.

    Examples:
        >>> with gf.Graph().as_default():
        ...     gf.train.get_global_step() is None
        True
    """
    steps = (graph or get_default_graph()).get_collection(GLOBAL_STEP)
    return steps[0] if steps else None


def create_global_step(graph: Graph | None = None) -> Variable:
    """A non-trainable int64 scalar variable named `global_step`, starting at 0 (TF-1 `train.create_global_step`).

    `minimize(loss, global_step=step)` adds 1 to it at every training step.

    Args:
        graph: the graph to create it in; the default graph when None.

    Returns:
        The new `gf.Variable`.

    Raises:
        ValueError: the graph already has a global step.

    Examples:
        >>> with gf.Graph().as_default():
        ...     gf.train.create_global_step().op_name
        'global_step'
    """
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError("global_step already exists")
    with graph.as_default(), graph.name_scope(None):
        step = Variable(np.zeros((), np.int64), False, name="global_step", collections=["variables", GLOBAL_STEP])
    return step


def get_or_create_global_step(graph: Graph | None = None) -> Variable:
    """The graph's global step, created on first use (TF-1 `train.get_or_create_global_step`).

    Args:
        graph: the graph; the default graph when None.

    Returns:
        The int64 scalar `gf.Variable` named `global_step`.

    Examples:
        >>> with gf.Graph().as_default():
        ...     gf.train.get_or_create_global_step() is gf.train.get_or_create_global_step()
        True
    """
    step = get_global_step(graph)  # not `or`: a node has no truth value
    return step if step is not None else create_global_step(graph)


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports

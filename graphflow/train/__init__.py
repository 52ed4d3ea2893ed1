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
    "natural_exp_decay",
    "piecewise_constant",
    "polynomial_decay",
]  # fmt: skip

GLOBAL_STEP = "global_step"


def get_global_step(graph: Graph | None = None) -> Variable | None:
    """The graph's global step variable, or None if it has none."""
    steps = (graph or get_default_graph()).get_collection(GLOBAL_STEP)
    return steps[0] if steps else None


def create_global_step(graph: Graph | None = None) -> Variable:
    """A non-trainable int64 scalar variable named `global_step`, starting at 0 (TF-1)."""
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError("global_step already exists")
    with graph.as_default(), graph.name_scope(None):
        step = Variable(np.zeros((), np.int64), False, name="global_step", collections=["variables", GLOBAL_STEP])
    return step


def get_or_create_global_step(graph: Graph | None = None) -> Variable:
    """The graph's global step, created on first use (TF-1 `train.get_or_create_global_step`)."""
    step = get_global_step(graph)  # not `or`: a node has no truth value
    return step if step is not None else create_global_step(graph)


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports

"""graphflow: a TensorFlow 1.x style computational graph framework on numpy.

`import graphflow as gf` (or `as tf`), build a graph of placeholders, variables and ops, differentiate it with
`gf.gradients` or an optimizer, and run it in a `gf.Session`. This module only re-exports the public API.
"""

from graphflow import data, debugging, dtypes, errors, initializers, layers, losses, nn, summary, train
from graphflow.control_flow import cond, while_loop
from graphflow.debugging import check_numerics
from graphflow.dtypes import as_dtype, bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from graphflow.gradients import gradients
from graphflow.graph import Graph, control_dependencies, get_default_graph, name_scope, reset_default_graph, topo_order
from graphflow.nodes import Constant, Node, Operation, Placeholder
from graphflow.ops import (
    absolute,
    add,
    add_n,
    argmax,
    assign,
    assign_add,
    assign_sub,
    cast,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    group,
    identity,
    less,
    less_equal,
    log,
    log_softmax,
    matmul,
    maximum,
    minimum,
    multiply,
    negative,
    newaxis,
    no_op,
    not_equal,
    one_hot,
    ones,
    ones_like,
    power,
    random_normal,
    random_uniform,
    reduce_max,
    reduce_mean,
    reduce_sum,
    relu,
    reshape,
    set_random_seed,
    sigmoid,
    sign,
    slice_,
    softmax,
    sqrt,
    square,
    stop_gradient,
    strided_slice,
    subtract,
    tanh,
    transpose,
    truncated_normal,
    where,
    zeros,
    zeros_like,
)
from graphflow.registry import OPS, RegisterGradient, as_node, constant, defop
from graphflow.session import GraphGrowthWarning, InteractiveSession, Session, get_default_session
from graphflow.shapes import TensorShape
from graphflow.variables import Variable
from graphflow.version import __version__

bool = bool_
abs = absolute
pow = power
truediv = realdiv = divide
slice = slice_  # TF-1's name; it shadows the builtin in this module only
convert_to_tensor = as_node
Tensor = Node


class GraphKeys:
    """Names of the standard collections (TF-1 `tf.GraphKeys`)."""

    GLOBAL_VARIABLES = "variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    LOSSES = "losses"
    GLOBAL_STEP = "global_step"
    SUMMARIES = summary.summaries.SUMMARIES


def placeholder(dtype=None, shape=None, name=None) -> Placeholder:
    """An input fed at run time (TF-1 `placeholder`).

    Args:
        dtype: e.g. `gf.float32`; when None, the node takes the dtype of whatever is fed (a list of Python floats
            becomes float64, as numpy makes it).
        shape: e.g. `[None, 784]`: None marks a dimension of any size; None for any shape.
        name: the node's name (made unique in the graph).
    """
    graph = get_default_graph()
    return Placeholder(graph, graph.unique_name(name or "Placeholder"), (), as_dtype(dtype), shape)


def global_variables(scope: str | None = None) -> list[Variable]:
    """Every variable of the default graph (including optimizer slots), in creation order."""
    return _scoped(get_default_graph().get_collection("variables"), scope)


def trainable_variables(scope: str | None = None) -> list[Variable]:
    """The variables optimizers update by default, in creation order."""
    return _scoped(get_default_graph().get_collection("trainable_variables"), scope)


def _scoped(variables: list, scope: str | None) -> list:
    return [v for v in variables if scope is None or v.op_name.startswith(scope)]


def variables_initializer(var_list, name: str = "init") -> Operation:
    """An op that sets each variable in `var_list` to its initial value in the session that runs it."""
    var_list = list(var_list)
    with (var_list[0].graph if var_list else get_default_graph()).role_scope("initializer"):
        return group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer() -> Operation:
    """An op that (re)initialises every variable of the default graph (TF-1)."""
    return variables_initializer(global_variables())


def get_collection(key: str, scope: str | None = None) -> list:
    return _scoped(get_default_graph().get_collection(key), scope)


def add_to_collection(name: str, value) -> None:
    get_default_graph().add_to_collection(name, value)


def __getattr__(name: str):
    # `gf.viz` works without `import graphflow.viz`, yet `import graphflow` loads none of viz until it is used.
    if name == "viz":
        import importlib

        return importlib.import_module("graphflow.viz")
    raise AttributeError(f"module 'graphflow' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "viz"])

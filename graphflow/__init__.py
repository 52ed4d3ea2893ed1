"""graphflow: a TensorFlow 1.x style computational graph framework on numpy.

`import graphflow as gf` (or `as tf`), build a graph of placeholders, variables and ops, differentiate it with
`gf.gradients` or an optimizer, and run it in a `gf.Session`. This module only re-exports the public API.
"""

from graphflow import (
    app,
    config,
    data,
    debugging,
    dtypes,
    errors,
    gfile,
    initializers,
    layers,
    losses,
    math,
    metrics,
    nn,
    summary,
    train,
)
from graphflow import tf_logging as logging
from graphflow.config import device
from graphflow.control_flow import cond, while_loop
from graphflow.debugging import check_numerics
from graphflow.dtypes import as_dtype, bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from graphflow.gradients import gradients, hessians
from graphflow.graph import Graph, control_dependencies, get_default_graph, name_scope, reset_default_graph, topo_order
from graphflow.initializers import (
    constant_initializer,
    glorot_normal_initializer,
    glorot_uniform_initializer,
    ones_initializer,
    random_normal_initializer,
    random_uniform_initializer,
    truncated_normal_initializer,
    variance_scaling_initializer,
    zeros_initializer,
)
from graphflow.nodes import Constant, Node, Operation, Placeholder
from graphflow.ops import (
    Print,
    absolute,
    add,
    add_n,
    argmax,
    argmin,
    assign,
    assign_add,
    assign_sub,
    cast,
    clip_by_value,
    concat,
    cos,
    count_nonzero,
    div,
    divide,
    equal,
    exp,
    expand_dims,
    fill,
    floor,
    floordiv,
    floormod,
    gather,
    greater,
    greater_equal,
    group,
    identity,
    less,
    less_equal,
    log,
    log1p,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
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
    pad,
    placeholder_with_default,
    power,
    print_v2,
    random_normal,
    random_uniform,
    range_,
    rank,
    reciprocal,
    reduce_all,
    reduce_any,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    relu,
    reshape,
    round_,
    rsqrt,
    set_random_seed,
    sigmoid,
    sign,
    sin,
    size,
    slice_,
    softmax,
    split,
    sqrt,
    square,
    squared_difference,
    squeeze,
    stack,
    stop_gradient,
    strided_slice,
    subtract,
    tanh,
    tile,
    to_double,
    to_float,
    to_int32,
    to_int64,
    transpose,
    truncated_normal,
    unstack,
    where,
    zeros,
    zeros_like,
)
from graphflow.ops import shape as shape_  # bound to `shape` below, where no parameter of that name shadows it
from graphflow.registry import OPS, RegisterGradient, as_node, constant, defop
from graphflow.session import GraphGrowthWarning, InteractiveSession, Session, get_default_session
from graphflow.shapes import TensorShape
from graphflow.variable_scope import AUTO_REUSE, VariableScope, get_variable, get_variable_scope, variable_scope
from graphflow.variables import Variable
from graphflow.version import GRAPHFLOW_VERSION, VERSION, __version__

bool = bool_
abs = absolute
pow = power
mod = floormod
truediv = realdiv = divide
slice = slice_  # TF-1's names; they shadow the builtins in this module only
round = round_
range = range_
shape = shape_
convert_to_tensor = as_node
print = print_v2  # TF-1.13+'s tf.print
arg_max, arg_min = argmax, argmin  # TF-1's older names
Tensor = Node


class GraphKeys:
    """Names of the standard collections (TF-1 `tf.GraphKeys`)."""

    GLOBAL_VARIABLES = "variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    LOSSES = "losses"
    REGULARIZATION_LOSSES = "regularization_losses"
    UPDATE_OPS = "update_ops"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    GLOBAL_STEP = "global_step"
    LOCAL_VARIABLES = metrics.LOCAL_VARIABLES
    METRIC_VARIABLES = metrics.METRIC_VARIABLES
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


def initialize_all_variables() -> Operation:
    """TF-1's older name for `global_variables_initializer()`."""
    return global_variables_initializer()


def local_variables(scope: str | None = None) -> list[Variable]:
    """The local variables of the default graph (the running totals of `gf.metrics`), in creation order."""
    return _scoped(get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES), scope)


def local_variables_initializer() -> Operation:
    """An op that resets every local variable (the totals of `gf.metrics`) to its initial value (TF-1)."""
    return variables_initializer(local_variables(), name="init_1")


def get_collection(key: str, scope: str | None = None) -> list:
    return _scoped(get_default_graph().get_collection(key), scope)


def add_to_collection(name: str, value) -> None:
    get_default_graph().add_to_collection(name, value)


def __getattr__(name: str):
    # `gf.viz` works without `import graphflow.viz`, yet `import graphflow` loads none of viz until it is used;
    # `gf.compat.v1` is the whole package again, under TF-1's compatibility name.
    if name in ("viz", "compat"):
        import importlib

        return importlib.import_module(f"graphflow.{name}")
    if name in config.PROTOS:  # TF-1's session configuration messages, from tensorboard, loaded when first used
        return config.proto(name)
    raise AttributeError(f"module 'graphflow' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "viz", "compat", *config.PROTOS])

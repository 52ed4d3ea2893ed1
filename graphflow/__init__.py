"""graphflow: a TensorFlow 1.x style computational graph framework on numpy.

`import graphflow as gf` (or `as tf`), build a graph of placeholders, variables and ops, differentiate it with
`gf.gradients` or an optimizer, and run it in a `gf.Session`. This module only re-exports the public API: the ops
(`gf.matmul`, `gf.reduce_sum`, ...), graph and session classes, and the namespaces `gf.nn`, `gf.train`,
`gf.layers`, `gf.losses`, `gf.initializers`, `gf.summary`, `gf.data`, `gf.datasets`, `gf.viz`, `gf.debugging`,
`gf.errors`, `gf.logging`, `gf.app` and `gf.compat.v1`.

Every public function shows TF-1's signature and documents itself: `help(gf.matmul)`, `inspect.signature(gf.matmul)`.
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
from graphflow.config import ConfigProto, GPUOptions, device
from graphflow.control_flow import cond, while_loop
from graphflow.debugging import check_numerics
from graphflow.dtypes import as_dtype, bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from graphflow.gradients import UnconnectedGradients, gradients, hessians
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
    arg_max,
    arg_min,
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
    rsqrt,
    set_random_seed,
    shape,
    sigmoid,
    sign,
    sin,
    size,
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
from graphflow.ops import range_ as range
from graphflow.ops import round_ as round
from graphflow.ops import slice_ as slice
from graphflow.registry import RegisterGradient, as_node, constant, defop
from graphflow.session import GraphGrowthWarning, InteractiveSession, Session, get_default_session
from graphflow.shapes import TensorShape
from graphflow.shapes import as_shape as _as_shape
from graphflow.variable_scope import AUTO_REUSE, VariableScope, get_variable, get_variable_scope, variable_scope
from graphflow.variables import Variable
from graphflow.version import GRAPHFLOW_VERSION, VERSION, __version__

# TF-1's names that would shadow Python's built-ins in a module that does `from graphflow import *` are attributes
# only (gf.range, gf.abs, ...), as are `logging` (the standard library's name) and the namespaces loaded on first use.
_NOT_STARRED = ("abs", "bool", "pow", "print", "range", "round", "slice", "logging", "viz", "datasets", "compat")
__all__ = [
    "AUTO_REUSE", "GRAPHFLOW_VERSION", "VERSION", "ConfigProto", "Constant", "GPUOptions", "Graph",
    "GraphGrowthWarning", "GraphKeys", "InteractiveSession", "Node", "Operation", "Placeholder", "Print",
    "RegisterGradient", "Session", "Tensor", "TensorShape", "UnconnectedGradients", "Variable", "VariableScope",
    "absolute", "add", "add_n", "add_to_collection", "app", "arg_max", "arg_min", "argmax", "argmin", "as_dtype",
    "as_node", "assign", "assign_add", "assign_sub", "bool_", "cast", "check_numerics", "clip_by_value", "concat",
    "cond", "constant", "constant_initializer", "control_dependencies", "convert_to_tensor", "cos", "count_nonzero",
    "data", "debugging", "defop", "device", "div", "divide", "dtypes", "equal", "errors", "exp", "expand_dims",
    "fill", "float16", "float32", "float64", "floor", "floordiv", "floormod", "gather", "get_collection",
    "get_default_graph", "get_default_session", "get_variable", "get_variable_scope", "gfile", "global_variables",
    "global_variables_initializer", "glorot_normal_initializer", "glorot_uniform_initializer", "gradients",
    "greater", "greater_equal", "group", "hessians", "identity", "initialize_all_variables", "initializers", "int8",
    "int16", "int32", "int64", "layers", "less", "less_equal", "local_variables", "local_variables_initializer",
    "log", "log1p", "log_softmax", "logical_and", "logical_not", "logical_or", "losses", "math", "matmul",
    "maximum", "metrics", "minimum", "mod", "multiply", "name_scope", "negative", "newaxis", "nn", "no_op",
    "not_equal", "one_hot", "ones", "ones_initializer", "ones_like", "pad", "placeholder",
    "placeholder_with_default", "power", "print_v2", "random_normal", "random_normal_initializer", "random_uniform",
    "random_uniform_initializer", "rank", "realdiv", "reciprocal", "reduce_all", "reduce_any", "reduce_max",
    "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum", "relu", "reset_default_graph", "reshape", "rsqrt",
    "set_random_seed", "shape", "sigmoid", "sign", "sin", "size", "softmax", "split", "sqrt", "square",
    "squared_difference", "squeeze", "stack", "stop_gradient", "strided_slice", "subtract", "summary", "tanh",
    "tile", "to_double", "to_float", "to_int32", "to_int64", "topo_order", "train", "trainable_variables",
    "transpose", "truediv", "truncated_normal", "truncated_normal_initializer", "uint8", "unstack",
    "variable_scope", "variables_initializer", "variance_scaling_initializer", "where", "while_loop", "zeros",
    "zeros_initializer", "zeros_like",
]  # fmt: skip

bool = bool_  # TF-1's names; they shadow the builtins in this module only
abs = absolute
pow = power
mod = floormod
truediv = realdiv = divide
convert_to_tensor = as_node
print = print_v2  # TF-1.13+'s tf.print


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
    """An input node whose value is fed at run time (TF-1 `placeholder`).

    Args:
        dtype: e.g. `gf.float32`; when None, the node takes the dtype of whatever is fed (a list of Python floats
            becomes float64, as numpy makes it).
        shape: e.g. `[None, 784]`: None marks a dimension of any size; None for any shape. A fed value that does not
            fit raises an error naming the placeholder.
        name: the node's name (made unique in the graph).

    Returns:
        The placeholder node; a run that needs it must feed it (`feed_dict={x: value}`).

    Examples:
        >>> x = gf.placeholder(gf.float32, [None, 2], name="x")
        >>> gf.Session().run(x * 2.0, {x: [[1.0, 2.0]]})
        array([[2., 4.]], dtype=float32)
    """
    shape = _as_shape(shape, "placeholder(shape=...)")
    graph = get_default_graph()
    return Placeholder(graph, graph.unique_name(name or "Placeholder"), (), as_dtype(dtype), shape)


def global_variables(scope: str | None = None) -> list[Variable]:
    """Every variable of the default graph, optimizer slots included, in creation order (TF-1).

    Args:
        scope: if given, only variables whose name starts with it.

    Returns:
        A list of `gf.Variable`.

    Examples:
        >>> with gf.Graph().as_default():
        ...     w = gf.Variable(1.0, name="w")
        ...     [v.op_name for v in gf.global_variables()]
        ['w']
    """
    return _scoped(get_default_graph().get_collection("variables"), scope)


def trainable_variables(scope: str | None = None) -> list[Variable]:
    """The variables optimizers update by default, in creation order (TF-1 `trainable_variables`).

    Args:
        scope: if given, only variables whose name starts with it.

    Returns:
        A list of `gf.Variable` created with `trainable=True` (the default).

    Examples:
        >>> with gf.Graph().as_default():
        ...     w, step = gf.Variable(1.0, name="w"), gf.Variable(0, trainable=False, name="step")
        ...     [v.op_name for v in gf.trainable_variables()]
        ['w']
    """
    return _scoped(get_default_graph().get_collection("trainable_variables"), scope)


def _scoped(variables: list, scope: str | None) -> list:
    return [v for v in variables if scope is None or v.op_name.startswith(scope)]


def variables_initializer(var_list, name: str = "init") -> Operation:
    """An op that sets each variable in `var_list` to its initial value in the session that runs it (TF-1).

    Args:
        var_list: the variables to initialise.
        name: the op's name.

    Returns:
        An operation; fetching it gives None.

    Examples:
        >>> v = gf.Variable(1.0)
        >>> gf.Session().run(gf.variables_initializer([v])) is None
        True
    """
    var_list = list(var_list)
    with (var_list[0].graph if var_list else get_default_graph()).role_scope("initializer"):
        return group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer() -> Operation:
    """An op that (re)initialises every variable of the default graph (TF-1).

    A variable is also initialised on first use in a session, so this op is needed only to reset values.

    Returns:
        An operation; fetching it gives None.

    Examples:
        >>> v = gf.Variable(1.0)
        >>> gf.Session().run(gf.global_variables_initializer()) is None
        True
    """
    return variables_initializer(global_variables())


def initialize_all_variables() -> Operation:
    """TF-1's older name for `global_variables_initializer()`: an op that initialises every global variable.

    Returns:
        The op; running it (`sess.run(init)`) sets each variable to its initial value.
    """
    return global_variables_initializer()


def local_variables(scope: str | None = None) -> list[Variable]:
    """The local variables of the default graph (the running totals of `gf.metrics`), in creation order (TF-1).

    Args:
        scope: if given, only variables whose name starts with it.

    Returns:
        A list of `gf.Variable`.
    """
    return _scoped(get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES), scope)


def local_variables_initializer() -> Operation:
    """An op that resets every local variable (the totals of `gf.metrics`) to its initial value (TF-1).

    Returns:
        The op; run it before evaluating a metric, as TF-1 scripts do.
    """
    return variables_initializer(local_variables(), name="init_1")


def get_collection(key: str, scope: str | None = None) -> list:
    """The values in the default graph's collection `key` (TF-1 `get_collection`), e.g. `gf.GraphKeys.LOSSES`.

    Args:
        key: the collection's name.
        scope: if given, only values whose name starts with it.

    Returns:
        A list (empty when the collection does not exist), in the order the values were added.

    Examples:
        >>> with gf.Graph().as_default():
        ...     gf.add_to_collection("outputs", gf.constant(1.0, name="c"))
        ...     [x.op_name for x in gf.get_collection("outputs")]
        ['c']
    """
    return _scoped(get_default_graph().get_collection(key), scope)


def add_to_collection(name: str, value) -> None:
    """Adds `value` to the default graph's collection `name` (TF-1 `add_to_collection`).

    Args:
        name: the collection's name.
        value: any value, usually a node.

    Returns:
        None.

    Examples:
        >>> gf.add_to_collection("my_losses", gf.constant(0.5))
    """
    get_default_graph().add_to_collection(name, value)


def __getattr__(name: str):
    # `gf.viz` and `gf.datasets` work without importing them, yet `import graphflow` loads neither until it is used;
    # `gf.compat.v1` is the whole package again, under TF-1's compatibility name.
    if name in ("viz", "compat", "datasets"):
        import importlib

        return importlib.import_module(f"graphflow.{name}")
    if name in config.PROTOS:  # TF-1's session configuration messages, from tensorboard, loaded when first used
        return config.proto(name)
    raise AttributeError(f"module 'graphflow' has no attribute {name!r}")


def __dir__() -> list[str]:
    # What `dir(gf)`, `help(gf)` and tab completion show: the public API, without the internal modules (registry,
    # plan, kernels, ...) that importing the package binds here.
    return sorted({*__all__, *_NOT_STARRED, "__version__"})


def _show_graphs_as_drawings() -> None:
    # In Jupyter (any IPython shell), a graph or node left as a cell's last line shows as its drawing.
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        from graphflow.viz import display

        display.register(shell)


_show_graphs_as_drawings()

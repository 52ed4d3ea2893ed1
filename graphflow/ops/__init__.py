"""Every op family. Importing this package registers all ops; the names below are the op functions."""

from graphflow.ops import control_flow, summary
from graphflow.ops.activation import (
    elu,
    leaky_relu,
    log_softmax,
    relu,
    relu6,
    relu_grad,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from graphflow.ops.array import concat, gather, stack, tile, unstack
from graphflow.ops.comparison import (
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    not_equal,
)
from graphflow.ops.debugging import check_numerics
from graphflow.ops.dims import expand_dims, fill, range_, rank, shape, size, squeeze
from graphflow.ops.elementwise import (
    add,
    add_n,
    divide,
    exp,
    log,
    log1p,
    multiply,
    negative,
    power,
    reciprocal,
    rsqrt,
    sqrt,
    square,
    squared_difference,
    subtract,
    where,
)
from graphflow.ops.linalg import matmul, transpose
from graphflow.ops.loss import softmax_xent, sparse_softmax_xent
from graphflow.ops.piecewise import (
    absolute,
    clip_by_value,
    floor,
    floordiv,
    floormod,
    maximum,
    minimum,
    round_,
    sign,
)
from graphflow.ops.random import random_normal, random_uniform, set_random_seed, truncated_normal
from graphflow.ops.reduction import (
    argmax,
    argmin,
    broadcast_like,
    count_nonzero,
    reduce_all,
    reduce_any,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    sum_to,
)
from graphflow.ops.shape import (
    cast,
    identity,
    one_hot,
    ones,
    ones_like,
    placeholder_with_default,
    reshape,
    stop_gradient,
    zeros,
    zeros_like,
)
from graphflow.ops.slicing import newaxis, slice_, strided_slice, strided_slice_grad
from graphflow.ops.state import assign, assign_add, assign_sub, group, no_op
from graphflow.ops.training import (
    apply_adagrad,
    apply_adam,
    apply_centered_rmsprop,
    apply_gradient_descent,
    apply_momentum,
    apply_rmsprop,
)

__all__ = [
    "absolute", "add", "add_n", "apply_adagrad", "apply_adam", "apply_centered_rmsprop", "apply_gradient_descent",
    "apply_momentum", "apply_rmsprop", "argmax", "argmin", "assign", "assign_add", "assign_sub", "broadcast_like",
    "cast", "check_numerics", "clip_by_value", "concat", "count_nonzero", "divide", "elu", "equal", "exp",
    "expand_dims", "fill", "floor", "floordiv", "floormod", "gather", "greater", "greater_equal", "group", "identity",
    "leaky_relu", "less",
    "less_equal", "log", "log1p", "log_softmax", "logical_and", "logical_not", "logical_or", "matmul", "maximum",
    "minimum", "multiply", "negative", "newaxis", "no_op", "not_equal", "one_hot", "ones", "ones_like",
    "placeholder_with_default", "power",
    "random_normal", "random_uniform", "range_", "rank", "reciprocal", "reduce_all", "reduce_any", "reduce_max",
    "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum", "relu", "relu6", "relu_grad", "reshape", "round_",
    "rsqrt", "set_random_seed", "shape", "sigmoid", "sign", "size", "slice_", "softmax", "softmax_xent", "softplus",
    "sparse_softmax_xent", "sqrt", "square", "squared_difference", "squeeze", "stack", "stop_gradient",
    "strided_slice", "strided_slice_grad", "subtract", "sum_to", "tanh", "tile", "transpose", "truncated_normal",
    "unstack", "where", "zeros", "zeros_like",
]  # fmt: skip

"""Every op family. Importing this package registers all ops; the names below are the op functions."""

from graphflow.ops import control_flow, summary
from graphflow.ops.activation import log_softmax, relu, relu_grad, sigmoid, softmax, tanh
from graphflow.ops.comparison import equal, greater, greater_equal, less, less_equal, not_equal
from graphflow.ops.debugging import check_numerics
from graphflow.ops.elementwise import (
    absolute,
    add,
    add_n,
    divide,
    exp,
    log,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    sign,
    sqrt,
    square,
    subtract,
    where,
)
from graphflow.ops.linalg import matmul, transpose
from graphflow.ops.loss import softmax_xent, sparse_softmax_xent
from graphflow.ops.random import random_normal, random_uniform, set_random_seed, truncated_normal
from graphflow.ops.reduction import argmax, broadcast_like, reduce_max, reduce_mean, reduce_sum, sum_to
from graphflow.ops.shape import (
    cast,
    identity,
    one_hot,
    ones,
    ones_like,
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
    "apply_momentum", "apply_rmsprop", "argmax", "assign", "assign_add", "assign_sub", "broadcast_like", "cast",
    "divide", "equal", "exp", "greater", "greater_equal", "group", "identity", "less", "less_equal", "log",
    "log_softmax", "matmul", "maximum", "minimum", "multiply", "negative", "newaxis", "no_op", "not_equal",
    "one_hot", "ones", "ones_like", "power", "random_normal", "random_uniform", "reduce_max", "reduce_mean",
    "reduce_sum", "relu", "relu_grad", "reshape", "set_random_seed", "sigmoid", "sign", "slice_", "softmax",
    "softmax_xent", "sparse_softmax_xent", "sqrt", "square", "stop_gradient", "strided_slice", "strided_slice_grad",
    "subtract", "sum_to", "tanh", "transpose", "truncated_normal", "where", "zeros", "zeros_like",
]  # fmt: skip

"""`gf.math` (TF-1's `tf.math`): the elementwise, reduction and comparison ops under the names TF-1.13+ gives them.

Every name is the same function as at the top level (`gf.math.sin is gf.sin`).
"""

from graphflow.nn import in_top_k
from graphflow.ops import (
    absolute,
    add,
    add_n,
    argmax,
    argmin,
    cos,
    count_nonzero,
    divide,
    equal,
    exp,
    floor,
    floordiv,
    floormod,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    log1p,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    power,
    reciprocal,
    reduce_all,
    reduce_any,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    round_,
    rsqrt,
    sigmoid,
    sign,
    sin,
    softmax,
    softplus,
    sqrt,
    square,
    squared_difference,
    subtract,
    tanh,
)

abs = absolute  # TF-1's names; they shadow the builtins in this module only
pow = power
round = round_
mod = floormod
truediv = divide

# Out of the star import, which would shadow Python's own abs, pow and round; gf.math.abs and the rest still work.
_NOT_STARRED = ("abs", "pow", "round")
__all__ = [
    "add", "add_n", "argmax", "argmin", "cos", "count_nonzero", "divide", "equal", "exp", "floor",
    "floordiv", "floormod", "greater", "greater_equal", "in_top_k", "less", "less_equal", "log", "log1p",
    "log_softmax", "logical_and", "logical_not", "logical_or", "maximum", "minimum", "mod", "multiply", "negative",
    "not_equal", "reciprocal", "reduce_all", "reduce_any", "reduce_max", "reduce_mean", "reduce_min",
    "reduce_prod", "reduce_sum", "rsqrt", "sigmoid", "sign", "sin", "softmax", "softplus", "sqrt", "square",
    "squared_difference", "subtract", "tanh", "truediv",
]  # fmt: skip


def __dir__() -> list[str]:
    return sorted([*__all__, *_NOT_STARRED])  # the public API, not this module's imports

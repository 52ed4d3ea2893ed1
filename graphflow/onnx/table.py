"""The table from graphflow op types to ONNX. `EXPORTS` maps each op type to one small function,
`fn(ctx, op, *input_names)`, which adds the ONNX nodes computing `op` (its attributes, static shapes and dtypes are
on `op`) and returns the name of its value, `op.op_name`; the functions live in `math_ops.py` (arithmetic,
activations, products, reductions, losses, dropout) and `array_ops.py` (shapes, slicing, joining). `REFUSED` names
every other registered op type with the reason it has no ONNX form.

`ctx` is an `export.Context`: `ctx.emit(type, inputs, output, **attrs)` adds one node, `ctx.chain(op, x, steps)`
a sequence of them, `ctx.const`/`ctx.ints` an initializer, and `ctx.part(op, label)` names an intermediate value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from onnx import helper

from graphflow import errors
from graphflow.nodes import Node, Operation

# Op types the export's walk handles itself (walk.py): a placeholder_with_default is an input or takes its default,
# a cond is the branch it takes or an If, a while loop a Loop.
FOLDED = frozenset({"PlaceholderWithDefault", "Switch", "Merge", "While", "TupleGet"})

Converter = Callable[..., str]
EXPORTS: dict[str, Converter] = {}
INT64_MAX, INT64_MIN = np.iinfo(np.int64).max, np.iinfo(np.int64).min


def registers(table: dict[str, Callable], *op_types: str) -> Callable[[Callable], Callable]:
    """Decorator putting a function in `table` under each of `op_types`."""

    def register(fn: Callable) -> Callable:
        for op_type in op_types:
            table[op_type] = fn
        return fn

    return register


def converts(*op_types: str) -> Callable[[Converter], Converter]:
    """Registers the export function of `op_types`."""
    return registers(EXPORTS, *op_types)


def refusal(op: Node, reason: str | None = None) -> str:
    """The error message for an op with no ONNX form: its name, its type, why, and where the user's code built it."""
    reason = reason or REFUSED.get(op.type, "no conversion to ONNX is registered for this op type")
    where = errors.defined_at(op)
    return f"cannot export {op.type} '{op.op_name}' to ONNX: {reason}" + (
        f" ('{op.op_name}' was defined at {where})" if where else ""
    )


def rank(op: Operation, x: Node) -> int:
    if x.shape is None:
        raise ValueError(refusal(op, f"the rank of its input '{x.op_name}' is unknown; give it a static shape"))
    return len(x.shape)


def onnx_dtype(dtype: Any) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


# --- the rest, and why --------------------------------------------------------------------------------------------

_UPDATE = "it changes a variable; a model holds the variables' values as constants, so export the values it reads"
_GRADIENT = "it is part of a gradient, which an exported model (inference) does not compute"
_RANDOM = (
    "it draws from the session's random generator, which ONNX's random ops cannot reproduce; feed the values as an "
    "input instead"
)
_SUMMARY = "it writes a TensorBoard summary, which has no ONNX form"
REFUSED = {
    **dict.fromkeys(["Assign", "AssignAdd", "AssignSub", "ApplyAdagrad", "ApplyAdam", "ApplyCenteredRMSProp",
                     "ApplyGradientDescent", "ApplyMomentum", "ApplyRMSProp"], _UPDATE),
    **dict.fromkeys(["BroadcastLike", "ConcatOffset", "ConcatPart", "ConcatPartGrad", "GatherGrad", "ReluGrad",
                     "ReshapeLike", "SparseSoftmaxCrossEntropyWithLogitsGrad", "StridedSliceGrad", "SumTo", "TileGrad",
                     "Undead"],
                    _GRADIENT),
    **dict.fromkeys(["RandomStandardNormal", "RandomUniform", "TruncatedNormal"], _RANDOM),
    **dict.fromkeys(["HistogramSummary", "MergeSummary", "ScalarSummary"], _SUMMARY),
    "FloorDiv": "ONNX's Div truncates integers towards zero where floordiv rounds down; write floor(x / y) for floats",
    "FloorMod": "ONNX's Mod takes the sign of the dividend for floats, where floormod takes the divisor's",
    "NoOp": "it has no value to compute (a group of ops or a train op)",
    "ImageSummary": _SUMMARY,
    "Print": "it prints while the graph runs, which an ONNX model cannot; fetch the values instead",
    "PrintV2": "it prints while the graph runs, which an ONNX model cannot; fetch the values instead",
    **dict.fromkeys(["HorovodAllgather", "HorovodAllreduce", "HorovodBroadcast", "HorovodOwnRows", "HorovodPadRows"],
                    "it exchanges values between MPI processes; export the model from one process, without them"),
    "InTopK": "no conversion to ONNX is written yet; export the logits and compare them with the labels outside",
    "Pad": "no conversion to ONNX is written yet; export the model before the padding or pad its input",
    "ReshapeDynamic": "its shape is only known at run time; give `reshape` a list of ints for export",
    **dict.fromkeys(["PadLike", "SliceLike"], _GRADIENT),
}  # fmt: skip

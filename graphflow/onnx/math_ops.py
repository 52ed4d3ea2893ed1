"""ONNX forms of arithmetic, activations, matrix products, reductions, losses and dropout."""

from __future__ import annotations

import numpy as np

from graphflow.onnx.table import EXPORTS, converts, onnx_dtype, rank

# --- one ONNX op each ---------------------------------------------------------------------------------------------

SAME = {  # graphflow type: ONNX type, for ops that are one ONNX op on the same inputs with no attributes
    "Add": "Add", "Sub": "Sub", "Mul": "Mul", "RealDiv": "Div", "Neg": "Neg", "Exp": "Exp", "Log": "Log",
    "Sqrt": "Sqrt", "Pow": "Pow", "Abs": "Abs", "Sign": "Sign", "Floor": "Floor", "Round": "Round",
    "Reciprocal": "Reciprocal", "Maximum": "Max", "Minimum": "Min", "AddN": "Sum", "Select": "Where",
    "Sigmoid": "Sigmoid", "Tanh": "Tanh", "Sin": "Sin", "Cos": "Cos", "Relu": "Relu", "Softplus": "Softplus",
    "Equal": "Equal", "Greater": "Greater", "GreaterEqual": "GreaterOrEqual", "Less": "Less",
    "LessEqual": "LessOrEqual", "LogicalAnd": "And", "LogicalOr": "Or", "LogicalNot": "Not",
    "Identity": "Identity", "StopGradient": "Identity", "CheckNumerics": "Identity",
}  # fmt: skip


def _same(ctx, op, *xs):
    return ctx.emit(SAME[op.type], xs, op.op_name)


for _type in SAME:
    EXPORTS[_type] = _same


@converts("NotEqual")
def _not_equal(ctx, op, x, y):
    return ctx.emit("Not", [ctx.emit("Equal", [x, y], ctx.part(op, "Equal"))], op.op_name)


@converts("Square")
def _square(ctx, op, x):
    return ctx.emit("Mul", [x, x], op.op_name)


@converts("SquaredDifference")
def _squared_difference(ctx, op, x, y):
    d = ctx.emit("Sub", [x, y], ctx.part(op, "Sub"))
    return ctx.emit("Mul", [d, d], op.op_name)


@converts("Rsqrt")
def _rsqrt(ctx, op, x):
    return ctx.chain(op, x, [("Sqrt", [], {}), ("Reciprocal", [], {})])


@converts("Log1p")
def _log1p(ctx, op, x):
    return ctx.chain(op, x, [("Add", [ctx.const(1, op.dtype, "one")], {}), ("Log", [], {})])


# --- activations --------------------------------------------------------------------------------------------------


@converts("Relu6")
def _relu6(ctx, op, x):
    return ctx.emit("Clip", [x, ctx.const(0, op.dtype, "zero"), ctx.const(6, op.dtype, "six")], op.op_name)


@converts("LeakyRelu")
def _leaky_relu(ctx, op, x):
    return ctx.emit("LeakyRelu", [x], op.op_name, alpha=float(op.attrs["alpha"]))


@converts("Elu")
def _elu(ctx, op, x):
    return ctx.emit("Elu", [x], op.op_name, alpha=1.0)


@converts("Softmax", "LogSoftmax")
def _softmax(ctx, op, x):
    return ctx.emit(op.type, [x], op.op_name, axis=op.attrs["axis"])


@converts("MatMul")
def _matmul(ctx, op, a, b):
    """Transposes become Transpose nodes on the operand, as ONNX's MatMul has no flags (Gemm has, for rank 2 only)."""
    for k, flag in ((0, "transpose_a"), (1, "transpose_b")):
        if op.attrs.get(flag):
            r = rank(op, op.inputs[k])
            perm = [*range(r - 2), r - 1, r - 2]
            transposed = ctx.emit("Transpose", [(a, b)[k]], ctx.part(op, flag), perm=perm)
            a, b = (transposed, b) if k == 0 else (a, transposed)
    return ctx.emit("MatMul", [a, b], op.op_name)


# --- reductions -------------------------------------------------------------------------------------------------------

REDUCTIONS = {"Sum": "ReduceSum", "Mean": "ReduceMean", "Max": "ReduceMax", "Min": "ReduceMin", "Prod": "ReduceProd"}


def _reduce(ctx, x, onnx_type, axis, keepdims, out):
    """An ONNX reduction of x over `axis` (None: all) into `out`. Its axes are an input from opset 18 (ReduceSum:
    13), an attribute before."""
    if axis == ():
        return ctx.emit("Identity", [x], out)  # numpy reduces over no axis: the input as it is
    keep = int(keepdims)
    if axis is None:
        return ctx.emit(onnx_type, [x], out, keepdims=keep)
    if onnx_type == "ReduceSum" or ctx.opset >= 18:
        return ctx.emit(onnx_type, [x, ctx.ints(axis, out + "/axes")], out, keepdims=keep)
    return ctx.emit(onnx_type, [x], out, axes=list(axis), keepdims=keep)


@converts(*REDUCTIONS)
def _reduction(ctx, op, x):
    return _reduce(ctx, x, REDUCTIONS[op.type], op.attrs["axis"], op.attrs["keepdims"], op.op_name)


@converts("Any", "All")
def _bool_reduction(ctx, op, x):
    """As a max (any) or min (all) of 0s and 1s: ONNX reduces booleans only from opset 20."""
    as_int = ctx.emit("Cast", [x], ctx.part(op, "as_int"), to=onnx_dtype(np.int32))
    extremum = "ReduceMax" if op.type == "Any" else "ReduceMin"
    reduced = _reduce(ctx, as_int, extremum, op.attrs["axis"], op.attrs["keepdims"], ctx.part(op, extremum))
    return ctx.emit("Cast", [reduced], op.op_name, to=onnx_dtype(np.bool_))


@converts("ArgMax", "ArgMin")
def _argmax(ctx, op, x):
    steps = [(op.type, [], {"axis": op.attrs["axis"], "keepdims": 0})]
    if np.dtype(op.attrs["output_type"]) != np.int64:
        steps.append(("Cast", [], {"to": onnx_dtype(op.attrs["output_type"])}))
    return ctx.chain(op, x, steps)


@converts("ReducedSize")
def _reduced_size(ctx, op, x):
    """The count a mean divides by: a constant when the static shape tells it, else taken from x's shape."""
    axis, dtype = op.attrs["axis"], op.dtype
    shape = op.inputs[0].shape
    if shape is not None:
        dims = [shape[a] for a in (range(len(shape)) if axis is None else axis)]
        if None not in dims:
            return ctx.emit("Identity", [ctx.const(np.prod(dims), dtype, op.op_name + "/value")], op.op_name)
    if axis is None:
        return ctx.chain(op, x, [("Size", [], {}), ("Cast", [], {"to": onnx_dtype(dtype)})])
    steps = [
        ("Shape", [], {}),
        ("Gather", [ctx.ints(axis, op.op_name + "/axes")], {}),
        ("ReduceProd", [], {"keepdims": 0}),
        ("Cast", [], {"to": onnx_dtype(dtype)}),
    ]
    return ctx.chain(op, x, steps)


# --- losses and dropout ---------------------------------------------------------------------------------------------


@converts("SoftmaxCrossEntropyWithLogits")
def _softmax_xent(ctx, op, labels, logits):
    """-sum(labels * log_softmax(logits)) over the last axis."""
    log_p = ctx.emit("LogSoftmax", [logits], ctx.part(op, "LogSoftmax"), axis=-1)
    product = ctx.emit("Mul", [labels, log_p], ctx.part(op, "Mul"))
    summed = ctx.emit("ReduceSum", [product, ctx.ints([-1], op.op_name + "/axes")], ctx.part(op, "Sum"), keepdims=0)
    return ctx.emit("Neg", [summed], op.op_name)


@converts("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_xent(ctx, op, labels, logits):
    """-log_softmax(logits)[label] per example, picked with GatherElements."""
    log_p = ctx.emit("LogSoftmax", [logits], ctx.part(op, "LogSoftmax"), axis=-1)
    last = ctx.ints([-1], op.op_name + "/last_axis")
    index = ctx.emit("Cast", [labels], ctx.part(op, "labels"), to=onnx_dtype(np.int64))
    index = ctx.emit("Unsqueeze", [index, last], ctx.part(op, "index"))
    picked = ctx.emit("GatherElements", [log_p, index], ctx.part(op, "picked"), axis=-1)
    return ctx.chain(op, picked, [("Squeeze", [last], {}), ("Neg", [], {})])


@converts("DropoutMask")
def _dropout_mask(ctx, op, x, keep_prob):
    """Dropout's inference form: the mask's expected value, keep_prob, so that `mask * (x / keep_prob)` is x."""
    shape = ctx.emit("Shape", [x], ctx.part(op, "Shape"))
    noise = op.attrs["noise_shape"]
    if noise is not None and None not in noise:
        shape = ctx.ints(noise, op.op_name + "/noise_shape")
    return ctx.emit("Expand", [keep_prob, shape], op.op_name)

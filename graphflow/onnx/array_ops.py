"""ONNX forms of the ops that move data: reshape, cast, transpose, slicing, joining, one_hot, shapes, fills."""

from __future__ import annotations

import numpy as np
from onnx import helper

from graphflow.onnx.table import INT64_MAX, INT64_MIN, converts, onnx_dtype, rank, refusal

# --- matrix products and shapes -------------------------------------------------------------------------------------


@converts("Transpose")
def _transpose(ctx, op, x):
    perm = op.attrs["perm"]
    return ctx.emit("Transpose", [x], op.op_name, **({} if perm is None else {"perm": list(perm)}))


@converts("Reshape")
def _reshape(ctx, op, x):
    shape = op.attrs["shape"]
    zero = {"allowzero": 1} if 0 in shape else {}  # ONNX reads a 0 as "copy this dimension" unless told
    if zero and ctx.opset < 14:
        raise ValueError(refusal(op, "a 0 in the shape needs opset 14 or later"))
    return ctx.emit("Reshape", [x, ctx.ints(shape, op.op_name + "/shape")], op.op_name, **zero)


@converts("Cast")
def _cast(ctx, op, x):
    return ctx.emit("Cast", [x], op.op_name, to=onnx_dtype(op.attrs["dtype"]))


@converts("ExpandDims")
def _expand_dims(ctx, op, x):
    return ctx.emit("Unsqueeze", [x, ctx.ints([op.attrs["axis"]], op.op_name + "/axes")], op.op_name)


@converts("Squeeze")
def _squeeze(ctx, op, x):
    axis = op.attrs["axis"]
    axes = [] if axis is None else [ctx.ints(axis, op.op_name + "/axes")]
    return ctx.emit("Squeeze", [x, *axes], op.op_name)


@converts("ConcatV2")
def _concat(ctx, op, *xs):
    return ctx.emit("Concat", xs, op.op_name, axis=op.attrs["axis"])


@converts("Pack")
def _stack(ctx, op, *xs):
    axes = ctx.ints([op.attrs["axis"]], op.op_name + "/axes")
    parts = [ctx.emit("Unsqueeze", [x, axes], ctx.part(op, f"Unsqueeze_{i}")) for i, x in enumerate(xs)]
    return ctx.emit("Concat", parts, op.op_name, axis=op.attrs["axis"])


@converts("Tile")
def _tile(ctx, op, x):
    return ctx.emit("Tile", [x, ctx.ints(op.attrs["multiples"], op.op_name + "/multiples")], op.op_name)


@converts("GatherV2")
def _gather(ctx, op, params, indices):
    return ctx.emit("Gather", [params, indices], op.op_name, axis=op.attrs["axis"])


@converts("StridedSlice")
def _strided_slice(ctx, op, x):
    """numpy's basic index as Slice (slices and ints), Squeeze (the axes an int takes) and Unsqueeze (new axes)."""
    index = op.attrs["index"]
    if Ellipsis in index:
        at = index.index(Ellipsis)
        consumed = sum(1 for e in index if e is not None and e is not Ellipsis)
        index = index[:at] + (slice(None),) * (rank(op, op.inputs[0]) - consumed) + index[at + 1 :]
    starts, ends, axes, steps, dropped, new = [], [], [], [], [], []
    axis = out = 0
    for entry in index:
        if entry is None:
            new.append(out)
            out += 1
            continue
        if isinstance(entry, slice):
            out += 1
            if entry != slice(None):
                step = 1 if entry.step is None else entry.step
                first, past = (0, INT64_MAX) if step > 0 else (INT64_MAX, INT64_MIN)
                starts.append(first if entry.start is None else entry.start)
                ends.append(past if entry.stop is None else entry.stop)
                axes.append(axis)
                steps.append(step)
        else:
            starts.append(entry)
            ends.append(INT64_MAX if entry == -1 else entry + 1)
            axes.append(axis)
            steps.append(1)
            dropped.append(axis)
        axis += 1
    chain = []
    if axes:
        bounds = [ctx.ints(v, f"{op.op_name}/{label}") for v, label in ((starts, "starts"), (ends, "ends"))]
        more = [ctx.ints(v, f"{op.op_name}/{label}") for v, label in ((axes, "axes"), (steps, "steps"))]
        chain.append(("Slice", [*bounds, *more], {}))
    if dropped:
        chain.append(("Squeeze", [ctx.ints(dropped, op.op_name + "/squeeze_axes")], {}))
    if new:
        chain.append(("Unsqueeze", [ctx.ints(new, op.op_name + "/new_axes")], {}))
    return ctx.chain(op, x, chain)


@converts("OneHot")
def _one_hot(ctx, op, indices):
    """`where(indices[..., None] == arange(depth), on, off)`: an index outside [0, depth) matches nothing and gives
    a row of off_value, as in TF-1 (ONNX's OneHot would count a negative index from the end)."""
    a = op.attrs
    r = rank(op, op.inputs[0])
    axis = r if a["axis"] == -1 else a["axis"]
    classes = np.arange(a["depth"], dtype=np.int64).reshape((a["depth"],) + (1,) * (r - axis))
    index = ctx.emit("Cast", [indices], ctx.part(op, "as_int64"), to=onnx_dtype(np.int64))
    index = ctx.emit("Unsqueeze", [index, ctx.ints([axis], op.op_name + "/axis")], ctx.part(op, "Unsqueeze"))
    hot = ctx.emit("Equal", [index, ctx.const(classes, np.int64, op.op_name + "/classes")], ctx.part(op, "Equal"))
    on, off = (ctx.const(a[k], a["dtype"], f"{op.op_name}/{k}") for k in ("on_value", "off_value"))
    return ctx.emit("Where", [hot, on, off], op.op_name)


@converts("Shape", "Size")
def _shape(ctx, op, x):
    return ctx.chain(op, x, [(op.type, [], {}), ("Cast", [], {"to": onnx_dtype(op.attrs["out_type"])})])


@converts("Rank")
def _rank_op(ctx, op, x):
    steps = [("Shape", [], {}), ("Size", [], {}), ("Cast", [], {"to": onnx_dtype(op.attrs["out_type"])})]
    return ctx.chain(op, x, steps)


@converts("ZerosLike", "OnesLike")
def _like(ctx, op, x):
    value = helper.make_tensor("value", onnx_dtype(op.dtype), [1], [1 if op.type == "OnesLike" else 0])
    return ctx.chain(op, x, [("Shape", [], {}), ("ConstantOfShape", [], {"value": value})])


@converts("Fill")
def _fill(ctx, op, dims, value):
    shape = ctx.emit("Cast", [dims], ctx.part(op, "dims"), to=onnx_dtype(np.int64))
    return ctx.emit("Expand", [value, shape], op.op_name)


@converts("Range")
def _range(ctx, op, start, limit, delta):
    return ctx.emit("Range", [start, limit, delta], op.op_name)

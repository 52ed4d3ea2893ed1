"""The table from ONNX op types to graphflow: one small function per type, `fn(node, *inputs)`, which builds the
node's value from its inputs (graphflow nodes; None for an input left out) and its attributes (`node.attrs`), names
the result `node.out`, and returns it. `node.static(i, what)` gives an input's constant value (a shape, axes)."""

from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper

import graphflow as gf
from graphflow.onnx.importer import imports
from graphflow.onnx.table import INT64_MAX, INT64_MIN
from graphflow.ops.slicing import strided_slice_op
from graphflow.shapes import normalize_index

SAME = {  # ONNX type: graphflow function of the same inputs
    "Add": gf.add, "Sub": gf.subtract, "Mul": gf.multiply, "Div": gf.divide, "Pow": gf.pow, "Neg": gf.negative,
    "Exp": gf.exp, "Log": gf.log, "Sqrt": gf.sqrt, "Abs": gf.abs, "Reciprocal": gf.reciprocal, "Floor": gf.floor,
    "Sign": gf.sign, "Round": gf.round, "Where": gf.where, "Equal": gf.equal, "Greater": gf.greater,
    "Less": gf.less, "GreaterOrEqual": gf.greater_equal, "LessOrEqual": gf.less_equal, "Not": gf.logical_not,
    "And": gf.logical_and, "Or": gf.logical_or, "Relu": gf.nn.relu, "Sigmoid": gf.sigmoid, "Tanh": gf.tanh,
    "Softplus": gf.nn.softplus, "Identity": gf.identity, "MatMul": gf.matmul, "Sin": gf.sin, "Cos": gf.cos,
}  # fmt: skip


def _same(node, *xs):
    return SAME[node.type](*xs, name=node.out)


for _type in SAME:
    imports(_type)(_same)


@imports("Constant")
def _constant(node):
    (key, value), *_ = node.attrs.items()
    if key == "value":
        return numpy_helper.to_array(value)
    return np.asarray(value)  # value_float, value_ints, ...


@imports("Sum", "Max", "Min")
def _variadic(node, *xs):
    if node.type == "Sum":
        return gf.add_n(list(xs), name=node.out)
    pair = gf.maximum if node.type == "Max" else gf.minimum
    result = xs[0]
    for k, x in enumerate(xs[1:]):
        result = pair(result, x, name=node.out if k == len(xs) - 2 else None)
    return result if len(xs) > 1 else gf.identity(result, name=node.out)


# --- layers -----------------------------------------------------------------------------------------------------------


@imports("Gemm")
def _gemm(node, a, b, c=None):
    """alpha * op(A) @ op(B) + beta * C, PyTorch's Linear layer."""
    alpha, beta = node.attrs.get("alpha", 1.0), node.attrs.get("beta", 1.0)
    ta, tb = bool(node.attrs.get("transA", 0)), bool(node.attrs.get("transB", 0))
    product = gf.matmul(a, b, transpose_a=ta, transpose_b=tb, name=None if c is not None or alpha != 1 else node.out)
    if alpha != 1.0:
        product = gf.multiply(product, alpha, name=None if c is not None else node.out)
    if c is None:
        return product
    return gf.add(product, c if beta == 1.0 else gf.multiply(c, beta), name=node.out)


@imports("BatchNormalization")
def _batch_norm(node, x, scale, bias, mean, variance):
    """Inference form, over axis 1 (ONNX's channels): the statistics are reshaped to (C, 1, ...) for rank > 2."""
    if node.attrs.get("training_mode", 0):
        raise ValueError(node.refusal("training_mode=1 (batch statistics) is not imported; export in eval mode"))
    if x.shape is not None and len(x.shape) > 2:
        shape = [-1] + [1] * (len(x.shape) - 2)
        scale, bias, mean, variance = (gf.reshape(t, shape) for t in (scale, bias, mean, variance))
    epsilon = node.attrs.get("epsilon", 1e-5)
    with gf.name_scope(node.out):
        return gf.nn.batch_normalization(x, mean, variance, bias, scale, epsilon)


@imports("Dropout")
def _dropout(node, x, *_):
    return gf.identity(x, name=node.out)  # inference: dropout passes its input on


@imports("Softmax", "LogSoftmax")
def _softmax(node, x):
    fn = gf.nn.softmax if node.type == "Softmax" else gf.nn.log_softmax
    return fn(x, axis=node.attrs.get("axis", -1), name=node.out)


@imports("LeakyRelu")
def _leaky_relu(node, x):
    return gf.nn.leaky_relu(x, alpha=node.attrs.get("alpha", 0.01), name=node.out)


@imports("Elu")
def _elu(node, x):
    alpha = node.attrs.get("alpha", 1.0)
    if alpha != 1.0:
        raise ValueError(node.refusal(f"gf.nn.elu has alpha 1, the model's is {alpha}"))
    return gf.nn.elu(x, name=node.out)


@imports("Clip")
def _clip(node, x, *_):
    low, high = node.static(1, "minimum"), node.static(2, "maximum")
    if low is not None and high is not None and float(low) == 0.0 and float(high) == 6.0:
        return gf.nn.relu6(x, name=node.out)
    if low is not None and float(low) == 0.0 and high is None:
        return gf.nn.relu(x, name=node.out)
    low = -np.inf if low is None else low
    high = np.inf if high is None else high
    return gf.clip_by_value(x, low, high, name=node.out)


# --- shapes -----------------------------------------------------------------------------------------------------------


@imports("Reshape")
def _reshape(node, x, _):
    shape = node.static(1, "shape").tolist()
    if 0 in shape and not node.attrs.get("allowzero", 0):  # 0 copies the input's dimension
        known = x.shape
        if known is None or any(known[i] is None for i, d in enumerate(shape) if d == 0):
            raise ValueError(
                node.refusal("a 0 in the shape copies a dimension that is unknown when the graph is built")
            )
        shape = [known[i] if d == 0 else d for i, d in enumerate(shape)]
    return gf.reshape(x, shape, name=node.out)


@imports("Flatten")
def _flatten(node, x):
    axis = node.attrs.get("axis", 1)
    if x.shape is None or None in x.shape[axis:]:
        raise ValueError(node.refusal("the dimensions it flattens must be known when the graph is built"))
    return gf.reshape(x, [-1 if axis else 1, int(np.prod(x.shape[axis:]))], name=node.out)


@imports("Transpose")
def _transpose(node, x):
    return gf.transpose(x, node.attrs.get("perm"), name=node.out)


@imports("Cast")
def _cast(node, x):
    return gf.cast(x, helper.tensor_dtype_to_np_dtype(node.attrs["to"]), name=node.out)


@imports("Concat")
def _concat(node, *xs):
    return gf.concat(list(xs), axis=node.attrs["axis"], name=node.out)


def _axes(node, what="axes"):
    """The axes of Squeeze, Unsqueeze and the reductions: an input from opset 13 (18 for most reductions), an
    attribute before; None when absent."""
    if "axes" in node.attrs:
        return list(node.attrs["axes"])
    value = node.static(1, what)
    return None if value is None else value.tolist()


@imports("Unsqueeze")
def _unsqueeze(node, x, *_):
    axes = sorted(_axes(node))
    rank = None if x.shape is None else len(x.shape) + len(axes)
    if any(a < 0 for a in axes):
        if rank is None:
            raise ValueError(node.refusal("negative axes need the input's rank"))
        axes = sorted(a % rank for a in axes)
    for k, a in enumerate(axes):
        x = gf.expand_dims(x, a, name=node.out if k == len(axes) - 1 else None)
    return x


@imports("Squeeze")
def _squeeze(node, x, *_):
    return gf.squeeze(x, _axes(node), name=node.out)


REDUCTIONS = {"ReduceSum": gf.reduce_sum, "ReduceMean": gf.reduce_mean, "ReduceMax": gf.reduce_max,
              "ReduceMin": gf.reduce_min, "ReduceProd": gf.reduce_prod}  # fmt: skip


@imports(*REDUCTIONS)
def _reduce(node, x, *_):
    axes = _axes(node)
    if axes == [] and node.attrs.get("noop_with_empty_axes", 0):
        return gf.identity(x, name=node.out)
    return REDUCTIONS[node.type](x, axis=axes or None, keepdims=bool(node.attrs.get("keepdims", 1)), name=node.out)


@imports("ArgMax", "ArgMin")
def _argmax(node, x):
    if node.attrs.get("select_last_index", 0):
        raise ValueError(node.refusal("select_last_index=1: graphflow picks the first of equal values"))
    axis, keep = node.attrs.get("axis", 0), node.attrs.get("keepdims", 1)
    fn = gf.argmax if node.type == "ArgMax" else gf.argmin
    index = fn(x, axis, name=None if keep else node.out)
    return gf.expand_dims(index, axis, name=node.out) if keep else index


@imports("Gather")
def _gather(node, params, indices):
    return gf.gather(params, indices, axis=node.attrs.get("axis", 0), name=node.out)


@imports("GatherElements")
def _gather_elements(node, data, indices):
    """Only the form `export` writes for a sparse cross-entropy: one index per row along the last axis."""
    axis = node.attrs.get("axis", 0)
    rank = None if data.shape is None else len(data.shape)
    if rank is None or axis % rank != rank - 1 or indices.shape is None or indices.shape[-1] != 1:
        raise ValueError(node.refusal("only one index per row along the last axis is supported"))
    depth = data.shape[-1]
    if depth is None:
        raise ValueError(node.refusal("the size of the last axis must be known when the graph is built"))
    picked = gf.one_hot(gf.squeeze(indices, [-1]), depth, dtype=data.dtype)
    return gf.reduce_sum(data * picked, axis=-1, keepdims=True, name=node.out)


@imports("Slice")
def _slice(node, x, *_):
    starts, ends = node.static(1, "starts").tolist(), node.static(2, "ends").tolist()
    axes = node.static(3, "axes")
    axes = list(range(len(starts))) if axes is None else axes.tolist()
    steps = node.static(4, "steps")
    steps = [1] * len(starts) if steps is None else steps.tolist()
    if any(a < 0 for a in axes):
        if x.shape is None:
            raise ValueError(node.refusal("negative axes need the input's rank"))
        axes = [a % len(x.shape) for a in axes]
    index = [slice(None)] * (max(axes) + 1)
    for a, start, end, step in zip(axes, starts, ends, steps, strict=True):
        index[a] = slice(_bound(start), _bound(end), step)
    return strided_slice_op(x, index=normalize_index(tuple(index)), name=node.out)


def _bound(value: int) -> int | None:
    """A slice bound, None for ONNX's "to the end" (the largest or smallest int64)."""
    return None if value >= INT64_MAX or value <= INT64_MIN else value


@imports("Shape", "Size")
def _shape(node, x):
    fn = gf.shape if node.type == "Shape" else gf.size
    return fn(x, out_type=gf.int64, name=node.out)


@imports("ConstantOfShape")
def _constant_of_shape(node, shape):
    value = numpy_helper.to_array(node.attrs["value"]) if "value" in node.attrs else np.zeros(1, np.float32)
    return gf.fill(shape, gf.constant(value.reshape(())), name=node.out)


@imports("Expand")
def _expand(node, x, shape):
    return gf.multiply(x, gf.fill(shape, gf.constant(np.ones((), x.dtype))), name=node.out)


@imports("Range")
def _range(node, start, limit, delta):
    return gf.range(start, limit, delta, name=node.out)


@imports("Tile")
def _tile(node, x, _):
    return gf.tile(x, node.static(1, "repeats").tolist(), name=node.out)

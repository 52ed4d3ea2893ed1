"""Every registered op: forward against numpy, gradient against central differences (random cotangent), and the
gradient of the gradient as a Hessian-vector product. A test fails if an op is registered without a case here.

Ops that have no gradient (comparisons, argmax, one_hot) are listed in NONDIFF and ops with state or randomness in
STATEFUL; both get their own tests below. The numerics tests feed logits of magnitude 1e4 and sigmoids of 1e30 and
turn every floating-point warning into an error.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import graphflow as gf
import graphflow.distribute as hvd
from graphflow.distribute.ops import own_rows, pad_rows
from graphflow.ops import broadcast_like, relu_grad, sum_to
from graphflow.ops.activation import relu_op
from graphflow.ops.array import (
    concat_offset,
    concat_part,
    concat_part_grad,
    gather_grad,
    pad_like,
    slice_like,
    tile_grad,
)
from graphflow.ops.control_flow import undead
from graphflow.ops.loss import sparse_softmax_xent_grad, sparse_softmax_xent_op
from graphflow.ops.reduction import reduced_size_op
from graphflow.ops.shape import reshape_like
from graphflow.ops.slicing import strided_slice_grad
from graphflow.registry import OPS
from tests.gradcheck import check_forward, check_gradients, check_second_derivative, kink_free

hvd.init()  # a world of one process here: every collective returns its input (tests/test_distribute.py runs two)

# --------------------------------------------------------------------------------------------------------------------
# numpy references


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def np_xent(labels, logits):
    return -np.sum(labels * np_log_softmax(logits), axis=-1)


def np_sparse_xent(logits, labels):
    return -np.take_along_axis(np_log_softmax(logits), labels[..., None], axis=-1)[..., 0]


def np_sparse_xent_grad(g, logits, labels):
    target = np.eye(logits.shape[-1])[labels]
    return g[..., None] * (np.exp(np_log_softmax(logits)) - target)


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_sum_to(t, like):
    lead = t.ndim - like.ndim
    t = t.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, d in enumerate(like.shape) if d == 1 and t.shape[i] != 1)
    return t.sum(axis=axes, keepdims=True)


# --------------------------------------------------------------------------------------------------------------------
# The case table


@dataclass(frozen=True)
class Case:
    """One op under test: `build(*inputs, *extra)` must contain a node of type `op`; `ref` is its numpy twin."""

    op: str
    build: Callable[..., gf.Node]
    ref: Callable[..., Any]
    shapes: tuple
    domain: Any = None
    extra: tuple = ()
    rtol: float = 1e-5
    atol: float = 1e-7
    eps: float = 1e-6
    label: str = ""
    static_shape: tuple | None = None  # the build-time shape when the op declares less than the run-time one

    @property
    def id(self) -> str:
        return f"{self.op}-{self.label or 'x'.join(str(list(s)) for s in self.shapes)}"


POSITIVE = (0.5, 2.0)
LABELS = np.array([0, 3, 1, 2, 3])  # class indices for 4 classes
LABELS_2D = np.array([[0, 3, 1], [2, 2, 0]])
CONDITION = np.random.default_rng(7).random((3, 4)) < 0.5
CONDITION_ROW = np.array([True, False, False, True])

BROADCAST_PAIRS = [
    [(3, 4), (3, 4)],
    [(3, 4), (4,)],
    [(4,), (3, 4)],
    [(3, 1), (1, 4)],
    [(), (2, 3)],
    [(2, 3), ()],
]
BINARY = {  # op type: (function, numpy reference, domain)
    "Add": (gf.add, np.add, None),
    "Sub": (gf.subtract, np.subtract, None),
    "Mul": (gf.multiply, np.multiply, None),
    "RealDiv": (gf.divide, np.true_divide, [None, POSITIVE]),
    "Pow": (gf.power, np.power, [POSITIVE, (-2.0, 2.0)]),
    "Maximum": (gf.maximum, np.maximum, None),
    "Minimum": (gf.minimum, np.minimum, None),
}
REDUCTIONS = {
    "Sum": (gf.reduce_sum, np.sum),
    "Mean": (gf.reduce_mean, np.mean),
    "Max": (gf.reduce_max, np.max),
    "Min": (gf.reduce_min, np.min),
    "Prod": (gf.reduce_prod, np.prod),
}


def _binary_cases() -> list[Case]:
    return [
        Case(op, lambda x, y, f=f: f(x, y), ref, tuple(shapes), domain)
        for op, (f, ref, domain) in BINARY.items()
        for shapes in BROADCAST_PAIRS
    ]


def _reduction_cases() -> list[Case]:
    cases = []
    for op, (f, ref) in REDUCTIONS.items():
        for axis in [0, 1, -1, (0, 1), None]:
            for keepdims in [False, True]:
                cases.append(
                    Case(
                        op,
                        lambda x, f=f, a=axis, k=keepdims: f(x, axis=a, keepdims=k),
                        lambda x, ref=ref, a=axis, k=keepdims: ref(x, axis=a, keepdims=k),
                        ((3, 4),),
                        label=f"axis={axis},keepdims={keepdims}",
                    )
                )
        cases.append(
            Case(
                op,
                lambda x, f=f: f(x, axis=[0, 2]),
                lambda x, ref=ref: ref(x, axis=(0, 2)),
                ((2, 3, 4),),
                label="axis=[0,2] of rank 3",
            )
        )
    return cases


def _scatter_add(g, shape, indices):
    out = np.zeros(shape)
    np.add.at(out, indices, g)
    return out


def _scatter(g, shape, index):
    out = np.zeros(shape)
    out[index] = g
    return out


def away_from_integers(offset: float, margin: float = 0.1):
    """A domain of values in [-3, 3] at least `margin` from every integer plus `offset` (where floor or round jump)."""

    def draw(rng, shape):
        return rng.integers(-3, 3, size=shape) + offset + rng.uniform(margin, 1.0 - margin, size=shape)

    return draw


def away_from(points: list[float], margin: float = 0.1, center: float = 0.0, spread: float = 1.0):
    """A normal domain (`center`, `spread`) with every value at least `margin` from each of `points` (kinks)."""

    def draw(rng, shape):
        x = center + spread * rng.standard_normal(shape)
        for p in points:
            x = np.where(np.abs(x - p) < margin, p + np.where(x < p, -margin, margin), x)
        return x

    return draw


CASES: list[Case] = [
    *_binary_cases(),
    *_reduction_cases(),
    # operator overloads and Python-number operands
    Case("Add", lambda x, y: x + y, np.add, ((3, 4), (4,)), label="x + y"),
    Case("Add", lambda x: 2.5 + x, lambda x: 2.5 + x, ((3,),), label="2.5 + x"),
    Case("Sub", lambda x: 1.0 - x, lambda x: 1.0 - x, ((3,),), label="1 - x"),
    Case("Mul", lambda x: x * 3.0, lambda x: x * 3.0, ((3,),), label="x * 3"),
    Case("RealDiv", lambda x: 1.0 / x, lambda x: 1.0 / x, ((3,),), POSITIVE, label="1 / x"),
    Case("RealDiv", lambda x, y: x / y, np.true_divide, ((2, 3), (3,)), [None, POSITIVE], label="x / y"),
    Case("Pow", lambda x: x**3.0, lambda x: x**3.0, ((2, 3),), label="x ** 3 (negative x)"),
    Case("Pow", lambda x: 2.0**x, lambda x: 2.0**x, ((2, 3),), label="2 ** x"),
    Case("Neg", lambda x: -x, np.negative, ((2, 3),), label="-x"),
    Case("Abs", abs, np.abs, ((2, 3),), kink_free(), label="abs(x)"),
    Case("MatMul", lambda a, b: a @ b, np.matmul, ((2, 3), (3, 2)), label="a @ b"),
    # AddN (n-ary, broadcasting) and Select (bool condition as an extra input)
    Case("AddN", lambda x, y, z: gf.add_n([x, y, z]), lambda x, y, z: x + y + z, ((3, 4),) * 3),
    Case("AddN", lambda x, y, z: gf.add_n([x, y, z]), lambda x, y, z: x + y + z, ((3, 4), (4,), ())),
    Case("AddN", lambda x, y: gf.add_n([x, y]), np.add, ((3, 1), (1, 4))),
    Case("AddN", lambda x: gf.add_n([x]), lambda x: x, ((3,),)),
    Case(
        "Select",
        lambda x, y, c: gf.where(c, x, y),
        lambda x, y, c: np.where(c, x, y),
        ((3, 4), (3, 4)),
        extra=(CONDITION,),
        label="(3,4)",
    ),
    Case(
        "Select",
        lambda x, y, c: gf.where(c, x, y),
        lambda x, y, c: np.where(c, x, y),
        ((3, 1), (4,)),
        extra=(CONDITION,),
        label="x (3,1), y (4,)",
    ),
    Case(
        "Select",
        lambda x, y, c: gf.where(c, x, y),
        lambda x, y, c: np.where(c, x, y),
        ((3, 4), ()),
        extra=(CONDITION_ROW,),
        label="condition (4,), y scalar",
    ),
    # unary elementwise
    Case("Abs", gf.abs, np.abs, ((3, 4),), kink_free()),
    Case("Neg", gf.negative, np.negative, ((3, 4),)),
    Case("Exp", gf.exp, np.exp, ((3, 4),)),
    Case("Log", gf.log, np.log, ((3, 4),), POSITIVE),
    Case("Square", gf.square, np.square, ((3, 4),)),
    Case("Sqrt", gf.sqrt, np.sqrt, ((3, 4),), POSITIVE),
    Case("Sign", gf.sign, np.sign, ((3, 4),), kink_free(), label="zero gradient away from 0"),
    Case("Log1p", gf.log1p, np.log1p, ((3, 4),), (-0.5, 2.0)),
    Case("Reciprocal", gf.reciprocal, np.reciprocal, ((3, 4),), kink_free(0.5)),
    Case("Rsqrt", gf.rsqrt, lambda x: 1 / np.sqrt(x), ((3, 4),), POSITIVE),
    Case("Floor", gf.floor, np.floor, ((3, 4),), away_from_integers(0.0), label="zero gradient between integers"),
    Case("Round", gf.round, np.round, ((3, 4),), away_from_integers(0.5), label="zero gradient between halves"),
    Case(
        "FloorDiv",
        lambda x: x // 0.7,
        lambda x: np.floor_divide(x, 0.7),
        ((3, 4),),
        away_from_integers(0.0),
        label="x // 0.7, zero gradient",
    ),
    Case("FloorMod", lambda x, y: x % y, np.mod, ((3, 4), (4,)), [away_from_integers(0.0), (1.5, 2.5)], label="x % y"),
    Case(
        "FloorMod", lambda y: 5.0 % y, lambda y: np.mod(5.0, y), ((3,),), (1.5, 2.5), label="5 % y, d/dy = -floor(5/y)"
    ),
    *[
        Case("SquaredDifference", gf.squared_difference, lambda x, y: (x - y) ** 2, tuple(shapes))
        for shapes in BROADCAST_PAIRS[:4]
    ],
    Case(
        "Maximum",
        lambda x: gf.clip_by_value(x, -0.5, 0.8),
        lambda x: np.clip(x, -0.5, 0.8),
        ((3, 4),),
        away_from([-0.5, 0.8]),
        label="clip_by_value",
    ),
    Case("Sigmoid", gf.sigmoid, np_sigmoid, ((3, 4),), (-4.0, 4.0)),
    Case("Tanh", gf.tanh, np.tanh, ((3, 4),)),
    Case("Relu", gf.nn.relu, lambda x: np.maximum(x, 0), ((3, 4),), kink_free()),
    Case("Relu6", gf.nn.relu6, lambda x: np.clip(x, 0, 6), ((3, 4),), away_from([0.0, 6.0], 0.2, 3.0, 3.0)),
    Case(
        "LeakyRelu", gf.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), ((3, 4),), kink_free(), label="alpha 0.2"
    ),
    Case(
        "LeakyRelu",
        lambda x: gf.nn.leaky_relu(x, alpha=0.01),
        lambda x: np.where(x > 0, x, 0.01 * x),
        ((3, 4),),
        kink_free(),
        label="alpha 0.01",
    ),
    Case("Elu", gf.nn.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1), ((3, 4),), kink_free()),
    Case("Softplus", gf.nn.softplus, lambda x: np.log(1 + np.exp(x)), ((3, 4),)),
    Case("Identity", gf.identity, lambda x: x, ((3, 4),)),
    Case(
        "PlaceholderWithDefault",
        lambda x: gf.placeholder_with_default(x, [None, 4]),
        lambda x: x,
        ((3, 4),),
        label="not fed: its default",
        static_shape=(None, 4),  # the declared shape: a feed may have any number of rows
    ),
    Case("CheckNumerics", lambda x: gf.check_numerics(x, "finite"), lambda x: x, ((3, 4),)),
    Case("ZerosLike", lambda x: gf.zeros_like(x) + x, lambda x: x, ((3, 4),), label="zeros_like(x) + x"),
    Case("OnesLike", lambda x: gf.ones_like(x) * x, lambda x: x, ((3, 4),), label="ones_like(x) * x"),
    Case(
        "Cast",
        lambda x: gf.cast(gf.cast(x, gf.float32), gf.float64),
        lambda x: x.astype(np.float32).astype(np.float64),
        ((3, 4),),
        rtol=1e-3,
        atol=1e-4,
        eps=1e-3,
        label="float64 -> float32 -> float64",
    ),
    Case("Cast", lambda x: gf.cast(x, gf.float64), lambda x: x, ((3,),), label="float64 -> float64"),
    # activations along an axis
    Case("Softmax", gf.nn.softmax, np_softmax, ((3, 4),)),
    Case("Softmax", lambda x: gf.nn.softmax(x, axis=0), lambda x: np_softmax(x, 0), ((3, 4),), label="axis=0"),
    Case("Softmax", lambda x: gf.nn.softmax(x, axis=1), lambda x: np_softmax(x, 1), ((2, 3, 4),), label="axis=1"),
    Case("LogSoftmax", gf.nn.log_softmax, np_log_softmax, ((3, 4),)),
    Case(
        "LogSoftmax", lambda x: gf.nn.log_softmax(x, axis=0), lambda x: np_log_softmax(x, 0), ((3, 4),), label="axis=0"
    ),
    # fused losses: labels that do not sum to 1, so the true gradient differs from softmax - labels
    Case(
        "SoftmaxCrossEntropyWithLogits",
        lambda labels, logits: gf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits),
        np_xent,
        ((3, 4), (3, 4)),
        label="v2, unnormalised labels",
    ),
    Case(
        "SoftmaxCrossEntropyWithLogits",
        lambda labels, logits: gf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits),
        np_xent,
        ((4,), (4,)),
        label="rank 1",
    ),
    Case(
        "SoftmaxCrossEntropyWithLogits",
        lambda labels, logits: gf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits),
        np_xent,
        ((2, 3, 4), (2, 3, 4)),
        (0.0, 1.0),
        label="rank 3",
    ),
    Case(
        "SoftmaxCrossEntropyWithLogits",
        lambda logits, labels: gf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits),
        lambda logits, labels: np_xent(labels, logits),
        ((3, 4),),
        extra=(np.array([[0.2, 0.3, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0], [0.1, 0.1, 0.1, 0.7]]),),
        label="v1, labels not differentiated",
    ),
    Case(
        "SparseSoftmaxCrossEntropyWithLogits",
        lambda logits, labels: gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits),
        np_sparse_xent,
        ((5, 4),),
        extra=(LABELS,),
    ),
    Case(
        "SparseSoftmaxCrossEntropyWithLogits",
        lambda logits, labels: gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits),
        np_sparse_xent,
        ((2, 3, 4),),
        extra=(LABELS_2D.astype(np.int32),),
        label="rank-2 int32 labels",
    ),
    Case(
        "SparseSoftmaxCrossEntropyWithLogitsGrad",
        lambda g, logits, labels: sparse_softmax_xent_grad(g, labels, logits),
        np_sparse_xent_grad,
        ((5,), (5, 4)),
        extra=(LABELS,),
    ),
    Case(
        "SparseSoftmaxCrossEntropyWithLogitsGrad",
        lambda g, logits, labels: sparse_softmax_xent_grad(g, labels, logits),
        np_sparse_xent_grad,
        ((2, 3), (2, 3, 4)),
        extra=(LABELS_2D,),
        label="rank 3",
    ),
    Case(
        "SparseSoftmaxCrossEntropyWithLogitsGrad",
        lambda g, logits, labels: sparse_softmax_xent_grad(g, labels, logits),
        np_sparse_xent_grad,
        ((), (5, 4)),
        extra=(LABELS,),
        label="0-d g, as a mean's gradient gives it",
    ),
    # losses and normalisations composed of the ops above
    Case(
        "Log1p",
        lambda z, x: gf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
        lambda z, x: -z * np.log(np_sigmoid(x)) - (1 - z) * np.log(1 - np_sigmoid(x)),
        ((3, 4), (3, 4)),
        [(0.0, 1.0), kink_free(0.1, 4.0)],
        label="sigmoid_cross_entropy_with_logits",
    ),
    Case(
        "Log1p",
        lambda z, x: gf.losses.sigmoid_cross_entropy(z, x, label_smoothing=0.2),
        lambda z, x: np.mean(
            -(z * 0.8 + 0.1) * np.log(np_sigmoid(x)) - (1 - (z * 0.8 + 0.1)) * np.log(1 - np_sigmoid(x))
        ),
        ((3, 4), (3, 4)),
        [(0.0, 1.0), None],
        label="losses.sigmoid_cross_entropy",
    ),
    Case(
        "Rsqrt",
        lambda x: gf.nn.l2_normalize(x, axis=1),
        lambda x: x / np.sqrt((x**2).sum(1, keepdims=True)),
        ((3, 4),),
        label="l2_normalize",
    ),
    Case("Rsqrt", gf.nn.l2_normalize, lambda x: x / np.sqrt((x**2).sum()), ((3, 4),), label="l2_normalize all"),
    Case("Squeeze", lambda x: gf.nn.moments(x, [0])[0], lambda x: x.mean(0), ((3, 4),), label="moments mean"),
    # linear algebra and shapes
    Case("MatMul", gf.matmul, np.matmul, ((3, 4), (4, 2))),
    Case(
        "MatMul",
        lambda a, b: gf.matmul(a, b, transpose_a=True),
        lambda a, b: a.T @ b,
        ((4, 3), (4, 2)),
        label="transpose_a",
    ),
    Case(
        "MatMul",
        lambda a, b: gf.matmul(a, b, transpose_b=True),
        lambda a, b: a @ b.T,
        ((3, 4), (2, 4)),
        label="transpose_b",
    ),
    Case(
        "MatMul",
        lambda a, b: gf.matmul(a, b, transpose_a=True, transpose_b=True),
        lambda a, b: a.T @ b.T,
        ((4, 3), (2, 4)),
        label="transpose_a and transpose_b",
    ),
    Case("MatMul", gf.matmul, np.matmul, ((2, 3, 4), (2, 4, 2)), label="batched"),
    Case("MatMul", gf.matmul, np.matmul, ((2, 3, 4), (4, 2)), label="batch (2,3,4) @ (4,2)"),
    Case("MatMul", gf.matmul, np.matmul, ((3, 4), (2, 4, 2)), label="batch (3,4) @ (2,4,2)"),
    Case("Transpose", gf.transpose, np.transpose, ((3, 4),)),
    Case(
        "Transpose",
        lambda x: gf.transpose(x, perm=[2, 0, 1]),
        lambda x: np.transpose(x, (2, 0, 1)),
        ((2, 3, 4),),
        label="perm=[2,0,1]",
    ),
    Case("Reshape", lambda x: gf.reshape(x, [2, 6]), lambda x: x.reshape(2, 6), ((3, 4),)),
    Case("Reshape", lambda x: gf.reshape(x, [-1]), lambda x: x.reshape(-1), ((3, 4),), label="[-1]"),
    Case("Reshape", lambda x: gf.reshape(x, [4, -1]), lambda x: x.reshape(4, -1), ((2, 3, 4),), label="[4,-1]"),
    Case("Reshape", lambda x: gf.reshape(x, [1, 3, 1]), lambda x: x.reshape(1, 3, 1), ((3,),), label="[1,3,1]"),
    # joining, splitting, repeating, picking
    Case("ConcatV2", lambda x, y: gf.concat([x, y], 0), lambda x, y: np.concatenate([x, y]), ((2, 3), (4, 3))),
    Case(
        "ConcatV2",
        lambda x, y, z: gf.concat([x, y, z], axis=-1),
        lambda x, y, z: np.concatenate([x, y, z], -1),
        ((2, 1), (2, 3), (2, 2)),
        label="three inputs, axis=-1",
    ),
    Case(
        "ConcatPart",
        lambda g, a, b: concat_part(g, concat_offset(a, b, axis=1), b, axis=1, index=1),
        lambda g, a, b: g[:, 2:],
        ((2, 5), (2, 2), (2, 3)),
    ),
    Case(
        "ConcatPartGrad",
        lambda gg, g, a, b: concat_part_grad(gg, g, concat_offset(a, b, axis=-1), axis=-1, index=1),
        lambda gg, g, a, b: np.concatenate([np.zeros((2, 2)), gg], axis=-1),
        ((2, 3), (2, 5), (2, 2), (2, 3)),
    ),
    Case(
        "ConcatOffset",
        lambda a, b: a * gf.cast(concat_offset(b, a, b, axis=0)[2], gf.float64),
        lambda a, b: a * 7.0,
        ((3, 2), (4, 2)),
    ),
    Case("Pack", lambda x, y: gf.stack([x, y]), lambda x, y: np.stack([x, y]), ((2, 3), (2, 3))),
    Case(
        "Pack",
        lambda x, y, z: gf.stack([x, y, z], axis=-1),
        lambda x, y, z: np.stack([x, y, z], -1),
        ((2, 3),) * 3,
        label="axis=-1",
    ),
    Case("Pack", lambda x, y: gf.stack([x, y], 1), lambda x, y: np.stack([x, y], 1), ((2, 3), (2, 3)), label="axis=1"),
    Case("StridedSlice", lambda x: gf.unstack(x)[2], lambda x: x[2], ((3, 4),), label="unstack"),
    Case("StridedSlice", lambda x: gf.unstack(x, axis=-1)[1], lambda x: x[..., 1], ((2, 3, 4),), label="unstack -1"),
    Case("Squeeze", gf.squeeze, np.squeeze, ((1, 3, 1),)),
    Case("Squeeze", lambda x: gf.squeeze(x, [2]), lambda x: x[:, :, 0], ((1, 3, 1),), label="axis=[2]"),
    Case("ExpandDims", lambda x: gf.expand_dims(x, 0), lambda x: x[None], ((2, 3),)),
    Case("ExpandDims", lambda x: gf.expand_dims(x, -1), lambda x: x[..., None], ((2, 3),), label="axis=-1"),
    Case("ExpandDims", lambda x: gf.expand_dims(x, dim=1), lambda x: x[:, None], ((2, 3),), label="dim=1"),
    Case("Tile", lambda x: gf.tile(x, [2, 1]), lambda x: np.tile(x, (2, 1)), ((2, 3),)),
    Case("Tile", lambda x: gf.tile(x, [2, 3]), lambda x: np.tile(x, (2, 3)), ((2, 2),), label="[2,3]"),
    Case("Tile", lambda x: gf.tile(x, [3]), lambda x: np.tile(x, 3), ((2,),), label="rank 1"),
    Case(
        "TileGrad",
        lambda g, x: tile_grad(g, x, multiples=(2, 3)),
        lambda g, x: g.reshape(2, 2, 3, 2).sum(axis=(0, 2)),
        ((4, 6), (2, 2)),
    ),
    Case("GatherV2", gf.gather, lambda p, i: p[i], ((5, 3),), extra=(np.array([0, 2, 2, 4]),), label="rows"),
    Case(
        "GatherV2",
        lambda p, i: gf.gather(p, i, axis=1),
        lambda p, i: np.take(p, i, axis=1),
        ((2, 4, 3),),
        extra=(np.array([[3, 0], [3, 3]], np.int32),),
        label="axis=1, 2-d int32 indices",
    ),
    Case(
        "GatherGrad",
        lambda g, p, i: gather_grad(g, i, p, axis=0),
        lambda g, p, i: _scatter_add(g, p.shape, i),
        ((4, 3), (5, 3)),
        extra=(np.array([0, 2, 2, 4]),),
    ),
    # shapes as values
    Case("Shape", lambda x: x * gf.cast(gf.reduce_prod(gf.shape(x)), gf.float64), lambda x: x * 12.0, ((3, 4),)),
    Case("Size", lambda x: x * gf.cast(gf.size(x), gf.float64), lambda x: x * 12.0, ((3, 4),)),
    Case("Rank", lambda x: x * gf.cast(gf.rank(x), gf.float64), lambda x: x * 2.0, ((3, 4),)),
    Case("Fill", lambda v: gf.fill([2, 3], v), lambda v: np.full((2, 3), v), ((),)),
    Case("Fill", lambda x, v: x * gf.fill(gf.shape(x), v), lambda x, v: x * v, ((2, 3), ()), label="dims shape(x)"),
    Case("Range", lambda x: x * gf.range(3.0, dtype=gf.float64), lambda x: x * np.arange(3.0), ((2, 3),)),
    # internal ops the gradient rules build
    Case(
        "StridedSlice",
        lambda x: x[1:, ::-2, gf.newaxis],
        lambda x: x[1:, ::-2, None],
        ((3, 5),),
        label="x[1:, ::-2, newaxis]",
    ),
    Case("StridedSlice", lambda x: x[..., 1], lambda x: x[..., 1], ((2, 3, 4),), label="x[..., 1]"),
    Case("StridedSlice", lambda x: gf.slice(x, [1, 0], [2, -1]), lambda x: x[1:3, 0:], ((4, 3),), label="slice"),
    Case(
        "StridedSlice",
        lambda x: gf.strided_slice(x, [0, 3], [2, 0], [1, -1], end_mask=1, shrink_axis_mask=0),
        lambda x: x[0:, 3:0:-1],
        ((3, 5),),
        label="strided_slice",
    ),
    Case(
        "StridedSliceGrad",
        lambda g, x: strided_slice_grad(g, x, index=(slice(1, None), 2)),
        lambda g, x: _scatter(g, x.shape, (slice(1, None), 2)),
        ((2,), (3, 4)),
    ),
    Case("Sin", gf.sin, np.sin, ((3, 4),)),
    Case("Cos", gf.cos, np.cos, ((3, 4),)),
    Case("Sin", lambda x: gf.sin(gf.cos(x)), lambda x: np.sin(np.cos(x)), ((5,),), label="sin(cos(x))"),
    Case(
        "ReshapeDynamic",
        lambda x, y: gf.reshape(x, gf.shape(y)),
        lambda x, y: x.reshape(y.shape),
        ((3, 4), (2, 6)),
        label="reshape(x, shape(y))",
        static_shape=(None, None),  # the rank is known from shape(y); the sizes only when the graph runs
    ),
    Case(
        "ReshapeDynamic",
        lambda x, y: gf.reshape(x, [gf.shape(y)[0], -1]),
        lambda x, y: x.reshape(y.shape[0], -1),
        ((3, 4), (2,)),
        label="reshape(x, [shape(y)[0], -1])",
        static_shape=(None, None),  # the rank is known from the list's length; the sizes only when the graph runs
    ),
    Case("Pad", lambda x: gf.pad(x, [[1, 0], [2, 3]]), lambda x: np.pad(x, [[1, 0], [2, 3]]), ((2, 3),)),
    Case(
        "Pad",
        lambda x: gf.pad(x, [[0, 2]], constant_values=1.5),
        lambda x: np.pad(x, [[0, 2]], constant_values=1.5),
        ((3,),),
        label="constant_values",
    ),
    Case("SliceLike", lambda t, like: slice_like(t, like, begin=(1, 0)), lambda t, like: t[1:3, 0:2], ((4, 3), (2, 2))),
    Case(
        "PadLike",
        lambda g, like: pad_like(g, like, begin=(1, 2)),
        lambda g, like: np.pad(g, [[1, 1], [2, 0]]),
        ((2, 2), (4, 4)),
    ),
    Case("Print", lambda x, y: gf.Print(x, [y], "printed: "), lambda x, y: x, ((2, 3), (2,))),
    Case("ReshapeLike", reshape_like, lambda t, like: t.reshape(like.shape), ((3, 4), (2, 6))),
    Case("ReshapeLike", reshape_like, lambda t, like: t.reshape(like.shape), ((3, 4), (12,))),
    Case("SumTo", sum_to, np_sum_to, ((3, 4), (4,))),
    Case("SumTo", sum_to, np_sum_to, ((3, 4), (3, 1))),
    Case("SumTo", sum_to, np_sum_to, ((3, 4), ())),
    Case("SumTo", sum_to, np_sum_to, ((2, 3, 4), (3, 1))),
    Case("SumTo", sum_to, np_sum_to, ((3, 4), (3, 4)), label="same shape"),
    Case("BroadcastLike", broadcast_like, lambda g, like: np.broadcast_to(g, like.shape), ((4,), (3, 4))),
    Case("BroadcastLike", broadcast_like, lambda g, like: np.broadcast_to(g, like.shape), ((3, 1), (3, 4))),
    Case("BroadcastLike", broadcast_like, lambda g, like: np.broadcast_to(g, like.shape), ((), (2, 3))),
    Case(
        "BroadcastLike",
        lambda g, like: broadcast_like(g, like, axis=(1,)),
        lambda g, like: np.broadcast_to(g[:, None], like.shape),
        ((3,), (3, 4)),
        label="reinsert axis 1",
    ),
    Case(
        "BroadcastLike",
        lambda g, like: broadcast_like(g, like, axis=(0, 2)),
        lambda g, like: np.broadcast_to(g[None, :, None], like.shape),
        ((3,), (2, 3, 4)),
        label="reinsert axes 0 and 2",
    ),
    Case(
        "BroadcastLike",
        lambda g, like: broadcast_like(g, like, axis=(1,)),
        lambda g, like: np.broadcast_to(g, like.shape),
        ((), (3, 4)),
        label="0-d g with an axis",
    ),
    Case(
        "ReducedSize",
        lambda x: x * reduced_size_op(x, axis=(1,)),
        lambda x: x * 4.0,
        ((3, 4),),
        label="axis=(1,)",
    ),
    Case("ReducedSize", lambda x: x * reduced_size_op(x, axis=None), lambda x: x * 12.0, ((3, 4),), label="all axes"),
    *[
        Case(
            op,
            lambda x, y, p: gf.cond(p, lambda: gf.exp(x) * y, lambda: x - y),
            lambda x, y, p: np.exp(x) * y if p else x - y,
            ((3,), (3,)),
            extra=(taken,),
            label=f"cond taking the {'true' if taken else 'false'} branch",
        )
        for op in ("Switch", "Merge")
        for taken in (True, False)
    ],
    Case("Undead", undead, lambda g, like: g, ((3,), (3,)), label="a live gradient"),
    Case("HorovodAllreduce", hvd.allreduce, lambda x: x, ((3, 4),), label="average"),
    Case("HorovodAllreduce", lambda x: hvd.allreduce(x, op=hvd.Sum), lambda x: x, ((3, 4),), label="sum"),
    Case("HorovodAllgather", hvd.allgather, lambda x: x, ((3, 2),), static_shape=(None, 2)),  # rows: every rank's
    Case("HorovodBroadcast", lambda x: hvd.broadcast(x, 0), lambda x: x, ((3, 2),)),
    Case("HorovodOwnRows", own_rows, lambda t, x: t, ((3, 2), (3, 2))),
    Case("HorovodPadRows", pad_rows, lambda g, t: g, ((3, 2), (3, 2))),
    Case(
        "ReluGrad", relu_grad, lambda g, x: np.where(x > 0, g, 0.0), ((3, 4), (3, 4)), [None, kink_free()], label="g, x"
    ),
]

NONDIFF = {
    "ArgMax", "Equal", "NotEqual", "Greater", "GreaterEqual", "Less", "LessEqual", "OneHot", "StopGradient",
    "LogicalAnd", "LogicalOr", "LogicalNot", "Any", "All", "ArgMin",
    "While", "TupleGet",  # loops have no gradient (tests/test_control_flow.py checks the error)
    "ScalarSummary", "HistogramSummary", "MergeSummary",  # their values are bytes (tests/test_summary.py)
    "ImageSummary", "PrintV2", "InTopK",  # tests/test_tf1_names.py
}  # fmt: skip
STATEFUL = {
    "ApplyAdagrad", "ApplyAdam", "ApplyCenteredRMSProp", "ApplyGradientDescent", "ApplyMomentum", "ApplyRMSProp",
    "Assign", "AssignAdd", "AssignSub", "NoOp", "RandomStandardNormal", "RandomUniform", "TruncatedNormal",
    "DropoutMask",  # tests/test_dropout.py
}  # fmt: skip


def _registered_ops() -> set[str]:
    """The library's ops; tests may register throw-away ops whose names start with "Test"."""
    return {name for name in OPS if not name.startswith("Test")}


def test_every_registered_op_has_a_case():
    covered = {c.op for c in CASES}
    assert not (covered & NONDIFF) and not (covered & STATEFUL) and not (NONDIFF & STATEFUL)
    assert covered | NONDIFF | STATEFUL == _registered_ops()


def test_each_case_builds_the_op_it_names():
    for case in CASES:
        with gf.Graph().as_default() as graph:
            xs = [gf.placeholder(gf.float64, s) for s in case.shapes]
            extra = [gf.placeholder(np.asarray(e).dtype, np.shape(e)) for e in case.extra]
            case.build(*xs, *extra)
            assert case.op in {n.type for n in graph.nodes}, case.id


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_forward(case):
    check_forward(
        case.build, case.ref, case.shapes, domain=case.domain, extra=case.extra, static_shape=case.static_shape
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_gradient(case):
    check_gradients(
        case.build, case.shapes, rtol=case.rtol, atol=case.atol, eps=case.eps, domain=case.domain, extra=case.extra
    )


SECOND_ORDER_SKIP = {
    "Cast-float64 -> float32 -> float64": "float32 rounding swamps the differences of differences",
    "Sign-zero gradient away from 0": "no first derivative flows, so there is nothing to differentiate again",
    "Floor-zero gradient between integers": "no first derivative flows, so there is nothing to differentiate again",
    "Round-zero gradient between halves": "no first derivative flows, so there is nothing to differentiate again",
    "FloorDiv-x // 0.7, zero gradient": "no first derivative flows, so there is nothing to differentiate again",
}


@pytest.mark.parametrize("case", [c for c in CASES if c.id not in SECOND_ORDER_SKIP], ids=lambda c: c.id)
def test_second_derivative(case):
    check_second_derivative(case.build, case.shapes, domain=case.domain, extra=case.extra)


@pytest.mark.parametrize(
    ("build", "shapes", "domain"),
    [
        (lambda x: gf.reduce_mean(x, axis=1), [(3, 4)], None),
        (lambda x: gf.reduce_mean(x), [(3, 4)], None),
        (lambda x, y: x * y, [(3, 1), (1, 4)], None),
        (lambda x, y: x / y, [(3, 4), (4,)], [None, POSITIVE]),
        (lambda x: gf.reshape(x, [-1, 2]), [(3, 4)], None),
        (lambda x: gf.reduce_max(x, axis=0), [(3, 4)], None),
        (gf.nn.softmax, [(3, 4)], None),
        (lambda x, y, z: gf.concat([x, y, z], axis=-1), [(2, 1), (2, 3), (2, 2)], None),
    ],
    ids=["mean axis 1", "mean all", "mul broadcast", "div broadcast", "reshape", "max", "softmax", "concat"],
)
def test_gradient_with_shapes_known_only_at_run_time(build, shapes, domain):
    """Placeholders of unknown shape make the rules use their run-time paths (ReducedSize, SumTo of unknown shapes)."""
    check_gradients(build, shapes, domain=domain, static_shapes=False)
    check_second_derivative(build, shapes, domain=domain, static_shapes=False)


def test_unknown_shape_mean_uses_reduced_size():
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, [None, 4])
        gf.gradients(gf.reduce_mean(x, axis=0), x)
        assert "ReducedSize" in {n.type for n in graph.nodes}


# --------------------------------------------------------------------------------------------------------------------
# Specific gradient semantics


def _run(fetches, feed=None):
    with gf.Session() as sess:
        return sess.run(fetches, feed)


def test_max_gradient_is_shared_between_ties():
    with gf.Graph().as_default():
        x = gf.constant(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]]))
        (g,) = gf.gradients(gf.reduce_max(x, axis=1), x)
        np.testing.assert_array_equal(_run(g), [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_min_gradient_is_shared_between_ties_and_prod_gradient_is_exact_at_zeros():
    """TF-1 1.15 gives these gradients: a zero's share is the product of the rest; two zeros leave nothing."""
    with gf.Graph().as_default():
        m = gf.constant(np.array([[1.0, 1.0, 3.0]]))
        p = gf.constant(np.array([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0], [2.0, 3.0, 4.0]]))
        grads = _run([gf.gradients(gf.reduce_min(m, axis=1), m)[0], gf.gradients(gf.reduce_prod(p, axis=1), p)[0]])
    np.testing.assert_array_equal(grads[0], [[0.5, 0.5, 0.0]])
    np.testing.assert_array_equal(grads[1], [[0.0, 3.0, 0.0], [0.0, 0.0, 0.0], [12.0, 8.0, 6.0]])


def test_prod_gradient_with_a_zero_against_finite_differences():
    def with_zero(rng, shape):
        x = rng.standard_normal(shape)
        x[0, 1] = x[2, 0] = x[2, 3] = 0.0  # one zero in row 0, two in row 2
        return x

    for axis in (1, None):
        check_gradients(lambda x, a=axis: gf.reduce_prod(x, axis=a), [(3, 4)], domain=with_zero)


def test_bool_reductions_argmin_and_count_nonzero():
    b = np.array([[True, False, True], [False, False, False]])
    x = np.array([[0.0, 2.0, -1.0], [3.0, 0.0, 0.0]])
    with gf.Graph().as_default():
        bn, xn = gf.constant(b), gf.constant(x)
        nodes = [
            gf.reduce_any(bn, axis=1),
            gf.reduce_all(bn, reduction_indices=[0], keep_dims=True),
            gf.reduce_any(bn),
            gf.argmin(xn, axis=1),
            gf.argmin(xn),
            gf.count_nonzero(xn),
            gf.count_nonzero(xn, axis=0, keepdims=True, dtype=gf.int32),
            gf.count_nonzero(bn, axis=1),
        ]
        assert [n.dtype for n in nodes] == [gf.bool] * 3 + [gf.int64] * 3 + [gf.int32, gf.int64]
        with pytest.raises(TypeError, match=r"Any.*bool tensor, got float64.*x > 0"):
            gf.reduce_any(xn)
        values = _run(nodes)
    expected = [[True, False], [[False, False, False]], True, [2, 1], [0, 1, 0], 3, [[1, 1, 1]], [2, 0]]
    for got, want in zip(values, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_gather_gradient_adds_up_repeated_indices_as_tf1():
    with gf.Graph().as_default():
        p = gf.constant(np.array([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0], [2.0, 3.0, 4.0]]))
        (g,) = gf.gradients(gf.gather(p, [0, 0, 2]), p)
        np.testing.assert_array_equal(_run(g), [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])


@pytest.mark.parametrize("bad", [7, -1])
def test_gather_names_the_op_for_an_index_out_of_range(bad):
    """TF-1 rejects negative indices too (they do not count from the end)."""
    with gf.Graph().as_default():
        i = gf.placeholder(gf.int32, [2])
        node = gf.gather(gf.constant(np.arange(5.0)), i, name="my_gather")
        message = rf"my_gather.*indices\[1\] = {bad} is not in \[0, 5\)"
        with pytest.raises(gf.errors.InvalidArgumentError, match=message):
            _run(node, {i: [0, bad]})


def test_array_ops_check_shapes_when_built_and_name_the_op():
    with gf.Graph().as_default():
        x, y = gf.placeholder(gf.float32, [None, 3]), gf.placeholder(gf.float32, [None, 4])
        assert gf.concat([x, y], 1).shape == (None, 7) and gf.concat([x, x], 0).shape == (None, 3)
        with pytest.raises(ValueError, match=r"ConcatV2 'bad_concat'.*differ in dimension 1: \[3, 4\]"):
            gf.concat([x, y], 0, name="bad_concat")
        with pytest.raises(ValueError, match=r"Pack 'stack'.*differ in dimension 1"):
            gf.stack([x, y])
        with pytest.raises(ValueError, match=r"cannot infer num.*'Placeholder'.*pass num="):
            gf.unstack(x)
        assert len(gf.unstack(x, axis=1)) == 3 and len(gf.unstack(x, num=2)) == 2
        with pytest.raises(ValueError, match=r"Tile 'Tile'.*multiples has 1 entries.*rank 2"):
            gf.tile(x, [2])
        tiled = gf.tile(x, [2, 3])
        assert tiled.shape == (None, 9)
        with pytest.raises(ValueError, match=r"MatMul 'after_tile'.*dimensions must be equal, but are 9 and 4"):
            gf.matmul(tiled, gf.zeros([4, 2]), name="after_tile")
        with pytest.raises(ValueError, match=r"Squeeze 'Squeeze'.*cannot squeeze axis 1: it has size 3"):
            gf.squeeze(x, axis=1)
        with pytest.raises(TypeError, match=r"GatherV2.*indices must be integers"):
            gf.gather(x, gf.constant([0.0]))
        assert gf.squeeze(x).shape is None  # unknown dimensions may be 1 or not
        assert gf.squeeze(gf.zeros([1, 3, 1]), squeeze_dims=[0]).shape == (3, 1)


def test_shape_size_rank_fill_and_range_dtypes_and_values_as_tf1():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 3])
        nodes = {
            "shape": gf.shape(x),
            "shape64": gf.shape(x, out_type=gf.int64),
            "size": gf.size(x),
            "rank": gf.rank(x),
            "fill": gf.fill(gf.shape(x), 2.5),
            "fill_int": gf.fill([2], 3),
            "range": gf.range(5),
            "range_float": gf.range(1, 5.0),
            "range_step": gf.range(10, 0, -3),
            "range_batch": gf.range(gf.shape(x)[0]),
        }
        assert nodes["shape"].shape == (2,) and nodes["fill"].shape == (None, None)
        assert nodes["range"].shape == (5,) and nodes["range_batch"].shape == (None,)
        with pytest.raises(ValueError, match="delta must not be 0"):
            gf.range(0, 3, 0)
        v = _run(nodes, {x: np.zeros((4, 3), np.float32)})
    expected = {
        "shape": ([4, 3], np.int32),
        "shape64": ([4, 3], np.int64),
        "size": (12, np.int32),
        "rank": (2, np.int32),
        "fill": (np.full((4, 3), 2.5), np.float32),
        "fill_int": ([3, 3], np.int32),
        "range": ([0, 1, 2, 3, 4], np.int32),
        "range_float": ([1.0, 2.0, 3.0, 4.0], np.float32),
        "range_step": ([10, 7, 4, 1], np.int32),
        "range_batch": ([0, 1, 2, 3], np.int32),
    }
    for key, (value, dtype) in expected.items():
        assert v[key].dtype == dtype, key
        np.testing.assert_array_equal(v[key], value, err_msg=key)


def test_maximum_and_minimum_send_ties_to_x():
    with gf.Graph().as_default():
        x, y = gf.constant(np.array([1.0, 2.0, 3.0])), gf.constant(np.array([1.0, 0.0, 5.0]))
        gx, gy = gf.gradients(gf.maximum(x, y), [x, y])
        hx, hy = gf.gradients(gf.minimum(x, y), [x, y])
        np.testing.assert_array_equal(_run([gx, gy, hx, hy]), [[1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 0]])


def test_pow_gradient_wrt_exponent_is_zero_for_non_positive_base():
    """d/dy x^y = x^y log x is taken as 0 where x <= 0 (TF-1), so no NaN leaks from log of a non-positive x."""
    with gf.Graph().as_default():
        x, y = gf.constant(np.array([0.0, -2.0, 2.0])), gf.constant(np.array([2.0, 2.0, 2.0]))
        gx, gy = gf.gradients(gf.pow(x, y), [x, y])
        gx_value, gy_value = _run([gx, gy])
        np.testing.assert_allclose(gx_value, [0.0, -4.0, 4.0])
        np.testing.assert_allclose(gy_value, [0.0, 0.0, 4.0 * np.log(2.0)])


def test_relu_gradient_is_zero_at_the_kink():
    with gf.Graph().as_default():
        x = gf.constant(np.array([-1.0, 0.0, 2.0]))
        (g,) = gf.gradients(gf.nn.relu(x), x)
        np.testing.assert_array_equal(_run(g), [0.0, 0.0, 1.0])


def test_stop_gradient_passes_the_value_and_blocks_the_gradient():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3])
        y = gf.stop_gradient(x) * x
        (g,) = gf.gradients(y, x)
        value = np.array([1.0, -2.0, 3.0])
        y_value, g_value = _run([y, g], {x: value})
        np.testing.assert_array_equal(y_value, value**2)
        np.testing.assert_array_equal(g_value, value)  # only the unstopped factor contributes
        assert gf.gradients(gf.stop_gradient(x), x) == [None]


def test_logical_ops_and_their_dtype_check():
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    with gf.Graph().as_default():
        x, y = gf.placeholder(gf.bool, [4]), gf.placeholder(gf.bool, [4])
        ops = [gf.logical_and(x, y), gf.logical_or(x, y), gf.logical_not(x), gf.logical_and(x, True)]
        assert all(op.dtype == gf.bool and op.shape == (4,) for op in ops)
        values = _run(ops, {x: a, y: b})
        with pytest.raises(TypeError, match=r"LogicalOr 'my_or'.*bool inputs, got float32.*x > 0"):
            gf.logical_or(x, gf.constant([1.0, 0.0, 1.0, 0.0]), name="my_or")
    for got, expected in zip(values, [a & b, a | b, ~a, a], strict=True):
        np.testing.assert_array_equal(got, expected)


def test_clip_floor_and_round_at_their_edges_as_tf1():
    """TF-1 1.15 gives these values: the clip's gradient is 1 at both bounds, round takes halves to even."""
    with gf.Graph().as_default():
        x = gf.constant(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]))
        (clip_grad,) = gf.gradients(gf.clip_by_value(x, 0.0, 1.0), x)
        assert gf.gradients(gf.floor(x) + gf.round(x), x) == [None]
        halves = gf.round(gf.constant(np.array([0.5, 1.5, 2.5, -0.5, -1.7])))
        clip_grad, halves = _run([clip_grad, halves])
    np.testing.assert_array_equal(clip_grad, [0.0, 1.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(halves, [0.0, 2.0, 2.0, -0.0, -2.0])


@pytest.mark.usefixtures("strict_float")
def test_relu_variants_at_their_kinks_and_softplus_far_out_as_tf1():
    """The values and gradients TF-1 1.15 gives at the kinks (elu and leaky_relu take the x <= 0 side at 0)."""
    with gf.Graph().as_default():
        x = gf.constant(np.array([-1.0, 0.0, 3.0, 6.0, 7.0]))
        far = gf.constant(np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0]))
        fs = [gf.nn.relu6, gf.nn.leaky_relu, gf.nn.elu]
        grads = [gf.gradients(f(x), x)[0] for f in fs]
        values = _run([f(x) for f in fs] + grads + [gf.nn.softplus(far), gf.gradients(gf.nn.softplus(far), far)[0]])
    r6, lr, el, gr6, glr, gel, sp, gsp = values
    np.testing.assert_array_equal(r6, [0.0, 0.0, 3.0, 6.0, 6.0])
    np.testing.assert_array_equal(gr6, [0.0, 0.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(lr, [-0.2, 0.0, 3.0, 6.0, 7.0])
    np.testing.assert_allclose(glr, [0.2, 0.2, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(el, [np.expm1(-1.0), 0.0, 3.0, 6.0, 7.0])
    np.testing.assert_allclose(gel, [np.exp(-1.0), 1.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(sp, [0.0, np.exp(-100.0), np.log(2.0), 100.0, 1000.0])
    np.testing.assert_allclose(gsp, [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-15)  # sigmoid, exact in absolute terms


def test_sigmoid_cross_entropy_against_tf1_values_and_at_zero():
    """Values and gradients TF-1 1.15 gives; the gradient at logit 0 is sigmoid(0) - z."""
    with gf.Graph().as_default():
        x = gf.constant(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]))
        z = gf.constant(np.array([0.0, 1.0, 0.0, 1.0, 0.5]))
        loss = gf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)
        assert loss.shape == (5,)
        value, grad = _run([loss, gf.gradients(loss, x)[0]])
        with pytest.raises(TypeError, match=r"sigmoid_cross_entropy_with_logits.*positional"):
            gf.nn.sigmoid_cross_entropy_with_logits(z, x)  # labels and logits are keyword-only: a swap is silent
        with pytest.raises(ValueError, match="must have the same shape"):
            gf.nn.sigmoid_cross_entropy_with_logits(labels=gf.zeros([3]), logits=gf.zeros([4]))
    np.testing.assert_allclose(value, [0.3132617, 0.6931472, 0.974077, 0.3132617, 1.126928], rtol=1e-6)
    np.testing.assert_allclose(grad, [0.26894143, -0.5, 0.6224593, -0.2689414, 0.3807971], rtol=1e-6)


@pytest.mark.usefixtures("strict_float")
def test_sigmoid_cross_entropy_of_huge_logits():
    x = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    z = np.array([1.0, 0.0, 0.5, 1.0, 0.0])
    with gf.Graph().as_default():
        logits = gf.placeholder(gf.float64, [5])
        loss = gf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=logits)
        value, grad = _run([loss, gf.gradients(loss, logits)[0]], {logits: x})
    _assert_finite(value, grad)
    np.testing.assert_allclose(value, [1e4, np.log1p(np.exp(-50.0)), np.log(2.0), np.log1p(np.exp(-50.0)), 1e4])
    np.testing.assert_allclose(grad, [-1.0, 0.0, 0.0, 0.0, 1.0], atol=1e-15)


def test_moments_and_l2_normalize():
    x = np.random.default_rng(2).standard_normal((4, 3))
    with gf.Graph().as_default():
        p = gf.placeholder(gf.float64, [4, 3])
        mean, var = gf.nn.moments(p, axes=[0])
        kept = gf.nn.moments(p, axes=[0, 1], keep_dims=True)
        assert mean.shape == (3,) and var.shape == (3,) and kept[0].shape == (1, 1)
        zero = gf.nn.l2_normalize(gf.zeros([2, 2], gf.float64), axis=1)
        values = _run([mean, var, *kept, zero], {p: x})
    np.testing.assert_allclose(values[0], x.mean(0))
    np.testing.assert_allclose(values[1], x.var(0))
    np.testing.assert_allclose(values[2], [[x.mean()]])
    np.testing.assert_allclose(values[3], [[x.var()]])
    np.testing.assert_array_equal(values[4], np.zeros((2, 2)))  # a zero vector stays zero, as in TF-1
    check_gradients(lambda p: gf.nn.moments(p, [0])[1], [(4, 3)])  # the stopped mean loses nothing to first order


def test_cast_gradient_has_the_input_dtype():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [2])
        (g,) = gf.gradients(gf.cast(x, gf.float64) * 3.0, x)
        assert g.dtype == gf.float32
        value = _run(g, {x: [1.0, 2.0]})
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value, [3.0, 3.0])


# --------------------------------------------------------------------------------------------------------------------
# Ops without gradients: forward semantics


@pytest.mark.parametrize(
    ("function", "reference"),
    [
        (gf.equal, np.equal),
        (gf.not_equal, np.not_equal),
        (gf.greater, np.greater),
        (gf.greater_equal, np.greater_equal),
        (gf.less, np.less),
        (gf.less_equal, np.less_equal),
    ],
)
def test_comparisons(function, reference):
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    y = np.array([2.0, 2.0, 2.0])
    with gf.Graph().as_default():
        node = function(gf.constant(x), gf.constant(y))
        assert node.dtype == gf.bool and node.shape == (2, 3)
        value = _run(node)
    assert value.dtype == np.bool_
    np.testing.assert_array_equal(value, reference(x, y))


def test_comparing_two_float_types_is_a_type_error():
    with gf.Graph().as_default(), pytest.raises(TypeError, match=r"float32.*float64"):
        gf.equal(gf.constant(np.zeros(2, np.float64)), gf.constant(np.zeros(2, np.float32)))


def test_argmax():
    x = np.array([[1.0, 5.0, 3.0], [7.0, 2.0, 9.0]])
    with gf.Graph().as_default():
        a0, a1 = gf.argmax(gf.constant(x)), gf.argmax(gf.constant(x), axis=1, output_type=gf.int32)
        assert a0.dtype == gf.int64 and a0.shape == (3,) and a1.dtype == gf.int32 and a1.shape == (2,)
        v0, v1 = _run([a0, a1])
    np.testing.assert_array_equal(v0, [1, 0, 1])
    np.testing.assert_array_equal(v1, [1, 2])
    assert v0.dtype == np.int64 and v1.dtype == np.int32


def test_one_hot():
    with gf.Graph().as_default():
        indices = gf.constant(np.array([0, 2, 1]))
        plain = gf.one_hot(indices, 3)
        custom = gf.one_hot(indices, 4, on_value=5.0, off_value=-1.0, axis=0, dtype=gf.float64)
        assert plain.dtype == gf.float32 and plain.shape == (3, 3) and custom.shape == (4, 3)
        p, c = _run([plain, custom])
    np.testing.assert_array_equal(p, np.eye(3)[[0, 2, 1]])
    np.testing.assert_array_equal(c, np.where(np.eye(4)[[0, 2, 1]].T == 1, 5.0, -1.0))
    assert p.dtype == np.float32 and c.dtype == np.float64


def test_one_hot_of_indices_out_of_range_is_a_row_of_off_values_in_any_rank():
    indices = np.array([[0, -1, 3], [4, 2, -7]])
    with gf.Graph().as_default():
        hot = gf.one_hot(indices, 4, on_value=2, off_value=-1, dtype=gf.int32)
        middle = gf.one_hot(indices, 4, axis=1)
        h, m = _run([hot, middle])
    want = np.where(np.equal.outer(indices, np.arange(4)), 2, -1)
    np.testing.assert_array_equal(h, want)
    np.testing.assert_array_equal(m, np.moveaxis(np.equal.outer(indices, np.arange(4)), -1, 1).astype(np.float32))
    assert h.dtype == np.int32 and h.shape == (2, 3, 4) and m.shape == (2, 4, 3)


def test_one_hot_with_no_classes_or_no_indices_is_empty():
    with gf.Graph().as_default():
        no_classes, no_indices = gf.one_hot([0, 1], 0), gf.one_hot(np.zeros((0, 2), np.int64), 3)
        a, b = _run([no_classes, no_indices])
    assert a.shape == (2, 0) and b.shape == (0, 2, 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64])
@pytest.mark.parametrize("shape", [(7,), (6, 5), (200, 3), (3, 200), (2, 3, 4), (0, 4), (5, 1)])
def test_sums_agree_with_numpy_over_every_axis_combination(dtype, shape):
    """Sum runs some reductions as products with a vector of ones (`_util.add_reduce`); every case must agree with
    np.add.reduce in value, shape and dtype, on contiguous and transposed inputs."""
    from itertools import combinations

    from graphflow.ops._util import add_reduce

    x = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    axes = [None] + [c for r in range(1, len(shape) + 1) for c in combinations(range(len(shape)), r)]
    for array in (x, x.T):
        for axis in axes + [tuple(a - len(shape) for a in c) for c in axes[1:]]:
            for keepdims in (False, True):
                want = np.add.reduce(array, axis=axis, keepdims=keepdims)
                got = add_reduce(array, axis, keepdims)
                assert got.shape == want.shape and got.dtype == want.dtype, (axis, keepdims)
                tolerance = 1e-2 if dtype == np.float16 else 1e-5
                np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance, err_msg=str((axis, keepdims)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64])
@pytest.mark.parametrize(
    ("shape", "target"),
    [((6, 5), (5,)), ((200, 3), (3,)), ((3, 200), (200,)), ((0, 4), (4,)), ((5, 1), (1,)), ((6, 5), (1, 5)),
     ((6, 5), (6, 1)), ((6, 5), ()), ((2, 3, 4), (3, 4)), ((2, 3, 4), (4,))],
)  # fmt: skip
def test_sum_to_gives_the_sums_of_add_reduce_bit_for_bit(dtype, shape, target):
    """`_util.sum_to` takes a bias gradient (rows summed into a vector) straight to `add_reduce`'s product; every case,
    on contiguous and transposed inputs, must give what `add_reduce` gives over the stretched axes."""
    from graphflow.ops._util import add_reduce, sum_to

    x = np.random.default_rng(5).standard_normal(shape).astype(dtype)
    for array in (x, np.asfortranarray(x)):
        lead = array.ndim - len(target)
        axes = (*range(lead), *(lead + i for i, d in enumerate(target) if d == 1 and array.shape[lead + i] != 1))
        want = add_reduce(array, axes, keepdims=True).reshape(target)
        got = sum_to(array, target)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        tolerance = 1e-2 if dtype == np.float16 else 1e-5
        np.testing.assert_allclose(got, np.add.reduce(array, axis=axes, keepdims=True).reshape(target), rtol=tolerance)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("shape", [(7,), (6, 5), (200, 3), (3, 200), (2, 3, 4), (0, 4), (5, 1), (40, 33)])
def test_maxima_agree_with_numpy_exactly_over_every_axis(dtype, shape):
    """`_util.max_reduce` takes the maxima of short last axes from a transposed copy; every case must equal
    np.maximum.reduce bit for bit, NaN included, on contiguous and transposed inputs."""
    from graphflow.ops._util import max_reduce

    x = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    if dtype != np.int64 and x.size > 2:
        x.flat[[1, -1]] = np.nan
    for array in (x, x.T):
        for axis in [*range(-len(shape), len(shape)), *((a,) for a in range(len(shape)))]:
            for keepdims in (False, True):
                if array.shape[axis if isinstance(axis, int) else axis[0]] == 0:
                    continue  # numpy has no maximum of nothing
                want = np.maximum.reduce(array, axis=axis, keepdims=keepdims)
                got = max_reduce(array, axis, keepdims)
                assert got.shape == want.shape and got.dtype == want.dtype, (axis, keepdims)
                np.testing.assert_array_equal(got, want, err_msg=str((axis, keepdims)))


def test_stop_gradient_forward():
    check_forward(gf.stop_gradient, lambda x: x, [(3, 4)])


# --------------------------------------------------------------------------------------------------------------------
# Stateful and random ops


def test_assign_ops_change_the_session_value_and_output_the_new_value():
    with gf.Graph().as_default():
        v = gf.Variable(np.array([1.0, 2.0]))
        set_v, add_v, sub_v = gf.assign(v, [5.0, 6.0]), gf.assign_add(v, [1.0, 1.0]), gf.assign_sub(v, [0.5, 0.5])
        with gf.Session() as sess:
            np.testing.assert_array_equal(sess.run(set_v), [5.0, 6.0])
            np.testing.assert_array_equal(sess.run(v), [5.0, 6.0])
            np.testing.assert_array_equal(sess.run(add_v), [6.0, 7.0])
            np.testing.assert_array_equal(sess.run(sub_v), [5.5, 6.5])
            np.testing.assert_array_equal(sess.run(v), [5.5, 6.5])
        with gf.Session() as other:  # each session holds its own value
            np.testing.assert_array_equal(other.run(v), [1.0, 2.0])


def test_group_and_no_op_run_their_inputs_and_fetch_none():
    with gf.Graph().as_default():
        v = gf.Variable(0.0, dtype=gf.float64)
        step = gf.group(gf.assign_add(v, 1.0))
        nothing = gf.no_op()
        assert step.type == "NoOp" and nothing.type == "NoOp"
        with gf.Session() as sess:
            assert sess.run(step) is None and sess.run(nothing) is None
            sess.run(step)
            assert sess.run(v) == 2.0


RANDOM = {
    "random_normal": lambda **kw: gf.random_normal([200], mean=1.0, stddev=2.0, dtype=gf.float64, **kw),
    "truncated_normal": lambda **kw: gf.truncated_normal([200], mean=1.0, stddev=2.0, dtype=gf.float64, **kw),
    "random_uniform": lambda **kw: gf.random_uniform([200], minval=-1.0, maxval=3.0, dtype=gf.float64, **kw),
}


@pytest.mark.parametrize("make", RANDOM.values(), ids=RANDOM.keys())
def test_random_ops_are_reproducible_across_sessions(make):
    def first_values(graph_seed, **kw):
        with gf.Graph().as_default():
            gf.set_random_seed(graph_seed)
            node = make(**kw)
            with gf.Session() as a, gf.Session() as b:
                first_a, second_a, first_b = a.run(node), a.run(node), b.run(node)
        np.testing.assert_array_equal(first_a, first_b)  # same seeds: same values in every new session
        assert not np.array_equal(first_a, second_a)  # the sequence advances within a session
        return first_a

    same = first_values(1, seed=5)
    np.testing.assert_array_equal(same, first_values(1, seed=5))  # same seeds in a new graph
    assert not np.array_equal(same, first_values(1, seed=6))  # a different op seed
    assert not np.array_equal(same, first_values(2, seed=5))  # a different graph seed


def test_random_values_have_the_requested_distribution():
    with gf.Graph().as_default():
        gf.set_random_seed(0)
        normal = gf.random_normal([4000], mean=1.0, stddev=2.0, dtype=gf.float64)
        truncated = gf.truncated_normal([4000], mean=1.0, stddev=2.0, dtype=gf.float64)
        uniform = gf.random_uniform([4000], minval=-1.0, maxval=3.0, dtype=gf.float64)
        integers = gf.random_uniform([4000], minval=2, maxval=5, dtype=gf.int32)
        small = gf.truncated_normal([3, 2])
        assert small.dtype == gf.float32 and small.shape == (3, 2)
        n, t, u, i, s = _run([normal, truncated, uniform, integers, small])
    assert abs(n.mean() - 1.0) < 0.15 and abs(n.std() - 2.0) < 0.15 and np.abs(n - 1.0).max() > 4.0
    assert np.all(np.abs(t - 1.0) <= 4.0)  # within 2 stddev of the mean
    assert t.std() > 1.5  # but not collapsed: a unit normal truncated at 2 has stddev 0.88
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.1
    assert i.dtype == np.int32 and set(np.unique(i)) == {2, 3, 4}
    assert s.dtype == np.float32 and s.shape == (3, 2) and np.all(np.abs(s) <= 2.0)


def test_unseeded_random_ops_differ_between_sessions():
    with gf.Graph().as_default():
        node = gf.random_normal([50], dtype=gf.float64)
        with gf.Session() as a, gf.Session() as b:
            assert not np.array_equal(a.run(node), b.run(node))


# --------------------------------------------------------------------------------------------------------------------
# Numerics: huge logits and sigmoid arguments, with every floating-point warning an error


@pytest.fixture
def strict_float():
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        yield


HUGE = np.array([[1e4, -1e4, 0.0, 2e4], [-3e4, -1e4, -2e4, -3e4], [5e3, 5e3, -1e4, 0.0]])
ONEHOT = np.eye(4)[[3, 1, 2]]


def _assert_finite(*arrays):
    for a in arrays:
        assert np.all(np.isfinite(a)), a


@pytest.mark.usefixtures("strict_float")
def test_softmax_and_log_softmax_of_huge_logits():
    cot = np.random.default_rng(0).standard_normal(HUGE.shape)
    with gf.Graph().as_default():
        z = gf.placeholder(gf.float64, HUGE.shape)
        s, ls = gf.nn.softmax(z), gf.nn.log_softmax(z)
        gs, gls = gf.gradients(gf.reduce_sum(s * cot), z)[0], gf.gradients(gf.reduce_sum(ls * cot), z)[0]
        values = _run([s, ls, gs, gls], {z: HUGE})
    _assert_finite(*values)
    s_v, ls_v, gs_v, gls_v = values
    p = np_softmax(HUGE)
    np.testing.assert_allclose(s_v, p, atol=1e-15)
    np.testing.assert_allclose(ls_v, np_log_softmax(HUGE))
    assert ls_v.min() < -1e4  # the log of a vanishing probability is large, not -inf
    np.testing.assert_allclose(gs_v, p * (cot - (cot * p).sum(-1, keepdims=True)), atol=1e-12)
    np.testing.assert_allclose(gls_v, cot - p * cot.sum(-1, keepdims=True), atol=1e-12)


XENT_LOSSES = {
    "nn.softmax_cross_entropy_with_logits": lambda z, y: gf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z),
    "nn.softmax_cross_entropy_with_logits_v2": lambda z, y: gf.nn.softmax_cross_entropy_with_logits_v2(
        labels=y, logits=z
    ),
    "losses.softmax_cross_entropy": lambda z, y: gf.losses.softmax_cross_entropy(y, z) * 3.0,  # mean over 3 rows
}


@pytest.mark.usefixtures("strict_float")
@pytest.mark.parametrize("loss", XENT_LOSSES.values(), ids=XENT_LOSSES.keys())
def test_softmax_cross_entropy_of_huge_logits(loss):
    with gf.Graph().as_default():
        z = gf.placeholder(gf.float64, HUGE.shape)
        y = gf.constant(ONEHOT)
        total = gf.reduce_sum(loss(z, y))
        (g,) = gf.gradients(total, z)
        value, grad = _run([total, g], {z: HUGE})
    _assert_finite(value, grad)
    np.testing.assert_allclose(value, np_xent(ONEHOT, HUGE).sum())
    assert value > 1e4  # the wrongly classified rows cost about 1e4 each, not inf
    np.testing.assert_allclose(grad, np_softmax(HUGE) - ONEHOT, atol=1e-12)


@pytest.mark.usefixtures("strict_float")
def test_sparse_softmax_cross_entropy_of_huge_logits():
    labels = np.array([3, 1, 2])
    with gf.Graph().as_default():
        z = gf.placeholder(gf.float64, HUGE.shape)
        per_example = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=z)
        mean = gf.losses.sparse_softmax_cross_entropy(labels, z)
        g, gm = gf.gradients(gf.reduce_sum(per_example), z)[0], gf.gradients(mean, z)[0]
        values = _run([per_example, g, mean, gm], {z: HUGE})
    _assert_finite(*values)
    per_v, g_v, mean_v, gm_v = values
    np.testing.assert_allclose(per_v, np_sparse_xent(HUGE, labels))
    np.testing.assert_allclose(mean_v, per_v.mean())
    np.testing.assert_allclose(g_v, np_softmax(HUGE) - ONEHOT, atol=1e-12)
    np.testing.assert_allclose(gm_v, (np_softmax(HUGE) - ONEHOT) / 3, atol=1e-12)


@pytest.mark.usefixtures("strict_float")
@pytest.mark.parametrize("dtype", [gf.float32, gf.float64])
def test_sigmoid_of_huge_arguments(dtype):
    x = np.array([-1e30, -1e4, -30.0, 0.0, 30.0, 1e4, 1e30], dtype=dtype)
    with gf.Graph().as_default():
        node = gf.placeholder(dtype, x.shape)
        y = gf.sigmoid(node)
        (g,) = gf.gradients(y, node)
        y_v, g_v = _run([y, g], {node: x})
    _assert_finite(y_v, g_v)
    assert y_v.dtype == dtype and g_v.dtype == dtype
    np.testing.assert_array_equal(y_v[[0, 1, -2, -1]], [0.0, 0.0, 1.0, 1.0])
    assert y_v[3] == 0.5 and g_v[3] == 0.25
    # 0.5 (1 + tanh(x / 2)) is exact to rounding in absolute terms (not relative ones far in the left tail)
    np.testing.assert_allclose(y_v[[2, 4]], np_sigmoid(np.array([-30.0, 30.0])), atol=np.finfo(dtype).eps)
    assert np.all(g_v >= 0) and np.all(g_v[[0, 1, -2, -1]] == 0)


# --------------------------------------------------------------------------------------------------------------------
# Softmax cross-entropy semantics


def test_xent_gradient_is_the_true_gradient_when_labels_do_not_sum_to_one():
    """graphflow differs from TF here on purpose: TF returns softmax - labels whatever the labels sum to."""
    labels = np.array([[0.5, 0.5, 0.5], [0.0, 0.2, 0.0]])  # rows sum to 1.5 and 0.2
    logits = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    with gf.Graph().as_default():
        z = gf.placeholder(gf.float64, logits.shape)
        loss = gf.reduce_sum(gf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=z))
        (g,) = gf.gradients(loss, z)
        grad = _run(g, {z: logits})
    true = np_softmax(logits) * labels.sum(-1, keepdims=True) - labels
    np.testing.assert_allclose(grad, true, atol=1e-14)
    assert not np.allclose(grad, np_softmax(logits) - labels)


def test_xent_v1_gives_no_label_gradient_and_v2_gives_minus_log_softmax():
    labels = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    logits = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    cot = np.array([0.7, -1.3])
    with gf.Graph().as_default():
        y, z = gf.placeholder(gf.float64, labels.shape), gf.placeholder(gf.float64, logits.shape)
        v1 = gf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z)
        v2 = gf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=z)
        assert gf.gradients(v1 * cot, y) == [None]
        g1z = gf.gradients(v1 * cot, z)[0]
        g2y, g2z = gf.gradients(v2 * cot, [y, z])
        g1z_v, g2y_v, g2z_v = _run([g1z, g2y, g2z], {y: labels, z: logits})
    np.testing.assert_allclose(g2y_v, -cot[:, None] * np_log_softmax(logits))
    np.testing.assert_allclose(g1z_v, cot[:, None] * (np_softmax(logits) - labels))
    np.testing.assert_allclose(g2z_v, g1z_v)
    with gf.Graph().as_default():
        y = gf.placeholder(gf.float64, labels.shape)
        loss = gf.losses.softmax_cross_entropy(y, gf.constant(logits))
        assert gf.gradients(loss, y) == [None]  # tf.losses stops the gradient into labels too


@pytest.mark.parametrize("bad", [4, -1])
def test_sparse_xent_names_the_op_for_an_out_of_range_label(bad):
    with gf.Graph().as_default():
        labels = gf.placeholder(gf.int64, [3])
        logits = gf.constant(np.zeros((3, 4)))
        loss = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="my_xent")
        with gf.Session() as sess:
            with pytest.raises(gf.errors.InvalidArgumentError) as info:
                sess.run(loss, {labels: [0, bad, 1]})
            message = str(info.value)
            assert "my_xent" in message and "SparseSoftmaxCrossEntropyWithLogits" in message
            assert f"label {bad}" in message and "[0, 4)" in message
            assert info.value.node is loss
            np.testing.assert_allclose(sess.run(loss, {labels: [0, 3, 1]}), np.log(4.0) * np.ones(3))


def test_sparse_xent_keeps_python_and_numpy_integer_labels_integral():
    """Labels that are not nodes must not be converted to the logits' float dtype (and then rejected)."""
    logits = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    with gf.Graph().as_default():
        z = gf.placeholder(gf.float64, logits.shape)
        from_list = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=[2, 0], logits=z)
        from_array = gf.losses.sparse_softmax_cross_entropy(np.array([2, 0]), z)
        a, b = _run([from_list, from_array], {z: logits})
    np.testing.assert_allclose(a, np_sparse_xent(logits, np.array([2, 0])))
    np.testing.assert_allclose(b, a.mean())


def test_sparse_xent_rejects_float_labels():
    with gf.Graph().as_default(), pytest.raises(TypeError, match="integer"):
        gf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=gf.constant(np.zeros(3)), logits=gf.constant(np.zeros((3, 4)))
        )


# --------------------------------------------------------------------------------------------------------------------
# Compiled loops: the sparse cross-entropy and relu agree with numpy's formulas, and write nothing when they refuse


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sparse_xent_loop_agrees_with_numpy_in_every_float_dtype(dtype):
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 3, (4, 6, 5)).astype(dtype)
    logits[0, 0, 2] = np.nan  # a NaN row gives NaN, as numpy's max propagates it
    labels = rng.integers(0, 5, (4, 6))
    g = rng.normal(size=(4, 6)).astype(dtype)
    wide = logits.astype(np.float64)
    loss = sparse_softmax_xent_op.forward(labels, logits)
    grad = sparse_softmax_xent_grad.forward(g, labels, logits)
    assert loss.dtype == dtype and loss.shape == (4, 6) and grad.dtype == dtype and grad.shape == logits.shape
    tol = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-13}[dtype]
    np.testing.assert_allclose(loss, np_sparse_xent(wide, labels), rtol=tol, atol=tol)
    np.testing.assert_allclose(grad, np_sparse_xent_grad(g.astype(np.float64), wide, labels), rtol=tol, atol=tol)
    assert np.isnan(loss[0, 0]) and np.isnan(grad[0, 0]).all() and not np.isnan(grad[0, 1:]).any()


def test_sparse_xent_gradient_takes_one_factor_for_every_row_as_that_factor_spread_over_the_rows():
    rng = np.random.default_rng(6)
    logits, labels = rng.normal(size=(2, 3, 4)).astype(np.float32), rng.integers(0, 4, (2, 3))
    spread = sparse_softmax_xent_grad.forward(np.full((2, 3), 0.25, np.float32), labels, logits)
    for single in (np.float32(0.25), np.full((1,), 0.25, np.float32), np.full((1, 1), 0.25, np.float32)):
        np.testing.assert_array_equal(sparse_softmax_xent_grad.forward(single, labels, logits), spread)
    with pytest.raises(ValueError, match="more dimensions"):
        sparse_softmax_xent_grad.forward(np.ones((1, 1, 1), np.float32), labels, logits)  # more axes than the labels
    with pytest.raises(ValueError, match="broadcast"):
        sparse_softmax_xent_grad.forward(np.ones(2, np.float32), labels, logits)


def test_sparse_xent_gradient_written_into_its_logits_equals_a_new_array():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(7, 10)).astype(np.float32)
    labels, g = rng.integers(0, 10, 7), rng.normal(size=7).astype(np.float32)
    expected = sparse_softmax_xent_grad.forward(g, labels, logits)
    into = logits.copy()
    assert sparse_softmax_xent_grad.forward(g, labels, into, out=into) is into
    np.testing.assert_array_equal(into, expected)


@pytest.mark.parametrize(
    "labels, g, out, error",
    [
        (np.array([0, 10, 1]), np.ones(3), np.zeros((3, 10), np.float32), "label 10 is outside the valid range"),
        (np.array([0, 1, 2]), np.ones(3), np.zeros((3, 9), np.float32), "out must be"),
        (np.array([0, 1, 2]), np.ones(3), np.zeros((3, 10), np.float64), "out must be"),
        (np.array([0, 1]), np.ones(3), np.zeros((3, 10), np.float32), "labels of shape"),
        (np.array([0, 1, 2]), np.ones(2), np.zeros((3, 10), np.float32), "broadcast"),
    ],
    ids=["label out of range", "out of another shape", "out of another dtype", "labels of another shape", "bad g"],
)
def test_sparse_xent_gradient_refuses_before_writing_into_out(labels, g, out, error):
    logits = np.arange(30, dtype=np.float32).reshape(3, 10)
    before = out.copy()
    with pytest.raises(ValueError, match=error):
        sparse_softmax_xent_grad.forward(g.astype(np.float32), labels, logits, out=out)
    np.testing.assert_array_equal(out, before)


def test_sparse_xent_rejects_integer_logits_when_built():
    with gf.Graph().as_default(), pytest.raises(TypeError, match=r"logits must be floating point.*gf\.cast"):
        gf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0], logits=gf.constant(np.array([[1, 2]], np.int32)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_and_its_gradient_use_numpy_for_arrays_their_loops_do_not_take(dtype):
    # The loops themselves are checked against numpy in tests/test_kernels.py.
    x = np.resize([-0.0, 0.0, -1.5, 2.5, np.nan, -np.inf, np.inf], (4, 7)).astype(dtype)
    g = x[::-1].copy()
    with np.errstate(invalid="ignore"):  # inf · 0 is NaN in both
        pairs = [
            (relu_op.forward(x[:, ::2]), np.maximum(x[:, ::2], 0)),  # not contiguous
            (relu_grad.forward(g[0], x), np.multiply(g[0], x > 0)),  # a broadcast gradient
            (relu_op.forward(x, out=np.empty((4, 7), np.float16)), np.maximum(x, 0).astype(np.float16)),  # another out
        ]
    for ours, numpys in pairs:
        assert ours.dtype == numpys.dtype and ours.shape == numpys.shape
        np.testing.assert_array_equal(ours, numpys)
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(numpys))  # -0.0 and 0.0 too
    np.testing.assert_array_equal(relu_op.forward(np.array([-2, 3])), [0, 3])  # integers: numpy's maximum


def test_python_operators_build_tf1_ops():
    with gf.Graph().as_default():
        i = gf.constant([7, -7, 6])
        p = gf.constant([True, True, False])
        q = gf.constant([True, False, False])
        built = {
            "//": i // 2,
            "r//": 20 // i,
            "%": i % 4,
            "r%": 20 % i,
            "&": p & q,
            "|": p | q,
            "~": ~p,
            "r&": True & q,
        }
        with gf.Session() as sess:
            got = {k: sess.run(v).tolist() for k, v in built.items()}
    assert {k: v.op.type for k, v in built.items()} == {
        "//": "FloorDiv", "r//": "FloorDiv", "%": "FloorMod", "r%": "FloorMod",
        "&": "LogicalAnd", "|": "LogicalOr", "~": "LogicalNot", "r&": "LogicalAnd",
    }  # fmt: skip
    assert got == {
        "//": [3, -4, 3], "r//": [2, -3, 3], "%": [3, 1, 2], "r%": [6, -1, 2],
        "&": [True, False, False], "|": [True, True, False], "~": [False, False, True], "r&": [True, False, False],
    }  # fmt: skip


def test_placeholder_with_default_gives_its_default_unless_fed():
    with gf.Graph().as_default():
        keep = gf.placeholder_with_default(1.0, [], name="keep")
        batch = gf.placeholder_with_default(np.zeros((2, 3), np.float32), [None, 3])
        assert (keep.name, keep.op.type, tuple(batch.shape)) == ("keep:0", "PlaceholderWithDefault", (None, 3))
        with gf.Session() as sess:
            assert sess.run(keep) == 1.0 and sess.run(keep, {keep: 0.5}) == 0.5
            assert sess.run(batch, {batch: np.ones((5, 3))}).shape == (5, 3)
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"shape \(5, 4\) for 'PlaceholderWithDefault'"):
                sess.run(batch, {batch: np.ones((5, 4))})
        with pytest.raises(ValueError, match=r"default value has shape \[2,3\], which the declared shape \[\?,4\]"):
            gf.placeholder_with_default(np.zeros((2, 3)), [None, 4])

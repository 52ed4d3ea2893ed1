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
from graphflow.ops import broadcast_like, relu_grad, sum_to
from graphflow.ops.activation import relu
from graphflow.ops.control_flow import undead
from graphflow.ops.loss import sparse_softmax_xent_grad, sparse_softmax_xent_op
from graphflow.ops.reduction import reduced_size_op
from graphflow.ops.shape import reshape_like
from graphflow.ops.slicing import strided_slice_grad
from graphflow.registry import OPS
from tests.gradcheck import check_forward, check_gradients, check_second_derivative, kink_free

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
REDUCTIONS = {"Sum": (gf.reduce_sum, np.sum), "Mean": (gf.reduce_mean, np.mean), "Max": (gf.reduce_max, np.max)}


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


def _scatter(g, shape, index):
    out = np.zeros(shape)
    out[index] = g
    return out


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
    Case("Sigmoid", gf.sigmoid, np_sigmoid, ((3, 4),), (-4.0, 4.0)),
    Case("Tanh", gf.tanh, np.tanh, ((3, 4),)),
    Case("Relu", gf.nn.relu, lambda x: np.maximum(x, 0), ((3, 4),), kink_free()),
    Case("Identity", gf.identity, lambda x: x, ((3, 4),)),
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
    Case(
        "ReluGrad", relu_grad, lambda g, x: np.where(x > 0, g, 0.0), ((3, 4), (3, 4)), [None, kink_free()], label="g, x"
    ),
]

NONDIFF = {
    "ArgMax", "Equal", "NotEqual", "Greater", "GreaterEqual", "Less", "LessEqual", "OneHot", "StopGradient",
    "While", "TupleGet",  # loops have no gradient (tests/test_control_flow.py checks the error)
    "ScalarSummary", "HistogramSummary", "MergeSummary",  # their values are bytes (tests/test_summary.py)
}  # fmt: skip
STATEFUL = {
    "ApplyAdagrad", "ApplyAdam", "ApplyCenteredRMSProp", "ApplyGradientDescent", "ApplyMomentum", "ApplyRMSProp",
    "Assign", "AssignAdd", "AssignSub", "NoOp", "RandomStandardNormal", "RandomUniform", "TruncatedNormal",
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
    check_forward(case.build, case.ref, case.shapes, domain=case.domain, extra=case.extra)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_gradient(case):
    check_gradients(
        case.build, case.shapes, rtol=case.rtol, atol=case.atol, eps=case.eps, domain=case.domain, extra=case.extra
    )


SECOND_ORDER_SKIP = {
    "Cast-float64 -> float32 -> float64": "float32 rounding swamps the differences of differences",
    "Sign-zero gradient away from 0": "no first derivative flows, so there is nothing to differentiate again",
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
    ],
    ids=["mean axis 1", "mean all", "mul broadcast", "div broadcast", "reshape", "max", "softmax"],
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
            (relu.forward(x[:, ::2]), np.maximum(x[:, ::2], 0)),  # not contiguous
            (relu_grad.forward(g[0], x), np.multiply(g[0], x > 0)),  # a broadcast gradient
            (relu.forward(x, out=np.empty((4, 7), np.float16)), np.maximum(x, 0).astype(np.float16)),  # another out
        ]
    for ours, numpys in pairs:
        assert ours.dtype == numpys.dtype and ours.shape == numpys.shape
        np.testing.assert_array_equal(ours, numpys)
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(numpys))  # -0.0 and 0.0 too
    np.testing.assert_array_equal(relu.forward(np.array([-2, 3])), [0, 3])  # integers: numpy's maximum

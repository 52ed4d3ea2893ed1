"""Every op type that `graphflow.onnx.export` converts, exported and run in onnxruntime against `Session.run` at
several batch sizes (1e-5), with `onnx.checker.check_model(full_check=True)`; and a test that fails when a registered
op type is neither converted with a case here nor refused with a reason (like the gradient case table)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import graphflow as gf
from graphflow.nodes import OPS
from graphflow.onnx import EXPORTS, FOLDED, REFUSED, export
from graphflow.ops.reduction import reduced_size_op

BATCHES = (1, 3, 7)


@dataclass(frozen=True)
class Spec:
    """A placeholder of `shape` ("n" is the batch dimension, declared None) and `dtype`, fed `sample(rng, shape)`."""

    shape: tuple
    dtype: str
    sample: Callable[[np.random.Generator, tuple], Any]
    default: Any = None  # if given, the input is a placeholder_with_default of this value


def DEFAULT(*shape: Any) -> Spec:
    """A placeholder_with_default given as an input: it stays an input, fed like a placeholder."""
    default = np.ones([1 if d == "n" else d for d in shape], np.float32)
    return Spec(shape, "float32", lambda rng, s: rng.uniform(-2, 2, s), default)


def F(*shape: Any, lo: float = -2.0, hi: float = 2.0, dtype: str = "float32") -> Spec:
    return Spec(shape, dtype, lambda rng, s: rng.uniform(lo, hi, s))


def I(*shape: Any, lo: int = 0, hi: int = 3, dtype: str = "int64") -> Spec:  # noqa: E743
    return Spec(shape, dtype, lambda rng, s: rng.integers(lo, hi, s))


def HALVES(*shape: Any) -> Spec:
    return Spec(shape, "float32", lambda rng, s: rng.integers(-6, 6, s) / 2.0)  # ties of round and floor


def _var(*shape: int, seed: int = 0) -> gf.Variable:
    return gf.Variable(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


CASES = [  # op type, build(*placeholders), input specs
    ("Add", lambda x, y: x + y, [F("n", 3), F(3)]),
    ("Add", lambda x: x + 1.5, [F("n", 3)]),
    ("Sub", lambda x, y: x - y, [F("n", 3), F("n", 1)]),
    ("Mul", lambda x: x * _var(3), [F("n", 3)]),
    ("RealDiv", lambda x, y: x / y, [F("n", 3), F(3, lo=0.5)]),
    ("Neg", lambda x: -x, [F("n", 3)]),
    ("Exp", gf.exp, [F("n", 3)]),
    ("Sin", gf.sin, [F("n", 3)]),
    ("Cos", gf.cos, [F("n", 3)]),
    ("Log", gf.log, [F("n", 3, lo=0.1)]),
    ("Sqrt", gf.sqrt, [F("n", 3, lo=0.0)]),
    ("Pow", gf.pow, [F("n", 3, lo=0.1), F(3)]),
    ("Abs", gf.abs, [F("n", 3)]),
    ("Sign", gf.sign, [HALVES("n", 3)]),
    ("Floor", gf.floor, [HALVES("n", 3)]),
    ("Round", gf.round, [HALVES("n", 3)]),
    ("Reciprocal", gf.reciprocal, [F("n", 3, lo=0.5)]),
    ("Maximum", gf.maximum, [HALVES("n", 3), HALVES(3)]),
    ("Minimum", gf.minimum, [HALVES("n", 3), HALVES(3)]),
    ("AddN", lambda x, y: gf.add_n([x, y, x]), [F("n", 3), F("n", 3)]),
    ("Select", lambda x, y: gf.where(x > 0.0, x, y), [F("n", 3), F("n", 3)]),
    ("Square", gf.square, [F("n", 3)]),
    ("SquaredDifference", gf.squared_difference, [F("n", 3), F(3)]),
    ("Rsqrt", gf.rsqrt, [F("n", 3, lo=0.1)]),
    ("Log1p", gf.log1p, [F("n", 3, lo=-0.5)]),
    ("Sigmoid", gf.sigmoid, [F("n", 3, lo=-20, hi=20)]),
    ("Tanh", gf.tanh, [F("n", 3)]),
    ("Relu", gf.nn.relu, [F("n", 3)]),
    ("Relu6", gf.nn.relu6, [F("n", 3, lo=-8, hi=8)]),
    ("LeakyRelu", lambda x: gf.nn.leaky_relu(x, alpha=0.1), [F("n", 3)]),
    ("Elu", gf.nn.elu, [F("n", 3)]),
    ("Softplus", gf.nn.softplus, [F("n", 3, lo=-30, hi=30)]),
    ("Softmax", gf.nn.softmax, [F("n", 5, lo=-30, hi=30)]),
    ("Softmax", lambda x: gf.nn.softmax(x, axis=0), [F("n", 5)]),
    ("LogSoftmax", gf.nn.log_softmax, [F("n", 5, lo=-30, hi=30)]),
    ("Equal", gf.equal, [I("n", 3), I(3)]),
    ("NotEqual", gf.not_equal, [I("n", 3), I(3)]),
    ("Greater", gf.greater, [HALVES("n", 3), HALVES(3)]),
    ("GreaterEqual", gf.greater_equal, [HALVES("n", 3), HALVES(3)]),
    ("Less", gf.less, [HALVES("n", 3), HALVES(3)]),
    ("LessEqual", gf.less_equal, [HALVES("n", 3), HALVES(3)]),
    ("LogicalAnd", lambda x, y: (x > 0.0) & (y > 0.0), [F("n", 3), F("n", 3)]),
    ("LogicalOr", lambda x, y: (x > 0.0) | (y > 0.0), [F("n", 3), F("n", 3)]),
    ("LogicalNot", lambda x: ~(x > 0.0), [F("n", 3)]),
    ("Identity", gf.identity, [F("n", 3)]),
    ("StopGradient", gf.stop_gradient, [F("n", 3)]),
    ("CheckNumerics", lambda x: gf.check_numerics(x, "x"), [F("n", 3)]),
    ("PlaceholderWithDefault", lambda x, y: x * y, [DEFAULT("n", 3), F(3)]),
    ("PlaceholderWithDefault", lambda x: x * gf.placeholder_with_default(2.0, []), [F("n", 3)]),
    ("Merge", lambda x: gf.cond(gf.placeholder_with_default(True, []), lambda: x * 2.0, lambda: x - 1.0),
     [F("n", 3)]),
    ("While", lambda x: gf.while_loop(lambda v: gf.reduce_sum(v) < 40.0, lambda v: v * 2.0 + 1.0, [x]),
     [F("n", 3, lo=0.0)]),
    ("TupleGet", lambda x: gf.while_loop(lambda i, v: gf.reduce_max(v) < 5.0, lambda i, v: (i + 1, v + 0.5),
                                         [gf.constant(0), x], maximum_iterations=4)[0], [F("n", 3)]),
    ("Switch", lambda x: gf.cond(~gf.placeholder_with_default(True, []), lambda: gf.exp(x), lambda: gf.nn.relu(x)),
     [F("n", 3)]),
    ("MatMul", lambda x: gf.matmul(x, _var(4, 3)), [F("n", 4)]),
    ("MatMul", lambda x: gf.matmul(x, _var(3, 4), transpose_b=True), [F("n", 4)]),
    ("MatMul", lambda x, y: gf.matmul(x, y, transpose_a=True), [F("n", 4), F("n", 3)]),
    ("MatMul", lambda x, y: gf.matmul(x, y, transpose_a=True, transpose_b=True), [F(2, 3, "n"), F(2, 4, 3)]),
    ("MatMul", lambda x, y: x @ y, [F("n", 4, dtype="float64"), F(4, 2, dtype="float64")]),
    ("Sum", lambda x: gf.reduce_sum(x, axis=1), [F("n", 3)]),
    ("Sum", lambda x: gf.reduce_sum(x, axis=[], keepdims=True), [F("n", 3)]),
    ("Mean", gf.reduce_mean, [F("n", 3)]),
    ("Max", lambda x: gf.reduce_max(x, axis=1, keepdims=True), [F("n", 3)]),
    ("Min", lambda x: gf.reduce_min(x, axis=0), [F("n", 3)]),
    ("Prod", lambda x: gf.reduce_prod(x, axis=-1), [F("n", 3)]),
    ("Any", lambda x: gf.reduce_any(x > 1.0, axis=1), [F("n", 3)]),
    ("All", lambda x: gf.reduce_all(x > -1.0, axis=0, keepdims=True), [F("n", 3)]),
    ("ArgMax", lambda x: gf.argmax(x, 1), [F("n", 5)]),
    ("ArgMin", lambda x: gf.argmin(x, 0, output_type=gf.int32), [F("n", 5)]),
    ("ReducedSize", lambda x: reduced_size_op(x, axis=(0,), dtype=np.dtype("float32")), [F("n", 3)]),
    ("ReducedSize", lambda x: reduced_size_op(x, axis=None), [F("n", 3)]),
    ("ReducedSize", lambda x: reduced_size_op(x, axis=(1,)), [F("n", 3)]),
    ("SoftmaxCrossEntropyWithLogits", lambda x, y: gf.nn.softmax_cross_entropy_with_logits_v2(
        labels=gf.nn.softmax(y), logits=x), [F("n", 5, lo=-30, hi=30), F("n", 5)]),
    ("SparseSoftmaxCrossEntropyWithLogits", lambda x, labels: gf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=x), [F("n", 5, lo=-30, hi=30), I("n", hi=5)]),
    ("DropoutMask", lambda x: gf.nn.dropout(x, keep_prob=gf.placeholder_with_default(1.0, [])), [F("n", 3)]),
    ("Transpose", gf.transpose, [F("n", 3)]),
    ("Transpose", lambda x: gf.transpose(x, [1, 0, 2]), [F("n", 3, 2)]),
    ("Reshape", lambda x: gf.reshape(x, [-1, 2]), [F("n", 4)]),
    ("Reshape", lambda x: gf.reshape(x, [2, 0, 3]), [F(0, 6)]),
    ("Cast", lambda x: gf.cast(x, gf.int32), [F("n", 3, lo=-5, hi=5)]),
    ("Cast", lambda x: gf.cast(x > 0.0, gf.float64), [F("n", 3)]),
    ("ExpandDims", lambda x: gf.expand_dims(x, -1), [F("n", 3)]),
    ("Squeeze", lambda x: gf.squeeze(x, 1), [F("n", 1, 3)]),
    ("Squeeze", gf.squeeze, [F(1, 3, 1)]),
    ("ConcatV2", lambda x, y: gf.concat([x, y, x], axis=1), [F("n", 3), F("n", 2)]),
    ("ConcatV2", lambda x, y: gf.concat([x, y], axis=0), [F("n", 3), F(2, 3)]),
    ("Pack", lambda x, y: gf.stack([x, y], axis=1), [F("n", 3), F("n", 3)]),
    ("Pack", lambda x, y: gf.stack([x, y], axis=-1), [F("n", 3), F("n", 3)]),
    ("Tile", lambda x: gf.tile(x, [2, 3]), [F("n", 3)]),
    ("GatherV2", lambda x, i: gf.gather(x, i), [F(5, 3), I("n", hi=5)]),
    ("GatherV2", lambda x, i: gf.gather(x, i, axis=1), [F("n", 3), I(2, hi=3)]),
    ("StridedSlice", lambda x: x[1:, ::-1], [F("n", 4)]),
    ("StridedSlice", lambda x: x[:, 2], [F("n", 4)]),
    ("StridedSlice", lambda x: x[:, -1], [F("n", 4)]),
    ("StridedSlice", lambda x: x[..., None, 0], [F("n", 2, 4)]),
    ("StridedSlice", lambda x: x[::2, 1:3, gf.newaxis], [F("n", 4)]),
    ("StridedSlice", lambda x: x[-1:0:-1, :-1], [F("n", 4)]),
    ("OneHot", lambda i: gf.one_hot(i, 4), [I("n", 3, lo=-2, hi=6)]),
    ("OneHot", lambda i: gf.one_hot(i, 3, on_value=5, off_value=-1, axis=0, dtype=gf.int32), [I("n", hi=3)]),
    ("Shape", gf.shape, [F("n", 3)]),
    ("Size", lambda x: gf.size(x, out_type=gf.int64), [F("n", 3)]),
    ("Rank", gf.rank, [F("n", 3)]),
    ("ZerosLike", gf.zeros_like, [F("n", 3)]),
    ("OnesLike", gf.ones_like, [I("n", 3)]),
    ("Fill", lambda x: gf.fill(gf.shape(x), 2.5), [F("n", 3)]),
    ("Range", lambda x: gf.range(1, gf.shape(x)[0] * 2, 3), [F("n", 3)]),
]  # fmt: skip


def run_both(build, specs, batches=BATCHES, opset=None, seed=0):
    """Exports `build(*placeholders)`, checks the model, and yields (onnxruntime's, graphflow's) result per batch."""
    rng = np.random.default_rng(seed)
    with gf.Graph().as_default():
        shapes = [[None if d == "n" else d for d in s.shape] for s in specs]
        xs = [
            gf.placeholder(s.dtype, shape) if s.default is None else gf.placeholder_with_default(s.default, shape)
            for s, shape in zip(specs, shapes, strict=True)
        ]
        y = build(*xs)
        with gf.Session() as sess:
            model = export(sess, xs, y, opset=opset)
            onnx.checker.check_model(model, full_check=True)
            runtime = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            for n in batches:
                values = [
                    np.asarray(s.sample(rng, tuple(n if d == "n" else d for d in s.shape))).astype(s.dtype)
                    for s in specs
                ]
                (got,) = runtime.run(None, {x.op_name: v for x, v in zip(xs, values, strict=True)})
                yield got, sess.run(y, dict(zip(xs, values, strict=True)))


def assert_same(got, expected):
    assert got.dtype == expected.dtype, f"dtype {got.dtype}, graphflow's {expected.dtype}"
    assert got.shape == expected.shape, f"shape {got.shape}, graphflow's {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("op_type", "build", "specs"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_op_runs_in_onnxruntime_as_in_graphflow(op_type, build, specs):
    for got, expected in run_both(build, specs):
        assert_same(got, expected)


def test_every_converted_op_type_has_a_case():
    assert {c[0] for c in CASES} == set(EXPORTS) | FOLDED


def test_every_registered_op_type_is_converted_folded_or_refused_with_a_reason():
    assert set(EXPORTS) | FOLDED | set(REFUSED) == set(OPS), "classify the new op types in graphflow/onnx"
    assert len(EXPORTS) + len(FOLDED) + len(REFUSED) == len(OPS)


@pytest.mark.parametrize("opset", [13, 18, 21])
def test_reductions_in_other_opsets(opset):
    """From opset 18 the axes of ReduceMean, ReduceMax, ReduceMin and ReduceProd are an input, before an attribute."""
    for build in (
        lambda x: gf.reduce_mean(x, axis=1),
        lambda x: gf.reduce_max(x, axis=0),
        lambda x: gf.reduce_prod(x, axis=1, keepdims=True),
        lambda x: gf.reduce_any(x > 0.0, axis=1),
        lambda x: reduced_size_op(x, axis=(0,)),
    ):
        for got, expected in run_both(build, [F("n", 3)], opset=opset):
            assert_same(got, expected)

"""Bad input gets a clear error, and a failed run loses nothing.

Each kind of bad input: the exception type, and that the message names what the user needs
(node, dtype, declared shape, given shape, op type). The last section checks the transactional promise: after any
kind of failed run, every variable and optimizer slot is exactly what it was before.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.registry import GRADIENTS, OPS, defop
from tests.plans import plan_for

# --------------------------------------------------------------------------------------------------------------------
# Feeds


@pytest.fixture
def x_graph():
    """A float32 placeholder 'x' of shape [None, 3] and y = 2x, with a session on their graph."""
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        y = x * 2.0
        with gf.Session() as sess:
            yield sess, x, y


def test_missing_feed_names_placeholder_dtype_and_shape(x_graph):
    sess, x, y = x_graph
    with pytest.raises(gf.errors.InvalidArgumentError) as info:
        sess.run(y)
    message = str(info.value)
    assert "You must feed a value for placeholder 'x'" in message
    assert "float32" in message and "[?,3]" in message
    assert info.value.node is x
    assert isinstance(info.value, ValueError)  # also a built-in ValueError, for `except ValueError`


def test_missing_feed_of_an_untyped_placeholder_and_of_a_deep_input():
    with gf.Graph().as_default():
        p = gf.placeholder()
        labels = gf.placeholder(gf.int32, [None], name="labels")
        logits = gf.Variable(np.zeros((2, 3), np.float32), name="logits")
        loss = gf.losses.sparse_softmax_cross_entropy(labels, logits)
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with gf.Session() as sess:
            with pytest.raises(gf.errors.InvalidArgumentError, match="'Placeholder'"):
                sess.run(p + 1.0)
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"'labels' with dtype int32 and shape \[\?\]"):
                sess.run(train)  # the placeholder is many ops below the train op
            assert sess.run(loss, {labels: [0, 1]}) == pytest.approx(np.log(3.0))


@pytest.mark.parametrize(
    ("value", "given"),
    [(np.zeros((2, 2)), "(2, 2)"), ([1.0, 2.0, 3.0], "(3,)"), (1.0, "()"), (np.zeros((1, 3, 1)), "(1, 3, 1)")],
    ids=["wrong-dim", "wrong-rank-list", "scalar", "too-many-dims"],
)
def test_feed_shape_contradicting_the_declared_shape(x_graph, value, given):
    sess, x, y = x_graph
    with pytest.raises(gf.errors.InvalidArgumentError) as info:
        sess.run(y, {x: value})
    message = str(info.value)
    assert "'x'" in message and "[?,3]" in message and given in message
    assert info.value.node is x


def test_feed_shape_is_checked_for_fed_intermediate_nodes_too():
    with gf.Graph().as_default():
        a = gf.constant(np.ones((2, 3), np.float32), name="a")
        b = a * 2.0
        with gf.Session() as sess, pytest.raises(gf.errors.InvalidArgumentError, match=r"\(3, 2\).*'a'.*\[2,3\]"):
            sess.run(b, {a: np.ones((3, 2))})


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ([["a", "b", "c"]], "<U1"),
        ("abc", "<U3"),
        (None, "object"),
        ([[1.0, 2.0, 3.0], [1.0, 2.0]], "inhomogeneous"),
        ({"a": 1}, "object"),
    ],
    ids=["strings", "string", "None", "ragged", "dict"],
)
def test_feed_that_cannot_be_converted(x_graph, value, detail):
    sess, x, y = x_graph
    with pytest.raises(gf.errors.InvalidArgumentError) as info:
        sess.run(y, {x: value})
    message = str(info.value)
    assert "'x'" in message and "float32" in message and "[?,3]" in message
    assert detail in message
    assert info.value.node is x


def test_fractional_floats_into_an_int_placeholder_are_refused_but_integral_ones_accepted():
    with gf.Graph().as_default():
        i = gf.placeholder(gf.int32, [2], name="i")
        with gf.Session() as sess:
            with pytest.raises(gf.errors.InvalidArgumentError) as info:
                sess.run(i + 1, {i: [1.5, 2.0]})
            assert "'i'" in str(info.value) and "int32" in str(info.value) and "1.5" in str(info.value)
            with pytest.raises(gf.errors.InvalidArgumentError, match="'i'"):
                sess.run(i + 1, {i: np.array([np.nan, 1.0])})
            out = sess.run(i + 1, {i: np.array([1.0, 2.0])})
    assert out.dtype == np.int32 and out.tolist() == [2, 3]


# --------------------------------------------------------------------------------------------------------------------
# Fetches and graphs


@pytest.mark.parametrize(
    ("fetch", "type_name"),
    [(1.0, "float"), (None, "NoneType"), (3, "int"), (object(), "object"), (np.zeros(2), "ndarray")],
    ids=["float", "None", "int", "object", "ndarray"],
)
def test_fetch_that_is_not_a_graph_element(x_graph, fetch, type_name):
    sess, x, y = x_graph
    with pytest.raises(TypeError, match=type_name):
        sess.run(fetch)
    with pytest.raises(TypeError, match=type_name):
        sess.run([y, {"k": fetch}], {x: np.ones((1, 3))})  # nested inside a structure


def test_feed_key_that_is_not_a_graph_element(x_graph):
    sess, _x, y = x_graph
    with pytest.raises(TypeError, match="float"):
        sess.run(y, {1.0: np.ones((1, 3))})


def test_fetch_by_an_unknown_name(x_graph):
    sess, _x, _y = x_graph
    with pytest.raises(LookupError, match="nonexistent:0"):
        sess.run("nonexistent:0")


def test_nodes_of_two_graphs_mixed_in_one_op():
    with gf.Graph().as_default():
        a = gf.constant(1.0, name="from_first")
    with gf.Graph().as_default():
        b = gf.constant(2.0, name="from_second")
        with pytest.raises(ValueError) as info:
            a + b
        assert "'from_first'" in str(info.value) and "'from_second'" in str(info.value)
        with pytest.raises(ValueError, match=r"from_first.*from_second|from_second.*from_first"):
            gf.add_n([b, a])


def test_nodes_of_two_graphs_mixed_in_one_run():
    with gf.Graph().as_default():
        a = gf.constant(1.0, name="from_first")
    with gf.Graph().as_default() as second:
        b = gf.constant(2.0, name="from_second")
        with gf.Session() as sess:
            with pytest.raises(ValueError) as info:
                sess.run([b, a])
            assert "'from_first'" in str(info.value) and str(second) in str(info.value)
            with pytest.raises(ValueError, match="'from_first'"):
                sess.run(b, {a: 3.0})
            assert sess.run(b) == 2.0  # the session still works


def test_session_on_one_graph_refuses_a_node_of_the_default_graph():
    other = gf.Graph()
    with other.as_default():
        c = gf.constant(1.0, name="c")
    with gf.Graph().as_default():
        sess = gf.Session()
        with pytest.raises(ValueError, match="'c'"):
            sess.run(c)
        assert gf.Session(graph=other).run(c) == 1.0


# --------------------------------------------------------------------------------------------------------------------
# Static shapes and dtypes, at build time


def test_matmul_with_incompatible_static_shapes_fails_at_build_time():
    with gf.Graph().as_default() as g:
        a = gf.ones([2, 3], name="a")
        b = gf.ones([4, 5], name="b")
        count = len(g.nodes)
        with pytest.raises(ValueError) as info:
            gf.matmul(a, b)
        message = str(info.value)
        assert "MatMul" in message and "3" in message and "4" in message
        assert "'a'" in message and "'b'" in message and "[2,3]" in message and "[4,5]" in message
        assert len(g.nodes) == count  # no half-built node was added
        with pytest.raises(ValueError, match="MatMul"):
            a @ b


def test_elementwise_with_incompatible_static_shapes_fails_at_build_time():
    with gf.Graph().as_default():
        with pytest.raises(ValueError, match=r"Add.*\(2, 3\).*\(4, 5\)"):
            gf.ones([2, 3]) + gf.ones([4, 5])
        with pytest.raises(ValueError, match="Reshape"):
            gf.reshape(gf.ones([2, 3]), [4])


@pytest.mark.parametrize(
    ("left", "right"),
    [(gf.float32, gf.float64), (gf.float32, gf.int32), (gf.int64, gf.int32), (gf.float64, gf.bool)],
)
def test_two_different_known_dtypes_in_one_op(left, right):
    with gf.Graph().as_default():
        a = gf.placeholder(left, name="a")
        b = gf.placeholder(right, name="b")
        with pytest.raises(TypeError) as info:
            a + b
    message = str(info.value)
    assert str(left) in message and str(right) in message


def test_matmul_of_float32_and_float64_names_both():
    with gf.Graph().as_default():
        a = gf.constant(np.ones((2, 2), np.float32))
        b = gf.constant(np.ones((2, 2), np.float64))
        with pytest.raises(TypeError, match=r"MatMul.*float32.*float64"):
            gf.matmul(a, b)


def test_python_numbers_adopt_the_other_operands_dtype():
    with gf.Graph().as_default():
        f64 = gf.placeholder(gf.float64, [2], name="f64")
        f32 = gf.placeholder(gf.float32, [2], name="f32")
        i32 = gf.placeholder(gf.int32, [2], name="i32")
        nodes = {
            "f64*2.0": f64 * 2.0,
            "1.5-f64": 1.5 - f64,
            "f32*2.5": f32 * 2.5,
            "2/f32": 2 / f32,
            "f32*array64": f32 * np.array([1.0, 2.0]),
            "array64*f32": np.array([1.0, 2.0]) * f32,
            "i32+2": i32 + 2,
        }
        expected = {
            "f64*2.0": np.float64,
            "1.5-f64": np.float64,
            "f32*2.5": np.float32,
            "2/f32": np.float32,
            "f32*array64": np.float32,
            "array64*f32": np.float32,
            "i32+2": np.int32,
        }
        for key, node in nodes.items():
            assert node.dtype == expected[key], key
        with gf.Session() as sess:
            values = sess.run(nodes, {f64: [1.0, 2.0], f32: [1.0, 2.0], i32: [1, 2]})
        for key, value in values.items():
            assert value.dtype == expected[key], key
        assert values["f32*2.5"].tolist() == [2.5, 5.0]
        assert values["i32+2"].tolist() == [3, 4]
        with pytest.raises(TypeError, match="int32"):
            i32 + 1.5  # a fractional Python float cannot become an int32 constant


# --------------------------------------------------------------------------------------------------------------------
# Gradients through an op without a rule


@pytest.fixture
def op_without_gradient():
    """A float op registered without a gradient rule; removed from the registry afterwards."""
    name = "TestNoGradient"

    @defop(name)
    def forward(x):
        return x * 2.0

    try:
        yield forward
    finally:
        OPS.pop(name, None)
        GRADIENTS.pop(name, None)


def test_differentiating_through_a_float_op_without_gradient(op_without_gradient):
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3], name="x")
        hidden = op_without_gradient(x, name="mystery")
        loss = gf.reduce_sum(gf.square(hidden))
        with pytest.raises(LookupError) as info:
            gf.gradients(loss, x)
        assert "TestNoGradient" in str(info.value) and "'mystery'" in str(info.value)
        w = gf.Variable(np.ones(3), name="w")
        with pytest.raises(LookupError, match="mystery"):
            gf.train.GradientDescentOptimizer(0.1).minimize(gf.reduce_sum(op_without_gradient(w, name="mystery")))
        # Off the path the op is harmless (the walk stops at `hidden`), and stop_gradient cuts the path.
        (g_hidden,) = gf.gradients(loss, hidden)
        (g_x,) = gf.gradients(gf.reduce_sum(gf.stop_gradient(hidden) * x), x)
        with gf.Session() as sess:
            feed = {x: [1.0, 0.0, 0.0]}
            assert sess.run(loss, feed) == 4.0  # the forward pass works
            assert sess.run(g_hidden, feed).tolist() == [4.0, 0.0, 0.0]
            assert sess.run(g_x, feed).tolist() == [2.0, 0.0, 0.0]


def test_op_without_gradient_fixture_cleans_up():
    assert not any(name.startswith("Test") for name in OPS)


# --------------------------------------------------------------------------------------------------------------------
# Ops failing at run time


def test_sparse_xent_with_an_out_of_range_label_names_the_node():
    with gf.Graph().as_default():
        logits = gf.placeholder(gf.float32, [None, 3], name="logits")
        labels = gf.placeholder(gf.int32, [None], name="labels")
        xent = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xent")
        with gf.Session() as sess:
            with pytest.raises(gf.errors.InvalidArgumentError) as info:
                sess.run(xent, {logits: np.zeros((2, 3)), labels: [1, 5]})
            assert sess.run(xent, {logits: np.zeros((2, 3)), labels: [1, 2]}) == pytest.approx([np.log(3)] * 2)
    message = str(info.value)
    assert "'xent'" in message and "5" in message and "SparseSoftmaxCrossEntropyWithLogits" in message
    assert info.value.node is xent


def test_reshape_of_a_fed_value_to_an_impossible_shape_names_the_node():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 3], name="x")
        r = gf.reshape(x, [4], name="flat4")
        with gf.Session() as sess:
            with pytest.raises(gf.errors.InvalidArgumentError) as info:
                sess.run(r, {x: np.zeros((2, 3))})
            assert sess.run(gf.reshape(x, [-1]), {x: np.zeros((2, 3))}).shape == (6,)
    assert "'flat4'" in str(info.value) and "Reshape" in str(info.value)
    assert info.value.node is r


# --------------------------------------------------------------------------------------------------------------------
# A failed run changes nothing


@pytest.fixture
def adam_model():
    """A dense 3-4-3 classifier trained with Adam and a global step, two steps already taken."""
    with gf.Graph().as_default():
        gf.set_random_seed(0)
        x = gf.placeholder(gf.float64, [None, 3], name="x")
        labels = gf.placeholder(gf.int32, [None], name="labels")
        tail = gf.placeholder(gf.float64, [None], name="tail")
        hidden = gf.layers.dense(x, 4, activation=gf.nn.tanh)
        logits = gf.layers.dense(hidden, 3)
        loss = gf.losses.sparse_softmax_cross_entropy(labels, logits)
        step = gf.train.get_or_create_global_step()
        train = gf.train.AdamOptimizer(0.05).minimize(loss, global_step=step)
        bad_tail = gf.reshape(tail, [4], name="bad_tail")  # fails at run time unless 4 values are fed
        train_then_fail = gf.group(train, bad_tail, name="train_then_fail")
        feed = {x: np.arange(6.0).reshape(2, 3) / 6.0, labels: [0, 2]}
        with gf.Session() as sess:
            sess.run(train, feed)
            sess.run(train, feed)
            yield {
                "sess": sess,
                "x": x,
                "labels": labels,
                "tail": tail,
                "train": train,
                "train_then_fail": train_then_fail,
                "feed": feed,
                "variables": gf.global_variables(),
            }


def _snapshot(model):
    return model["sess"].run(model["variables"])


def _assert_unchanged(before, after, names):
    for name, old, new in zip(names, before, after, strict=True):
        assert old.dtype == new.dtype and old.shape == new.shape, name
        np.testing.assert_array_equal(new, old, err_msg=name)


def test_model_state_covers_variables_and_every_optimizer_slot(adam_model):
    names = [v.op.name for v in adam_model["variables"]]
    assert names == [
        "dense/kernel",
        "dense/bias",
        "dense_1/kernel",
        "dense_1/bias",
        "global_step",
        "beta1_power",
        "beta2_power",
        "dense/kernel/Adam",
        "dense/kernel/Adam_1",
        "dense/bias/Adam",
        "dense/bias/Adam_1",
        "dense_1/kernel/Adam",
        "dense_1/kernel/Adam_1",
        "dense_1/bias/Adam",
        "dense_1/bias/Adam_1",
    ]
    values = dict(zip(names, _snapshot(adam_model), strict=True))
    assert values["global_step"] == 2
    assert values["beta1_power"] == pytest.approx(0.9**3)
    assert np.any(values["dense/kernel/Adam"] != 0)


def _failing_runs(model):
    feed, x, labels, tail = model["feed"], model["x"], model["labels"], model["tail"]
    return {
        "missing feed": (model["train"], {x: feed[x]}),
        "bad feed shape": (model["train"], {x: np.zeros((2, 4)), labels: feed[labels]}),
        "unconvertible feed": (model["train"], {x: [["a", "b", "c"]] * 2, labels: feed[labels]}),
        "fractional labels": (model["train"], {x: feed[x], labels: [0.5, 1.0]}),
        "op failure in the forward pass": (model["train"], {x: feed[x], labels: [0, 7]}),
        "op failure after the updates": (model["train_then_fail"], {**feed, tail: np.zeros(3)}),
        "fetch list, failure last": ([model["train"], model["train_then_fail"]], {**feed, tail: np.zeros(5)}),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing feed",
        "bad feed shape",
        "unconvertible feed",
        "fractional labels",
        "op failure in the forward pass",
        "op failure after the updates",
        "fetch list, failure last",
    ],
)
def test_failed_run_changes_no_variable_or_slot(adam_model, case):
    names = [v.op.name for v in adam_model["variables"]]
    before = _snapshot(adam_model)
    fetches, feed = _failing_runs(adam_model)[case]
    with pytest.raises(gf.errors.InvalidArgumentError):
        adam_model["sess"].run(fetches, feed)
    _assert_unchanged(before, _snapshot(adam_model), names)
    # The session is still usable, and a good step does change the state (so the comparison above can fail).
    adam_model["sess"].run(adam_model["train"], adam_model["feed"])
    after_step = dict(zip(names, _snapshot(adam_model), strict=True))
    assert after_step["global_step"] == 3
    assert not np.array_equal(after_step["dense/kernel"], before[0])


def test_the_late_failure_really_comes_after_the_updates_in_the_plan(adam_model):
    """Guards the 'after the updates' case above: every assign step runs before the failing reshape."""
    sess, feed = adam_model["sess"], {**adam_model["feed"], adam_model["tail"]: np.zeros(3)}
    with pytest.raises(gf.errors.InvalidArgumentError, match="'bad_tail'") as info:
        sess.run(adam_model["train_then_fail"], feed)
    assert "No variable was changed" in str(info.value)
    plan = plan_for(sess, [adam_model["train_then_fail"]])
    order = [step.op for step in plan.steps]
    updates = [i for i, node in enumerate(order) if node.type in ("Assign", "AssignAdd", "AssignSub", "ApplyAdam")]
    changed = {var for i in updates for var in order[i].inputs[: order[i].opdef.updates]}
    failing = next(i for i, node in enumerate(order) if node.op.name == "bad_tail")
    assert len(changed) == 15  # 4 variables, their 8 Adam slots, 2 beta powers, the global step
    assert max(updates) < failing

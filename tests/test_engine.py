"""The backward walk on graph shapes that break naive backprop: fan-out, an op using one input twice, a node reached by
a short and a long path, consumers off the loss path, very deep chains and diamonds. Also where gradients are None,
higher-order gradients, gradient overrides, missing rules, and an end-to-end MLP checked against finite differences.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import graphflow as gf
from graphflow.graph import topo_order
from graphflow.registry import GRADIENTS, OPS, RegisterGradient, defop
from tests.gradcheck import check_gradients, check_second_derivative
from tests.plans import plan_for


def _run(fetches, feed=None):
    with gf.Session() as sess:
        return sess.run(fetches, feed)


@pytest.fixture
def counting_rules():
    """Registers "TestCounting<Op>" gradients that count their calls and delegate to the op's own rule."""
    calls: Counter[str] = Counter()
    names = []

    def register(op_type: str) -> str:
        name = f"TestCounting{op_type}"
        original = OPS[op_type].grad

        @RegisterGradient(name)
        def _counting(op, g):
            calls[op.op.name] += 1
            return original(op, g)

        names.append(name)
        return name

    yield register, calls
    for name in names:
        GRADIENTS.pop(name, None)


# --------------------------------------------------------------------------------------------------------------------
# Graph shapes


def test_fan_out_sums_every_consumer():
    # x and h each feed several consumers; their parts must be summed
    check_gradients(lambda x: gf.tanh(x) * gf.exp(x) + gf.square(x) - gf.sigmoid(x) * x, [(3, 4)])
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2])
        h = x * 3.0
        y = gf.reduce_sum(h * 2.0 + h * h + gf.exp(h))
        (g,) = gf.gradients(y, x)
        v = np.array([0.1, -0.2])
        np.testing.assert_allclose(_run(g, {x: v}), 3.0 * (2.0 + 2.0 * 3.0 * v + np.exp(3.0 * v)))


def test_op_using_one_input_twice():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3])
        (g,) = gf.gradients(x * x, x)
        (h,) = gf.gradients(x + x, x)
        v = np.array([1.0, -2.0, 0.5])
        g_v, h_v = _run([g, h], {x: v})
    np.testing.assert_array_equal(g_v, 2 * v)
    np.testing.assert_array_equal(h_v, [2.0, 2.0, 2.0])
    check_gradients(lambda x: x * x, [(3, 4)])
    check_gradients(lambda x: x / x + x - x * x, [(3,)], domain=(0.5, 2.0))


def test_matmul_of_a_matrix_with_itself():
    with gf.Graph().as_default():
        a = gf.placeholder(gf.float64, [3, 3])
        (g,) = gf.gradients(gf.matmul(a, a), a)
        v = np.random.default_rng(0).standard_normal((3, 3))
        ones = np.ones((3, 3))
        np.testing.assert_allclose(_run(g, {a: v}), ones @ v.T + v.T @ ones)
    check_gradients(lambda a: gf.matmul(a, a), [(3, 3)])
    check_gradients(lambda a: gf.matmul(a, a, transpose_b=True), [(3, 2)])


def test_node_reached_by_a_short_and_a_long_path_is_processed_once(counting_rules):
    register, calls = counting_rules
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, [4])
        with graph.gradient_override_map({"Mul": register("Mul")}):
            h = gf.multiply(x, 2.0, name="h")
        long = gf.exp(gf.sigmoid(gf.tanh(h)))
        y = gf.reduce_sum(h + long * h)
        (g,) = gf.gradients(y, x)
        v = np.array([0.3, -0.1, 0.7, -1.2])
        t = np.tanh(2 * v)
        s = 1 / (1 + np.exp(-t))
        e = np.exp(s)
        expected = 2.0 * (1.0 + e + 2 * v * e * s * (1 - s) * (1 - t**2))
        np.testing.assert_allclose(_run(g, {x: v}), expected)
    assert calls == {"h": 1}  # once, after both paths have delivered their parts
    check_gradients(lambda x: (lambda h: h + gf.exp(gf.sigmoid(gf.tanh(h))) * h)(x * 2.0), [(4,)])


def test_consumer_off_the_loss_path_is_ignored():
    """An accuracy op (argmax, equal, cast) and a float summary reading the hidden layer are consumers off the loss
    path: they must not break the walk, change the gradients or add gradient nodes."""
    rng = np.random.default_rng(1)
    xv, wv, vv = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    labels = np.array([0, 1, 1, 0, 1])

    def build(with_consumers):
        with gf.Graph().as_default() as graph:
            x, y = gf.constant(xv), gf.constant(labels)
            w, v = gf.Variable(wv), gf.Variable(vv)
            hidden = gf.tanh(gf.matmul(x, w))
            extra = []
            if with_consumers:
                hits = gf.equal(gf.argmax(hidden, axis=1), gf.cast(y, gf.int64))
                extra = [gf.reduce_mean(gf.cast(hits, gf.float64)), gf.reduce_mean(gf.square(hidden))]
            logits = gf.matmul(hidden, v)
            loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            before = len(graph.nodes)
            grads = gf.gradients(loss, [w, v])
            added = len(graph.nodes) - before
            if with_consumers:
                assert gf.gradients(extra[0], [w, v]) == [None, None]
            return _run([*grads, *extra]), added

    (plain, plain_added), (with_consumers, added) = build(False), build(True)
    assert added == plain_added
    np.testing.assert_allclose(with_consumers[0], plain[0])
    np.testing.assert_allclose(with_consumers[1], plain[1])
    assert 0.0 <= with_consumers[2] <= 1.0


def test_5000_op_chain_builds_and_runs_without_recursion():
    depth = 5000
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2])
        y = x
        for _ in range(depth):
            y = gf.tanh(y)
        (g,) = gf.gradients(gf.reduce_sum(y), x)
        v = np.array([0.5, -2.0])
        y_v, g_v = _run([y, g], {x: v})
    expected_y, expected_g = v.copy(), np.ones(2)
    for _ in range(depth):
        expected_y = np.tanh(expected_y)
        expected_g *= 1.0 - expected_y**2
    np.testing.assert_allclose(y_v, expected_y, rtol=1e-12)
    np.testing.assert_allclose(g_v, expected_g, rtol=1e-10)


@pytest.mark.parametrize("depth", [10, 30])
def test_deep_diamond_is_linear(depth, counting_rules):
    """x_{k+1} = x_k + x_k: each level uses the previous node twice, so a walk that does not wait for all consumers
    (or does not remember visited nodes) does 2^depth work."""
    register, calls = counting_rules
    with gf.Graph().as_default() as graph:
        x0 = gf.placeholder(gf.float64, [3])
        xk = x0
        with graph.gradient_override_map({"Add": register("Add")}):
            for _ in range(depth):
                xk = xk + xk
        before = len(graph.nodes)
        (g,) = gf.gradients(xk, x0)
        added = len(graph.nodes) - before
        v = np.array([1e-9, -2e-9, 3e-9])
        y_v, g_v = _run([xk, g], {x0: v})
    assert sum(calls.values()) == depth and set(calls.values()) == {1}
    assert added < 10 * depth
    np.testing.assert_array_equal(y_v, v * 2.0**depth)
    np.testing.assert_array_equal(g_v, np.full(3, 2.0**depth))


# --------------------------------------------------------------------------------------------------------------------
# Where no gradient flows


def test_y_that_does_not_depend_on_x_gives_none():
    with gf.Graph().as_default():
        x, z = gf.placeholder(gf.float64, [2]), gf.placeholder(gf.float64, [2])
        y = gf.exp(z)
        assert gf.gradients(y, x) == [None]
        gx, gz = gf.gradients(y, [x, z])
        assert gx is None and gz is not None


def test_no_gradient_through_integer_and_boolean_values():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3, 2])
        i = gf.placeholder(gf.int32, [3])
        through_argmax = gf.cast(gf.argmax(x, axis=1), gf.float64) * 2.0
        through_equal = gf.cast(gf.equal(x, 0.5), gf.float64)
        from_int = gf.cast(i, gf.float64) * 3.0
        assert gf.gradients(through_argmax, x) == [None]
        assert gf.gradients(through_equal, x) == [None]
        assert gf.gradients(from_int, i) == [None]
        # mixed: the float path still flows, the integer path adds nothing
        y = gf.reduce_sum(x, axis=1) * gf.cast(i, gf.float64) + through_argmax
        gx, gi = gf.gradients(y, [x, i])
        assert gi is None
        iv = np.array([1, 2, 3], dtype=np.int32)
        np.testing.assert_array_equal(_run(gx, {x: np.zeros((3, 2)), i: iv}), np.repeat(iv[:, None], 2, 1))


def test_stop_gradient_and_stop_gradients_argument():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3])
        h = gf.square(x)
        assert gf.gradients(gf.stop_gradient(h), x) == [None]
        y = h * x  # x^3
        (full,) = gf.gradients(y, x)
        (h_const,) = gf.gradients(y, x, stop_gradients=[h])  # as if h were a constant: dy/dx = h
        assert gf.gradients(y, h, stop_gradients=[h]) == [None]
        assert gf.gradients(h, x, stop_gradients=[x]) == [None]
        v = np.array([1.0, -2.0, 0.5])
        full_v, const_v = _run([full, h_const], {x: v})
    np.testing.assert_allclose(full_v, 3 * v**2)
    np.testing.assert_allclose(const_v, v**2)


def test_grad_ys_and_several_ys():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2])
        y1, y2 = x * 2.0, gf.square(x)
        (g,) = gf.gradients([y1, y2], x, grad_ys=[gf.constant(np.array([1.0, 10.0])), None])
        v = np.array([3.0, -1.0])
        np.testing.assert_allclose(_run(g, {x: v}), np.array([2.0, 20.0]) + 2 * v)


def test_a_y_that_feeds_another_y_is_processed_after_it():
    # a = x², ys = [a, 2a]: d(a + 2a)/dx = 6x. Starting the walk at a before 2a has sent a its part gives 2x.
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2])
        a = x * x
        (g,) = gf.gradients([a, 2.0 * a], x)
        (h,) = gf.gradients([2.0 * a, a], x)  # the order of ys does not matter
        (seeded,) = gf.gradients([a, 2.0 * a], x, grad_ys=[gf.constant(np.array([1.0, 0.5])), None])
        v = np.array([1.0, 2.0])
        np.testing.assert_array_equal(_run(g, {x: v}), [6.0, 12.0])
        np.testing.assert_array_equal(_run(h, {x: v}), [6.0, 12.0])
        np.testing.assert_array_equal(_run(seeded, {x: v}), (np.array([1.0, 0.5]) + 2.0) * 2 * v)


def test_gradient_nodes_are_named_under_the_scope_and_each_rule_under_its_op():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2], name="x")
        loss = gf.reduce_sum(gf.square(x, name="sq"), name="loss")
        (g,) = gf.gradients(loss, x)
        (mine,) = gf.gradients(gf.square(x, name="sq2"), x, name="mine")
        assert g.name == "gradients/sq_grad/Mul_1:0"
        assert {i.name for i in g.op.inputs} == {"gradients/loss_grad/BroadcastLike:0", "gradients/sq_grad/Mul:0"}
        assert mine.name == "mine/sq2_grad/Mul_1:0"
        assert {i.name for i in mine.op.inputs} == {"mine/grad_ys:0", "mine/sq2_grad/Mul:0"}
        seed = [n for n in topo_order([g]) if n.name.startswith("gradients/grad_ys")]
        assert [n.name for n in seed] == ["gradients/grad_ys:0"] and seed[0].dtype == np.float64
        assert all(n.name.startswith(("gradients/", "x", "sq", "loss")) for n in topo_order([g]))


def test_grad_ys_may_be_one_node_or_python_values_in_the_dtype_of_y():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2], name="x")
        loss = gf.reduce_sum(x * x)
        (one,) = gf.gradients(loss, x, grad_ys=gf.constant(3.0, dtype=gf.float64))
        (number,) = gf.gradients(loss, x, grad_ys=2.0)
        (listed,) = gf.gradients(x * x, x, grad_ys=np.array([1, 2]))  # integers, as y's dtype
        assert number.dtype == listed.dtype == np.float64
        v = np.array([1.0, 2.0])
        np.testing.assert_array_equal(_run(one, {x: v}), 6 * v)
        np.testing.assert_array_equal(_run(number, {x: v}), 4 * v)
        np.testing.assert_array_equal(_run(listed, {x: v}), [2.0, 8.0])


def test_gradients_refuses_bad_arguments_naming_them():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2], name="x")
        y = gf.reduce_sum(x * x, name="loss")
        with pytest.raises(TypeError, match=r"^gradients: ys must be graph nodes, got int: 3$"):
            gf.gradients(3, x)
        with pytest.raises(TypeError, match=r"^gradients: xs must be graph nodes, got str: 'w'$"):
            gf.gradients(y, [x, "w"])
        with pytest.raises(ValueError, match=r"^gradients: got 1 grad_ys for 2 ys$"):
            gf.gradients([y, y], x, grad_ys=[None])
    with gf.Graph().as_default():
        z = gf.placeholder(gf.float64, [2], name="z")
    with pytest.raises(ValueError, match=r"^gradients: 'loss' belongs to .* but 'z' belongs to"):
        gf.gradients(y, z)


# --------------------------------------------------------------------------------------------------------------------
# Higher order


def test_second_derivative_of_cube_is_6x():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [4])
        (d1,) = gf.gradients(x**3.0, x)
        (d2,) = gf.gradients(d1, x)
        (d3,) = gf.gradients(d2, x)
        v = np.array([-2.0, -0.5, 1.0, 3.0])
        d1_v, d2_v, d3_v = _run([d1, d2, d3], {x: v})
    np.testing.assert_allclose(d1_v, 3 * v**2)
    np.testing.assert_allclose(d2_v, 6 * v)
    np.testing.assert_allclose(d3_v, np.full(4, 6.0))


def test_second_derivatives_of_sigmoid_and_tanh():
    v = np.linspace(-3, 3, 7)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [7])
        s, t = gf.sigmoid(x), gf.tanh(x)
        ds, dt = gf.gradients(s, x)[0], gf.gradients(t, x)[0]
        d2s, d2t = gf.gradients(ds, x)[0], gf.gradients(dt, x)[0]
        d2s_v, d2t_v = _run([d2s, d2t], {x: v})
    sig, tan = 1 / (1 + np.exp(-v)), np.tanh(v)
    np.testing.assert_allclose(d2s_v, sig * (1 - sig) * (1 - 2 * sig), atol=1e-15)
    np.testing.assert_allclose(d2t_v, -2 * tan * (1 - tan**2), atol=1e-15)


@pytest.mark.parametrize(
    ("build", "shapes"),
    [
        (gf.sigmoid, [(3, 4)]),
        (gf.tanh, [(3, 4)]),
        (gf.nn.softmax, [(3, 4)]),
        (lambda x: gf.nn.log_softmax(x, axis=0), [(3, 4)]),
        (lambda x: x**3.0, [(5,)]),
    ],
    ids=["sigmoid", "tanh", "softmax", "log_softmax", "cube"],
)
def test_hessian_vector_products(build, shapes):
    check_second_derivative(build, shapes)


def test_hessian_vector_product_of_a_small_mlp():
    labels = np.array([[0.0, 1.0], [1.0, 0.0], [0.3, 0.7]])

    def mlp(x, w1, b1, w2, y):
        hidden = gf.tanh(gf.matmul(x, w1) + b1)
        logits = gf.matmul(hidden, w2)
        return gf.reduce_mean(gf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits)) + gf.nn.l2_loss(w1)

    check_second_derivative(mlp, [(3, 4), (4, 5), (5,), (5, 2)], extra=(labels,))
    check_gradients(mlp, [(3, 4), (4, 5), (5,), (5, 2)], extra=(labels,))


# --------------------------------------------------------------------------------------------------------------------
# Overrides and missing rules


@pytest.fixture
def custom_square_gradient():
    @RegisterGradient("TestTripleSquare")
    def _triple(op, g):
        return (g * 3.0,)

    yield "TestTripleSquare"
    GRADIENTS.pop("TestTripleSquare", None)


def test_gradient_override_map_replaces_a_rule(custom_square_gradient):
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, [2])
        with graph.gradient_override_map({"Square": custom_square_gradient}):
            overridden = gf.square(x)
        normal = gf.square(x)
        assert overridden.type == "Square" and overridden.grad_type == custom_square_gradient
        g_over, g_norm = gf.gradients(overridden, x)[0], gf.gradients(normal, x)[0]
        v = np.array([1.0, 5.0])
        over_v, norm_v = _run([g_over, g_norm], {x: v})
    np.testing.assert_array_equal(over_v, [3.0, 3.0])
    np.testing.assert_array_equal(norm_v, 2 * v)


def test_a_registered_rule_may_return_one_tensor_as_tf1_allows_a_straight_through_estimator():
    @RegisterGradient("TestStraightThrough")
    def _straight_through(op, g):
        return g  # not a list: TF-1 accepts this for a one-input op

    try:
        with gf.Graph().as_default() as graph:
            x = gf.placeholder(gf.float64, [3])
            with graph.gradient_override_map({"Sign": "TestStraightThrough"}):
                binary = gf.sign(x)
            (g,) = gf.gradients(gf.reduce_sum(binary * [1.0, 2.0, 3.0]), [x])
            values = _run([binary, g], {x: [-0.5, 0.1, 2.0]})
    finally:
        GRADIENTS.pop("TestStraightThrough", None)
    np.testing.assert_array_equal(values[0], [-1.0, 1.0, 1.0])
    np.testing.assert_array_equal(values[1], [1.0, 2.0, 3.0])  # sign's own rule would give zeros


def test_a_rule_returning_the_wrong_number_of_gradients_is_refused_naming_the_op():
    @RegisterGradient("TestTwoForOne")
    def _two(op, g):
        return g, g

    try:
        with gf.Graph().as_default() as graph:
            x = gf.placeholder(gf.float64, [3])
            with graph.gradient_override_map({"Exp": "TestTwoForOne"}):
                y = gf.exp(x, name="e")
            with pytest.raises(ValueError, match=r"^the gradient rule for Exp 'e' returned 2 gradients for 1 inputs$"):
                gf.gradients(gf.reduce_sum(y), x)
    finally:
        GRADIENTS.pop("TestTwoForOne", None)


def test_registering_a_gradient_twice_is_an_error(custom_square_gradient):
    with pytest.raises(KeyError, match="TestTripleSquare"):
        RegisterGradient(custom_square_gradient)(lambda op, g: (g,))


@pytest.fixture
def op_without_gradient():
    opdef = defop("TestNoGradDouble", shape=lambda x, **_: x)(lambda x: 2.0 * x)
    yield opdef
    OPS.pop("TestNoGradDouble", None)


def test_missing_gradient_rule_names_the_op_type_and_node(op_without_gradient):
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2])
        y = gf.exp(op_without_gradient(x, name="doubler"))
        np.testing.assert_allclose(_run(y, {x: [0.0, 1.0]}), np.exp([0.0, 2.0]))
        with pytest.raises(LookupError, match=r"'doubler'.*TestNoGradDouble"):
            gf.gradients(y, x)
        # off the path (or cut by stop_gradient) it is fine
        z = gf.placeholder(gf.float64, [2])
        assert gf.gradients(y + z, z)[0] is not None
        assert gf.gradients(gf.stop_gradient(op_without_gradient(x)) * x, x)[0] is not None


def test_missing_overridden_rule_says_so():
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, [2])
        with graph.gradient_override_map({"Exp": "TestNeverRegistered"}):
            y = gf.exp(x)
        with pytest.raises(LookupError, match="overridden to 'TestNeverRegistered'"):
            gf.gradients(y, x)


# --------------------------------------------------------------------------------------------------------------------
# End to end


def test_two_layer_mlp_variable_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((6, 4))
    labels = rng.integers(0, 3, size=6)
    with gf.Graph().as_default():
        gf.set_random_seed(0)
        x = gf.placeholder(gf.float64, [None, 4])
        y = gf.placeholder(gf.int64, [None])
        hidden = gf.layers.dense(
            x, 5, activation=gf.tanh, bias_initializer=gf.initializers.random_normal_initializer(seed=1)
        )
        logits = gf.layers.dense(hidden, 3)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        variables = gf.trainable_variables()
        assert [v.op.name for v in variables] == ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]
        assert all(v.dtype == gf.float64 for v in variables)
        grads = gf.gradients(loss, variables)
        feed = {x: xv, y: labels}
        eps = 1e-6
        with gf.Session() as sess:
            analytic = sess.run(grads, feed)
            for var, g in zip(variables, analytic, strict=True):
                value = sess.run(var)
                assert g.shape == value.shape
                numeric = np.zeros_like(value)
                for i in np.ndindex(value.shape):
                    for sign in (1, -1):
                        bumped = value.copy()
                        bumped[i] += sign * eps
                        sess.load_variable(var, bumped)
                        numeric[i] += sign * sess.run(loss, feed) / (2 * eps)
                sess.load_variable(var, value)
                np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-9, err_msg=var.op.name)
                assert np.abs(g).max() > 1e-3  # every layer actually receives a gradient


def test_gradient_graph_sums_only_the_operand_that_broadcasting_stretched():
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, [None, 4])
        b = gf.placeholder(gf.float64, [4])
        y = x + b
        before = len(graph.nodes)
        gx, gb = gf.gradients(gf.reduce_sum(y * y), [x, b])
        added = [n for n in graph.nodes[before:] if n.type == "SumTo"]
        assert [n.inputs[1] for n in added] == [b]  # x is never stretched by a (4,) operand: no sum for it
        with gf.Session() as sess:
            xv, bv = np.arange(8.0).reshape(2, 4), np.ones(4)
            gxv, gbv = sess.run([gx, gb], {x: xv, b: bv})
        np.testing.assert_allclose(gxv, 2 * (xv + bv))
        np.testing.assert_allclose(gbv, (2 * (xv + bv)).sum(axis=0))


@pytest.mark.parametrize("sparse", [True, False], ids=["sparse labels", "one-hot labels"])
def test_gradient_of_a_mean_cross_entropy_hands_the_loss_its_scalar_without_spreading_it(sparse):
    rng = np.random.default_rng(3)
    logits_v, labels_v = rng.normal(size=(6, 4)), np.array([0, 3, 1, 2, 3, 0])
    with gf.Graph().as_default():
        logits = gf.placeholder(gf.float64, [None, 4])
        if sparse:
            labels = gf.placeholder(gf.int64, [None])
            xent = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            feed = {logits: logits_v, labels: labels_v}
        else:
            labels = gf.placeholder(gf.float64, [None, 4])
            xent = gf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
            feed = {logits: logits_v, labels: np.eye(4)[labels_v]}
        (g,) = gf.gradients(gf.reduce_mean(xent), [logits])
        assert [n.op.name for n in topo_order([g]) if n.type == "BroadcastLike"] == []
        with gf.Session() as sess:
            got = sess.run(g, feed)
    softmax = np.exp(logits_v) / np.exp(logits_v).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(got, (softmax - np.eye(4)[labels_v]) / 6, rtol=1e-12)


def test_a_train_step_on_a_mean_sparse_cross_entropy_counts_the_labels_instead_of_running_the_loss():
    rng = np.random.default_rng(4)
    x_v, labels_v, w_v = rng.normal(size=(6, 3)).astype(np.float32), np.array([0, 3, 1, 2, 3, 0]), np.ones((3, 4))
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 3])
        labels = gf.placeholder(gf.int64, [None])
        w = gf.Variable(w_v.astype(np.float32))
        xent = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=gf.matmul(x, w))
        loss = gf.reduce_mean(xent)
        train = gf.train.GradientDescentOptimizer(1.0).minimize(loss)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            sess.run(train, {x: x_v, labels: labels_v})
            plan = plan_for(sess, [train])
            assert xent not in plan.nodes  # the mean's count reads the labels; the loss itself is not needed
            (size,) = [n for n in plan.nodes if n.type == "ReducedSize"]
            assert size.inputs == (labels,) and size.dtype == np.float32
            np.testing.assert_allclose(sess.run(w), w_v - x_v.T @ (np.full((6, 4), 0.25) - np.eye(4)[labels_v]) / 6)
            with pytest.raises(gf.errors.InvalidArgumentError, match="label 7 is outside the valid range"):
                sess.run(train, {x: x_v, labels: [7, 0, 0, 0, 0, 0]})
            assert sess.run(loss, {x: x_v, labels: labels_v}) > 0  # fetched, the loss is computed as before


@pytest.mark.parametrize(
    ("x", "other", "expected"),
    [
        ((None, 4), (4,), True),
        ((None, 4), (None, 4), False),  # either could be 1 at run time
        ((3, 4), (1, 4), True),
        ((1, 4), (3, 4), False),
        ((4,), (None, 4), False),  # other has more axes
        ((None, 4), (), True),
        (None, (4,), False),
    ],
)
def test_never_stretched_proof(x, other, expected):
    from graphflow.ops._util import never_stretched

    assert never_stretched(x, other) is expected


def test_unconnected_gradients_none_or_zero():
    with gf.Graph().as_default():
        x, unused = gf.constant([1.0, 2.0]), gf.constant([[5.0]])
        y = gf.reduce_sum(x * x)
        assert gf.gradients(y, [x, unused])[1] is None
        gx, gu = gf.Session().run(gf.gradients(y, [x, unused], unconnected_gradients="zero"))
        np.testing.assert_array_equal(gx, [2.0, 4.0])
        np.testing.assert_array_equal(gu, [[0.0]])
        with pytest.raises(ValueError, match="unconnected_gradients must be 'none' or 'zero'"):
            gf.gradients(y, x, unconnected_gradients="zeros")


def test_hessians_of_a_cubic_and_of_a_product():
    with gf.Graph().as_default():
        v = gf.constant([1.0, 2.0, 3.0], gf.float64)
        (h,) = gf.hessians(gf.reduce_sum(v**3) + v[0] * v[1], v)
        expected = np.diag([6.0, 12.0, 18.0])
        expected[0, 1] = expected[1, 0] = 1.0  # d2 (v0 v1) / dv0 dv1
        np.testing.assert_allclose(gf.Session().run(h), expected)
        assert gf.hessians(gf.reduce_sum(v), [v, gf.constant(1.0)])[1] is None  # an x that does not reach ys

"""Failing loudly and early: check_numerics, Session(debug_nans=True), Graph.finalize and the graph-growth warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graphflow as gf


def test_check_numerics_passes_finite_values_through():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3])
        y = gf.check_numerics(x * 2.0, "doubled")
        with gf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0, 3.0]}), [2.0, 4.0, 6.0])


@pytest.mark.parametrize(("value", "found"), [(np.nan, "NaN"), (np.inf, "Inf"), (-np.inf, "Inf")])
def test_check_numerics_names_message_node_and_what_it_saw(value, found):
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3])
        y = gf.debugging.check_numerics(gf.identity(x), "the input", name="checked_input")
        with gf.Session() as sess, np.errstate(all="ignore"), pytest.raises(gf.errors.InvalidArgumentError) as info:
            sess.run(y, {x: [1.0, value, 2.0]})
    message = str(info.value)
    assert "the input : Tensor had" in message
    assert "checked_input" in message
    assert f"{found} values" in message


def test_check_numerics_checks_the_gradient_too():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2])
        y = gf.sqrt(gf.check_numerics(x, "sqrt input"))  # the check's gradient checks what flows back into x
        (grad,) = gf.gradients(gf.reduce_sum(y), [x])
        with gf.Session() as sess:
            np.testing.assert_allclose(sess.run(grad, {x: [1.0, 4.0]}), [0.5, 0.25])
            with (
                np.errstate(all="ignore"),
                pytest.raises(gf.errors.InvalidArgumentError, match=r"in gradient\. sqrt input"),
            ):
                sess.run(grad, {x: [0.0, 4.0]})  # d sqrt(x) at 0 is inf


def build_model():
    x = gf.placeholder(gf.float64, [None, 2], name="x")
    w = gf.Variable(np.array([[1.0], [-1.0]]), name="w")
    hidden = gf.matmul(x, w, name="hidden")
    blown = gf.exp(hidden * 1000.0, name="blown_up")  # overflows for inputs of moderate size
    loss = gf.reduce_mean(gf.log(blown + 1.0), name="loss")
    return x, w, blown, loss


def test_debug_nans_stops_at_the_first_op_that_produced_inf_and_summarises_its_inputs():
    with gf.Graph().as_default():
        x, w, blown, loss = build_model()
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with gf.Session(debug_nans=True) as sess, np.errstate(all="ignore"):  # the session's error is what matters
            before = sess.run(w)
            with pytest.raises(gf.errors.InvalidArgumentError) as info:
                sess.run([train, loss], {x: [[1.0, 0.0], [0.0, 0.5]]})
            np.testing.assert_array_equal(sess.run(w), before)
    message = str(info.value)
    assert "Exp 'blown_up' produced" in message
    assert "1 Inf" in message
    assert "first op of this run" in message
    assert "input 0 'Mul'" in message  # the summary names the op's input and its range
    assert "finite values in [-500, 1000]" in message
    assert info.value.node is blown


def test_debug_nans_turned_on_in_a_session_that_already_ran_the_request_checks_every_op():
    # The plan compiled before runs the bias add and relu as one step, whose relu hides the add's -inf.
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 2], name="x")
        b = gf.placeholder(gf.float32, [3], name="b")
        y = gf.nn.relu(gf.add(gf.matmul(x, gf.Variable(np.ones((2, 3), np.float32))), b, name="biased"))
        with gf.Session() as sess:
            feed = {x: np.ones((4, 2), np.float32), b: np.float32([0.0, -np.inf, 1.0])}
            assert np.isfinite(sess.run(y, feed)).all()
            sess.debug_nans = True
            with pytest.raises(gf.errors.InvalidArgumentError, match="Add 'biased' produced"):
                sess.run(y, feed)


def test_without_debug_nans_the_same_run_goes_through_and_gives_inf():
    with gf.Graph().as_default():
        x, _, blown, _ = build_model()
        with gf.Session() as sess, np.errstate(all="ignore"):
            assert np.isinf(sess.run(blown, {x: [[1.0, 0.0]]})).all()


def test_debug_nans_gives_identical_results_when_all_values_are_finite():
    with gf.Graph().as_default():
        gf.set_random_seed(3)
        x = gf.placeholder(gf.float32, [None, 4])
        labels = gf.placeholder(gf.int64, [None])
        logits = gf.layers.dense(gf.layers.dense(x, 8, activation=gf.nn.tanh), 3)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        train = gf.train.AdamOptimizer(0.01).minimize(loss)
        feed = {x: np.random.default_rng(0).standard_normal((16, 4)), labels: np.arange(16) % 3}
        results = []
        for debug in (False, True):
            with gf.Session(debug_nans=debug) as sess:
                for _ in range(5):
                    sess.run(train, feed)
                results.append(sess.run(gf.trainable_variables()))
    for plain, checked in zip(*results, strict=True):
        np.testing.assert_array_equal(plain, checked)


def test_finalize_makes_adding_a_node_an_error_naming_it():
    graph = gf.Graph()
    with graph.as_default():
        x = gf.placeholder(gf.float32, [2], name="x")
        y = x * 2.0
        graph.finalize()
        assert graph.finalized
        with pytest.raises(RuntimeError, match=r"finalized.*Mul 'mul_in_loop'"):
            gf.multiply(x, 3.0, name="mul_in_loop")
        with gf.Session() as sess:  # running what exists still works
            np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [2.0, 4.0])


def test_a_loop_that_adds_nodes_every_step_is_warned_about_once():
    with gf.Graph().as_default():
        v = gf.Variable(0.0)
        with gf.Session() as sess, pytest.warns(gf.GraphGrowthWarning, match="grew before each of the last 10") as w:
            for _ in range(25):
                sess.run(gf.assign_add(v, 1.0))  # the classic mistake: a new op per step
            assert sess.run(v) == 25.0  # every step ran, warned about or not
        assert len(w) == 1


def test_a_loop_that_reuses_its_ops_is_not_warned_about():
    with gf.Graph().as_default():
        v = gf.Variable(0.0)
        step = gf.assign_add(v, 1.0)
        with gf.Session() as sess, warnings.catch_warnings():
            warnings.simplefilter("error", gf.GraphGrowthWarning)
            for _ in range(30):
                sess.run(step)
            assert sess.run(v) == 30.0


EXTREME = np.array([[1e30, -1e30, 0.0], [-1e30, -1e30, 1e30], [3.0, 1e30, -2.0]])


@pytest.mark.parametrize(
    "build",
    [
        gf.sigmoid,
        gf.tanh,
        gf.nn.relu,
        gf.nn.softmax,
        gf.nn.log_softmax,
        lambda z: gf.nn.softmax_cross_entropy_with_logits_v2(labels=np.eye(3)[[1, 0, 2]], logits=z),
        lambda z: gf.nn.sparse_softmax_cross_entropy_with_logits(labels=np.array([1, 0, 2]), logits=z),
        lambda z: gf.losses.softmax_cross_entropy(np.eye(3)[[2, 2, 0]], z),
        lambda z: gf.losses.mean_squared_error(np.eye(3), gf.nn.softmax(z)),  # probabilities of exactly 0 and 1
    ],
    ids=["sigmoid", "tanh", "relu", "softmax", "log_softmax", "xent_v2", "sparse_xent", "losses.xent", "mse"],
)
def test_activations_and_losses_stay_finite_with_finite_gradients_on_inputs_of_1e30(build):
    with gf.Graph().as_default():
        z = gf.placeholder(gf.float64, [3, 3])
        y = build(z)
        (grad,) = gf.gradients(gf.reduce_sum(y), [z])
        with gf.Session() as sess, np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
            value, gradient = sess.run([y, grad], {z: EXTREME})
    assert np.isfinite(value).all()
    assert np.isfinite(gradient).all()

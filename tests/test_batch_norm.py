"""Batch normalisation (`gf.nn.batch_normalization`, `gf.layers.batch_normalization`) and
`gf.train.ExponentialMovingAverage`: values against numpy and against figures measured with TF-1, gradients
against central differences, and the moving statistics' updates with a Python bool and with a bool placeholder."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.gradcheck import check_gradients


def np_batch_norm(x, mean, variance, offset, scale, epsilon):
    return (x - mean) / np.sqrt(variance + epsilon) * scale + offset


def _bn_inputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    mean, variance = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    offset, scale = rng.standard_normal(3), rng.standard_normal(3)
    return x, mean, variance, offset, scale


# --------------------------------------------------------------------------------------------------------------------
# gf.nn.batch_normalization


def test_nn_batch_normalization_matches_numpy_and_tf1():
    x, mean, variance, offset, scale = _bn_inputs()
    with gf.Graph().as_default(), gf.Session() as sess:
        got = sess.run(gf.nn.batch_normalization(x, mean, variance, offset, scale, 1e-3))
        bare = sess.run(gf.nn.batch_normalization(gf.constant(x), mean, variance, None, None, 1e-3))
    np.testing.assert_allclose(got, np_batch_norm(x, mean, variance, offset, scale, 1e-3), rtol=1e-13)
    np.testing.assert_allclose(bare, np_batch_norm(x, mean, variance, 0.0, 1.0, 1e-3), rtol=1e-13)
    # tf.nn.batch_normalization on the same float64 inputs, TensorFlow 2.21 compat.v1 graph mode.
    tf1_first_row = [4.241773172142137, 0.9994828511455742, 0.45008366399032174]
    tf1_bare_first_row = [2.8029601363783665, 0.06468860923308233, 1.6460931738918232]
    np.testing.assert_allclose(got[0], tf1_first_row, rtol=1e-14)
    np.testing.assert_allclose(bare[0], tf1_bare_first_row, rtol=1e-14)


def test_nn_batch_normalization_gradients_flow_into_every_input():
    positive = (0.5, 2.0)
    check_gradients(
        lambda x, m, v, o, s: gf.nn.batch_normalization(x, m, v, o, s, 1e-3),
        [(4, 3), (3,), (3,), (3,), (3,)],
        domain=[None, None, positive, None, None],
    )
    check_gradients(
        lambda x, m, v: gf.nn.batch_normalization(x, m, v, None, None, 1e-3),
        [(2, 3, 2), (1, 1, 2), (1, 1, 2)],
        domain=[None, None, positive],
    )


# --------------------------------------------------------------------------------------------------------------------
# gf.layers.batch_normalization: variables, values, gradients


def test_layer_variables_and_collections():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 4, 4, 3])
        gf.layers.batch_normalization(x, training=True)
        gf.layers.batch_normalization(x, training=False, name="bn")
        names = ("gamma", "beta", "moving_mean", "moving_variance")
        assert [v.op_name for v in gf.global_variables()] == [
            f"{scope}/{name}" for scope in ("batch_normalization", "bn") for name in names
        ]
        assert [v.op_name for v in gf.trainable_variables()] == [
            "batch_normalization/gamma", "batch_normalization/beta", "bn/gamma", "bn/beta",
        ]  # fmt: skip
        assert all(v.shape == (3,) and v.dtype == np.float32 for v in gf.global_variables())
        assert len(gf.get_collection(gf.GraphKeys.UPDATE_OPS)) == 2  # only the training layer updates
        y = gf.layers.batch_normalization(x, training=False, name="bn", reuse=True)
        assert len(gf.global_variables()) == 8 and y.shape.as_list() == [None, 4, 4, 3]
        with pytest.raises(ValueError, match="axis 5 is out of range"):
            gf.layers.batch_normalization(x, axis=5)


@pytest.mark.parametrize(("shape", "axis"), [((6, 3), -1), ((2, 3, 3, 2), -1), ((2, 3, 2, 2), 1)])
def test_layer_in_training_normalises_with_the_batch_statistics(shape, axis):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    gamma, beta = rng.uniform(0.5, 2.0, shape[axis]), rng.standard_normal(shape[axis])
    keep = [1] * len(shape)
    keep[axis] = shape[axis]
    axes = tuple(i for i in range(len(shape)) if i != axis % len(shape))
    with gf.Graph().as_default(), gf.Session() as sess:
        y = gf.layers.batch_normalization(
            gf.constant(x),
            axis=axis,
            training=True,
            gamma_initializer=gf.constant_initializer(gamma),
            beta_initializer=gf.constant_initializer(beta),
        )
        got = sess.run(y)
    expected = np_batch_norm(
        x, x.mean(axes, keepdims=True), x.var(axes, keepdims=True), beta.reshape(keep), gamma.reshape(keep), 1e-3
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def _numeric_variable_gradient(sess, loss, var, feed, eps=1e-6):
    value = sess.run(var).copy()
    num = np.zeros_like(value)
    for i in np.ndindex(value.shape):
        old = value[i]
        value[i] = old + eps
        var.load(value, sess)
        hi = sess.run(loss, feed)
        value[i] = old - eps
        var.load(value, sess)
        lo = sess.run(loss, feed)
        value[i] = old
        num[i] = (hi - lo) / (2 * eps)
    var.load(value, sess)
    return num


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 2, 2)])
def test_layer_gradients_in_training_match_finite_differences(shape):
    # With respect to the inputs (the batch statistics depend on them), through check_gradients...
    check_gradients(lambda x: gf.layers.batch_normalization(x, training=True), [shape], rtol=1e-5, atol=1e-6)
    check_gradients(
        lambda x, t: gf.layers.batch_normalization(x, training=t), [shape], extra=[np.array(True)], atol=1e-6
    )
    # ...and with respect to gamma, beta and the inputs together, loading perturbed variable values.
    rng = np.random.default_rng(2)
    with gf.Graph().as_default(), gf.Session() as sess:
        x = gf.placeholder(gf.float64, shape)
        y = gf.layers.batch_normalization(x, training=True, gamma_initializer=gf.constant_initializer(1.5))
        loss = gf.reduce_sum(y * gf.constant(rng.standard_normal(shape)))
        gamma, beta = gf.trainable_variables()
        feed = {x: rng.standard_normal(shape)}
        grads = sess.run(gf.gradients(loss, [gamma, beta]), feed)
        for var, grad in zip((gamma, beta), grads, strict=True):
            numeric = _numeric_variable_gradient(sess, loss, var, feed)
            np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7, err_msg=var.op_name)


# --------------------------------------------------------------------------------------------------------------------
# The moving statistics


def _closed_form(initial, batch_values, momentum):
    """m_N = momentum^N m_0 + (1 - momentum) sum_k momentum^(N - k) v_k, for the values v_1..v_N."""
    n = len(batch_values)
    return momentum**n * initial + (1 - momentum) * sum(
        momentum ** (n - k) * v for k, v in enumerate(batch_values, start=1)
    )


@pytest.mark.parametrize("shape", [(8, 3), (2, 3, 3, 3)])
def test_moving_statistics_after_n_steps_equal_the_closed_form(shape):
    momentum, steps = 0.9, 5
    rng = np.random.default_rng(3)
    batches = [rng.standard_normal(shape) * 2 + 1 for _ in range(steps)]
    axes = tuple(range(len(shape) - 1))
    # 4-D inputs go through TF-1's fused path, which averages the unbiased variance (ddof=1).
    ddof = 1 if len(shape) == 4 else 0
    with gf.Graph().as_default(), gf.Session() as sess:
        x = gf.placeholder(gf.float64, [None, *shape[1:]])
        gf.layers.batch_normalization(x, momentum=momentum, training=True)
        updates = gf.get_collection(gf.GraphKeys.UPDATE_OPS)
        for batch in batches:
            sess.run(updates, {x: batch})
        moving_mean, moving_variance = gf.global_variables()[2:]
        mean, variance = sess.run([moving_mean, moving_variance])
    np.testing.assert_allclose(mean, _closed_form(0.0, [b.mean(axes) for b in batches], momentum), rtol=1e-12)
    expected = _closed_form(1.0, [b.var(axes, ddof=ddof) for b in batches], momentum)
    np.testing.assert_allclose(variance, expected, rtol=1e-12)


def test_not_training_uses_the_moving_statistics():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 3))
    mean, variance = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    with gf.Graph().as_default(), gf.Session() as sess:
        y = gf.layers.batch_normalization(
            gf.constant(x),
            training=False,
            moving_mean_initializer=gf.constant_initializer(mean),
            moving_variance_initializer=gf.constant_initializer(variance),
        )
        assert gf.get_collection(gf.GraphKeys.UPDATE_OPS) == []
        np.testing.assert_allclose(sess.run(y), np_batch_norm(x, mean, variance, 0.0, 1.0, 1e-3), rtol=1e-13)


def test_training_placeholder_updates_only_when_fed_true():
    rng = np.random.default_rng(5)
    batch = rng.standard_normal((8, 3)) + 3.0
    with gf.Graph().as_default(), gf.Session() as sess:
        x = gf.placeholder(gf.float64, [None, 3])
        training = gf.placeholder(gf.bool, [])
        y = gf.layers.batch_normalization(x, momentum=0.5, training=training)
        updates = gf.get_collection(gf.GraphKeys.UPDATE_OPS)
        assert len(updates) == 2
        moving = gf.global_variables()[2:]
        out, _ = sess.run([y, updates], {x: batch, training: False})
        np.testing.assert_allclose(sess.run(moving), [np.zeros(3), np.ones(3)])  # unchanged
        np.testing.assert_allclose(out, np_batch_norm(batch, 0.0, 1.0, 0.0, 1.0, 1e-3), rtol=1e-13)
        out, _ = sess.run([y, updates], {x: batch, training: True})
        expected = np_batch_norm(batch, batch.mean(0), batch.var(0), 0.0, 1.0, 1e-3)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
        mean, variance = sess.run(moving)
        np.testing.assert_allclose(mean, 0.5 * batch.mean(0), rtol=1e-13)
        np.testing.assert_allclose(variance, 0.5 + 0.5 * batch.var(0), rtol=1e-13)
        sess.run(y, {x: batch, training: True})  # the output alone never updates, as in TF-1
        np.testing.assert_allclose(sess.run(moving[0]), 0.5 * batch.mean(0), rtol=1e-13)


def test_train_op_under_update_ops_moves_the_statistics():
    rng = np.random.default_rng(6)
    data, target = rng.standard_normal((16, 4)), rng.standard_normal((16, 1))
    with gf.Graph().as_default(), gf.Session() as sess:
        gf.set_random_seed(0)
        x = gf.placeholder(gf.float64, [None, 4])
        training = gf.placeholder_with_default(False, [])
        hidden = gf.nn.relu(gf.layers.batch_normalization(gf.layers.dense(x, 8), training=training))
        loss = gf.losses.mean_squared_error(target, gf.layers.dense(hidden, 1))
        with gf.control_dependencies(gf.get_collection(gf.GraphKeys.UPDATE_OPS)):
            train = gf.train.AdamOptimizer(0.01).minimize(loss)
        moving_mean = gf.global_variables()[4]
        assert moving_mean.op_name == "batch_normalization/moving_mean"
        first = sess.run(loss, {x: data, training: True})
        for _ in range(50):
            sess.run(train, {x: data, training: True})
        assert sess.run(loss, {x: data, training: True}) < first
        assert np.abs(sess.run(moving_mean)).max() > 0


# --------------------------------------------------------------------------------------------------------------------
# gf.train.ExponentialMovingAverage


def _ema_graph():
    w = gf.Variable([1.0, 2.0], name="w")
    b = gf.Variable(3.0, name="b")
    step = gf.Variable(0, trainable=False, name="step")
    loss = gf.reduce_sum(w * w, name="loss")
    ema = gf.train.ExponentialMovingAverage(0.9, num_updates=step)
    half = gf.train.ExponentialMovingAverage(0.5, name="Avg2")
    debiased = gf.train.ExponentialMovingAverage(0.9, zero_debias=True, name="Deb")
    ops = [ema.apply([w, b]), half.apply([w]), debiased.apply([loss])]
    return w, b, step, loss, ema, half, debiased, ops


def test_ema_names_and_collections_as_tf1():
    with gf.Graph().as_default():
        w, _, step, loss, ema, _, debiased, _ = _ema_graph()
        assert ema.average_name(w) == "w/ExponentialMovingAverage"
        assert ema.average(w).name == "w/ExponentialMovingAverage:0"
        assert debiased.average(loss).name == "loss/Deb:0" and ema.average(loss) is None
        # The lists TF-1 gives for the same graph.
        assert [v.name for v in gf.get_collection(gf.GraphKeys.MOVING_AVERAGE_VARIABLES)] == ["w:0", "b:0", "w:0"]
        assert [v.name for v in gf.global_variables()] == [
            "w:0", "b:0", "step:0", "w/ExponentialMovingAverage:0", "b/ExponentialMovingAverage:0", "w/Avg2:0",
            "loss/Deb:0", "loss/Deb/biased:0", "loss/Deb/local_step:0",
        ]  # fmt: skip
        assert [v.name for v in gf.trainable_variables()] == ["w:0", "b:0"]
        assert sorted((k, v.name) for k, v in ema.variables_to_restore().items()) == [
            ("b/ExponentialMovingAverage", "b:0"), ("loss/Deb", "loss/Deb:0"), ("loss/Deb/biased", "loss/Deb/biased:0"),
            ("loss/Deb/local_step", "loss/Deb/local_step:0"), ("step", "step:0"), ("w/Avg2", "w/Avg2:0"),
            ("w/ExponentialMovingAverage", "w:0"),
        ]  # fmt: skip
        with pytest.raises(TypeError, match="only float values"):
            ema.apply([step])


def test_ema_values_match_tf1():
    new_w = [[1.5, 2.5], [0.5, 4.0], [2.0, -1.0]]
    # ExponentialMovingAverage in TensorFlow 2.21's compat.v1 graph mode, float32, on the same graph and steps:
    # averages of w (decay 0.9, num_updates = step), of b, of w (decay 0.5), and of the loss (zero_debias).
    tf1 = [
        ([1.45, 2.45], 3.9, [1.25, 2.25], 8.5),
        ([0.88, 3.38], 4.56, [0.875, 3.125], 12.578947),
        ([1.3840001, 1.4090002], 5.208, [1.4375, 1.0625], 9.782287),
    ]
    with gf.Graph().as_default(), gf.Session() as sess:
        w, b, step, loss, ema, half, debiased, ops = _ema_graph()
        sess.run(gf.global_variables_initializer())
        shadow, losses = np.array([1.0, 2.0]), []
        for k, (value, expected) in enumerate(zip(new_w, tf1, strict=True)):
            sess.run([w.assign(value), b.assign(3.0 + k + 1), step.assign(k * 5)])
            sess.run(ops)
            got = sess.run([ema.average(w), ema.average(b), half.average(w), debiased.average(loss)])
            for g, e in zip(got, expected, strict=True):
                np.testing.assert_allclose(g, e, rtol=1e-6)
            # The closed forms: decay min(0.9, (1 + n) / (10 + n)); the debiased mean of the losses divides
            # by 1 - decay^t.
            decay = min(0.9, (1 + 5 * k) / (10 + 5 * k))
            shadow = decay * shadow + (1 - decay) * np.array(value)
            np.testing.assert_allclose(got[0], shadow, rtol=1e-6)
            losses.append(np.sum(np.square(value)))
            t = len(losses)
            biased = sum(0.1 * 0.9 ** (t - i) * v for i, v in enumerate(losses, start=1))
            np.testing.assert_allclose(got[3], biased / (1 - 0.9**t), rtol=1e-6)


def test_ema_shadow_starts_at_the_initial_value_and_follows_training():
    with gf.Graph().as_default(), gf.Session() as sess:
        gf.set_random_seed(1)
        w = gf.get_variable("w", [3, 2], gf.float64)  # random (Glorot) initial value
        loss = gf.reduce_sum(gf.square(w - 1.0))
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        ema = gf.train.ExponentialMovingAverage(0.8)
        with gf.control_dependencies([train]):
            step = ema.apply()  # every trainable variable, after the training step
        shadow = ema.average(w)
        assert not shadow.trainable and shadow in gf.global_variables()
        sess.run(gf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(shadow), sess.run(w))
        expected = sess.run(w)
        for _ in range(4):
            sess.run(step)
            expected = 0.8 * expected + 0.2 * sess.run(w)
        np.testing.assert_allclose(sess.run(shadow), expected, rtol=1e-13)


def test_variables_to_restore_loads_the_averages_through_a_saver(tmp_path):
    with gf.Graph().as_default(), gf.Session() as sess:
        w = gf.Variable([0.0, 0.0], name="w")
        other = gf.Variable(5.0, name="other", trainable=False)
        ema = gf.train.ExponentialMovingAverage(0.5)
        update = ema.apply([w])
        for value in ([2.0, 4.0], [4.0, 8.0]):
            sess.run(w.assign(value))
            sess.run(update)
        averaged = sess.run(ema.average(w))
        np.testing.assert_allclose(averaged, [2.5, 5.0])
        sess.run(other.assign(7.0))
        path = gf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
    with gf.Graph().as_default(), gf.Session() as sess:  # the evaluation graph: the model without the updates
        w = gf.Variable([0.0, 0.0], name="w")
        other = gf.Variable(5.0, name="other", trainable=False)
        names = gf.train.ExponentialMovingAverage(0.5).variables_to_restore()
        assert names == {"w/ExponentialMovingAverage": w, "other": other}
        gf.train.Saver(names).restore(sess, path)
        np.testing.assert_allclose(sess.run(w), averaged)
        assert sess.run(other) == 7.0


def test_a_shadow_starts_at_its_random_variable_value_when_the_session_initialises_both_itself():
    with gf.Graph().as_default():
        gf.set_random_seed(7)
        w = gf.Variable(gf.random_normal([4]), name="w")
        ema = gf.train.ExponentialMovingAverage(0.9)
        ema.apply([w])
        with gf.Session() as sess:  # no initializer run: both are initialised in one run, the draw made once
            value, shadow = sess.run([w, ema.average(w)])
    np.testing.assert_array_equal(value, shadow)

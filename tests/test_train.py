"""Optimizers against TF-1's update formulas, the global step, compute/apply_gradients, losses and an XOR run.

The reference formulas are the ones TF-1 runs (verified bit-exactly against TensorFlow in the team's notes), written
here in numpy. graphflow deliberately uses exact Python hyper-parameters: a Python float such as `lr=0.1` is rounded
once, into the variable's dtype, where TF-1 first rounds it to float32 (`h(x)` below). Everything else is TF-1's
arithmetic in the variable's dtype, so float64 runs are compared with float64 arithmetic throughout.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.plans import plan_for

C = np.array([0.5, 1.0, 2.0])
W0 = np.array([1.0, -2.0, 3.0])
LR = 0.1
RTOL = {np.float32: 1e-6, np.float64: 1e-12}


def _grad(w, dt):
    """Gradient of sum(C * w * w), the test loss."""
    return dt(2.0) * C.astype(dt) * w


# --------------------------------------------------------------------------------------------------------------------
# Reference updates: state is a dict of slot arrays, `h(x)` is a hyper-parameter rounded once into the dtype.


def _gd(dt, lr=LR):
    h = dt

    def step(w, s):
        return w - h(lr) * _grad(w, dt)

    return {}, step


def _momentum(dt, momentum=0.9, use_nesterov=False):
    h = dt

    def step(w, s):
        g = _grad(w, dt)
        s["W/Momentum"] = s["W/Momentum"] * h(momentum) + g
        if use_nesterov:
            return w - (g * h(LR) + s["W/Momentum"] * h(momentum) * h(LR))
        return w - h(LR) * s["W/Momentum"]

    return {"W/Momentum": np.zeros(3, dt)}, step


def _adam(dt, beta1=0.9, beta2=0.999, epsilon=1e-8):
    h = dt

    def step(w, s):
        g = _grad(w, dt)
        lr_t = h(LR) * np.sqrt(dt(1) - s["beta2_power"]) / (dt(1) - s["beta1_power"])
        s["W/Adam"] = s["W/Adam"] + (g - s["W/Adam"]) * (dt(1) - h(beta1))
        s["W/Adam_1"] = s["W/Adam_1"] + (g * g - s["W/Adam_1"]) * (dt(1) - h(beta2))
        w = w - lr_t * s["W/Adam"] / (np.sqrt(s["W/Adam_1"]) + h(epsilon))
        s["beta1_power"] = s["beta1_power"] * h(beta1)  # after every variable's update (TF-1's _finish)
        s["beta2_power"] = s["beta2_power"] * h(beta2)
        return w

    state = {"beta1_power": h(beta1), "beta2_power": h(beta2), "W/Adam": np.zeros(3, dt), "W/Adam_1": np.zeros(3, dt)}
    return state, step


def _rmsprop(dt, decay=0.9, momentum=0.0, epsilon=1e-10, centered=False):
    h = dt
    names = ["W/RMSProp", "W/RMSProp_1", "W/RMSProp_2"] if centered else ["W/RMSProp", "W/RMSProp_1"]
    ms, mg, mom = names[0], (names[1] if centered else None), names[-1]

    def step(w, s):
        g = _grad(w, dt)
        s[ms] = s[ms] + (g * g - s[ms]) * (dt(1) - h(decay))
        if centered:
            s[mg] = s[mg] + (g - s[mg]) * (dt(1) - h(decay))
            denominator = s[ms] - s[mg] * s[mg] + h(epsilon)
        else:
            denominator = s[ms] + h(epsilon)  # epsilon inside the square root
        s[mom] = s[mom] * h(momentum) + h(LR) * g / np.sqrt(denominator)
        return w - s[mom]

    state = {ms: np.ones(3, dt), mom: np.zeros(3, dt)}  # the mean square starts at ONE
    if centered:
        state[mg] = np.zeros(3, dt)
    return state, step


def _adagrad(dt, initial_accumulator_value=0.1):
    h = dt

    def step(w, s):
        g = _grad(w, dt)
        s["W/Adagrad"] = s["W/Adagrad"] + g * g
        return w - h(LR) * g / np.sqrt(s["W/Adagrad"])

    return {"W/Adagrad": np.full(3, h(initial_accumulator_value), dt)}, step


OPTIMIZERS = {
    "GradientDescent": (lambda: gf.train.GradientDescentOptimizer(LR), _gd, {}),
    "Momentum": (lambda: gf.train.MomentumOptimizer(LR, 0.9), _momentum, {}),
    "Nesterov": (lambda: gf.train.MomentumOptimizer(LR, 0.9, use_nesterov=True), _momentum, {"use_nesterov": True}),
    "Adam": (lambda: gf.train.AdamOptimizer(LR), _adam, {}),
    "RMSProp": (lambda: gf.train.RMSPropOptimizer(LR), _rmsprop, {}),
    "RMSProp-momentum0.5": (lambda: gf.train.RMSPropOptimizer(LR, momentum=0.5), _rmsprop, {"momentum": 0.5}),
    "RMSProp-centered": (lambda: gf.train.RMSPropOptimizer(LR, centered=True), _rmsprop, {"centered": True}),
    "Adagrad": (lambda: gf.train.AdagradOptimizer(LR), _adagrad, {}),
}
# Every hyper-parameter away from its default, one at a time and all together: an optimizer that ignored one (and
# used the default) would pass every case above.
NON_DEFAULT = {
    "GradientDescent-lr0.05": (lambda: gf.train.GradientDescentOptimizer(0.05), _gd, {"lr": 0.05}),
    "Momentum-0.5": (lambda: gf.train.MomentumOptimizer(LR, 0.5), _momentum, {"momentum": 0.5}),
    "Nesterov-0.5": (
        lambda: gf.train.MomentumOptimizer(LR, 0.5, use_nesterov=True),
        _momentum,
        {"momentum": 0.5, "use_nesterov": True},
    ),
    "Adam-beta1-0.5": (lambda: gf.train.AdamOptimizer(LR, beta1=0.5), _adam, {"beta1": 0.5}),
    "Adam-beta2-0.9": (lambda: gf.train.AdamOptimizer(LR, beta2=0.9), _adam, {"beta2": 0.9}),
    "Adam-epsilon-0.1": (lambda: gf.train.AdamOptimizer(LR, epsilon=0.1), _adam, {"epsilon": 0.1}),
    "RMSProp-decay0.5": (lambda: gf.train.RMSPropOptimizer(LR, decay=0.5), _rmsprop, {"decay": 0.5}),
    "RMSProp-epsilon0.1": (lambda: gf.train.RMSPropOptimizer(LR, epsilon=0.1), _rmsprop, {"epsilon": 0.1}),
    "RMSProp-all": (
        lambda: gf.train.RMSPropOptimizer(LR, decay=0.5, momentum=0.3, epsilon=0.1),
        _rmsprop,
        {"decay": 0.5, "momentum": 0.3, "epsilon": 0.1},
    ),
    "RMSProp-centered-all": (
        lambda: gf.train.RMSPropOptimizer(LR, decay=0.5, momentum=0.3, epsilon=0.1, centered=True),
        _rmsprop,
        {"decay": 0.5, "momentum": 0.3, "epsilon": 0.1, "centered": True},
    ),
    "Adagrad-initial2": (
        lambda: gf.train.AdagradOptimizer(LR, initial_accumulator_value=2.0),
        _adagrad,
        {"initial_accumulator_value": 2.0},
    ),
}
OPTIMIZERS.update(NON_DEFAULT)


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_first_two_steps_match_the_tf1_formulas(name, dt):
    make, reference, options = OPTIMIZERS[name]
    state, step = reference(dt, **options)
    with gf.Graph().as_default():
        W = gf.Variable(W0.astype(dt), name="W")
        loss = gf.reduce_sum(gf.constant(C.astype(dt)) * W * W)
        train = make().minimize(loss)
        slots = [v for v in gf.global_variables() if v is not W]
        assert sorted(v.op.name for v in slots) == sorted(state)
        with gf.Session() as sess:
            w = W0.astype(dt)
            for _ in range(2):
                assert sess.run(train) is None
                w = step(w, state)
                got = sess.run(W)
                assert got.dtype == dt
                np.testing.assert_allclose(got, w, rtol=RTOL[dt], atol=0)
                for slot, value in zip(slots, sess.run(slots), strict=True):
                    assert value.dtype == dt, slot.op.name
                    np.testing.assert_allclose(value, state[slot.op.name], rtol=RTOL[dt], atol=0, err_msg=slot.op.name)


# The float32 results TensorFlow itself produced for this problem (from the team's notes). In float32, graphflow's
# hyper-parameters round to the same float32 numbers TF uses, so these agree to a float32 rounding or two.
TF_FLOAT32_STEP2 = {
    "GradientDescent": [0.81, -1.28, 1.0799999],
    "Momentum": [7.1999997e-01, -9.2000002e-01, -1.1920929e-07],
    "Nesterov": [0.5751, -0.44480002, -0.79919994],
    "RMSProp": [0.8091326, -1.5594707, 2.4793568],
    "RMSProp-momentum0.5": [0.7591326, -1.4329795, 2.3259637],
    "RMSProp-centered": [0.8071382, -1.53635, 2.441771],
    "Adagrad": [0.8393387, -1.831543, 2.8305445],
    "Adam": [0.80041265, -1.8001668, 2.8001032],
}


# What TensorFlow 2.21's tf.compat.v1 optimizers give after three float32 steps with the hyper-parameters above.
TF_FLOAT32_STEP3_NON_DEFAULT = {
    "GradientDescent-lr0.05": [0.85737497, -1.458, 1.536],
    "Momentum-0.5": [0.61399996, -0.604, -0.37200004],
    "Nesterov-0.5": [0.559125, -0.496, -0.19800001],
    "Adam-beta1-0.5": [0.70697236, -1.703217, 2.702089],
    "Adam-beta2-0.9": [0.7005511, -1.7001252, 2.7000542],
    "Adam-epsilon-0.1": [0.91065586, -1.8125441, 2.7505243],
    "RMSProp-decay0.5": [0.71401525, -1.6491523, 2.6414526],
    "RMSProp-epsilon0.1": [0.7378999, -1.4140066, 2.3074489],
    "RMSProp-all": [0.66581637, -1.5655392, 2.5534523],
    "RMSProp-centered-all": [0.5549023, -1.222365, 2.1558905],
    "Adagrad-initial2": [0.853165, -1.7846953, 2.7754157],
}


TF_FLOAT32 = [(name, 2, w) for name, w in TF_FLOAT32_STEP2.items()]
TF_FLOAT32 += [(name, 3, w) for name, w in TF_FLOAT32_STEP3_NON_DEFAULT.items()]


@pytest.mark.parametrize("name, steps, expected", TF_FLOAT32, ids=[f"{n}-step{k}" for n, k, _ in TF_FLOAT32])
def test_float32_steps_agree_with_tensorflow(name, steps, expected):
    assert set(TF_FLOAT32_STEP3_NON_DEFAULT) == set(NON_DEFAULT)
    with gf.Graph().as_default():
        W = gf.Variable(W0.astype(np.float32), name="W")
        train = OPTIMIZERS[name][0]().minimize(gf.reduce_sum(gf.constant(C.astype(np.float32)) * W * W))
        with gf.Session() as sess:
            for _ in range(steps):
                sess.run(train)
            got = sess.run(W)
    np.testing.assert_allclose(got, np.float32(expected), rtol=5e-7, atol=1e-7)


def test_slot_names_and_lookup():
    with gf.Graph().as_default():
        W = gf.Variable(np.ones(2), name="W")
        b = gf.Variable(0.0, dtype=gf.float64, name="b")
        loss = gf.reduce_sum(W * W) + b * b
        adam = gf.train.AdamOptimizer()
        adam.minimize(loss)
        second = gf.train.AdamOptimizer()
        second.minimize(loss)
        names = [v.op.name for v in gf.global_variables()]
        assert names[:8] == ["W", "b", "beta1_power", "beta2_power", "W/Adam", "W/Adam_1", "b/Adam", "b/Adam_1"]
        assert names[8:] == ["beta1_power_1", "beta2_power_1", "W/Adam_2", "W/Adam_3", "b/Adam_2", "b/Adam_3"]
        assert adam.get_slot(W, "m").op.name == "W/Adam" and adam.get_slot(W, "v").op.name == "W/Adam_1"
        assert second.get_slot(b, "v").op.name == "b/Adam_3"
        assert adam.get_slot_names() == ["m", "v"]
        assert [v.op.name for v in gf.trainable_variables()] == ["W", "b"]
        assert all(not v.trainable for v in adam.variables())

        rms = gf.train.RMSPropOptimizer(0.1, centered=True)
        rms.minimize(loss, var_list=[W])
        assert (rms.get_slot(W, "rms").op.name, rms.get_slot(W, "mg").op.name, rms.get_slot(W, "momentum").op.name) == (
            "W/RMSProp",
            "W/RMSProp_1",
            "W/RMSProp_2",
        )
        assert rms.get_slot(b, "rms") is None
        mom = gf.train.MomentumOptimizer(0.1, 0.9)
        mom.minimize(loss, var_list=[W])
        assert mom.get_slot(W, "momentum").op.name == "W/Momentum"
        ada = gf.train.AdagradOptimizer(0.1)
        ada.minimize(loss, var_list=[W])
        assert ada.get_slot(W, "accumulator").op.name == "W/Adagrad"


def test_adam_with_float32_and_float64_variables():
    with gf.Graph().as_default():
        a = gf.Variable(np.float32([1.0, -2.0]), name="a")
        b = gf.Variable(np.float64([3.0]), name="b")
        loss = gf.reduce_sum(a * a) + gf.cast(gf.reduce_sum(b * b), gf.float32)
        train = gf.train.AdamOptimizer(0.1).minimize(loss)
        with gf.Session() as sess:
            sess.run(train)
            np.testing.assert_allclose(sess.run(a), [0.9, -1.9], rtol=1e-6)
            np.testing.assert_allclose(sess.run(b), [2.9], rtol=1e-6)


# --------------------------------------------------------------------------------------------------------------------
# Global step, compute_gradients / apply_gradients, learning-rate placeholder


def test_get_or_create_global_step():
    with gf.Graph().as_default() as g:
        assert gf.train.get_global_step() is None
        step = gf.train.get_or_create_global_step()
        assert step.op.name == "global_step" and step.dtype == np.int64 and step.shape == ()
        assert not step.trainable and step not in gf.trainable_variables() and step in gf.global_variables()
        assert gf.train.get_or_create_global_step() is step
        assert gf.train.get_global_step() is step and gf.train.get_or_create_global_step(g) is step
        with gf.name_scope("somewhere"):
            assert gf.train.get_or_create_global_step() is step
        with gf.Session() as sess:
            assert sess.run(step) == 0


def test_minimize_with_global_step_increments_it_once_per_run():
    with gf.Graph().as_default():
        w = gf.Variable(np.array([1.0, 2.0]), name="w")
        loss = gf.reduce_sum(w * w)
        step = gf.train.get_or_create_global_step()
        train = gf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
        no_step = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with gf.Session() as sess:
            for expected in (1, 2, 3):
                sess.run(train)
                assert sess.run(step) == expected
            assert sess.run([train, loss])[0] is None
            assert sess.run(step) == 4
            sess.run(no_step)
            assert sess.run(step) == 4
            assert sess.run(step).dtype == np.int64


def test_a_train_step_updates_each_layer_before_the_backward_pass_reaches_the_layer_below():
    # Each update runs right after its gradient is made, while the arrays it reads are still in cache.
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 3])
        W1, b1 = gf.Variable(np.ones((3, 4), np.float32)), gf.Variable(np.zeros(4, np.float32))
        W2, b2 = gf.Variable(np.ones((4, 2), np.float32)), gf.Variable(np.zeros(2, np.float32))
        logits = gf.matmul(gf.nn.relu(gf.matmul(x, W1) + b1), W2) + b2
        opt = gf.train.AdamOptimizer(0.1)
        grads_and_vars = opt.compute_gradients(gf.reduce_mean(logits * logits))
        train = opt.apply_gradients(grads_and_vars)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            sess.run(train, {x: np.ones((5, 3), np.float32)})
            plan = plan_for(sess, [train])
    position = {node: i for i, node in enumerate(plan.nodes)}
    update = {n.inputs[0]: position[n] for n in plan.nodes if n.type == "ApplyAdam"}
    grad = {v: position[g] for g, v in grads_and_vars}
    assert update[b2] < update[W2] < update[b1] < update[W1]
    assert update[W2] < grad[b1]  # the last layer is updated before the first layer's gradients are made
    assert grad[b1] < grad[W1]  # the bias's sum reads the gradient before the large product evicts it


def test_compute_gradients_gives_none_for_an_unused_variable_and_apply_gradients_skips_it():
    with gf.Graph().as_default():
        W = gf.Variable(np.array([1.0, -1.0]), name="W")
        unused = gf.Variable(np.array(5.0), name="unused")
        loss = gf.reduce_sum(W * W)
        opt = gf.train.MomentumOptimizer(0.5, 0.9)
        grads_and_vars = opt.compute_gradients(loss)
        assert [v for _, v in grads_and_vars] == [W, unused]
        assert grads_and_vars[0][0] is not None and grads_and_vars[1][0] is None
        train = opt.apply_gradients(grads_and_vars)
        assert opt.get_slot(unused, "momentum") is None  # no slot for a variable without gradient
        with gf.Session() as sess:
            np.testing.assert_array_equal(sess.run(grads_and_vars[0][0]), [2.0, -2.0])
            sess.run(train)
            np.testing.assert_allclose(sess.run(W), [0.0, 0.0])
            assert sess.run(unused) == 5.0


def test_apply_gradients_with_modified_gradients():
    with gf.Graph().as_default():
        W = gf.Variable(np.array([1.0, -1.0]), name="W")
        opt = gf.train.GradientDescentOptimizer(0.1)
        grads_and_vars = opt.compute_gradients(gf.reduce_sum(W * W))
        clipped = [(gf.minimum(gf.maximum(g, -1.0), 1.0), v) for g, v in grads_and_vars]
        train = opt.apply_gradients(clipped)
        with gf.Session() as sess:
            sess.run(train)
            np.testing.assert_allclose(sess.run(W), [0.9, -0.9], rtol=1e-15)


def test_grad_loss_scales_the_gradient_of_the_loss():
    # d loss / dW = 2 C W = [1, -4, 12]; grad_loss is the gradient arriving at the loss, so it multiplies that.
    with gf.Graph().as_default():
        W = gf.Variable(W0.copy(), name="W")
        loss = gf.reduce_sum(gf.constant(C) * W * W)
        opt = gf.train.GradientDescentOptimizer(0.01)
        ((grad, var),) = opt.compute_gradients(loss, grad_loss=gf.constant(10.0, dtype=gf.float64))
        train = opt.minimize(loss, grad_loss=gf.constant(10.0, dtype=gf.float64))
        with gf.Session() as sess:
            assert var is W
            np.testing.assert_array_equal(sess.run(grad), [10.0, -40.0, 120.0])
            sess.run(train)
            np.testing.assert_allclose(sess.run(W), W0 - 0.01 * np.array([10.0, -40.0, 120.0]), rtol=1e-15)


def test_minimize_with_no_gradients_raises_naming_the_variables():
    with gf.Graph().as_default():
        W = gf.Variable(np.array([1.0, 2.0]), name="W")
        u = gf.Variable(np.array(0.0), name="unused")
        constant_loss = gf.constant(3.0, dtype=gf.float64)
        with pytest.raises(ValueError) as info:
            gf.train.GradientDescentOptimizer(0.1).minimize(constant_loss)
        assert "No gradients" in str(info.value) and "'W'" in str(info.value) and "'unused'" in str(info.value)
        # A path through argmax (integer values) carries no gradient either.
        through_argmax = gf.cast(gf.argmax(W * 1.0), gf.float64) + u * 0.0
        with pytest.raises(ValueError, match="'W'"):
            gf.train.AdamOptimizer().minimize(through_argmax, var_list=[W])


def test_learning_rate_given_as_a_placeholder():
    with gf.Graph().as_default():
        W = gf.Variable(np.array([1.0, 2.0]), name="W")
        lr = gf.placeholder(gf.float64, [], name="lr")
        train = gf.train.GradientDescentOptimizer(lr).minimize(gf.reduce_sum(W * W))
        with gf.Session() as sess:
            sess.run(train, {lr: 0.25})
            np.testing.assert_array_equal(sess.run(W), [0.5, 1.0])
            sess.run(train, {lr: 0.0})
            np.testing.assert_array_equal(sess.run(W), [0.5, 1.0])
            with pytest.raises(gf.errors.InvalidArgumentError, match="'lr'"):
                sess.run(train)


def test_learning_rate_placeholder_with_adam_matches_a_constant_rate():
    values = []
    for use_placeholder in (True, False):
        with gf.Graph().as_default():
            W = gf.Variable(W0.copy(), name="W")
            lr = gf.placeholder(gf.float64, [], name="lr") if use_placeholder else LR
            train = gf.train.AdamOptimizer(lr).minimize(gf.reduce_sum(gf.constant(C) * W * W))
            with gf.Session() as sess:
                for _ in range(3):
                    sess.run(train, {lr: LR} if use_placeholder else None)
                values.append(sess.run(W))
    np.testing.assert_allclose(values[0], values[1], rtol=1e-14)
    assert not np.allclose(values[0], W0)


# --------------------------------------------------------------------------------------------------------------------
# Losses


def test_mean_squared_error_is_the_mean_over_every_element():
    labels = np.array([[0.0, 2.0], [1.0, 1.0]])
    predictions = np.array([[1.0, 2.0], [3.0, 5.0]])
    with gf.Graph().as_default():
        loss = gf.losses.mean_squared_error(labels, gf.constant(predictions))
        weighted = gf.losses.mean_squared_error(
            labels, gf.constant(predictions), weights=gf.constant(np.array([[1.0, 0.0], [2.0, 0.0]]))
        )
        summed = gf.losses.mean_squared_error(labels, gf.constant(predictions), reduction=gf.losses.Reduction.SUM)
        none = gf.losses.mean_squared_error(labels, gf.constant(predictions), reduction=gf.losses.Reduction.NONE)
        assert loss.shape == ()
        with gf.Session() as sess:
            values = sess.run({"mean": loss, "weighted": weighted, "sum": summed, "none": none})
    assert values["mean"] == pytest.approx(np.mean((predictions - labels) ** 2)) == 5.25
    assert values["weighted"] == pytest.approx(4.5)  # 9 / the 2 non-zero weights (TF-1's default reduction)
    assert values["sum"] == pytest.approx(21.0)
    np.testing.assert_array_equal(values["none"], (predictions - labels) ** 2)


LOGITS = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]])


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def test_softmax_cross_entropy_losses_are_means_over_the_batch():
    onehot = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    per_example = -np.sum(onehot * _log_softmax(LOGITS), axis=-1)
    with gf.Graph().as_default():
        logits = gf.constant(LOGITS)
        dense = gf.losses.softmax_cross_entropy(onehot, logits)
        sparse = gf.losses.sparse_softmax_cross_entropy(gf.constant(np.array([1, 2], np.int32)), logits)
        weighted = gf.losses.softmax_cross_entropy(onehot, logits, weights=gf.constant(np.array([1.0, 0.0])))
        weighted_sparse = gf.losses.sparse_softmax_cross_entropy(
            gf.constant(np.array([1, 2], np.int32)), logits, weights=gf.constant(np.array([0.0, 3.0]))
        )
        assert dense.shape == () and sparse.shape == ()
        with gf.Session() as sess:
            values = sess.run([dense, sparse, weighted, weighted_sparse])
    np.testing.assert_allclose(per_example, [0.4643688, 0.2090207], rtol=1e-6)  # TF-1's values (notes)
    np.testing.assert_allclose(values[0], per_example.mean(), rtol=1e-12)
    np.testing.assert_allclose(values[1], per_example.mean(), rtol=1e-12)
    np.testing.assert_allclose(values[2], per_example[0], rtol=1e-12)
    np.testing.assert_allclose(values[3], 3.0 * per_example[1], rtol=1e-12)  # 3 * loss / one non-zero weight


def test_softmax_cross_entropy_gradient_is_softmax_minus_labels_over_batch():
    onehot = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    with gf.Graph().as_default():
        logits = gf.Variable(LOGITS, name="logits")
        loss = gf.losses.softmax_cross_entropy(onehot, logits)
        (grad,) = gf.gradients(loss, [logits])
        with gf.Session() as sess:
            got = sess.run(grad)
    np.testing.assert_allclose(got, (np.exp(_log_softmax(LOGITS)) - onehot) / 2, rtol=1e-12)


# --------------------------------------------------------------------------------------------------------------------
# End to end


def test_xor_with_dense_layers_trains_below_0_05():
    points = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0], np.int32)
    with gf.Graph().as_default():
        gf.set_random_seed(0)
        x = gf.placeholder(gf.float64, [None, 2], name="x")
        y = gf.placeholder(gf.int32, [None], name="y")
        hidden = gf.layers.dense(x, 8, activation=gf.nn.tanh)
        logits = gf.layers.dense(hidden, 2)
        loss = gf.losses.sparse_softmax_cross_entropy(y, logits)
        accuracy = gf.reduce_mean(gf.cast(gf.equal(gf.cast(gf.argmax(logits, 1), gf.int32), y), gf.float64))
        train = gf.train.AdamOptimizer(0.05).minimize(loss)
        feed = {x: points, y: labels}
        with gf.Session() as sess:
            first = sess.run(loss, feed)
            for _ in range(300):
                sess.run(train, feed)
            final, acc = sess.run([loss, accuracy], feed)
    assert first > 0.5
    assert final < 0.05, final
    assert acc == 1.0


# --------------------------------------------------------------------------------------------------------------------
# Learning-rate schedules: TF-1's formulas, computed in float32 from the global step


def _schedule_values(build, steps):
    with gf.Graph().as_default():
        step = gf.placeholder(gf.int64, [])
        rate = build(step)
        with gf.Session() as sess:
            return rate.dtype, np.array([sess.run(rate, {step: s}) for s in steps])


STEPS = np.array([0, 1, 15, 50, 99, 100, 150, 200, 250, 1000])
SCHEDULES = {
    "exponential": (
        lambda s: gf.train.exponential_decay(0.1, s, 100, 0.96),
        lambda s: 0.1 * 0.96 ** (s / 100),
    ),
    "exponential staircase": (
        lambda s: gf.train.exponential_decay(0.1, s, 100, 0.96, staircase=True),
        lambda s: 0.1 * 0.96 ** np.floor(s / 100),
    ),
    "inverse time": (lambda s: gf.train.inverse_time_decay(0.5, s, 10, 0.5), lambda s: 0.5 / (1 + 0.5 * s / 10)),
    "inverse time staircase": (
        lambda s: gf.train.inverse_time_decay(0.5, s, 10, 0.5, staircase=True),
        lambda s: 0.5 / (1 + 0.5 * np.floor(s / 10)),
    ),
    "natural exp": (
        lambda s: gf.train.natural_exp_decay(0.5, s, 10, 0.5),
        lambda s: 0.5 * np.exp(-0.5 * s / 10),
    ),
    "natural exp staircase": (
        lambda s: gf.train.natural_exp_decay(0.5, s, 10, 0.5, staircase=True),
        lambda s: 0.5 * np.exp(-0.5 * np.floor(s / 10)),
    ),
    "polynomial linear": (
        lambda s: gf.train.polynomial_decay(0.1, s, 100),
        lambda s: (0.1 - 0.0001) * (1 - np.minimum(s, 100) / 100) + 0.0001,
    ),
    "polynomial": (
        lambda s: gf.train.polynomial_decay(0.1, s, 100, 0.01, power=0.5),
        lambda s: 0.09 * (1 - np.minimum(s, 100) / 100) ** 0.5 + 0.01,
    ),
    "polynomial cycle": (
        lambda s: gf.train.polynomial_decay(0.1, s, 100, 0.01, cycle=True),
        lambda s: 0.09 * (1 - s / (100 * np.maximum(np.ceil(s / 100), 1))) + 0.01,
    ),
    "polynomial cycle power": (
        lambda s: gf.train.polynomial_decay(0.1, s, 100, 0.01, power=2.0, cycle=True),
        lambda s: 0.09 * (1 - s / (100 * np.maximum(np.ceil(s / 100), 1))) ** 2 + 0.01,
    ),
    "piecewise": (
        lambda s: gf.train.piecewise_constant(s, [100, 200], [1.0, 0.5, 0.1]),
        lambda s: np.where(s <= 100, 1.0, np.where(s <= 200, 0.5, 0.1)),
    ),
}


@pytest.mark.parametrize("kind", SCHEDULES)
def test_learning_rate_schedules_follow_tf1_formulas(kind):
    build, formula = SCHEDULES[kind]
    dtype, values = _schedule_values(build, STEPS)
    assert dtype == np.float32
    np.testing.assert_allclose(values, formula(STEPS.astype(np.float64)), rtol=2e-6, atol=1e-12)


def test_a_schedule_drives_an_optimizer_through_the_global_step():
    with gf.Graph().as_default():
        step = gf.train.get_or_create_global_step()
        w = gf.Variable(0.0)
        rate = gf.train.exponential_decay(1.0, step, 1, 0.5)
        train = gf.train.GradientDescentOptimizer(rate).minimize(-w, global_step=step)  # d(-w)/dw = -1
        with gf.Session() as sess:
            for _ in range(4):
                sess.run(train)
            assert sess.run(w) == 1.0 + 0.5 + 0.25 + 0.125 and sess.run(step) == 4
    with pytest.raises(ValueError, match="piecewise_constant needs one more value than boundaries"):
        gf.train.piecewise_constant(0, [1, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match="exponential_decay needs a global_step"):
        gf.train.exponential_decay(0.1, None, 10, 0.9)


def test_piecewise_constant_keeps_the_dtype_of_its_values():
    with gf.Graph().as_default():
        step = gf.placeholder(gf.int64, [])
        ints = gf.train.piecewise_constant(step, [3, 10], [1, 2, 3])
        with gf.Session() as sess:
            assert ints.dtype == np.int32 and [int(sess.run(ints, {step: s})) for s in (0, 3, 4, 11)] == [1, 1, 2, 3]


@pytest.mark.parametrize(
    "make, name, op",
    [
        (lambda **k: gf.train.GradientDescentOptimizer(0.1, **k), "GradientDescent", "ApplyGradientDescent"),
        (lambda **k: gf.train.MomentumOptimizer(0.1, 0.9, **k), "Momentum", "ApplyMomentum"),
        (lambda **k: gf.train.AdamOptimizer(**k), "Adam", "ApplyAdam"),
        (lambda **k: gf.train.RMSPropOptimizer(0.1, **k), "RMSProp", "ApplyRMSProp"),
        (lambda **k: gf.train.AdagradOptimizer(0.1, **k), "Adagrad", "ApplyAdagrad"),
    ],
    ids=["GradientDescent", "Momentum", "Adam", "RMSProp", "Adagrad"],
)
def test_an_optimizer_names_its_update_ops_after_itself_as_tf1_does(make, name, op):
    with gf.Graph().as_default() as graph:
        W = gf.Variable(np.ones(2), name="W")
        train = make().minimize(gf.reduce_sum(W * W))
        mine = make(name="mine").minimize(gf.reduce_sum(W * W))
        assert train.name == f"{name}/update" and mine.name == "mine/update"
        updates = sorted(n.name for n in graph.nodes if n.type == op)
        assert updates == [f"{name}/{op}:0", f"mine/{op}:0"]


def test_adam_default_learning_rate_is_tf1s_0_001():
    with gf.Graph().as_default():
        W = gf.Variable(np.array([1.0, -2.0]), name="W")
        train = gf.train.AdamOptimizer().minimize(gf.reduce_sum(W * W))
        with gf.Session() as sess:
            sess.run(train)
            # The first Adam step moves each weight by lr (m / sqrt(v) is the gradient's sign).
            np.testing.assert_allclose(sess.run(W), [1.0 - 0.001, -2.0 + 0.001], rtol=1e-7)


def test_adagrad_refuses_an_initial_accumulator_that_is_not_positive():
    for bad in (0.0, -0.1):
        with pytest.raises(ValueError, match=rf"^initial_accumulator_value must be positive, got {bad}$"):
            gf.train.AdagradOptimizer(0.1, initial_accumulator_value=bad)


SCHEDULE_NAMES = {
    "exponential_decay": ("ExponentialDecay", lambda s, **k: gf.train.exponential_decay(0.1, s, 10, 0.96, **k)),
    "inverse_time_decay": ("InverseTimeDecay", lambda s, **k: gf.train.inverse_time_decay(0.1, s, 10, 0.96, **k)),
    "natural_exp_decay": ("NaturalExpDecay", lambda s, **k: gf.train.natural_exp_decay(0.1, s, 10, 0.96, **k)),
    "polynomial_decay": ("PolynomialDecay", lambda s, **k: gf.train.polynomial_decay(0.1, s, 10, 0.01, **k)),
    "piecewise_constant": ("PiecewiseConstant", lambda s, **k: gf.train.piecewise_constant(s, [5], [0.1, 0.01], **k)),
}


@pytest.mark.parametrize("kind", SCHEDULE_NAMES)
def test_a_schedule_builds_under_its_tf1_name_or_the_one_given(kind):
    scope, build = SCHEDULE_NAMES[kind]
    with gf.Graph().as_default():
        step = gf.train.get_or_create_global_step()
        assert build(step).name.startswith(f"{scope}/")
        assert build(step, name="mine").name.startswith("mine/")
    if kind != "piecewise_constant":
        with gf.Graph().as_default(), pytest.raises(ValueError, match=f"^{kind} needs a global_step"):
            build(None)


def _f32(value: float) -> float:
    """A Python number as TF-1 casts it to the rate's dtype: made a float32 tensor first."""
    return float(np.float32(value))


# TF-1 (TensorFlow 2.21's compat.v1) at steps 0, 1, 3, 10, 69, 71, 150 with the rate a float64 constant 0.1: the
# schedule computes in float64, with the Python hyper-parameters rounded to float32 first, as TF-1's cast does.
# (TF-1 itself fails on a float64 rate with cycle=True; that case is checked against the formula, as is one below.)
FLOAT64_STEPS = np.array([0, 1, 3, 10, 69, 71, 150])
FLOAT64_SCHEDULES = {
    "exponential": (
        lambda r, s: gf.train.exponential_decay(r, s, 7, 0.96),
        [0.1, 0.09941852547568834, 0.09826570014535008, 0.0943350700309829, 0.06687209292320666,
         0.06609666558463224, 0.041696311914170496],
    ),
    "inverse time": (
        lambda r, s: gf.train.inverse_time_decay(r, s, 7, 0.3),
        [0.1, 0.0958904108023147, 0.08860759453558804, 0.069999999165535, 0.0252707573723353,
         0.02473498159239078, 0.013461537998632584],
    ),
    # TF 2.21's compat.v1 computes exp(-0.3) in float32 before raising it to the power (2.7e-7 off the float64
    # formula); graphflow keeps the product in float64, so it is checked against the formula.
    "natural exp": (
        lambda r, s: gf.train.natural_exp_decay(r, s, 7, 0.3),
        0.1 * np.exp(-_f32(0.3) * FLOAT64_STEPS / 7),
    ),
    "polynomial": (
        lambda r, s: gf.train.polynomial_decay(r, s, 70, 0.01, power=0.3),
        [0.1, 0.0996123413621224, 0.09882506582562378, 0.09593270280754229, 0.03516014111873331,
         0.009999999776482582, 0.009999999776482582],
    ),
    "polynomial cycle": (
        lambda r, s: gf.train.polynomial_decay(r, s, 70, 0.01, power=0.3, cycle=True),
        (0.1 - _f32(0.01)) * (1 - FLOAT64_STEPS / (70 * np.maximum(np.ceil(FLOAT64_STEPS / 70), 1))) ** _f32(0.3)
        + _f32(0.01),
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", FLOAT64_SCHEDULES)
def test_a_schedule_of_a_float64_rate_computes_in_float64(kind):
    build, expected = FLOAT64_SCHEDULES[kind]
    with gf.Graph().as_default():
        step = gf.placeholder(gf.int64, [])
        rate = build(gf.constant(0.1, dtype=gf.float64), step)
        assert rate.dtype == np.float64
        with gf.Session() as sess:
            values = np.array([sess.run(rate, {step: s}) for s in FLOAT64_STEPS])
    np.testing.assert_allclose(values, expected, rtol=1e-14)


def test_optimizer_arguments_are_checked_with_messages_that_say_what_to_pass():
    with pytest.raises(TypeError, match=r"^learning_rate must be a number or a scalar node, got 'fast'$"):
        gf.train.GradientDescentOptimizer("fast")
    with pytest.raises(TypeError, match=r"^loss must be a graph node, got float$"):
        gf.train.GradientDescentOptimizer(0.1).minimize(3.0)
    with gf.Graph().as_default():
        with pytest.raises(
            ValueError, match=r"^No variables to optimize: create gf.Variable\(...\)s or pass var_list$"
        ):
            gf.train.GradientDescentOptimizer(0.1).minimize(gf.constant(1.0))
        W = gf.Variable(1.0, name="W")
        with pytest.raises(TypeError, match=r"^var_list must hold gf.Variable objects, got 3$"):
            gf.train.GradientDescentOptimizer(0.1).minimize(W * 2.0, var_list=[W, 3])

        class Mine(gf.train.Optimizer):
            pass

        assert Mine(0.1)._name == "Optimizer"  # TF-1's base class name, the scope of a subclass that gives none
        with pytest.raises(NotImplementedError, match=r"^Mine must define its update rule, _apply_dense$"):
            Mine(0.1).minimize(W * W)
        named = gf.train.GradientDescentOptimizer(0.1).minimize(W * W, name="step")
        assert named.name == "step/update"

"""The fused optimizer updates (graphflow/ops/training.py) and the plan steps that run ops changing several variables.

The compiled loops are checked against the kernels' numpy references in tests/test_kernels.py; here every update op
is checked against TF-1's equations written out in this file (`tf1_update`, `adam_reference`), independently of
those references, and each op's use of the loops (buffers, float16, broadcast gradients, shapes) and each of the
plan's promises for updates (new values handed on in order, buffers recycled, nothing changed by a failed run, errors
naming the op) is checked for an op that changes three variables at once.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import training
from graphflow.ops.training import apply_adam

BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8


def adam_reference(var, m, v, lr_t, grad, dtype):
    """TF-1's ApplyAdam (training_ops.cc) in numpy, one operation at a time in `dtype`, written here rather than
    taken from graphflow/kernels, so that the library's own reference is checked too."""
    var, m, v, grad = (np.asarray(a, dtype) for a in (var, m, v, grad))
    c = dtype.type
    m = m + (grad - m) * (c(1) - c(BETA1))
    v = v + (grad * grad - v) * (c(1) - c(BETA2))
    return var - c(lr_t) * m / (np.sqrt(v) + c(EPSILON)), m, v


def random_state(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    var, grad = rng.standard_normal((2, *shape)).astype(dtype)
    m = (rng.standard_normal(shape) * 0.1).astype(dtype)
    v = (rng.random(shape) * 0.01).astype(dtype)
    return var, m, v, grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (7,), (33, 5)])
def test_apply_adam_writes_into_the_buffers_it_is_given_and_never_into_its_inputs(dtype, shape):
    dtype = np.dtype(dtype)
    var, m, v, grad = random_state(shape, dtype)
    before = [a.copy() for a in (var, m, v, grad)]
    buffers = [np.full(shape, np.nan, dtype) for _ in range(3)]
    got = apply_adam.forward(var, m, v, dtype.type(0.0123), grad, *buffers, beta1=BETA1, beta2=BETA2, epsilon=EPSILON)
    for g, w, b in zip(got, adam_reference(var, m, v, 0.0123, grad, dtype), buffers, strict=True):
        assert g is b and g.shape == shape
        np.testing.assert_array_equal(g, w)
    for a, b in zip((var, m, v, grad), before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_apply_gradient_descent_is_its_numpy_equation(dtype):
    rng = np.random.default_rng(0)
    var, grad = rng.standard_normal((2, 9, 4)).astype(dtype)
    lr = np.dtype(dtype).type(0.03)
    np.testing.assert_array_equal(training.apply_gradient_descent.forward(var, lr, grad), var - lr * grad)


def test_apply_adam_on_float16_computes_in_float32_and_rounds():
    var, m, v, grad = random_state((6, 3), np.float16)
    buffers = [np.empty((6, 3), np.float16) for _ in range(3)]
    got = apply_adam.forward(var, m, v, np.float16(0.01), grad, *buffers, beta1=BETA1, beta2=BETA2, epsilon=EPSILON)
    wide = adam_reference(var, m, v, np.float32(np.float16(0.01)), grad, np.dtype(np.float32))
    for g, w, b in zip(got, wide, buffers, strict=True):
        assert g is b and g.dtype == np.float16
        np.testing.assert_array_equal(g, w.astype(np.float16))


def test_apply_adam_broadcasts_a_smaller_gradient_and_rejects_one_that_does_not_fit():
    var, m, v, _ = random_state((4, 3), np.float32)
    row = np.float32([1.0, -2.0, 0.5])
    got = apply_adam.forward(var, m, v, np.float32(0.1), row, beta1=BETA1, beta2=BETA2, epsilon=EPSILON)
    want = adam_reference(var, m, v, 0.1, np.broadcast_to(row, (4, 3)), np.dtype(np.float32))
    np.testing.assert_array_equal(got[0], want[0])
    with pytest.raises(ValueError, match="broadcast"):
        apply_adam.forward(var, m, v, np.float32(0.1), np.ones(4, np.float32), beta1=0.9, beta2=0.999, epsilon=1e-8)


def test_apply_adam_refuses_slots_of_another_shape_when_built():
    with gf.Graph().as_default():
        var = gf.Variable(np.zeros((3, 2), np.float32), name="w")
        m = gf.Variable(np.zeros((3, 2), np.float32), name="m")
        v = gf.Variable(np.zeros((2, 3), np.float32), name="v")
        with pytest.raises(ValueError, match=r"shape \(2, 3\).*shape \(3, 2\)"):
            apply_adam(var, m, v, 0.1, np.ones((3, 2), np.float32), beta1=BETA1, beta2=BETA2, epsilon=EPSILON)


RMS = {"decay": 0.95, "momentum": 0.9, "epsilon": 1e-6}
BUILDERS = {  # each fused update built as a graph op: (build(state, lr, grad), number of state arrays)
    "adam": (lambda st, lr, g: apply_adam(*st, lr, g, beta1=BETA1, beta2=BETA2, epsilon=EPSILON), 3),
    "gd": (lambda st, lr, g: training.apply_gradient_descent(*st, lr, g), 1),
    "momentum": (lambda st, lr, g: training.apply_momentum(*st, lr, g, 0.9), 2),
    "adagrad": (lambda st, lr, g: training.apply_adagrad(*st, lr, g), 2),
    "rmsprop": (lambda st, lr, g: training.apply_rmsprop(*st, lr, g, **RMS), 3),
    "centered": (lambda st, lr, g: training.apply_centered_rmsprop(*st, lr, g, **RMS), 4),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_every_fused_update_refuses_a_gradient_that_cannot_broadcast_to_its_variable_when_built(name):
    build, count = BUILDERS[name]
    with gf.Graph().as_default():
        state = [gf.Variable(np.zeros((3, 2), np.float32), name=f"s{k}") for k in range(count)]
        lr = gf.constant(0.1, gf.float32)
        build(state, lr, gf.placeholder(gf.float32, [2], name="row"))  # broadcasts to the variable: accepted
        with pytest.raises(ValueError, match=r"gradient of shape \(3, 3\) cannot update a variable of shape \(3, 2\)"):
            build(state, lr, gf.placeholder(gf.float32, [3, 3], name="wrong"))


def tf1_update(name, state, lr, g):
    """TF-1's update kernels in float64 numpy, from their documentation, with the hyper-parameters of BUILDERS.
    Returns the new state, variable first."""
    if name == "gd":
        (var,) = state
        return (var - lr * g,)
    if name == "momentum":
        var, accum = state
        accum = accum * 0.9 + g
        return var - lr * accum, accum
    if name == "adagrad":
        var, accum = state
        accum = accum + g * g
        return var - lr * g / np.sqrt(accum), accum
    if name == "adam":
        var, m, v = state
        m = m + (g - m) * (1 - BETA1)
        v = v + (g * g - v) * (1 - BETA2)
        return var - lr * m / (np.sqrt(v) + EPSILON), m, v
    if name == "rmsprop":
        var, ms, mom = state
        ms = ms + (g * g - ms) * (1 - RMS["decay"])
        mom = mom * RMS["momentum"] + lr * g / np.sqrt(ms + RMS["epsilon"])
        return var - mom, ms, mom
    var, ms, mg, mom = state  # centered RMSProp: the variance, ms - mg², in place of ms
    ms = ms + (g * g - ms) * (1 - RMS["decay"])
    mg = mg + (g - mg) * (1 - RMS["decay"])
    mom = mom * RMS["momentum"] + lr * g / np.sqrt(ms - mg * mg + RMS["epsilon"])
    return var - mom, ms, mg, mom


@pytest.mark.parametrize("name", BUILDERS)
def test_every_fused_update_op_follows_the_tf1_equations_over_three_steps(name):
    build, count = BUILDERS[name]
    rng = np.random.default_rng(5)
    state = [rng.standard_normal((4, 3))] + [rng.random((4, 3)) + 0.5 for _ in range(count - 1)]
    if name == "centered":
        state[2] = state[2] - 1.0  # the mean gradient, small enough beside the mean square
    with gf.Graph().as_default():
        variables = [gf.Variable(a.copy(), name=f"s{k}") for k, a in enumerate(state)]
        g = gf.placeholder(gf.float64, [4, 3], name="g")
        step = build(variables, gf.constant(0.05, gf.float64), g)
        with gf.Session() as sess:
            for _ in range(3):
                grad = rng.standard_normal((4, 3))
                sess.run(step, {g: grad})
                state = tf1_update(name, state, 0.05, grad)
                for k, (got, want) in enumerate(zip(sess.run(variables), state, strict=True)):
                    assert np.isfinite(want).all()
                    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15, err_msg=f"{name} state {k}")


def _adam_graph(dtype=gf.float32):
    w = gf.Variable(np.array([1.0, -2.0, 3.0], dtype), name="w")
    m = gf.Variable(np.zeros(3, dtype), trainable=False, name="m")
    v = gf.Variable(np.zeros(3, dtype), trainable=False, name="v")
    g = gf.placeholder(dtype, [3], name="g")
    step = apply_adam(w, m, v, gf.constant(0.5, dtype), g, beta1=BETA1, beta2=BETA2, epsilon=EPSILON, name="step")
    return w, m, v, g, step


def test_a_session_runs_apply_adam_fetches_the_new_variable_and_stores_all_three():
    with gf.Graph().as_default():
        w, m, v, g, step = _adam_graph()
        dtype = np.dtype(np.float32)
        state = (np.float32([1.0, -2.0, 3.0]), np.zeros(3, dtype), np.zeros(3, dtype))
        with gf.Session() as sess:
            for k in range(4):
                grad = np.float32([0.5, -1.0, 2.0]) * (k + 1)
                fetched = sess.run(step, {g: grad})
                state = adam_reference(*state, 0.5, grad, dtype)
                np.testing.assert_array_equal(fetched, state[0])
                for var, want in zip((w, m, v), state, strict=True):
                    np.testing.assert_array_equal(sess.run(var), want)
            # The new values go into two buffers per variable that take turns: no allocation in the steady state.
            buffers = {var: {id(sess._values[var]), id(sess._spares[var])} for var in (w, m, v)}
            sess.run(step, {g: np.ones(3, np.float32)})
            assert {var: {id(sess._values[var]), id(sess._spares[var])} for var in (w, m, v)} == buffers


def test_two_fused_updates_of_the_same_variables_in_one_run_apply_in_order():
    with gf.Graph().as_default():
        w, m, v, g, first = _adam_graph(gf.float64)
        second = apply_adam(w, m, v, 0.25, g * 2.0, beta1=BETA1, beta2=BETA2, epsilon=EPSILON, name="second")
        dtype = np.dtype(np.float64)
        grad = np.array([1.0, 2.0, -3.0])
        with gf.Session() as sess:
            a, b = sess.run([first, second], {g: grad})
            after_first = adam_reference([1.0, -2.0, 3.0], np.zeros(3), np.zeros(3), 0.5, grad, dtype)
            after_second = adam_reference(*after_first, 0.25, grad * 2.0, dtype)
            np.testing.assert_array_equal(a, after_first[0])
            np.testing.assert_array_equal(b, after_second[0])
            np.testing.assert_array_equal(sess.run(m), after_second[1])
            np.testing.assert_array_equal(sess.run(v), after_second[2])


def test_a_run_that_fails_after_a_fused_update_changes_none_of_its_variables():
    with gf.Graph().as_default():
        w, m, v, g, step = _adam_graph()
        late = gf.group(step, gf.check_numerics(gf.log(g), "late log"))
        with gf.Session() as sess, np.errstate(all="ignore"):
            sess.run(step, {g: np.ones(3, np.float32)})
            before = sess.run([w, m, v])
            with pytest.raises(gf.errors.InvalidArgumentError, match="late log"):
                sess.run(late, {g: np.float32([-1.0, 1.0, 1.0])})
            for var, old in zip((w, m, v), before, strict=True):
                np.testing.assert_array_equal(sess.run(var), old)


def test_a_failing_fused_update_names_itself():
    with gf.Graph().as_default():
        w = gf.Variable(np.zeros(3, np.float32), name="w")
        m, v = gf.Variable(np.zeros(3, np.float32), name="m"), gf.Variable(np.zeros(3, np.float32), name="v")
        g = gf.placeholder(gf.float32, name="g")  # no static shape, so a gradient that does not fit gets this far
        step = apply_adam(w, m, v, 0.5, g, beta1=BETA1, beta2=BETA2, epsilon=EPSILON, name="step")
        with gf.Session() as sess:
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"ApplyAdam 'step' failed.*broadcast"):
                sess.run(step, {g: np.ones(4, np.float32)})
            np.testing.assert_array_equal(sess.run(w), np.zeros(3))


def test_debug_nans_stops_at_the_fused_update_that_makes_a_nan_and_changes_nothing():
    with gf.Graph().as_default():
        w, _, _, g, step = _adam_graph()
        with gf.Session(debug_nans=True) as sess:
            with pytest.raises(gf.errors.InvalidArgumentError, match="ApplyAdam 'step' produced") as info:
                sess.run(step, {g: np.float32([1.0, np.nan, 1.0])})
            assert "input 4 'g': shape (3,) float32, 1 NaN" in str(info.value)
            np.testing.assert_array_equal(sess.run(w), [1.0, -2.0, 3.0])


def test_numba_is_imported_only_by_a_plan_that_runs_a_compiled_update():
    """`import graphflow` and gradient descent never load the compiler (about 0.4 s and 100 MB); Adam does."""
    import subprocess
    import sys

    script = """
import sys
import numpy as np
import graphflow as gf
w = gf.Variable(np.ones(3, np.float32))
loss = gf.reduce_sum(w * w)
with gf.Session() as sess:
    sess.run(gf.train.GradientDescentOptimizer(0.1).minimize(loss))
    print("numba" in sys.modules)
    sess.run(gf.train.AdamOptimizer(0.1).minimize(loss))
    print("numba" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]


OPTIMIZERS = {
    "adam": lambda: gf.train.AdamOptimizer(0.1),
    "gd": lambda: gf.train.GradientDescentOptimizer(0.1),
    "momentum": lambda: gf.train.MomentumOptimizer(0.1, 0.9),
    "nesterov": lambda: gf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
    "adagrad": lambda: gf.train.AdagradOptimizer(0.1),
    "rmsprop": lambda: gf.train.RMSPropOptimizer(0.1, momentum=0.5),
    "centered": lambda: gf.train.RMSPropOptimizer(0.1, momentum=0.5, centered=True),
}


@pytest.mark.parametrize("layout", ["fortran", "negative strides"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_variable_whose_value_is_not_c_ordered_trains_as_a_c_ordered_one(name, layout):
    # The compiled updates work on flat views of their arrays; values in another layout must not lose the writes.
    start = np.arange(12.0).reshape(4, 3).T / 10
    initial = np.asfortranarray(start) if layout == "fortran" else np.ascontiguousarray(start[::-1])[::-1]
    assert not initial.flags.c_contiguous

    def train(value):
        with gf.Graph().as_default():
            w = gf.Variable(value)
            loss = gf.reduce_sum(gf.matmul(gf.constant(np.ones((2, 3))), w) ** 2)
            step = OPTIMIZERS[name]().minimize(loss)
            with gf.Session() as sess:
                sess.run(gf.global_variables_initializer())
                for _ in range(3):
                    sess.run(step)
                return sess.run(w)

    np.testing.assert_array_equal(train(initial), train(np.ascontiguousarray(start)))

"""Run-time errors and numpy warnings name the op, the line of the user's code that built it, and what it was given.

TF-1 records where each op was built and says "defined at file:line" when it fails; graphflow records the first frame
outside the package (`node.site`) and shows it, with the shapes and dtypes the op actually got, in every error a run
raises and in the warnings numpy gives inside a step.
"""

from __future__ import annotations

import inspect
import linecache
import warnings

import numpy as np
import pytest

import graphflow as gf


def _line() -> int:
    """The line this is called from."""
    return inspect.currentframe().f_back.f_lineno


def test_every_node_records_the_user_line_that_built_it():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        x_line = _line() - 1
        w = gf.Variable(np.ones((3, 2), np.float32), name="w")
        y = gf.nn.relu(gf.matmul(x, w))
        y_line = _line() - 1
        loss = gf.reduce_sum(y)
        (grad,) = gf.gradients(loss, [w])
        grad_line = _line() - 1
    assert x.site == (__file__, x_line, "test_every_node_records_the_user_line_that_built_it")
    assert y.site[:2] == (__file__, y_line)
    assert y.inputs[0].site[:2] == (__file__, y_line)  # the matmul inside the same expression
    # gradient nodes are built inside gf.gradients: their site is the user's call of it
    assert grad.site[:2] == (__file__, grad_line)


def test_a_site_is_the_innermost_frame_outside_graphflow():
    def build_layer(x):
        return gf.layers.dense(x, 4)  # graphflow's own frames (layers, variable_scope, ops) are skipped

    with gf.Graph().as_default():
        y = build_layer(gf.placeholder(gf.float32, [None, 2]))
    file, line, function = y.site
    assert (file, function) == (__file__, "build_layer")
    assert "gf.layers.dense" in linecache.getline(file, line)


def test_failing_op_names_its_site_and_the_shapes_it_was_given():
    with gf.Graph().as_default():
        a = gf.placeholder(gf.float32, name="a")
        w = gf.Variable(np.ones((4, 5), np.float32), name="w")
        y = gf.matmul(a, w)
        line = _line() - 1
        with gf.Session() as sess, pytest.raises(gf.errors.InvalidArgumentError) as info:
            sess.run(y, {a: np.ones((2, 3), np.float32)})
    message = str(info.value)
    assert message.startswith("MatMul 'MatMul' failed")
    assert f"'MatMul' was defined at {__file__}:{line} in " in message
    assert "y = gf.matmul(a, w)" in message  # the source line itself
    assert "'a' float32 [2,3] (declared <unknown>)" in message  # the actual shape, not only the static one
    assert "'w' float32 [4,5]" in message
    assert message.rstrip().endswith("No variable was changed.")
    assert info.value.node is y


def test_bad_feed_names_the_placeholder_site():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 4], name="x")
        line = _line() - 1
        with gf.Session() as sess, pytest.raises(gf.errors.InvalidArgumentError) as info:
            sess.run(x * 2.0, {x: np.ones((2, 3))})
    message = str(info.value)
    assert "Cannot feed value of shape (2, 3) for 'x', which has shape [?,4]" in message
    assert f"'x' was defined at {__file__}:{line}" in message


def test_debug_nans_error_names_the_site():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2], name="x")
        y = gf.log(x)
        line = _line() - 1
        with gf.Session(debug_nans=True) as sess, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(gf.errors.InvalidArgumentError) as info:
                sess.run(y, {x: [-1.0, 1.0]})
    assert f"defined at {__file__}:{line}" in str(info.value)
    assert "1 NaN" in str(info.value)
    assert [str(w.message) for w in caught] == []  # the error says it all: numpy's warning would only repeat it


def test_numpy_warning_names_the_op_and_its_site_and_points_at_the_run():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2], name="x")
        y = gf.exp(x * 1000.0, name="big_exp")
        built = _line() - 1
        with gf.Session() as sess, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = sess.run(y, {x: [1.0, 0.0]})
            ran = _line() - 1
    assert value[0] == np.inf and value[1] == 1.0  # the warning does not change the result
    (warning,) = caught
    assert issubclass(warning.category, gf.errors.NumericWarning)
    assert issubclass(warning.category, RuntimeWarning)  # `-W error::RuntimeWarning` still catches it
    text = str(warning.message)
    assert "overflow encountered in Exp 'big_exp'" in text
    assert f"defined at {__file__}:{built}" in text
    assert "Session(debug_nans=True)" in text
    # attributed to the user's line that ran the session, not to graphflow's executor
    assert (warning.filename, warning.lineno) == (__file__, ran)


def test_numpy_warning_inside_a_while_loop_names_the_op_in_its_body():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [], name="x")
        _, y = gf.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, gf.log(v - 5.0, name="inner_log")), [0, x])
        with gf.Session() as sess, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sess.run(y, {x: 1.0})
    assert len(caught) == 1
    assert "invalid value encountered in Log 'while/inner_log', defined at " in str(caught[0].message)


def test_errstate_the_caller_set_is_kept():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [1], name="x")
        y = gf.log(x)
        with gf.Session() as sess:
            with warnings.catch_warnings(record=True) as caught, np.errstate(invalid="ignore"):
                warnings.simplefilter("always")
                assert np.isnan(sess.run(y, {x: [-1.0]}))[0]
            assert caught == []
            with np.errstate(invalid="raise"), pytest.raises(gf.errors.InvalidArgumentError) as info:
                sess.run(y, {x: [-1.0]})
            assert isinstance(info.value.__cause__, FloatingPointError)
            assert "Log 'Log' failed" in str(info.value)
            # after the run the caller's own numpy state is back, also after a run that failed
            before = np.geterr()
            with pytest.raises(gf.errors.InvalidArgumentError):
                sess.run(y, {x: [[1.0, 2.0]]})
            assert np.geterr() == before
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                np.log(np.array([-1.0]))
            assert caught and caught[0].category is RuntimeWarning

"""`gf.cond`, `gf.while_loop` and `gf.control_dependencies`: only the taken branch runs (its updates and random
draws included), gradients flow through the branch that ran, loops give TF-1's results and refuse what they cannot
do with errors that name the node.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.gradcheck import check_gradients


@pytest.fixture
def x():
    with gf.Graph().as_default():
        yield gf.placeholder(gf.float32, [], name="x")


def test_cond_runs_only_the_taken_branch_and_its_updates(x):
    v = gf.Variable(0.0, name="v")
    y = gf.cond(x > 0, lambda: gf.assign_add(v, 1.0) * 0.0 + x * 2.0, lambda: x * x)
    with gf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(y, {x: 3.0}) == 6.0
        assert sess.run(v) == 1.0
        assert sess.run(y, {x: -3.0}) == 9.0
        assert sess.run(v) == 1.0, "the untaken branch's assign_add ran"


def test_a_random_op_in_an_untaken_branch_is_not_drawn(x):
    """The branch's pivot is a control input of ops with no input of their own, so they are skipped with it: a run
    that does not take the branch leaves the random stream where it was."""
    gf.set_random_seed(3)
    y = gf.cond(x > 0, lambda: gf.random_normal([], name="draw"), lambda: x)
    with gf.Session() as fresh:
        first_draw = fresh.run(y, {x: 1.0})
    with gf.Session() as sess:
        assert sess.run(y, {x: -1.0}) == -1.0
        assert sess.run(y, {x: 1.0}) == first_draw
        line = next(s for s in str(sess.plan_for(y, {x: 1.0})).splitlines() if "cond/draw" in s)
    assert "skipped if an input is dead" in line


def test_the_plan_of_a_cond_says_which_steps_a_dead_branch_skips(x):
    y = gf.cond(x > 0, lambda: gf.exp(x), lambda: -x)
    with gf.Session() as sess:
        text = str(sess.plan_for(y, {x: 1.0}))
    assert "cond/Exp" in text and "cond/Neg" in text
    assert text.count("skipped if an input is dead") >= 2


@pytest.mark.parametrize("taken", [True, False])
def test_cond_gradient_matches_finite_differences_on_either_branch(taken):
    check_gradients(
        lambda a, b, p: gf.cond(p, lambda: gf.exp(a) * b, lambda: gf.tanh(a - b)),
        [(3,), (3,)],
        extra=[np.array(taken)],
    )


@pytest.mark.parametrize("value, expected", [(20.0, (2000.0, 100.0)), (2.0, (20.0, 10.0)), (-2.0, (2.0, -1.0))])
def test_nested_conds_give_values_and_gradients_of_the_innermost_branch_taken(x, value, expected):
    z = gf.cond(x > 0, lambda: gf.cond(x > 10, lambda: x * 100.0, lambda: x * 10.0), lambda: -x)
    dz = gf.gradients(z, x)[0]
    with gf.Session() as sess:
        got = sess.run([z, dz], {x: value})
    assert [g.dtype for g in got] == [np.float32, np.float32]
    assert tuple(float(g) for g in got) == expected


def test_cond_returns_the_structure_its_branches_return(x):
    out = gf.cond(x > 0, lambda: {"a": x, "b": (x * 2.0, x * 3.0)}, lambda: {"a": -x, "b": (x, x)})
    with gf.Session() as sess:
        assert sess.run(out, {x: 1.0}) == {"a": 1.0, "b": (2.0, 3.0)}
        assert sess.run(out, {x: -1.0}) == {"a": 1.0, "b": (-1.0, -1.0)}
    assert isinstance(gf.cond(x > 0, lambda: [x], lambda: [x]), gf.Node)
    assert isinstance(gf.cond(x > 0, lambda: [x], lambda: [x], strict=True), list)


def test_cond_refuses_mismatched_branches_and_a_non_bool_predicate(x):
    with pytest.raises(ValueError, match=r"cond 'cond': .* same structure .* got \('<node>', '<node>'\) and <node>"):
        gf.cond(x > 0, lambda: (x, x), lambda: x)
    with pytest.raises(ValueError, match="same structure of nodes, in the same order"):
        gf.cond(x > 0, lambda: {"a": x, "b": x * 2.0}, lambda: {"b": x, "a": x * 2.0})
    with pytest.raises(TypeError, match="pred must be a bool, got 'x'"):
        gf.cond(x, lambda: x, lambda: x)
    with pytest.raises(TypeError, match=r"pred is the Python bool True.*use a Python `if`"):
        gf.cond(True, lambda: x, lambda: x)


def test_fetching_a_node_of_the_untaken_branch_is_an_error_that_names_it(x):
    v = gf.Variable(1.0, name="v")
    gf.cond(x > 0, lambda: x * 2.0, lambda: x * 3.0, name="choose")
    inner = gf.get_default_graph().get_operation_by_name("choose/Mul_1")
    with gf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(gf.errors.InvalidArgumentError, match=r"'choose/Mul_1' was fetched, but .* did not take"):
            sess.run([inner, v.assign(5.0)], {x: 1.0})
        assert sess.run(v) == 1.0, "a failed run changed a variable"
        assert sess.run(inner.outputs[0], {x: -1.0}) == -3.0
        assert sess.run(inner, {x: -1.0}) is None, "fetching an op runs it and gives None, as in TF-1"


def test_while_loop_gives_tf1_results():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [])
        i, power = gf.while_loop(lambda i, a: i < 5, lambda i, a: (i + 1, a * x), [gf.constant(0), gf.constant(1.0)])
        capped = gf.while_loop(lambda i: i < 100, lambda i: i + 1, [gf.constant(0)], maximum_iterations=7)
        alternating = gf.while_loop(
            lambda i, a: i < 4,
            lambda i, a: (i + 1, gf.cond(i < 2, lambda: a + 1.0, lambda: a * 2.0)),
            [gf.constant(0), gf.constant(0.0)],
        )
        with gf.Session() as sess:
            assert sess.run([i, power], {x: 2.0}) == [5, 32.0]
            assert sess.run(capped) == 7
            assert sess.run(alternating) == [4, 8.0]


def test_while_loop_refuses_a_shape_change_its_invariants_do_not_allow():
    with (
        gf.Graph().as_default(),
        pytest.raises(ValueError, match=r"shape \(1,\) before the loop, but the body gives 'while/Reshape'"),
    ):
        gf.while_loop(lambda a: gf.reduce_sum(a) < 5.0, lambda a: gf.reshape(a, [1, 1]), [gf.constant([1.0])])


def test_while_loop_refuses_variable_updates_and_gradients():
    with gf.Graph().as_default():
        v = gf.Variable(0.0)
        with pytest.raises(ValueError, match="AssignAdd in a while_loop body: a loop may not change variables"):
            gf.while_loop(lambda a: a < 5.0, lambda a: a + gf.assign_add(v, 1.0), [gf.constant(0.0)])
        x = gf.placeholder(gf.float32, [])
        y = gf.while_loop(lambda a: a < 5.0, lambda a: a * x, [gf.constant(1.0)])
        with pytest.raises(LookupError, match=r"No gradient through gf.while_loop 'while_1/While'.*stop_gradient"):
            gf.gradients(y, x)


def test_control_dependencies_run_first_and_read_value_sees_the_update():
    with gf.Graph().as_default():
        v = gf.Variable(1.0)
        x = gf.placeholder(gf.float32, [])
        with gf.control_dependencies([gf.assign_add(v, 10.0)]):
            read = v.read_value()
            passed = gf.identity(x)
        unrelated = x * 2.0
        with gf.Session() as sess:
            sess.run(v.initializer)
            assert sess.run(read) == 11.0
            assert sess.run(passed, {x: 1.0}) == 1.0
            assert sess.run(v) == 21.0
            assert sess.run(unrelated, {x: 1.0}) == 2.0
            assert sess.run(v) == 21.0, "an op built outside the block ran the dependency"
        assert passed.control_inputs and not unrelated.control_inputs


def test_control_dependencies_none_clears_the_enclosing_block():
    with gf.Graph().as_default():
        v = gf.Variable(1.0)
        with gf.control_dependencies([gf.assign_add(v, 1.0)]), gf.control_dependencies(None):
            free = gf.constant(2.0) * 3.0
        assert not free.control_inputs


@pytest.mark.parametrize("taken, expected", [(True, 11.0), (False, -9.0)])
def test_both_branches_updating_a_variable_commit_the_branch_that_ran(x, taken, expected):
    """Each branch starts from the value before the cond; after it, the variable holds the value its branch gave."""
    v = gf.Variable(1.0)
    p = gf.placeholder(gf.bool, [])
    out = gf.cond(p, lambda: gf.assign_add(v, x), lambda: gf.assign_sub(v, x))
    with gf.control_dependencies([out]):
        after = v * 1.0
        again = gf.assign_add(v, 100.0)
    with gf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run([out, after], {p: taken, x: 10.0}) == [expected, expected]
        assert sess.run(v) == expected
        assert sess.run(again, {p: taken, x: 10.0}) == 2 * expected - 1.0 + 100.0
        assert sess.run(v) == 2 * expected - 1.0 + 100.0


def test_a_branch_that_leaves_a_variable_alone_keeps_it_and_a_read_after_the_cond_sees_it(x):
    v = gf.Variable(1.0)
    p = gf.placeholder(gf.bool, [])
    out = gf.cond(p, lambda: gf.assign_add(v, 1.0), lambda: gf.identity(v))
    with gf.control_dependencies([out]):
        read = v * 1.0
    with gf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(read, {p: False}) == 1.0
        assert sess.run(read, {p: True}) == 2.0 and sess.run(v) == 2.0


def test_a_fused_bias_and_relu_in_an_untaken_branch_is_skipped():
    with gf.Graph().as_default():
        p = gf.placeholder(gf.bool, [])
        ones = gf.constant(np.ones((2, 3), np.float32))
        out = gf.cond(p, lambda: gf.nn.relu(ones + gf.constant(np.ones(3, np.float32))), lambda: gf.zeros((2, 3)))
        with gf.Session() as sess:
            np.testing.assert_array_equal(sess.run(out, {p: False}), np.zeros((2, 3)))
            np.testing.assert_array_equal(sess.run(out, {p: True}), np.full((2, 3), 2.0))


def test_a_constant_built_under_control_dependencies_waits_for_them_also_in_a_branch():
    with gf.Graph().as_default():
        v = gf.Variable(1.0)
        p = gf.placeholder(gf.bool, [])

        def set_and_return_one():
            with gf.control_dependencies([gf.assign(v, 5.0)]):
                return gf.constant(1.0)

        out = gf.cond(p, set_and_return_one, lambda: gf.constant(0.0))
        with gf.Session() as sess:
            sess.run(v.initializer)
            assert sess.run(out, {p: False}) == 0.0 and sess.run(v) == 1.0
            assert sess.run(out, {p: True}) == 1.0 and sess.run(v) == 5.0


def test_a_loop_may_return_values_from_outside_and_runs_after_its_control_dependencies():
    with gf.Graph().as_default():
        v = gf.Variable(np.zeros(3, np.float32))
        x = gf.placeholder(gf.float32, [3])
        flag = gf.placeholder(gf.bool, [])
        returned = gf.while_loop(lambda i, a: i < 2, lambda i, a: (i + 1, v + x), [gf.constant(0), gf.zeros(3)])
        by_flag = gf.while_loop(lambda i: flag, lambda i: i + 1, [gf.constant(0)], maximum_iterations=3)
        w = gf.Variable(0.0)
        with gf.control_dependencies([gf.assign_add(w, 1.0)]):
            total = gf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a + w), [gf.constant(0), gf.constant(0.0)])
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            assert sess.run(returned, {x: np.ones(3)})[1].tolist() == [1.0, 1.0, 1.0]
            assert sess.run(by_flag, {flag: True}) == 3 and sess.run(by_flag, {flag: False}) == 0
            assert sess.run(total) == [3, 3.0] and sess.run(w) == 1.0


def test_an_update_that_only_a_later_output_of_the_cond_reads_is_committed():
    with gf.Graph().as_default():
        v = gf.Variable(1.0)
        p = gf.placeholder(gf.bool, [])
        _, updated = gf.cond(p, lambda: (v * 1.0, gf.assign_add(v, 1.0)), lambda: (v * 1.0, gf.identity(v)))
        with gf.Session() as sess:
            sess.run(v.initializer)
            assert sess.run(updated, {p: True}) == 2.0 and sess.run(v) == 2.0
            assert sess.run(updated, {p: False}) == 2.0 and sess.run(v) == 2.0

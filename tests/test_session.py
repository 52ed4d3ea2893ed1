"""Session behaviour: fetch structures, feeds, the plan cache, freed slots, session-owned variable state, the default
graph and session, and node naming.

Each test builds its own graph under `with gf.Graph().as_default():` so tests do not share nodes or names.
"""

from __future__ import annotations

import re
from collections import OrderedDict, namedtuple

import numpy as np
import pytest

import graphflow as gf
from graphflow import defaults
from graphflow import graph as graph_module
from graphflow import session as session_module
from graphflow.plan import passes
from tests.plans import plan_for

Pair = namedtuple("Pair", "first second")


@pytest.fixture
def restore_default_graph():
    """Undoes `as_default()` calls without `with` and `reset_default_graph()`, which change module state."""
    stack = list(defaults.GRAPHS.items())
    root = graph_module._root
    yield
    defaults.GRAPHS.items()[:] = stack
    graph_module._root = root


def _chain():
    """x (float64, [3]) -> a = 2x -> b = a + 1, in the current default graph."""
    x = gf.placeholder(gf.float64, [3], name="x")
    a = gf.multiply(x, 2.0, name="a")
    b = gf.add(a, 1.0, name="b")
    return x, a, b


# --------------------------------------------------------------------------------------------------------------------
# Fetch structures


def test_fetch_single_node_returns_array():
    with gf.Graph().as_default():
        x, _a, b = _chain()
        with gf.Session() as sess:
            out = sess.run(b, {x: [1.0, 2.0, 3.0]})
    np.testing.assert_array_equal(out, [3.0, 5.0, 7.0])
    assert out.dtype == np.float64


def test_fetch_list_tuple_dict_namedtuple_and_nesting_keep_their_structure():
    with gf.Graph().as_default():
        x, a, b = _chain()
        feed = {x: [1.0, 2.0, 3.0]}
        with gf.Session() as sess:
            as_list = sess.run([a, b], feed)
            as_tuple = sess.run((b, a), feed)
            as_dict = sess.run({"a": a, "b": b}, feed)
            as_named = sess.run(Pair(a, b), feed)
            ordered = sess.run(OrderedDict([("b", b), ("a", a)]), feed)
            nested = sess.run({"outer": [a, (b, {"deep": Pair(a, [b])})]}, feed)

    a_val, b_val = np.array([2.0, 4.0, 6.0]), np.array([3.0, 5.0, 7.0])
    assert isinstance(as_list, list) and len(as_list) == 2
    np.testing.assert_array_equal(as_list[0], a_val)
    np.testing.assert_array_equal(as_list[1], b_val)
    assert isinstance(as_tuple, tuple) and not hasattr(as_tuple, "_fields")
    np.testing.assert_array_equal(as_tuple[0], b_val)
    assert isinstance(as_dict, dict) and set(as_dict) == {"a", "b"}
    np.testing.assert_array_equal(as_dict["a"], a_val)
    assert isinstance(as_named, Pair)
    np.testing.assert_array_equal(as_named.second, b_val)
    assert isinstance(ordered, OrderedDict) and list(ordered) == ["b", "a"]

    assert isinstance(nested, dict) and list(nested) == ["outer"]
    outer = nested["outer"]
    assert isinstance(outer, list) and len(outer) == 2
    np.testing.assert_array_equal(outer[0], a_val)
    inner = outer[1]
    assert isinstance(inner, tuple) and len(inner) == 2
    np.testing.assert_array_equal(inner[0], b_val)
    deep = inner[1]["deep"]
    assert isinstance(deep, Pair) and isinstance(deep.second, list)
    np.testing.assert_array_equal(deep.first, a_val)
    np.testing.assert_array_equal(deep.second[0], b_val)


def test_fetch_same_node_twice_and_empty_list():
    with gf.Graph().as_default():
        x, _a, b = _chain()
        with gf.Session() as sess:
            first, second = sess.run([b, b], {x: np.zeros(3)})
            assert sess.run([], {x: np.zeros(3)}) == []
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, [1.0, 1.0, 1.0])


def test_ops_without_output_fetch_as_none():
    with gf.Graph().as_default():
        v = gf.Variable(np.array([1.0, 2.0]), name="v")
        loss = gf.reduce_sum(v * v)
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        grouped = gf.group(v.assign(v * 2.0))
        with gf.Session() as sess:
            assert sess.run(train) is None
            assert sess.run(gf.no_op()) is None
            result = sess.run([train, {"g": grouped}, loss])
    assert result[0] is None and result[1] == {"g": None}
    assert isinstance(result[2], np.floating | np.ndarray)


def test_fetch_and_feed_by_name():
    with gf.Graph().as_default():
        x, _a, b = _chain()
        with gf.Session() as sess:
            by_name = sess.run("b:0", {"x:0": [1.0, 1.0, 1.0]})
            op_and_tensor = sess.run(["a", b], {x: [0.0, 0.0, 1.0]})
            with pytest.raises(ValueError, match=r"The name 'x' looks like an op name, not a tensor name.*'x:0'"):
                sess.run(b, {"x": [1.0, 1.0, 1.0]})
    np.testing.assert_array_equal(by_name, [3.0, 3.0, 3.0])
    assert op_and_tensor[0] is None, "a name without :0 is an op: it runs and fetches as None, as in TF-1"
    np.testing.assert_array_equal(op_and_tensor[1], [1.0, 1.0, 3.0])


# --------------------------------------------------------------------------------------------------------------------
# Feeds


@pytest.mark.parametrize(
    "value",
    [[1.0, 2.0, 3.0], (1.0, 2.0, 3.0), np.array([1.0, 2.0, 3.0]), np.array([1, 2, 3]), np.float32([1, 2, 3])],
    ids=["list", "tuple", "float64-array", "int-array", "float32-array"],
)
def test_feed_lists_and_arrays_are_converted_to_the_placeholder_dtype(value):
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [3], name="x")
        y = x * 2.0
        with gf.Session() as sess:
            out = sess.run(y, {x: value})
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [2.0, 4.0, 6.0])


def test_feed_scalar():
    with gf.Graph().as_default():
        s = gf.placeholder(gf.float64, [], name="s")
        with gf.Session() as sess:
            assert sess.run(s * 3.0, {s: 2}) == 6.0
            assert sess.run(s + 1.0, {s: np.float64(0.5)}) == 1.5


def test_float32_placeholder_converts_a_float64_array():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 2], name="x")
        with gf.Session() as sess:
            fed = np.array([[0.1, 0.2]], dtype=np.float64)
            out = sess.run(x, {x: fed})
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, fed.astype(np.float32))


def test_placeholder_without_dtype_takes_the_fed_dtype():
    with gf.Graph().as_default():
        x = gf.placeholder()
        assert x.dtype is None and x.shape is None
        y = x * 2.0
        with gf.Session() as sess:
            from_list = sess.run(y, {x: [1.0, 2.0]})
            from_f32 = sess.run(y, {x: np.float32([1.0, 2.0])})
            from_ints = sess.run(x, {x: [[1, 2], [3, 4]]})
    assert from_list.dtype == np.float64  # the tutorial feeds lists of Python floats
    np.testing.assert_array_equal(from_list, [2.0, 4.0])
    assert from_f32.dtype == np.float32  # a Python number keeps the fed precision
    assert from_ints.dtype.kind == "i" and from_ints.shape == (2, 2)


def test_feeding_an_intermediate_op_overrides_it_for_that_run_only():
    with gf.Graph().as_default():
        x, a, b = _chain()
        with gf.Session() as sess:
            overridden = sess.run(b, {a: [10.0, 20.0, 30.0]})  # x is not needed: a is fed
            normal = sess.run(b, {x: [1.0, 1.0, 1.0]})
    np.testing.assert_array_equal(overridden, [11.0, 21.0, 31.0])
    np.testing.assert_array_equal(normal, [3.0, 3.0, 3.0])


def test_feeding_a_variable_overrides_it_for_that_run_only():
    with gf.Graph().as_default():
        v = gf.Variable(np.array([1.0, 2.0]), name="v")
        y = v * 10.0
        with gf.Session() as sess:
            assert sess.run(y, {v: [3.0, 4.0]}).tolist() == [30.0, 40.0]
            assert sess.run(y).tolist() == [10.0, 20.0]
            assert sess.run(v).tolist() == [1.0, 2.0]


def test_feeding_a_variable_that_the_run_updates_is_refused():
    with gf.Graph().as_default():
        v = gf.Variable(1.0, name="v")
        inc = v.assign_add(1.0)
        with gf.Session() as sess:
            with pytest.raises(gf.errors.InvalidArgumentError, match="'v'"):
                sess.run(inc, {v: 5.0})
            assert sess.run(v) == 1.0


# --------------------------------------------------------------------------------------------------------------------
# Plans: cache and freed slots


def test_plan_cache_compiles_each_request_once(monkeypatch):
    built = []

    def counting(*args, **kwargs):
        built.append(1)
        return compile_plan(*args, **kwargs)

    compile_plan = session_module.compile_plan
    monkeypatch.setattr(session_module, "compile_plan", counting)
    with gf.Graph().as_default():
        x, a, b = _chain()
        with gf.Session() as sess:
            for value in ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], np.zeros(3)):
                sess.run(b, {x: value})
            assert len(built) == 1 and len(sess._plans) == 1
            assert sess.run(b, {x: [1.0, 1.0, 1.0]}).tolist() == [3.0, 3.0, 3.0]  # the replayed plan is right

            sess.run([b], {x: np.zeros(3)})  # another structure, same leaves: the plan is keyed by the leaves
            sess.run({"k": (b,)}, {x: np.zeros(3)})
            assert len(built) == 1
            sess.run([a, b], {x: np.zeros(3)})  # other leaves -> new plan
            assert len(built) == 2
            sess.run(b, {a: np.zeros(3)})  # another feed key set -> new plan
            sess.run(b, {x: np.zeros(3), a: np.zeros(3)})
            assert len(built) == 4 and len(sess._plans) == 4
            sess.run(b, {a: np.ones(3), x: np.ones(3)})  # same key set, other order: cached
            assert len(built) == 4


def test_plan_is_pruned_to_what_the_fetches_need():
    with gf.Graph().as_default():
        x, a, b = _chain()
        unrelated = gf.placeholder(gf.float64, name="unrelated") * 5.0
        with gf.Session() as sess:
            sess.run(a, {x: np.zeros(3)})  # neither b nor the unfed `unrelated` placeholder is needed
            (plan,) = sess._plans.values()
    assert set(plan.nodes) == {x, a, a.inputs[1]}  # x, the constant 2.0 and a; not b, not `unrelated`
    assert b not in plan.nodes and unrelated.inputs[0] not in plan.nodes


def test_plan_steps_free_intermediate_values_after_their_last_reader():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3], name="x")
        a = gf.exp(x, name="a")
        b = gf.log(a, name="b")
        c = gf.square(b, name="c")
        with gf.Session() as sess:
            np.testing.assert_allclose(sess.run(c, {x: [1.0, 2.0, 3.0]}), [1.0, 4.0, 9.0])
            plan = plan_for(sess, [c])
            slot = {node: i for i, node in enumerate(plan.nodes)}
            freed_by = {step.op.op_name: set(step.frees) for step in plan.steps}
            assert slot[a] in freed_by["b"]  # a's only reader is b
            assert slot[b] in freed_by["c"]
            assert slot[c] not in set().union(*freed_by.values())  # the fetch is kept

            sess.run([c, a], {x: [1.0, 2.0, 3.0]})
            plan2 = plan_for(sess, [c, a])
            freed2 = set().union(*(set(step.frees) for step in plan2.steps))
            assert plan2.nodes.index(a) not in freed2  # a is fetched too, so it must survive the run
            assert plan2.nodes.index(b) in freed2


def test_freed_slots_are_really_cleared_during_the_run():
    """Running the plan sets each freed slot to None right after the step that last reads it."""

    class Env(list):
        def __init__(self, items, log):
            super().__init__(items)
            self.log = log

        def __setitem__(self, index, value):
            self.log.append((index, value is None))
            super().__setitem__(index, value)

    log: list[tuple[int, bool]] = []

    class Template(list):
        def copy(self):
            return Env(self, log)

    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2], name="x")
        a = gf.exp(x, name="a")
        b = gf.log(a, name="b")
        c = gf.square(b, name="c")
        with gf.Session() as sess:
            sess.run(c, {x: [0.0, 1.0]})
            plan = plan_for(sess, [c])
            plan.template = Template(plan.template)
            np.testing.assert_allclose(sess.run(c, {x: [0.0, 2.0]}), [0.0, 4.0])
    slot = {node: i for i, node in enumerate(plan.nodes)}
    # a is written, then read by b, then cleared, before c is computed.
    assert log.index((slot[a], False)) < log.index((slot[b], False)) < log.index((slot[a], True))
    assert log.index((slot[a], True)) < log.index((slot[c], False))
    assert (slot[c], True) not in log


# --------------------------------------------------------------------------------------------------------------------
# Variables live in the session


def test_two_sessions_on_one_graph_are_independent():
    with gf.Graph().as_default():
        w = gf.Variable(np.array([1.0, -2.0]), name="w")
        loss = gf.reduce_sum(w * w)
        train = gf.train.GradientDescentOptimizer(0.25).minimize(loss)
        with gf.Session() as trained, gf.Session() as fresh:
            for _ in range(3):
                trained.run(train)
            np.testing.assert_allclose(trained.run(w), [0.125, -0.25])
            np.testing.assert_array_equal(fresh.run(w), [1.0, -2.0])
            fresh.run(train)
            np.testing.assert_allclose(fresh.run(w), [0.5, -1.0])
            np.testing.assert_allclose(trained.run(w), [0.125, -0.25])


def test_variables_are_initialised_on_first_use_without_an_initializer():
    with gf.Graph().as_default():
        v = gf.Variable(np.array([1.0, 2.0]), name="v")
        from_node = gf.Variable(gf.ones([2], dtype=gf.float64) * 3.0, name="from_node")
        with gf.Session() as sess:
            assert sess.run(v + from_node).tolist() == [4.0, 5.0]
            assert sess.run(from_node).tolist() == [3.0, 3.0]


def test_global_variables_initializer_resets_after_training():
    with gf.Graph().as_default():
        w = gf.Variable(np.array([1.0, 2.0]), name="w")
        train = gf.train.MomentumOptimizer(0.1, 0.9).minimize(gf.reduce_sum(w * w))
        init = gf.global_variables_initializer()
        with gf.Session() as sess:
            sess.run(init)
            sess.run(train)
            sess.run(train)
            assert not np.allclose(sess.run(w), [1.0, 2.0])
            slot = gf.global_variables()[1]
            assert slot.op.name == "w/Momentum" and np.any(sess.run(slot) != 0)
            assert sess.run(init) is None
            np.testing.assert_array_equal(sess.run(w), [1.0, 2.0])
            np.testing.assert_array_equal(sess.run(slot), [0.0, 0.0])  # slots are reset too


def test_variables_initializer_resets_only_the_listed_variables():
    with gf.Graph().as_default():
        v = gf.Variable(5.0, name="v")
        u = gf.Variable(7.0, name="u")
        bump = gf.group(v.assign_add(1.0), u.assign_add(1.0))
        with gf.Session() as sess:
            sess.run(bump)
            sess.run(gf.variables_initializer([v]))
            assert sess.run([v, u]) == [5.0, 8.0]


def test_trainable_and_global_variables_in_creation_order_with_optimizer_slots_not_trainable():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        h = gf.layers.dense(x, 4)
        gf.Variable(0, trainable=False, name="counter")
        loss = gf.reduce_mean(gf.square(h))
        gf.train.AdamOptimizer().minimize(loss)
        trainable = [v.op.name for v in gf.trainable_variables()]
        every = [v.op.name for v in gf.global_variables()]
    assert trainable == ["dense/kernel", "dense/bias"]
    assert every == [
        "dense/kernel",
        "dense/bias",
        "counter",
        "beta1_power",
        "beta2_power",
        "dense/kernel/Adam",
        "dense/kernel/Adam_1",
        "dense/bias/Adam",
        "dense/bias/Adam_1",
    ]
    assert "counter" not in trainable


def test_fetched_values_are_writable_copies():
    with gf.Graph().as_default():
        v = gf.Variable(np.array([1.0, 2.0]), name="v")
        c = gf.constant(np.array([3.0, 4.0]), name="c")
        with gf.Session() as sess:
            value = sess.run(v)
            value[0] = 100.0  # must not raise, and must not reach the session
            const = sess.run(c)
            const[:] = 0.0
            assert sess.run(v).tolist() == [1.0, 2.0]
            assert sess.run(c).tolist() == [3.0, 4.0]
            assigned = sess.run(v.assign([5.0, 6.0]))
            assigned[1] = -1.0
            assert sess.run(v).tolist() == [5.0, 6.0]


def test_variable_load_sets_the_value_in_the_session():
    with gf.Graph().as_default():
        v = gf.Variable(np.zeros(2), name="v")
        with gf.Session() as default:
            v.load([1.0, 2.0])  # the default session
            other = gf.Session()
            v.load(np.array([5.0, 6.0]), session=other)
            assert default.run(v).tolist() == [1.0, 2.0]
            assert other.run(v).tolist() == [5.0, 6.0]
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"\(3,\)"):
                v.load([1.0, 2.0, 3.0])


def test_variable_load_does_not_keep_an_alias_of_the_callers_array():
    with gf.Graph().as_default():
        v = gf.Variable(np.zeros(2), name="v")
        with gf.Session() as sess:
            mine = np.array([1.0, 2.0])
            v.load(mine, sess)
            mine[0] = 50.0  # the caller's array stays writable and independent of the session
            assert sess.run(v).tolist() == [1.0, 2.0]


def test_assignments_in_one_run_are_sequential_and_plain_reads_see_the_start_value():
    """Within a run, each update of a variable sees the updates before it in plan order (fetch order here), so two
    `assign_add(1)` add 2; a plain read of the variable sees its value at the start of the run, wherever it appears.
    """
    with gf.Graph().as_default():
        v = gf.Variable(0.0, name="v")
        first, second = v.assign_add(1.0), v.assign_add(1.0)
        with gf.Session() as sess:
            assert sess.run([first, second]) == [1.0, 2.0]
            assert sess.run(v) == 2.0
            assert sess.run([v, first, v * 1.0]) == [2.0, 3.0, 2.0]
            assert sess.run([first, v]) == [4.0, 3.0]
            assert sess.run(v) == 4.0
            # Reading an assign op's output sees the new value.
            assert sess.run(first * 10.0) == 50.0
            # Deterministic: the same request gives the same sequence every time.
            assert sess.run([second, first]) == [6.0, 7.0]
            assert sess.run([second, first]) == [8.0, 9.0]


def test_closed_session_raises():
    with gf.Graph().as_default():
        v = gf.Variable(1.0, name="v")
        sess = gf.Session()
        assert sess.run(v) == 1.0
        sess.close()
        with pytest.raises(RuntimeError, match="closed Session"):
            sess.run(v)
        with gf.Session() as sess2:
            pass
        with pytest.raises(RuntimeError, match="closed"):
            sess2.run(v)


def test_default_session_for_eval():
    with gf.Graph().as_default():
        x, _a, b = _chain()
        v = gf.Variable(2.0, name="v")
        with gf.Session() as sess:
            assert gf.get_default_session() is sess
            assert b.eval({x: [0.0, 1.0, 2.0]}).tolist() == [1.0, 3.0, 5.0]
            assert v.eval() == 2.0
        assert gf.get_default_session() is None
        with pytest.raises(ValueError, match="No session"):
            v.eval()
        other = gf.Session()
        assert v.eval(session=other) == 2.0


def test_ops_run_in_the_default_session_as_in_tf1():
    with gf.Graph().as_default():
        v = gf.Variable(1.0)
        step = gf.assign_add(v, 2.0)
        with gf.Session() as sess:
            gf.global_variables_initializer().run()
            assert step.run() is None
            step.run(session=sess)
            assert v.eval() == 5.0
        with pytest.raises(ValueError, match="No session"):
            step.run()


# --------------------------------------------------------------------------------------------------------------------
# Seeds, default graph, naming


def test_graph_seed_gives_the_same_initial_weights_in_new_sessions_and_rebuilt_graphs():
    def build():
        gf.set_random_seed(1)
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        gf.layers.dense(x, 4)
        gf.Variable(gf.random_normal([5]), name="noise")
        return gf.global_variables()

    with gf.Graph().as_default():
        variables = build()
        first = gf.Session().run(variables)
        second = gf.Session().run(variables)
    with gf.Graph().as_default():
        rebuilt = gf.Session().run(build())
    for u, v, w in zip(first, second, rebuilt, strict=True):
        np.testing.assert_array_equal(u, v)
        np.testing.assert_array_equal(u, w)
    kernel = first[0]
    assert kernel.shape == (3, 4) and np.std(kernel) > 0  # random, not constant
    assert np.all(np.abs(kernel) <= np.sqrt(6.0 / 7.0))  # glorot uniform bound


def test_without_a_seed_sessions_draw_fresh_values():
    with gf.Graph().as_default():
        r = gf.Variable(gf.random_normal([8]), name="r")
        assert not np.array_equal(gf.Session().run(r), gf.Session().run(r))


@pytest.mark.usefixtures("restore_default_graph")
def test_as_default_without_with_makes_the_graph_the_default():
    g = gf.Graph()
    g.as_default()  # tutorial style
    assert gf.get_default_graph() is g
    p = gf.placeholder()
    assert p.graph is g
    h = gf.Graph()
    with h.as_default():
        assert gf.get_default_graph() is h
    assert gf.get_default_graph() is g


@pytest.mark.usefixtures("restore_default_graph")
def test_reset_default_graph_gives_a_new_empty_graph():
    before = gf.get_default_graph()
    gf.placeholder(name="before_reset")
    gf.reset_default_graph()
    after = gf.get_default_graph()
    assert after is not before and after.nodes == ()
    assert gf.placeholder(name="before_reset").op.name == "before_reset"  # names start afresh


def test_unique_names():
    with gf.Graph().as_default():
        assert gf.placeholder().op.name == "Placeholder"
        assert gf.placeholder().op.name == "Placeholder_1"
        assert gf.placeholder(name="x").op.name == "x"
        assert gf.placeholder(name="x").op.name == "x_1"
        assert gf.placeholder(name="x").op.name == "x_2"
        assert gf.Variable(1.0, name="w").op.name == "w"
        assert gf.Variable(1.0, name="w").op.name == "w_1"
        assert gf.Variable(1.0).op.name == "Variable"
        assert gf.constant(1.0).op.name == "Const"
        c = gf.constant(2.0)
        assert c.op.name == "Const_1"
        assert gf.add(c, c, name="y").op.name == "y"
        assert gf.multiply(c, c, name="y").op.name == "y_1"  # unique across op types
        assert gf.get_default_graph().get_tensor_by_name("y_1:0").type == "Mul"
        # As in TF-1: names are unique ignoring case, and one ending in "/" is taken as it is.
        assert [gf.constant(1.0, name=n).op.name for n in ("Foo", "foo", "FOO", "exact/")] == [
            "Foo", "foo_1", "FOO_2", "exact",
        ]  # fmt: skip


def test_tensor_and_op_names_follow_tf1():
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float32, [2], name="inp")
        w = gf.Variable([1.0, 2.0], name="w")
        y = gf.multiply(x, w, name="y")
        train = gf.group(gf.assign_add(w, y), name="train")
        assert (x.name, w.name, y.name, train.name) == ("inp:0", "w:0", "y:0", "train")
        assert (x.op.name, y.op.type, train.op.name) == ("inp", "Mul", "train")
        assert y.op.inputs == (x, w) and y.op.outputs == (y,) and train.op.outputs == ()
        assert graph.get_tensor_by_name("y:0") is y
        assert graph.get_operation_by_name("y") == y.op and graph.get_operation_by_name("y").name == "y"
        assert graph.as_graph_element("inp:0") is x and graph.as_graph_element("train") == train.op
        assert [op.name for op in graph.get_operations()][:3] == ["inp", "w", "y"]
        with pytest.raises(ValueError, match=r"'y' looks like an op name, not a tensor name.*'y:0'"):
            graph.get_tensor_by_name("y")
        with pytest.raises(ValueError, match=r"'y:0' looks like a tensor name.*get_operation_by_name\('y'\)"):
            graph.get_operation_by_name("y:0")
        with pytest.raises(KeyError, match=r"'y:1' refers to a tensor which does not exist: the op 'y' .* 1 output"):
            graph.get_tensor_by_name("y:1")
        with pytest.raises(KeyError, match="there is no op 'yy'; similar names: y"):
            graph.get_tensor_by_name("yy:0")
        with gf.Session() as sess:
            assert sess.run(y.op, {x: [1.0, 1.0]}) is None, "fetching an op gives None, as in TF-1"
            assert sess.run(train.op, {"inp:0": [1.0, 1.0]}) is None
            assert sess.run("w:0").tolist() == [2.0, 4.0]
            with gf.control_dependencies([train.op]):
                after = gf.identity(w)
            assert sess.run(after, {x: [1.0, 0.0]}).tolist() == [4.0, 4.0]
            train.op.run({x: [1.0, 0.0]}, session=sess)
            assert sess.run(w).tolist() == [8.0, 4.0]


@pytest.mark.parametrize("bad", ["with space", "colon:0", "tab\tname", "$x^$", "_leading", "new\nline"])
def test_invalid_names_are_refused_with_the_name_and_a_valid_spelling(bad):
    with gf.Graph().as_default():
        message = f"{re.escape(repr(bad))} is not a valid node name: .* Use for example '"
        with pytest.raises(ValueError, match=message):
            gf.placeholder(gf.float32, name=bad)
    with gf.Graph().as_default():
        with pytest.raises(ValueError, match=f"{re.escape(repr(bad))} is not a valid top-level scope name"):
            gf.name_scope(bad).__enter__()
        with gf.name_scope("outer"):
            if bad == "_leading":  # TF-1: a nested scope may start with "_"
                with gf.name_scope(bad):
                    assert gf.constant(1.0).op.name == "outer/_leading/Const"
            else:
                with pytest.raises(ValueError, match=f"{re.escape(repr(bad))} is not a valid scope name"):
                    gf.name_scope(bad).__enter__()
        assert gf.constant(1.0, name="fine.name-1/x>y").op.name == "fine.name-1/x>y"


def test_name_scope_nesting():
    with gf.Graph().as_default():
        with gf.name_scope("outer") as scope:
            assert scope == "outer/"
            a = gf.placeholder(gf.float32, name="a")
            v = gf.Variable(1.0, name="v")
            with gf.name_scope("inner"):
                m = gf.add(a, v)
            with gf.name_scope("inner"):
                m2 = gf.add(a, v)
        with gf.name_scope("outer"):
            k = gf.constant(1.0)
    assert (a.op.name, v.op.name) == ("outer/a", "outer/v")
    assert m.op.name == "outer/inner/Add"
    assert m2.op.name == "outer/inner_1/Add"
    assert k.op.name == "outer_1/Const"


def test_nodes_record_the_role_they_were_built_in():
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [None, 2], name="x")
        w = gf.Variable(np.zeros((2, 1), np.float32), name="w")
        h = gf.layers.dense(x, 1)
        loss = gf.reduce_mean(gf.square(gf.matmul(x, w) + h))
        (dw,) = gf.gradients(loss, [w])
        train = gf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
        init = gf.global_variables_initializer()
        with g.role_scope("update"):
            manual = w.assign_sub(0.1 * dw)
        after = gf.identity(loss)
        with pytest.raises(ValueError, match="role must be one of"), g.role_scope("backward"):
            pass
    roles = {n.op.name: n.role for n in g.nodes}
    assert {x.role, w.role, h.role, loss.role, after.role} == {"forward"}
    assert dw.role == "gradient"
    assert {r for n, r in roles.items() if n.startswith(("gradients/", "gradients_1/"))} == {"gradient"}
    assert train.role == manual.role == roles["w/Momentum"] == roles["Momentum/ApplyMomentum"] == "update"
    assert init.role == w.initializer.role == w.initial_value.role == "initializer"
    initial = ("dense/kernel/Initializer/RandomUniform", "dense/bias/Initializer/Const")
    assert {roles[n] for n in initial} == {"initializer"}  # dense hands its variables callables
    assert roles["w/Momentum/Assign"] == "initializer"  # a slot's own initializer, though the slot is an update's


def test_dense_layer_variable_names():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 5], name="x")
        h = gf.layers.dense(x, 3, activation=gf.nn.relu)
        y = gf.layers.dense(h, 2)
        gf.layers.dense(y, 2, name="named")
        names = [v.op.name for v in gf.trainable_variables()]
        shapes = [tuple(v.shape) for v in gf.trainable_variables()]
    assert names == ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "named/kernel", "named/bias"]
    assert shapes == [(5, 3), (3,), (3, 2), (2,), (2, 2), (2,)]
    assert h.op.name.startswith("dense/") and y.op.name.startswith("dense_1/")


# --------------------------------------------------------------------------------------------------------------------
# Recycled update buffers: a variable's old value becomes the buffer its next update writes into


def test_updates_recycle_the_replaced_value_and_never_touch_shared_or_fetched_arrays():
    with gf.Graph().as_default():
        initial = np.array([1.0, 2.0, 3.0])
        v = gf.Variable(initial, name="v")
        step = v.assign_add(np.ones(3))
        with gf.Session() as a, gf.Session() as b:
            fetched = [a.run(step) for _ in range(4)]  # each fetch is the caller's own copy
            for k, value in enumerate(fetched):
                np.testing.assert_array_equal(value, initial + k + 1)
            assert b.run(v).tolist() == [1.0, 2.0, 3.0]  # the initial value another session shares is untouched
            buffers = {id(a._values[v]), id(a._spares[v])}
            for _ in range(3):
                a.run(step)
                assert {id(a._values[v]), id(a._spares[v])} == buffers  # two buffers take turns, none allocated
            assert not a._values[v].flags.writeable
        np.testing.assert_array_equal(initial, [1.0, 2.0, 3.0])


def test_a_failed_run_leaves_a_recycled_variable_as_it_was():
    with gf.Graph().as_default():
        v = gf.Variable(np.zeros(2), name="v")
        x = gf.placeholder(gf.float64, [2], name="x")
        step = v.assign_add(x)
        late_failure = gf.group(step, gf.check_numerics(gf.log(x), "log"))  # fails after the update was written
        with gf.Session() as sess, np.errstate(all="ignore"):
            for _ in range(3):
                sess.run(step, {x: [1.0, 1.0]})
            with pytest.raises(gf.errors.InvalidArgumentError, match="log"):
                sess.run(late_failure, {x: [-1.0, 5.0]})
            assert sess.run(v).tolist() == [3.0, 3.0]
            sess.run(step, {x: [1.0, 1.0]})
            assert sess.run(v).tolist() == [4.0, 4.0]


def test_two_updates_of_one_variable_in_a_run_each_hand_on_their_own_value():
    with gf.Graph().as_default():
        v = gf.Variable(np.zeros(2), name="v")
        first, second = v.assign_add(np.ones(2)), v.assign_add(np.ones(2))
        with gf.Session() as sess:
            for k in range(3):
                a, b = sess.run([first, second])
                assert a.tolist() == [2 * k + 1] * 2 and b.tolist() == [2 * k + 2] * 2


@pytest.mark.parametrize("size", [3, passes.IN_PLACE_BYTES // 8])
def test_elementwise_steps_write_into_inputs_they_read_last_but_never_into_shared_values(size):
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [size], name="x")
        scale = np.linspace(1.0, 3.0, size)
        w = gf.Variable(scale, name="w")
        t = gf.multiply(x, w, name="t")  # a new array
        u = gf.add(gf.exp(t, name="e"), 1.0, name="u")  # may write into e's array: nothing else reads it
        kept = gf.identity(t, name="kept")  # a view of t that is fetched, so t must never be overwritten
        y = gf.square(t, name="y")
        with gf.Session() as sess:
            feed = np.linspace(0.5, 2.0, size)
            u_value, y_value, kept_value = sess.run([u, y, kept], {x: feed})
            plan = plan_for(sess, [u, y, kept])
    np.testing.assert_allclose(u_value, np.exp(feed * scale) + 1.0)
    np.testing.assert_allclose(y_value, (feed * scale) ** 2)
    np.testing.assert_allclose(kept_value, feed * scale)
    np.testing.assert_array_equal(feed, np.linspace(0.5, 2.0, size))  # a fed array is never written
    in_place = {step.op.op_name for step in plan.steps if step.into is not None}
    # Below IN_PLACE_BYTES (known from the static shape) numpy allocates a new array faster than it writes into one.
    assert in_place == (set() if size * 8 < passes.IN_PLACE_BYTES else {"u"})


def _written_into(plan, op_type: str) -> list[int | None]:
    """For each step of `op_type` in `plan`, the input it writes its result into (None: a new array)."""
    return [step.into for step in plan.steps if step.op.type == op_type]


def test_a_dense_layer_and_its_gradient_work_in_the_arrays_of_the_steps_before_them():
    rng = np.random.default_rng(0)
    w1_value, w2_value = rng.standard_normal((6, 5)).astype(np.float32), rng.standard_normal((5, 3)).astype(np.float32)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 6], name="x")
        labels = gf.placeholder(gf.int64, [None], name="labels")
        w1, w2 = gf.Variable(w1_value, name="w1"), gf.Variable(w2_value, name="w2")
        pre = gf.matmul(x, w1, name="pre")
        hidden = gf.nn.relu(pre + 0.1, name="hidden")
        logits = gf.matmul(hidden, w2, name="logits") + 0.2
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        fetches = [pre, *gf.gradients(loss, [w1, w2])]  # `pre` is fetched: its bias add must not write into it
        feed = {x: rng.standard_normal((4, 6)).astype(np.float32), labels: np.array([0, 2, 1, 2])}
        with gf.Session() as fast, gf.Session(debug_nans=True) as plain:  # debug_nans plans allocate every result
            got, want = fast.run(fetches, feed), plain.run(fetches, feed)
            plan = next(iter(fast._plans.values()))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(got[0], feed[x] @ w1_value)
    assert _written_into(plan, "Add") == [None, 0]  # the logits' bias add writes into its matmul's array
    assert _written_into(plan, "Relu") == [0]  # into the bias add's array
    assert _written_into(plan, "SparseSoftmaxCrossEntropyWithLogitsGrad") == [2]  # into the logits'
    assert _written_into(plan, "ReluGrad") == [0]  # into the gradient from the matmul above
    assert set(_written_into(plan, "MatMul")) == {None}  # a product never goes into one of its factors


SPECIAL_VALUES = [-0.0, 0.0, -1.5, 2.5, np.nan, -np.inf, np.inf, 1e-30, -1e-30]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [3, 2000])
def test_a_bias_add_read_only_by_a_relu_runs_with_it_as_one_step_with_the_values_of_the_two(dtype, rows):
    rng = np.random.default_rng(1)
    x_value = rng.choice(np.array(SPECIAL_VALUES, dtype), size=(rows, 9))
    b_value = np.array(SPECIAL_VALUES[::-1], dtype)
    with gf.Graph().as_default():
        x = gf.placeholder(dtype, [None, 9], name="x")
        b = gf.Variable(b_value, name="b")
        y = gf.nn.relu(gf.exp(x) * 1.0 + b, name="y")  # the product is a new array: the pair may work in it
        with gf.Session() as sess:
            sess.run(b.initializer)
            with np.errstate(invalid="ignore", over="ignore"):
                got = sess.run(y, {x: x_value})
                want = np.maximum(np.exp(x_value) * 1.0 + b_value, 0)
            plan = plan_for(sess, [y])
    assert [step.op.type for step in plan.steps] == ["Exp", "Mul", "Relu"]
    assert _written_into(plan, "Relu") == [0]  # into the product's array
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_a_bias_add_runs_on_its_own_when_something_else_reads_it_or_the_session_debugs():
    def plan_types(fetch_sum, debug=False, bias_shape=(4,)):
        with gf.Graph().as_default():
            x = gf.placeholder(gf.float32, [None, 4])
            z = gf.matmul(x, gf.constant(np.eye(4, dtype=np.float32))) + np.ones(bias_shape, np.float32)
            y = gf.nn.relu(z)
            fetches = [y, z] if fetch_sum else [y]
            with gf.Session(debug_nans=debug) as sess:
                values = sess.run(fetches, {x: [[1.0, -2.0, 0.0, 3.0]]})
                (plan,) = sess._plans.values()
            np.testing.assert_array_equal(values[0], [[2.0, 0.0, 1.0, 4.0]])
            return [step.op.type for step in plan.steps]

    assert plan_types(fetch_sum=False) == ["MatMul", "Relu"]  # the pair is one step
    assert plan_types(fetch_sum=True) == ["MatMul", "Add", "Relu"]  # the sum is fetched
    assert plan_types(fetch_sum=False, debug=True) == ["MatMul", "Add", "Relu"]  # each op's result is checked
    assert plan_types(fetch_sum=False, bias_shape=()) == ["MatMul", "Add", "Relu"]  # a scalar, not a bias


@pytest.mark.parametrize(
    ("x", "b"),
    [
        (np.arange(-6.0, 6.0).reshape(4, 3).T, np.array([0.5, -1.0, 2.0, 0.0])),  # not C-contiguous
        (np.arange(-6.0, 6.0).reshape(3, 4), np.array([0.5, -1.0, 2.0, 0.0], np.float32)),  # another dtype
        (np.arange(-6.0, 6.0).reshape(2, 3, 2), np.array([1.0, -1.0])),  # three axes
    ],
)
def test_the_fused_bias_relu_gives_the_two_ops_values_for_inputs_its_loop_does_not_take(x, b):
    from graphflow.ops.activation import bias_relu

    np.testing.assert_array_equal(bias_relu(x, b), np.maximum(x + b, 0))
    out = np.empty(np.broadcast_shapes(x.shape, b.shape))
    assert bias_relu(x, b, out=out) is out
    np.testing.assert_array_equal(out, np.maximum(x + b, 0))


@pytest.mark.parametrize(
    "out",
    [np.full((3, 5), 7.0, np.float32), np.full((3, 4), 7.0), np.full((4, 3), 7.0, np.float32).T],
    ids=["another shape", "another dtype", "not C-contiguous"],
)
def test_the_fused_bias_relu_refuses_an_out_its_loop_cannot_write_before_writing(out):
    from graphflow.ops.activation import bias_relu

    x, b = np.arange(-6.0, 6.0, dtype=np.float32).reshape(3, 4), np.ones(4, np.float32)
    before = out.copy()
    with pytest.raises(ValueError, match=r"out must be a C-contiguous float32 array of shape \(3, 4\)"):
        bias_relu(x, b, out=out)
    np.testing.assert_array_equal(out, before)


def test_a_step_planned_in_place_allocates_when_the_run_time_shapes_broadcast():
    from graphflow.ops.activation import relu_grad

    with gf.Graph().as_default():
        g, x = gf.placeholder(gf.float64, None, name="g"), gf.placeholder(gf.float64, None, name="x")
        e = gf.exp(g, name="e")  # a new array, read last by relu_grad: planned in place, shapes unknown
        y = relu_grad(e, x)
        with gf.Session() as sess:
            small = sess.run(y, {g: [0.0, 1.0], x: [1.0, -1.0]})  # same shapes: written into e's array
            wide = sess.run(y, {g: [0.0, 1.0], x: [[1.0, -1.0], [-1.0, 1.0]]})  # e is broadcast: a new array
            plan = next(iter(sess._plans.values()))
    assert _written_into(plan, "ReluGrad") == [0]
    np.testing.assert_array_equal(small, [1.0, 0.0])
    np.testing.assert_array_equal(wide, [[1.0, 0.0], [0.0, np.e]])


def test_a_step_planned_in_place_allocates_when_its_result_cannot_be_cast_into_the_input():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.int64, [None, 3], name="x")  # a size known only at run time: planned in place
        doubled = x * 2  # a new int64 array, read last by the softmax: planned in place
        y = gf.nn.softmax(doubled)
        with gf.Session() as sess:
            got = sess.run(y, {x: [[0, 1, 2], [3, 3, 3]]})
            plan = next(iter(sess._plans.values()))
    assert _written_into(plan, "Softmax") == [0]
    e = np.exp(np.array([[0, 2, 4], [6, 6, 6]]) - [[4], [6]])
    np.testing.assert_allclose(got, e / e.sum(axis=1, keepdims=True))


def test_a_training_plan_has_one_step_per_op_and_fused_updates_fill_consecutive_slots():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 3], name="x")
        w = gf.Variable(np.ones((3, 2)), name="w")
        b = gf.Variable(np.zeros(2), name="b")
        loss = gf.reduce_mean(gf.square(gf.matmul(x, w) + b))
        train = gf.train.AdamOptimizer(0.1).minimize(loss)
        with gf.Session() as sess:
            sess.run(train, {x: np.ones((4, 3))})
            plan = plan_for(sess, [train])
            ops = [n for n in plan.nodes if isinstance(n, gf.Operation) and n is not x]
            assert len(plan.steps) == len(ops)  # no extra step hands out an update's values
            updates = [(step.output, step.op) for step in plan.steps if type(step.output) is slice]
            assert sorted(op.type for _, op in updates) == ["ApplyAdam", "ApplyAdam"]
            for out, op in updates:
                assert out.stop - out.start == 3  # the variable and its two moments
                assert {plan.node_at(s) for s in range(out.start, out.stop)} == {op}
            sess.run(train, {x: np.ones((4, 3))})
            committed = {var.op.name for var, s in plan.commits if plan.node_at(s).type == "ApplyAdam"}
    assert {"w", "b"} <= committed and len(committed) == 6  # w, b and their m and v slots


def test_a_large_intermediate_reuses_its_array_in_the_next_run_but_a_fetched_result_never_does():
    rows = passes.RECYCLE_BYTES // (8 * 10) + 1  # a (rows, 10) float64 product is just large enough
    rng = np.random.default_rng(0)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 4], name="x")
        w = gf.Variable(rng.standard_normal((4, 10)), name="w")
        y = gf.matmul(x, w, name="y")
        total = gf.reduce_sum(gf.matmul(x, w, name="hidden"), name="total")  # the product is not fetched
        with gf.Session() as sess:
            w_value = sess.run(w)
            feeds = [rng.standard_normal((rows, 4)) for _ in range(3)]
            sums = [sess.run(total, {x: f}) for f in feeds]
            plan = plan_for(sess, [total])
            (kept,) = plan.pool.arrays()  # the product's array, made by the first run and written by the others
            sess.run(total, {x: feeds[0]})
            assert len(plan.pool.arrays()) == 1 and plan.pool.arrays()[0] is kept
            assert [step.recycle for step in plan.steps if step.op.op_name == "hidden"] == [True]

            results = [sess.run(y, {x: f}) for f in feeds]  # each fetched result is a new array, the caller's
            snapshot = [r.copy() for r in results]
            sess.run(y, {x: feeds[0]})
            assert not plan_for(sess, [y]).pool.arrays() and not any(s.recycle for s in plan_for(sess, [y]).steps)
    for r, want, f in zip(results, snapshot, feeds, strict=True):
        np.testing.assert_array_equal(r, want)  # unchanged by the runs after it
        np.testing.assert_array_equal(r, f @ w_value)
    for got, f in zip(sums, feeds, strict=True):
        np.testing.assert_allclose(got, (f @ w_value).sum())


def test_recycled_intermediates_give_the_results_of_fresh_arrays_across_shapes_and_failures(monkeypatch):
    rng = np.random.default_rng(1)
    feeds = [rng.uniform(0.5, 1.5, (rows, 3)) for rows in (5, 2, 5, 7)]
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 3], name="x")
        w = gf.Variable(rng.standard_normal((3, 2)), name="w")
        hidden = gf.sigmoid(gf.matmul(x, w) + 1.0)
        loss = gf.reduce_sum(gf.square(hidden))
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        guarded = gf.group(train, gf.check_numerics(gf.log(x), "log"))  # fails after the update is computed

        def history(sess):
            values = []
            for feed in feeds:
                values.append(sess.run(hidden, {x: feed}))
                sess.run(guarded, {x: feed})
                values.append(sess.run(w))
            with pytest.raises(gf.errors.InvalidArgumentError, match="log"), np.errstate(invalid="ignore"):
                sess.run(guarded, {x: -np.ones((5, 3))})
            values.append(sess.run(w))  # as it was before the failed run
            return values

        with gf.Session() as plain:  # arrays this small are never kept
            want = history(plain)
            assert not any(plan.pool.arrays() for plan in plain._plans.values())
        monkeypatch.setattr(passes, "RECYCLE_BYTES", 0)  # every result is kept for the next run
        with gf.Session() as keeping:
            got = history(keeping)
            assert any(plan.pool.arrays() for plan in keeping._plans.values())
    np.testing.assert_array_equal(want[-1], want[-2])
    for g, v in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, v)

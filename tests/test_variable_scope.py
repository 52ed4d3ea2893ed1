"""`gf.variable_scope` and `gf.get_variable`: TF-1's names, reuse rules, defaults and errors, and layers that share
their variables through them. The expected names and messages are those TF-1 gives for the same code."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf


@pytest.fixture(autouse=True)
def fresh_graph():
    with gf.Graph().as_default() as graph:
        yield graph


def test_variables_take_the_variable_scope_name_and_ops_a_unique_name_scope():
    with gf.variable_scope("foo") as scope:
        w = gf.get_variable("w", [2, 3])
        a = w + 1.0
    assert (scope.name, scope.original_name_scope) == ("foo", "foo/")
    assert (w.name, a.name, w.initializer.op.name) == ("foo/w:0", "foo/Add:0", "foo/w/Assign")
    with gf.variable_scope("foo", reuse=True):
        again = gf.get_variable("w")
        b = again + 1.0
    assert again is w and b.op.name.startswith("foo_1/")
    with gf.name_scope("ns"):
        v = gf.get_variable("v", [1])
    assert v.op.name == "v", "get_variable ignores name scopes, as in TF-1"


def test_default_names_are_made_unique_and_nested_scopes_join():
    for expected in ("layer/k", "layer_1/k"):
        with gf.variable_scope(None, default_name="layer"):
            assert gf.get_variable("k", [1]).op.name == expected
    with gf.variable_scope("outer"), gf.variable_scope("inner"):
        assert gf.get_variable("q", [1]).op.name == "outer/inner/q"
        assert gf.get_variable_scope().name == "outer/inner"


REFUSED = [
    ("foo", False, "w", [2, 3], None, r"Variable foo/w already exists, disallowed\. Did you mean to set reuse=True"),
    ("foo", True, "zz", [2, 3], None, r"Variable foo/zz does not exist.*Existing ones: foo/w"),
    ("foo", True, "w", [5, 3], None, r"share variable foo/w, but specified shape \(5, 3\) and found shape \(2, 3\)"),
    ("foo", True, "w", [2, 3], gf.float64, r"share variable foo/w, but specified dtype float64"),
    ("", False, "noshape", None, None, r"Variable top/noshape did not get an initializer, so its `shape`"),
]


@pytest.mark.parametrize("scope, reuse, name, shape, dtype, message", REFUSED)
def test_get_variable_refuses_what_tf1_refuses_and_changes_nothing(scope, reuse, name, shape, dtype, message):
    with gf.variable_scope("foo"):
        w = gf.get_variable("w", [2, 3])
    before = list(gf.global_variables())
    with pytest.raises(ValueError, match=message), gf.variable_scope(scope or None, default_name="top", reuse=reuse):
        gf.get_variable(name, shape, dtype)
    assert gf.global_variables() == before and gf.get_variable_scope().name == ""
    with gf.variable_scope("foo", reuse=True):
        assert gf.get_variable("w") is w


def test_reuse_settings():
    made = []
    for _ in range(2):
        with gf.variable_scope("auto", reuse=gf.AUTO_REUSE):
            made.append(gf.get_variable("x", [1]))
    assert made[0] is made[1]
    with gf.variable_scope("r", reuse=True), gf.variable_scope("inner", reuse=False):
        assert gf.get_variable_scope().reuse is True, "a scope inside a reusing scope reuses"
    with gf.variable_scope("sc") as sc:
        first = gf.get_variable("a", [1])
        sc.reuse_variables()
        assert gf.get_variable("a", [1]) is first


def test_initializers_dtypes_and_regularizers():
    with gf.variable_scope("init", initializer=gf.constant_initializer(0.5)):
        half = gf.get_variable("v", [2])
    counts = gf.get_variable("counts", [3], dtype=gf.int32)
    given = gf.get_variable("given", initializer=gf.constant([1.0, 2.0]))
    from_array = gf.get_variable("from_array", initializer=np.arange(4.0).reshape(2, 2))
    glorot = gf.get_variable("glorot", [200, 300])
    gf.get_variable("reg", [2], initializer=gf.ones_initializer(), regularizer=lambda t: 3.0 * gf.reduce_sum(t))
    (penalty,) = gf.get_collection(gf.GraphKeys.REGULARIZATION_LOSSES)
    assert penalty.op.name.startswith("reg/Regularizer/")
    with gf.Session() as sess:
        assert sess.run(half).tolist() == [0.5, 0.5] and half.dtype == np.float32
        assert sess.run(counts).tolist() == [0, 0, 0] and counts.dtype == np.int32
        assert sess.run(given).tolist() == [1.0, 2.0] and tuple(given.shape) == (2,)
        assert sess.run(from_array).tolist() == [[0.0, 1.0], [2.0, 3.0]]
        values = sess.run(glorot)
        limit = np.sqrt(6.0 / (200 + 300))  # TF-1's default for get_variable: Glorot-uniform
        assert np.abs(values).max() <= limit and np.abs(values).max() > 0.9 * limit
        assert sess.run(penalty) == 6.0 and sess.run(gf.losses.get_total_loss()) == 6.0


def test_dense_layers_share_variables_with_reuse_and_refuse_a_second_layer_of_the_same_name():
    x = gf.placeholder(gf.float32, [None, 4])
    first = gf.layers.dense(x, 3, name="fc")
    second = gf.layers.dense(x, 3, name="fc", reuse=True)
    assert [v.op.name for v in gf.trainable_variables()] == ["fc/kernel", "fc/bias"]
    assert first.op.name == "fc/BiasAdd" and second.op.name == "fc_1/BiasAdd"
    with gf.variable_scope("tower", reuse=gf.AUTO_REUSE):
        a = gf.layers.dense(x, 2, name="head")
    with gf.variable_scope("tower", reuse=gf.AUTO_REUSE):
        b = gf.layers.dense(x, 2, name="head")
    assert len(gf.trainable_variables()) == 4
    with pytest.raises(ValueError, match="Variable fc/kernel already exists"):
        gf.layers.dense(x, 3, name="fc")
    feed = {x: np.arange(8.0).reshape(2, 4)}
    with gf.Session() as sess:
        one, two = sess.run([first, second], feed)
        np.testing.assert_array_equal(one, two)
        np.testing.assert_array_equal(*sess.run([a, b], feed))


def test_a_named_scope_entered_again_with_reuse_finds_its_unnamed_layers():
    """TF-1 builds a training and a test network from one function this way (the default names restart)."""

    def net(x, reuse):
        with gf.variable_scope("Net", reuse=reuse):
            return gf.layers.dense(gf.layers.dense(x, 3, activation=gf.nn.relu), 2)

    x = gf.placeholder(gf.float32, [None, 4])
    train, test = net(x, reuse=False), net(x, reuse=True)
    names = ["Net/dense/kernel", "Net/dense/bias", "Net/dense_1/kernel", "Net/dense_1/bias"]
    assert [v.op.name for v in gf.trainable_variables()] == names
    assert gf.layers.dense(x, 1).op.name == "dense/BiasAdd", "the top level keeps its own counts"
    with gf.variable_scope("Net", reuse=True), pytest.raises(ValueError, match="Net/dense_2/kernel does not exist"):
        h = x
        for units in (3, 2, 1):
            h = gf.layers.dense(h, units)
    with gf.Session() as sess:
        np.testing.assert_array_equal(*sess.run([train, test], {x: np.ones((2, 4))}))


def test_reuse_false_inherits_and_default_names_skip_named_scopes_as_tf1_does():
    with gf.variable_scope("outer", reuse=gf.AUTO_REUSE), gf.variable_scope("inner", reuse=False):
        first = gf.get_variable("w", [1])
        assert gf.get_variable("w", [1]) is first, "reuse=False means: as the enclosing scope"
    with gf.variable_scope("blk"):
        gf.get_variable("w", [1])
    with gf.variable_scope(None, default_name="blk") as scope:
        assert (scope.name, gf.get_variable("w", [1]).op.name) == ("blk_1", "blk_1/w")


def test_constant_initializers_take_tf1_dtypes_and_refuse_a_shape():
    dtypes = {
        name: gf.get_variable(name, initializer=value).dtype
        for name, value in {"floats": [1.0, 2.0], "float": 3.0, "int": 5, "array": np.zeros(2)}.items()
    }
    assert dtypes == {"floats": np.float32, "float": np.float32, "int": np.int32, "array": np.float64}
    with pytest.raises(ValueError, match="if initializer is a constant, do not specify shape"):
        gf.get_variable("shaped", [2], initializer=np.ones(2))


@pytest.mark.parametrize("argument", ["partitioner", "custom_getter", "constraint"])
def test_get_variable_refuses_what_it_would_otherwise_ignore(argument):
    with pytest.raises(NotImplementedError, match=f"get_variable\\('w'\\): {argument} is not supported"):
        gf.get_variable("w", [2], **{argument: lambda *a, **k: None})
    assert gf.global_variables() == []
    assert gf.get_variable("w", [2], use_resource=False, validate_shape=True).op.name == "w"

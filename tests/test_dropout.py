"""Dropout: `gf.nn.dropout` (keep_prob or rate, a number or a placeholder) and `gf.layers.dropout` (training a
Python bool or a bool placeholder). The mask is random, so these tests check statistics (mean kept, fraction kept),
that the gradient uses the forward pass's mask, and the seed rules.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf

N = 20000


def _ones(n: int = N) -> np.ndarray:
    return np.ones((n // 100, 100))


@pytest.mark.parametrize("keep_prob", [0.3, 0.8])
def test_dropout_keeps_the_fraction_asked_and_preserves_the_mean(keep_prob):
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 100])
        y = gf.nn.dropout(x, keep_prob=keep_prob, seed=1)
        with gf.Session() as sess:
            value = sess.run(y, {x: _ones()})
    kept = value != 0
    sigma = np.sqrt(keep_prob * (1 - keep_prob) / N)
    assert abs(kept.mean() - keep_prob) < 5 * sigma
    np.testing.assert_allclose(value[kept], 1.0 / keep_prob)  # kept values are scaled up, by 1 / keep_prob
    assert abs(value.mean() - 1.0) < 5 * sigma / keep_prob


def test_keep_prob_fed_through_a_placeholder_and_rate():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 100])
        keep = gf.placeholder(gf.float32, [])
        by_keep = gf.nn.dropout(x, keep)
        by_rate = gf.nn.dropout(x, rate=0.75)
        with gf.Session() as sess:
            half, everything, quarter = sess.run(
                [by_keep, by_keep, by_rate], {x: _ones().astype(np.float32), keep: 0.5}
            )
            assert half.dtype == np.float32
            assert abs((half != 0).mean() - 0.5) < 0.02 and abs((quarter != 0).mean() - 0.25) < 0.02
            np.testing.assert_array_equal(half, everything)  # one node fetched twice: one draw
            np.testing.assert_array_equal(sess.run(by_keep, {x: _ones().astype(np.float32), keep: 1.0}), _ones())
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"DropoutMask.*keep_prob must be in \(0, 1\]"):
                sess.run(by_keep, {x: _ones().astype(np.float32), keep: 0.0})


def test_each_run_draws_a_new_mask():
    with gf.Graph().as_default():
        x = gf.constant(_ones(1000))
        y = gf.nn.dropout(x, 0.5)
        with gf.Session() as sess:
            assert not np.array_equal(sess.run(y), sess.run(y))


def test_the_gradient_uses_the_mask_of_the_same_run():
    rng = np.random.default_rng(0)
    x_value, cot = rng.uniform(0.5, 2.0, (50, 20)), rng.standard_normal((50, 20))
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 20])
        y = gf.nn.dropout(x, keep_prob=0.6)
        (g,) = gf.gradients(gf.reduce_sum(y * cot), x)
        with gf.Session() as sess:
            for _ in range(3):
                y_value, g_value = sess.run([y, g], {x: x_value})
                mask = y_value != 0
                assert 0 < mask.mean() < 1
                np.testing.assert_allclose(g_value, np.where(mask, cot / 0.6, 0.0))
                np.testing.assert_allclose(y_value, np.where(mask, x_value / 0.6, 0.0))


def test_noise_shape_drops_whole_rows():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 100])
        y = gf.nn.dropout(x, 0.5, noise_shape=[None, 1])
        assert y.shape == (None, 100)
        with gf.Session() as sess:
            value = sess.run(y, {x: _ones(10000)})
    rows_kept = (value != 0).all(axis=1)
    assert np.array_equal(rows_kept, (value != 0).any(axis=1)) and 0 < rows_kept.mean() < 1


def test_layers_dropout_is_the_identity_unless_training():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 100])
        training = gf.placeholder(gf.bool, [])
        evaluating = gf.layers.dropout(x, rate=0.4)
        training_always = gf.layers.dropout(x, rate=0.4, training=True)
        switched = gf.layers.dropout(x, rate=0.4, training=training)
        (g,) = gf.gradients(gf.reduce_sum(switched), x)
        with gf.Session() as sess:
            feed = {x: _ones()}
            np.testing.assert_array_equal(sess.run(evaluating, feed), _ones())
            assert abs((sess.run(training_always, feed) != 0).mean() - 0.6) < 0.02
            off, g_off = sess.run([switched, g], {**feed, training: False})
            np.testing.assert_array_equal(off, _ones())
            np.testing.assert_array_equal(g_off, _ones())
            on, g_on = sess.run([switched, g], {**feed, training: True})
            assert abs((on != 0).mean() - 0.6) < 0.02
            np.testing.assert_allclose(g_on, on)  # with x all ones, the gradient is the scaled mask itself


def test_layers_dropout_draws_nothing_when_not_training():
    """Only the taken branch of the cond runs: evaluation runs leave the mask's generator where it was."""

    def masks(evaluations: int) -> np.ndarray:
        with gf.Graph().as_default():
            gf.set_random_seed(3)
            x = gf.placeholder(gf.float64, [None, 100])
            training = gf.placeholder(gf.bool, [])
            y = gf.layers.dropout(x, rate=0.5, training=training)
            with gf.Session() as sess:
                for _ in range(evaluations):
                    sess.run(y, {x: _ones(1000), training: False})
                return sess.run(y, {x: _ones(1000), training: True})

    np.testing.assert_array_equal(masks(0), masks(2))


def test_dropout_seeds_follow_the_tf1_rules():
    def first_mask(graph_seed, seed):
        with gf.Graph().as_default():
            if graph_seed is not None:
                gf.set_random_seed(graph_seed)
            y = gf.nn.dropout(gf.constant(_ones(1000)), 0.5, seed=seed)
            with gf.Session() as a, gf.Session() as b:
                return a.run(y), b.run(y)

    a, b = first_mask(1, None)
    np.testing.assert_array_equal(a, b)  # a graph seed: every new session draws the same masks
    np.testing.assert_array_equal(a, first_mask(1, None)[0])
    assert not np.array_equal(a, first_mask(2, None)[0])
    c, d = first_mask(None, 7)
    np.testing.assert_array_equal(c, d)  # an op seed alone is enough
    assert not np.array_equal(c, first_mask(None, 8)[0])
    e, f = first_mask(None, None)
    assert not np.array_equal(e, f)  # no seed: fresh entropy per session


def test_dropout_arguments_are_checked_when_built():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 3])
        with pytest.raises(ValueError, match="exactly one of keep_prob and rate"):
            gf.nn.dropout(x)
        with pytest.raises(ValueError, match="exactly one of keep_prob and rate"):
            gf.nn.dropout(x, 0.5, rate=0.5)
        for bad in (0.0, 1.5, -0.1):
            with pytest.raises(ValueError, match=r"keep_prob must be in \(0, 1\]"):
                gf.nn.dropout(x, bad)
        with pytest.raises(ValueError, match=r"rate 1.0"):
            gf.nn.dropout(x, rate=1.0)
        with pytest.raises(ValueError, match=r"floating point.*'ints'.*gf\.cast"):
            gf.nn.dropout(gf.placeholder(gf.int32, [3], name="ints"), 0.5)
        with pytest.raises(ValueError, match=r"DropoutMask.*noise_shape \[3\] must have one entry per axis"):
            gf.nn.dropout(x, 0.5, noise_shape=[3])
        assert gf.nn.dropout(x, 1.0) is x and gf.nn.dropout(x, rate=0) is x  # TF-1 returns x itself

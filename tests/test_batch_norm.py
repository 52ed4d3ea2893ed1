"""Batch normalisation (`gf.nn.batch_normalization`, `gf.layers.batch_normalization`) and
`gf.train.ExponentialMovingAverage`: values against numpy and against figures measured with TF-1, gradients
against central differences, and the moving statistics' updates with a Python bool and with a bool placeholder."""

from __future__ import annotations

import numpy as np

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

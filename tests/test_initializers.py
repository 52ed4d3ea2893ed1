"""Each initializer's distribution against its definition: mean, standard deviation and range of a large draw.

The bounds are statistical: for n draws the sample mean lies within 6 σ/√n of the true mean and the sample standard
deviation within 6 σ/√(2n) of the true one, except with probability about 1e-9, so a seeded draw that passes is not
luck, and a scale off by 1% (n = 240,000: the bound is 0.9%) fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import graphflow as gf
from graphflow import initializers as init

SHAPE = (400, 600)  # fan_in 400, fan_out 600
N = math.prod(SHAPE)
FAN = {"fan_in": 400.0, "fan_out": 600.0, "fan_avg": 500.0}
# The standard deviation of a unit normal truncated to [-2, 2]: 1 - 4 φ(2) / (2 Φ(2) - 1), square-rooted.
TRUNCATED_STD = math.sqrt(1 - 4 * math.exp(-2) / math.sqrt(2 * math.pi) / math.erf(2 / math.sqrt(2)))


def _draw(initializer, shape=SHAPE, dtype=gf.float64) -> np.ndarray:
    with gf.Graph().as_default():
        gf.set_random_seed(1234)
        value = initializer(shape, dtype)
        assert tuple(value.shape) == shape
        with gf.Session() as sess:
            out = sess.run(value)
    assert out.shape == shape and out.dtype == dtype
    return out


def _assert_moments(x: np.ndarray, mean: float, std: float) -> None:
    n = x.size
    assert abs(x.mean() - mean) <= 6 * std / math.sqrt(n), (x.mean(), mean)
    assert abs(x.std() - std) <= 6 * std / math.sqrt(2 * n), (x.std(), std)


def test_the_truncated_normal_correction_is_the_std_of_a_unit_normal_cut_at_two():
    assert abs(init._TRUNCATED_STDDEV - TRUNCATED_STD) < 1e-15
    rng = np.random.default_rng(0)
    z = rng.standard_normal(2_000_000)
    assert np.std(z[np.abs(z) <= 2]) == pytest.approx(TRUNCATED_STD, rel=2e-3)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("scale", [1.0, 2.0, 0.5])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "untruncated_normal", "uniform"])
def test_variance_scaling_draws_with_variance_scale_over_fan(distribution, scale, mode):
    x = _draw(init.VarianceScaling(scale, mode, distribution))
    std = math.sqrt(scale / FAN[mode])
    _assert_moments(x, 0.0, std)
    if distribution == "uniform":
        limit = math.sqrt(3.0) * std
        assert np.abs(x).max() <= limit and np.abs(x).max() > 0.999 * limit
    elif distribution in ("truncated_normal", "normal"):  # cut at two standard deviations of the normal drawn from
        cut = 2.0 * std / TRUNCATED_STD
        assert np.abs(x).max() <= cut and np.abs(x).max() > 0.999 * cut
    else:
        assert np.abs(x).max() > 4.0 * std  # untruncated: 240,000 draws reach past 4 σ (about 15 expected)


@pytest.mark.parametrize(
    "make, variance, uniform",
    [
        (init.glorot_uniform, 1.0 / 500.0, True),
        (init.glorot_normal, 1.0 / 500.0, False),
        (init.he_normal, 2.0 / 400.0, False),
        (init.he_uniform, 2.0 / 400.0, True),
        (gf.glorot_uniform_initializer, 1.0 / 500.0, True),
        (gf.glorot_normal_initializer, 1.0 / 500.0, False),
    ],
    ids=["glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "tf.glorot_uniform", "tf.glorot_normal"],
)
def test_glorot_and_he_have_their_variance(make, variance, uniform):
    x = _draw(make(seed=3))
    _assert_moments(x, 0.0, math.sqrt(variance))
    limit = math.sqrt(3 * variance) if uniform else 2 * math.sqrt(variance) / TRUNCATED_STD
    assert np.abs(x).max() <= limit and np.abs(x).max() > 0.999 * limit


def test_fans_of_a_convolution_kernel_count_the_receptive_field():
    # A 3x3 kernel from 16 to 32 channels: fan_in 3*3*16 = 144, fan_out 3*3*32 = 288.
    x = _draw(init.VarianceScaling(1.0, "fan_out", "uniform"), shape=(3, 3, 16, 32))
    _assert_moments(x, 0.0, math.sqrt(1.0 / 288))
    x = _draw(init.VarianceScaling(2.0, "fan_in", "untruncated_normal"), shape=(3, 3, 16, 32))
    _assert_moments(x, 0.0, math.sqrt(2.0 / 144))


def test_random_normal_has_its_mean_and_stddev():
    x = _draw(gf.random_normal_initializer(mean=1.5, stddev=0.25))
    _assert_moments(x, 1.5, 0.25)


def test_truncated_normal_is_cut_at_two_stddevs_and_narrower_by_the_truncation():
    # TF-1's truncated_normal_initializer: stddev is the normal's before cutting, so the draws' is 0.88 of it.
    x = _draw(gf.truncated_normal_initializer(mean=-1.0, stddev=0.5))
    _assert_moments(x, -1.0, 0.5 * TRUNCATED_STD)
    assert np.abs(x + 1.0).max() <= 1.0 and np.abs(x + 1.0).max() > 0.999


def test_random_uniform_fills_its_interval():
    x = _draw(gf.random_uniform_initializer(minval=-3.0, maxval=5.0))
    _assert_moments(x, 1.0, 8.0 / math.sqrt(12.0))
    assert x.min() >= -3.0 and x.max() < 5.0 and x.min() < -2.99 and x.max() > 4.99
    assert abs(np.mean(x < 1.0) - 0.5) <= 6 * 0.5 / math.sqrt(N)  # the median is the midpoint


@pytest.mark.parametrize(
    "make, value",
    [
        (lambda: gf.zeros_initializer(), 0.0),
        (lambda: gf.ones_initializer(), 1.0),
        (lambda: gf.constant_initializer(-2.5), -2.5),
    ],
)
def test_constant_initializers_fill_every_element(make, value):
    x = _draw(make(), shape=(3, 4))
    np.testing.assert_array_equal(x, np.full((3, 4), value))


def test_variance_scaling_refuses_bad_arguments_naming_them():
    with pytest.raises(ValueError, match="scale must be positive, got 0"):
        init.VarianceScaling(0.0)
    with pytest.raises(ValueError, match=r"mode must be .* got 'fan_sum'"):
        init.VarianceScaling(1.0, "fan_sum")
    with pytest.raises(ValueError, match=r"distribution must be .* got 'cauchy'"):
        init.VarianceScaling(1.0, "fan_in", "cauchy")


def test_defaults_are_tf1s():
    _assert_moments(_draw(gf.random_normal_initializer()), 0.0, 1.0)
    _assert_moments(_draw(gf.truncated_normal_initializer()), 0.0, TRUNCATED_STD)
    x = _draw(gf.random_uniform_initializer())
    assert x.min() >= 0.0 and x.max() < 1.0 and x.min() < 0.001 and x.max() > 0.999
    _assert_moments(_draw(init.VarianceScaling()), 0.0, math.sqrt(1.0 / 400))  # scale 1, fan_in, truncated
    np.testing.assert_array_equal(_draw(gf.constant_initializer(), shape=(2, 2)), np.zeros((2, 2)))


RANDOM = {  # each random initializer, made with keyword arguments (seed, dtype)
    "normal": gf.random_normal_initializer,
    "truncated": gf.truncated_normal_initializer,
    "uniform": gf.random_uniform_initializer,
    "variance_scaling": init.VarianceScaling,
    "glorot_uniform": init.glorot_uniform,
    "glorot_normal": init.glorot_normal,
    "he_normal": init.he_normal,
    "he_uniform": init.he_uniform,
}
CONSTANT = {
    "constant": lambda **k: gf.constant_initializer(2.0, **k),
    "zeros": gf.zeros_initializer,
    "ones": gf.ones_initializer,
}


@pytest.mark.parametrize("name", RANDOM)
def test_an_initializer_draws_from_its_own_seed(name):
    first, again, other = (_draw(RANDOM[name](seed=seed), shape=(3, 4)) for seed in (5, 5, 6))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", [*RANDOM, *CONSTANT])
def test_an_initializer_called_without_a_dtype_uses_its_own(name):
    make = {**RANDOM, **CONSTANT}[name]
    with gf.Graph().as_default():
        value = make(dtype=gf.float64)((2, 3))
        assert value.dtype == np.float64
        with gf.Session() as sess:
            assert sess.run(value).dtype == np.float64
        assert make(dtype=gf.float16)((2, 3)).dtype == np.float16


@pytest.mark.parametrize(
    "shape, fan_in, fan_out", [((), 1, 1), ((7,), 7, 7), ((5, 3), 5, 3), ((2, 5, 3), 10, 6), ((3, 3, 4, 8), 36, 72)]
)
def test_fans_of_every_rank(shape, fan_in, fan_out):
    assert init._fans(shape) == (fan_in, fan_out)


def test_a_constant_initializer_is_named_const_as_in_tf1():
    with gf.Graph().as_default():
        assert gf.constant_initializer(1.0)((2,)).name == "Const:0"
